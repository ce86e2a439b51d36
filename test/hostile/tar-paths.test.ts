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
import { hostMarker, refused, withArena } from '../support/archive-hostile';
import { buildTar, END, rawHeader, type TarSpec } from '../support/archive-tar';

test('row 1: `../x`, `/../x`, `a/../../x` and friends are refused, naming the entry (moby TestUntarInvalidFilenames)', async () => {
  const names = ['../victim/dotdot', '/../victim/slash-dotdot', 'a/../../victim/x', './../victim/x', 'a/b/../../../victim/hello'];
  for (const name of names) {
    for (const type of ['file', 'directory', 'symlink'] as const) {
      await withArena(async ({ dest }) => {
        const tar = await buildTar([{ name: 'a/', type: 'directory' }, { name, type, linkname: type === 'symlink' ? 'x' : undefined }]);
        const err = await refused(tar, dest, /"\.\." component/);
        assert.ok(err.message.includes(name.replace(/\/$/, '')), `names the entry: ${err.message}`);
      });
    }
  }
  // A hard link's own name, written by hand (tar-stream would not mind either).
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([rawHeader({ name: 'f', typeflag: '0' }), rawHeader({ name: '../victim/hello', typeflag: '1', linkname: 'f' }), END]);
    await refused(tar, dest, /"\.\.\/victim\/hello".*"\.\." component/);
  });
});

test('row 1: an absolute name is read inside the layer, never on the host', async () => {
  const marker = hostMarker();
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await buildTar([{ name: `${marker}/x`, data: 'inside' }, { name: '//etc//./motd', data: 'm' }])), dest);
    assert.equal(await fsp.readFile(join(dest, marker, 'x'), 'utf8'), 'inside');
    assert.equal(await fsp.readFile(join(dest, 'etc/motd'), 'utf8'), 'm');
  }, [marker]);
});

test('row 2: a symlink is stored, never followed; writing through one is refused (moby TestUntarInvalidSymlink)', async () => {
  const hostVictim = hostMarker();
  const cases: [string, TarSpec[], RegExp | null][] = [
    // Symlinks alone are fine: they are data, resolved only inside the container.
    ['dotdot symlink', [{ name: 'dotdot', type: 'symlink', linkname: '../victim/hello' }], null],
    ['slash-dotdot symlink', [{ name: 'slash-dotdot', type: 'symlink', linkname: '/../victim/hello' }], null],
    // Replacing a symlink with a file removes the link, it does not write through it.
    ['symlink then file of the same name', [{ name: 'symlink', type: 'symlink', linkname: '../victim/hello' }, { name: 'symlink', data: 'pwned' }], null],
    ['symlink to a dir then file of the same name', [{ name: 'symlink', type: 'symlink', linkname: '../victim' }, { name: 'symlink', data: 'pwned' }], null],
    // Writing below a symlink is refused, whatever it points at.
    ['loophole-victim/file', [{ name: 'loophole-victim', type: 'symlink', linkname: '../victim' }, { name: 'loophole-victim/file', data: 'pwned' }], /parent "loophole-victim" is a symlink/],
    ['dir/loophole/newdir/newfile', [{ name: 'dir/loophole', type: 'symlink', linkname: '../../victim' }, { name: 'dir/loophole/newdir/newfile', data: 'x' }], /parent "dir\/loophole" is a symlink/],
    ['absolute loophole', [{ name: 'loop', type: 'symlink', linkname: hostVictim }, { name: 'loop/hello', data: 'x' }], /parent "loop" is a symlink/],
    ['loophole dir entry', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/sub/', type: 'directory' }], /parent "l" is a symlink/],
    ['symlink to itself, then through it', [{ name: 'self', type: 'symlink', linkname: 'self' }, { name: 'self/x', data: 'x' }], /parent "self" is a symlink/],
    ['hard link via a symlinked parent', [{ name: 'f', data: 'f' }, { name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/hello', type: 'link', linkname: 'f' }], /parent "l" is a symlink/],
    ['whiteout via a symlinked parent', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/.wh.hello' }], /parent "l" is a symlink/],
    ['opaque marker via a symlinked parent', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/.wh..wh..opq' }], /"l" is a symlink, not a directory/],
  ];
  for (const [label, specs, error] of cases) {
    await withArena(async ({ dest }) => {
      const tar = await buildTar(specs);
      if (error) {
        await refused(tar, dest, error);
      } else {
        await extractLayer(streamOf(tar), dest);
        const first = specs[0];
        const st = await fsp.lstat(join(dest, first.name));
        if (specs.length === 1) assert.equal(await fsp.readlink(join(dest, first.name)), first.linkname, label);
        else assert.ok(st.isFile(), `${label}: the link was replaced by a file`);
      }
    }, [hostVictim]);
  }
});

test('row 3: hard links must name a regular file extracted earlier in the layer (moby TestUntarInvalidHardlink, TestUntarHardlinkToSymlink)', async () => {
  const cases: [string, TarSpec[], RegExp][] = [
    ['escaping ../victim/hello', [{ name: 'h', type: 'link', linkname: '../victim/hello' }], /hard link.*"\.\." component/],
    ['escaping /../victim/hello', [{ name: 'h', type: 'link', linkname: '/../victim/hello' }], /hard link.*"\.\." component/],
    ['absolute, read inside the layer: missing', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], /hard link "h" -> "\/etc\/passwd": the target is not a file extracted earlier/],
    ['to a missing target', [{ name: 'h', type: 'link', linkname: 'nothing' }], /not a file extracted earlier in this layer/],
    ['to a directory', [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }], /the target is a directory/],
    ['to a symlink', [{ name: 's', type: 'symlink', linkname: '../victim/hello' }, { name: 'h', type: 'link', linkname: 's' }], /the target is a symlink/],
    ['to a symlink, then write through it', [{ name: 's', type: 'symlink', linkname: '../victim/hello' }, { name: 'h', type: 'link', linkname: 's' }, { name: 'h', data: 'pwned' }], /the target is a symlink/],
    ['to the root', [{ name: 'h', type: 'link', linkname: '.' }], /the target is a directory/],
    ['to a whiteout', [{ name: '.wh.gone' }, { name: 'h', type: 'link', linkname: 'gone' }], /the target is a whiteout/],
    ['through a symlinked dir', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'h', type: 'link', linkname: 'l/hello' }], /not a file extracted earlier/],
    ['to itself', [{ name: 'f', data: 'x' }, { name: 'f', type: 'link', linkname: 'f' }], /the target is the entry itself/],
    ['to a file inside the dir it replaces', [{ name: 'd/f', data: 'x' }, { name: 'd', type: 'link', linkname: 'd/f' }], /inside what it replaces/],
  ];
  for (const [label, specs, error] of cases) {
    await withArena(async ({ dest }) => {
      await refused(await buildTar(specs), dest, error).catch((err: Error) => {
        throw new Error(`${label}: ${err.message}`);
      });
    });
  }
  // A valid link, then a file of the link's name: the new file is a new inode; the target keeps its data.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await buildTar([{ name: 'f', data: 'original' }, { name: 'h', type: 'link', linkname: 'f' }, { name: 'h', data: 'new' }])), dest);
    assert.equal(await fsp.readFile(join(dest, 'f'), 'utf8'), 'original');
    assert.equal(await fsp.readFile(join(dest, 'h'), 'utf8'), 'new');
  });
});

