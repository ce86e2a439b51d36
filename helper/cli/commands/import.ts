// `strata import FILE|- [NAME[:TAG]]`: the client reads the tar (as the user who ran it) and
// streams it to the helper, which never opens a path it was given.
import { createReadStream } from 'node:fs';
import { helpFlag } from '../args';
import { type Command, list, str } from '../command';
import { rawChannelOpener } from '../connect';

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
    // Open the file before talking to the helper, so a typo fails fast with the OS's words.
    if (file !== '-') await new Promise<void>((resolve, reject) => { source.once('open', () => resolve()); source.once('error', reject); });
    const client = await ctx.client();
    const { token } = await client.request('upload.begin', {});
    const result = client.request('image.import', { token, name, message: str(ctx, 'message'), changes: list(ctx, 'change') });
    // The bytes travel raw on a second connection to the helper's socket (as base64 in JSON-RPC
    // they cost ~3 s per 200 MB to encode, check, parse and decode).
    const sent = client.upload(token, source as AsyncIterable<Uint8Array>, { openRawChannel: rawChannelOpener(ctx.root) });
    const [r] = await Promise.all([result, sent.catch(async (err) => { await result.catch(() => undefined); throw err; })]);
    ctx.out(`${r.id}\n`);
    return 0;
  },
};
