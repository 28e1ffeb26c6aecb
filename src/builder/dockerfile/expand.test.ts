import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellLex, envLookup } from './expand.ts';
import { parseTrigger } from './instructions.ts';
import { resolveStages } from './stages.ts';
import { parseDockerfile } from './parser.ts';

const env = envLookup(['A=a', 'EMPTY=', 'SP=x  y']);
const lex = new ShellLex();

test('processWord: quotes, escapes, modifiers, matched/unmatched', () => {
  assert.equal(lex.processWord(`"$A"'$A'\\$A\${A}`, env), 'a$A$Aa');
  assert.equal(lex.processWord('${UNSET:-${A}b}', env), 'ab');
  assert.equal(lex.processWord('${EMPTY-set}${EMPTY:-unset-or-empty}', env), 'unset-or-empty');
  assert.equal(lex.processWord('"a\\b\\"c"', env), 'a\\b"c');
  const r = lex.process('$A $NOPE', env);
  assert.deepEqual([...r.matched], ['A']);
  assert.deepEqual([...r.unmatched], ['NOPE']);
  assert.equal(new ShellLex({ escapeToken: '`' }).processWord('a`$A\\b', env), 'a$A\\b');
});

test('processWords: unquoted expansions split, quoted ones do not', () => {
  assert.deepEqual(lex.processWords('$SP "$SP" \'q w\'', env), ['x', 'y', 'x  y', 'q w']);
  assert.deepEqual(new ShellLex({ skipUnsetEnv: true }).processWords('$NOPE ${NOPE:-x}', env), ['$NOPE', '${NOPE:-x}']);
});

test('ONBUILD triggers from image configs parse; FROM/ONBUILD rejected', () => {
  assert.equal(parseTrigger('RUN echo hi').kind, 'RUN');
  assert.throws(() => parseTrigger('FROM x'), /FROM isn't allowed as an ONBUILD trigger/);
});

test('base image env takes part in expansion and wins over ARG', () => {
  const ast = parseDockerfile('FROM img\nARG PATH=argpath\nWORKDIR $PATH/$HOME\n');
  const plan = resolveStages(ast, { imageEnv: (ref) => (ref === 'img' ? ['PATH=/bin', 'HOME=/root'] : undefined) });
  const wd = plan.stages[0]!.instructions[1]!;
  assert.equal(wd.instruction.kind === 'WORKDIR' && wd.instruction.path, '/bin//root');
  assert.deepEqual(wd.usedArgs, {});
});

test('target not found', () => {
  assert.throws(() => resolveStages(parseDockerfile('FROM a AS x\n'), { target: 'nope' }), /failed to reach build target nope in Dockerfile/);
});
