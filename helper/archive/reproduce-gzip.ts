// An imported layer's tar made again and gzip'd in one native process, for a push: `strata-fs
// tar-gzip` (archive/native/tar-gzip.c) follows the plan its tar-split gives, reads the files from
// the layer folder, checks them and the whole tar as reproduce.ts does, and compresses. The tar
// itself never crosses into the helper: a push of the 204 MB minbase layer had the helper read it
// from `strata-fs cat`, CRC and hash it, and write it to `strata-fs gzip` (0.65 s of its CPU on two
// shared CPUs, beside the gzip's 1.3 s). Here the helper sends the plan (~2% of the tar: headers
// and file names) and gets the blob.
//
// Same guarantee as openLayerTar: the stream fails, never ends, when the folder does not give the
// layer's tar: the tool holds the tar's last block back until its length and sha256 are checked.
import type { Writable } from 'node:stream';
import { nativeFilter, nativeInto, nativeToolRuns, writable } from './native-filter';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { quote } from './fspath';
import { cannot, planFromSplit, type LayerTarSource } from './reproduce';
import { readTarSplit } from './tar-split';

export interface GzippedLayerTar {
  /** The tar's length in bytes (before gzip). */
  size: number;
  /** The gzip'd tar (the tar itself at level 0); it errors rather than end when the tar is not the layer's. */
  stream: AsyncGenerator<Buffer>;
}

// Plan records are gathered into pieces of this size before they are written (a layer's plan is
// two records a file: thousands of small writes otherwise).
const PIECE = 256 * 1024;

/** Whether `strata-fs tar-gzip` runs here (it needs libdeflate and libcrypto): asked once. */
export function tarGzipAvailable(): Promise<boolean> {
  return nativeToolRuns(['tar-gzip', 'check']);
}

/** Writes `seg`'s plan records into pieces, each written to `stdin` when full. */
class PlanWriter {
  private piece = Buffer.allocUnsafe(PIECE);
  private used = 0;

  constructor(private readonly stdin: Writable) {}

