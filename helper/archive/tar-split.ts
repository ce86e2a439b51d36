// tar-split: what it takes to turn an imported layer back into the exact tar it came from (its
// sha256 is the layer's diff_id), as containers/storage and Docker keep it (vbatts/tar-split:
// gzip'd JSON lines, raw bytes in base64 and file entries with a crc64). Strata's own format is
// binary, in the spirit of composefs's split stream, and gzip'd:
//
//   "STRATA-TAR-SPLIT 1\n"
//   then segments, in stream order, each a type byte:
//     'R' len data            raw bytes of the tar: headers, PAX and GNU records, padding, the end
//                             blocks and whatever followed them, exactly as they came
//     'F' len path size crc   the data of the regular file written at `path` (layer-relative,
//                             binary), `size` bytes whose CRC-32 is `crc` (4 bytes, big-endian): read
//                             back from the layer folder, and checked by name
//     'E' total digest        the end: the tar's length and its sha256 (32 bytes)
//   (len, size and total are unsigned LEB128 numbers)
//
// Headers, padding and order are the tar's own, so whatever tool wrote it (GNU tar, bsdtar, Go,
// tar-stream, Docker) its bytes come back. Only file contents live in the folder; a tar whose
// later entries overwrite an earlier file cannot be reproduced from it (extract.ts says so at
// import rather than keeping a split that would fail).
//
// Checked at import, cheaply: every byte of the stream went through the recorder, as raw bytes or
// as the data of a file that was complete, so the segments add up to the stream's length (finish);
// test/unit/archive-reproduce.test.ts reproduces every tar shape the importer accepts. A full
// reproduction at import (read every file back, hash the tar again) was measured and left out: on
// the debootstrap minbase tar (204 MB, 6768 entries), into a fresh loop-mounted ext4, medians of 7
// interleaved runs on this machine (2 shared CPUs): extract alone 0.81 s wall (0.45 s of the
// helper's CPU); with this recorder 1.10 s (0.56 s: CRC-32 of every file's data, gzip, the taps);
// with the recorder and a full reproduction check 1.53 s (0.94 s); the check alone, warm, 0.43-0.48
// s. The split itself is 236 KB. Save and push make the tar anyway and hash it as they send it
// (reproduce.ts), and `strata inspect` verifies on demand, so the check costs nothing there.
import { createReadStream, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createGunzip, createGzip, crc32, type Gzip } from 'node:zlib';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { ByteReader } from './input';

const MAGIC = Buffer.from('STRATA-TAR-SPLIT 1\n', 'latin1');
// Raw bytes are gathered into one segment until a file's data starts, or this many are waiting.
const RAW_SEGMENT = 64 * 1024;
// What is encoded is copied into buffers of this size, each handed to gzip once full.
const FLUSH_BYTES = 256 * 1024;
// Buffers gzip has given back, kept for reuse (more are only needed while gzip is behind).
const SPARE_BUFFERS = 2;
// The most one raw segment may claim when read back (a damaged split must not allocate gigabytes).
const MAX_RAW_SEGMENT = 64 * 1024 * 1024;

export type Segment =
  | { kind: 'raw'; data: Buffer }
  | { kind: 'file'; path: string; size: number; crc: number }
  | { kind: 'end'; total: number; digest: string };

/**
 * Records an import's tar as it streams: `tap` gets every byte of the uncompressed stream once, in
 * order (ByteReader.tap); `file` says that the next `size` bytes are the data of the file written
 * at `path`. Writes the gzip'd split to `file`, created new (the layer's stage).
 *
 * Memory: the encoding is copied once, into a few reused 256 KB buffers that gzip gives back when
 * it has read them. It used to be joined twice with Buffer.concat (each raw segment, then each
 * piece for gzip): two new ArrayBuffers per 64 KB of tar headers, garbage that V8 promotes and
 * frees only at a full GC, which a long import of small files does not get. Importing 100,000
 * small files left ~200 MB of them, and glibc's heap kept the pages after they were freed.
 */
