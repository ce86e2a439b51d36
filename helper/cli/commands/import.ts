// `strata import FILE|- [NAME[:TAG]]`: the client reads the tar (as the user who ran it) and
// streams it to the helper, which never opens a path it was given.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { helpFlag } from '../args';
import { type Command, list, str } from '../command';
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

export const importCmd: Command = {
  spec: {
    name: 'import', usage: '[OPTIONS] FILE|- [REPOSITORY[:TAG]]',
    summary: 'Import the contents of a tarball (plain or gzip) to create a filesystem image',
    flags: [
      { long: 'change', short: 'c', kind: 'list', value: 'list', help: 'Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL' },
      { long: 'message', short: 'm', kind: 'string', value: 'string', help: 'Set the commit message for the imported image' },
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
    const client = await ctx.client();
    const { token } = await client.request('upload.begin', {});
    const result = client.request('image.import', { token, name, message: str(ctx, 'message'), changes: list(ctx, 'change') });
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
