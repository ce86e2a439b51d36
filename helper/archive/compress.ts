// A layer's tar made into a gzip blob (save --compress; a push can use the same): written to a file
// in the store's tmp/ while its sha256 and size are counted, since a tar entry or a manifest needs
// both before the blob's first byte is sent. The file is read back once and removed.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';

// zlib's default level (6), as Docker's and containers/image's pushes use: what a registry's other
// clients expect in size. Node writes no name and a zero mtime in the header, so the same tar
// gives the same blob and digest every time.
export const GZIP_LEVEL = constants.Z_DEFAULT_COMPRESSION;

export interface GzipBlob {
  /** sha256 of the gzip bytes: the blob's digest. */
  digest: string;
  size: number;
  /** Reads the blob once, then removes its file. */
  stream(): AsyncIterable<Buffer>;
  /** Removes the file when stream() will not be read. */
  discard(): Promise<void>;
}

/** Gzips `tar` into `file` (a path in a stage of the store, not there yet). */
export async function gzipToFile(tar: AsyncIterable<Buffer>, file: string, signal?: AbortSignal): Promise<GzipBlob> {
  const hash = createHash('sha256');
  let size = 0;
  const gzip = createGzip({ level: GZIP_LEVEL });
  async function* counted(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  try {
    await pipeline(Readable.from(tar, { objectMode: false }), gzip, counted, createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
  } catch (err) {
    await fs.rm(file, { force: true });
    throw err;
  }
  const discard = () => fs.rm(file, { force: true });
  async function* stream(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
    } finally {
      await discard();
    }
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, stream, discard };
}
