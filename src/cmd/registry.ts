// `berth registry serve|gc`: wiring for the OCI distribution registry (src/registry). bin/berth hands argv here
// before loading the CLI (src/cmd/berth.ts), so the registry runs in the berth process itself.
//   berth registry serve --addr 127.0.0.1:5000 --root DIR [--htpasswd FILE] [--acl FILE] [--realm URL]
//                        [--token-issuer NAME] [--service NAME] [--gc-interval 1h] [--gc-grace 1h] [--rate-limit N]
//                        [--log-level info|debug]
//   berth registry gc --root DIR [--dry-run] [--delete-untagged] [--gc-grace DURATION]
import { parseArgs } from 'node:util';
import { collectGarbage, formatGcReport } from '../registry/gc.ts';
import { Registry } from '../registry/registry.ts';
import { startRegistry } from '../registry/server.ts';
import { FsDriver } from '../registry/storage/fs-driver.ts';

const USAGE = `Usage:  berth registry COMMAND

Run an OCI distribution registry

Commands:
  serve       Serve the registry API
  gc          Delete blobs no manifest references (offline; the server also runs it online)

serve options:
      --addr string           Listen address (default "127.0.0.1:5000")
      --root string           Storage root directory (required)
      --htpasswd string       htpasswd file (bcrypt entries): Basic auth, or the token endpoint's accounts
      --acl string            JSON ACL: [{"account","name","actions"}]
      --realm string          Token auth: the token endpoint URL ("{addr}" = the bound address); served at /token
      --token-issuer string   Token issuer (default "berth-registry")
      --service string        Token service name (default "berth-registry")
      --gc-interval duration  Run online GC this often (0 = never) (default 1h)
      --gc-grace duration     Keep unreferenced blobs younger than this (default 1h)
      --rate-limit number     Requests per second per client (0 = unlimited)
      --log-level string      info or debug (debug logs every request)

gc options:
      --root string           Storage root directory (required)
      --dry-run               Only report what would be deleted
      --delete-untagged       Also delete manifests no tag reaches
      --gc-grace duration     Keep unreferenced blobs younger than this (default 0s offline)
`;

/** "1h", "30m", "10s", "250ms", "1h30m", or a bare number of seconds. */
export function parseDuration(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s === '') throw new Error(`invalid duration: ${s}`);
  return total;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      addr: { type: 'string', default: '127.0.0.1:5000' },
      root: { type: 'string' },
      htpasswd: { type: 'string' },
      acl: { type: 'string' },
      realm: { type: 'string' },
      'token-issuer': { type: 'string' },
      service: { type: 'string' },
      'gc-interval': { type: 'string', default: '1h' },
      'gc-grace': { type: 'string', default: '1h' },
      'rate-limit': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (values.root === undefined) throw new Error('--root is required');
  const debug = values['log-level'] === 'debug';
  const reg = await startRegistry({
    addr: values.addr!,
    root: values.root,
    htpasswd: values.htpasswd,
    acl: values.acl,
    realm: values.realm,
    tokenIssuer: values['token-issuer'],
    service: values.service,
    gcIntervalMs: parseDuration(values['gc-interval']!),
    gcGraceMs: parseDuration(values['gc-grace']!),
    rateLimit: Number(values['rate-limit']),
    log: (line) => {
      if (debug || line.startsWith('gc')) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    },
  });
  process.stdout.write(`berth registry listening on http://${reg.address}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await reg.close();
  return 0;
}

async function gc(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      root: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'delete-untagged': { type: 'boolean', default: false },
      'gc-grace': { type: 'string', default: '0s' },
    },
  });
  if (values.root === undefined) throw new Error('--root is required');
  const registry = new Registry(new FsDriver(values.root));
  const report = await collectGarbage(registry, {
    dryRun: values['dry-run'],
    deleteUntagged: values['delete-untagged'],
    graceMs: parseDuration(values['gc-grace']!),
    log: (line) => process.stdout.write(line + '\n'),
  });
  process.stdout.write(formatGcReport(report) + '\n');
  return 0;
}

export async function registryMain(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (sub === 'serve') return await serve(rest);
    if (sub === 'gc') return await gc(rest);
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`berth registry: unknown command "${sub}"\n\n${USAGE}`);
    return 1;
  } catch (e) {
    process.stderr.write(`berth registry: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await registryMain(process.argv.slice(2));
  process.exit(code);
}
