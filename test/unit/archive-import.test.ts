// Importing layer tars: diff_id, gzip, every entry type and its metadata, duplicates, progress and
// cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, promises as fsp, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { extractLayer } from '../../helper/archive';
import { StrataError } from '../../helper/errors';
import { ErrorCode } from '../../helper/protocol/errors';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { describeTree, makeTmp, removeTmp, sha256, sha256sumCli, streamOf } from '../support/archive-fs';
import { makeFixture } from '../support/archive-fixture';
import { buildTar, END, MTIME, rawData, rawHeader } from '../support/archive-tar';

const EMPTY_LAYER = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** GNU tar's POSIX (PAX) format with xattrs, or its own GNU format (which cannot hold xattrs). */
async function gnuTar(dir: string, file: string, format: 'posix' | 'gnu' = 'posix'): Promise<void> {
  const xattrs = format === 'posix' ? ['--xattrs', '--xattrs-include=*'] : [];
  await execa('tar', [`--format=${format}`, ...xattrs, '--numeric-owner', '-cf', file, '-C', dir, '.']);
}

test('diff_id of an imported tar is the sha256 of its bytes, as node:crypto and sha256sum compute it', async () => {
  const tmp = makeTmp();
  try {
    await makeFixture(join(tmp, 'src'));
    const file = join(tmp, 'layer.tar');
    await gnuTar(join(tmp, 'src'), file);
    const result = await extractLayer(createReadStream(file), join(tmp, 'dest'));
    assert.equal(result.diffId, sha256(await fsp.readFile(file)));
    assert.equal(result.diffId, await sha256sumCli(file));
    // GNU tar pads to a 10 KiB record: the padding after the end blocks is part of the digest.
    assert.equal((await fsp.stat(file)).size % 10240, 0);
  } finally {
    removeTmp(tmp);
  }
});

test('a gzip layer is detected by its magic bytes; diff_id is over the uncompressed tar', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', data: 'hi\n' }]);
    const plain = await extractLayer(streamOf(tar), join(tmp, 'plain'));
    const gz = await extractLayer(streamOf(gzipSync(tar), 7), join(tmp, 'gz'));
    assert.equal(gz.diffId, sha256(tar));
    assert.deepEqual(gz, plain);
    assert.equal(await fsp.readFile(join(tmp, 'gz/etc/motd'), 'utf8'), 'hi\n');
    // Two gzip members back to back are one stream (what `cat a.gz b.gz` makes).
    const half = tar.length / 2;
    const twoMembers = Buffer.concat([gzipSync(tar.subarray(0, half)), gzipSync(tar.subarray(half))]);
    assert.equal((await extractLayer(streamOf(twoMembers), join(tmp, 'multi'))).diffId, sha256(tar));
  } finally {
    removeTmp(tmp);
  }
});

test('the empty layer (two zero blocks) has the well-known diff_id', async () => {
  const tmp = makeTmp();
  try {
    const r = await extractLayer(streamOf(Buffer.alloc(1024)), join(tmp, 'dest'));
    assert.deepEqual(r, { diffId: EMPTY_LAYER, size: 0, entries: 0 });
    assert.deepEqual(await fsp.readdir(join(tmp, 'dest')), []);
  } finally {
    removeTmp(tmp);
  }
});

test('every entry type and its metadata survive import of a GNU tar (modes, owners, mtimes, links, xattrs, odd names)', async () => {
  const tmp = makeTmp();
  try {
    const src = join(tmp, 'src');
    await makeFixture(src);
    for (const format of ['gnu', 'posix'] as const) {
      const noXattrs = format === 'gnu';
      const file = join(tmp, `${format}.tar`);
      await gnuTar(src, file, format);
      const dest = join(tmp, `dest-${format}`);
      const r = await extractLayer(createReadStream(file), dest);
      assert.deepEqual(await describeTree(dest, { seconds: true, noXattrs }), await describeTree(src, { seconds: true, noXattrs }), `format ${format}`);
      const st = await fsp.stat(join(src, 'big.bin'));
      assert.ok(r.size >= st.size, 'size counts the regular files');
    }
    // Spot checks a reader can see without the tree description.
    assert.equal((await fsp.stat(join(tmp, 'dest-gnu/su'))).mode & 0o7777, 0o4755);
    assert.equal((await fsp.stat(join(tmp, 'dest-gnu/tmp'))).mode & 0o7777, 0o1777);
    assert.equal((await fsp.stat(join(tmp, 'dest-gnu/etc/motd'))).ino, (await fsp.stat(join(tmp, 'dest-gnu/etc/motd.link'))).ino);
    assert.equal(await fsp.readlink(join(tmp, 'dest-gnu/key.abs')), '/etc/ssl/secret.key');
    assert.ok((await fsp.lstat(join(tmp, 'dest-gnu/tmp/fifo'))).isFIFO());
  } finally {
    removeTmp(tmp);
  }
});

test('a busybox root file system imports exactly', async (t) => {
  const tmp = makeTmp();
  try {
    await buildBusyboxRootfs(join(tmp, 'rootfs'));
    const file = join(tmp, 'busybox.tar');
    await gnuTar(join(tmp, 'rootfs'), file);
    const start = performance.now();
    const r = await extractLayer(createReadStream(file), join(tmp, 'dest'));
    t.diagnostic(`busybox: ${r.entries} entries, ${(r.size / 1e6).toFixed(1)} MB extracted in ${(performance.now() - start).toFixed(0)} ms`);
    assert.ok(r.entries > 250);
    assert.deepEqual(await describeTree(join(tmp, 'dest'), { seconds: true }), await describeTree(join(tmp, 'rootfs'), { seconds: true }));
  } finally {
    removeTmp(tmp);
  }
});

