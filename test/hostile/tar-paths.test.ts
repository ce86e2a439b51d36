// Hostile tars, docs/security.md "Importing a tar": names that escape, symlinks and hard links that
// would lead outside, the two-step escape across layers, the node-tar cache and backslash cases, and
// a '.' entry that is not a directory. Every case checks that a victim dir next to the destination is
// untouched and nothing was written outside the destination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { extractLayer } from '../../helper/archive';
import { streamOf } from '../support/archive-fs';
import { refusesEach, withArena } from '../support/archive-hostile';
import { buildTar } from '../support/archive-tar';
import { cacheAndRootTars, caseOf, hardLinkTars, symlinkTars, traversalTars, twoStepLayers } from '../support/tar-corpus';

test('row 1: `../x`, `/../x`, `a/../../x` and friends are refused, naming the entry (moby TestUntarInvalidFilenames)', async () => {
  const cases = await traversalTars();
  assert.equal(cases.filter((c) => c.refused).length, 16);
  await refusesEach(cases);
});

test('row 1: an absolute name is read inside the layer, never on the host', async () => {
  const c = caseOf(await traversalTars(), 'row 1', 'an absolute name');
  const marker = c.hostPaths![0];
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(c.tar), dest);
    assert.equal(await fsp.readFile(join(dest, marker, 'x'), 'utf8'), 'inside');
    assert.equal(await fsp.readFile(join(dest, 'etc/motd'), 'utf8'), 'm');
  }, c.hostPaths);
});

test('row 2: a symlink is stored, never followed; writing through one is refused (moby TestUntarInvalidSymlink)', async () => {
  const cases = await symlinkTars();
  await refusesEach(cases);
  for (const c of cases.filter((x) => !x.refused)) {
    await withArena(async ({ dest }) => {
      await extractLayer(streamOf(c.tar), dest);
      const [first] = c.specs!;
      const st = await fsp.lstat(join(dest, first.name));
      if (c.specs!.length === 1) assert.equal(await fsp.readlink(join(dest, first.name)), first.linkname, c.label);
      else assert.ok(st.isFile(), `${c.label}: the link was replaced by a file`);
    }, c.hostPaths);
  }
});

test('row 3: hard links must name a regular file extracted earlier in the layer (moby TestUntarInvalidHardlink, TestUntarHardlinkToSymlink)', async () => {
  const cases = await hardLinkTars();
  await refusesEach(cases);
  // A valid link, then a file of the link's name: the new file is a new inode; the target keeps its data.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(cases, 'row 3', 'a link, then a file of its name').tar), dest);
    assert.equal(await fsp.readFile(join(dest, 'f'), 'utf8'), 'original');
    assert.equal(await fsp.readFile(join(dest, 'h'), 'utf8'), 'new');
  });
});

test('row 4: the two-step escape across layers (GNU tar CVE-2025-45582): each layer lands in its own empty dir', async () => {
  await withArena(async ({ base, dest }) => {
    const layer1 = join(dest, 'l1');
    const layer2 = join(dest, 'l2');
    const [first, second] = await twoStepLayers(join(base, 'victim'));
    await extractLayer(streamOf(first), layer1);
    const r = await extractLayer(streamOf(second), layer2);
    assert.equal(r.entries, 2);
    assert.ok((await fsp.lstat(join(layer2, 'x'))).isDirectory());
    assert.equal(await fsp.readFile(join(layer2, 'y/hello'), 'utf8'), 'pwned');
    assert.equal(await fsp.readlink(join(layer1, 'x')), '../../victim');
    // Extracting on top of an existing layer is not how Strata works, and is refused.
    await assert.rejects(extractLayer(streamOf(await buildTar([{ name: 'x/f', data: 'pwned' }])), layer1), /not empty/);
  });
});

test('row 5: dir then symlink of the same name, then a write below it (node-tar CVE-2021-32803)', async () => {
  await refusesEach((await cacheAndRootTars()).filter((c) => c.row === 'row 5'));
});

test('row 5: `\\` is an ordinary character, never a separator (node-tar CVE-2021-37701)', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(await cacheAndRootTars(), 'row 5', '`\\` is an ordinary character').tar), dest);
    assert.deepEqual((await fsp.readdir(dest)).sort(), ['..\\victim\\hello', 'x', 'x\\hello', 'x\\y']);
    assert.ok((await fsp.lstat(join(dest, 'x\\y'))).isDirectory());
    assert.equal(await fsp.readFile(join(dest, 'x\\y', 'pwned'), 'utf8'), 'a file in the dir named x\\y');
  });
});

test('row 6: a non-directory `.` entry is refused: "refusing to change the type of the layer root" (umoci)', async () => {
  const cases = (await cacheAndRootTars()).filter((c) => c.row === 'row 6');
  assert.equal(cases.filter((c) => c.refused).length, 4);
  await refusesEach(cases);
  // A '.' directory entry is fine, and sets the root's metadata.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(cases, 'row 6', 'a . directory').tar), dest);
    const st = await fsp.stat(dest);
    assert.deepEqual([st.mode & 0o7777, st.uid], [0o751, 5]);
    assert.ok(!existsSync(join(dest, '.wh.')));
  });
});
