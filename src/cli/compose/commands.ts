// `berth compose`: the command group and its verbs. Project loading and validation happen before any request that
// changes state; every state change goes through the Engine API (ComposeRunner).
import { basename } from 'node:path';
import { stringify as toYaml } from 'yaml';
import {
  attachContainer,
  createContainer,
  inspectContainer,
  killContainer,
  listContainers,
  removeContainer,
  restartContainer,
  startContainer,
  topContainer,
  waitContainer,
} from '../../client/container-api.ts';
import { createExec, inspectExec, startExecAttached, startExecDetached } from '../../client/exec-api.ts';
import { inspectImage } from '../../client/image-api.ts';
import type { ContainerSummary } from '../../spec/docker-api.ts';
import type { BerthCommand } from '../berth-command.ts';
import { collect, flagParser, newCommand, newGroup, parseIntFlag } from '../berth-command.ts';
import { StatusError } from '../cli-errors.ts';
import type { Cli } from '../cli.ts';
import { displayablePorts, ellipsis } from '../commands/container/ps-row.ts';
import { compileTemplate } from '../format/go-template.ts';
import { tabwrite } from '../format/table.ts';
import { createdAgo, humanSize } from '../format/units.ts';
import { proxySignals } from '../attach/signal-proxy.ts';
import { runStreamSession } from '../attach/stream-session.ts';
import { bindAction } from '../run-action.ts';
import { loadProject, normalizeProjectName } from './loader.ts';
import { LogPrinter } from './log-printer.ts';
import type { Project } from './model.ts';
import { ComposeError } from './model.ts';
import { configHash, createPlan, imageName, L, portBindings } from './planner.ts';
import { resolveEnvironment } from './normalize.ts';
import { ComposeRunner, numberOf, sleep } from './runner.ts';

interface GlobalFlags {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
  ansi?: string;
}

