// Reproducing a layer's tar byte for byte (archive/reproduce.ts): every tar shape the importer
// accepts comes back identical from its tar-split and folder (sha256 == diff_id); committed layers
// come back as their canonical tar; a folder changed behind Strata's back is refused, by name, and
// never delivered as a complete tar; a tar whose entries overwrite each other is recorded at import
// as not reproducible, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { packLayer } from '../../helper/archive';
import { checkLayerTar, openLayerTar } from '../../helper/archive/reproduce';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { collect, makeTmp, removeTmp, sha256 } from '../support/archive-fs';
import { makeFixture } from '../support/archive-fixture';
import { gnuTar, importWithSplit } from '../support/layer-split';
import { DEBOOTSTRAP_DEV, END, appendToTar, buildTar, deviceHeader, rawData, rawHeader, rawPax } from '../support/archive-tar';
import { PassThrough } from 'node:stream';

/** The tar reproduced from an import of `tar`: must be `tar` itself (`plain`: the uncompressed bytes). */
async function roundTrip(tmp: string, name: string, input: Buffer, plain = input): Promise<void> {
  const { src, unreproducible } = await importWithSplit(tmp, name, input);
  assert.equal(unreproducible, undefined, `${name}: kept a tar-split`);
  const { size, stream } = await openLayerTar(src);
  const out = await collect(stream);
  assert.equal(size, plain.length, `${name}: the size is known before the bytes`);
  assert.equal(sha256(out), src.diffId, `${name}: sha256 of the reproduced tar is diff_id`);
  assert.ok(out.equals(plain), `${name}: byte-identical`);
}

test('GNU tar (gnu and posix formats: long names, xattrs, hard links, symlinks, a fifo, odd names) comes back byte for byte', async () => {
  const tmp = makeTmp();
  try {
    await makeFixture(join(tmp, 'src'));
    for (const format of ['gnu', 'posix'] as const) {
      const tar = await gnuTar(join(tmp, 'src'), join(tmp, `${format}.tar`), format);
      assert.equal(tar.length % 10240, 0, 'GNU tar pads to its record size after the end blocks');
      await roundTrip(tmp, format, tar);
    }
  } finally {
    removeTmp(tmp);
  }
});

test('tar-stream (PAX long names and records), device nodes, whiteouts with and without data, opaque markers', async () => {
  const tmp = makeTmp();
  try {
    const long = `${'p'.repeat(150)}/${'n'.repeat(120)}`;
    const base = await buildTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.motd' },
      { name: 'etc/.wh.junk', data: 'a whiteout with data: skipped, still part of the tar' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', data: Buffer.alloc(512, 1) }, // exactly one block: no padding
      { name: `${long}/file`, data: 'deep and long\n', pax: { 'SCHILY.xattr.user.note': 'kept' } },
      { name: 'link-to-new', type: 'link', linkname: 'var/cache/new' },
      { name: 'sym', type: 'symlink', linkname: long },
      { name: 'empty', data: '' },
    ]);
    await roundTrip(tmp, 'tar-stream', base);
    const devices = DEBOOTSTRAP_DEV.map(([name, major, minor]) => deviceHeader(name, 'c', major, minor));
    await roundTrip(tmp, 'devices', appendToTar(base, [...devices, deviceHeader('./dev/sda', 'b', 8, 0, 0o660, 0, 6)]));
  } finally {
    removeTmp(tmp);
  }
});

test('gzip input, trailing junk after the end blocks, a PAX global header, a repeated directory, the empty layer', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'a/', type: 'directory' }, { name: 'a/f', data: 'f\n' }, { name: 'a/', type: 'directory', mode: 0o700 }]);
    await roundTrip(tmp, 'gzip', gzipSync(tar), tar);
    await roundTrip(tmp, 'junk', Buffer.concat([tar, Buffer.from('trailing bytes that are not a tar at all\n'), Buffer.alloc(3000, 0xff)]));
    const global = Buffer.concat([rawPax([['comment', 'a global header, ignored']], 'g'), rawHeader({ name: 'g', typeflag: '0', size: 3 }), rawData('g\n\n'), END]);
    await roundTrip(tmp, 'global', global);
    await roundTrip(tmp, 'empty', Buffer.alloc(1024));
  } finally {
    removeTmp(tmp);
  }
});

test('a busybox root file system tarred by GNU tar, and by busybox tar, comes back byte for byte', async () => {
  const tmp = makeTmp();
  try {
    const rootfs = join(tmp, 'rootfs');
    await buildBusyboxRootfs(rootfs);
    await roundTrip(tmp, 'busybox-gnu', await gnuTar(rootfs, join(tmp, 'bb-gnu.tar'), 'gnu'));
    await execa('busybox', ['tar', '-cf', join(tmp, 'bb-busybox.tar'), '-C', rootfs, '.']);
    await roundTrip(tmp, 'busybox-busybox', await fsp.readFile(join(tmp, 'bb-busybox.tar')));
  } finally {
    removeTmp(tmp);
  }
});