export class TarSplitRecorder {
  private readonly gzip: Gzip;
  private readonly sink: WriteStream;
  private readonly written: Promise<void>;
  private raw: Buffer[] = [];
  private rawLen = 0;
  /** The buffer being filled, and how much of it is. */
  private buf: Buffer = Buffer.allocUnsafeSlow(FLUSH_BYTES);
  private bufLen = 0;
  private readonly spare: Buffer[] = [];
  /** gzip.write said to wait for 'drain'. */
  private behind = false;
  private file: { path: string; size: number; left: number; crc: number } | null = null;
  /** Bytes of the stream recorded so far (raw and file data). */
  recorded = 0;

  constructor(path: string) {
    this.gzip = createGzip({ level: 6 });
    const sink = (this.sink = createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    this.written = new Promise<void>((resolve, reject) => {
      sink.on('finish', resolve);
      sink.on('error', reject);
      this.gzip.on('error', reject);
    });
    this.written.catch(() => undefined); // observed by finish()
    this.gzip.pipe(sink);
    this.put(MAGIC);
  }

  /** Every byte of the stream, in order. */
  readonly tap = (bytes: Buffer): void => {
    this.recorded += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      const f = this.file;
      if (f === null) {
        this.addRaw(at === 0 ? bytes : bytes.subarray(at));
        return;
      }
      const n = Math.min(f.left, bytes.length - at);
      f.crc = crc32(bytes.subarray(at, at + n), f.crc);
      f.left -= n;
      at += n;
      if (f.left === 0) this.endFile(f);
    }
  };

  /**
   * The data of the file begun last went by without passing through tap(): the native reader held
   * it back (native-import.ts) and gives its size and CRC-32 instead.
   */
  readonly tapHeld = (size: number, crc: number): void => {
    const f = this.file;
    if (f === null || f.left !== size || f.left !== f.size) {
      throw new StrataError(ErrorCode.Internal, `tar-split: ${size} bytes of file data held back where ${f ? `${f.left} bytes of ${JSON.stringify(f.path)}` : 'no file'} were due`);
    }
    this.recorded += size;
    f.crc = crc;
    f.left = 0;
    this.endFile(f);
  };

  /** The next `size` bytes (more than 0) are the data of the regular file at `path`. */
  beginFile(path: string, size: number): void {
    if (this.file) throw new StrataError(ErrorCode.Internal, `tar-split: ${path} begins inside the data of ${this.file.path}`);
    this.flushRaw();
    this.file = { path, size, left: size, crc: 0 };
  }

  private endFile(f: { path: string; size: number; crc: number }): void {
    this.putByte(0x46); // 'F'
    this.putVarint(Buffer.byteLength(f.path, 'latin1'));
    this.putString(f.path);
    this.putVarint(f.size);
    const crc = f.crc >>> 0;
    for (const shift of [24, 16, 8, 0]) this.putByte((crc >>> shift) & 0xff);
    this.file = null;
  }

  private addRaw(bytes: Buffer): void {
    // Views of the reader's chunks, held only until the segment is copied out.
    this.raw.push(bytes);
    this.rawLen += bytes.length;
    if (this.rawLen >= RAW_SEGMENT) this.flushRaw();
  }

  private flushRaw(): void {
    if (this.rawLen === 0) return;
    this.putByte(0x52); // 'R'
    this.putVarint(this.rawLen);
    for (const part of this.raw) this.put(part);
    this.raw = [];
    this.rawLen = 0;
  }

  private putByte(b: number): void {
    if (this.bufLen === this.buf.length) this.handOver();
    this.buf[this.bufLen++] = b;
  }

