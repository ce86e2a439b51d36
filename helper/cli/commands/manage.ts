// Docker's management commands: `strata container VERB` and `strata image VERB` name the same
// commands as the top-level verbs (container ls = ps, image rm = rmi, ...), plus `prune` of each
// (the engine's containers.prune and images.prune): stopped containers; dangling (untagged)
// images, or with -a every image that no container uses.
import { createInterface } from 'node:readline';
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, type CommandContext, wantsJson } from '../command';
import { ago, humanSize, json, table, truncate } from '../format';

/** Docker's confirmation: a line from stdin, yes only for y or Y. */
async function confirmed(ctx: CommandContext, warning: string): Promise<boolean> {
  if (bool(ctx, 'force')) return true;
  ctx.out(`WARNING! ${warning}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^[yY]$/.test(line.trim());
}

/** Docker's report of a prune: a title and a line for each thing removed, nothing when none was. */
function printRemoved(ctx: CommandContext, title: string, lines: string[]): number {
  if (lines.length) ctx.out(`${title}:\n${lines.join('\n')}\n\n`);
  return 0;
}

const forceFlag = { long: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' } as const;

export const containerPrune: Command = {
  spec: { name: 'container prune', usage: '[OPTIONS]', summary: 'Remove all stopped containers', flags: [forceFlag, helpFlag], maxArgs: 0 },
  async run(ctx) {
    if (!(await confirmed(ctx, 'This will remove all stopped containers.'))) return 0;
    const { deleted } = await (await ctx.client()).request('containers.prune', {});
    return printRemoved(ctx, 'Deleted Containers', deleted);
  },
};

export const imagePrune: Command = {
  spec: {
    name: 'image prune', usage: '[OPTIONS]', summary: 'Remove dangling (untagged) images, or with -a every image no container uses',
    flags: [{ long: 'all', short: 'a', kind: 'bool', help: 'Remove all images without a container, not just dangling ones' }, forceFlag, helpFlag],
    maxArgs: 0,
  },
  async run(ctx) {
    const all = bool(ctx, 'all');
    if (!(await confirmed(ctx, all ? 'This will remove all images without at least one container associated to them.' : 'This will remove all dangling images.'))) return 0;
    const r = await (await ctx.client()).request('images.prune', { all });
    return printRemoved(ctx, 'Deleted Images', [...r.untagged.map((t) => `untagged: ${t}`), ...r.deleted.map((d) => `deleted: ${d}`)]);
  },
};

/** A size and its share of a total, as docker prints reclaimable space: "11.6MB (70%)". */
function share(part: number, total: number): string {
  return `${humanSize(part)} (${total ? Math.round((part / total) * 100) : 0}%)`;
}

export const systemDf: Command = {
  spec: {
    name: 'system df', usage: '[OPTIONS]', summary: "Show the store's disk usage: images (what layers share) and containers (what they wrote)",
    flags: [{ long: 'verbose', short: 'v', kind: 'bool', help: 'Show each image and container' }, formatFlag, helpFlag],
    maxArgs: 0,
  },
  async run(ctx) {
    const df = await (await ctx.client()).request('system.df', {});
    if (wantsJson(ctx)) { ctx.out(json(df)); return 0; }
    const { images, containers } = df.totals;
    ctx.out(table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], [
      ['Images', String(images.count), String(images.active), humanSize(images.size), share(images.reclaimable, images.size)],
      ['Containers', String(containers.count), String(containers.active), humanSize(containers.size), share(containers.reclaimable, containers.size)],
    ]));
    if (!bool(ctx, 'verbose')) return 0;
    ctx.out('\nImages space usage:\n\n');
    ctx.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], df.images.flatMap((i) =>
      (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => {
        const colon = t.lastIndexOf(':');
        return [t.slice(0, colon), t.slice(colon + 1), i.id.slice(7, 19), ago(i.created), humanSize(i.size), humanSize(i.sharedSize), humanSize(i.uniqueSize), String(i.containers)];
      }))));
    ctx.out('\nContainers space usage:\n\n');
    ctx.out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], df.containers.map((c) => [
      c.id.slice(0, 12), c.image, JSON.stringify(truncate(c.command.join(' '), 20)),
      c.changesInLayer ? `${humanSize(c.size)} (changes in layer ${c.changesInLayer.slice(7, 19)})` : humanSize(c.size), ago(c.created), c.status, c.name,
    ])));
    return 0;
  },
};

/** `strata container ls` and the like: the command the management form names, or undefined. */
export function managementCommand(group: string, verb: string | undefined, find: (name: string) => Command | undefined): Command | undefined {
  const aliases: Record<string, Record<string, string | Command>> = {
    container: { ls: 'ps', list: 'ps', prune: containerPrune, ps: 'ps', top: 'top', stats: 'stats', rename: 'rename', run: 'run', create: 'create', start: 'start', attach: 'attach', exec: 'exec', logs: 'logs', stop: 'stop', restart: 'restart', kill: 'kill', pause: 'pause', unpause: 'unpause', rm: 'rm', wait: 'wait', commit: 'commit', diff: 'diff', inspect: 'inspect' },
    image: { ls: 'images', list: 'images', prune: imagePrune, rm: 'rmi', history: 'history', import: 'import', inspect: 'inspect', tag: 'tag' },
    system: { df: systemDf, check: 'check' },
  };
  const target = verb === undefined ? undefined : aliases[group]?.[verb];
  return typeof target === 'string' ? find(target) : target;
}

export const MANAGEMENT_GROUPS = {
  container: 'Manage containers: ls, prune, and the container verbs (container rm = rm, ...)',
  image: 'Manage images: ls, rm, prune, history, import, inspect, tag',
  system: 'Manage the store: df (disk usage: what layers share, what containers wrote), check (= check, as podman system check)',
};
