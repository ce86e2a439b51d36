// `strata import FILE|- [NAME[:TAG]]`: the client reads the tar (as the user who ran it) and
// streams it to the helper, which never opens a path it was given.
import { createReadStream } from 'node:fs';
import { helpFlag } from '../args';
import { type Command, list, str } from '../command';

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
    const source = file === '-' ? process.stdin : createReadStream(file);
    // Open the file before talking to the helper, so a typo fails fast with the OS's words.
    if (file !== '-') await new Promise<void>((resolve, reject) => { source.once('open', () => resolve()); source.once('error', reject); });
    const client = await ctx.client();
    const { token } = await client.request('upload.begin', {});
    const result = client.request('image.import', { token, name, message: str(ctx, 'message'), changes: list(ctx, 'change') });
    const sent = client.upload(token, source as AsyncIterable<Uint8Array>);
    const [r] = await Promise.all([result, sent.catch(async (err) => { await result.catch(() => undefined); throw err; })]);
    ctx.out(`${r.id}\n`);
    return 0;
  },
};
