// A layer's tar made again, byte for byte: the tar whose sha256 is the layer's diff_id, for save
// and push. An imported layer comes back from its tar-split (tar-split.ts: the tar's own headers,
// padding and order, with each file's data read back from the layer folder and checked against
// the CRC-32 it had); a layer Strata made (commit, build) is its canonical tar (pack.ts), which is
// how its diff_id was defined.
//
// The stream never delivers a wrong tar: a file whose data no longer matches fails it, naming the
// file; and the whole stream is hashed as it goes, with its last chunk held back until its length
// and sha256 are those of the layer, so a consumer gets an error, never a complete tar with a
// wrong digest (the folder changed behind Strata's back, or a layer imported before Strata kept
// tar-splits, whose canonical tar is not the one imported).
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { quote } from './fspath';
import { ByteReader } from './input';
import { catFiles } from './native-fs';
import { canonicalTarLength, packLayer } from './pack';
import { readTarSplit } from './tar-split';

export interface LayerTarSource {
  /** The layer's id, for messages. */
  id: string;
  diffId: string;
  /** graph/<id>/layer */
  dir: string;
  /** graph/<id>/tar-split for a layer imported with one; null: the layer's tar is its canonical tar. */
  tarSplit: string | null;
  /** Why the import could not keep a tar-split: the tar cannot be reproduced. */
  unreproducible?: string;
}

export interface LayerTar {
  /** The tar's length in bytes, known before any of it is read. */
  size: number;
  /** The tar; it errors rather than end when what it made is not the layer's tar. */
  stream: Readable;
}

const CHUNK = 1 << 20;

export function cannot(src: LayerTarSource, why: string, cause?: unknown): StrataError {
  return new StrataError(ErrorCode.BadArchive, `layer ${src.id}: its tar cannot be reproduced: ${why}`, cause === undefined ? undefined : { cause });
}

/** Passes the tar through, hashing it, and holds its last chunk back until length and sha256 match. */
class CheckedTar extends Transform {
  private readonly hash = createHash('sha256');
  private length = 0;
  private held: Buffer | null = null;

  constructor(private readonly src: LayerTarSource, private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.length += chunk.length;
    if (this.length > this.size) return done(cannot(this.src, `it came out longer than its ${this.size} bytes (the layer folder changed since the layer was made)`));
    this.hash.update(chunk);
    if (this.held) this.push(this.held);
    this.held = chunk;
    done();
  }

  override _flush(done: TransformCallback): void {
    const digest = `sha256:${this.hash.digest('hex')}`;
    if (this.length !== this.size) return done(cannot(this.src, `it came out ${this.length} bytes long, not ${this.size} (the layer folder changed since the layer was made)`));
    if (digest !== this.src.diffId) {
      const why = this.src.tarSplit
        ? `what its tar-split and folder make has the digest ${digest}, not its diff_id`
        : `its folder's canonical tar has the digest ${digest}, not its diff_id ${this.src.diffId} (the folder changed since the layer was made, or the layer was imported before Strata kept tar-splits)`;
      return done(cannot(this.src, why));
    }
    if (this.held) this.push(this.held);
    done();
  }
}

/** What the first pass over a split finds: the files to read, in order, and the tar's length. */
export async function planFromSplit(src: LayerTarSource, file: string, signal?: AbortSignal): Promise<{ files: { path: string; size: number }[]; size: number }> {
  const files: { path: string; size: number }[] = [];
  let covered = 0;
  for await (const seg of readTarSplit(file, signal)) {
    if (seg.kind === 'raw') covered += seg.data.length;
    else if (seg.kind === 'file') {
      files.push({ path: seg.path, size: seg.size });
      covered += seg.size;
    } else {
      if (seg.digest !== src.diffId) throw cannot(src, `its tar-split is that of another tar (${seg.digest})`);
      if (covered !== seg.total) throw cannot(src, `its tar-split's segments cover ${covered} of ${seg.total} bytes`);
      return { files, size: seg.total };
    }
  }
  throw cannot(src, 'its tar-split has no end');
}

