// strata inspect: Docker's documents (docker-shapes.ts) for containers and images, and Strata's
// layers; -f/--format with a Go template, "json", or the indented JSON array; --type.
import { helpFlag } from '../args';
import { type Command, CommandError, str } from '../command';
import { renderInspect } from '../docker-format';
import { INSPECT_TYPES, type InspectType, inspectDocument } from '../inspect-documents';
import { StrataRequestError } from '../../protocol/client';
import { ErrorCode } from '../../protocol/errors';

const notFound = (err: unknown) => err instanceof StrataRequestError && (err.code === ErrorCode.NotFound || err.code === ErrorCode.InvalidParams);

export const inspect: Command = {
  spec: {
    name: 'inspect', usage: '[OPTIONS] NAME|ID [NAME|ID...]', summary: 'Return low-level information on containers, images or layers',
    flags: [
      { long: 'format', short: 'f', kind: 'string', value: 'string', help: 'Format output using a Go template, or "json" (one line)' },
      { long: 'type', kind: 'string', value: 'string', help: 'Only inspect objects of this type: container, image or layer' },
      helpFlag,
    ],
    minArgs: 1,
  },
  async run(ctx) {
    const type = str(ctx, 'type');
    if (type !== undefined && !(INSPECT_TYPES as readonly string[]).includes(type)) {
      throw new CommandError(`unknown type: ${JSON.stringify(type)}: must be one of ${INSPECT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
    }
    const client = await ctx.client();
    const docs: object[] = [];
    const errors: string[] = [];
    for (const ref of ctx.args) {
      let doc: object | undefined;
      let error = `Error: No such object: ${ref}`;
      for (const kind of type ? [type as InspectType] : INSPECT_TYPES) {
        try {
          doc = await inspectDocument(client, kind, ref, { verify: true });
          break;
        } catch (err) {
          if (!notFound(err)) throw err;
          // Asked for one type, Docker gives the daemon's own words.
          if (type) error = `Error response from daemon: ${(err as Error).message}`;
        }
      }
      if (doc) docs.push(doc);
      else errors.push(error);
    }
    const rendered = renderInspect(str(ctx, 'format'), docs);
    ctx.out(rendered.out);
    const all = [...errors, ...rendered.errors];
    if (all.length) ctx.err(`${all.join('\n')}\n`);
    return all.length ? 1 : 0;
  },
};
