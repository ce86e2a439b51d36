// layerChanges: what `strata diff` shows, which must be what `docker diff` prints (the rule and its
// moby reference are in helper/archive/changes.ts). Checked against real overlayfs mounts (what a
// container's upper dir really looks like after edits), hand-made layers with opaque dirs and
// whiteouts in the lowers, and imported layer tars with .wh..wh..opq markers; where the views can
// be mounted, also against Docker's own computation (test/support/moby-changes.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { extractLayer, layerChanges, packLayer } from '../../helper/archive';
import { collect, makeTmp, makeWhiteouts, removeTmp, setXattrs, streamOf } from '../support/archive-fs';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { dockerDiff } from '../support/moby-changes';

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
      'C /var/cache', // opaque (rm -rf, mkdir): the same directory, what it held is compared
      'C /var/cache/a',
      'D /var/cache/b',
      'A /var/cache/c',
    ]);
    assert.deepEqual(show(await layerChanges(upper, [mid, base])), await dockerDiff(upper, [mid, base]));
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
    await write(up, { 'd/a': 'up', 'd/c': 'up', 'd/e': 'up', x: 'up', 'y/z': 'up', 'w/deep/f': 'up' });
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

test('an empty upper dir has no changes; nor has a whiteout of something not below (docker diff compares views)', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'up'));
    await fsp.mkdir(join(tmp, 'low'));
    assert.deepEqual(await layerChanges(join(tmp, 'up'), [join(tmp, 'low')]), []);
    await makeWhiteouts(join(tmp, 'up'), ['ghost']);
    await write(join(tmp, 'low'), { here: '' });
    await makeWhiteouts(join(tmp, 'up'), ['here']);
    assert.deepEqual(show(await layerChanges(join(tmp, 'up'), [join(tmp, 'low')])), ['D /here']);
  } finally {
    removeTmp(tmp);
  }
});

