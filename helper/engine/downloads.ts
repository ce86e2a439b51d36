// Bytes the helper makes for a client (a saved archive, an exported file system) leave as a stream
// to the client, never as a file the helper writes at a path the client names (root would write
// anywhere on the machine). The mirror of uploads.ts: the client opens a download (download.begin),
// asks for what to put in it (image.save, container.export, with the token), and reads it raw on a
// second socket connection (rpc/raw-download.ts). The request's answer, with the byte count, is
// what says the bytes are whole: the connection closes the same way after a failure.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { DirectBytes } from '../distribution/archive-writer';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { UPLOAD_TOKEN_CHARS } from '../protocol/methods';

const GATHER = 1024 * 1024;

export class Download {
  private sock: Socket | null = null;
  private finished = false;
  private abortedWhy: string | undefined;
  private readonly attached: Promise<Socket>;
  /** Stops a process writing into the connection (DirectBytes) when the download is aborted. */
  private readonly stopDirect = new AbortController();
  private onAttach!: (sock: Socket) => void;
  private onAbort!: (err: StrataError) => void;
  /** Bytes handed to the client's connection so far. */
  sent = 0;

  constructor(readonly token: string, readonly owner: object) {
    this.attached = new Promise<Socket>((resolve, reject) => {
      this.onAttach = resolve;
      this.onAbort = reject;
    });
    this.attached.catch(() => undefined); // observed by send()
  }

  /** The raw connection that carries the bytes: one, and only while the download is open. */
  attach(sock: Socket): void {
    if (this.abortedWhy !== undefined) throw new StrataError(ErrorCode.Cancelled, `download aborted: ${this.abortedWhy}`);
    if (this.sock) throw new StrataError(ErrorCode.InUse, 'download already has a connection');
    this.sock = sock;
    sock.once('close', () => {
      if (!this.finished) this.abort('the download connection closed before its end');
    });
    this.onAttach(sock);
  }

  /**
   * Writes `source` to the client's connection once it is there, with backpressure, and ends it;
   * resolves with the byte count when the last byte is handed to the connection. A DirectBytes is
   * written by its own process into the connection, once everything before it has gone. A failing
   * source or an abort (the client went away, download.abort) rejects, and the connection is cut.
   */
  async send(source: AsyncIterable<Buffer | DirectBytes>): Promise<number> {
    const sock = await this.attached;
    // Chunks are handed to the connection GATHER bytes at a time, corked, so that many small ones
    // go in one writev: a write each was a syscall each (a saved root fs: ~14,000; its sources
    // yield a tar header or a small file at a time, and are left so: gathering them there as
    // well measured no less helper CPU).
    let gathered: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      sock.cork();
      let full = false;
      for (const c of gathered) full = !sock.write(c) || full;
      sock.uncork();
      gathered = [];
      size = 0;
      if (full) await this.drained(sock);
    };
    try {
      for await (const chunk of source) {
        if (this.abortedWhy !== undefined) throw this.abortError();
        if (chunk instanceof DirectBytes) {
          await flush();
          await this.handOver(sock, chunk);
          continue;
        }
        this.sent += chunk.length;
        gathered.push(chunk);
        size += chunk.length;
        if (size >= GATHER) await flush();
      }
      if (this.abortedWhy !== undefined) throw this.abortError();
      if (gathered.length) await flush();
      this.finished = true;
      await new Promise<void>((resolve, reject) => {
        sock.end(() => resolve());
        sock.once('error', reject);
      });
      return this.sent;
    } catch (err) {
      this.finished = true;
      sock.destroy();
      throw err;
    }
  }

  /**
   * Lets `direct`'s process write into the connection: only once Node has handed the kernel every
   * byte before it (the two would interleave otherwise), and Node writes nothing meanwhile (send
   * waits). The process gets its own copy of the descriptor; an abort stops it.
   */
  private async handOver(sock: Socket, direct: DirectBytes): Promise<void> {
    if (sock.writableLength > 0) await this.written(sock);
    // Node keeps no public way to the descriptor; every net.Socket has it on Linux (uploads.ts takes one the same way).
    const fd = (sock as unknown as { _handle: { fd: number } | null })._handle?.fd ?? -1;
    if (fd < 0) throw this.abortError();
    // An abort kills the writer: the abort, not the writer's end, says why the download stopped.
    await direct.writeInto(fd, this.stopDirect.signal).catch((err: unknown) => { throw this.abortedWhy !== undefined ? this.abortError() : err; });
    if (this.abortedWhy !== undefined) throw this.abortError();
    this.sent += direct.size;
  }

  /**
   * Resolves once every byte written so far is handed to the kernel: an empty write's callback
   * comes after those of the writes before it ('drain' comes only after a write that said "full").
   */
  private written(sock: Socket): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const gone = () => reject(this.abortError());
      sock.once('close', gone);
      sock.write(Buffer.alloc(0), (err) => {
        sock.off('close', gone);
        if (err) reject(this.abortError());
        else resolve();
      });
    });
  }

  private drained(sock: Socket): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => { sock.off('drain', done); sock.off('close', gone); resolve(); };
      const gone = () => { sock.off('drain', done); sock.off('close', gone); reject(this.abortError()); };
      sock.on('drain', done);
      sock.on('close', gone);
    });
  }

  private abortError(): StrataError {
    return new StrataError(ErrorCode.Cancelled, `download aborted: ${this.abortedWhy ?? 'the connection closed'}`);
  }

  abort(reason: string): void {
    if (this.abortedWhy !== undefined) return;
    this.abortedWhy = reason;
    this.stopDirect.abort();
    this.onAbort(this.abortError());
    if (!this.finished) this.sock?.destroy();
  }
}

export class Downloads {
  private readonly byToken = new Map<string, Download>();

  open(owner: object): Download {
    const d = new Download(randomBytes(UPLOAD_TOKEN_CHARS / 2).toString('hex'), owner);
    this.byToken.set(d.token, d);
    return d;
  }

  get(token: string, owner?: object): Download {
    const d = this.byToken.get(token);
    // A download belongs to the connection that opened it: another client cannot take its bytes.
    if (!d || (owner && d.owner !== owner)) throw new StrataError(ErrorCode.NotFound, 'no such download (it ended, or belongs to another connection)');
    return d;
  }

  /**
   * Fills the download `token` (the caller's own) with what `produce` makes, and closes it; the
   * byte count sent. A failure before or while sending aborts it (the client's stream is cut).
   */
  async fill(token: string, owner: object, produce: () => Promise<Readable | AsyncIterable<Buffer | DirectBytes>> | Readable): Promise<{ size: number }> {
    const d = this.get(token, owner);
    let source: Readable | AsyncIterable<Buffer | DirectBytes> | undefined;
    try {
      source = await produce();
      return { size: await d.send(source) };
    } catch (err) {
      if (source && 'destroy' in source) source.destroy();
      d.abort(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      this.byToken.delete(token);
    }
  }

  abortOwnedBy(owner: object, reason: string): void {
    for (const d of this.byToken.values()) {
      if (d.owner !== owner) continue;
      d.abort(reason);
      this.byToken.delete(d.token);
    }
  }
}
