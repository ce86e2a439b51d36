// Which decompressor a layer blob needs, chosen by its media type (a manifest's descriptor: OCI
// layouts, registries) or by its first bytes (docker-archive layer files, import, anything without a
// type): plain tar, gzip (Node's zlib) or zstd (fzstd, pure JavaScript: no native build, no prebuilt
// download, nothing to install but the npm package; Node 20 has no zstd in zlib). One module so that
// load, import and the registry's pull choose the same way.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { badArchive } from './limits';

export type Compression = 'none' | 'gzip' | 'zstd';

/** Layer media types Strata reads, and the compression each names. */
export const LAYER_MEDIA_TYPES: Readonly<Record<string, Compression>> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  // Docker's schema 2 names every layer ".tar.gzip", compressed or not (docker save's are plain):
  // the bytes' magic decides there.
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/** How many first bytes compressionOfMagic needs to tell every format apart. */
export const MAGIC_BYTES = 10;

const MAGICS: [(number | null)[], Compression | 'xz' | 'bzip2'][] = [
  [[0x1f, 0x8b], 'gzip'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  // Recognised only to say so clearly instead of "bad header checksum". (A tar starts with its
  // first entry's name; these magics are not plausible names, and bzip2's "BZh" is checked with
  // its block magic so that a tar whose first file is called "BZh..." still reads as a tar.)
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x42, 0x5a, 0x68, null, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59], 'bzip2'],
];

/** The compression a layer media type names; throws for a type that is not a layer Strata reads. */
export function compressionOfMediaType(mediaType: string): Compression {
  const c = LAYER_MEDIA_TYPES[mediaType];
  if (!c) throw badArchive(`unsupported layer type ${mediaType} (plain tar, gzip and zstd are)`);
  return c;
}

/** The compression the blob's first bytes (MAGIC_BYTES of them, or all it has) show; 'none' is a tar. */
export function compressionOfMagic(head: Uint8Array): Compression {
  for (const [magic, name] of MAGICS) {
    if (head.length >= magic.length && magic.every((m, i) => m === null || head[i] === m)) {
      if (name === 'xz' || name === 'bzip2') throw badArchive(`the layer is ${name}-compressed; plain tar, gzip and zstd are supported (decompress it first)`);
      return name;
    }
  }
  return 'none';
}

export type Decompressor = (compressed: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>;

// fzstd decompresses every whole block of what it is given before it returns, and a 4-byte zstd
// block can stand for 128 KiB: fed 1 KiB at a time, one push makes at most ~32 MiB, so a zstd bomb
// is stopped by the caller's ratio check (archive/input.ts) before it fills the memory.
const ZSTD_FEED = 1024;

async function* gunzip(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = createGunzip();
  Readable.from(compressed, { objectMode: false }).on('error', (err) => z.destroy(err)).pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') throw badArchive(`bad gzip data: ${(err as Error).message}`, err);
    throw err;
  }
}

async function* unzstd(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const z = new Decompress((data) => { if (data.length) out.push(Buffer.from(data.buffer, data.byteOffset, data.length)); });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      z.push(chunk, final);
    } catch (err) {
      throw badArchive(`bad zstd data: ${(err as Error).message}`, err);
    }
  };
  for await (const chunk of compressed) {
    for (let at = 0; at < chunk.length; at += ZSTD_FEED) {
      push(chunk.subarray(at, at + ZSTD_FEED), false);
      if (out.length) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
  }
  push(new Uint8Array(0), true);
  yield* out;
}

async function* plain(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield* compressed;
}

const DECOMPRESSORS: Record<Compression, Decompressor> = { none: plain, gzip: gunzip, zstd: unzstd };

/**
 * The decompressor for a layer blob, by its media type or by its first bytes. Given both, the media
 * type must be a layer type Strata reads and the bytes decide: Docker's schema 2 calls plain layers
 * "tar.gzip", and some tools label an uncompressed OCI layer +gzip; the digest, not the label, is what
 * keeps the content honest.
 */
export function decompressorFor(key: { mediaType?: string; magic?: Uint8Array }): Decompressor {
  const byType = key.mediaType === undefined ? undefined : compressionOfMediaType(key.mediaType);
  const c = key.magic !== undefined ? compressionOfMagic(key.magic) : byType;
  if (c === undefined) throw new Error('decompressorFor: give a media type or the first bytes');
  return DECOMPRESSORS[c];
}
