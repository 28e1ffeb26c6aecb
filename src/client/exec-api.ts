// Typed wrappers for exec: create on a container, start (hijacked), resize, inspect.
import type { Duplex } from 'node:stream';
import type { ExecCreateBody, ExecInspect } from '../spec/docker-api.ts';
import type { EngineClient } from './engine-client.ts';

const enc = encodeURIComponent;

export async function createExec(c: EngineClient, containerId: string, body: ExecCreateBody): Promise<{ Id: string }> {
  return (await c.request<{ Id: string }>('POST', `/containers/${enc(containerId)}/exec`, { body })).body;
}

/** Starts a detached exec (no stream). */
export async function startExecDetached(c: EngineClient, execId: string, opts: { tty?: boolean } = {}): Promise<void> {
  await c.request('POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: !!opts.tty } });
}

/** Starts an attached exec; the daemon upgrades the connection and streams the process's stdio. */
export function startExecAttached(
  c: EngineClient,
  execId: string,
  opts: { tty?: boolean; consoleSize?: [number, number] } = {},
): Promise<{ socket: Duplex; head: Buffer }> {
  const body: Record<string, unknown> = { Detach: false, Tty: !!opts.tty };
  if (opts.consoleSize) body.ConsoleSize = opts.consoleSize;
  return c.hijack('POST', `/exec/${enc(execId)}/start`, { body });
}

export async function resizeExec(c: EngineClient, execId: string, size: { h: number; w: number }): Promise<void> {
  await c.request('POST', `/exec/${enc(execId)}/resize`, { query: { h: size.h, w: size.w } });
}

export async function inspectExec(c: EngineClient, execId: string): Promise<ExecInspect> {
  return (await c.request<ExecInspect>('GET', `/exec/${enc(execId)}/json`)).body;
}
