// POST /containers/create, pulling the image first when the daemon does not have it (docker's createContainer).
import { existsSync, writeFileSync } from 'node:fs';
import { ApiError } from '../../../client/engine-client.ts';
import { createContainer } from '../../../client/container-api.ts';
import { pullImage } from '../../../client/image-api.ts';
import type { JsonMessage } from '../../../spec/docker-api.ts';
import type { Cli } from '../../cli.ts';
import type { CreateRequest } from '../../options/container-flags.ts';
import { parseImageRef } from '../image-ref.ts';

export type PullPolicy = 'missing' | 'always' | 'never';

export function parsePullPolicy(v: string | undefined): PullPolicy {
  const p = (v ?? 'missing').toLowerCase();
  if (p === 'missing' || p === 'always' || p === 'never') return p;
  throw new Error(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
}

function printProgress(cli: Cli, quiet: boolean): (m: JsonMessage) => void {
  return (m) => {
    if (quiet || !m.status) return;
    // Byte-level progress lines are for terminals; the state changes are enough in plain output.
    if (m.progressDetail && m.progress) return;
    cli.err(m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`);
  };
}

export async function pullForRun(cli: Cli, image: string, opts: { platform?: string; quiet?: boolean }): Promise<void> {
  const ref = parseImageRef(image);
  await pullImage(
    cli.client(),
    { fromImage: ref.repository, tag: ref.digest ?? ref.tag, platform: opts.platform },
    printProgress(cli, !!opts.quiet),
  );
}

/** Returns the new container's id. Errors propagate (the caller words them). */
export async function createWithPull(
  cli: Cli,
  req: CreateRequest,
  opts: { pull: PullPolicy; quiet?: boolean; cidfile?: string },
): Promise<string> {
  const image = req.body.Image ?? '';
  if (opts.cidfile && existsSync(opts.cidfile)) {
    throw new Error(`container ID file found, make sure the other container isn't running or delete ${opts.cidfile}`);
  }
  if (opts.pull === 'always') await pullForRun(cli, image, { platform: req.platform, quiet: opts.quiet });
  let res;
  try {
    res = await createContainer(cli.client(), req.body, { name: req.name, platform: req.platform });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || !/no such image/i.test(e.message) || opts.pull !== 'missing') throw e;
    cli.err(`Unable to find image '${parseImageRef(image).familiar}' locally\n`);
    await pullForRun(cli, image, { platform: req.platform, quiet: opts.quiet });
    res = await createContainer(cli.client(), req.body, { name: req.name, platform: req.platform });
  }
  for (const w of res.Warnings ?? []) cli.err(`WARNING: ${w}\n`);
  if (opts.cidfile) writeFileSync(opts.cidfile, res.Id);
  return res.Id;
}