test('row 4: the two-step escape across layers (GNU tar CVE-2025-45582): each layer lands in its own empty dir', async () => {
  await withArena(async ({ base, dest }) => {
    const layer1 = join(dest, 'l1');
    const layer2 = join(dest, 'l2');
    // Layer 1 plants x -> the victim (relative and absolute forms).
    await extractLayer(streamOf(await buildTar([{ name: 'x', type: 'symlink', linkname: '../../victim' }, { name: 'y', type: 'symlink', linkname: join(base, 'victim') }])), layer1);
    // Layer 2 writes x/f and y/hello: in layer 2, x and y are not symlinks, so they are new dirs.
    const r = await extractLayer(streamOf(await buildTar([{ name: 'x/f', data: 'pwned' }, { name: 'y/hello', data: 'pwned' }])), layer2);
    assert.equal(r.entries, 2);
    assert.ok((await fsp.lstat(join(layer2, 'x'))).isDirectory());
    assert.equal(await fsp.readFile(join(layer2, 'y/hello'), 'utf8'), 'pwned');
    assert.equal(await fsp.readlink(join(layer1, 'x')), '../../victim');
    // Extracting on top of an existing layer is not how Strata works, and is refused.
    await assert.rejects(extractLayer(streamOf(await buildTar([{ name: 'x/f', data: 'pwned' }])), layer1), /not empty/);
  });
});

test('row 5: dir then symlink of the same name, then a write below it (node-tar CVE-2021-32803)', async () => {
  await withArena(async ({ dest }) => {
    const tar = await buildTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/b/', type: 'directory' },
      { name: 'a', type: 'symlink', linkname: '../victim' }, // replaces the dir (and its subtree)
      { name: 'a/b/pwned', data: 'pwned' },
    ]);
    await refused(tar, dest, /entry "a\/b\/pwned": its parent "a" is a symlink/);
  });
  await withArena(async ({ dest }) => {
    const tar = await buildTar([{ name: 'a/', type: 'directory' }, { name: 'a', type: 'symlink', linkname: '../victim' }, { name: 'a/hello', type: 'symlink', linkname: 'x' }]);
    await refused(tar, dest, /parent "a" is a symlink/);
  });
});

test('row 5: `\\` is an ordinary character, never a separator (node-tar CVE-2021-37701)', async () => {
  await withArena(async ({ dest }) => {
    const tar = await buildTar([
      { name: 'x\\y/', type: 'directory' },
      { name: 'x', type: 'symlink', linkname: '../victim' },
      { name: 'x\\y/pwned', data: 'a file in the dir named x\\y' },
      { name: 'x\\hello', data: 'a file named x\\hello' },
      { name: '..\\victim\\hello', data: 'a file named ..\\victim\\hello' },
    ]);
    await extractLayer(streamOf(tar), dest);
    assert.deepEqual((await fsp.readdir(dest)).sort(), ['..\\victim\\hello', 'x', 'x\\hello', 'x\\y']);
    assert.ok((await fsp.lstat(join(dest, 'x\\y'))).isDirectory());
    assert.equal(await fsp.readFile(join(dest, 'x\\y', 'pwned'), 'utf8'), 'a file in the dir named x\\y');
  });
});

test('row 6: a non-directory `.` entry is refused: "refusing to change the type of the layer root" (umoci)', async () => {
  for (const [name, type, linkname] of [
    ['.', 'file', undefined],
    ['./', 'symlink', '../victim'],
    ['/', 'symlink', '/'],
    ['.', 'link', 'f'],
  ] as const) {
    await withArena(async ({ dest }) => {
      await refused(await buildTar([{ name: 'f', data: 'x' }, { name, type, linkname }]), dest, /refusing to change the type of the layer root/);
    });
  }
  // A '.' directory entry is fine, and sets the root's metadata.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await buildTar([{ name: './', type: 'directory', mode: 0o751, uid: 5 }])), dest);
    const st = await fsp.stat(dest);
    assert.deepEqual([st.mode & 0o7777, st.uid], [0o751, 5]);
    assert.ok(!existsSync(join(dest, '.wh.')));
  });
});