const nameOf = (c: ContainerSummary) => (c.Names[0] ?? '').replace(/^\//, '');

class Ctx {
  readonly cli: Cli;
  readonly group: BerthCommand;
  constructor(cli: Cli, group: BerthCommand) {
    this.cli = cli;
    this.group = group;
  }

  flags(): GlobalFlags {
    return this.group.opts<GlobalFlags>();
  }

  /** The project, from its files; `optional` allows a bare -p (or the directory name) when there are no files. */
  project(o: { optional?: boolean; services?: string[] } = {}): { project: Project; modelKnown: boolean } {
    const f = this.flags();
    try {
      const project = loadProject({
        files: f.file,
        projectName: f.projectName,
        projectDirectory: f.projectDirectory,
        envFiles: f.envFile,
        profiles: f.profile,
        env: this.cli.io.env,
        cwd: process.cwd(),
        services: o.services,
      });
      return { project, modelKnown: true };
    } catch (e) {
      if (o.optional && e instanceof ComposeError && /no configuration file provided/.test(e.message)) {
        const name = normalizeProjectName(f.projectName ?? this.cli.io.env.COMPOSE_PROJECT_NAME ?? basename(process.cwd()));
        return {
          project: { name, workingDir: process.cwd(), configFiles: [], services: {}, disabledServices: {}, networks: {}, volumes: {}, environment: {}, serviceFiles: {} },
          modelKnown: false,
        };
      }
      throw e;
    }
  }

  runner(project: Project): ComposeRunner {
    return new ComposeRunner(this.cli.client(), project, (t) => this.cli.err(`${t}\n`));
  }

  color(noColor?: boolean): boolean {
    const ansi = this.flags().ansi ?? 'auto';
    if (noColor || ansi === 'never' || this.cli.io.env.NO_COLOR) return false;
    return ansi === 'always' || !!this.cli.io.stdout.isTTY;
  }
}

function parseScale(items: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of items ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(s);
    if (!m) throw new StatusError(1, `invalid --scale option ${JSON.stringify(s)}: must be SERVICE=NUM`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function cmd(name: string, usage: string, description: string, interspersed = true): BerthCommand {
  return newCommand({ name, usage, description, interspersed });
}

/** Finds one container of a service (by --index, default 1). */
async function serviceContainer(r: ComposeRunner, service: string, index = 1, oneoff = false): Promise<ContainerSummary> {
  r.service(service);
  const ctrs = (await r.containers({ services: [service], all: false, oneoff })).filter((c) => numberOf(c) === index || oneoff);
  const c = ctrs[0];
  if (!c) throw new ComposeError(`service "${service}" is not running`);
  return c;
}

export function composeCommand(cli: Cli): BerthCommand {
  const group = newGroup('compose', 'Define and run multi-container applications')
    .option('-f, --file <file>', 'Compose configuration files', collect)
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <dir>', 'Specify an alternate working directory (default: the path of the first specified Compose file)')
    .option('--env-file <file>', 'Specify an alternate environment file', collect)
    .option('--profile <profile>', 'Specify a profile to enable', collect)
    .option('--ansi <mode>', 'Control when to print ANSI control characters ("never"|"always"|"auto")')
    .option('--progress <mode>', 'Set type of progress output')
    .option('--parallel <n>', 'Control max parallelism, -1 for unlimited') as BerthCommand;
  group.dockerUsage = '[OPTIONS] COMMAND';
  const x = new Ctx(cli, group);
  const add = (c: BerthCommand) => group.addCommand(c);

  // ---- up ----
  add(bindAction<{
    detach?: boolean; build?: boolean; noBuild?: boolean; forceRecreate?: boolean; noRecreate?: boolean; noDeps?: boolean;
    wait?: boolean; waitTimeout?: number; removeOrphans?: boolean; scale?: string[]; noStart?: boolean; pull?: string;
    noColor?: boolean; timeout?: number; abortOnContainerExit?: boolean; noLogPrefix?: boolean; quietPull?: boolean;
  }>(
    cmd('up', '[OPTIONS] [SERVICE...]', 'Create and start containers')
      .option('-d, --detach', 'Detached mode: Run containers in the background')
      .option('--build', 'Build images before starting containers')
      .option('--no-build', "Don't build an image, even if it's policy")
      .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
      .option('--no-recreate', "If containers already exist, don't recreate them")
      .option('--no-deps', "Don't start linked services")
      .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
      .option('--wait-timeout <seconds>', 'Maximum duration to wait for the project to be running|healthy', flagParser('--wait-timeout', parseIntFlag))
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('--scale <SERVICE=NUM>', 'Scale SERVICE to NUM instances', collect)
      .option('--no-start', "Don't start the services after creating them")
      .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")')
      .option('--quiet-pull', 'Pull without printing progress information')
      .option('--no-color', 'Produce monochrome output')
      .option('--no-log-prefix', "Don't print prefix in logs")
      .option('--abort-on-container-exit', 'Stops all containers if any container was stopped')
      .option('-t, --timeout <seconds>', 'Use this timeout in seconds for container shutdown', flagParser('-t, --timeout', parseIntFlag)) as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ services: args });
      const r = x.runner(project);
      // commander's --no-X flags make X default to true.
      const names = await r.up({
        services: args,
        build: f.build,
        noBuild: f.build === false,
        forceRecreate: f.forceRecreate,
        noRecreate: f.noRecreate === true || (f as { recreate?: boolean }).recreate === false,
        noDeps: (f as { deps?: boolean }).deps === false,
        removeOrphans: f.removeOrphans,
        scale: parseScale(f.scale),
        noStart: (f as { start?: boolean }).start === false,
        pull: f.pull as 'always' | 'missing' | 'never' | undefined,
      });
      if ((f as { start?: boolean }).start === false) return 0;
      if (f.wait) {
        await r.waitReady(names, f.waitTimeout ? f.waitTimeout * 1000 : undefined);
        return 0;
      }
      if (f.detach) return 0;
      return attachedUp(x, r, names, { color: x.color((f as { color?: boolean }).color === false), timeout: f.timeout, abortOnExit: f.abortOnContainerExit });
    },
  ));

  // ---- down ----
  add(bindAction<{ volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: number }>(
    cmd('down', '[OPTIONS] [SERVICES]', 'Stop and remove containers, networks')
      .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
      .option('--rmi <type>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")')
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds', flagParser('-t, --timeout', parseIntFlag)) as BerthCommand,
    cli,
    async (_args, f) => {
      if (f.rmi && f.rmi !== 'local' && f.rmi !== 'all') throw new StatusError(1, `invalid --rmi option ${JSON.stringify(f.rmi)}: must be "local" or "all"`);
      const { project, modelKnown } = x.project({ optional: true });
      await x.runner(project).down({ volumes: f.volumes, rmi: f.rmi as 'local' | 'all' | undefined, removeOrphans: f.removeOrphans, timeout: f.timeout, modelKnown });
    },
  ));

  // ---- ps ----
  add(bindAction<{ all?: boolean; quiet?: boolean; services?: boolean; format?: string; status?: string[]; filter?: string[] }>(
    cmd('ps', '[OPTIONS] [SERVICE...]', 'List containers')
      .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
      .option('-q, --quiet', 'Only display IDs')
      .option('--services', 'Display services')
      .option('--format <string>', 'Format the output. Values: [table | json]', 'table')
      .option('--status <status>', 'Filter services by status', collect)
      .option('--filter <filter>', 'Filter services by a property (supported filters: status)', collect) as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      let ctrs = await r.containers({ all: !!f.all || !!f.status?.length, services: args, oneoff: f.all ? 'any' : false });
      const statuses = [...(f.status ?? []), ...(f.filter ?? []).filter((s) => s.startsWith('status=')).map((s) => s.slice(7))];
      if (statuses.length) ctrs = ctrs.filter((c) => statuses.includes(c.State));
      if (f.services) {
        const names = args.length ? args : Object.keys(project.services);
        const set = new Set(f.all ? names : ctrs.map((c) => c.Labels[L.service] ?? ''));
        for (const n of [...set].sort()) if (n) cli.out(`${n}\n`);
        return;
      }
      if (f.quiet) {
        for (const c of ctrs) cli.out(`${c.Id}\n`);
        return;
      }
      const rows = ctrs.map((c) => ({
        ID: c.Id,
        Name: nameOf(c),
        Names: nameOf(c),
        Image: c.Image,
        Command: JSON.stringify(c.Command),
        Project: c.Labels[L.project] ?? '',
        Service: c.Labels[L.service] ?? '',
        CreatedAt: new Date(c.Created * 1000).toISOString(),
        Created: c.Created,
        RunningFor: createdAgo(c.Created),
        State: c.State,
        Status: c.Status,
        Health: /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '',
        ExitCode: Number(/Exited \((\d+)\)/.exec(c.Status)?.[1] ?? 0),
        Ports: displayablePorts(c.Ports),
        Publishers: c.Ports.map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
        Labels: Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join(','),
        LocalVolumes: String(c.Mounts.length),
        Mounts: '',
        Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
        Size: humanSize(c.SizeRw ?? 0),
      }));
      if (f.format === 'json') {
        for (const row of rows) cli.out(`${JSON.stringify(row)}\n`);
        return;
      }
      if (f.format && f.format !== 'table' && !f.format.startsWith('table ')) {
        const t = compileTemplate(f.format);
        for (const row of rows) cli.out(`${t(row)}\n`);
        return;
      }
      let text = 'NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS\n';
      for (const row of rows) {
        text += `${row.Name}\t${row.Image}\t${JSON.stringify(ellipsis(JSON.parse(row.Command) as string, 20))}\t${row.Service}\t${row.RunningFor}\t${row.Status}\t${row.Ports}\n`;
      }
      cli.out(tabwrite(text, { minWidth: 0, padding: 3 }));
    },
  ));

  // ---- logs ----
  add(bindAction<{ follow?: boolean; tail?: string; timestamps?: boolean; color?: boolean; logPrefix?: boolean; since?: string; until?: string; index?: number }>(
    cmd('logs', '[OPTIONS] [SERVICE...]', 'View output from containers')
      .option('-f, --follow', 'Follow log output')
      .option('-n, --tail <string>', 'Number of lines to show from the end of the logs for each container', 'all')
      .option('-t, --timestamps', 'Show timestamps')
      .option('--no-color', 'Produce monochrome output')
      .option('--no-log-prefix', "Don't print prefix in logs")
      .option('--since <string>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .option('--until <string>', 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .option('--index <n>', 'index of the container if service has multiple replicas', flagParser('--index', parseIntFlag)) as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      let ctrs = await r.containers({ services: args, oneoff: 'any' });
      if (f.index) ctrs = ctrs.filter((c) => numberOf(c) === f.index);
      const printer = new LogPrinter(cli.io.stdout, x.color(f.color === false));
      for (const c of ctrs) printer.register(nameOf(c));
      const ac = new AbortController();
      const off = f.follow ? cli.io.onSignal('SIGINT', () => ac.abort()) : () => {};
      try {
        await Promise.all(ctrs.map(async (c) => {
          const info = await inspectContainer(r.client, c.Id);
          if (f.logPrefix === false) {
            const p = new LogPrinter(cli.io.stdout, false);
            p.prefix = () => '';
            await p.follow(r.client, { id: c.Id, name: nameOf(c), tty: !!info.Config.Tty }, { follow: f.follow, tail: f.tail, timestamps: f.timestamps, since: f.since, signal: ac.signal });
            return;
          }
          await printer.follow(r.client, { id: c.Id, name: nameOf(c), tty: !!info.Config.Tty }, { follow: f.follow, tail: f.tail, timestamps: f.timestamps, since: f.since, signal: ac.signal });
        }));
      } finally {
        off();
      }
    },
  ));

  // ---- build / pull / push ----
  add(bindAction<{ noCache?: boolean; pull?: boolean; quiet?: boolean }>(
    cmd('build', '[OPTIONS] [SERVICE...]', 'Build or rebuild services')
      .option('--no-cache', 'Do not use cache when building the image')
      .option('--pull', 'Always attempt to pull a newer version of the image')
      .option('-q, --quiet', "Don't print anything to STDOUT") as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ services: args });
      const r = x.runner(project);
      const names = args.length ? args : Object.keys(project.services).sort();
      await r.build(names, { noCache: (f as { cache?: boolean }).cache === false, pull: f.pull, quiet: f.quiet, write: (t) => cli.out(t) });
    },
  ));
  add(bindAction<{ quiet?: boolean; ignorePullFailures?: boolean }>(
    cmd('pull', '[OPTIONS] [SERVICE...]', 'Pull service images')
      .option('-q, --quiet', 'Pull without printing progress information')
      .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ services: args });
      const names = args.length ? args : Object.keys(project.services).sort();
      await x.runner(project).pull(names, { quiet: f.quiet, ignoreFailures: f.ignorePullFailures });
    },
  ));
  add(bindAction<{ ignorePushFailures?: boolean }>(
    cmd('push', '[OPTIONS] [SERVICE...]', 'Push service images')
      .option('--ignore-push-failures', 'Push what it can and ignores images with push failures') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ services: args });
      const client = cli.client();
      for (const n of args.length ? args : Object.keys(project.services).sort()) {
        const s = project.services[n] ?? project.disabledServices[n];
        if (!s) throw new ComposeError(`no such service: ${n}`);
        if (!s.image) continue;
        const ref = s.image;
        const at = ref.lastIndexOf(':');
        const hasTag = at > ref.lastIndexOf('/');
        cli.err(` Pushing ${ref}\n`);
        try {
          const res = await client.stream('POST', `/images/${hasTag ? ref.slice(0, at) : ref}/push`, {
            query: { tag: hasTag ? ref.slice(at + 1) : 'latest' },
            headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64') },
          });
          const { consumeJsonMessages } = await import('../../client/json-messages.ts');
          await consumeJsonMessages(res);
          cli.err(` Pushed ${ref}\n`);
        } catch (e) {
          if (!f.ignorePushFailures) throw e;
          cli.err(` ${ref} push failed: ${(e as Error).message}\n`);
        }
      }
    },
  ));

  // ---- exec ----
  add(bindAction<{ detach?: boolean; tty?: boolean; env?: string[]; user?: string; workdir?: string; index?: number; privileged?: boolean; interactive?: boolean }>(
    cmd('exec', '[OPTIONS] SERVICE COMMAND [ARGS...]', 'Execute a command in a running container', false)
      .option('-d, --detach', 'Detached mode: Run command in the background')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation. By default `compose exec` allocates a TTY.')
      .option('-e, --env <KEY=VAL>', 'Set environment variables', collect)
      .option('-u, --user <user>', 'Run the command as this user')
      .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
      .option('--index <n>', 'Index of the container if service has multiple replicas', flagParser('--index', parseIntFlag))
      .option('--privileged', 'Give extended privileges to the process')
      .option('-i, --interactive', 'Keep STDIN open even if not attached (default true)') as BerthCommand,
    cli,
    async (args, f) => {
      if (args.length < 2) throw new StatusError(1, '"compose exec" requires at least 2 arguments');
      const [service, ...command] = args as [string, ...string[]];
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      const c = await serviceContainer(r, service, f.index ?? 1);
      const noTty = (f as { TTY?: boolean }).TTY === false;
      const tty = !noTty && !!cli.io.stdin.isTTY;
      const stdin = !f.detach;
      const env = (f.env ?? []).map((e) => (e.includes('=') ? e : cli.io.env[e] !== undefined ? `${e}=${cli.io.env[e]}` : e));
      const { Id } = await createExec(r.client, c.Id, {
        User: f.user ?? '',
        Privileged: !!f.privileged,
        Tty: tty,
        AttachStdin: stdin && !f.detach,
        AttachStdout: !f.detach,
        AttachStderr: !f.detach,
        Env: env.length ? env : null,
        WorkingDir: f.workdir ?? '',
        Cmd: command,
      });
      if (f.detach) {
        await startExecDetached(r.client, Id, { tty });
        return 0;
      }
      const { socket, head } = await startExecAttached(r.client, Id, { tty });
      await runStreamSession(cli.io, { socket, head, tty, stdin });
      const info = await inspectExec(r.client, Id);
      return info.ExitCode ?? 0;
    },
  ));

  // ---- run ----
  add(bindAction<{
    detach?: boolean; rm?: boolean; env?: string[]; deps?: boolean; name?: string; user?: string; workdir?: string;
    entrypoint?: string; TTY?: boolean; label?: string[]; servicePorts?: boolean; publish?: string[]; volume?: string[]; build?: boolean;
  }>(
    cmd('run', '[OPTIONS] SERVICE [COMMAND] [ARGS...]', 'Run a one-off command on a service', false)
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--rm', 'Automatically remove the container when it exits')
      .option('-e, --env <KEY=VAL>', 'Set environment variables', collect)
      .option('--no-deps', "Don't start linked services")
      .option('--name <name>', 'Assign a name to the container')
      .option('-u, --user <user>', 'Run as specified username or uid')
      .option('-w, --workdir <dir>', 'Working directory inside the container')
      .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)')
      .option('-l, --label <KEY=VAL>', 'Add or override a label', collect)
      .option('--service-ports', "Run command with all service's ports enabled and mapped to the host")
      .option('--build', 'Build image before starting container') as BerthCommand,
    cli,
    async (args, f) => {
      if (args.length < 1) throw new StatusError(1, '"compose run" requires at least 1 argument');
      const [service, ...command] = args as [string, ...string[]];
      const { project } = x.project({ services: [service] });
      const r = x.runner(project);
      const s = r.service(service);
      // Dependencies first (as `up --no-recreate` would), then the one-off container.
      if (f.deps !== false) {
        const deps = r.selection([service]).filter((n) => n !== service);
        if (deps.length) await r.up({ services: deps, noRecreate: true });
        for (const [d, cond] of Object.entries(s.depends_on ?? {})) if (deps.includes(d)) await r.waitCondition(d, cond.condition);
      } else {
        await r.up({ services: [service], noDeps: true, noStart: true }).catch(() => {});
        for (const c of await r.containers({ services: [service] })) if (c.State !== 'running') await removeContainer(r.client, c.Id, { force: true }).catch(() => {});
      }
      await r.ensureImages([service], { build: f.build });
      const noTty = f.TTY === false;
      const tty = !noTty && !!cli.io.stdin.isTTY && !f.detach;
      const interactive = !f.detach;
      const hash = r.hashOf(s);
      const suffix = Math.random().toString(16).slice(2, 14).padEnd(12, '0');
      const name = f.name ?? `${project.name}-${service}-run-${suffix}`;
      const plan = createPlan(project, s, {
        number: 1,
        hash,
        oneoff: true,
        name,
        command: command.length ? command : undefined,
        entrypoint: f.entrypoint !== undefined ? (f.entrypoint ? f.entrypoint.split(/\s+/) : []) : undefined,
        extraEnv: (f.env ?? []).map((e) => (e.includes('=') ? e : `${e}=${cli.io.env[e] ?? ''}`)),
        tty,
        interactive,
        user: f.user,
        workdir: f.workdir,
        noPorts: !f.servicePorts,
      });
      for (const l of f.label ?? []) {
        const i = l.indexOf('=');
        plan.body.Labels![i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
      }
      if (f.rm) plan.body.HostConfig!.AutoRemove = true;
      const client = r.client;
      const { Id: id } = await createContainer(client, plan.body, { name });
      for (const n of plan.extraNetworks) {
        const { connectNetwork } = await import('../../client/network-api.ts');
        await connectNetwork(client, n.name, { Container: id, EndpointConfig: { Aliases: n.aliases } });
      }
      if (f.detach) {
        await startContainer(client, id);
        cli.out(`${name}\n`);
        return 0;
      }
      const attached = await attachContainer(client, id, { stream: true, stdin: interactive, stdout: true, stderr: true });
      const waiter = await waitContainer(client, id, { condition: f.rm ? 'removed' : 'next-exit' });
      await startContainer(client, id);
      const stopSignals = proxySignals(cli.io, (sig) => killContainer(client, id, sig));
      try {
        await runStreamSession(cli.io, { socket: attached.socket, head: attached.head, tty, stdin: interactive });
        const status = await waiter.result;
        return status.StatusCode;
      } finally {
        stopSignals();
      }
    },
  ));

  // ---- start / stop / restart / kill / rm ----
  add(bindAction<Record<string, never>>(cmd('start', '[SERVICE...]', 'Start services'), cli, async (args) => {
    const { project } = x.project({ optional: true });
    const r = x.runner(project);
    const order = r.selection(args, true);
    for (const n of order) {
      for (const [d, cond] of Object.entries(r.service(n).depends_on ?? {})) if (order.includes(d)) await r.waitCondition(d, cond.condition);
      for (const c of await r.containers({ services: [n] })) if (c.State !== 'running') await r.start(c.Id, nameOf(c), r.service(n));
    }
  }));
  add(bindAction<{ timeout?: number }>(
    cmd('stop', '[OPTIONS] [SERVICE...]', 'Stop services')
      .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds', flagParser('-t, --timeout', parseIntFlag)) as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      await x.runner(project).stopServices(args, f.timeout);
    },
  ));
  add(bindAction<{ timeout?: number; deps?: boolean }>(
    cmd('restart', '[OPTIONS] [SERVICE...]', 'Restart service containers')
      .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds', flagParser('-t, --timeout', parseIntFlag))
      .option('--no-deps', "Don't restart dependent services") as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      for (const c of await r.containers({ services: args })) {
        cli.err(` Container ${nameOf(c)}  Restarting\n`);
        await restartContainer(r.client, c.Id, { timeout: f.timeout });
        cli.err(` Container ${nameOf(c)}  Started\n`);
      }
    },
  ));
  add(bindAction<{ signal?: string; removeOrphans?: boolean }>(
    cmd('kill', '[OPTIONS] [SERVICE...]', 'Force stop service containers')
      .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      for (const c of await r.containers({ services: args, all: false })) {
        await killContainer(r.client, c.Id, f.signal);
        cli.err(` Container ${nameOf(c)}  Killed\n`);
      }
    },
  ));
  add(bindAction<{ force?: boolean; stop?: boolean; volumes?: boolean }>(
    cmd('rm', '[OPTIONS] [SERVICE...]', 'Removes stopped service containers')
      .option('-f, --force', "Don't ask to confirm removal")
      .option('-s, --stop', 'Stop the containers, if required, before removing')
      .option('-v, --volumes', 'Remove any anonymous volumes attached to containers') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      if (f.stop) await r.stopServices(args);
      const ctrs = (await r.containers({ services: args })).filter((c) => c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused');
      if (!ctrs.length) {
        cli.err('No stopped containers\n');
        return;
      }
      if (!f.force) {
        cli.err(`Going to remove ${ctrs.map(nameOf).join(', ')}\n`);
        if (!cli.io.stdin.isTTY) throw new StatusError(1, 'Interactive confirmation is not possible without a TTY: use -f');
        const ok = await confirm(cli, '? Are you sure? [y/N] ');
        if (!ok) return;
      }
      for (const c of ctrs) await r.removeOne(c, { volumes: f.volumes });
    },
  ));

  // ---- config ----
  add(bindAction<{ services?: boolean; volumes?: boolean; networks?: boolean; quiet?: boolean; format?: string; hash?: string; images?: boolean; profiles?: boolean }>(
    cmd('config', '[OPTIONS] [SERVICE...]', 'Parse, resolve and render compose file in canonical format')
      .option('--services', 'Print the service names, one per line.')
      .option('--volumes', 'Print the volume names, one per line.')
      .option('--networks', 'Print the network names, one per line.')
      .option('--images', 'Print the image names, one per line.')
      .option('--profiles', 'Print the profile names, one per line.')
      .option('--hash <service>', 'Print the service config hash, one per line.')
      .option('-q, --quiet', 'Only validate the configuration, don\'t print anything.')
      .option('--format <format>', 'Format the output. Values: [yaml | json]', 'yaml') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ services: args });
      if (f.quiet) return;
      const services = args.length ? Object.fromEntries(args.map((n) => [n, project.services[n] ?? project.disabledServices[n]])) : project.services;
      if (f.services) return void cli.out(Object.keys(services).sort().map((s) => `${s}\n`).join(''));
      if (f.volumes) return void cli.out(Object.keys(project.volumes).sort().map((s) => `${s}\n`).join(''));
      if (f.networks) return void cli.out(Object.keys(project.networks).sort().map((s) => `${s}\n`).join(''));
      if (f.images) return void cli.out(Object.values(services).map((s) => `${imageName(project, s!)}\n`).join(''));
      if (f.profiles) return void cli.out([...new Set(Object.values({ ...project.services, ...project.disabledServices }).flatMap((s) => s.profiles ?? []))].sort().map((s) => `${s}\n`).join(''));
      if (f.hash) {
        const names = f.hash === '*' ? Object.keys(services) : f.hash.split(',');
        for (const n of names) {
          const s = project.services[n];
          if (!s) throw new ComposeError(`no such service: ${n}`);
          cli.out(`${n} ${configHash(s, resolveEnvironment(s, (k) => project.environment[k], project.serviceFiles[n] ?? ''))}\n`);
        }
        return;
      }
      const model = renderModel(project, services as Project['services']);
      cli.out(f.format === 'json' ? `${JSON.stringify(model, null, 2)}\n` : toYaml(model, { lineWidth: 0 }));
    },
  ));

  // ---- images / top / port / ls ----
  add(bindAction<{ quiet?: boolean; format?: string }>(
    cmd('images', '[OPTIONS] [SERVICE...]', 'List images used by the created containers')
      .option('-q, --quiet', 'Only display IDs')
      .option('--format <format>', 'Format the output. Values: [table | json]', 'table') as BerthCommand,
    cli,
    async (args, f) => {
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      const ctrs = await r.containers({ services: args });
      const rows: { Container: string; Repository: string; Tag: string; ID: string; Size: number }[] = [];
      for (const c of ctrs) {
        const img = await inspectImage(r.client, c.ImageID || c.Image).catch(() => undefined);
        const tag = img?.RepoTags?.[0] ?? c.Image;
        const at = tag.lastIndexOf(':');
        const hasTag = at > tag.lastIndexOf('/');
        rows.push({ Container: nameOf(c), Repository: hasTag ? tag.slice(0, at) : tag, Tag: hasTag ? tag.slice(at + 1) : 'latest', ID: img?.Id ?? c.ImageID, Size: img?.Size ?? 0 });
      }
      if (f.quiet) return void cli.out([...new Set(rows.map((x) => x.ID))].map((i) => `${i}\n`).join(''));
      if (f.format === 'json') return void cli.out(`${JSON.stringify(rows)}\n`);
      let text = 'CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n';
      for (const row of rows) text += `${row.Container}\t${row.Repository}\t${row.Tag}\t${row.ID.replace(/^sha256:/, '').slice(0, 12)}\t${humanSize(row.Size)}\n`;
      cli.out(tabwrite(text, { minWidth: 0, padding: 3 }));
    },
  ));
  add(bindAction<Record<string, never>>(cmd('top', '[SERVICES...]', 'Display the running processes'), cli, async (args) => {
    const { project } = x.project({ optional: true });
    const r = x.runner(project);
    for (const c of await r.containers({ services: args, all: false })) {
      const top = await topContainer(r.client, c.Id);
      let text = `${top.Titles.join('\t')}\n`;
      for (const p of top.Processes) text += `${p.join('\t')}\n`;
      cli.out(`${nameOf(c)}\n${tabwrite(text, { minWidth: 0, padding: 3 })}\n`);
    }
  }));
  add(bindAction<{ protocol?: string; index?: number }>(
    cmd('port', '[OPTIONS] SERVICE PRIVATE_PORT', 'Print the public port for a port binding')
      .option('--protocol <proto>', 'tcp or udp', 'tcp')
      .option('--index <n>', 'Index of the container if service has multiple replicas', flagParser('--index', parseIntFlag)) as BerthCommand,
    cli,
    async (args, f) => {
      if (args.length !== 2) throw new StatusError(1, '"compose port" requires exactly 2 arguments');
      const { project } = x.project({ optional: true });
      const r = x.runner(project);
      const c = await serviceContainer(r, args[0]!, f.index ?? 1);
      const p = c.Ports.find((q) => String(q.PrivatePort) === args[1] && q.Type === f.protocol && q.PublicPort);
      if (!p) throw new ComposeError(`no port ${args[1]}/${f.protocol} for container ${nameOf(c)}`);
      cli.out(`${p.IP || '0.0.0.0'}:${p.PublicPort}\n`);
    },
  ));
  add(bindAction<{ all?: boolean; quiet?: boolean; format?: string; filter?: string[] }>(
    cmd('ls', '[OPTIONS]', 'List running compose projects')
      .option('-a, --all', 'Show all stopped Compose projects')
      .option('-q, --quiet', 'Only display IDs')
      .option('--format <format>', 'Format the output. Values: [table | json]', 'table')
      .option('--filter <filter>', 'Filter output based on conditions provided', collect) as BerthCommand,
    cli,
    async (_args, f) => {
      const ctrs = await listContainers(cli.client(), { all: true, filters: { label: [L.project] } });
      const projects = new Map<string, { states: Map<string, number>; files: Set<string> }>();
      for (const c of ctrs) {
        const p = c.Labels[L.project]!;
        const e = projects.get(p) ?? { states: new Map(), files: new Set() };
        e.states.set(c.State, (e.states.get(c.State) ?? 0) + 1);
        if (c.Labels[L.configFiles]) e.files.add(c.Labels[L.configFiles]!);
        projects.set(p, e);
      }
      const names = (f.filter ?? []).filter((s) => s.startsWith('name=')).map((s) => s.slice(5));
      const rows = [...projects.entries()]
        .filter(([, e]) => f.all || e.states.has('running'))
        .filter(([n]) => !names.length || names.some((x) => n.includes(x)))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([n, e]) => ({ Name: n, Status: [...e.states.entries()].sort().map(([s, k]) => `${s}(${k})`).join(', '), ConfigFiles: [...e.files].join(',') }));
      if (f.quiet) return void cli.out(rows.map((r) => `${r.Name}\n`).join(''));
      if (f.format === 'json') return void cli.out(`${JSON.stringify(rows)}\n`);
      let text = 'NAME\tSTATUS\tCONFIG FILES\n';
      for (const r of rows) text += `${r.Name}\t${r.Status}\t${r.ConfigFiles}\n`;
      cli.out(tabwrite(text, { minWidth: 0, padding: 3 }));
    },
  ));
  add(bindAction<Record<string, never>>(cmd('version', '[OPTIONS]', 'Show the Docker Compose version information'), cli, () => {
    cli.out('Berth Compose version v2.29.0-berth\n');
  }));

  return group;
}

