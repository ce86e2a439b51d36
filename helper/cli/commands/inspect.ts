// strata inspect: Docker's documents (docker-shapes.ts) for containers and images, and Strata's
// layers; -f/--format with a Go template, "json", or the indented JSON array; --type.
import { helpFlag } from '../args';
import { type Command, CommandError, str } from '../command';
import { renderInspect } from '../docker-format';
import { containerInspect, imageInspect, layerInspect } from '../docker-shapes';
import { StrataRequestError, type StrataClient } from '../../protocol/client';
import { ErrorCode } from '../../protocol/errors';

const TYPES = ['container', 'image', 'layer'] as const;
type Kind = (typeof TYPES)[number];

async function lookup(client: StrataClient, kind: Kind, ref: string): Promise<object> {
  switch (kind) {
    case 'container': {
      const c = await client.request('container.inspect', { id: ref });
      // The image gives the config the container runs with (Docker's Config) and its layer folders.
      const image = await client.request('image.inspect', { ref: c.imageId }).catch(() => undefined);
      return containerInspect(c, image);
    }
    // verify: each layer's tar is made again, so a folder changed behind Strata's back shows here
    // (Strata.Layers[].TarVerified, TarProblem) before save or push refuses it.
    case 'image': return imageInspect(await client.request('image.inspect', { ref, verify: true }));
    case 'layer': return layerInspect(await client.request('layer.inspect', { id: ref, verify: true }));
  }
}

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
    if (type !== undefined && !(TYPES as readonly string[]).includes(type)) {
      throw new CommandError(`unknown type: ${JSON.stringify(type)}: must be one of ${TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
    }
    const client = await ctx.client();
    const docs: object[] = [];
    const errors: string[] = [];
    for (const ref of ctx.args) {
      let doc: object | undefined;
      let error = `Error: No such object: ${ref}`;
      for (const kind of type ? [type as Kind] : TYPES) {
        try {
          doc = await lookup(client, kind, ref);
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
