// Device nodes in layers: kept, inert (the policy is in helper/archive/extract.ts). A layer's
// character and block devices come in from a tar with their mode, owner, major:minor and mtime, go
// back out as tar device entries (typeflag 3/4), survive copyTree, count as ordinary entries in
// `strata diff`, and a 0/0 character device is still only ever a whiteout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { copyTree, digestLayer, extractLayer, layerChanges, packLayer } from '../../helper/archive';
import { walkTree } from '../../helper/archive/native-fs';
import { op, unpack } from '../support/archive-ops';
import { collect, describeTree, makeDevices, makeTmp, makeWhiteouts, removeTmp, streamOf } from '../support/archive-fs';
import { DEBOOTSTRAP_DEV, END, MTIME, deviceHeader, rawData, rawHeader } from '../support/archive-tar';
import { refused, withArena } from '../support/archive-hostile';

async function pack(dir: string): Promise<{ tar: Buffer; diffId: string; size: number }> {
  const out = new PassThrough();
  const [tar, r] = await Promise.all([collect(out), packLayer(dir, out)]);
  return { tar, ...r };
}

/** A debootstrap-like /dev, a disk and a char device with an owner, a whiteout, and a file. */
function devicesTar(): Buffer {
  return Buffer.concat([
    rawHeader({ name: './', typeflag: '5', mode: 0o755 }),
    rawHeader({ name: './dev/', typeflag: '5', mode: 0o755 }),
    ...DEBOOTSTRAP_DEV.map(([name, major, minor]) => deviceHeader(name, 'c', major, minor)),
    rawHeader({ name: './dev/sda', typeflag: '4', mode: 0o660, gid: 6, devmajor: 8, devminor: 0, mtime: 1_600_000_000 }),
    rawHeader({ name: './dev/ttyS0', typeflag: '3', mode: 0o620, uid: 7, gid: 5, devmajor: 4, devminor: 64 }),
    rawHeader({ name: './dev/.wh.gone', typeflag: '0' }),
    rawHeader({ name: './etc/', typeflag: '5', mode: 0o755 }),
    rawHeader({ name: './etc/hostname', typeflag: '0', size: 4 }),
    rawData('box\n'),
    END,
  ]);
}

test('a tar with device nodes round-trips: extract -> pack -> extract gives the same tree and the same diff_id', async () => {
  const tmp = makeTmp();
  try {
    await extractLayer(streamOf(devicesTar()), join(tmp, 'first'));
    const first = await pack(join(tmp, 'first'));
    const r = await extractLayer(streamOf(first.tar), join(tmp, 'second'));
    assert.equal(r.diffId, first.diffId, 'the packed tar imports with the diff_id packLayer gave it');
    const second = await pack(join(tmp, 'second'));
    assert.ok(second.tar.equals(first.tar), 'and packs to the very same bytes');
    assert.deepEqual(await describeTree(join(tmp, 'second'), { seconds: true, skipRoot: true }), await describeTree(join(tmp, 'first'), { seconds: true, skipRoot: true }));
    const lines = await describeTree(join(tmp, 'second'), { skipRoot: true });
    // Node's rdev is the kernel's encoding: (major << 8) | minor for small numbers.
    assert.ok(lines.includes(`dev/null chr(${(1 << 8) | 3}) 666 0:0 size=- ${MTIME}000000000  `), lines.join('\n'));
    assert.ok(lines.includes(`dev/sda blk(${8 << 8}) 660 0:6 size=- 1600000000000000000  `), lines.join('\n'));
    assert.ok(lines.includes(`dev/ttyS0 chr(${(4 << 8) | 64}) 620 7:5 size=- ${MTIME}000000000  `), lines.join('\n'));
    assert.ok(lines.includes('dev/gone chr(0) 0 0:0 size=- -  '), 'the whiteout is still a whiteout');
  } finally {
    removeTmp(tmp);
  }
});

