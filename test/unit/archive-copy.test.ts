// copyTree and copyLayer: the snapshot commit takes of a frozen container's upper dir. Exact (to the
// nanosecond), minus what a layer may not carry, and fast; copyLayer's diff_id, computed in the same
// pass as the copy, is exactly digestLayer's of the copy (pack.ts stays the one definition).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { copyLayer, copyTree, digestInPlace, digestLayer, packLayer } from '../../helper/archive';
import { walkTree } from '../../helper/archive/native-fs';
import { collect, describeTree, makeDevices, makeFifo, makeTmp, makeWhiteouts, removeTmp, setXattrs } from '../support/archive-fs';
import { PassThrough } from 'node:stream';
import { makeFixture } from '../support/archive-fixture';

test('copyTree copies an upper dir exactly: types, modes, owners, ns mtimes, hard links, whiteouts, opaque, allowed xattrs', async () => {
  const tmp = makeTmp();
  try {
    const src = join(tmp, 'upper');
    await makeFixture(src);
    await fsp.mkdir(join(src, 'var/lib'), { recursive: true });
    await makeWhiteouts(src, ['var/lib/dpkg']);
    await fsp.link(join(src, 'var/lib/dpkg'), join(src, 'var/lib/apt')); // shared whiteout inode
    await setXattrs(src, [
      ['var', 'trusted.overlay.opaque', 'y'],
      ['var/lib', 'trusted.overlay.origin', Buffer.from([0, 0xfb, 0x21])],
      ['var/lib', 'trusted.overlay.impure', 'y'],
      ['etc/motd', 'security.selinux', 'system_u:object_r:etc_t:s0'],
    ]);
    await fsp.utimes(join(src, 'var/lib'), 1_600_000_000.123456, 1_600_000_000.123456);
    await fsp.utimes(join(src, 'var'), 1_600_000_001.5, 1_600_000_001.5);
    const dest = join(tmp, 'layer');
    await copyTree(src, dest);
    const expected = (await describeTree(src)).map((l) =>
      l.replace(/,?trusted\.overlay\.(origin|impure)=[0-9a-f]+/g, '').replace(/,?security\.selinux=[0-9a-f]+/, '').replace(/ ,/, ' '),
    );
    assert.deepEqual(await describeTree(dest), expected);
    const lines = await describeTree(dest);
    assert.ok(lines.some((l) => l.startsWith('var dir') && l.includes('trusted.overlay.opaque=79')));
    assert.ok(lines.some((l) => l.startsWith('ping ') && l.includes('security.capability=')));
    assert.ok(lines.some((l) => l.startsWith('var/lib/dpkg chr(0)')));
  } finally {
    removeTmp(tmp);
  }
});

test('copyTree into an existing empty dir works; into a non-empty one is refused', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'src/a'), { recursive: true });
    await fsp.writeFile(join(tmp, 'src/a/f'), 'f');
    await makeFifo(join(tmp, 'src'), 'a/p', 0o600);
    await fsp.mkdir(join(tmp, 'empty'));
    await copyTree(join(tmp, 'src'), join(tmp, 'empty'));
    assert.equal(await fsp.readFile(join(tmp, 'empty/a/f'), 'utf8'), 'f');
    assert.ok((await fsp.lstat(join(tmp, 'empty/a/p'))).isFIFO());
    await assert.rejects(copyTree(join(tmp, 'src'), join(tmp, 'empty')), /not empty/);
  } finally {
    removeTmp(tmp);
  }
});

test('commit-sized work: copyTree and digestLayer of 1000 new small files (figures in the output)', async (t) => {
  const tmp = makeTmp();
  try {
    const src = join(tmp, 'upper');
    await fsp.mkdir(join(src, 'app/data'), { recursive: true });
    for (let i = 0; i < 1000; i++) await fsp.writeFile(join(src, 'app/data', `f${i}`), `file ${i}\n`.repeat(20));
    const copies: number[] = [];
    const digests: number[] = [];
    const inPlace: number[] = [];
    for (let round = 0; round < 3; round++) {
      let start = performance.now();
      await copyTree(src, join(tmp, `layer${round}`));
      copies.push(performance.now() - start);
      start = performance.now();
      const d = await digestLayer(join(tmp, `layer${round}`));
      digests.push(performance.now() - start);
      start = performance.now();
      assert.deepEqual(await digestInPlace(src), d);
      inPlace.push(performance.now() - start);
      assert.deepEqual(d, await digestLayer(src));
    }
    const fmt = (a: number[]) => a.map((x) => x.toFixed(0)).join('/');
    t.diagnostic(`1000 files: copyTree ${fmt(copies)} ms, digestLayer ${fmt(digests)} ms, digestInPlace ${fmt(inPlace)} ms (3 rounds)`);
  } finally {
    removeTmp(tmp);
  }
});