/** The tool's failure to read a file, said as what it means here. */
export function folderChanged(src: LayerTarSource, err: unknown): StrataError {
  const msg = err instanceof Error ? err.message.replace(/^reading [^:]*: (strata-fs: )?/, '') : String(err);
  return cannot(src, `a file is no longer as imported (the layer folder changed behind Strata's back): ${msg}`, err);
}

/** The bytes the split says, file data read from the folder (one strata-fs cat for all) and checked by name. */
async function* fromSplit(src: LayerTarSource, file: string, files: { path: string; size: number }[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  // Started at the first file and read from at once: execa drops the output of a tool that exits
  // before anyone began reading it (as a small layer's cat would, behind a slow consumer).
  let cat: ReturnType<typeof catFiles> | null = null;
  let data: ByteReader | null = null;
  // The tool stopped first: one still writing output that nobody reads would never end.
  const failed = async (err: unknown) => {
    cat?.stop();
    return folderChanged(src, (await cat?.done.then(() => null, (e: unknown) => e)) ?? err);
  };
  try {
    for await (const seg of readTarSplit(file, signal)) {
      if (seg.kind === 'raw') yield seg.data;
      else if (seg.kind === 'file') {
        if (!cat) {
          cat = catFiles(src.dir, files);
          data = new ByteReader(cat.chunks, Number.MAX_SAFE_INTEGER, signal, false);
        }
        let crc = 0;
        for (let left = seg.size; left > 0; ) {
          const chunk = await data!.readSome(Math.min(left, CHUNK)).catch(async (err: unknown) => { throw await failed(err); });
          crc = crc32(chunk, crc);
          left -= chunk.length;
          yield chunk;
        }
        if (crc >>> 0 !== seg.crc) throw cannot(src, `${quote(seg.path)} is not the file that was imported: its data changed in the layer folder behind Strata's back`);
      }
    }
    if (cat) await cat.done.catch(async (err: unknown) => { throw await failed(err); });
  } finally {
    data?.close();
    cat?.stop();
  }
}

/**
 * The layer's tar, as a stream with its length: from its tar-split, or its canonical tar. Refuses
 * at once a layer recorded as not reproducible, or whose split is missing or damaged; the stream
 * fails (never ends) when the folder no longer gives the tar whose sha256 is the diff_id.
 */
export async function openLayerTar(src: LayerTarSource, signal?: AbortSignal): Promise<LayerTar> {
  if (src.unreproducible) throw cannot(src, src.unreproducible);
  let size: number;
  let source: Readable;
  if (src.tarSplit) {
    const plan = await planFromSplit(src, src.tarSplit, signal).catch((err: unknown) => {
      throw err instanceof StrataError && err.code === ErrorCode.BadArchive ? err : cannot(src, (err as Error).message, err);
    });
    size = plan.size;
    source = Readable.from(fromSplit(src, src.tarSplit, plan.files, signal), { objectMode: false });
  } else {
    size = await canonicalTarLength(src.dir);
    const pass = new PassThrough();
    packLayer(src.dir, pass).catch((err: unknown) => pass.destroy(folderChanged(src, err)));
    source = pass;
  }
  const checked = new CheckedTar(src, size);
  pipeline(source, checked, () => undefined); // errors reach whoever reads `checked`
  return { size, stream: checked };
}

/** Makes the layer's tar and throws it away: null when it is the layer's, else why it is not. */
export async function checkLayerTar(src: LayerTarSource, signal?: AbortSignal): Promise<string | null> {
  try {
    const { stream } = await openLayerTar(src, signal);
    for await (const chunk of stream) void chunk;
    return null;
  } catch (err) {
    if (err instanceof StrataError && err.code === ErrorCode.Cancelled) throw err;
    return (err as Error).message;
  }
}
