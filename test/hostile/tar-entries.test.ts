// Hostile tars, docs/security.md "Importing a tar": device nodes (kept, inert), whiteout spoofing, and
// xattrs that would change what overlayfs shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { extractLayer } from '../../helper/archive';
import { walkTree } from '../../helper/archive/native-fs';
import { streamOf } from '../support/archive-fs';
import { refused, withArena } from '../support/archive-hostile';
import { buildTar, END, MTIME, rawData, rawHeader, rawPax } from '../support/archive-tar';

test('row 7: block and character devices are kept as they came (policy: kept, inert), mode, owner, major:minor and mtime', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([
      rawHeader({ name: 'dev/', typeflag: '5', mode: 0o755 }),
      rawHeader({ name: 'dev/sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }),
      rawHeader({ name: 'dev/null', typeflag: '3', mode: 0o666, uid: 3, gid: 4, devmajor: 1, devminor: 3 }),
      rawHeader({ name: 'dev/kmem', typeflag: '3', mode: 0o640, gid: 15, devmajor: 1, devminor: 2, mtime: 1_600_000_000 }),
      rawHeader({ name: 'dev/big', typeflag: '3', mode: 0o600, devmajor: 0xfff, devminor: 0xfffff }),
      END,
    ]);
    await extractLayer(streamOf(tar), dest);
    const found = Object.fromEntries((await walkTree(dest)).map((e) => [e.path, `${e.kind} ${e.rdevMajor}:${e.rdevMinor} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.mtimeSec}`]));
    assert.equal(found['dev/sda'], `blockdev 8:0 666 0:0 ${MTIME}`);
    assert.equal(found['dev/null'], `chardev 1:3 666 3:4 ${MTIME}`);
    assert.equal(found['dev/kmem'], 'chardev 1:2 640 0:15 1600000000');
    assert.equal(found['dev/big'], `chardev ${0xfff}:${0xfffff} 600 0:0 ${MTIME}`);
    assert.equal(found.dev.split(' ').pop(), String(MTIME), 'the directory keeps its mtime: the nodes were made before it was set');
  });
});

test('row 7: a device number Linux cannot hold is refused, naming the entry', async () => {
  for (const [devmajor, devminor] of [[0x1000, 0], [1, 0x100000]]) {
    await withArena(async ({ dest }) => {
      const tar = Buffer.concat([rawHeader({ name: 'dev/x', typeflag: '4', mode: 0o600, devmajor, devminor }), END]);
      await refused(tar, dest, new RegExp(`entry "dev/x": device number ${devmajor}:${devminor} is out of range`));
    });
  }
});

test('row 7: a device node is never a way through: no write through it, no hard link to it', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([rawHeader({ name: 'sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }), rawHeader({ name: 'sda/f', typeflag: '0' }), END]);
    await refused(tar, dest, /entry "sda\/f": its parent "sda" is a device node in this layer; refusing to write through it/);
  });
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([rawHeader({ name: 'sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }), rawHeader({ name: 'disk', typeflag: '1', linkname: 'sda' }), END]);
    await refused(tar, dest, /hard link "disk" -> "sda": the target is a device node; hard links may only name regular files/);
  });
});

test('row 7: a fifo is kept (policy: harmless), with its mode and owner', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await buildTar([{ name: 'run/initctl', type: 'fifo', mode: 0o600, uid: 3, gid: 4 }])), dest);
    const st = await fsp.lstat(join(dest, 'run/initctl'));
    assert.ok(st.isFIFO());
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o600, 3, 4]);
  });
});

test('row 8: a raw 0/0 character device in a tar is refused: deletions must be .wh. entries', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([rawHeader({ name: 'etc/passwd', typeflag: '3', mode: 0, devmajor: 0, devminor: 0 }), END]);
    await refused(tar, dest, /entry "etc\/passwd": a raw 0\/0 character device \(an overlayfs whiteout\) is not allowed/);
  });
});

