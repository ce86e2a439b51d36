// Docker's management commands: `strata container VERB` and `strata image VERB` name the same
// commands as the top-level verbs (container ls = ps, image rm = rmi, ...), plus `prune` of each
// (the engine's containers.prune and images.prune): stopped containers; dangling (untagged)
// images, or with -a every image that no container uses.
import { createInterface } from 'node:readline';
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, type CommandContext, CommandError, str } from '../command';
import { renderList } from '../docker-format';
import { commandLine, DISK_USAGE_LIST, diskUsageRows } from '../docker-rows';
import { ago, humanSize, table, truncate } from '../format';
import { goQuote } from '../template';
import type { DiskUsage } from '../../protocol/types';

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

/** Docker's report of a prune: a title and a line for each thing removed (nothing when none was),
 *  then the space it gave back (go-units HumanSize). */
function printRemoved(ctx: CommandContext, title: string, lines: string[], reclaimed: number): number {
  if (lines.length) ctx.out(`${title}:\n${lines.join('\n')}\n\n`);
  ctx.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
  return 0;
}

/** What a prune gave back: the store's bytes of that kind before, less after (shared layers once). */
async function pruned<T>(ctx: CommandContext, kind: keyof DiskUsage['totals'], prune: () => Promise<T>): Promise<[T, number]> {
  const client = await ctx.client();
  const before = (await client.request('system.df', {})).totals[kind].size;
  const result = await prune();
  const after = (await client.request('system.df', {})).totals[kind].size;
  return [result, Math.max(0, before - after)];
}

const forceFlag = { long: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' } as const;

export const containerPrune: Command = {
  spec: { name: 'container prune', usage: '[OPTIONS]', summary: 'Remove all stopped containers', flags: [forceFlag, helpFlag], maxArgs: 0 },
  async run(ctx) {
    if (!(await confirmed(ctx, 'This will remove all stopped containers.'))) return 0;
    const client = await ctx.client();
    const [{ deleted }, reclaimed] = await pruned(ctx, 'containers', () => client.request('containers.prune', {}));
    return printRemoved(ctx, 'Deleted Containers', deleted, reclaimed);
  },
};

export const imagePrune: Command = {
  spec: {
    name: 'image prune', usage: '[OPTIONS]', summary: 'Remove dangling (untagged) images, or with -a every image no container uses',
    flags: [{ long: 'all', short: 'a', kind: 'bool', help: 'Remove all images without a container, not just dangling ones' }, forceFlag, helpFlag],
    maxArgs: 0,
    notes: [
      'The build cache goes with the images that hold it: the <none> images a multi-stage build leaves',
      'hold its earlier stages\' steps, so pruning them means those steps run again next time.',
    ],
  },
  async run(ctx) {
    const all = bool(ctx, 'all');
    if (!(await confirmed(ctx, all ? 'This will remove all images without at least one container associated to them.' : 'This will remove all dangling images.'))) return 0;
    const client = await ctx.client();
    const [r, reclaimed] = await pruned(ctx, 'images', () => client.request('images.prune', { all }));
    return printRemoved(ctx, 'Deleted Images', [...r.untagged.map((t) => `untagged: ${t}`), ...r.deleted.map((d) => `deleted: ${d}`)], reclaimed);
  },
};

export const systemDf: Command = {
  spec: {
    name: 'system df', usage: '[OPTIONS]', summary: "Show the store's disk usage: images (what layers share) and containers (what they wrote)",
    flags: [formatFlag, { long: 'verbose', short: 'v', kind: 'bool', help: 'Show each image and container' }, helpFlag],
    maxArgs: 0,
  },
  async run(ctx) {
    const df = await (await ctx.client()).request('system.df', {});
    const format = str(ctx, 'format');
    if (!bool(ctx, 'verbose')) { ctx.out(renderList(format, DISK_USAGE_LIST, diskUsageRows(df))); return 0; }
    if (format !== undefined && format !== 'table') throw new CommandError('--format with --verbose is not supported: use --format without -v, or -v alone');
    ctx.out(renderList(undefined, DISK_USAGE_LIST, diskUsageRows(df)));
    ctx.out('\nImages space usage:\n\n');
    ctx.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], df.images.flatMap((i) =>
      (i.repoTags.length ? i.repoTags : ['<none>:<none>']).map((t) => {
        const colon = t.lastIndexOf(':');
        return [t.slice(0, colon), t.slice(colon + 1), i.id.slice(7, 19), ago(i.created), humanSize(i.size), humanSize(i.sharedSize), humanSize(i.uniqueSize), String(i.containers)];
      }))));
    ctx.out('\nContainers space usage:\n\n');
    ctx.out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], df.containers.map((c) => [
      c.id.slice(0, 12), c.image, goQuote(truncate(commandLine(c.command), 20)),
      c.changesInLayer ? `${humanSize(c.size)} (changes in layer ${c.changesInLayer.slice(7, 19)})` : humanSize(c.size), ago(c.created), c.status, c.name,
    ])));
    return 0;
  },
};

/** `strata container ls` and the like: the command the management form names, or undefined: its
 *  own (prune, df), or what `find` gives for the verb it stands for (main.ts gives the promise of
 *  one: it loads a command when it runs). */
export function managementCommand<T>(group: string, verb: string | undefined, find: (name: string) => T): Command | T | undefined {
  const aliases: Record<string, Record<string, string | Command>> = {
    container: { ls: 'ps', list: 'ps', prune: containerPrune, ps: 'ps', top: 'top', stats: 'stats', rename: 'rename', run: 'run', create: 'create', start: 'start', attach: 'attach', exec: 'exec', logs: 'logs', stop: 'stop', restart: 'restart', kill: 'kill', pause: 'pause', unpause: 'unpause', rm: 'rm', wait: 'wait', commit: 'commit', diff: 'diff', inspect: 'inspect', export: 'export' },
    image: { ls: 'images', list: 'images', prune: imagePrune, rm: 'rmi', history: 'history', import: 'import', inspect: 'inspect', tag: 'tag', save: 'save', load: 'load' },
    system: { df: systemDf, check: 'check', info: 'info' },
  };
  const target = verb === undefined ? undefined : aliases[group]?.[verb];
  return typeof target === 'string' ? find(target) : target;
}

export const MANAGEMENT_GROUPS = {
  container: 'Manage containers: ls, prune, and the container verbs (container rm = rm, ...)',
  image: 'Manage images: ls, rm, prune, history, import, inspect, tag, save, load',
  system: 'Manage the store: df (disk usage: what layers share, what containers wrote), check (= check, as podman system check), info (= info)',
};