async function confirm(cli: Cli, prompt: string): Promise<boolean> {
  cli.err(prompt);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const on = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        cli.io.stdin.off('data', on);
        cli.io.stdin.pause();
        resolve(buf.split('\n')[0]!);
      }
    };
    cli.io.stdin.on('data', on);
    cli.io.stdin.resume();
  });
  return /^y(es)?$/i.test(line.trim());
}

/** The canonical model as `compose config` prints it. */
export function renderModel(project: Project, services: Project['services']): Record<string, unknown> {
  const out: Record<string, unknown> = { name: project.name };
  const svcs: Record<string, unknown> = {};
  for (const n of Object.keys(services).sort()) {
    const s = structuredClone(services[n]!) as unknown as Record<string, unknown>;
    delete s.name;
    const env = resolveEnvironment(services[n]!, (k) => project.environment[k], project.serviceFiles[n] ?? '');
    if (Object.keys(env).length) s.environment = env;
    else delete s.environment;
    delete s.env_file;
    if (!s.networks && !s.network_mode) s.networks = { default: null };
    svcs[n] = s;
  }
  out.services = svcs;
  if (Object.keys(project.networks).length) out.networks = project.networks;
  if (Object.keys(project.volumes).length) out.volumes = project.volumes;
  return out;
}

