// The engine side of a build's RUN step (the builder's StepRunner, src/builder/executor.ts): a real container
// created from the step's image with the step's command, user, workdir, env, network and mounts; its output is
// attached before start; its changes (the overlay upper dir) become the step's layer tar, with whiteouts, exactly as
// `docker commit` reads them (container-fs.ts).

import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { notImplemented } from '../base/errors.ts';
import type { RunSpec, StepRunner } from '../builder/executor.ts';
import type { ContainerCreateBody } from '../spec/docker-api.ts';
import { layerTarStream } from '../store/diff/layer-tar.ts';
import { overlayDiff } from '../store/diff/overlay-diff.ts';
import type { Snapshotter } from '../store/snapshot/snapshotter.ts';
import type { AttachClient, ContainerService } from './container-service.ts';

export interface BuildRunnerDeps {
  containers: Pick<ContainerService, 'create' | 'attach' | 'detachPending' | 'start' | 'wait' | 'remove' | 'kill' | 'get'>;
  snapshotter: Snapshotter;
}

export class BuildRunner implements StepRunner {
  private readonly d: BuildRunnerDeps;

  constructor(d: BuildRunnerDeps) {
    this.d = d;
  }

  async create(spec: RunSpec): Promise<string> {
    const network = spec.network === 'default' || spec.network === '' ? 'default' : spec.network;
    const body = {
      Image: spec.imageId,
      Cmd: spec.argv,
      Entrypoint: [],
      Env: spec.env,
      User: spec.user,
      WorkingDir: spec.workdir,
      AttachStdout: true,
      AttachStderr: true,
      Healthcheck: { Test: ['NONE'] },
      Labels: { 'berth.build': 'step' },
      HostConfig: {
        ...spec.resources,
        NetworkMode: network,
        Binds: spec.binds.map((b) => `${b.source}:${b.target}:${b.readOnly ? 'ro' : 'rw'}`),
        ...(Object.keys(spec.tmpfs).length ? { Tmpfs: spec.tmpfs } : {}),
        ...(spec.extraHosts.length ? { ExtraHosts: spec.extraHosts } : {}),
      },
    } as unknown as ContainerCreateBody;
    const { Id } = await this.d.containers.create(body);
    return Id;
  }

  async run(id: string, opts: { onOutput(data: Buffer): void; signal?: AbortSignal }): Promise<number> {
    let ended!: () => void;
    const outputDone = new Promise<void>((r) => (ended = r));
    const client: AttachClient = { stdin: false, onOutput: (_s, d) => opts.onOutput(d), onEnd: () => ended() };
    await this.d.containers.attach(id, client);
    const exited = this.d.containers.wait(id, 'next-exit');
    const onAbort = () => void this.d.containers.kill(id, 'KILL').catch(() => {});
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await this.d.containers.start(id);
      } catch (e) {
        this.d.containers.detachPending(id, client);
        throw e;
      }
      const r = await exited;
      // The attach stream may deliver its last bytes after the exit is noticed.
      await Promise.race([outputDone, new Promise((res) => setTimeout(res, 2000).unref())]);
      opts.signal?.throwIfAborted();
      return r.StatusCode;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async layerTar(id: string, signal?: AbortSignal): Promise<Readable> {
    const snap = this.d.snapshotter;
    if (snap.name !== 'overlayfs') throw notImplemented(`RUN is not supported with the ${snap.name} storage driver`);
    const plan = await snap.mountPlan(id);
    const lowers = plan.lowerdirs.map((l) => (plan.cwd ? resolve(plan.cwd, l) : l));
    const d = await overlayDiff(snap.upperDir(id), lowers, { signal });
    return layerTarStream(d.entries, { signal });
  }

  async remove(id: string): Promise<void> {
    await this.d.containers.remove(id, { force: true, volumes: true });
  }
}
