// run, create, start, attach: docker's container lifecycle verbs. run = create + attach + start,
// attached before the start so no output is lost.
import { helpFlag, type FlagSpec } from '../args';
import { bool, type Command, type CommandContext, CommandError, list, str } from '../command';
import { DETACHED, pipeSession, terminalSize } from '../session';
import { StrataRequestError, type StrataClient } from '../../protocol/client';
import type { ContainerOptions } from '../../protocol/types';
import { envEntries, runFlagNotes, runFlagOptions, runFlags } from '../run-flags';
import { writeCidFile, checkCidFile } from '../cidfile';

/** The flags a process in a container takes, shared by run, create and exec. */
export const processFlags: FlagSpec[] = [
  { long: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
  { long: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY (from the container\'s own devpts)' },
  { long: 'env', short: 'e', kind: 'list', value: 'list', help: 'Set environment variables (KEY=VALUE, or KEY to copy it from here; left out when not set here)' },
  { long: 'workdir', short: 'w', kind: 'string', value: 'string', help: 'Working directory inside the container' },
  { long: 'user', short: 'u', kind: 'string', value: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
];

const createFlags: FlagSpec[] = [
  ...processFlags,
  { long: 'name', kind: 'string', value: 'string', help: 'Assign a name to the container' },
  { long: 'entrypoint', kind: 'string', value: 'string', help: 'Overwrite the default ENTRYPOINT of the image ("" clears it; the image\'s CMD is then not used)' },
  { long: 'hostname', kind: 'string', value: 'string', help: "Container host name (default: the container's short id)" },
  { long: 'network', kind: 'string', value: 'mode', help: 'none (the default: only a loopback interface) or host' },
  { long: 'memory', short: 'm', kind: 'string', value: 'bytes', help: 'Memory limit (bytes, or with a unit: 512m, 1g)' },
  { long: 'pids-limit', kind: 'string', value: 'int', help: 'Tune container pids limit (default 4096)' },
  { long: 'rm', kind: 'bool', help: 'Automatically remove the container when it exits' },
  ...runFlags,
];

/** Docker refuses -i -t when its own input is not a terminal: there is no terminal to put in raw
 *  mode and hand to the container (`echo | docker run -it img` says so and exits 1). */
export function requireTerminalInput(ctx: CommandContext): void {
  if (bool(ctx, 'interactive') && bool(ctx, 'tty') && !process.stdin.isTTY) throw new CommandError('the input device is not a TTY');
}

/** KEY=VALUE as given, or KEY alone: copied from this environment when set there, and left out
 *  (not KEY="") when not, as docker does. */
export function envList(values: string[]): string[] {
  return envEntries(values);
}

export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size: ${JSON.stringify(text)} (use bytes or a unit: 512m, 1g)`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * unit);
}

function containerOptions(ctx: CommandContext, cmd: string[]): ContainerOptions {
  const network = str(ctx, 'network') ?? 'none';
  if (network !== 'none' && network !== 'host') throw new Error(`--network ${network}: only "none" and "host" are supported`);
  const pids = str(ctx, 'pids-limit');
  if (pids !== undefined && !/^\d+$/.test(pids)) throw new Error(`--pids-limit ${pids}: expected a positive integer`);
  const memory = str(ctx, 'memory');
  const { envFromFiles, ...flagged } = runFlagOptions(ctx);
  return {
    ...flagged,
    cmd: cmd.length ? cmd : undefined,
    entrypoint: str(ctx, 'entrypoint'),
    tty: bool(ctx, 'tty'),
    openStdin: bool(ctx, 'interactive'),
    name: str(ctx, 'name'),
    env: [...envFromFiles, ...envList(list(ctx, 'env'))],
    workdir: str(ctx, 'workdir'),
    user: str(ctx, 'user'),
    hostname: str(ctx, 'hostname'),
    network,
    memory: memory === undefined ? undefined : parseBytes(memory),
    pidsLimit: pids === undefined ? undefined : Number(pids),
    autoRemove: bool(ctx, 'rm'),
  };
}

/** Attaches, starts (unless already running), and waits: the exit code of the container. */
async function attachAndRun(client: StrataClient, id: string, stdin: boolean, start: boolean): Promise<number> {
  const att = await client.request('container.attach', { id, stdin });
  const started = start ? client.request('container.start', { id, size: att.tty ? terminalSize() : undefined }) : undefined;
  const piped = pipeSession(client, att.session, { tty: att.tty, stdin, stdinAfter: started });
  if (started) await started;
  else if (!att.running) throw new Error(`You cannot attach to a stopped container, start it first`);
  else if (att.tty && terminalSize()) await client.request('session.resize', { session: att.session, ...terminalSize()! });
  const code = await piped.done;
  if (code === DETACHED) { process.stderr.write('\nread escape sequence\n'); return 0; }
  return code;
}

export const run: Command = {
  spec: {
    name: 'run', usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create and run a new container from an image (CMD defaults to the image\'s, else /bin/sh)',
    flags: [...createFlags, { long: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' }, helpFlag],
    stopAtPositional: true, minArgs: 1,
    notes: [
      'The container gets new pid, mount, uts, ipc, cgroup and network namespaces (--network none by default,',
      "so it has only a loopback interface), its hostname is its short id, and the exit code of",
      'strata run is the exit code of the command. Detach from -it with Ctrl-P Ctrl-Q.',
      ...runFlagNotes,
    ],
  },
  errorExitCode: 125,
  async run(ctx) {
    try {
      return await runContainer(ctx);
    } catch (err) {
      // Docker's run puts its name and the help line around what the daemon said (and exits 125,
      // or 126/127 when the command could not be started).
      if (!(err instanceof StrataRequestError)) throw err;
      const code = typeof err.data?.exitCode === 'number' ? err.data.exitCode : 125;
      throw new CommandError(`strata: Error response from daemon: ${err.message}\n\nRun 'strata run --help' for more information`, code);
    }
  },
};

/** run = create + attach + start; its daemon errors are dressed as Docker's by run above. */
async function runContainer(ctx: CommandContext): Promise<number> {
  const [image, ...cmd] = ctx.args;
  const options = containerOptions(ctx, cmd);
  const detach = bool(ctx, 'detach');
  if (!detach) requireTerminalInput(ctx);
  if (detach && options.autoRemove === undefined) options.autoRemove = false;
  const cidfile = str(ctx, 'cidfile');
  if (cidfile !== undefined) checkCidFile(cidfile, 'run');
  const client = await ctx.client();
  const { id } = await client.request('container.create', { image, options });
  if (cidfile !== undefined) writeCidFile(cidfile, id);
  if (detach) {
    await client.request('container.start', { id });
    ctx.out(`${id}\n`);
    return 0;
  }
  return attachAndRun(client, id, options.openStdin, true);
}

export const create: Command = {
  spec: { name: 'create', usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', summary: 'Create a new container', flags: [...createFlags, helpFlag], stopAtPositional: true, minArgs: 1, notes: runFlagNotes },
  async run(ctx) {
    const [image, ...cmd] = ctx.args;
    const options = containerOptions(ctx, cmd);
    const cidfile = str(ctx, 'cidfile');
    if (cidfile !== undefined) checkCidFile(cidfile, 'create');
    const { id } = await (await ctx.client()).request('container.create', { image, options });
    if (cidfile !== undefined) writeCidFile(cidfile, id);
    ctx.out(`${id}\n`);
    return 0;
  },
};

export const start: Command = {
  spec: {
    name: 'start', usage: '[OPTIONS] CONTAINER [CONTAINER...]', summary: 'Start one or more stopped containers',
    flags: [
      { long: 'attach', short: 'a', kind: 'bool', help: 'Attach STDOUT/STDERR and forward signals' },
      { long: 'interactive', short: 'i', kind: 'bool', help: "Attach container's STDIN" },
      helpFlag,
    ],
    minArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    if (bool(ctx, 'attach') || bool(ctx, 'interactive')) {
      if (ctx.args.length > 1) throw new Error('you cannot start and attach multiple containers at once');
      return attachAndRun(client, ctx.args[0], bool(ctx, 'interactive'), true);
    }
    // Docker goes on with the next container, then names the ones that did not start.
    const failed: string[] = [];
    for (const ref of ctx.args) {
      try {
        await client.request('container.start', { id: ref });
        ctx.out(`${ref}\n`);
      } catch (err) {
        if (!(err instanceof StrataRequestError)) throw err;
        ctx.err(`Error response from daemon: ${err.message}\n`);
        failed.push(ref);
      }
    }
    if (failed.length) throw new CommandError(`Error: failed to start containers: ${failed.join(', ')}`);
    return 0;
  },
};

export const attach: Command = {
  spec: {
    name: 'attach', usage: '[OPTIONS] CONTAINER', summary: "Attach local standard input, output, and error streams to a running container",
    flags: [{ long: 'no-stdin', kind: 'bool', help: 'Do not attach STDIN' }, helpFlag], minArgs: 1, maxArgs: 1,
  },
  async run(ctx) {
    const client = await ctx.client();
    const info = await client.request('container.inspect', { id: ctx.args[0] });
    const stdin = info.options.openStdin && !bool(ctx, 'no-stdin');
    return attachAndRun(client, info.id, stdin, false);
  },
};