/** Attached `up`: prefixed logs of the project's containers until they all exit or Ctrl-C stops them. */
async function attachedUp(x: Ctx, r: ComposeRunner, names: string[], o: { color: boolean; timeout?: number; abortOnExit?: boolean }): Promise<number> {
  const cli = x.cli;
  const printer = new LogPrinter(cli.io.stdout, o.color);
  const ctrs = await r.containers({ services: names });
  for (const c of ctrs) printer.register(nameOf(c));
  const ac = new AbortController();
  let stopping: Promise<void> | undefined;
  let interrupts = 0;
  const stopAll = () => {
    interrupts++;
    if (interrupts > 1) {
      cli.err('Killing...\n');
      void Promise.all(ctrs.map((c) => killContainer(r.client, c.Id).catch(() => {})));
      return;
    }
    cli.err('Gracefully stopping... (press Ctrl+C again to force)\n');
    stopping ??= r.stopServices(names, o.timeout).finally(() => ac.abort());
  };
  const offs = [cli.io.onSignal('SIGINT', stopAll), cli.io.onSignal('SIGTERM', stopAll)];
  const since = String(Math.floor(Date.now() / 1000) - 5);
  let exitCode = 0;
  try {
    await Promise.all(ctrs.map(async (c) => {
      const info = await inspectContainer(r.client, c.Id);
      await printer.follow(r.client, { id: c.Id, name: nameOf(c), tty: !!info.Config.Tty }, { follow: true, tail: 'all', since, signal: ac.signal });
      if (ac.signal.aborted) return;
      const after = await inspectContainer(r.client, c.Id).catch(() => undefined);
      if (after && !after.State.Running && !after.State.Restarting) {
        cli.out(`${nameOf(c)} exited with code ${after.State.ExitCode}\n`);
        if (o.abortOnExit) {
          exitCode = after.State.ExitCode;
          stopAll();
        }
      }
    }));
    if (stopping) await stopping;
  } finally {
    for (const off of offs) off();
  }
  await sleep(0);
  return exitCode;
}

export { portBindings };
