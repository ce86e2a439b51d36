// Image verbs: images, history, tag, rmi, busybox.
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, list as listFlag, wantsJson } from '../command';
import { IMAGE_FILTERS, imageMatches, parseFilters } from '../filters';
import { ago, humanSize, json, short, table, truncate } from '../format';

export const images: Command = {
  spec: {
    name: 'images', usage: '[OPTIONS]', summary: 'List images',
    flags: [
      formatFlag, { long: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
      { long: 'filter', short: 'f', kind: 'list', value: 'filter', help: `Filter output (${IMAGE_FILTERS.join(', ')}: e.g. dangling=true)` },
      helpFlag,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const filters = parseFilters(listFlag(ctx, 'filter'), IMAGE_FILTERS, 'images');
    const list = (await (await ctx.client()).request('images.list', {})).filter((i) => imageMatches(i, filters));
    if (wantsJson(ctx)) { ctx.out(json(list)); return 0; }
    if (bool(ctx, 'quiet')) { ctx.out(list.map((i) => `${short(i.id)}\n`).join('')); return 0; }
    const rows = list.flatMap((img) => {
      const names = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
      return names.map((t) => {
        const at = t.lastIndexOf(':');
        return [t.slice(0, at), t.slice(at + 1), short(img.id), ago(img.created), humanSize(img.size)];
      });
    });
    ctx.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
    return 0;
  },
};

export const history: Command = {
  spec: {
    name: 'history', usage: '[OPTIONS] IMAGE', summary: 'Show the history of an image: its layers, newest first',
    flags: [formatFlag, { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" }, helpFlag], minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    const entries = await (await ctx.client()).request('image.history', { ref: ctx.args[0] });
    if (wantsJson(ctx)) { ctx.out(json(entries)); return 0; }
    const full = bool(ctx, 'no-trunc');
    ctx.out(table(['LAYER', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], entries.map((e) => [
      e.id === '<missing>' ? e.id : full ? e.id : short(e.id), ago(e.created), full ? e.createdBy : truncate(e.createdBy, 45),
      humanSize(e.size), full ? e.comment : truncate(e.comment, 45),
    ])));
    return 0;
  },
};

export const tag: Command = {
  spec: { name: 'tag', usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', flags: [helpFlag], minArgs: 2, maxArgs: 2 },
  async run(ctx) {
    await (await ctx.client()).request('image.tag', { source: ctx.args[0], target: ctx.args[1] });
    return 0;
  },
};

export const rmi: Command = {
  spec: {
    name: 'rmi', usage: '[OPTIONS] IMAGE [IMAGE...]', summary: 'Remove one or more images (and the layers no other image needs)',
    flags: [{ long: 'force', short: 'f', kind: 'bool', help: 'Force removal of the image' }, helpFlag], minArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    let status = 0;
    for (const ref of ctx.args) {
      try {
        const r = await client.request('image.remove', { ref, force: bool(ctx, 'force') });
        for (const t of r.untagged) ctx.out(`Untagged: ${t}\n`);
        for (const d of r.deleted) ctx.out(`Deleted: ${d}\n`);
      } catch (err) {
        ctx.err(`Error response from daemon: ${(err as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

export const busybox: Command = {
  spec: {
    name: 'busybox', usage: '[NAME[:TAG]]', summary: "Create the built-in image from Debian's busybox-static (default name busybox:latest)",
    flags: [helpFlag], maxArgs: 1,
  },
  async run(ctx) {
    const r = await (await ctx.client()).request('image.busybox', { name: ctx.args[0] });
    ctx.out(`${r.id}\n`);
    return 0;
  },
};
