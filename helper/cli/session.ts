// Connects this terminal to a session in the helper (a container's main process or an exec):
// output to stdout/stderr, stdin to the process, the window size with -t, signals without -t
// (docker's sig-proxy), Ctrl-P Ctrl-Q to detach. Resolves with the process's exit code.
import type { StrataClient } from '../protocol/client';

export interface PipeOptions {
  tty: boolean;
  stdin: boolean;
  /** Input is forwarded once this settles (the container's start): the helper has no process to
   *  give earlier input to, and piped input (`run -i ... < script`) is there at once. Until then
   *  it waits in this process's stdin. */
  stdinAfter?: Promise<unknown>;
}

export function terminalSize(): { cols: number; rows: number } | undefined {
  return process.stdout.isTTY && process.stdout.columns ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined;
}

export const DETACHED = Symbol('detached');

export function pipeSession(client: StrataClient, session: string, opts: PipeOptions): { done: Promise<number | typeof DETACHED> } {
  const disposers: (() => void)[] = [];
  let finish!: (v: number | typeof DETACHED) => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<number | typeof DETACHED>((resolve, reject) => { finish = resolve; fail = reject; });
  client.lost.catch((err) => fail(err));

  disposers.push(client.on('session.output', (p) => {
    if (p.session !== session) return;
    (p.stream === 'stderr' ? process.stderr : process.stdout).write(Buffer.from(p.data, 'base64'));
  }).dispose);
  disposers.push(client.on('session.exit', (p) => { if (p.session === session) finish(p.exitCode); }).dispose);

  const raw = opts.tty && opts.stdin && process.stdin.isTTY;
  if (opts.stdin) {
    if (raw) process.stdin.setRawMode(true);
    let sawCtrlP = false;
    const onData = (chunk: Buffer) => {
      if (raw) {
        // Ctrl-P Ctrl-Q detaches and leaves the container running, as in docker.
        if (sawCtrlP && chunk[0] === 0x11) { finish(DETACHED); return; }
        sawCtrlP = chunk[chunk.length - 1] === 0x10;
      }
      void client.request('session.input', { session, data: chunk.toString('base64') }).catch(() => undefined);
    };
    const onEnd = () => void client.request('session.closeStdin', { session }).catch(() => undefined);
    let disposed = false;
    disposers.push(() => { disposed = true; process.stdin.off('data', onData); process.stdin.off('end', onEnd); process.stdin.pause(); });
    void (opts.stdinAfter ?? Promise.resolve()).catch(() => undefined).then(() => {
      if (disposed) return;
      process.stdin.on('data', onData);
      process.stdin.on('end', onEnd);
    });
  }
  if (opts.tty && process.stdout.isTTY) {
    const onResize = () => {
      const size = terminalSize();
      if (size) void client.request('session.resize', { session, ...size }).catch(() => undefined);
    };
    process.stdout.on('resize', onResize);
    disposers.push(() => process.stdout.off('resize', onResize));
  }
  if (!opts.tty) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
      const forward = () => void client.request('session.signal', { session, signal: sig }).catch(() => undefined);
      process.on(sig, forward);
      disposers.push(() => process.off(sig, forward));
    }
  }
  const cleanup = () => {
    for (const d of disposers) d();
    if (raw) process.stdin.setRawMode(false);
  };
  done.then(cleanup, cleanup);
  return { done };
}
