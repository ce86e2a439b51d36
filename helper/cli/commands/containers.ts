// Container verbs: rename, stop, restart, kill, pause, unpause, rm, wait, commit, diff; ps and
// inspect (their own files) are exported from here too.
import { type FlagSpec, formatFlag, helpFlag, UsageError } from '../args';
import { bool, type Command, type CommandContext, CommandError, list, protocolJson, str } from '../command';
import { json, printable } from '../format';
import { StrataRequestError } from '../../protocol/client';
import { ErrorCode } from '../../protocol/errors';

export { ps } from './ps';
export { inspect } from './inspect';

/** A verb over each container named; ignoreMissing: a container that does not exist is reported
 *  but is no failure (Docker's rm -f, so that clean-up under set -e goes on). */
function eachContainer(name: string, summary: string, extra: Command['spec']['flags'], act: (ctx: CommandContext, ref: string) => Promise<void>, ignoreMissing?: (ctx: CommandContext) => boolean, errorPrefix = (_ref: string) => ''): Command {
  return {
    spec: { name, usage: '[OPTIONS] CONTAINER [CONTAINER...]', summary, flags: [...extra, helpFlag], minArgs: 1 },
    async run(ctx) {
      if (extra.some((f) => f.long === 'time')) stopTimeout(ctx); // a bad value stops before any container
      let code = 0;
      for (const ref of ctx.args) {
        try {
          await act(ctx, ref);
          ctx.out(`${ref}\n`);
        } catch (err) {
          ctx.err(`Error response from daemon: ${errorPrefix(ref)}${(err as Error).message}\n`);
          const missing = err instanceof StrataRequestError && err.code === ErrorCode.NotFound;
          if (!(missing && ignoreMissing?.(ctx))) code = 1;
        }
      }
      return code;
    },
  };
}

/** -t/--timeout (Docker 28's name) or --time (its older one): whole seconds, refused as Docker's
 *  flag parser refuses a bad value. Absent: the container's --stop-timeout, else 10. */
function stopTimeout(ctx: CommandContext): number | undefined {
  const given = str(ctx, 'timeout') !== undefined ? 'timeout' : 'time';
  const t = str(ctx, given);
  if (t === undefined) return undefined;
  if (!/^-?\d+$/.test(t)) throw new UsageError(`invalid argument "${t}" for "${given === 'timeout' ? '-t, --timeout' : '--time'}" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
  return Number(t);
}

const stopFlags: FlagSpec[] = [
  { long: 'timeout', short: 't', kind: 'string', value: 'int', help: "Seconds to wait before killing the container (default: its --stop-timeout, else 10)" },
  { long: 'time', kind: 'string', value: 'int', help: 'Seconds to wait before killing the container (deprecated: use --timeout)' },
];

export const stop = eachContainer('stop', "Stop one or more running containers (its stop signal, SIGTERM by default, then SIGKILL after the timeout)",
  stopFlags,
  async (ctx, ref) => { await (await ctx.client()).request('container.stop', { id: ref, timeout: stopTimeout(ctx) }); });

export const kill = eachContainer('kill', 'Kill one or more running containers',
  [{ long: 'signal', short: 's', kind: 'string', value: 'string', help: 'Signal to send to the container (default "KILL")' }],
  async (ctx, ref) => { await (await ctx.client()).request('container.kill', { id: ref, signal: str(ctx, 'signal') }); },
  undefined, (ref) => `Cannot kill container: ${ref}: `);

export const rename: Command = {
  spec: { name: 'rename', usage: 'CONTAINER NEW_NAME', summary: 'Rename a container', flags: [helpFlag], minArgs: 2, maxArgs: 2 },
  async run(ctx) {
    try {
      await (await ctx.client()).request('container.rename', { id: ctx.args[0], name: ctx.args[1] });
    } catch (err) {
      // Docker's closing line after the daemon's words.
      if (!(err instanceof StrataRequestError)) throw err;
      ctx.err(`Error response from daemon: ${err.message}\n`);
      throw new CommandError(`Error: failed to rename container named ${ctx.args[0]}`);
    }
    return 0;
  },
};

export const restart = eachContainer('restart', 'Restart one or more containers (stop, then start)',
  stopFlags,
  async (ctx, ref) => {
    const client = await ctx.client();
    await client.request('container.stop', { id: ref, timeout: stopTimeout(ctx) });
    await client.request('container.start', { id: ref });
  });

export const pause = eachContainer('pause', 'Pause all processes within one or more containers (the cgroup freezer)', [],
  async (ctx, ref) => { await (await ctx.client()).request('container.pause', { id: ref }); });

export const unpause = eachContainer('unpause', 'Unpause all processes within one or more containers', [],
  async (ctx, ref) => { await (await ctx.client()).request('container.unpause', { id: ref }); });

export const rm = eachContainer('rm', 'Remove one or more containers',
  [
    { long: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
    { long: 'volumes', short: 'v', kind: 'bool', help: 'Remove anonymous volumes associated with the container (accepted: Strata has no volumes)' },
  ],
  async (ctx, ref) => { await (await ctx.client()).request('container.remove', { id: ref, force: bool(ctx, 'force') }); },
  (ctx) => bool(ctx, 'force'));

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
    flags: [
      { long: 'layer', kind: 'string', value: 'LAYER', help: 'Show the changes of this layer (an id from strata history) instead' },
      { ...formatFlag, help: '"json": the changes as a JSON array' }, helpFlag,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    const layer = str(ctx, 'layer');
    if (!layer && ctx.args.length !== 1) throw new UsageError('requires 1 argument (a container), or --layer LAYER', 'args');
    const changes = layer ? await client.request('layer.changes', { id: layer }) : await client.request('container.changes', { id: ctx.args[0] });
    // Docker's diff has no --format; Strata's json is the protocol's list of changes.
    if (protocolJson(ctx)) { ctx.out(json(changes)); return 0; }
    // File names are the container's: on a terminal, their control characters show as '?' (as ls
    // shows them); piped, they go as they are, byte for byte, for scripts (a name that is not UTF-8
    // too: Docker's JSON API turns those into U+FFFD, so docker diff cannot give them back).
    if (process.stdout.isTTY) {
      ctx.out(changes.map((c) => `${c.kind} ${printable(c.path)}\n`).join(''));
      return 0;
    }
    ctx.out(Buffer.concat(changes.map((c) => Buffer.concat([
      Buffer.from(`${c.kind} `), c.pathBytes === undefined ? Buffer.from(c.path) : Buffer.from(c.pathBytes, 'base64'), Buffer.from('\n'),
    ]))));
    return 0;
  },
};
