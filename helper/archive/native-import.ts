// The helper's side of `strata-fs import` (native/import.c): the uncompressed tar goes to the tool,
// and what comes back is the tar without the file data the tool held back. The tar reader
// (tar-reader.ts) reads that as it reads any tar, through this TarBytes; the extractor then tells
// the tool to write held data (H) or drop it (K) instead of sending the bytes itself.
//
// Why: the bytes of an import crossing the helper's JavaScript twice (in from the upload, out to
// the writer), hashed and CRC'd on the way, made the import of the minbase tar 1.89x `tar -x` +
// `sync -f` on a fresh ext4; see test/bench/README.md for the figures with this reader.
//
// Trust: none is added. Every header is still parsed and every entry decided here. For each entry
// with data the next frame must be either inline data or the B frame of exactly that entry's size;
// held data where a header is expected is refused (the two readers disagree, so nothing more of
// the tar is trusted), and the tool's writer takes held data only in whole entries, in order.
import type { Readable, Writable } from 'node:stream';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { LongLived } from '../protocol/long-lived';
import { cancelled, type TarBytes } from './input';
import { badArchive, limitExceeded, formatBytes } from './limits';
import { nativeToolRuns, writable } from './native-filter';

/** Whether `strata-fs import` runs here (it needs libcrypto and libdeflate): asked once. */
export function nativeImportAvailable(): Promise<boolean> {
  return nativeToolRuns(['import', 'check']);
}

/**
 * An upload's raw socket, offered for the tool to read itself (engine/uploads.ts gives it): then
 * the bytes never cross the helper's JavaScript at all.
 */
export interface RawSocketSource {
  /** The upload's first bytes, read with its header line: they come before the socket's. */
  readonly head: Buffer;
  /**
   * Takes the socket: its file descriptor, no longer read by the helper, for a child process
   * started in the same tick (the helper closes its copy once the reader ends), and any bytes the
   * helper had already read after `head`. fd -1: the socket had ended; `head` and `more` are all.
   */
  take(): { fd: number; more: Buffer };
  /** Declines the socket: its bytes go into the upload's stream (they need decompressing). */
  giveBack(): void;
  /**
   * The reader read the socket to its end, `total` bytes in all: the socket is closed (its client
   * waits for that before it sends upload.end). Resolves once upload.end agreed with `total`;
   * rejects if it did not, or the upload was aborted.
   */
  ended(total: number): Promise<void>;
  /** Rejects when the upload is aborted (the client gave up, or its connection closed). */
  readonly aborted: Promise<never>;
}

type Frame =
  | { kind: 'L'; total: number }
  | { kind: 'Z'; total: number }
  | { kind: 'M'; data: Buffer }
  | { kind: 'B'; size: number }
  | { kind: 'C'; crc: number }
  | { kind: 'T'; got: number }
  | { kind: 'E'; total: number; digest: string };

const FRAME_HEAD: Record<string, number> = { M: 4, B: 8, C: 4, T: 8, E: 40, L: 8, Z: 8 };

function disagree(what: string): StrataError {
  return new StrataError(ErrorCode.Internal, `import: the native tar reader and the helper's disagree: ${what}`);
}

/** Splits the tool's output into frames. */
class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  /** The frames complete in what has arrived so far (an M frame's data may come in parts). */
  push(chunk: Buffer, out: Frame[]): void {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    for (;;) {
      if (this.pendingLen === 0) return;
      const first = this.pending[0];
      const type = String.fromCharCode(first[0]);
      const head = FRAME_HEAD[type];
      if (head === undefined) throw disagree(`unknown frame type 0x${first[0].toString(16)}`);
      if (this.pendingLen < 1 + head) return;
      const buf = this.take(1 + head);
      if (type === 'M') {
        const n = buf.readUInt32LE(1);
        if (this.pendingLen < n) {
          // Put the head back until the data is all here: M frames are at most 256 KiB.
          this.pending.unshift(buf);
          this.pendingLen += buf.length;
          return;
        }
        out.push({ kind: 'M', data: this.take(n) });
      } else if (type === 'B') out.push({ kind: 'B', size: safe(buf.readBigUInt64LE(1)) });
      else if (type === 'C') out.push({ kind: 'C', crc: buf.readUInt32LE(1) });
      else if (type === 'T') out.push({ kind: 'T', got: safe(buf.readBigUInt64LE(1)) });
      else if (type === 'L') out.push({ kind: 'L', total: safe(buf.readBigUInt64LE(1)) });
      else if (type === 'Z') out.push({ kind: 'Z', total: safe(buf.readBigUInt64LE(1)) });
      else out.push({ kind: 'E', total: safe(buf.readBigUInt64LE(1)), digest: `sha256:${buf.subarray(9, 41).toString('hex')}` });
    }
  }

  get empty(): boolean {
    return this.pendingLen === 0;
  }

  private take(n: number): Buffer {
    this.pendingLen -= n;
    return takeBytes(this.pending, n);
  }
}