test('packLayer writes device nodes as tar device entries (typeflag 3/4, devmajor/devminor) that GNU tar lists and extracts', async () => {
  const tmp = makeTmp();
  try {
    await extractLayer(streamOf(devicesTar()), join(tmp, 'layer'));
    const { tar } = await pack(join(tmp, 'layer'));
    await fsp.writeFile(join(tmp, 'l.tar'), tar);
    const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', join(tmp, 'l.tar')]);
    const listed = stdout.split('\n').map((l) => l.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d /, ' DATE ').replace(/ +/g, ' '));
    for (const [name, major, minor] of DEBOOTSTRAP_DEV) assert.ok(listed.includes(`crw-rw-rw- 0/0 ${major},${minor} DATE ${name.slice(2)}`), `${name} in:\n${stdout}`);
    assert.ok(listed.includes('brw-rw---- 0/6 8,0 DATE dev/sda'), stdout);
    assert.ok(listed.includes('crw--w---- 7/5 4,64 DATE dev/ttyS0'), stdout);
    assert.ok(listed.includes('---------- 0/0 0 DATE dev/.wh.gone'), 'the 0/0 device is a .wh. entry');
    assert.ok(!listed.some((l) => /^c.* 0,0 /.test(l)), 'no 0/0 device entry');
    // The header fields themselves: typeflag, devmajor and devminor (zero for everything else).
    const fields = new Map<string, string>();
    for (let off = 0; off + 512 <= tar.length; ) {
      const h = tar.subarray(off, off + 512);
      if (h.every((b) => b === 0)) break;
      const name = h.toString('latin1', 0, 100).replace(/\0.*$/s, '');
      fields.set(name, `${String.fromCharCode(h[156])} ${h.toString('latin1', 329, 336)} ${h.toString('latin1', 337, 344)}`);
      off += 512 + Math.ceil(parseInt(h.toString('latin1', 124, 135), 8) / 512) * 512;
    }
    assert.equal(fields.get('dev/sda'), '4 0000010 0000000');
    assert.equal(fields.get('dev/ptmx'), '3 0000005 0000002');
    assert.equal(fields.get('dev/ttyS0'), '3 0000004 0000100');
    assert.equal(fields.get('etc/hostname'), '0 0000000 0000000');
    // GNU tar makes the same nodes from it.
    await fsp.mkdir(join(tmp, 'gnu'));
    await execa('tar', ['--numeric-owner', '-xpf', join(tmp, 'l.tar'), '-C', join(tmp, 'gnu')]);
    const gnu = await fsp.lstat(join(tmp, 'gnu/dev/sda'));
    assert.ok(gnu.isBlockDevice());
    assert.deepEqual([gnu.rdev, gnu.mode & 0o7777, gnu.uid, gnu.gid, gnu.mtimeMs / 1000], [8 << 8, 0o660, 0, 6, 1_600_000_000]);
  } finally {
    removeTmp(tmp);
  }
});

test('copyTree (cp -a) keeps device nodes: same tree, same diff_id', async () => {
  const tmp = makeTmp();
  try {
    await extractLayer(streamOf(devicesTar()), join(tmp, 'layer'));
    await copyTree(join(tmp, 'layer'), join(tmp, 'copy'));
    assert.deepEqual(await describeTree(join(tmp, 'copy')), await describeTree(join(tmp, 'layer')));
    assert.deepEqual(await digestLayer(join(tmp, 'copy')), await digestLayer(join(tmp, 'layer')));
    const sda = (await walkTree(join(tmp, 'copy'))).find((e) => e.path === 'dev/sda')!;
    assert.deepEqual([sda.kind, sda.rdevMajor, sda.rdevMinor], ['blockdev', 8, 0]);
  } finally {
    removeTmp(tmp);
  }
});

test('strata diff: a device node is an ordinary entry (A when new, C over a lower entry, D when whited out)', async () => {
  const tmp = makeTmp();
  try {
    const [lower, upper] = [join(tmp, 'lower'), join(tmp, 'upper')];
    await fsp.mkdir(join(lower, 'dev'), { recursive: true });
    await makeDevices(lower, [['dev/null', 'chardev', 1, 3, 0o666], ['dev/old', 'blockdev', 7, 0, 0o660]]);
    await fsp.mkdir(join(upper, 'dev'), { recursive: true });
    await makeDevices(upper, [['dev/null', 'chardev', 1, 3, 0o600], ['dev/zero', 'chardev', 1, 5, 0o666]]);
    await makeWhiteouts(upper, ['dev/old']);
    const changes = (await layerChanges(upper, [lower])).map((c) => `${c.kind} ${c.path}`);
    assert.deepEqual(changes, ['C /dev', 'C /dev/null', 'D /dev/old', 'A /dev/zero']);
  } finally {
    removeTmp(tmp);
  }
});