test('a GNU long name whose truncated copy in the header ends in "/" is still a file', async () => {
  const tmp = makeTmp();
  try {
    const long = `${'d'.repeat(99)}/file`;
    const data = Buffer.from('data that must not be read as a header\n');
    const tar = Buffer.concat([
      rawHeader({ name: '././@LongLink', typeflag: 'L', size: long.length + 1, magic: 'gnu' }),
      rawData(`${long}\0`),
      rawHeader({ name: long.slice(0, 100), typeflag: '0', size: data.length, magic: 'gnu' }),
      rawData(data),
      END,
    ]);
    await extractLayer(streamOf(tar), join(tmp, 'd'));
    assert.ok((await fsp.readFile(join(tmp, 'd', long))).equals(data));
    // A pre-POSIX '\0' entry named with a trailing slash is a directory.
    await extractLayer(streamOf(Buffer.concat([rawHeader({ name: 'olddir/', typeflag: '\0', mode: 0o755 }), END])), join(tmp, 'v7'));
    assert.ok((await fsp.lstat(join(tmp, 'v7/olddir'))).isDirectory());
  } finally {
    removeTmp(tmp);
  }
});

test('a later duplicate entry replaces an earlier one, whatever the types', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([
      { name: 'a', data: 'first' },
      { name: 'a/', type: 'directory' }, // file -> dir
      { name: 'a/inner', data: 'inner' },
      { name: 'b/', type: 'directory' },
      { name: 'b/child', data: 'child' },
      { name: 'b', data: 'now a file' }, // dir (with children) -> file
      { name: 'c', data: 'original' },
      { name: 'c.link', type: 'link', linkname: 'c' },
      { name: 'c', data: 'replaced' }, // the old inode lives on under c.link, as with GNU tar
      { name: 'd', type: 'symlink', linkname: 'nowhere' },
      { name: 'd', data: 'file over symlink' },
      { name: 'e/', type: 'directory', mode: 0o700 },
      { name: 'e/kept', data: 'kept' },
      { name: 'e/', type: 'directory', mode: 0o751 }, // a repeated dir keeps its contents, takes the new mode
    ]);
    await extractLayer(streamOf(tar), join(tmp, 'd'));
    const read = (p: string) => fsp.readFile(join(tmp, 'd', p), 'utf8');
    assert.equal(await read('a/inner'), 'inner');
    assert.equal(await read('b'), 'now a file');
    assert.equal(await read('c'), 'replaced');
    assert.equal(await read('c.link'), 'original');
    assert.equal(await read('d'), 'file over symlink');
    assert.ok((await fsp.lstat(join(tmp, 'd/d'))).isFile());
    assert.equal(await read('e/kept'), 'kept');
    assert.equal((await fsp.stat(join(tmp, 'd/e'))).mode & 0o7777, 0o751);
  } finally {
    removeTmp(tmp);
  }
});

test('PAX records set long names, large ids and sub-second mtimes', async () => {
  const tmp = makeTmp();
  try {
    const long = `dir/${'x'.repeat(200)}`;
    const tar = await buildTar([
      { name: 'dir/', type: 'directory' },
      { name: long, data: 'long', uid: 3_000_000, gid: 4_000_000, pax: { mtime: `${MTIME}.25`, uid: '3000000', gid: '4000000' } },
    ]);
    await extractLayer(streamOf(tar), join(tmp, 'd'));
    const st = await fsp.lstat(join(tmp, 'd', long), { bigint: true });
    assert.equal(st.uid, 3_000_000n);
    assert.equal(st.gid, 4_000_000n);
    assert.equal(st.mtimeNs, BigInt(MTIME) * 1_000_000_000n + 250_000_000n);
  } finally {
    removeTmp(tmp);
  }
});

test('progress reports bytes read from the input (about every MiB); an abort signal cancels, even a stalled input', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'f', data: Buffer.alloc(8_000_000, 1) }]);
    const seen: number[] = [];
    await extractLayer(streamOf(tar, 4096), join(tmp, 'p'), { onProgress: (n) => seen.push(n) });
    // About once per MiB (not once per 4 KiB chunk), always ending with the total.
    assert.ok(seen.length >= 7 && seen.length <= 9, `${seen.length} reports`);
    assert.equal(seen[seen.length - 1], tar.length);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen);

    const stalled = new PassThrough();
    stalled.write(tar.subarray(0, 1024)); // a header and a little data, then nothing more
    const ac = new AbortController();
    const p = extractLayer(stalled, join(tmp, 'c'), { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, (err: unknown) => err instanceof StrataError && err.code === ErrorCode.Cancelled && /cancelled/.test(err.message));
    // Stalled before the first bytes (while gzip is being sniffed), and aborted before the start.
    const silent = new PassThrough();
    const ac2 = new AbortController();
    const p2 = extractLayer(silent, join(tmp, 'c2'), { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    await assert.rejects(p2, (err: unknown) => err instanceof StrataError && err.code === ErrorCode.Cancelled);
    await assert.rejects(extractLayer(streamOf(tar), join(tmp, 'c3'), { signal: AbortSignal.abort() }), /import cancelled/);
    // A tar whose first file is named like a bzip2 header is still a tar.
    const bz = await buildTar([{ name: 'BZh9-not-bzip2', data: 'x' }]);
    assert.equal((await extractLayer(streamOf(bz), join(tmp, 'bz'))).entries, 1);
  } finally {
    removeTmp(tmp);
  }
});

test('destDir must be empty; a missing destDir is made', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'f', data: 'x' }]);
    await extractLayer(streamOf(tar), join(tmp, 'new'));
    writeFileSync(join(tmp, 'new/extra'), '');
    await assert.rejects(extractLayer(streamOf(tar), join(tmp, 'new')), /not empty/);
  } finally {
    removeTmp(tmp);
  }
});
