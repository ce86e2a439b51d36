// `strata build [OPTIONS] CONTEXT|-`: a Dockerfile build, as `docker build` with the classic
// builder. The client packs the context (cli/build-context.ts: .dockerignore applied) and streams
// it to the helper as an upload; the helper builds (engine/build.ts) and sends the output, Docker's
// lines and each RUN's own, as session.output under this command's session. Ctrl-C cancels the
// build (session.detach): the helper stops the running step's container and leaves the store as it was.
import { randomBytes } from 'node:crypto';
import { helpFlag } from '../args';
import { bool, type Command, list, str } from '../command';
import { uploadTo } from '../transfer';
import { packContext, type PackedContext } from '../build-context';
import { envList } from './run';
import { StrataRequestError } from '../../protocol/client';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function isTar(head: Buffer): boolean {
  return (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) || (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar');
}

/** `-`: stdin is a context tar (as docker build - < context.tar), or else the Dockerfile itself. */
async function fromStdin(file: string | undefined): Promise<PackedContext> {
  const data = await readAll(process.stdin);
  if (isTar(data)) return { dockerfile: file ?? 'Dockerfile', outside: false, tar: (async function* () { yield data; })() };
  return packContext({ dir: null, dockerfile: { text: data.toString('utf8') } });
}

export const build: Command = {
  spec: {
    name: 'build', usage: '[OPTIONS] PATH | -',
    summary: 'Build an image from a Dockerfile (as Docker\'s classic builder: each RUN in a container, a cache of steps)',
    flags: [
      { long: 'tag', short: 't', kind: 'list', value: 'list', help: 'Name and optionally a tag in the "name:tag" format' },
      { long: 'file', short: 'f', kind: 'string', value: 'string', help: 'Name of the Dockerfile (default: "PATH/Dockerfile")' },
      { long: 'build-arg', kind: 'list', value: 'list', help: 'Set build-time variables (KEY=VALUE, or KEY to take it from here)' },
      { long: 'target', kind: 'string', value: 'string', help: 'Set the target build stage to build' },
      { long: 'no-cache', kind: 'bool', help: 'Do not use cache when building the image' },
      { long: 'rm', kind: 'bool', help: 'Remove intermediate containers (default true; --rm=false keeps a failed step\'s)' },
      { long: 'force-rm', kind: 'bool', help: 'Always remove intermediate containers' },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the build output and print image ID on success' },
      { long: 'network', kind: 'string', value: 'string', help: 'Networking mode for the RUN instructions: none (default) or host' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 1,
    notes: [
      'Layers a build makes have every file time set to SOURCE_DATE_EPOCH when it is set, else 0, so',
      'the same Dockerfile and context give the same layer ids. The cache is kept with the images that',
      'hold it: removing them (rmi, image prune) drops it.',
    ],
  },
  async run(ctx) {
    const [path] = ctx.args;
    const network = str(ctx, 'network') ?? 'none';
    if (network !== 'none' && network !== 'host') throw new Error(`--network ${network}: only "none" and "host" are supported`);
    const file = str(ctx, 'file');
    const quiet = bool(ctx, 'quiet');
    const packed = path === '-' ? await fromStdin(file) : await packContext({ dir: path, dockerfile: { path: file ?? `${path}/Dockerfile` } });
    const client = await ctx.client();
    const session = randomBytes(32).toString('hex');
    const held: Buffer[] = [];
    const output = client.on('session.output', (p) => {
      if (p.session !== session) return;
      const data = Buffer.from(p.data, 'base64');
      if (quiet) held.push(data);
      else (p.stream === 'stderr' ? process.stderr : process.stdout).write(data);
    });
    let cancelled = false;
    const onInt = () => {
      cancelled = true;
      void client.request('session.detach', { session }).catch(() => undefined);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onInt);
    try {
      const built = await uploadTo(ctx, client, packed.tar, (token) => client.request('image.build', {
        token, session, dockerfile: packed.dockerfile, dockerfileName: file, dockerfileOutsideContext: packed.outside,
        tags: list(ctx, 'tag'), buildArgs: envList(list(ctx, 'build-arg')), target: str(ctx, 'target'),
        noCache: bool(ctx, 'no-cache'), remove: ctx.flags.rm !== false, forceRemove: bool(ctx, 'force-rm'), network,
        sourceDateEpoch: process.env.SOURCE_DATE_EPOCH,
      }));
      if (quiet) ctx.out(`${built.id}\n`);
      return 0;
    } catch (err) {
      if (quiet) process.stderr.write(Buffer.concat(held));
      if (cancelled) { ctx.err('the build was cancelled\n'); return 130; }
      // A RUN that failed: Docker's words and its exit code (docker build exits with the command's).
      if (err instanceof StrataRequestError && typeof err.data?.exitCode === 'number') {
        ctx.err(`${err.message}\n`);
        return err.data.exitCode;
      }
      throw err;
    } finally {
      output.dispose();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onInt);
    }
  },
};
