// `strata save`, `strata load`, `strata export`: images and file systems as files. The helper never
// opens a path the user names: the archive comes from it as a download (read raw on a second
// connection) and is written here, as the user who ran the command; a load's archive is read here
// and sent as an upload, as import does (cli/transfer.ts).
import { type Command, str } from '../command';
import { helpFlag, UsageError } from '../args';
import { openSource, receive, uploadTo } from '../transfer';

export const save: Command = {
  spec: {
    name: 'save', usage: '[OPTIONS] IMAGE [IMAGE...]',
    summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    flags: [
      { long: 'output', short: 'o', kind: 'string', value: 'string', help: 'Write to a file, instead of STDOUT' },
      { long: 'format', kind: 'string', value: 'string', help: 'docker (docker save\'s layout, the default) or oci (an OCI image layout)' },
      helpFlag,
    ],
    minArgs: 1,
    notes: ['Each layer\'s tar is the one its diff_id names, byte for byte; a layer whose folder changed is refused.'],
  },
  async run(ctx) {
    const format = str(ctx, 'format') ?? 'docker';
    if (format !== 'docker' && format !== 'oci') throw new UsageError(`invalid --format ${JSON.stringify(format)}: docker or oci`);
    await receive(ctx, str(ctx, 'output'), 'save', (client, token) => client.request('image.save', { token, refs: ctx.args, format }));
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
    summary: 'Load images from a tar archive (docker save, podman save, skopeo, OCI layout; plain or gzip) or STDIN',
    flags: [
      { long: 'input', short: 'i', kind: 'string', value: 'string', help: 'Read from tar archive file, instead of STDIN' },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
      helpFlag,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const file = str(ctx, 'input');
    if ((file === undefined || file === '-') && process.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty: use -i FILE, or redirect');
    const source = await openSource(file);
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
