// helper/archive/decompress.ts: the decompressor a layer needs, by media type and by magic; zstd
// made by Debian's `zstd` command (one frame, several frames, with and without checksums, long
// windows) imports with the diff_id of the plain tar; broken zstd is refused as such; a zstd bomb is
// stopped by the ratio limit as it streams (the threat: a few KiB that expand to fill the memory or
// the disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { extractLayer } from '../../helper/archive';
import { compressionOfMagic, compressionOfMediaType, decompressorFor } from '../../helper/archive/decompress';
import { ErrorCode } from '../../helper/protocol/errors';
import { sha256, streamOf } from '../support/archive-fs';
import { refused, withArena } from '../support/archive-hostile';
import { buildTar } from '../support/archive-tar';

async function zstd(data: Buffer, ...flags: string[]): Promise<Buffer> {
  const r = await execa('zstd', ['-c', '-q', ...flags], { input: data, encoding: 'buffer' }).catch((err: Error) => {
    throw new Error(`Debian's zstd is needed (scripts/ensure.mjs installs it): ${err.message}`);
  });
  return Buffer.from(r.stdout);
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

async function* inPieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

test('the compression a media type names; an unknown layer type is refused by name', () => {
  assert.equal(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar'), 'none');
  assert.equal(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip');
  assert.equal(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
  assert.equal(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.throws(() => compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+lz4'), /unsupported layer type application\/vnd\.oci\.image\.layer\.v1\.tar\+lz4 \(plain tar, gzip and zstd are\)/);
});

test('the compression first bytes show; xz and bzip2 are named', async () => {
  const tar = await buildTar([{ name: 'f', data: 'x' }]);
  assert.equal(compressionOfMagic(tar), 'none');
  assert.equal(compressionOfMagic(gzipSync(tar)), 'gzip');
  assert.equal(compressionOfMagic(await zstd(tar)), 'zstd');
  assert.throws(() => compressionOfMagic(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4])), /xz-compressed/);
});

test('by magic the bytes decide, also when a media type says otherwise (a plain layer labelled gzip)', async () => {
  const tar = await buildTar([{ name: 'f', data: 'y'.repeat(5000) }]);
  const d = decompressorFor({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', magic: tar.subarray(0, 10) });
  assert.ok((await collect(d(inPieces(tar, 700)))).equals(tar));
  const z = await zstd(tar);
  assert.ok((await collect(decompressorFor({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' })(inPieces(z, 3)))).equals(tar), 'by media type, fed 3 bytes at a time');
  assert.throws(() => decompressorFor({ mediaType: 'text/plain', magic: z }), /unsupported layer type text\/plain/);
});

test('zstd from Debian\'s zstd imports with the plain tar\'s diff_id: levels, checksums, long windows, several frames', async () => {
  const files = [
    { name: 'random', data: randomBytes(3 * 1024 * 1024) },
    { name: 'text', data: Buffer.from('the same line again\n'.repeat(200_000)) },
    { name: 'dir/', type: 'directory' as const },
    { name: 'dir/link', type: 'symlink' as const, linkname: '../text' },
  ];
  const tar = await buildTar(files);
  const half = Math.floor(tar.length / 2);
  const variants: [string, Buffer][] = [
    ['level 3', await zstd(tar)],
    ['level 19, no checksum', await zstd(tar, '-19', '--no-check')],
    ['--long=27', await zstd(tar, '--long=27')],
    ['two frames', Buffer.concat([await zstd(tar.subarray(0, half)), await zstd(tar.subarray(half))])],
  ];
  for (const [what, z] of variants) {
    await withArena(async ({ dest }) => {
      const r = await extractLayer(streamOf(z), dest);
      assert.equal(r.diffId, sha256(tar), what);
      assert.ok((await fsp.readFile(join(dest, 'random'))).equals(files[0].data as Buffer), `${what}: the file's bytes`);
      assert.equal(await fsp.readlink(join(dest, 'dir/link')), '../text');
    });
  }
});

test('broken zstd is refused as bad zstd data (cut short, junk after the magic); a changed byte is caught by the digest', async () => {
  const tar = await buildTar([{ name: 'f', data: Buffer.from('some text, again and again. '.repeat(20_000)) }]);
  const z = await zstd(tar);
  const cases: [Buffer, RegExp][] = [
    [z.subarray(0, z.length - 100), /bad zstd data|truncated/],
    [Buffer.concat([z.subarray(0, 4), randomBytes(500)]), /bad zstd data/],
  ];
  for (const [input, error] of cases) await withArena(async ({ dest }) => void (await refused(input, dest, error)));
  // fzstd skips the frame's optional xxhash64: a flipped byte in the data either fails to decode or
  // gives other bytes, whose digest is then not the diff_id the image's config names (load-plan.ts).
  const flipped = Buffer.from(z);
  flipped[Math.floor(z.length / 2)] ^= 0x55;
  await withArena(async ({ dest }) => {
    const r = await extractLayer(streamOf(flipped), dest).then((x) => x.diffId, (err: Error) => err.message);
    assert.notEqual(r, sha256(tar));
  });
});

test('a zstd bomb (a few KiB for 512 MiB of zeros) stops at the ratio limit as it streams, and with the limit off imports', async () => {
  const tar = await buildTar([{ name: 'zeros', data: Buffer.alloc(512 * 1024 * 1024) }]);
  const bomb = await zstd(tar, '-19');
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes`);
  await withArena(async ({ dest }) => {
    const err = await refused(bomb, dest, /the zstd stream expands more than 100 times \(.* became .* so far\), as a decompression bomb does/, ErrorCode.LimitExceeded);
    assert.ok(!/became [2-5]\d\d\.\d MiB/.test(err.message), `stopped early: ${err.message}`);
  });
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(bomb), dest, { limits: { maxCompressionRatio: 0 } });
    assert.equal((await fsp.stat(join(dest, 'zeros'))).size, 512 * 1024 * 1024);
  });
});
