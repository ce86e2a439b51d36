// Container verbs: ps, rename, stop, restart, kill, pause, unpause, rm, wait, commit, diff, inspect.
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, list, str, wantsJson } from '../command';
import { ago, duration, json, printable, table, truncate } from '../format';
import { CONTAINER_FILTERS, containerMatches, parseFilters } from '../filters';
import type { ContainerSummary } from '../../protocol/types';
import { StrataRequestError } from '../../protocol/client';
import { ErrorCode } from '../../protocol/errors';

function status(c: ContainerSummary): string {
  if (c.status === 'running' && c.startedAt) return `Up ${duration(c.startedAt)}${c.paused ? ' (Paused)' : ''}`;
  if (c.status === 'exited' && c.finishedAt) return `Exited (${c.exitCode}) ${ago(c.finishedAt)}`;
  return 'Created';
}

export const ps: Command = {
  spec: {
    name: 'ps', usage: '[OPTIONS]', summary: 'List containers',
    flags: [
      { long: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
      { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { long: 'filter', short: 'f', kind: 'list', value: 'filter', help: `Filter output (${CONTAINER_FILTERS.join(', ')}: e.g. status=exited)` },
      formatFlag, helpFlag,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const filters = parseFilters(list(ctx, 'filter'), CONTAINER_FILTERS, 'ps');
    // As Docker: a status or exited filter looks at every container, not just the running ones.
    const all = bool(ctx, 'all') || filters.has('status') || filters.has('exited');
    const found = (await (await ctx.client()).request('containers.list', { all })).filter((c) => containerMatches(c, filters));
    if (wantsJson(ctx)) { ctx.out(json(found)); return 0; }
    if (bool(ctx, 'quiet')) { ctx.out(found.map((c) => `${c.id.slice(0, 12)}\n`).join('')); return 0; }
    const full = bool(ctx, 'no-trunc');
    ctx.out(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'], found.map((c) => [
      full ? c.id : c.id.slice(0, 12), c.image, JSON.stringify(full ? c.command.join(' ') : truncate(c.command.join(' '), 20)), ago(c.created), status(c), c.name,
    ])));
    return 0;
  },
};

function eachContainer(name: string, summary: string, extra: Command['spec']['flags'], act: (ctx: Parameters<Command['run']>[0], ref: string) => Promise<void>): Command {
  return {
    spec: { name, usage: '[OPTIONS] CONTAINER [CONTAINER...]', summary, flags: [...extra, helpFlag], minArgs: 1 },
    async run(ctx) {
      let code = 0;
      for (const ref of ctx.args) {
        try {
          await act(ctx, ref);
          ctx.out(`${ref}\n`);
        } catch (err) {
          ctx.err(`Error response from daemon: ${(err as Error).message}\n`);
          code = 1;
        }
      }
      return code;
    },
  };
}

export const stop = eachContainer('stop', 'Stop one or more running containers (SIGTERM, then SIGKILL after the timeout)',
  [{ long: 'time', short: 't', kind: 'string', value: 'int', help: 'Seconds to wait for stop before killing it (default 10)' }],
  async (ctx, ref) => { await (await ctx.client()).request('container.stop', { id: ref, timeout: str(ctx, 'time') === undefined ? undefined : Number(str(ctx, 'time')) }); });

export const kill = eachContainer('kill', 'Kill one or more running containers',
  [{ long: 'signal', short: 's', kind: 'string', value: 'string', help: 'Signal to send to the container (default "KILL")' }],
  async (ctx, ref) => { await (await ctx.client()).request('container.kill', { id: ref, signal: str(ctx, 'signal') }); });

export const rename: Command = {
  spec: { name: 'rename', usage: 'CONTAINER NEW_NAME', summary: 'Rename a container', flags: [helpFlag], minArgs: 2, maxArgs: 2 },
  async run(ctx) {
    await (await ctx.client()).request('container.rename', { id: ctx.args[0], name: ctx.args[1] });
    return 0;
  },
};

export const restart = eachContainer('restart', 'Restart one or more containers (stop, then start)',
  [{ long: 'time', short: 't', kind: 'string', value: 'int', help: 'Seconds to wait for stop before killing it (default 10)' }],
  async (ctx, ref) => {
    const client = await ctx.client();
    await client.request('container.stop', { id: ref, timeout: str(ctx, 'time') === undefined ? undefined : Number(str(ctx, 'time')) });
    await client.request('container.start', { id: ref });
  });