test('a later duplicate replaces a device node, and a device node replaces what came before it', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([
      deviceHeader('a', 'c', 1, 3),
      rawHeader({ name: 'a', typeflag: '0', size: 4 }), // device -> file
      rawData('file'),
      rawHeader({ name: 'b', typeflag: '0', size: 4 }),
      rawData('file'),
      deviceHeader('b', 'b', 8, 1, 0o640), // file -> device
      rawHeader({ name: 'c/', typeflag: '5', mode: 0o755 }),
      rawHeader({ name: 'c/inner', typeflag: '0' }),
      deviceHeader('c', 'c', 1, 5), // dir with a child -> device
      deviceHeader('d', 'c', 1, 7),
      rawHeader({ name: 'd/', typeflag: '5', mode: 0o700 }), // device -> dir
      rawHeader({ name: 'd/x', typeflag: '0' }),
      deviceHeader('e', 'c', 1, 8),
      deviceHeader('e', 'b', 7, 2, 0o600), // device -> another device
      deviceHeader('f', 'c', 1, 9),
      rawHeader({ name: '.wh.f', typeflag: '0' }), // device -> whiteout
      rawHeader({ name: 'g', typeflag: '2', linkname: '/dev/null' }),
      deviceHeader('g', 'c', 5, 0), // symlink -> device
      END,
    ]);
    await extractLayer(streamOf(tar), dest);
    const { '.': root, ...found } = Object.fromEntries((await walkTree(dest)).map((e) => [e.path, `${e.kind} ${e.rdevMajor}:${e.rdevMinor} ${(e.mode & 0o7777).toString(8)}`]));
    assert.match(root, /^dir 0:0 /, 'the layer root is still a directory');
    assert.deepEqual(found, {
      a: 'file 0:0 644',
      b: 'blockdev 8:1 640',
      c: 'chardev 1:5 666',
      d: 'dir 0:0 700',
      'd/x': 'file 0:0 644',
      e: 'blockdev 7:2 600',
      f: 'whiteout 0:0 0',
      g: 'chardev 5:0 666',
    });
    assert.equal(await fsp.readFile(join(dest, 'a'), 'utf8'), 'file');
  });
});

test('a raw 0/0 character device is still refused, even after a real device of that name', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([deviceHeader('dev/null', 'c', 1, 3), rawHeader({ name: 'dev/null', typeflag: '3', mode: 0, devmajor: 0, devminor: 0 }), END]);
    await refused(tar, dest, /entry "dev\/null": a raw 0\/0 character device \(an overlayfs whiteout\) is not allowed in a tar; layers mark deletions with \.wh\. entries/);
  });
});

test('strata-fs unpack refuses a 0/0 character device and out-of-range numbers in a device op (defence in depth)', async () => {
  const tmp = makeTmp();
  try {
    const cases: [string, 'c' | 'b', number, number, RegExp][] = [
      ['w', 'c', 0, 0, /strata-fs: w: a 0\/0 character device is a whiteout, not a device node/],
      ['big', 'b', 4096, 0, /strata-fs: bad device for big/],
      ['neg', 'c', -1, 3, /strata-fs: bad device for neg/],
    ];
    for (const [path, type, major, minor, error] of cases) {
      const r = await unpack(tmp, [op('N', path, type, major, minor, 0o666, 0, 0)]);
      assert.notEqual(r.code, 0, `${path}: refused`);
      assert.match(r.stderr, error);
    }
    // A 0/0 block device is no whiteout: it is made like any other.
    const ok = await unpack(tmp, [op('N', 'b00', 'b', 0, 0, 0o600, 0, 0)]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await fsp.readdir(tmp), ['b00']);
    assert.ok((await fsp.lstat(join(tmp, 'b00'))).isBlockDevice());
  } finally {
    removeTmp(tmp);
  }
});