/** The first `n` bytes of `chunks` (which hold at least n), taken off them: a view when they lie in one. */
function takeBytes(chunks: Buffer[], n: number): Buffer {
  const first = chunks[0];
  if (first.length >= n) {
    if (first.length === n) chunks.shift();
    else chunks[0] = first.subarray(n);
    return first.subarray(0, n);
  }
  const out = Buffer.allocUnsafe(n);
  let filled = 0;
  while (filled < n) {
    const c = chunks[0];
    const k = Math.min(c.length, n - filled);
    c.copy(out, filled, 0, k);
    filled += k;
    if (k === c.length) chunks.shift();
    else chunks[0] = c.subarray(k);
  }
  return out;
}

function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw disagree('a length out of range');
  return Number(n);
}

export interface NativeImportIo {
  /** The tool's stdin (the tar) and stdout (the frames). */
  tarIn: Writable;
  frames: Readable;
  /** Why the tool stopped, once it has (its output ended without its end frame). */
  failure: () => Promise<Error>;
  /**
   * Sends the operations gathered so far. Called before every wait for frames: the tool's reader
   * may be waiting for its writer to take held data, which it does only when told to.
   */
  flush: () => void;
}

/** Where the tool's tar comes from. */
export type NativeSource =
  /** The uncompressed tar, pumped into the tool here, counted and capped as ByteReader does. */
  | { kind: 'pump'; chunks: AsyncIterator<Buffer> }
  /**
   * An upload's raw socket, taken by the tool (it caps the count itself): `first` goes in through
   * its stdin, then it reads the socket; `aborted` rejects if the upload is aborted. At the
   * socket's end, `ended` gets the count, and nothing more of the tar is read until it resolves:
   * an upload cut short must fail as one (upload.end's check), not as a truncated tar.
   */
  | { kind: 'socket'; first: Buffer; aborted: Promise<never>; ended: (total: number) => Promise<void>; onProgress?: (bytes: number) => void };

// Progress from the socket's reader at most once per this many bytes (as input.ts reports).
const PROGRESS_STEP = 1024 * 1024;

/** The tar as the tool gives it back, for the tar reader; see NativeSource for how the tar goes in. */
export class NativeTarBytes implements TarBytes {
  total = 0;
  offset = 0;
  tap: ((bytes: Buffer) => void) | null = null;
  /** Gets each held file's size and CRC-32 (TarSplitRecorder.tapHeld). */
  tapHeld: ((size: number, crc: number) => void) | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly frames: Frame[] = [];
  private framesAt = 0;
  private readonly decoder = new FrameDecoder();
  private readonly output: AsyncIterator<Buffer>;
  private end: { total: number; digest: string } | null = null;
  /** The held data being passed over: its size. */
  private heldSize = -1;
  private pumpError: unknown = null;
  /** Rejects with the first failure; raced against every wait for the tool (LongLived: each wait's result is not kept). */
  private readonly pumpFailed: LongLived<never>;
  private failPump: (err: unknown) => void = () => {};
  private stopped = false;

  private reported = 0;