test('a committed (canonical) layer comes back as the tar that defined its diff_id', async () => {
  const tmp = makeTmp();
  try {
    await makeFixture(join(tmp, 'src'));
    const packed = new PassThrough();
    const [{ diffId }, tar] = await Promise.all([packLayer(join(tmp, 'src'), packed), collect(packed)]);
    const { size, stream } = await openLayerTar({ id: 'canonical', diffId, dir: join(tmp, 'src'), tarSplit: null });
    const out = await collect(stream);
    assert.equal(size, tar.length);
    assert.ok(out.equals(tar));
    // The same folder, changed: the canonical tar is another one, and it is refused, not sent.
    const src = { id: 'canonical', diffId, dir: join(tmp, 'src'), tarSplit: null };
    await fsp.writeFile(join(tmp, 'src/etc/motd'), 'HELLO\n'); // same length, other bytes
    assert.match((await checkLayerTar(src))!, /cannot be reproduced: its folder's canonical tar has the digest sha256:[0-9a-f]{64}, not its diff_id/);
    await fsp.writeFile(join(tmp, 'src/etc/empty'), 'no longer empty');
    assert.match((await checkLayerTar(src))!, /cannot be reproduced: its folder's canonical tar has the digest/);
  } finally {
    removeTmp(tmp);
  }
});

test('a file changed behind Strata\'s back is named, and the stream errors instead of ending', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', data: 'hello\n' }, { name: 'etc/big', data: Buffer.alloc(3 << 20, 7) }]);
    const { src } = await importWithSplit(tmp, 'same-size', tar);
    assert.equal(await checkLayerTar(src), null, 'as imported, it reproduces');
    await fsp.writeFile(join(src.dir, 'etc/motd'), 'HELLO\n'); // same size, other bytes
    assert.match((await checkLayerTar(src))!, /"etc\/motd" is not the file that was imported/);
    const { stream } = await openLayerTar(src);
    const got: Buffer[] = [];
    await assert.rejects(async () => { for await (const c of stream) got.push(c as Buffer); }, /etc\/motd/);
    assert.ok(Buffer.concat(got).length < tar.length, 'never the whole tar');

    const { src: resized } = await importWithSplit(tmp, 'resized', tar);
    await fsp.appendFile(join(resized.dir, 'etc/big'), 'more');
    assert.match((await checkLayerTar(resized))!, /etc\/big: .*changed/);
    const { src: removed } = await importWithSplit(tmp, 'removed', tar);
    await fsp.rm(join(removed.dir, 'etc/motd'));
    assert.match((await checkLayerTar(removed))!, /etc\/motd: No such file/);
    const { src: lost } = await importWithSplit(tmp, 'lost-split', tar);
    await fsp.rm(lost.tarSplit!);
    assert.match((await checkLayerTar(lost))!, /cannot be reproduced: .*tar-split/);
  } finally {
    removeTmp(tmp);
  }
});

test('entries that overwrite an earlier file\'s data make the layer not reproducible, with the reason; the import still succeeds', async () => {
  const tmp = makeTmp();
  try {
    const cases: [string, Parameters<typeof buildTar>[0], RegExp][] = [
      ['the same path twice', [{ name: 'a', data: 'first' }, { name: 'a', data: 'second' }], /entry "a" overwrites "a"/],
      ['a hard link to a path replaced later', [{ name: 'c', data: 'original' }, { name: 'c.link', type: 'link', linkname: 'c' }, { name: 'c', data: 'replaced' }], /overwrites "c"/],
      ['a directory with data replaced by a file', [{ name: 'd/', type: 'directory' }, { name: 'd/x', data: 'x' }, { name: 'd', data: 'file' }], /overwrites "d"/],
      ['a whiteout of a file of the same tar', [{ name: 'e', data: 'e' }, { name: '.wh.e' }], /entry ".wh.e" overwrites "e"/],
    ];
    for (const [what, specs, reason] of cases) {
      const { src, unreproducible } = await importWithSplit(tmp, what.replace(/\W+/g, '-'), await buildTar(specs));
      assert.match(unreproducible ?? '', reason, what);
      await assert.rejects(openLayerTar(src), (err: Error) => err.message.includes('cannot be reproduced') && reason.test(err.message), what);
      await assert.rejects(fsp.access(join(tmp, what.replace(/\W+/g, '-'), 'tar-split')), `${what}: no tar-split is kept`);
    }
    // Overwrites that lose no file data are reproducible: a symlink or an empty file replaced,
    // a directory repeated.
    await roundTrip(tmp, 'harmless', await buildTar([
      { name: 's', type: 'symlink', linkname: 'x' }, { name: 's', data: 'now a file' },
      { name: 'z', data: '' }, { name: 'z', data: 'z' },
      { name: 'd/', type: 'directory' }, { name: 'd/', type: 'directory', mode: 0o700 },
    ]));
  } finally {
    removeTmp(tmp);
  }
});

test('a read of a layer\'s tar that is aborted midway ends at once, the tool reading its files stopped', async () => {
  const tmp = makeTmp();
  try {
    // Far more file data than the pipes between the tool and this process hold.
    const tar = await buildTar([{ name: 'big', data: Buffer.alloc(16 << 20, 7) }, { name: 'small', data: 'x' }]);
    const { src } = await importWithSplit(tmp, 'aborted', tar);
    const ac = new AbortController();
    const { stream } = await openLayerTar(src, ac.signal);
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.next();
    ac.abort();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('still reading 20 s after the abort')), 20_000); });
    try {
      await assert.rejects(Promise.race([(async () => { for (;;) if ((await chunks.next()).done) return; })(), hung]), /cancel/i);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    removeTmp(tmp);
  }
});
