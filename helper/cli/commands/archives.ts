// `strata save`, `strata load`, `strata export`: images and file systems as files. The helper never
// opens a path the user names: the archive comes from it as a download (read raw on a second
// connection) and is written here, as the user who ran the command; a load's archive is read here
// and sent as an upload, as import does.
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { checkTarget, isLayoutDir, packLayout, unpackLayout } from '../oci-dir';
import { type Command, type CommandContext, str } from '../command';
import { helpFlag, UsageError } from '../args';
import { rawChannelOpener } from '../connect';
import type { StrataClient } from '../../protocol/client';

type Filling = (client: StrataClient, token: string) => Promise<{ size: number }>;

/**
 * Where the bytes go: `file` through a temporary name beside it, renamed into place only once the
 * download is whole (a failed save leaves no half an archive under the name), or stdout.
 */
async function receive(ctx: CommandContext, file: string | undefined, verb: string, fill: Filling): Promise<void> {
  if (file === undefined && process.stdout.isTTY) {
    throw new Error(`cowardly refusing to write an archive to a terminal: use -o FILE, or redirect (strata ${verb} ... > FILE)`);
  }
  const client = await ctx.client();
  const { token } = await client.request('download.begin', {});
  const temp = file === undefined ? undefined : join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.part`);
  const sink = temp === undefined ? process.stdout : createWriteStream(temp, { flags: 'wx', mode: 0o644, highWaterMark: 4 * 1024 * 1024 });
  const opened = new Promise<void>((resolve, reject) => {
    if (temp === undefined) return resolve();
    sink.once('open', () => resolve());
    sink.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`open ${file}: ${err.message}`)));
  });
  try {
    await opened;
    await client.download(token, fill(client, token), sink, rawChannelOpener(ctx.root));
    if (temp !== undefined) {
      await new Promise<void>((resolve, reject) => { sink.once('error', reject); sink.end(() => resolve()); });
      await fs.rename(temp, file!);
    }
  } catch (err) {
    if (temp !== undefined) {
      (sink as NodeJS.WritableStream & { destroy(): void }).destroy();
      await fs.rm(temp, { force: true });
    }
    throw err;
  }
}

/** save --format oci-dir: the OCI layout tar the helper streams, unpacked here into the folder (oci-dir.ts). */
async function receiveLayoutDir(ctx: CommandContext, dir: string, fill: Filling): Promise<void> {
  const { problem } = await checkTarget(dir);
  if (problem) throw new Error(problem);
  const client = await ctx.client();
  const { token } = await client.request('download.begin', {});
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  const unpacking = unpackLayout(pipe, dir).catch(async (err: unknown) => {
    // Keep reading (and dropping) what still comes, so the download is not stuck on a full pipe,
    // and ask the helper to stop sending.
    pipe.resume();
    await client.request('download.abort', { token }).catch(() => undefined);
    throw err;
  });
  const downloading = client.download(token, fill(client, token), pipe, rawChannelOpener(ctx.root)).finally(() => pipe.end());
  // A failed download ends the pipe early: the unpacker then fails too and removes what it wrote;
  // the download's error says why.
  const [unpacked, downloaded] = await Promise.allSettled([unpacking, downloading]);
  if (downloaded.status === 'rejected') throw downloaded.reason;
  if (unpacked.status === 'rejected') throw unpacked.reason;
}

export const save: Command = {
  spec: {
    name: 'save', usage: '[OPTIONS] IMAGE [IMAGE...]',
    summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    flags: [
      { long: 'output', short: 'o', kind: 'string', value: 'string', help: 'Write to a file, instead of STDOUT (a folder for --format oci-dir)' },
      { long: 'format', kind: 'string', value: 'string', help: 'docker (docker save\'s layout, the default), oci (an OCI image layout archive) or oci-dir (an OCI image layout folder)' },
      { long: 'compress', kind: 'bool', help: 'gzip each layer (the config\'s diff_ids stay those of the plain tars)' },
      helpFlag,
    ],
    minArgs: 1,
    notes: [
      'Each layer\'s tar is the one its diff_id names, byte for byte; a layer whose folder changed is refused.',
      '--format oci-dir writes into a new or empty folder; what was written is removed if the save fails.',
    ],
  },
  async run(ctx) {
    const format = str(ctx, 'format') ?? 'docker';
    if (format !== 'docker' && format !== 'oci' && format !== 'oci-dir') throw new UsageError(`invalid --format ${JSON.stringify(format)}: docker, oci or oci-dir`);
    const compress = ctx.flags.compress === true;
    const output = str(ctx, 'output');
    const fill: Filling = (client, token) => client.request('image.save', { token, refs: ctx.args, format: format === 'docker' ? 'docker' : 'oci', ...(compress ? { compress } : {}) });
    if (format === 'oci-dir') {
      if (output === undefined) throw new UsageError('--format oci-dir needs -o DIR (the folder to write the layout into)');
      await receiveLayoutDir(ctx, output, fill);
    } else {
      await receive(ctx, output, 'save', fill);
    }
    return 0;
  },
};

export const exportCmd: Command = {
  spec: {
    name: 'export', usage: '[OPTIONS] CONTAINER',
    summary: 'Export a container\'s filesystem as a tar archive',
    flags: [{ long: 'output', short: 'o', kind: 'string', value: 'string', help: 'Write to a file, instead of STDOUT' }, helpFlag],
    minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    await receive(ctx, str(ctx, 'output'), 'export', (client, token) => client.request('container.export', { token, id: ctx.args[0] }));
    return 0;
  },
};

export const load: Command = {
  spec: {
    name: 'load', usage: '[OPTIONS]',
    summary: 'Load images from a tar archive (docker save, podman save, skopeo, OCI layout; plain, gzip or zstd layers), an OCI layout folder, or STDIN',
    flags: [
      { long: 'input', short: 'i', kind: 'string', value: 'string', help: 'Read from tar archive file (or an OCI layout folder), instead of STDIN' },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
      helpFlag,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const file = str(ctx, 'input');
    if ((file === undefined || file === '-') && process.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty: use -i FILE, or redirect');
    const layoutDir = file !== undefined && file !== '-' && (await isLayoutDir(file));
    const source: NodeJS.ReadableStream = layoutDir ? Readable.from(await packLayout(file), { objectMode: false })
      : file === undefined || file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1024 * 1024 });
    if (source !== process.stdin && !layoutDir) {
      await new Promise<void>((resolve, reject) => { source.once('open', () => resolve()); source.once('error', reject); }).catch((err: Error) => {
        throw new Error(`open ${file}: ${err.message.replace(/^[A-Z]+: /, '')}`);
      });
    }
    const client = await ctx.client();
    const { token } = await client.request('upload.begin', {});
    const loading = client.request('image.load', { token });
    const sent = client.upload(token, source as AsyncIterable<Uint8Array>, { openRawChannel: rawChannelOpener(ctx.root) });
    const [loaded, uploaded] = await Promise.allSettled([loading, sent]);
    if (loaded.status === 'rejected') throw loaded.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (!ctx.flags.quiet) {
      for (const image of loaded.value.images) {
        if (image.tags.length) for (const t of image.tags) ctx.out(`Loaded image: ${t}\n`);
        else ctx.out(`Loaded image ID: ${image.id}\n`);
      }
    }
    return 0;
  },
};
