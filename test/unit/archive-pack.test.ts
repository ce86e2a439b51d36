// packLayer: the canonical tar of a layer dir. Same dir -> same bytes -> same diff_id; a copy gives
// the same diff_id; importing the tar gives the dir back, and the same diff_id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { copyTree, digestLayer, extractLayer, packLayer } from '../../helper/archive';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { collect, describeTree, makeTmp, makeWhiteouts, removeTmp, setXattrs, sha256, streamOf } from '../support/archive-fs';
import { makeFixture } from '../support/archive-fixture';

const EMPTY_LAYER = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

async function pack(dir: string): Promise<{ tar: Buffer; diffId: string; size: number }> {
  const out = new PassThrough();
  const [tar, r] = await Promise.all([collect(out), packLayer(dir, out)]);
  return { tar, ...r };
}

/** The fixture plus what only an upper dir has: whiteouts, an opaque dir, a trusted.overlay xattr to drop. */
async function makeUpperFixture(dir: string): Promise<void> {
  await makeFixture(dir);
  await fsp.mkdir(join(dir, 'opaque/sub'), { recursive: true });
  await fsp.writeFile(join(dir, 'opaque/sub/new'), 'new');
  await makeWhiteouts(dir, ['etc/gone', 'opaque/sub/removed']);
  await setXattrs(dir, [
    ['opaque', 'trusted.overlay.opaque', 'y'],
    ['etc', 'trusted.overlay.origin', Buffer.from([0, 0xfb, 1])],
    ['etc/motd', 'security.selinux', 'system_u:object_r:etc_t:s0'],
  ]);
  await fsp.utimes(join(dir, 'opaque/sub'), 1_600_000_000, 1_600_000_000);
  await fsp.utimes(join(dir, 'opaque'), 1_600_000_000, 1_600_000_000);
  await fsp.utimes(join(dir, 'etc'), 1_600_000_000, 1_600_000_000);
}

/** A description of the dir as a layer holds it: overlayfs bookkeeping and the host's label dropped. */
async function asLayer(dir: string): Promise<string[]> {
  return (await describeTree(dir, { seconds: true, skipRoot: true })).map((line) =>
    line.replace(/,?trusted\.overlay\.origin=[0-9a-f]+/, '').replace(/,?security\.selinux=[0-9a-f]+/, '').replace(/ ,/, ' '),
  );
}

test('the empty layer dir packs to 1024 zero bytes: diff_id sha256:5f70bf18...', async () => {
  const tmp = makeTmp();
  try {
    const r = await pack(tmp);
    assert.deepEqual(r.tar, Buffer.alloc(1024));
    assert.equal(r.diffId, EMPTY_LAYER);
    assert.deepEqual(await digestLayer(tmp), { diffId: EMPTY_LAYER, size: 0 });
  } finally {
    removeTmp(tmp);
  }
});

test('packing the same dir twice gives the same bytes; diff_id is the sha256 of exactly those bytes', async () => {
  const tmp = makeTmp();
  try {
    const dir = join(tmp, 'layer');
    await makeUpperFixture(dir);
    const a = await pack(dir);
    const b = await pack(dir);
    assert.ok(a.tar.equals(b.tar));
    assert.equal(a.diffId, sha256(a.tar));
    assert.deepEqual(await digestLayer(dir), { diffId: a.diffId, size: a.size });
    assert.equal(a.tar.length % 512, 0);
    assert.ok(a.tar.subarray(-1024).equals(Buffer.alloc(1024)));
  } finally {
    removeTmp(tmp);
  }
});

test('a copyTree copy has the same diff_id, and the same tree', async () => {
  const tmp = makeTmp();
  try {
    const dir = join(tmp, 'layer');
    await makeUpperFixture(dir);
    await copyTree(dir, join(tmp, 'copy'));
    assert.deepEqual(await digestLayer(join(tmp, 'copy')), await digestLayer(dir));
    assert.deepEqual(await describeTree(join(tmp, 'copy'), { noXattrs: true }), await describeTree(dir, { noXattrs: true }));
    assert.deepEqual(await asLayer(join(tmp, 'copy')), await asLayer(dir));
  } finally {
    removeTmp(tmp);
  }
});

test('importing the packed tar reproduces the dir (minus what a layer may not carry) and the same diff_id', async () => {
  const tmp = makeTmp();
  try {
    const dir = join(tmp, 'layer');
    await makeUpperFixture(dir);
    const { tar, diffId, size } = await pack(dir);
    const back = join(tmp, 'back');
    const r = await extractLayer(streamOf(tar), back);
    assert.equal(r.diffId, diffId);
    assert.equal(r.size, size);
    assert.deepEqual(await describeTree(back, { seconds: true, skipRoot: true }), await asLayer(dir));
    // And the round trip is stable: the imported dir packs to the very same bytes.
    assert.ok((await pack(back)).tar.equals(tar));
  } finally {
    removeTmp(tmp);
  }
});

