// The byte side of an import: detect gzip by its magic bytes, decompress, hash and count the
// uncompressed bytes exactly as they stream (diff_id is their sha256, as `sha256sum` of the plain
// tar and `docker import` give), and hand them out in exact-size reads to the tar reader. The total
// is capped before anything downstream sees it, so a gzip bomb stops at maxTotalBytes.
import { createHash, type Hash } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { compressionOfMagic, decompressorFor, MAGIC_BYTES, type Compression } from './decompress';
import { badArchive, formatBytes, limitExceeded, RATIO_FLOOR_BYTES } from './limits';

type Chunks = AsyncIterator<Buffer>;

// Progress is reported at most once per PROGRESS_STEP bytes, and once at the end: a 4 GB layer read
// in 64 KiB chunks would otherwise make 65536 progress events for the client.
const PROGRESS_STEP = 1024 * 1024;

/** Bytes read from the input itself (compressed, for a gzip). */
interface ReadCount { n: number }

async function* counted(input: NodeJS.ReadableStream, count: ReadCount, onProgress?: (bytesRead: number) => void): AsyncGenerator<Buffer> {
  let reported = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const n = (count.n += b.length);
    if (onProgress && n - reported >= PROGRESS_STEP) {
      reported = n;
      onProgress(n);
    }
    yield b;
  }
  if (onProgress && count.n !== reported) onProgress(count.n);
}

/**
 * The uncompressed chunks of `input` (plain tar, gzip or zstd: decompress.ts). `onProgress` gets the count of bytes read
 * from `input` itself, i.e. compressed bytes for a .tar.gz, which is what a caller knows the size of
 * (every MiB or so, and at the end). A compressed stream that expands more than `maxRatio` times (past
 * RATIO_FLOOR_BYTES) is refused as it streams: a decompression bomb stops there, not at the disk.
 */
export async function openInput(input: NodeJS.ReadableStream, onProgress?: (bytesRead: number) => void, signal?: AbortSignal, maxRatio = 0): Promise<Chunks> {
  const count: ReadCount = { n: 0 };
  const raw = counted(input, count, onProgress);
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < MAGIC_BYTES) {
    const r = await (signal ? raceAbort(raw.next(), signal) : raw.next());
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (done) return;
    for (;;) {
      const r = await raw.next();
      if (r.done) return;
      yield r.value;
    }
  }
  let compression: Compression;
  try {
    compression = compressionOfMagic(first);
  } catch (err) {
    void raw.return(undefined).catch(() => undefined);
    throw err;
  }
  if (compression === 'none') return replay();
  return ratioChecked(decompressorFor({ magic: first })(replay()), compression, count, maxRatio);
}

async function* ratioChecked(chunks: AsyncGenerator<Buffer>, compression: Compression, compressed: ReadCount, maxRatio: number): AsyncGenerator<Buffer> {
  let out = 0;
  for await (const chunk of chunks) {
    out += chunk.length;
    // A decompressor may hold input it has not expanded yet, so the ratio seen is never above the true one.
    if (maxRatio > 0 && out > RATIO_FLOOR_BYTES && out > maxRatio * compressed.n) {
      throw limitExceeded(`the ${compression} stream expands more than ${maxRatio} times (${formatBytes(compressed.n)} became ${formatBytes(out)} so far), as a decompression bomb does; if this layer is meant to, import it again with the compression ratio limit off (strata import --max-compression-ratio 0)`);
    }
    yield chunk;
  }
}

/** What the tar reader reads from: a ByteReader, or the native reader's frames (native-import.ts). */
export interface TarBytes {
  /** Uncompressed bytes received so far. */
  readonly total: number;
  /** The offset in the tar of the next byte handed out. */
  readonly offset: number;
  /** Sees every byte handed out, skipped or drained, once, in order (the tar-split recorder). */
  tap: ((bytes: Buffer) => void) | null;
  readExact(n: number): Promise<Buffer | null>;
  readSome(max: number): Promise<Buffer>;
  skip(n: number): Promise<void>;
  drain(): Promise<void>;
  close(): void;
  digest(): string;
  /** Whether the next `size` bytes, an entry's data, are held back by the native reader. */
  heldData?(size: number): Promise<boolean>;
  /** Past the held data: throws if the input ended inside it. */
  endHeld?(): Promise<void>;
}

/**
 * Exact-size reads over the uncompressed stream. Every byte that arrives is hashed and counted,
 * including any padding or junk after the end-of-archive blocks (drain() reads to the end), so the
 * digest is that of the whole stream.
 */
export class ByteReader implements TarBytes {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private readonly hash: Hash | null;
  /** Uncompressed bytes received so far. */
  total = 0;
  /** Uncompressed bytes handed out so far (the offset of the next read). */
  offset = 0;
  /**
   * Sees every byte once, in stream order, as it is handed out, skipped or drained: what the
   * tar-split recorder (tar-split.ts) keeps of an import, with no second read of the tar.
   */
  tap: ((bytes: Buffer) => void) | null = null;

  constructor(
    private readonly source: Chunks,
    private readonly maxTotalBytes: number,
    private readonly signal?: AbortSignal,
    hash = true,
    private readonly tooLarge = (cap: number) => `the layer is larger than the limit of ${formatBytes(cap)} uncompressed`,
  ) {
    this.hash = hash ? createHash('sha256') : null;
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await (this.signal ? raceAbort(this.source.next(), this.signal) : this.source.next());
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = r.value;
    this.total += chunk.length;
    if (this.total > this.maxTotalBytes) {
      throw limitExceeded(this.tooLarge(this.maxTotalBytes));
    }
    this.hash?.update(chunk);
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Exactly n bytes, or null if the stream ended before any of them; throws if it ends midway. */
  async readExact(n: number): Promise<Buffer | null> {
    if (n === 0) return Buffer.alloc(0);
    while (this.buffered < n) {
      if (!(await this.fill())) {
        if (this.buffered === 0) return null;
        throw badArchive(`truncated: the data ends ${n - this.buffered} bytes short at offset ${this.offset + this.buffered}`);
      }
    }
    return this.take(n);
  }

  /** Between 1 and max bytes; throws at the end of the stream. */
  async readSome(max: number): Promise<Buffer> {
    while (this.buffered === 0) {
      if (!(await this.fill())) throw badArchive(`truncated: the data ends at offset ${this.offset}`);
    }
    return this.take(Math.min(max, this.buffered));
  }

  async skip(n: number): Promise<void> {
    while (n > 0) n -= (await this.readSome(n)).length;
  }

  /** Reads (and hashes) everything left. */
  async drain(): Promise<void> {
    do {
      if (this.tap) for (const chunk of this.chunks) this.tap(chunk);
      this.offset += this.buffered;
      this.chunks = [];
      this.buffered = 0;
    } while (await this.fill());
  }

  /**
   * Stops reading. Not awaited: a cancelled read may still be pending on a stalled input, and an
   * async generator finishes its return() only after that read; the caller destroys the input.
   */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.source.return?.(undefined).catch(() => undefined);
  }

  digest(): string {
    return `sha256:${this.hash!.digest('hex')}`;
  }

  private take(n: number): Buffer {
    const out = this.cut(n);
    this.tap?.(out);
    return out;
  }

  private cut(n: number): Buffer {
    this.offset += n;
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}

export function cancelled(): StrataError {
  return new StrataError(ErrorCode.Cancelled, 'import cancelled');
}

/** `p`, or `why()` as soon as `signal` aborts; the abort listener goes once `p` settles. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal, why: () => Error = cancelled): Promise<T> {
  if (signal.aborted) return Promise.reject(why());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(why());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
