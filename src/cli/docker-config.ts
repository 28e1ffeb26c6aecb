// The docker CLI's config file, shared with it: $DOCKER_CONFIG/config.json (or ~/.docker/config.json), whose `auths`
// map holds base64 "user:password" per registry ("https://index.docker.io/v1/" for Docker Hub). Written atomically
// (temp file + rename) with mode 0600; keys Berth does not know are kept as they are.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

export interface AuthEntry {
  username: string;
  password: string;
  serveraddress: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

export const configPath = (env: NodeJS.ProcessEnv = process.env): string => join(configDir(env), 'config.json');

/** The registry part of an image name: "127.0.0.1:5000/a:1" → "127.0.0.1:5000"; "busybox" → docker.io. */
export function registryOfImage(name: string): string {
  const i = name.indexOf('/');
  if (i > 0) {
    const first = name.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost') return first === 'index.docker.io' ? 'docker.io' : first;
  }
  return 'docker.io';
}

/** The key in `auths` for a registry or server address. */
export function serverKey(server: string | undefined): string {
  if (!server) return DOCKER_HUB_SERVER;
  const host = server.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
  if (['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host)) return DOCKER_HUB_SERVER;
  return host;
}

function readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const j = JSON.parse(readFileSync(configPath(env), 'utf8')) as unknown; // sync-ok: CLI
    return typeof j === 'object' && j !== null && !Array.isArray(j) ? (j as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function writeConfig(cfg: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = configPath(env);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t'), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function getAuth(server: string, env: NodeJS.ProcessEnv = process.env): AuthEntry | undefined {
  const key = serverKey(server);
  const auths = (readConfig(env).auths ?? {}) as Record<string, { auth?: string; username?: string; password?: string }>;
  const e = auths[key] ?? auths[`http://${key}`] ?? auths[`https://${key}`];
  if (!e) return undefined;
  let username = e.username ?? '';
  let password = e.password ?? '';
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      username = plain.slice(0, i);
      password = plain.slice(i + 1);
    }
  }
  if (!username) return undefined;
  return { username, password, serveraddress: key };
}

export function storeAuth(server: string, username: string, password: string, env: NodeJS.ProcessEnv = process.env): void {
  const cfg = readConfig(env);
  const auths = { ...((cfg.auths ?? {}) as Record<string, unknown>) };
  auths[serverKey(server)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeConfig({ ...cfg, auths }, env);
}

/** Returns false when there was nothing stored. */
export function removeAuth(server: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const cfg = readConfig(env);
  const auths = { ...((cfg.auths ?? {}) as Record<string, unknown>) };
  const key = serverKey(server);
  const keys = [key, `http://${key}`, `https://${key}`].filter((k) => k in auths);
  if (!keys.length) return false;
  for (const k of keys) delete auths[k];
  writeConfig({ ...cfg, auths }, env);
  return true;
}

/** X-Registry-Auth: base64url of the JSON AuthConfig. */
export function encodeRegistryAuth(a: AuthEntry | undefined): string | undefined {
  if (!a) return undefined;
  return Buffer.from(JSON.stringify({ username: a.username, password: a.password, serveraddress: a.serveraddress })).toString('base64url');
}