export const pause = eachContainer('pause', 'Pause all processes within one or more containers (the cgroup freezer)', [],
  async (ctx, ref) => { await (await ctx.client()).request('container.pause', { id: ref }); });

export const unpause = eachContainer('unpause', 'Unpause all processes within one or more containers', [],
  async (ctx, ref) => { await (await ctx.client()).request('container.unpause', { id: ref }); });

export const rm = eachContainer('rm', 'Remove one or more containers',
  [{ long: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' }],
  async (ctx, ref) => { await (await ctx.client()).request('container.remove', { id: ref, force: bool(ctx, 'force') }); });

export const wait: Command = {
  spec: { name: 'wait', usage: 'CONTAINER [CONTAINER...]', summary: 'Block until one or more containers stop, then print their exit codes', flags: [helpFlag], minArgs: 1 },
  async run(ctx) {
    const client = await ctx.client();
    for (const ref of ctx.args) ctx.out(`${(await client.request('container.wait', { id: ref })).exitCode}\n`);
    return 0;
  },
};

export const commit: Command = {
  spec: {
    name: 'commit', usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    summary: "Create a new image from a container's changes: a new layer holding only the difference",
    flags: [
      { long: 'message', short: 'm', kind: 'string', value: 'string', help: 'Commit message' },
      { long: 'author', short: 'a', kind: 'string', value: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { long: 'change', short: 'c', kind: 'list', value: 'list', help: 'Apply Dockerfile instruction to the created image' },
      { long: 'pause', short: 'p', kind: 'bool', help: 'Pause container during commit (default true)' },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 2,
  },
  async run(ctx) {
    const [id, ref] = ctx.args;
    const r = await (await ctx.client()).request('container.commit', {
      id, ref, message: str(ctx, 'message'), author: str(ctx, 'author'), changes: list(ctx, 'change'), pause: ctx.flags.pause === false ? false : undefined,
    });
    ctx.out(`${r.id}\n`);
    return 0;
  },
};

export const diff: Command = {
  spec: {
    name: 'diff', usage: '[OPTIONS] CONTAINER | --layer LAYER',
    summary: "Inspect changes to files on a container's filesystem (A added, C changed, D deleted), or the changes one layer makes to its parent",
    flags: [{ long: 'layer', kind: 'string', value: 'LAYER', help: 'Show the changes of this layer (an id from strata history) instead' }, formatFlag, helpFlag],
    maxArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    const layer = str(ctx, 'layer');
    if (!layer && ctx.args.length !== 1) throw new Error('"strata diff" requires exactly 1 argument (a container), or --layer LAYER');
    const changes = layer ? await client.request('layer.changes', { id: layer }) : await client.request('container.changes', { id: ctx.args[0] });
    if (wantsJson(ctx)) { ctx.out(json(changes)); return 0; }
    // File names are the container's: on a terminal, their control characters show as '?' (as ls
    // shows them); piped, they go as they are, for scripts.
    const shown = process.stdout.isTTY ? printable : (p: string) => p;
    ctx.out(changes.map((c) => `${c.kind} ${shown(c.path)}\n`).join(''));
    return 0;
  },
};

export const inspect: Command = {
  spec: {
    name: 'inspect', usage: 'NAME|ID [NAME|ID...]', summary: 'Return low-level information on containers, images or layers, as JSON',
    flags: [{ long: 'type', kind: 'string', value: 'string', help: 'Only look for this type: container, image or layer' }, helpFlag], minArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    const type = str(ctx, 'type');
    const found: unknown[] = [];
    let code = 0;
    for (const ref of ctx.args) {
      const tries: [string, () => Promise<unknown>][] = [
        ['container', () => client.request('container.inspect', { id: ref })],
        // verify: each layer's tar is made again, so a folder changed behind Strata's back shows
        // here (tarVerified, tarProblem) before save or push refuses it.
        ['image', () => client.request('image.inspect', { ref, verify: true })],
        ['layer', () => client.request('layer.inspect', { id: ref, verify: true })],
      ];
      let hit: unknown;
      for (const [kind, get] of tries) {
        if (type && type !== kind) continue;
        try { hit = { Type: kind, ...(await get() as object) }; break; } catch (err) {
          if (!(err instanceof StrataRequestError) || (err.code !== ErrorCode.NotFound && err.code !== ErrorCode.InvalidParams)) throw err;
        }
      }
      if (hit) found.push(hit);
      else { ctx.err(`Error: No such object: ${ref}\n`); code = 1; }
    }
    ctx.out(json(found));
    return code;
  },
};

