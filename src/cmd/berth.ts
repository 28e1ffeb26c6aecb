// berth CLI entry point: wiring only. `berth registry ...` runs the registry (src/cmd/registry.ts) in this process
// without loading the CLI (the CLI tier may not import src/registry).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
// This file runs from src/cmd or bundled as dist/berth.mjs (scripts/build-cli.ts); the registry stays unbundled.
const here = dirname(fileURLToPath(import.meta.url));
const registryEntry = pathToFileURL(join(here, here.endsWith('dist') ? '../src/cmd/registry.ts' : 'registry.ts')).href;
const code =
  argv[0] === 'registry'
    ? await ((await import(registryEntry)) as typeof import('./registry.ts')).registryMain(argv.slice(1))
    : await (await import('../cli/main.ts')).main(argv);
// Let piped stdout drain before exiting; open sockets or stdin must not keep the process alive.
process.stdout.write('', () => process.exit(code));
