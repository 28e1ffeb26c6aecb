// Golden tests: testdata/NAME.Dockerfile (+ optional NAME.options.json with ResolveOptions) → testdata/NAME.json,
// and testdata/errors.txt (cases separated by `### name` lines) → testdata/errors.json (exact messages).
// UPDATE_GOLDEN=1 node --test src/builder/dockerfile/golden.test.ts rewrites the expected files (review the diff).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DockerfileError } from './dockerfile-error.ts';
import { parseDockerfile } from './parser.ts';
import { instructionsFromAST, type Instruction } from './instructions.ts';
import { DEFAULT_PATH, resolveStages, type ResolveOptions } from './stages.ts';

const dir = path.join(import.meta.dirname, 'testdata');
const update = process.env.UPDATE_GOLDEN === '1';
const fixedPlatform = { platform: 'linux/arm64/v8', buildPlatform: 'linux/amd64' };

const span = (i: { range: { start: { line: number; column: number }; end: { line: number; column: number } } }) =>
  `${i.range.start.line}:${i.range.start.column}-${i.range.end.line}:${i.range.end.column}`;

function strip(inst: Instruction): Record<string, unknown> {
  const { range, original, argsPosition, ...rest } = inst as Instruction & Record<string, unknown>;
  void original;
  void argsPosition;
  const out: Record<string, unknown> = { at: span({ range }), ...rest };
  if (inst.kind === 'ONBUILD') out.trigger = strip(inst.trigger);
  if (inst.kind === 'RUN') out.mounts = inst.mounts.map(({ raw, ...m }) => (void raw, m));
  if ('heredocs' in out) out.heredocs = (out.heredocs as { range: unknown }[]).map(({ range, ...h }) => ({ ...h, at: span({ range: range as never }) }));
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function summarize(text: string, options: ResolveOptions): unknown {
  try {
    const ast = parseDockerfile(text);
    const df = instructionsFromAST(ast);
    const plan = resolveStages(df, { ...fixedPlatform, ...options });
    return {
      directives: ast.directives,
      warnings: ast.warnings.map((w) => `${w.position.line}:${w.position.column}: ${w.message}`),
      metaArgs: Object.fromEntries(Object.entries(plan.metaArgs).filter(([k]) => !/^(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)$/.test(k))),
      target: plan.target,
      order: plan.order,
      unusedBuildArgs: plan.unusedBuildArgs,
      stages: plan.stages.map((s) => ({
        index: s.index,
        name: s.name,
        base: s.base,
        platform: s.platform,
        fromArgs: s.fromArgs,
        dependsOn: s.dependsOn,
        imageDependencies: s.imageDependencies,
        reachable: s.reachable,
        instructions: s.instructions.map((r) => {
          const o: Record<string, unknown> = strip(r.instruction);
          const env = r.env.filter((e) => e !== `PATH=${DEFAULT_PATH}`);
          if (env.length) o.env = env;
          if (Object.keys(r.args).length) o.argsInScope = r.args;
          if (Object.keys(r.usedArgs).length) o.usedArgs = r.usedArgs;
          if (r.proxyEnv) o.proxyEnv = r.proxyEnv;
          return o;
        }),
      })),
    };
  } catch (e) {
    if (e instanceof DockerfileError) return { error: e.message, dockerMessage: e.dockerMessage };
    throw e;
  }
}

async function readJSON(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const names = (await readdir(dir)).filter((f) => f.endsWith('.Dockerfile')).sort();

for (const name of names) {
  const base = name.slice(0, -'.Dockerfile'.length);
  test(`golden ${base}`, async () => {
    const text = await readFile(path.join(dir, name), 'utf8');
    const options = ((await readJSON(path.join(dir, `${base}.options.json`))) ?? {}) as ResolveOptions;
    const got = JSON.parse(JSON.stringify(summarize(text, options)));
    const expectedFile = path.join(dir, `${base}.json`);
    if (update) await writeFile(expectedFile, JSON.stringify(got, null, 2) + '\n');
    else assert.deepEqual(got, await readJSON(expectedFile));
  });
}

test('golden errors', async () => {
  const text = await readFile(path.join(dir, 'errors.txt'), 'utf8');
  const got: Record<string, string> = {};
  for (const chunk of text.split(/^### /m).slice(1)) {
    const nl = chunk.indexOf('\n');
    const caseName = chunk.slice(0, nl).trim();
    const body = chunk.slice(nl + 1);
    const r = summarize(body, {}) as { error?: string };
    got[caseName] = r.error ?? '(no error)';
  }
  const expectedFile = path.join(dir, 'errors.json');
  if (update) await writeFile(expectedFile, JSON.stringify(got, null, 2) + '\n');
  else assert.deepEqual(got, await readJSON(expectedFile));
});
