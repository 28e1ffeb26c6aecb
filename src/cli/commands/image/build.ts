// berth build [OPTIONS] PATH | - : the classic builder protocol (POST /build). The context is walked here with
// .dockerignore applied and streamed as a tar while it is read (progress from the first byte); `-` sends stdin (a tar
// context, or a bare Dockerfile); `-f -` reads the Dockerfile from stdin. Asks the daemon to explain cache misses.
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buildImage, missingContext } from '../../../client/build-api.ts';
import { BERTH_CONTEXT_MEDIA_TYPE } from '../../../spec/build-context.ts';
import { contextBody, prepareContext } from '../../build/context-manifest.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import { contextTar } from '../../build/context-tar.ts';
import { plainView, ttyView, type BuildView } from '../../build/progress-view.ts';
import { FlagError, StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

interface Flags {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  label?: string[];
  quiet?: boolean;
  rm?: boolean;
  forceRm?: boolean;
  cache?: boolean;
  pull?: boolean;
  target?: string;
  iidfile?: string;
  network?: string;
  progress?: string;
  platform?: string;
  cacheFrom?: string[];
  addHost?: string[];
  shmSize?: string;
  memory?: string;
}

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBuildArgs(list: string[] | undefined, env: NodeJS.ProcessEnv): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of list ?? []) {
    const eq = a.indexOf('=');
    if (eq < 0) out[a] = env[a] ?? null;
    else out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function sizeBytes(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(v.trim());
  if (!m) throw new FlagError(`invalid size: '${v}'`);
  const mult: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

export function buildCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'build', usage: '[OPTIONS] PATH | URL | -', description: 'Build an image from a Dockerfile' })
    .option('-t, --tag <name>', "Name and optionally a tag in the 'name:tag' format", collect)
    .option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
    .option('--build-arg <list>', 'Set build-time variables', collect)
    .option('--label <list>', 'Set metadata for an image', collect)
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--rm', 'Remove intermediate containers after a successful build', true)
    .option('--no-rm', 'Keep intermediate containers after a successful build')
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build', 'default')
    .option('--progress <string>', 'Set type of progress output (auto, plain, tty)', 'auto')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--cache-from <strings>', 'Images to consider as cache sources', collect)
    .option('--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")', collect)
    .option('--shm-size <bytes>', 'Size of "/dev/shm"')
    .option('-m, --memory <bytes>', 'Memory limit') as BerthCommand;
  return bindAction<Flags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const src = args[0]!;
    if (/^(https?|git):\/\//.test(src) || src.startsWith('git@')) throw new StatusError(1, 'remote build contexts are not supported by berth build; clone or download the context first');
    if (src === '-' && f.file === '-') throw new StatusError(1, 'invalid argument: can\'t use stdin for both build context and dockerfile');
    const progress = f.progress === 'auto' ? ((cli.io.stdout as { isTTY?: boolean }).isTTY ? 'tty' : 'plain') : f.progress;
    if (progress !== 'plain' && progress !== 'tty') throw new FlagError(`invalid --progress: ${f.progress} (plain, tty or auto)`);
    const view: BuildView = f.quiet ? plainView(cli, true) : progress === 'tty' ? ttyView(cli) : plainView(cli, false);

    let body: Readable | undefined;
    let contentType: string | undefined;
    let dockerfileName: string | undefined;
    let sent = 0;
    let uploadFinished = false;
    const finishUpload = () => {
      if (uploadFinished) return;
      uploadFinished = true;
      view.uploadDone(sent);
    };
    const stdinDockerfile = src !== '-' && f.file === '-' ? await readStdin(cli.io.stdin) : undefined;
    if (src === '-') {
      const stdin = cli.io.stdin;
      body = Readable.from((async function* () {
        for await (const d of stdin as AsyncIterable<Buffer>) {
          sent += d.length;
          view.uploadProgress(sent);
          yield d;
        }
        finishUpload();
      })());
      dockerfileName = f.file;
    } else {
      const dockerfileText = stdinDockerfile;
      // berthd: send a manifest and only the contents it lacks (BERTH_BUILD_CONTEXT=tar forces the classic tar).
      if (cli.io.env.BERTH_BUILD_CONTEXT !== 'tar') {
        let prepared;
        try {
          prepared = await prepareContext({ dir: src, dockerfile: f.file === '-' ? undefined : f.file, dockerfileText, env: cli.io.env });
        } catch (e) {
          throw new StatusError(1, e instanceof Error ? e.message : String(e));
        }
        const missing = await missingContext(cli.client(), [...prepared.sources.keys()]);
        if (missing) {
          dockerfileName = prepared.dockerfileName;
          contentType = BERTH_CONTEXT_MEDIA_TYPE;
          const chunks = contextBody(prepared, missing, (n) => {
            sent += n;
            view.uploadProgress(sent);
          });
          body = Readable.from((async function* () {
            yield* chunks;
            finishUpload();
          })());
        }
      }
    }
    if (!body) {
      const dockerfileText = stdinDockerfile;
      let tar;
      try {
        tar = await contextTar({
          dir: src,
          dockerfile: f.file === '-' ? undefined : f.file,
          dockerfileText,
          onBytes: (n) => {
            sent += n;
            view.uploadProgress(sent);
          },
        });
      } catch (e) {
        throw new StatusError(1, e instanceof Error ? e.message : String(e));
      }
      dockerfileName = tar.dockerfileName;
      const chunks = tar.chunks;
      body = Readable.from((async function* () {
        yield* chunks;
        finishUpload();
      })());
    }
    const labels: Record<string, string> = {};
    for (const l of f.label ?? []) {
      const eq = l.indexOf('=');
      labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
    }
    const query = {
      t: f.tag,
      dockerfile: dockerfileName,
      buildargs: JSON.stringify(parseBuildArgs(f.buildArg, cli.io.env)),
      labels: Object.keys(labels).length ? JSON.stringify(labels) : undefined,
      q: f.quiet ? '1' : undefined,
      rm: f.rm === false ? '0' : '1',
      forcerm: f.forceRm ? '1' : undefined,
      nocache: f.cache === false ? '1' : undefined,
      pull: f.pull ? '1' : undefined,
      target: f.target,
      networkmode: f.network,
      platform: f.platform,
      cachefrom: f.cacheFrom?.length ? JSON.stringify(f.cacheFrom) : undefined,
      extrahosts: f.addHost?.length ? f.addHost.join(',') : undefined,
      shmsize: sizeBytes(f.shmSize),
      memory: sizeBytes(f.memory),
      explaincache: '1',
    };
    let imageId: string | undefined;
    let error: string | undefined;
    for await (const m of buildImage(cli.client(), body, query, undefined, contentType)) {
      finishUpload();
      if (m.errorDetail || m.error) {
        error = m.errorDetail?.message ?? m.error ?? 'unknown error';
        break;
      }
      const aux = m.aux as { ID?: string } | undefined;
      if (aux?.ID) imageId = aux.ID;
      if (m.stream) view.stream(m.stream);
      else if (m.status && !f.quiet) view.stream(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
    }
    view.end(!error);
    if (error) throw new StatusError(1, error);
    if (f.quiet && imageId) cli.out(`${imageId}\n`);
    if (f.iidfile && imageId) await writeFile(f.iidfile, imageId);
    return 0;
  });
}
