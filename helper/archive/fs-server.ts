// `strata-fs serve` processes kept running for the walks, stats and listings the helper asks for
// often (a container's or a layer's changes ask once, or twice with opaque dirs; the tree asks
// again on each write).
// Starting a process from Node costs 2-10 ms: Node forks its whole address space, then exec and
// the loader run; the server forks itself, a small process, per request (native/serve.c). One
// request at a time per server; a request that finds every server busy starts another, and up to
// IDLE_SERVERS wait for the next (a large walk never holds up a small one).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { nativeTool } from '../native';

const IDLE_SERVERS = 2;

export type FsCommand = 'walk' | 'stat' | 'list' | 'cat' | 'syncfs' | 'changes';

/** The command failed: its own message (as `strata-fs CMD DIR` prints it on stderr). */
export class FsCommandError extends Error {}

class Server {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffered: Buffer[] = [];
  private bytes = 0;
  private pending?: { resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private dead?: Error;
  /** The answer being read: its status, the length of its head, and its whole length. */
  private status = '';
  private headLength = 0;
  private need?: number;

  constructor() {
    this.proc = spawn(nativeTool('strata-fs'), ['serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (chunk: Buffer) => { this.buffered.push(chunk); this.bytes += chunk.length; this.settle(); });
    let stderr = '';
    this.proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    this.proc.on('error', (err) => this.fail(err));
    this.proc.on('close', (code, signal) => this.fail(new Error(`strata-fs serve ended (${signal ?? code}) ${stderr.trim()}`)));
    this.proc.stdin.on('error', (err) => this.fail(err));
    this.hold(false);
  }

  /** An idle server does not keep the process alive (a CLI or a test exits with one around). */
  private hold(busy: boolean): void {
    for (const h of [this.proc, this.proc.stdout, this.proc.stderr, this.proc.stdin] as { ref(): void; unref(): void }[]) {
      if (busy) h.ref();
      else h.unref();
    }
  }

  get usable(): boolean {
    return this.dead === undefined;
  }

  request(command: FsCommand, dir: string, payload: Buffer): Promise<Buffer> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.hold(true);
      this.proc.stdin.write(Buffer.concat([Buffer.from(`${command}\0`), Buffer.from(dir, 'latin1'), Buffer.from(`\0${payload.length}\0`), payload]));
    });
  }

  /** Answers the pending request once its whole answer ("status \0 length \0 bytes") is here. The
   *  chunks are joined once, when all have come (joining at each chunk was quadratic: 70 ms of a
   *  100,000-entry walk's 3 MB). */
  private settle(): void {
    if (!this.pending) return;
    if (this.need === undefined) {
      const head = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
      this.buffered = [head];
      const a = head.indexOf(0);
      const b = a < 0 ? -1 : head.indexOf(0, a + 1);
      if (b < 0) return;
      this.status = head.toString('latin1', 0, a);
      this.need = b + 1 + Number(head.toString('latin1', a + 1, b));
      this.headLength = b + 1;
    }
    if (this.bytes < this.need) return;
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const body = all.subarray(this.headLength, this.need);
    const rest = all.subarray(this.need);
    const status = this.status;
    this.buffered = rest.length ? [rest] : [];
    this.bytes = rest.length;
    this.need = undefined;
    const { resolve, reject } = this.pending;
    this.pending = undefined;
    this.hold(false);
    if (status === '0') resolve(body);
    else reject(new FsCommandError(body.toString('utf8').trim()));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  stop(): void {
    this.dead ??= new Error('strata-fs serve stopped');
    this.proc.kill('SIGKILL');
  }
}

const idle: Server[] = [];

/**
 * Runs `strata-fs COMMAND DIR` with `payload` on its stdin in a server; its stdout. An abort kills
 * the server doing it (as it killed the process before servers).
 */
export async function fsRequest(command: FsCommand, dir: string, payload: Buffer, signal?: AbortSignal): Promise<Buffer> {
  signal?.throwIfAborted();
  let server = idle.pop();
  while (server && !server.usable) server = idle.pop();
  server ??= new Server();
  const s = server;
  const abort = () => s.stop();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const out = await s.request(command, dir, payload);
    if (idle.length < IDLE_SERVERS) idle.push(s);
    else s.stop();
    return out;
  } catch (err) {
    if (!(err instanceof FsCommandError)) s.stop();
    else if (idle.length < IDLE_SERVERS) idle.push(s);
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** Stops the idle servers (the helper's exit does too: their stdin ends). */
export function stopFsServers(): void {
  for (const s of idle.splice(0)) s.stop();
}