  async put(bytes: Buffer): Promise<void> {
    if (this.used + bytes.length > PIECE) await this.flush();
    if (bytes.length >= PIECE) return this.write(bytes);
    bytes.copy(this.piece, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.piece.subarray(0, this.used);
    this.piece = Buffer.allocUnsafe(PIECE); // the stream keeps `full` until it is written
    this.used = 0;
    await this.write(full);
  }

  private async write(b: Buffer): Promise<void> {
    if (!this.stdin.write(b)) await writable(this.stdin);
  }
}

function u32(tag: string | null, n: number): Buffer {
  const b = Buffer.allocUnsafe(tag ? 5 : 4);
  if (tag) b.write(tag, 0, 'latin1');
  b.writeUInt32LE(n, tag ? 1 : 0);
  return b;
}

function u64(tag: string | null, n: number): Buffer {
  const b = Buffer.allocUnsafe(tag ? 9 : 8);
  if (tag) b.write(tag, 0, 'latin1');
  b.writeBigUInt64LE(BigInt(n), tag ? 1 : 0);
  return b;
}

/** What the tool's `unreproducible ...` line means, said as reproduce.ts says it. */
function explain(src: LayerTarSource, size: number, paths: string[], line: string): StrataError | null {
  let m = /^unreproducible file (\d+) (.*)$/m.exec(line);
  if (m) {
    const path = quote(paths[Number(m[1])] ?? `#${m[1]}`);
    return m[2] === 'crc'
      ? cannot(src, `${path} is not the file that was imported: its data changed in the layer folder behind Strata's back`)
      : cannot(src, `a file is no longer as imported (the layer folder changed behind Strata's back): ${path}: ${m[2]}`);
  }
  if (/^unreproducible longer$/m.test(line)) return cannot(src, `it came out longer than its ${size} bytes (the layer folder changed since the layer was made)`);
  if ((m = /^unreproducible length (\d+)$/m.exec(line))) return cannot(src, `it came out ${m[1]} bytes long, not ${size} (the layer folder changed since the layer was made)`);
  if ((m = /^unreproducible digest (sha256:[0-9a-f]{64})$/m.exec(line))) return cannot(src, `what its tar-split and folder make has the digest ${m[1]}, not its diff_id`);
  return null;
}

/**
 * The layer's plain tar made and checked by `strata-fs tar-gzip` at level 0, for a save: as a
 * stream the helper relays, or written by the tool straight into a descriptor (`writeInto`, a
 * download's socket: the helper then never touches the tar's bytes). Null where openLayerTarGzip
 * is: the caller makes it with openLayerTar.
 */
export async function openLayerTarNative(src: LayerTarSource, signal?: AbortSignal): Promise<(GzippedLayerTar & { writeInto(fd: number, signal?: AbortSignal): Promise<void> }) | null> {
  const job = await tarGzipJob(src, 0, () => undefined, signal);
  if (!job) return null;
  return {
    size: job.size,
    stream: nativeFilter(job.args, job.feed, job.failed),
    writeInto: (fd, stop) => nativeInto(job.args, fd, job.feed, job.failed, stop),
  };
}

/**
 * The layer's tar, gzip'd at `level` by `strata-fs tar-gzip`; `progress` hears how many of its
 * bytes have been handed to the tool. Null when that path does not apply (a layer without a
 * tar-split: its canonical tar is made by pack.ts) or the tool cannot run here (no libdeflate or
 * libcrypto): the caller makes the tar with openLayerTar and gzips it apart.
 */
export async function openLayerTarGzip(src: LayerTarSource, level: number, progress: (tarBytes: number) => void, signal?: AbortSignal): Promise<GzippedLayerTar | null> {
  const job = await tarGzipJob(src, level, progress, signal);
  return job && { size: job.size, stream: nativeFilter(job.args, job.feed, job.failed) };
}

interface TarGzipJob {
  /** The tar's length. */
  size: number;
  args: string[];
  /** Writes the plan into the tool's stdin. */
  feed: (stdin: Writable, stopped: () => boolean) => Promise<void>;
  /** The tool's failure, said as reproduce.ts says it. */
  failed: (code: number | null, stderr: string) => Error;
}

/** What running `strata-fs tar-gzip` for `src` takes; null where openLayerTarGzip says. */
async function tarGzipJob(src: LayerTarSource, level: number, progress: (tarBytes: number) => void, signal?: AbortSignal): Promise<TarGzipJob | null> {
  if (!src.tarSplit || src.unreproducible || !(await tarGzipAvailable())) return null;
  const split = src.tarSplit;
  const { size } = await planFromSplit(src, split, signal).catch((err: unknown) => {
    throw err instanceof StrataError && err.code === ErrorCode.BadArchive ? err : cannot(src, (err as Error).message, err);
  });
  const paths: string[] = []; // the plan's files, by index, for the tool's messages
  const feed = async (stdin: Writable, stopped: () => boolean) => {
    const plan = new PlanWriter(stdin);
    let fed = 0;
    for await (const seg of readTarSplit(split, signal)) {
      if (stopped()) return;
      if (seg.kind === 'raw') {
        await plan.put(u32('R', seg.data.length));
        await plan.put(seg.data);
        fed += seg.data.length;
      } else if (seg.kind === 'file') {
        const path = Buffer.from(seg.path, 'latin1');
        paths.push(seg.path);
        await plan.put(u32('F', path.length));
        await plan.put(path);
        await plan.put(u64(null, seg.size));
        await plan.put(u32(null, seg.crc));
        fed += seg.size;
      } else await plan.put(u64('E', seg.total));
      progress(fed);
    }
    await plan.flush();
    stdin.end();
  };
  const failed = (code: number | null, stderr: string) =>
    (code === 4 && explain(src, size, paths, stderr)) || cannot(src, `strata-fs tar-gzip exited ${code}: ${stderr}`);
  return { size, args: ['tar-gzip', src.dir, String(size), src.diffId, String(level)], feed, failed };
}
