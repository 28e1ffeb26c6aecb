// berth CLI entry point: wiring only. `berth registry ...` runs the registry (src/cmd/registry.ts) in this process
// without loading the CLI (the CLI tier may not import src/registry).
const argv = process.argv.slice(2);
const code =
  argv[0] === 'registry'
    ? await (await import('./registry.ts')).registryMain(argv.slice(1))
    : await (await import('../cli/main.ts')).main(argv);
// Let piped stdout drain before exiting; open sockets or stdin must not keep the process alive.
process.stdout.write('', () => process.exit(code));