  private putVarint(n: number): void {
    do {
      let byte = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) byte |= 0x80;
      this.putByte(byte);
    } while (n > 0);
  }

  private putString(s: string): void {
    // Paths are short; a long one goes through a Buffer of its own.
    if (s.length > this.buf.length - this.bufLen) return this.put(Buffer.from(s, 'latin1'));
    this.bufLen += this.buf.write(s, this.bufLen, 'latin1');
  }

  private put(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.bufLen === this.buf.length) this.handOver();
      const n = bytes.copy(this.buf, this.bufLen, at);
      this.bufLen += n;
      at += n;
    }
  }

  /** Hands the filled buffer to gzip; it comes back to the spares once gzip has read it. */
  private handOver(): void {
    if (this.bufLen === 0) return;
    const full = this.buf;
    const ok = this.gzip.write(full.subarray(0, this.bufLen), (err) => {
      if (!err && this.spare.length < SPARE_BUFFERS) this.spare.push(full);
    });
    if (!ok) this.behind = true;
    this.buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(FLUSH_BYTES);
    this.bufLen = 0;
  }

  /** Waits while gzip and the file are behind. */
  async pace(): Promise<void> {
    if (!this.behind) return;
    this.behind = false;
    if (this.gzip.writableNeedDrain) await new Promise((resolve) => this.gzip.once('drain', resolve));
  }

  /**
   * Ends the split with the stream's length and digest. The proof at import that it covers the
   * tar: every byte of the stream went through tap() (raw or file data) and every file's data was
   * complete, so the segments add up to `total`. Returns why not, or null.
   */
  async finish(total: number, digest: string): Promise<string | null> {
    if (this.file) return `the data of ${JSON.stringify(this.file.path)} ends early (${this.file.left} of ${this.file.size} bytes missing)`;
    if (this.recorded !== total) return `the recorded segments cover ${this.recorded} of the tar's ${total} bytes`;
    this.flushRaw();
    this.putByte(0x45); // 'E'
    this.putVarint(total);
    this.put(Buffer.from(digest.replace(/^sha256:/, ''), 'hex'));
    this.handOver();
    this.gzip.end();
    await this.written;
    return null;
  }

  /**
   * Stops writing; resolves once the file is closed (the caller may then remove it: a file still
   * being opened would otherwise appear after its removal).
   */
  abort(): Promise<void> {
    this.gzip.unpipe(this.sink);
    this.gzip.destroy();
    const closed = this.sink.closed ? Promise.resolve() : new Promise<void>((resolve) => this.sink.once('close', () => resolve()));
    this.sink.destroy();
    return closed;
  }
}

/** Reads a split's segments back, in order; the file must end with its 'E' segment and nothing after. */
export async function* readTarSplit(path: string, signal?: AbortSignal): AsyncGenerator<Segment> {
  // Large pieces: zlib's default 16 KB output chunks made inflating a root fs's split (6 MB of
  // headers) a quarter of a save's time in the helper, twice (the plan, then the bytes).
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  const bytes = new ByteReader(gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>, Number.MAX_SAFE_INTEGER, signal, false);
  const bad = (why: string) => new StrataError(ErrorCode.Internal, `tar-split ${path}: ${why}`);
  try {
    const magic = await bytes.readExact(MAGIC.length);
    if (!magic?.equals(MAGIC)) throw bad('not a Strata tar-split (bad magic)');
    const num = async (): Promise<number> => {
      let n = 0;
      for (let scale = 1; ; scale *= 128) {
        const b = await bytes.readExact(1);
        if (b === null) throw bad('cut short');
        n += (b[0] & 0x7f) * scale;
        if (!Number.isSafeInteger(n)) throw bad('a number out of range');
        if ((b[0] & 0x80) === 0) return n;
      }
    };
    const exact = async (n: number): Promise<Buffer> => {
      const b = await bytes.readExact(n);
      if (b === null || b.length < n) throw bad('cut short');
      return b;
    };
    for (;;) {
      const type = await bytes.readExact(1);
      if (type === null) throw bad('cut short (no end segment)');
      const t = String.fromCharCode(type[0]);
      if (t === 'R') {
        const len = await num();
        if (len > MAX_RAW_SEGMENT) throw bad(`a raw segment of ${len} bytes`);
        yield { kind: 'raw', data: await exact(len) };
      } else if (t === 'F') {
        const path = (await exact(await num())).toString('latin1');
        const size = await num();
        yield { kind: 'file', path, size, crc: (await exact(4)).readUInt32BE(0) };
      } else if (t === 'E') {
        const total = await num();
        const digest = `sha256:${(await exact(32)).toString('hex')}`;
        if ((await bytes.readExact(1)) !== null) throw bad('bytes after the end segment');
        yield { kind: 'end', total, digest };
        return;
      } else {
        throw bad(`unknown segment type 0x${type[0].toString(16)}`);
      }
    }
  } catch (err) {
    if (err instanceof StrataError) throw err;
    throw new StrataError(ErrorCode.Internal, `tar-split ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    bytes.close();
    file.destroy();
    gunzip.destroy();
  }
}
