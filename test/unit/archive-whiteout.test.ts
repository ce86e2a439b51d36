// Whiteouts both ways: `.wh.name` <-> a 0/0 character device, `.wh..wh..opq` <-> the opaque xattr,
// wherever the marker sits in the tar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { extractLayer, packLayer } from '../../helper/archive';
import { walkTree } from '../../helper/archive/native-fs';
import { collect, makeTmp, makeWhiteouts, removeTmp, setXattrs, streamOf } from '../support/archive-fs';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { PassThrough } from 'node:stream';
import { extract } from 'tar-stream';

async function isWhiteout(path: string): Promise<boolean> {
  const st = await fsp.lstat(path);
  return st.isCharacterDevice() && st.rdev === 0;
}

async function opaqueOf(root: string): Promise<string[]> {
  return (await walkTree(root)).filter((e) => e.xattrs.get('trusted.overlay.opaque')?.toString() === 'y').map((e) => e.path).sort();
}

/** Names, types and modes of the entries of a tar, read by tar-stream. */
async function listTar(tar: Buffer): Promise<{ name: string; type: string; mode: number; mtime: number; uid: number; size: number }[]> {
  const out: { name: string; type: string; mode: number; mtime: number; uid: number; size: number }[] = [];
  const x = extract();
  const done = (async () => {
    for await (const entry of x) {
      const h = entry.header;
      out.push({ name: h.name, type: h.type, mode: h.mode, mtime: h.mtime.getTime() / 1000, uid: h.uid, size: h.size });
      entry.resume();
    }
  })();
  x.end(tar);
  await done;
  return out;
}

test('.wh.name becomes a 0/0 character device named name; nothing named .wh.* is left on disk', async () => {
  const tmp = makeTmp();
  try {
    const tar = await buildTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.motd' },
      { name: 'etc/.wh.ssl' }, // a deleted directory is one whiteout too
      { name: 'usr/lib/.wh.libgone.so' }, // parents of a whiteout are made as needed
    ]);
    const r = await extractLayer(streamOf(tar), join(tmp, 'd'));
    assert.equal(r.entries, 4);
    assert.ok(await isWhiteout(join(tmp, 'd/etc/motd')));
    assert.ok(await isWhiteout(join(tmp, 'd/etc/ssl')));
    assert.ok(await isWhiteout(join(tmp, 'd/usr/lib/libgone.so')));
    assert.deepEqual((await fsp.readdir(join(tmp, 'd/etc'))).sort(), ['motd', 'ssl']);
    const st = await fsp.lstat(join(tmp, 'd/etc/motd'));
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o7777, 0);
  } finally {
    removeTmp(tmp);
  }
});

test('.wh..wh..opq marks its directory opaque wherever it sits: before the dir, after the children, at the root', async () => {
  const tmp = makeTmp();
  try {
    const orders: [string, TarSpec[]][] = [
      ['marker after the dir', [{ name: 'a/', type: 'directory' }, { name: 'a/.wh..wh..opq' }, { name: 'a/new', data: 'n' }]],
      ['marker before the dir entry', [{ name: 'a/.wh..wh..opq' }, { name: 'a/', type: 'directory', mode: 0o750 }, { name: 'a/new', data: 'n' }]],
      ['marker last', [{ name: 'a/', type: 'directory' }, { name: 'a/new', data: 'n' }, { name: 'b', data: 'b' }, { name: 'a/.wh..wh..opq' }]],
    ];
    for (const [label, specs] of orders) {
      const dest = join(tmp, label.replace(/ /g, '-'));
      await extractLayer(streamOf(await buildTar(specs)), dest);
      assert.deepEqual(await opaqueOf(dest), ['a'], label);
      assert.deepEqual((await fsp.readdir(join(dest, 'a'))).sort(), ['new'], `${label}: no marker file on disk`);
    }
    const atRoot = join(tmp, 'root');
    await extractLayer(streamOf(await buildTar([{ name: '.wh..wh..opq' }, { name: 'f', data: 'x' }])), atRoot);
    assert.deepEqual(await opaqueOf(atRoot), ['.']);
    // A directory replaced by a file loses its mark with it.
    const replaced = join(tmp, 'replaced');
    await extractLayer(streamOf(await buildTar([{ name: 'a/', type: 'directory' }, { name: 'a/.wh..wh..opq' }, { name: 'a', data: 'file now' }])), replaced);
    assert.deepEqual(await opaqueOf(replaced), []);
  } finally {
    removeTmp(tmp);
  }
});

test('packLayer turns 0/0 devices back into .wh. entries and opaque dirs into dir + .wh..wh..opq (mode 0, mtime 0)', async () => {
  const tmp = makeTmp();
  try {
    const layer = join(tmp, 'layer');
    await fsp.mkdir(join(layer, 'etc/ssl'), { recursive: true });
    await fsp.mkdir(join(layer, 'var/cache'), { recursive: true });
    await fsp.writeFile(join(layer, 'var/cache/+first'), 'sorts before the marker');
    await makeWhiteouts(layer, ['etc/motd']);
    // As this kernel's overlayfs does: one whiteout inode, linked under every deleted name.
    await fsp.link(join(layer, 'etc/motd'), join(layer, 'etc/passwd'));
    await fsp.link(join(layer, 'etc/motd'), join(layer, 'etc/ssl/old.pem'));
    assert.equal((await fsp.lstat(join(layer, 'etc/passwd'))).nlink, 3);
    await setXattrs(layer, [['var/cache', 'trusted.overlay.opaque', 'y']]);
    const out = new PassThrough();
    const [tar] = await Promise.all([collect(out), packLayer(layer, out)]);
    const entries = await listTar(tar);
    const names = entries.map((e) => e.name);
    assert.deepEqual(names, ['etc/', 'etc/.wh.motd', 'etc/.wh.passwd', 'etc/ssl/', 'etc/ssl/.wh.old.pem', 'var/', 'var/cache/', 'var/cache/.wh..wh..opq', 'var/cache/+first']);
    for (const e of entries.filter((x) => x.name.includes('.wh.'))) {
      assert.deepEqual([e.type, e.mode, e.mtime, e.uid, e.size], ['file', 0, 0, 0, 0], e.name);
    }
    // The whiteouts of this kernel may share one inode; still no hard links in the tar.
    assert.ok(entries.every((e) => e.type !== 'link'));
    // And back again.
    const again = join(tmp, 'again');
    await extractLayer(streamOf(tar), again);
    assert.ok(await isWhiteout(join(again, 'etc/motd')));
    assert.ok(await isWhiteout(join(again, 'etc/ssl/old.pem')));
    assert.deepEqual(await opaqueOf(again), ['var/cache']);
  } finally {
    removeTmp(tmp);
  }
});
