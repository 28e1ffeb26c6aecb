// Bundles the berth CLI into dist/berth.mjs: one file loads ~2x faster than ~100 type-stripped modules, and the CLI
// starts on every command a user types. bin/berth falls back to the sources whenever they are newer than the bundle.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src/cmd/berth.ts')],
  outfile: join(root, 'dist/berth.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // The registry server is started from the same entry but is not CLI code: keep it a separate, lazily loaded module.
  external: ['node-unix-socket'],
  // ESM bundles have no require(); some bundled CommonJS dependencies need one.
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
