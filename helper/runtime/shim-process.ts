// Starts strata-shim and turns its control channel (fd 3, text lines) into a ContainerProcess.
//   shim -> us: "pid <n>" (started), "error <text>" (setup failed), "exit <code>"
//   us -> shim: "resize <cols> <rows>", "signal <n>"
// If this process dies, fd 3 closes and the shim kills the container: nothing is left unowned.
import { execa } from 'execa';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { nativeTool } from '../native';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { ContainerStartError } from './errors';
import { signalNumber } from './signals';
import type { ContainerProcess } from './types';

export interface ShimStart {
  args: string[];
  tty: boolean;
  openStdin: boolean;
  /** Runs after the process ended and before `exited` resolves (e.g. removing cgroups). */
  afterExit?: () => Promise<void>;
}

class ShimContainer implements ContainerProcess {
  pid = 0;
  constructor(
    readonly stdin: NodeJS.WritableStream | null,
    readonly stdout: NodeJS.ReadableStream,
    readonly stderr: NodeJS.ReadableStream | null,
    readonly exited: Promise<number>,
    private readonly ctl: Duplex,
    private readonly isDone: () => boolean,
  ) {}

  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols > 65535 || rows > 65535) {
      throw new StrataError(ErrorCode.InvalidParams, `terminal size must be 1..65535: ${cols}x${rows}`);
    }
    this.send(`resize ${cols} ${rows}`);
  }

  signal(sig: NodeJS.Signals | number): void {
    this.send(`signal ${signalNumber(sig)}`);
  }

  private send(line: string): void {
    if (this.isDone() || !this.ctl.writable) return; // the process is gone: nothing to tell
    this.ctl.write(`${line}\n`);
  }
}

/** Node discards a child's unread output when the child exits (child_process flushStdio), and a
 *  short-lived container can exit before the caller has attached a listener: read it at once into
 *  a buffer of our own. */
function keep(stream: Readable): PassThrough {
  const buffer = new PassThrough();
  stream.pipe(buffer);
  return buffer;
}

/** Resolves once the shim reports the pid; rejects with ContainerStartError if setup failed. */
export function startShim(start: ShimStart): Promise<ContainerProcess> {
  const child = execa(nativeTool('strata-shim'), start.args, {
    stdio: [start.openStdin ? 'pipe' : 'ignore', 'pipe', start.tty ? 'ignore' : 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    env: {},
    extendEnv: false,
    stripFinalNewline: false,
  });
  const ctl = child.stdio[3] as Duplex;
  const stdout = keep(child.stdout!);
  const stderr = start.tty ? null : keep(child.stderr!);
  ctl.on('error', () => {}); // EPIPE once the shim has gone; its exit is reported through 'close'
  child.stdin?.on('error', () => {}); // the container may exit without reading its input
  let done = false;
  let error: string | undefined;
  let exitCode: number | undefined;
  let pidSeen = false;
  let spawnError: string | undefined;
  return new Promise<ContainerProcess>((resolve, reject) => {
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    const proc = new ShimContainer(child.stdin ?? null, stdout, stderr, exited, ctl, () => done);
    let buffered = '';
    ctl.setEncoding('utf8');
    ctl.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const space = line.indexOf(' ');
        const word = space < 0 ? line : line.slice(0, space);
        const rest = space < 0 ? '' : line.slice(space + 1);
        if (word === 'pid' && !pidSeen) {
          pidSeen = true;
          proc.pid = Number(rest);
          resolve(proc);
        } else if (word === 'error') {
          error = rest;
        } else if (word === 'exit') {
          exitCode = Number(rest);
        }
      }
    });
    // 'close': the shim has exited and every stdio stream has ended, so all output was delivered.
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      void (async () => {
        done = true;
        const shimCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
        const final = exitCode ?? shimCode;
        if (start.afterExit) await start.afterExit().catch(() => {});
        if (!pidSeen) {
          const why = error ?? spawnError ?? `strata-shim exited with ${shimCode} before starting the container`;
          reject(new ContainerStartError(why, exitCode ?? 125));
        }
        resolveExit(final);
      })();
    });
    child.on('error', (err: Error) => (spawnError = `could not start strata-shim: ${err.message}`)); // 'close' follows
  });
}
