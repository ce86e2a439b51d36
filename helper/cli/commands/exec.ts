// `strata exec [-i] [-t] CONTAINER CMD...`: a new process in a running container.
import { helpFlag } from '../args';
import { bool, type Command, list, str } from '../command';
import { DETACHED, pipeSession, terminalSize } from '../session';
import { envList, processFlags, requireTerminalInput } from './run';

export const exec: Command = {
  spec: {
    name: 'exec', usage: '[OPTIONS] CONTAINER COMMAND [ARG...]', summary: 'Execute a command in a running container',
    flags: [
      ...processFlags,
      { long: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: run command in the background' },
      helpFlag,
    ],
    stopAtPositional: true, minArgs: 2,
  },
  // A container that is missing, stopped or paused is an error the daemon reports: exit 1, as
  // Docker's (126 and 127 are the process's own: a command that cannot be run).
  async run(ctx) {
    const [container, ...cmd] = ctx.args;
    if (!bool(ctx, 'detach')) requireTerminalInput(ctx);
    const tty = bool(ctx, 'tty');
    const openStdin = bool(ctx, 'interactive');
    const client = await ctx.client();
    const { session } = await client.request('container.exec', {
      id: container, cmd, tty, openStdin, env: envList(list(ctx, 'env')), workdir: str(ctx, 'workdir'), user: str(ctx, 'user'),
    });
    if (bool(ctx, 'detach')) {
      await client.request('session.detach', { session });
      await client.request('exec.start', { session });
      return 0;
    }
    // Input is forwarded once the process exists: piped input is there at once, and the helper
    // has nowhere to put it before exec.start.
    const started = client.request('exec.start', { session, size: tty ? terminalSize() : undefined });
    const piped = pipeSession(client, session, { tty, stdin: openStdin, stdinAfter: started });
    await started;
    const code = await piped.done;
    return code === DETACHED ? 0 : code;
  },
};
