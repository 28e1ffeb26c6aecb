// Registry e2e harness: starts `berth registry serve` on 127.0.0.1 with a free port and a temp root as a child
// process (stopped by its own pid), builds tiny OCI layouts for skopeo, and finds optional tools.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BERTH } from './harness.ts';

export const execFileP = promisify(execFile);

export async function which(bin: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir, bin);
    try {
      await access(p);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

export class RegistryProc {
  readonly root: string;
  readonly proc: ChildProcess;
  address = '';
  log = '';

  private constructor(root: string, proc: ChildProcess) {
    this.root = root;
    this.proc = proc;
  }

  /** Starts the registry; `args` are extra serve flags. The port is chosen by the kernel (--addr 127.0.0.1:0). */
  static async start(args: string[] = [], opts: { root?: string } = {}): Promise<RegistryProc> {
    const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
    const proc = spawn(BERTH, ['registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = new RegistryProc(root, proc);
    proc.stderr!.on('data', (d: Buffer) => (r.log += d.toString()));
    r.address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`registry did not start: ${out} ${r.log}`)), 15000);
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/(\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`registry exited ${code}: ${r.log}`));
      });
    });
    return r;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** SIGKILL (a crash): the root is kept. */
  async kill9(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }

  async stop(opts: { keepRoot?: boolean } = {}): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    if (!opts.keepRoot) await rm(this.root, { recursive: true, force: true });
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = any>(): T;
}

export function http(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
export const basic = (user: string, pass: string): string => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

/** A one-file tar (ustar), enough for a valid layer. */
export function tinyTar(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

export interface TinyImage {
  manifest: Buffer;
  manifestDigest: string;
  config: Buffer;
  layer: Buffer;
}

/** A tiny OCI image (one gzip layer); `description` goes into the config's labels. */
export function tinyImage(content: string, opts: { description?: string } = {}): TinyImage {
  const tar = tinyTar('hello.txt', content);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: opts.description ? { Labels: { 'org.opencontainers.image.description': opts.description } } : {},
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  return { manifest, manifestDigest: sha256(manifest), config, layer };
}

/** Writes an OCI image layout holding `img` under tag `tag`. */
export async function writeOciLayout(dir: string, img: TinyImage, tag: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [img.manifest, img.config, img.layer]) {
    await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: img.manifestDigest,
          size: img.manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
}

/** Pushes blobs (monolithic) and the manifest over plain HTTP. */
export async function pushImage(
  base: string,
  repo: string,
  tag: string,
  img: TinyImage,
  headers: Record<string, string> = {},
): Promise<void> {
  for (const b of [img.config, img.layer]) {
    const r = await http(base, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { body: b, headers });
    if (r.status !== 201) throw new Error(`blob push ${r.status} ${r.body}`);
  }
  const r = await http(base, 'PUT', `/v2/${repo}/manifests/${tag}`, {
    body: img.manifest,
    headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (r.status !== 201) throw new Error(`manifest push ${r.status} ${r.body}`);
}
