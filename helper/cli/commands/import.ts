// `strata import FILE|- [NAME[:TAG]]`: the client reads the tar (as the user who ran it) and
// streams it to the helper, which never opens a path it was given (cli/transfer.ts).
import { stat } from 'node:fs/promises';
import { type Command, type CommandContext, list, str } from '../command';
import { helpFlag, UsageError } from '../args';
import { parseBytes } from './run';
import { openSource, uploadTo } from '../transfer';

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
    const source = await openSource(file);
    if (file !== '-' && (await stat(file)).isDirectory()) throw new Error(`${file} is a directory: import takes a tar file (make one with: tar -C ${file} -c . | strata import - NAME)`);
    const limits = importLimits(ctx);
    const client = await ctx.client();
    const r = await uploadTo(ctx, client, source, (token) => client.request('image.import', { token, name, message: str(ctx, 'message'), changes: list(ctx, 'change'), ...limits }));
    ctx.out(`${r.id}\n`);
    return 0;
  },
};