  constructor(
    private readonly source: NativeSource,
    private readonly io: NativeImportIo,
    private readonly maxTotalBytes: number,
    private readonly signal?: AbortSignal,
    private readonly tooLarge = (cap: number) => `the layer is larger than the limit of ${formatBytes(cap)} uncompressed`,
  ) {
    this.output = io.frames[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.pumpFailed = new LongLived(new Promise<never>((_, reject) => {
      this.failPump = reject;
    }));
    // An abort ends any wait for the tool's frames too (the tool may be waiting for input).
    signal?.addEventListener('abort', () => this.fail(cancelled()), { once: true });
    if (source.kind === 'pump') {
      void this.pump(source.chunks);
    } else {
      source.aborted.catch((err: unknown) => this.fail(err));
      io.tarIn.end(source.first);
    }
  }

  /** The source into the tool's stdin, with backpressure; the first failure stops the reads here. */
  private async pump(chunks: AsyncIterator<Buffer>): Promise<void> {
    const { tarIn } = this.io;
    try {
      for (;;) {
        if (this.signal?.aborted) throw cancelled();
        const r = await chunks.next();
        if (this.stopped) return;
        if (r.done) break;
        this.total += r.value.length;
        if (this.total > this.maxTotalBytes) throw limitExceeded(this.tooLarge(this.maxTotalBytes));
        if (!tarIn.write(r.value)) await writable(tarIn);
        if (tarIn.destroyed) return; // the tool has gone: its frames end, and its failure says why
      }
      tarIn.end();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.pumpError ??= err;
    this.failPump(this.pumpError);
  }

  /** The next frame; throws the pump's failure, or the tool's if its output ends early. */
  private async nextFrame(): Promise<Frame> {
    for (;;) {
      if (this.pumpError) throw this.pumpError;
      if (this.framesAt < this.frames.length) {
        const f = this.frames[this.framesAt++];
        if (this.framesAt === this.frames.length) {
          this.frames.length = 0;
          this.framesAt = 0;
        }
        if (f.kind === 'L') throw limitExceeded(this.tooLarge(this.maxTotalBytes));
        if (f.kind === 'Z') {
          if (this.source.kind !== 'socket') throw disagree('a socket end frame with no socket');
          await this.pumpFailed.race(this.source.ended(f.total));
          continue;
        }
        return f;
      }
      if (this.end) throw disagree('a frame after the end');
      // Only when no frame is waiting to be read: the reader is then behind, or waiting for the
      // writer. (Flushing before every read made a write(2) of a few operations at a time.)
      if (this.io.frames.readableLength === 0) this.io.flush();
      const r = await this.pumpFailed.race(this.output.next());
      if (r.done) {
        if (this.pumpError) throw this.pumpError;
        throw await this.io.failure();
      }
      this.decoder.push(r.value, this.frames);
    }
  }

  /** Puts a frame back (it is the next one again). */
  private unread(f: Frame): void {
    if (this.framesAt > 0) this.frames[--this.framesAt] = f;
    else this.frames.unshift(f);
  }

  /** More inline bytes: false at the end of the tar or when held data comes next (left unread). */
  private async more(): Promise<boolean> {
    if (this.end) return false;
    const f = await this.nextFrame();
    if (f.kind === 'M') {
      if (f.data.length) {
        this.chunks.push(f.data);
        this.buffered += f.data.length;
      }
      return true;
    }
    if (f.kind === 'E') {
      if (this.source.kind === 'socket') {
        this.total = f.total;
        this.source.onProgress?.(f.total);
      }
      if (f.total !== this.total) throw disagree(`it read ${f.total} bytes of the ${this.total} sent`);
      if (!this.decoder.empty) throw disagree('output after the end frame');
      this.end = f;
      return false;
    }
    this.unread(f);
    return false;
  }

  /** Inline bytes were expected, and held data came (or the end of the frames). */
  private async expectedInline(): Promise<void> {
    if (this.end) return;
    const f = await this.nextFrame();
    this.unread(f);
    if (f.kind !== 'E') throw disagree(`it held back data at offset ${this.offset + this.buffered}, where a tar header or padding is`);
  }

  async readExact(n: number): Promise<Buffer | null> {
    if (n === 0) return Buffer.alloc(0);
    while (this.buffered < n) {
      if (!(await this.more())) {
        await this.expectedInline();
        if (this.buffered === 0) return null;
        throw badArchive(`truncated: the data ends ${n - this.buffered} bytes short at offset ${this.offset + this.buffered}`);
      }
    }
    return this.take(n);
  }

  async readSome(max: number): Promise<Buffer> {
    while (this.buffered === 0) {
      if (!(await this.more())) {
        await this.expectedInline();
        throw badArchive(`truncated: the data ends at offset ${this.offset}`);
      }
    }
    return this.take(Math.min(max, this.buffered));
  }

  async skip(n: number): Promise<void> {
    while (n > 0) n -= (await this.readSome(n)).length;
  }

  async drain(): Promise<void> {
    for (;;) {
      if (this.tap) for (const chunk of this.chunks) this.tap(chunk);
      this.offset += this.buffered;
      this.chunks = [];
      this.buffered = 0;
      if (await this.more()) continue;
      if (this.end) return;
      await this.expectedInline();
    }
  }

  async heldData(size: number): Promise<boolean> {
    if (this.buffered > 0 || this.end) return false;
    const f = await this.nextFrame();
    if (f.kind !== 'B') {
      this.unread(f);
      return false;
    }
    if (f.size !== size) throw disagree(`it held back ${f.size} bytes of data where the entry at offset ${this.offset - 512} has ${size}`);
    this.heldSize = size;
    return true;
  }

  async endHeld(): Promise<void> {
    const size = this.heldSize;
    if (size < 0) throw disagree('no held data to pass');
    this.heldSize = -1;
    const f = await this.nextFrame();
    if (f.kind === 'T') {
      this.offset += f.got;
      throw badArchive(`truncated: the data ends at offset ${this.offset}`);
    }
    if (f.kind !== 'C') throw disagree(`a ${f.kind} frame inside held data`);
    this.offset += size;
    this.progressed();
    this.tapHeld?.(size, f.crc);
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.source.kind === 'pump') this.source.chunks.return?.(undefined).catch(() => undefined);
  }

  digest(): string {
    if (!this.end) throw disagree('no digest before the end of the tar');
    return this.end.digest;
  }

  /** Progress by the offset reached, when the tool reads the socket (else the pump's source reports). */
  private progressed(): void {
    if (this.source.kind !== 'socket' || !this.source.onProgress || this.offset - this.reported < PROGRESS_STEP) return;
    this.reported = this.offset;
    this.source.onProgress(this.offset);
  }

  private take(n: number): Buffer {
    this.offset += n;
    this.progressed();
    this.buffered -= n;
    const out = takeBytes(this.chunks, n);
    this.tap?.(out);
    return out;
  }
}