test('the tar is canonical: sorted, no ./, dirs end in /, numeric ids with empty names, and GNU tar reads it', async () => {
  const tmp = makeTmp();
  try {
    const dir = join(tmp, 'layer');
    await makeUpperFixture(dir);
    const { tar } = await pack(dir);
    await fsp.writeFile(join(tmp, 'l.tar'), tar);
    const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', join(tmp, 'l.tar')]);
    const lines = stdout.split('\n');
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(' ').replace(/ -> .*| link to .*/, ''));
    assert.ok(!names.some((n) => n.startsWith('./') || n.startsWith('/')));
    assert.ok(lines.every((l) => / 0\/0 | \d+\/\d+ /.test(l)));
    for (const l of lines) if (l.startsWith('d')) assert.match(l, /\/$/);
    // Bytewise order except the opaque marker, which follows its directory.
    const key = (n: string) => Buffer.from(n.replace(/\/$/, '').replace(/\/\.wh\.\.wh\.\.opq$/, '\0'), 'latin1');
    const keys = names.map((n) => key(n));
    for (let i = 1; i < keys.length; i++) assert.ok(Buffer.compare(keys[i - 1], keys[i]) < 0, `${names[i - 1]} before ${names[i]}`);
    assert.ok(names.includes('opaque/.wh..wh..opq'));
    // No uname/gname in any header (bytes 265..329 are zero).
    for (let off = 0; off + 512 <= tar.length - 1024; ) {
      const h = tar.subarray(off, off + 512);
      if (h.every((b) => b === 0)) break;
      assert.ok(h.subarray(265, 329).every((b) => b === 0), 'empty uname/gname');
      const size = parseInt(h.toString('latin1', 124, 135), 8);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    // GNU tar extracts it to the same files (its view of whiteouts: plain .wh. files).
    await fsp.mkdir(join(tmp, 'gnu'));
    await execa('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', join(tmp, 'l.tar'), '-C', join(tmp, 'gnu')]);
    assert.equal(await fsp.readFile(join(tmp, 'gnu/etc/motd'), 'utf8'), 'hello\n');
    assert.ok((await fsp.lstat(join(tmp, 'gnu/etc/.wh.gone'))).isFile());
  } finally {
    removeTmp(tmp);
  }
});

test('a busybox root fs packs the same after copyTree and after import; figures', async (t) => {
  const tmp = makeTmp();
  try {
    await buildBusyboxRootfs(join(tmp, 'rootfs'));
    let start = performance.now();
    const { tar, diffId } = await pack(join(tmp, 'rootfs'));
    t.diagnostic(`packLayer(busybox): ${(tar.length / 1e6).toFixed(1)} MB in ${(performance.now() - start).toFixed(0)} ms`);
    start = performance.now();
    const r = await extractLayer(streamOf(tar), join(tmp, 'imported'));
    t.diagnostic(`extractLayer(busybox, ${r.entries} entries): ${(performance.now() - start).toFixed(0)} ms`);
    assert.equal(r.diffId, diffId);
    assert.equal((await digestLayer(join(tmp, 'imported'))).diffId, diffId);
    await copyTree(join(tmp, 'imported'), join(tmp, 'copied'));
    assert.equal((await digestLayer(join(tmp, 'copied'))).diffId, diffId);
  } finally {
    removeTmp(tmp);
  }
});

test('an upper dir that is not a faithful diff (redirect or metacopy xattrs) is refused by packLayer and copyTree', async () => {
  const tmp = makeTmp();
  try {
    for (const [name, value] of [['trusted.overlay.metacopy', ''], ['trusted.overlay.redirect', '/old/name']] as const) {
      const dir = join(tmp, name);
      await fsp.mkdir(join(dir, 'd'), { recursive: true });
      await fsp.writeFile(join(dir, 'd/f'), '');
      await setXattrs(dir, [[name === 'trusted.overlay.redirect' ? 'd' : 'd/f', name, value]]);
      await assert.rejects(digestLayer(dir), new RegExp(`carries ${name.replace(/\./g, '\\.')}: the layer is not a faithful diff`));
      await assert.rejects(copyTree(dir, join(tmp, `${name}.copy`)), /not a faithful diff \(the overlay must be mounted with redirect_dir=off,metacopy=off\)/);
    }
  } finally {
    removeTmp(tmp);
  }
});

test('a real file named .wh.<name> cannot be packed: it would read back as a deletion', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'etc'));
    await fsp.writeFile(join(tmp, 'etc/.wh.passwd'), 'made by a container');
    await assert.rejects(digestLayer(tmp), /"etc\/\.wh\.passwd": names starting with \.wh\. are reserved for whiteouts/);
  } finally {
    removeTmp(tmp);
  }
});
