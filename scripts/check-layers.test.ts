import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLayers, findImports } from './check-layers.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('a good tree passes and the CLI says so', () => {
  const root = tree({
    'src/base/a.ts': 'export const a = 1;\n',
    'src/spec/b.ts': "import { a } from '../base/a.ts';\nexport const b = a;\n",
  });
  try {
    assert.deepEqual(checkLayers(root).problems, []);
    const script = join(dirname(fileURLToPath(import.meta.url)), 'check-layers.ts');
    const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    assert.equal(run.status, 0);
    assert.equal(run.stdout, 'layers: ok (2 files)\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a lower tier importing a higher one fails with file:line', () => {
  const root = tree({
    'src/base/a.ts': "// import { x } from '../engine/x.ts'; (a comment is not an import)\n\nimport {\n  x,\n} from '../engine/x.ts';\nexport const a = x;\n",
    'src/engine/x.ts': "import { a } from '../base/a.ts';\nexport const x = a;\n",
    'src/api/r.ts': "export const load = () => import('../engine/x.ts');\n",
    'src/cmd/main.ts': "import '../engine/x.ts';\nimport { load } from '../api/r.ts';\n",
  });
  try {
    const { problems } = checkLayers(root);
    const text = problems.map((p) => `${p.file}:${p.line} ${p.message}`);
    assert.ok(text.includes('src/base/a.ts:5 → ../engine/x.ts: tier "base" may not import "engine"'), text.join('\n'));
    assert.ok(text.includes('src/api/r.ts:1 → ../engine/x.ts: tier "api" may not import "engine"'), text.join('\n'));
    assert.ok(text.some((t) => t.startsWith('src:0 tier cycle: base') || t.startsWith('src:0 tier cycle: engine')));
    assert.equal(text.length, 3, text.join('\n'));
    const spawned = spawnSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'check-layers.ts'), root]);
    assert.equal(spawned.status, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('sync fs calls outside cli/cmd/tests are reported unless marked sync-ok', () => {
  const root = tree({
    'src/store/s.ts': [
      "import { readFile, readFileSync } from 'node:fs';",
      "import { existsSync } from 'node:fs'; // sync-ok: start-up only",
      "import * as cp from 'node:child_process';",
      'export const f = () => cp.execFileSync("true");',
      'export const g = () => [readFile, readFileSync, existsSync];',
      '',
    ].join('\n'),
    'src/cli/c.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    'src/store/s.test.ts': "import { writeFileSync } from 'node:fs';\nexport const w = writeFileSync;\n",
    'src/base/io.ts': "import { readFile } from 'node:fs/promises';\nimport { randomInt } from 'node:crypto';\nexport const x = [readFile, randomInt];\n",
  });
  try {
    const text = checkLayers(root).problems.map((p) => `${p.file}:${p.line} ${p.message}`);
    assert.deepEqual(
      text.map((t) => t.split(' ').slice(0, 2).join(' ')),
      ['src/base/io.ts:1 →', 'src/store/s.ts:1 →', 'src/store/s.ts:4 →'],
      text.join('\n'),
    );
    assert.match(text[1]!, /readFileSync blocks the event loop/);
    assert.match(text[2]!, /cp\.execFileSync/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('findImports sees static, re-export, side-effect and dynamic forms', () => {
  const refs = findImports(
    "import a from './a.ts';\nexport * from './b.ts';\nexport { c } from \"./c.ts\";\nimport type { D } from './d.ts';\nimport './e.ts';\nconst f = await import('./f.ts');\n",
  );
  assert.deepEqual(
    refs.map((r) => `${r.line}:${r.spec}`).sort(),
    ['1:./a.ts', '2:./b.ts', '3:./c.ts', '4:./d.ts', '5:./e.ts', '6:./f.ts'],
  );
});
