// Image verbs: images, history, tag, rmi, busybox.
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, list as listFlag, str } from '../command';
import { renderList } from '../docker-format';
import { HISTORY_LIST, historyRow, IMAGE_LIST, imageRows } from '../docker-rows';
import { IMAGE_FILTERS, imageNamesMatching, parseFilters } from '../filters';
import type { StrataClient } from '../../protocol/client';
import type { HistoryEntry, ImageSummary } from '../../protocol/types';

/** Every image's layer chain ids (base first): which image is built on which, as Strata's graph
 *  knows it (an image's chain is a prefix of the one built on it). */
async function imageChains(client: StrataClient, list: ImageSummary[]): Promise<Map<string, string[]>> {
  const chains = new Map<string, string[]>();
  for (const i of list) chains.set(i.id, (await client.request('image.inspect', { ref: i.id })).layers.map((l) => l.id));
  return chains;
}

/** An untagged image that another image is built on is an intermediate one: docker images leaves it out. */
function isIntermediate(id: string, chains: Map<string, string[]>): boolean {
  const mine = chains.get(id)!;
  const top = mine[mine.length - 1];
  return [...chains].some(([other, layers]) => other !== id && layers.length > mine.length && layers[mine.length - 1] === top);
}

export const images: Command = {
  spec: {
    name: 'images', usage: '[OPTIONS] [REPOSITORY[:TAG]]', summary: 'List images',
    flags: [
      { long: 'filter', short: 'f', kind: 'list', value: 'filter', help: `Filter output based on conditions provided (${IMAGE_FILTERS.join(', ')}: e.g. dangling=true, reference='bu*')` },
      formatFlag,
      { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
      { long: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
      { long: 'digests', kind: 'bool', help: 'Show digests (<none>: Strata has no registry, so no image has a repository digest)' },
      helpFlag,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const filters = parseFilters(listFlag(ctx, 'filter'), IMAGE_FILTERS);
    // docker images REPO[:TAG] is a reference filter, an alternative to any given with --filter.
    if (ctx.args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), ctx.args[0]]);
    const client = await ctx.client();
    const all = (await client.request('images.list', {})).sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    const chains = all.some((i) => i.repoTags.length === 0) ? await imageChains(client, all) : undefined;
    const trunc = !bool(ctx, 'no-trunc');
    const rows = all.flatMap((img) => {
      if (!bool(ctx, 'all') && img.repoTags.length === 0 && chains && isIntermediate(img.id, chains)) return [];
      const names = imageNamesMatching(img, filters);
      return names === undefined ? [] : imageRows(img, trunc, names);
    });
    let format = str(ctx, 'format');
    // Docker: -q prints IDs unless a template of one's own is given.
    if (bool(ctx, 'quiet') && (format === undefined || format === 'table')) format = '{{.ID}}';
    // --digests: Docker's default table with DIGEST after TAG
    else if (bool(ctx, 'digests') && (format === undefined || format === 'table')) format = IMAGE_LIST.defaultTable.replace('{{.Tag}}\t', '{{.Tag}}\t{{.Digest}}\t');
    ctx.out(renderList(format, IMAGE_LIST, rows));
    return 0;
  },
};

/** Which local image each layer of a history is the top of: Docker's IMAGE column. The image's own
 *  top row is the image; a lower row is an image built to that layer (the newest not newer than
 *  this one), else <missing>. */
async function historyImages(client: StrataClient, ref: string, entries: HistoryEntry[]): Promise<(string | undefined)[]> {
  const self = await client.request('image.inspect', { ref });
  const list = await client.request('images.list', {});
  const chains = await imageChains(client, list);
  const created = new Map(list.map((i) => [i.id, Date.parse(i.created)]));
  const selfCreated = Date.parse(self.config.created);
  return entries.map((e, n) => {
    if (n === 0) return self.id;
    if (e.id === '<missing>') return undefined;
    const candidates = [...chains].filter(([id, layers]) => id !== self.id && layers[layers.length - 1] === e.id && created.get(id)! <= selfCreated);
    candidates.sort(([a], [b]) => created.get(b)! - created.get(a)!);
    return candidates[0]?.[0];
  });
}

export const history: Command = {
  spec: {
    name: 'history', usage: '[OPTIONS] IMAGE', summary: 'Show the history of an image: its layers, newest first',
    flags: [
      formatFlag,
      { long: 'human', short: 'H', kind: 'bool', help: 'Print sizes and dates in human readable format (default true)' },
      { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 1,
    notes: ["IMAGE is the local image each layer is the top of, as Docker shows it; {{.Layer}} in a --format template is the layer's own id."],
  },
  async run(ctx) {
    const client = await ctx.client();
    const entries = await client.request('image.history', { ref: ctx.args[0] });
    const ids = await historyImages(client, ctx.args[0], entries);
    const trunc = !bool(ctx, 'no-trunc');
    const human = ctx.flags.human !== false;
    let format = str(ctx, 'format');
    if (format === undefined || format === 'table') {
      format = bool(ctx, 'quiet') ? '{{.ID}}' : human ? undefined : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    }
    ctx.out(renderList(format, HISTORY_LIST, entries.map((e, n) => historyRow(e, ids[n], trunc, human))));
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
