// berth CLI entry point: wiring only.
import { main } from '../cli/main.ts';

const code = await main(process.argv.slice(2));
// Let piped stdout drain before exiting; open sockets or stdin must not keep the process alive.
process.stdout.write('', () => process.exit(code));