/** Mounts `upper` over `lowers` (top-most first), runs `edit` on the merged view, unmounts. */
async function inContainer(lowers: string[], upper: string, edit: (m: (p: string) => string) => Promise<void>): Promise<void> {
  const [work, merged] = [`${upper}.work`, `${upper}.merged`];
  for (const d of [upper, work, merged]) await fsp.mkdir(d, { recursive: true });
  await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off,index=off`, merged]);
  try {
    await edit((p) => join(merged, p));
  } finally {
    await execa('umount', [merged]);
  }
}

test('every replace/recreate shape in a container gives the lines docker diff prints', async () => {
  const tmp = makeTmp();
  try {
    const [base, empty, upper] = ['base', 'empty', 'upper'].map((d) => join(tmp, d));
    await write(base, {
      'f2d': 'file', 'd2f/c': 'c', 'd2l/c': 'c', 'repl/x': 'x', 'repl/sub/deep/f': 'f', 'refill/x': 'x', 'refill/y': 'y',
      'nest/top': 't', 'nest/sub/deep/f': 'f', 'keep/gone': 'g', 'keep/stay': 's', same: 'same', other: 'other',
    });
    await fsp.symlink('f2d', join(base, 'l2d'));
    await fsp.mkdir(join(base, 'emptyd'));
    await fsp.mkdir(empty);
    await fsp.utimes(join(base, 'same'), 1_700_000_000, 1_700_000_000);
    await inContainer([base, empty], upper, async (m) => {
      await fsp.rm(m('f2d'));
      await fsp.mkdir(m('f2d'));
      await fsp.writeFile(m('f2d/in'), 'in');
      await fsp.rm(m('d2f'), { recursive: true });
      await fsp.writeFile(m('d2f'), 'now a file');
      await fsp.rm(m('d2l'), { recursive: true });
      await fsp.symlink('/etc', m('d2l'));
      await fsp.rm(m('l2d'));
      await fsp.mkdir(m('l2d'));
      await fsp.writeFile(m('l2d/in'), 'in');
      await fsp.rm(m('repl'), { recursive: true }); // rm -rf /repl && mkdir /repl
      await fsp.mkdir(m('repl'));
      await fsp.rm(m('refill'), { recursive: true }); // ... and new files in it
      await fsp.mkdir(m('refill'));
      await fsp.writeFile(m('refill/x'), 'x again');
      await fsp.writeFile(m('refill/z'), 'z');
      await fsp.rm(m('nest'), { recursive: true }); // the hidden dir's subdir made again
      await fsp.mkdir(m('nest/sub'), { recursive: true });
      await fsp.rm(m('emptyd'), { recursive: true }); // nothing was in it: nothing to see
      await fsp.mkdir(m('emptyd'));
      await fsp.rm(m('keep/gone'));
      await fsp.rm(m('same')); // recreated identical, its mtime put back
      await fsp.writeFile(m('same'), 'same');
      await fsp.utimes(m('same'), 1_700_000_000, 1_700_000_000);
      await fsp.rm(m('other')); // recreated different
      await fsp.writeFile(m('other'), 'different');
    });
    const expected = [
      'C /d2f', // a dir replaced by a file: only the path itself
      'C /d2l',
      'C /f2d', // a file replaced by a dir: C, and what it holds is new
      'A /f2d/in',
      'C /keep',
      'D /keep/gone',
      'C /l2d',
      'A /l2d/in',
      'C /nest',
      'C /nest/sub', // in both views; below it only the old view has deep
      'D /nest/sub/deep',
      'D /nest/top',
      'C /other',
      'C /refill',
      'C /refill/x',
      'D /refill/y',
      'A /refill/z',
      'C /repl', // made opaque: changed, not deleted, and what it hid is deleted, its top level only
      'D /repl/sub',
      'D /repl/x',
    ];
    assert.deepEqual(show(await layerChanges(upper, [base, empty])), expected);
    assert.deepEqual(show(await layerChanges(upper, [base, empty])), await dockerDiff(upper, [base, empty]), 'Docker\'s own computation agrees');
  } finally {
    removeTmp(tmp);
  }
});

test('a dir deleted in a lower layer and made again in an upper one: D in the first, A in the second, nothing above', async () => {
  const tmp = makeTmp();
  try {
    const [base, empty, l1, l2, top] = ['base', 'empty', 'l1', 'l2', 'top'].map((d) => join(tmp, d));
    await write(base, { 'd/x': 'x', 'd/sub/y': 'y', e: '' });
    await fsp.mkdir(empty);
    await inContainer([base, empty], l1, async (m) => fsp.rm(m('d'), { recursive: true }));
    await inContainer([l1, base], l2, async (m) => {
      await fsp.mkdir(m('d'));
      await fsp.writeFile(m('d/x'), 'x');
    });
    await inContainer([l2, l1, base], top, async (m) => fsp.writeFile(m('e'), 'e'));
    assert.deepEqual(show(await layerChanges(l1, [base])), ['D /d']);
    assert.deepEqual(show(await layerChanges(l2, [l1, base])), ['A /d', 'A /d/x']);
    assert.deepEqual(show(await layerChanges(top, [l2, l1, base])), ['C /e']);
    for (const [layer, lowers] of [[l1, [base]], [l2, [l1, base]], [top, [l2, l1, base]]] as const) {
      assert.deepEqual(show(await layerChanges(layer, [...lowers])), await dockerDiff(layer, [...lowers]));
    }
  } finally {
    removeTmp(tmp);
  }
});

async function importTar(dir: string, specs: TarSpec[]): Promise<string> {
  await extractLayer(streamOf(await buildTar(specs)), dir);
  return dir;
}

test('the same shapes read from an imported layer tar with .wh..wh..opq markers', async () => {
  const tmp = makeTmp();
  try {
    const dir = (name: string): TarSpec => ({ name, type: 'directory' });
    const base = await importTar(join(tmp, 'base'), [
      dir('opt/'), dir('opt/repl/'), { name: 'opt/repl/x' }, dir('opt/repl/sub/'), dir('opt/repl/sub/deep/'), { name: 'opt/repl/sub/deep/f' },
      dir('opt/keep/'), { name: 'opt/keep/a' }, { name: 'opt/keep/b' }, { name: 'f2d' }, dir('d2f/'), { name: 'd2f/c' }, { name: 'same', data: 's' },
    ]);
    const layer = await importTar(join(tmp, 'layer'), [
      dir('opt/'), dir('opt/repl/'), { name: 'opt/repl/.wh..wh..opq' }, { name: 'opt/repl/new', data: 'n' }, dir('opt/repl/sub/'),
      { name: 'opt/keep/.wh.a' }, dir('f2d/'), { name: 'f2d/in' }, { name: 'd2f', data: 'file' }, { name: '.wh.ghost' }, { name: 'same', data: 's' },
    ]);
    assert.deepEqual(show(await layerChanges(layer, [base])), [
      'C /d2f',
      'C /f2d',
      'A /f2d/in',
      'C /opt',
      'C /opt/keep',
      'D /opt/keep/a',
      'C /opt/repl',
      'A /opt/repl/new',
      'C /opt/repl/sub', // kept by name, but under the opaque dir it shows nothing from below
      'D /opt/repl/sub/deep',
      'D /opt/repl/x',
    ]); // no line for /ghost (nothing below) nor /same (the same file, mtime and all)
    assert.deepEqual(show(await layerChanges(layer, [base])), await dockerDiff(layer, [base]));
    // A top-level opaque marker hides nothing: overlayfs ignores the mark on a layer's root.
    const root = await importTar(join(tmp, 'root'), [{ name: '.wh..wh..opq' }, { name: 'only' }, dir('opt/'), dir('opt/keep/'), { name: 'opt/keep/b' }]);
    assert.deepEqual(show(await layerChanges(root, [base])), ['A /only']);
    assert.deepEqual(show(await layerChanges(root, [base])), await dockerDiff(root, [base]));
  } finally {
    removeTmp(tmp);
  }
});
