// `strata save`, `strata load`, `strata export`: images and file systems as files. The helper never
// opens a path the user names: the archive comes from it as a download (read raw on a second
// connection) and is written here, as the user who ran the command; a load's archive is read here
// and sent as an upload, as import does (cli/transfer.ts).
import { PassThrough, Readable } from 'node:stream';
import { checkTarget, isLayoutDir, packLayout, unpackLayout } from '../oci-dir';
import { type Command, type CommandContext, str } from '../command';
import { helpFlag, UsageError } from '../args';
import { rawChannelOpener } from '../connect';
import { openSource, receive, uploadTo } from '../transfer';
import type { StrataClient } from '../../protocol/client';

type Filling = (client: StrataClient, token: string) => Promise<{ size: number }>;

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
    // An OCI layout folder is packed here into the stream the helper reads (oci-dir.ts).
    const layoutDir = file !== undefined && file !== '-' && (await isLayoutDir(file));
    const source: AsyncIterable<Uint8Array> = layoutDir ? Readable.from(await packLayout(file), { objectMode: false }) : await openSource(file);
    const client = await ctx.client();
    const loaded = await uploadTo(ctx, client, source, (token) => client.request('image.load', { token }));
    if (!ctx.flags.quiet) {
      for (const image of loaded.images) {
        if (image.tags.length) for (const t of image.tags) ctx.out(`Loaded image: ${t}\n`);
        else ctx.out(`Loaded image ID: ${image.id}\n`);
      }
    }
    return 0;
  },
};
