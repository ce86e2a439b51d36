// layerChanges: what `strata diff` shows. Checked against a real overlayfs mount (what a container's
// upper dir really looks like after edits) and against hand-made layers with opaque dirs and
// whiteouts in the lowers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { extractLayer, layerChanges, packLayer } from '../../helper/archive';
import { collect, makeTmp, makeWhiteouts, removeTmp, setXattrs, streamOf } from '../support/archive-fs';

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await fsp.mkdir(join(root, p, '..'), { recursive: true });
    await fsp.writeFile(join(root, p), text);
  }
}

function show(changes: { kind: string; path: string }[]): string[] {
  return changes.map((c) => `${c.kind} ${c.path}`);
}

test('a container upper dir after real overlayfs edits: modified, added, deleted, opaque, copied-up parents', async (t) => {
  const tmp = makeTmp();
  const merged = join(tmp, 'merged');
  try {
    const [base, mid, upper, work] = ['base', 'mid', 'upper', 'work'].map((d) => join(tmp, d));
    await write(base, { 'etc/motd': 'hi\n', 'etc/passwd': 'root\n', 'usr/bin/tool': 'tool', 'var/cache/a': 'a', 'var/cache/b': 'b', 'opt/x': 'x' });
    await write(mid, { 'etc/hostname': 'box\n' });
    await fsp.mkdir(join(mid, 'opt'));
    await makeWhiteouts(mid, ['opt/x']);
    for (const d of [upper, work, merged]) await fsp.mkdir(d);
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${mid}:${base},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off,index=off`, merged]);
    try {
      const m = (p: string) => join(merged, p);
      await fsp.appendFile(m('etc/motd'), 'more\n');
      await fsp.rm(m('etc/passwd'));
      await fsp.rm(m('etc/hostname'));
      await fsp.writeFile(m('etc/new'), 'new');
      await fsp.mkdir(m('home/u'), { recursive: true });
      await fsp.writeFile(m('home/u/f'), 'f');
      await fsp.rm(m('var/cache'), { recursive: true });
      await fsp.mkdir(m('var/cache'));
      await fsp.writeFile(m('var/cache/a'), 'a again');
      await fsp.writeFile(m('var/cache/c'), 'c');
      await fsp.writeFile(m('opt/x'), 'x again');
      await fsp.chmod(m('usr/bin/tool'), 0o755);
    } finally {
      await execa('umount', [merged]);
    }
    assert.deepEqual(show(await layerChanges(upper, [mid, base])), [
      'C /etc',
      'D /etc/hostname',
      'C /etc/motd',
      'A /etc/new',
      'D /etc/passwd',
      'A /home',
      'A /home/u',
      'A /home/u/f',
      'C /opt',
      'A /opt/x', // hidden by the middle layer's whiteout, so it is new
      'C /usr',
      'C /usr/bin',
      'C /usr/bin/tool',
      'C /var',
      'D /var/cache', // opaque: deleted and made again, as docker diff prints it
      'C /var/cache/a',
      'A /var/cache/c',
    ]);
    // `strata diff --layer`: the middle layer over the base.
    assert.deepEqual(show(await layerChanges(mid, [base])), ['C /etc', 'A /etc/hostname', 'C /opt', 'D /opt/x']);
    // The base layer over nothing: every entry, each an A.
    assert.deepEqual(show(await layerChanges(base, [])), [
      'A /etc', 'A /etc/motd', 'A /etc/passwd', 'A /opt', 'A /opt/x', 'A /usr', 'A /usr/bin', 'A /usr/bin/tool',
      'A /var', 'A /var/cache', 'A /var/cache/a', 'A /var/cache/b',
    ]);

    const wh = await Promise.all(['etc/passwd', 'etc/hostname'].map((p) => fsp.lstat(join(upper, p))));
    t.diagnostic(`kernel whiteouts: inodes ${wh.map((s) => s.ino).join(', ')}, link counts ${wh.map((s) => s.nlink).join(', ')}`);
    // The kernel's whiteouts may share one inode: still one .wh. file each, and a faithful round trip.
    const out = new PassThrough();
    const [tar] = await Promise.all([collect(out), packLayer(upper, out)]);
    await extractLayer(streamOf(tar), join(tmp, 'again'));
    assert.deepEqual(await layerChanges(join(tmp, 'again'), [mid, base]), await layerChanges(upper, [mid, base]));
  } finally {
    await execa('umount', [merged], { reject: false });
    removeTmp(tmp);
  }
});

test('visibility below follows overlayfs: opaque dirs and whiteouts in the lowers, non-dirs end the merge', async () => {
  const tmp = makeTmp();
  try {
    const [l2, l1, l0, up] = ['l2', 'l1', 'l0', 'up'].map((d) => join(tmp, d));
    await write(l2, { 'd/a': '', 'd/b': '', x: '', 'y/z': '', 'w/deep/f': '' });
    await write(l1, { 'd/c': '', x: '' });
    await setXattrs(l1, [['d', 'trusted.overlay.opaque', 'y']]);
    await write(l0, { 'd/e': '', y: 'now a file' });
    await makeWhiteouts(l0, ['x']);
    await fsp.mkdir(join(l0, 'w'));
    await makeWhiteouts(l0, ['w/deep']);
    await write(up, { 'd/a': '', 'd/c': '', 'd/e': '', x: '', 'y/z': '', 'w/deep/f': '' });
    assert.deepEqual(show(await layerChanges(up, [l0, l1, l2])), [
      'C /d',
      'A /d/a', // hidden by l1's opaque d
      'C /d/c',
      'C /d/e',
      'C /w',
      'A /w/deep', // whited out in l0
      'A /w/deep/f',
      'A /x', // whited out in l0
      'C /y', // a file below
      'A /y/z', // below, y is a file: nothing under it is visible
    ]);
  } finally {
    removeTmp(tmp);
  }
});

test('an empty upper dir has no changes; a whiteout of something not below is still D (as docker prints it)', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'up'));
    await fsp.mkdir(join(tmp, 'low'));
    assert.deepEqual(await layerChanges(join(tmp, 'up'), [join(tmp, 'low')]), []);
    await makeWhiteouts(join(tmp, 'up'), ['ghost']);
    assert.deepEqual(show(await layerChanges(join(tmp, 'up'), [join(tmp, 'low')])), ['D /ghost']);
  } finally {
    removeTmp(tmp);
  }
});