test('copyLayer: the diff_id of the copy, made in the same pass, equals digestLayer and packLayer of both trees', async () => {
  const tmp = makeTmp();
  try {
    const src = join(tmp, 'upper');
    await makeFixture(src);
    await fsp.mkdir(join(src, 'var/lib'), { recursive: true });
    await fsp.mkdir(join(src, 'dev'));
    await makeWhiteouts(src, ['var/lib/dpkg', 'etc/gone']);
    await fsp.link(join(src, 'var/lib/dpkg'), join(src, 'var/lib/apt')); // shared whiteout inode
    await makeDevices(src, [['dev/null', 'chardev', 1, 3, 0o666], ['dev/sda', 'blockdev', 8, 0, 0o660]]);
    await fsp.writeFile(join(src, 'etc/a-big-one'), Buffer.alloc(5 * 1024 * 1024 + 3, 7));
    await setXattrs(src, [
      ['.', 'trusted.overlay.opaque', 'y'],
      ['var', 'trusted.overlay.opaque', 'y'],
      ['etc', 'trusted.overlay.opaque', 'x'], // not the mark: dropped
      ['var/lib', 'trusted.overlay.origin', Buffer.from([0, 0xfb, 0x21])],
      ['etc/motd', 'security.selinux', 'system_u:object_r:etc_t:s0'],
    ]);
    const dest = join(tmp, 'layer');
    const copied = await copyLayer(src, dest);
    assert.deepEqual(copied, await digestLayer(dest), 'the same as digestLayer of the copy');
    assert.deepEqual(copied, await digestLayer(src), 'and of the source (what a layer may not carry is not in its tar)');
    assert.deepEqual(await digestInPlace(src), copied, 'digestInPlace (commit by move) reads the same tar in place');
    const out = new PassThrough();
    const [tar, packed] = await Promise.all([collect(out), packLayer(dest, out)]);
    assert.deepEqual(packed, copied);
    assert.ok(tar.length > 5 * 1024 * 1024);
    const xattrs = Object.fromEntries((await walkTree(dest)).map((e) => [e.path, [...e.xattrs.keys()].sort().join(',')]));
    assert.equal(xattrs['.'], 'trusted.overlay.opaque');
    assert.equal(xattrs.var, 'trusted.overlay.opaque');
    assert.equal(xattrs.etc, '');
    assert.equal(xattrs['var/lib'], '');
    assert.equal(xattrs['etc/motd'], 'user.origin');
    assert.equal(xattrs.ping, 'security.capability');
  } finally {
    removeTmp(tmp);
  }
});

test('copyLayer leaves sockets out (a tar cannot hold one), and refuses a file whose name a tar would read as a whiteout', async () => {
  const tmp = makeTmp();
  try {
    const src = join(tmp, 'upper');
    await fsp.mkdir(join(src, 'run'), { recursive: true });
    await fsp.writeFile(join(src, 'run/pid'), '1\n');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(src, 'run/sock'), resolve));
    try {
      const copied = await copyLayer(src, join(tmp, 'layer'));
      assert.deepEqual(await fsp.readdir(join(tmp, 'layer/run')), ['pid']);
      assert.deepEqual(copied, await digestLayer(src));
      assert.deepEqual(await digestInPlace(src), copied);
    } finally {
      server.close();
    }
    await fsp.writeFile(join(src, 'run/.wh.pid'), '');
    await assert.rejects(copyLayer(src, join(tmp, 'again')), /"run\/\.wh\.pid": names starting with \.wh\. are reserved for whiteouts/);
    await assert.rejects(digestInPlace(src), /"run\/\.wh\.pid": names starting with \.wh\. are reserved for whiteouts/);
    assert.deepEqual(await fsp.readdir(join(tmp, 'again')), [], 'nothing was copied');
  } finally {
    removeTmp(tmp);
  }
});