test('row 8: whiteout spoofing: `.wh.`, `.wh..`, `.wh...` and other invalid whiteouts are refused (umoci TestUnpackEntryWhiteout)', async () => {
  const cases: [string, 'file' | 'directory' | 'symlink', RegExp][] = [
    ['.wh.', 'file', /entry "\.wh\.": invalid whiteout "\.wh\." \(it names no file\)/],
    ['etc/.wh..', 'file', /entry "etc\/\.wh\.\.": invalid whiteout/],
    ['etc/.wh...', 'file', /entry "etc\/\.wh\.\.\.": invalid whiteout/],
    ['etc/.wh..wh.plnk', 'file', /invalid whiteout "\.wh\.\.wh\.plnk" \(only \.wh\.\.wh\.\.opq/],
    ['etc/.wh.motd/', 'directory', /a whiteout must be a regular file, not a dir/],
    ['etc/.wh.motd', 'symlink', /a whiteout must be a regular file, not a symlink/],
    ['.wh.etc/passwd', 'file', /a whiteout name \("\.wh\.etc"\) cannot be a directory/],
  ];
  for (const [name, type, error] of cases) {
    await withArena(async ({ dest }) => {
      const tar = await buildTar([{ name: 'etc/', type: 'directory' }, { name, type, linkname: type === 'symlink' ? '../victim' : undefined }]);
      await refused(tar, dest, error);
    });
  }
  // A whiteout over an earlier entry of this layer removes it (no write-through), and a later
  // entry of the same name replaces the whiteout.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await buildTar([{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: '.wh.l' }, { name: 'm', data: 'gone' }, { name: '.wh.m' }, { name: '.wh.n' }, { name: 'n', data: 'back' }])), dest);
    for (const p of ['l', 'm']) {
      const st = await fsp.lstat(join(dest, p));
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${p} is a whiteout`);
    }
    assert.equal(await fsp.readFile(join(dest, 'n'), 'utf8'), 'back');
  });
});

test('row 9: trusted.overlay.*, user.overlay.* and security.selinux xattrs in PAX are dropped; allowed ones kept', async () => {
  await withArena(async ({ dest }) => {
    const dirPax = rawPax([
      ['SCHILY.xattr.trusted.overlay.opaque', 'y'],
      ['SCHILY.xattr.trusted.overlay.redirect', '/etc'],
      ['SCHILY.xattr.user.overlay.opaque', 'y'],
      ['SCHILY.xattr.user.keep', 'kept'],
    ]);
    const filePax = rawPax([
      ['SCHILY.xattr.trusted.overlay.metacopy', ''],
      ['SCHILY.xattr.trusted.overlay.origin', Buffer.from([0, 0xfb])],
      ['SCHILY.xattr.security.selinux', 'system_u:object_r:shadow_t:s0'],
      ['SCHILY.xattr.trusted.evil', 'x'],
      ['SCHILY.xattr.security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')],
      ['LIBARCHIVE.xattr.user.from%20bsdtar', Buffer.from('b64 value').toString('base64')],
    ]);
    const tar = Buffer.concat([
      dirPax, rawHeader({ name: 'd/', typeflag: '5', mode: 0o755 }),
      filePax, rawHeader({ name: 'd/f', typeflag: '0', size: 2 }), rawData('hi'),
      END,
    ]);
    await extractLayer(streamOf(tar), dest);
    const found = Object.fromEntries((await walkTree(dest)).map((e) => [e.path, Object.fromEntries([...e.xattrs].map(([k, v]) => [k, v.toString('hex')]))]));
    assert.deepEqual(found.d, { 'user.keep': Buffer.from('kept').toString('hex') });
    assert.deepEqual(found['d/f'], {
      'security.capability': '0100000200200000000000000000000000000000',
      'user.from bsdtar': Buffer.from('b64 value').toString('hex'),
    });
    assert.deepEqual(found['.'], {});
  });
});

test('row 9: a PAX xattr on a symlink that the kernel would refuse (user.*) is dropped, not an error', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([rawPax([['SCHILY.xattr.user.x', 'y']]), rawHeader({ name: 's', typeflag: '2', linkname: 'target' }), END]);
    await extractLayer(streamOf(tar), dest);
    assert.equal(await fsp.readlink(join(dest, 's')), 'target');
  });
});

test('a NUL byte smuggled into a name or link target through PAX is refused', async () => {
  for (const [key, header] of [
    ['path', rawHeader({ name: 'f', typeflag: '0' })],
    ['linkpath', rawHeader({ name: 's', typeflag: '2', linkname: 'x' })],
  ] as const) {
    await withArena(async ({ dest }) => {
      const tar = Buffer.concat([rawPax([[key, Buffer.from('../victim/hello\0ignored')]]), header, END]);
      await refused(tar, dest, /a NUL byte in a name or link target/);
    });
  }
});

test('a malformed PAX record is refused with a clear message', async () => {
  await withArena(async ({ dest }) => {
    const bad = Buffer.from('999 path=x\n');
    const tar = Buffer.concat([rawHeader({ name: 'PaxHeader', typeflag: 'x', size: bad.length }), rawData(bad), rawHeader({ name: 'f', typeflag: '0' }), END]);
    await refused(tar, dest, /bad PAX header at offset 0: malformed PAX record/);
  });
});
