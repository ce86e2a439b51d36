// `strata import FILE|- [NAME[:TAG]]`: the client reads the tar (as the user who ran it) and
// streams it to the helper, which never opens a path it was given.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Command, type CommandContext, list, str } from '../command';
import { helpFlag, UsageError } from '../args';
import { parseBytes } from './run';
import { rawChannelOpener } from '../connect';

/** An OS error as the OS says it ("no such file or directory"), without Node's prefix. */
function osWords(err: NodeJS.ErrnoException): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(err.message);
  return m ? m[1] : err.message;
}

/** Reading the tar failed (not the helper, nor the way to it). */
class SourceError extends Error {}

async function* readOrSay(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw new SourceError(`read ${file}: ${osWords(err as NodeJS.ErrnoException)}`);
  }
}

/** --max-size and --max-compression-ratio, checked before any byte is sent. */
function importLimits(ctx: CommandContext): { maxBytes?: number; maxCompressionRatio?: number } {
  const size = str(ctx, 'max-size');
  const ratio = str(ctx, 'max-compression-ratio');
  if (ratio !== undefined && !/^\d+$/.test(ratio)) throw new UsageError(`invalid --max-compression-ratio ${JSON.stringify(ratio)}: a whole number, 0 for no limit`);
  const maxBytes = size === undefined ? undefined : parseBytes(size);
  if (maxBytes === 0) throw new UsageError('--max-size must be more than 0');
  return { maxBytes, maxCompressionRatio: ratio === undefined ? undefined : Number(ratio) };
}

export const importCmd: Command = {
  spec: {
    name: 'import', usage: '[OPTIONS] FILE|- [REPOSITORY[:TAG]]',
    summary: 'Import the contents of a tarball (plain or gzip) to create a filesystem image',
    flags: [
      { long: 'change', short: 'c', kind: 'list', value: 'list', help: 'Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL' },
      { long: 'message', short: 'm', kind: 'string', value: 'string', help: 'Set the commit message for the imported image' },
      { long: 'max-size', kind: 'string', value: 'bytes', help: 'Most the tar may write, uncompressed (default 32g; never more than the store\'s disk has free)' },
      { long: 'max-compression-ratio', kind: 'string', value: 'int', help: 'Most times its gzip the tar may expand to (default 100; 0: no limit)' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 2,
    notes: ['Example:  sudo tar -C rootfs -c . | sudo strata import - myimage'],
  },
  async run(ctx) {
    const [file, name] = ctx.args;
    // 1 MiB reads: fewer, bigger socket writes (this process shares the CPUs with the helper and
    // the layer writer; with 64 KiB reads the import took ~0.3 s longer).
    const source = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1024 * 1024 });
    // Open the file before talking to the helper, so a typo fails fast with the OS's words (as
    // docker's "open FILE: no such file or directory").
    if (file !== '-') {
      await new Promise<void>((resolve, reject) => { source.once('open', () => resolve()); source.once('error', reject); }).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`open ${file}: ${osWords(err)}`);
      });
      if ((await stat(file)).isDirectory()) throw new Error(`${file} is a directory: import takes a tar file (make one with: tar -C ${file} -c . | strata import - NAME)`);
    }
    const limits = importLimits(ctx);
    const client = await ctx.client();
    const { token } = await client.request('upload.begin', {});
    const result = client.request('image.import', { token, name, message: str(ctx, 'message'), changes: list(ctx, 'change'), ...limits });
    // The bytes travel raw on a second connection to the helper's socket (as base64 in JSON-RPC
    // they cost ~3 s per 200 MB to encode, check, parse and decode).
    const sent = client.upload(token, readOrSay(source as AsyncIterable<Uint8Array>, file), { openRawChannel: rawChannelOpener(ctx.root) });
    const [imported, uploaded] = await Promise.allSettled([result, sent]);
    // A failure to read the tar here is the error to show (the helper only saw its upload cut
    // short); otherwise the import's own (a failed import also ends the upload, which then fails).
    if (uploaded.status === 'rejected' && uploaded.reason instanceof SourceError) throw uploaded.reason;
    if (imported.status === 'rejected') throw imported.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    const r = imported.value;
    ctx.out(`${r.id}\n`);
    return 0;
  },
};
