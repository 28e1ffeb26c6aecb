// The project's life cycle through the Engine API only: find its resources by label, converge services (create,
// keep, recreate by config hash, scale), start in depends_on order with conditions, roll back what a failed `up`
// created, and take it all down.
import {
  connectNetwork,
  createNetwork,
  listNetworks,
  removeNetwork,
} from '../../client/network-api.ts';
import {
  createContainer,
  inspectContainer,
  listContainers,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
} from '../../client/container-api.ts';
import { ApiError } from '../../client/engine-client.ts';
import type { EngineClient } from '../../client/engine-client.ts';
import { inspectImage, listImages, pullImage, removeImage } from '../../client/image-api.ts';
import { createVolume, listVolumes, removeVolume } from '../../client/volume-api.ts';
import type { ContainerInspect, ContainerSummary } from '../../spec/docker-api.ts';
import { buildImage } from './build.ts';
import { replicasOf } from './loader.ts';
import type { Project, Service } from './model.ts';
import { ComposeError } from './model.ts';
import { resolveEnvironment } from './normalize.ts';
import {
  COMPOSE_VERSION,
  configHash,
  createPlan,
  imageName,
  L,
  startOrder,
  stopTimeoutOf,
} from './planner.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Progress {
  (text: string): void;
}

const nameOf = (c: ContainerSummary) => (c.Names[0] ?? '').replace(/^\//, '');
export const numberOf = (c: ContainerSummary) => Number(c.Labels[L.number] ?? '0');

export interface UpOptions {
  services: string[];
  noDeps?: boolean;
  build?: boolean;
  noBuild?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  scale?: Record<string, number>;
  noStart?: boolean;
  pull?: 'always' | 'missing' | 'never';
}

/** What an `up` created, undone in reverse when it fails. */
interface Created {
  networks: string[];
  volumes: string[];
  containers: string[];
  /** Recreated containers: the old one renamed aside, restored on failure. */
  replaced: { oldId: string; oldName: string; wasRunning: boolean }[];
}

export class ComposeRunner {
  readonly client: EngineClient;
  readonly project: Project;
  readonly progress: Progress;
  constructor(client: EngineClient, project: Project, progress: Progress) {
    this.client = client;
    this.project = project;
    this.progress = progress;
  }

  /** The project's containers (by label), sorted by service then number. */
  async containers(o: { all?: boolean; services?: string[]; oneoff?: boolean | 'any' } = {}): Promise<ContainerSummary[]> {
    const label = [`${L.project}=${this.project.name}`];
    if (o.oneoff !== 'any') label.push(`${L.oneoff}=${o.oneoff ? 'True' : 'False'}`);
    const list = await listContainers(this.client, { all: o.all ?? true, filters: { label } });
    return list
      .filter((c) => !o.services?.length || o.services.includes(c.Labels[L.service] ?? ''))
      .sort((a, b) => (a.Labels[L.service] ?? '').localeCompare(b.Labels[L.service] ?? '') || numberOf(a) - numberOf(b));
  }

  service(name: string): Service {
    const s = this.project.services[name] ?? this.project.disabledServices[name];
    if (!s) throw new ComposeError(`no such service: ${name}`);
    return s;
  }

  /** Selected services plus (unless noDeps) what they depend on. */
  selection(names: string[], noDeps = false): string[] {
    for (const n of names) this.service(n);
    if (!names.length) return startOrder(this.project.services);
    const all = { ...this.project.services, ...this.project.disabledServices };
    const out = new Set<string>();
    const visit = (n: string) => {
      if (out.has(n)) return;
      out.add(n);
      if (!noDeps) for (const [d, x] of Object.entries(all[n]?.depends_on ?? {})) if (all[d] && (x.required || this.project.services[d])) visit(d);
    };
    names.forEach(visit);
    const subset = Object.fromEntries([...out].map((n) => [n, all[n]!]));
    return startOrder(subset);
  }

  // ---- images ----

  async imageExists(ref: string): Promise<boolean> {
    try {
      await inspectImage(this.client, ref);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return false;
      throw e;
    }
  }

  async build(names: string[], o: { noCache?: boolean; pull?: boolean; quiet?: boolean; write?: (s: string) => void } = {}): Promise<void> {
    for (const n of names) {
      const s = this.service(n);
      if (!s.build) continue;
      const tag = imageName(this.project, s);
      this.progress(` Service ${n}  Building`);
      await buildImage(this.client, {
        service: n,
        tag,
        build: s.build,
        noCache: o.noCache,
        pull: o.pull,
        quiet: o.quiet,
        labels: { [L.project]: this.project.name, [L.service]: n, [L.version]: COMPOSE_VERSION },
      }, o.write ?? (() => {}));
      this.progress(` Service ${n}  Built`);
    }
  }

  async pull(names: string[], o: { ignoreFailures?: boolean; quiet?: boolean } = {}): Promise<void> {
    for (const n of names) {
      const s = this.service(n);
      if (!s.image) continue;
      if (!o.quiet) this.progress(` ${n} Pulling`);
      try {
        await this.pullImage(s.image);
        if (!o.quiet) this.progress(` ${n} Pulled`);
      } catch (e) {
        if (s.build || o.ignoreFailures) {
          this.progress(` ${n} Warning: ${(e as Error).message}`);
          continue;
        }
        throw e;
      }
    }
  }

  private async pullImage(ref: string): Promise<void> {
    const at = ref.lastIndexOf(':');
    const hasTag = at > ref.lastIndexOf('/') && !ref.includes('@');
    await pullImage(this.client, hasTag ? { fromImage: ref.slice(0, at), tag: ref.slice(at + 1) } : { fromImage: ref, tag: ref.includes('@') ? undefined : 'latest' });
  }

  /** Makes sure every selected service has its image: built (with --build, or when missing) or pulled. */
  async ensureImages(names: string[], o: { build?: boolean; noBuild?: boolean; pull?: UpOptions['pull']; write?: (s: string) => void }): Promise<void> {
    for (const n of names) {
      const s = this.service(n);
      const ref = imageName(this.project, s);
      const exists = await this.imageExists(ref);
      const policy = o.pull ?? s.pull_policy ?? 'missing';
      if (s.build && !o.noBuild && (o.build || policy === 'build' || (!exists && policy !== 'always'))) {
        await this.build([n], { write: o.write });
        continue;
      }
      if (s.image && (policy === 'always' || (!exists && policy !== 'never'))) {
        this.progress(` ${n} Pulling`);
        try {
          await this.pullImage(s.image);
        } catch (e) {
          throw new ComposeError(`${this.project.serviceFiles[n] ?? 'compose.yaml'}: services.${n}.image: pull access denied or image not available for ${s.image}: ${(e as Error).message}`);
        }
        this.progress(` ${n} Pulled`);
        continue;
      }
      if (!exists) throw new ComposeError(`${this.project.serviceFiles[n] ?? 'compose.yaml'}: services.${n}.image: No such image: ${ref}`);
    }
  }

  // ---- networks and volumes ----

  private async ensureNetworks(services: string[], created: Created): Promise<void> {
    const used = new Set<string>();
    for (const n of services) {
      const s = this.service(n);
      if (s.network_mode) continue;
      for (const k of Object.keys(s.networks ?? { default: null })) used.add(k);
    }
    for (const key of [...used].sort()) {
      const net = this.project.networks[key]!;
      const existing = (await listNetworks(this.client, { filters: { name: [net.name] } })).filter((x) => x.Name === net.name);
      if (net.external) {
        if (!existing.length) throw new ComposeError(`network ${net.name} declared as external, but could not be found`);
        continue;
      }
      if (existing.length) continue;
      this.progress(` Network ${net.name}  Creating`);
      const res = await createNetwork(this.client, {
        Name: net.name,
        Driver: net.driver ?? 'bridge',
        Internal: !!net.internal,
        Attachable: !!net.attachable,
        Options: net.driver_opts ?? {},
        ...(net.ipam ? { IPAM: { Driver: net.ipam.driver ?? 'default', Config: (net.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, IPRange: c.ip_range })), Options: net.ipam.options } } : {}),
        Labels: { ...(net.labels ?? {}), [L.project]: this.project.name, [L.network]: key, [L.version]: COMPOSE_VERSION },
      });
      created.networks.push(res.Id);
      this.progress(` Network ${net.name}  Created`);
    }
  }

  private async ensureVolumes(services: string[], created: Created): Promise<void> {
    const used = new Set<string>();
    for (const n of services) for (const m of this.service(n).volumes ?? []) if (m.type === 'volume' && m.source) used.add(m.source);
    if (!used.size) return;
    const existing = new Set(((await listVolumes(this.client)).Volumes ?? []).map((v) => v.Name));
    for (const key of [...used].sort()) {
      const vol = this.project.volumes[key]!;
      if (existing.has(vol.name)) continue;
      if (vol.external) throw new ComposeError(`external volume "${vol.name}" not found`);
      this.progress(` Volume "${vol.name}"  Creating`);
      await createVolume(this.client, {
        Name: vol.name,
        Driver: vol.driver ?? 'local',
        DriverOpts: vol.driver_opts ?? {},
        Labels: { ...(vol.labels ?? {}), [L.project]: this.project.name, [L.volume]: key, [L.version]: COMPOSE_VERSION },
      });
      created.volumes.push(vol.name);
      this.progress(` Volume "${vol.name}"  Created`);
    }
  }

  // ---- containers ----

  hashOf(s: Service): string {
    return configHash(s, resolveEnvironment(s, (k) => this.project.environment[k], this.project.serviceFiles[s.name] ?? 'compose.yaml'));
  }

  private containerOf = (service: string): string => this.project.services[service]?.container_name ?? `${this.project.name}-${service}-1`;

  private async createOne(s: Service, number: number, hash: string, created: Created, imageId?: string): Promise<string> {
    const plan = createPlan(this.project, s, { number, hash, imageId, containerOf: this.containerOf });
    this.progress(` Container ${plan.name}  Creating`);
    let id: string;
    try {
      id = (await createContainer(this.client, plan.body, { name: plan.name })).Id;
    } catch (e) {
      throw this.explain(s, e);
    }
    created.containers.push(id);
    for (const n of plan.extraNetworks) {
      await connectNetwork(this.client, n.name, { Container: id, EndpointConfig: { Aliases: n.aliases, ...(n.ipv4 ? { IPAMConfig: { IPv4Address: n.ipv4 } } : {}) } });
    }
    this.progress(` Container ${plan.name}  Created`);
    return id;
  }

  /** Names the file and key a daemon error is most likely about. */
  explain(s: Service, e: unknown): Error {
    const msg = e instanceof Error ? e.message : String(e);
    const file = this.project.serviceFiles[s.name] ?? 'compose.yaml';
    let key = `services.${s.name}`;
    if (/port|address already in use|bind/i.test(msg) && s.ports?.length) key += '.ports';
    else if (/volume|mount/i.test(msg)) key += '.volumes';
    else if (/network|alias|ip address/i.test(msg)) key += '.networks';
    else if (/image/i.test(msg)) key += '.image';
    const err = new ComposeError(`${file}: ${key}: ${e instanceof ApiError ? `Error response from daemon: ${msg}` : msg}`);
    return err;
  }

  async start(id: string, name: string, s: Service): Promise<void> {
    this.progress(` Container ${name}  Starting`);
    try {
      await startContainer(this.client, id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 304)) throw this.explain(s, e);
    }
    this.progress(` Container ${name}  Started`);
  }

  /** Waits until every container of `dep` satisfies `condition`. */
  async waitCondition(dep: string, condition: string, signal?: AbortSignal): Promise<void> {
    const ctrs = await this.containers({ services: [dep] });
    for (const c of ctrs) {
      const name = nameOf(c);
      if (condition === 'service_started') continue;
      this.progress(` Container ${name}  Waiting`);
      for (;;) {
        if (signal?.aborted) throw new ComposeError('aborted');
        const info = await inspectContainer(this.client, c.Id);
        const st = info.State;
        if (condition === 'service_healthy') {
          if (!st.Health) throw new ComposeError(`dependency failed to start: container ${name} has no healthcheck configured`);
          if (st.Health.Status === 'healthy') break;
          if (st.Health.Status === 'unhealthy') throw new ComposeError(`dependency failed to start: container ${name} is unhealthy`);
          if (!st.Running && !st.Restarting) throw new ComposeError(`dependency failed to start: container ${name} exited (${st.ExitCode})`);
        } else if (condition === 'service_completed_successfully') {
          if (st.Status === 'exited' || st.Status === 'dead') {
            if (st.ExitCode !== 0) throw new ComposeError(`service "${dep}" didn't complete successfully: exit ${st.ExitCode}`);
            break;
          }
        }
        await sleep(250);
      }
      this.progress(` Container ${name}  ${condition === 'service_healthy' ? 'Healthy' : 'Exited'}`);
    }
  }

  async up(o: UpOptions): Promise<string[]> {
    const names = this.selection(o.services, o.noDeps);
    const scaled = new Map<string, number>();
    for (const n of names) {
      const s = this.service(n);
      const r = o.scale?.[n] ?? replicasOf(s);
      if (r > 1 && s.container_name) throw new ComposeError(`services.${n}: container_name "${s.container_name}" cannot be used with more than one replica`);
      if (r > 1 && s.ports?.some((p) => p.published && !p.published.includes('-'))) {
        throw new ComposeError(`${this.project.serviceFiles[n] ?? 'compose.yaml'}: services.${n}.ports: a fixed host port cannot be published by ${r} replicas`);
      }
      scaled.set(n, r);
    }
    for (const n of Object.keys(o.scale ?? {})) if (!names.includes(n)) this.service(n);

    // Images first: nothing is created until every image is there.
    await this.ensureImages(names, { build: o.build, noBuild: o.noBuild, pull: o.pull, write: (t) => this.progress(t.replace(/\n$/, '')) });

    const created: Created = { networks: [], volumes: [], containers: [], replaced: [] };
    try {
      await this.ensureNetworks(names, created);
      await this.ensureVolumes(names, created);
      for (const n of names) {
        const s = this.service(n);
        for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
          if (!names.includes(dep) && o.noDeps) continue;
          if (!o.noStart) await this.waitCondition(dep, d.condition);
        }
        await this.converge(s, scaled.get(n)!, o, created);
      }
    } catch (e) {
      await this.rollback(created);
      throw e;
    }
    // Orphans: containers of services the model no longer has.
    const known = new Set([...Object.keys(this.project.services), ...Object.keys(this.project.disabledServices)]);
    const orphans = (await this.containers()).filter((c) => !known.has(c.Labels[L.service] ?? ''));
    if (orphans.length) {
      if (o.removeOrphans) {
        for (const c of orphans) await this.removeOne(c, { timeout: undefined });
      } else {
        this.progress(`WARN[0000] Found orphan containers (${orphans.map(nameOf).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
      }
    }
    for (const r of created.replaced) await removeContainer(this.client, r.oldId, { force: true }).catch(() => {});
    return names;
  }

  private async converge(s: Service, replicas: number, o: UpOptions, created: Created): Promise<void> {
    const hash = this.hashOf(s);
    const ref = imageName(this.project, s);
    const imageId = (await inspectImage(this.client, ref).catch(() => undefined))?.Id;
    const existing = await this.containers({ services: [s.name] });
    const byNumber = new Map<number, ContainerSummary>();
    const extra: ContainerSummary[] = [];
    for (const c of existing) {
      const n = numberOf(c);
      if (byNumber.has(n) || n < 1 || n > replicas) extra.push(c);
      else byNumber.set(n, c);
    }
    for (const c of extra) await this.removeOne(c, { timeout: stopTimeoutOf(s) });
    for (let i = 1; i <= replicas; i++) {
      const c = byNumber.get(i);
      if (!c) {
        const id = await this.createOne(s, i, hash, created, imageId);
        if (!o.noStart) await this.start(id, containerNameFor(this.project, s, i), s);
        continue;
      }
      const name = nameOf(c);
      const diverged = c.Labels[L.configHash] !== hash || (imageId && c.Labels[L.image] && c.Labels[L.image] !== imageId);
      if (o.forceRecreate || (diverged && !o.noRecreate)) {
        this.progress(` Container ${name}  Recreate`);
        const wasRunning = c.State === 'running';
        if (wasRunning) await stopContainer(this.client, c.Id, { timeout: stopTimeoutOf(s) });
        const aside = `${c.Id.slice(0, 12)}_${name}`;
        await renameContainer(this.client, c.Id, aside);
        created.replaced.push({ oldId: c.Id, oldName: name, wasRunning });
        const id = await this.createOne(s, i, hash, created, imageId);
        const newName = containerNameFor(this.project, s, i);
        this.progress(` Container ${newName}  Recreated`);
        if (!o.noStart) await this.start(id, newName, s);
        // The new container is up: the old one goes now (so waits and lists no longer see it).
        await removeContainer(this.client, c.Id, { force: true }).catch(() => {});
        created.replaced = created.replaced.filter((r) => r.oldId !== c.Id);
        continue;
      }
      if (!o.noStart && c.State !== 'running') await this.start(c.Id, name, s);
      else this.progress(` Container ${name}  Running`);
    }
  }

  private async rollback(created: Created): Promise<void> {
    for (const id of created.containers.reverse()) await removeContainer(this.client, id, { force: true, volumes: true }).catch(() => {});
    for (const r of created.replaced.reverse()) {
      await renameContainer(this.client, r.oldId, r.oldName).catch(() => {});
      if (r.wasRunning) await startContainer(this.client, r.oldId).catch(() => {});
    }
    for (const v of created.volumes.reverse()) await removeVolume(this.client, v, { force: true }).catch(() => {});
    for (const n of created.networks.reverse()) await removeNetwork(this.client, n).catch(() => {});
  }

  async removeOne(c: ContainerSummary, o: { timeout?: number; volumes?: boolean }): Promise<void> {
    const name = nameOf(c);
    if (c.State === 'running' || c.State === 'restarting' || c.State === 'paused') {
      this.progress(` Container ${name}  Stopping`);
      await stopContainer(this.client, c.Id, { timeout: o.timeout }).catch((e: unknown) => {
        if (!(e instanceof ApiError && (e.status === 304 || e.status === 404))) throw e;
      });
      this.progress(` Container ${name}  Stopped`);
    }
    this.progress(` Container ${name}  Removing`);
    await removeContainer(this.client, c.Id, { force: true, volumes: o.volumes }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    });
    this.progress(` Container ${name}  Removed`);
  }

  /** Runs `fn` on each container once every container of the services depending on its service is done. */
  async inReverseOrder(ctrs: ContainerSummary[], fn: (c: ContainerSummary) => Promise<void>): Promise<void> {
    const all = { ...this.project.services, ...this.project.disabledServices };
    const svcOf = (c: ContainerSummary) => c.Labels[L.service] ?? '';
    const done = new Map<string, Promise<void>>();
    const run = (svc: string): Promise<void> => {
      let p = done.get(svc);
      if (p) return p;
      const dependents = Object.entries(all).filter(([, s]) => svc in (s.depends_on ?? {})).map(([n]) => n);
      p = Promise.all(dependents.map(run)).then(() => Promise.all(ctrs.filter((c) => svcOf(c) === svc).map(fn))).then(() => {});
      done.set(svc, p);
      return p;
    };
    await Promise.all([...new Set(ctrs.map(svcOf))].map(run));
  }

  /** Stops containers in reverse dependency order. */
  async stopServices(services: string[], timeout?: number): Promise<void> {
    const ctrs = await this.containers({ all: false, services, oneoff: 'any' });
    await this.inReverseOrder(ctrs, async (c) => {
      this.progress(` Container ${nameOf(c)}  Stopping`);
      await stopContainer(this.client, c.Id, { timeout: timeout ?? stopTimeoutOf(this.project.services[c.Labels[L.service] ?? '']) }).catch(() => {});
      this.progress(` Container ${nameOf(c)}  Stopped`);
    });
  }

  async down(o: { volumes?: boolean; rmi?: 'local' | 'all'; removeOrphans?: boolean; timeout?: number; modelKnown: boolean }): Promise<void> {
    const known = new Set([...Object.keys(this.project.services), ...Object.keys(this.project.disabledServices)]);
    const all = await this.containers({ oneoff: 'any' });
    const isOrphan = (c: ContainerSummary) => o.modelKnown && !known.has(c.Labels[L.service] ?? '');
    const orphans = all.filter(isOrphan);
    const targets = all.filter((c) => !isOrphan(c) || o.removeOrphans);
    if (orphans.length && !o.removeOrphans) {
      this.progress(`WARN[0000] Found orphan containers (${orphans.map(nameOf).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
    }
    await this.inReverseOrder(targets, (c) => this.removeOne(c, { timeout: o.timeout ?? stopTimeoutOf(this.project.services[c.Labels[L.service] ?? '']), volumes: o.volumes }));
    // Networks: those labelled with the project, and the model's non-external ones by name.
    const nets = await listNetworks(this.client, { filters: { label: [`${L.project}=${this.project.name}`] } });
    const netNames = new Set(nets.map((n) => n.Name));
    for (const n of Object.values(this.project.networks)) if (!n.external) netNames.add(n.name);
    const existingNets = await listNetworks(this.client);
    for (const name of [...netNames].sort()) {
      const found = existingNets.find((x) => x.Name === name);
      if (!found) continue;
      this.progress(` Network ${name}  Removing`);
      await removeNetwork(this.client, found.Id).catch((e: unknown) => {
        this.progress(` Network ${name}  Error: ${(e as Error).message}`);
      });
      this.progress(` Network ${name}  Removed`);
    }
    if (o.volumes) {
      const vols = (await listVolumes(this.client, { filters: { label: [`${L.project}=${this.project.name}`] } })).Volumes ?? [];
      const volNames = new Set(vols.map((v) => v.Name));
      const existing = new Set(((await listVolumes(this.client)).Volumes ?? []).map((v) => v.Name));
      for (const v of Object.values(this.project.volumes)) if (!v.external && existing.has(v.name)) volNames.add(v.name);
      for (const name of [...volNames].sort()) {
        this.progress(` Volume ${name}  Removing`);
        await removeVolume(this.client, name).catch((e: unknown) => {
          this.progress(` Volume ${name}  Error: ${(e as Error).message}`);
        });
        this.progress(` Volume ${name}  Removed`);
      }
    }
    if (o.rmi) {
      const images = new Set<string>();
      for (const s of Object.values({ ...this.project.services, ...this.project.disabledServices })) {
        if (o.rmi === 'all' || !s.image) images.add(imageName(this.project, s));
      }
      if (!o.modelKnown) {
        for (const img of await listImages(this.client, { filters: { label: [`${L.project}=${this.project.name}`] } })) {
          for (const t of img.RepoTags ?? []) images.add(t);
        }
      }
      for (const img of [...images].sort()) {
        await removeImage(this.client, img).then(
          () => this.progress(` Image ${img}  Removed`),
          () => {},
        );
      }
    }
  }

  /** For --wait: every container of the services running (and healthy when it has a healthcheck). */
  async waitReady(names: string[], timeoutMs?: number): Promise<void> {
    const deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
    // One-shot services others wait on with service_completed_successfully may exit 0.
    const oneShot = new Set<string>();
    for (const s of Object.values(this.project.services)) {
      for (const [d, x] of Object.entries(s.depends_on ?? {})) if (x.condition === 'service_completed_successfully') oneShot.add(d);
    }
    const ctrs = await this.containers({ services: names });
    for (const c of ctrs) {
      const name = nameOf(c);
      const svc = c.Labels[L.service] ?? '';
      this.progress(` Container ${name}  Waiting`);
      for (;;) {
        const info: ContainerInspect = await inspectContainer(this.client, c.Id);
        const st = info.State;
        if (oneShot.has(svc) && st.Status === 'exited' && st.ExitCode === 0) break;
        if (st.Status === 'exited' || st.Status === 'dead') throw new ComposeError(`container ${name} exited (${st.ExitCode})`);
        if (st.Health?.Status === 'unhealthy') throw new ComposeError(`container ${name} is unhealthy`);
        if (st.Running && (!st.Health || st.Health.Status === 'healthy')) break;
        if (Date.now() > deadline) throw new ComposeError(`timeout waiting for container ${name} to be ready`);
        await sleep(250);
      }
      this.progress(` Container ${name}  ${(await inspectContainer(this.client, c.Id)).State.Health ? 'Healthy' : 'Running'}`);
    }
  }
}

export function containerNameFor(project: Project, s: Service, n: number): string {
  return s.container_name ?? `${project.name}-${s.name}-${n}`;
}
