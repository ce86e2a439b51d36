// Hostile tars, docs/security.md "Importing a tar": device nodes (kept, inert), whiteout spoofing, and
// xattrs that would change what overlayfs shows (the cases: test/support/tar-corpus.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { extractLayer } from '../../helper/archive';
import { walkTree } from '../../helper/archive/native-fs';
import { streamOf } from '../support/archive-fs';
import { refusesEach, withArena } from '../support/archive-hostile';
import { MTIME } from '../support/archive-tar';
import { caseOf, entryTars } from '../support/tar-corpus';

const rows = async (...names: string[]) => (await entryTars()).filter((c) => names.includes(c.row));

test('row 7: block and character devices are kept as they came (policy: kept, inert), mode, owner, major:minor and mtime', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(await entryTars(), 'row 7', 'block and character devices').tar), dest);
    const found = Object.fromEntries((await walkTree(dest)).map((e) => [e.path, `${e.kind} ${e.rdevMajor}:${e.rdevMinor} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.mtimeSec}`]));
    assert.equal(found['dev/sda'], `blockdev 8:0 666 0:0 ${MTIME}`);
    assert.equal(found['dev/null'], `chardev 1:3 666 3:4 ${MTIME}`);
    assert.equal(found['dev/kmem'], 'chardev 1:2 640 0:15 1600000000');
    assert.equal(found['dev/big'], `chardev ${0xfff}:${0xfffff} 600 0:0 ${MTIME}`);
    assert.equal(found.dev.split(' ').pop(), String(MTIME), 'the directory keeps its mtime: the nodes were made before it was set');
  });
});

test('row 7: a device number Linux cannot hold is refused, naming the entry; a device node is never a way through (no write through it, no hard link to it)', async () => {
  const cases = await rows('row 7');
  assert.equal(cases.filter((c) => c.refused).length, 4);
  await refusesEach(cases);
});

test('row 7: a fifo is kept (policy: harmless), with its mode and owner', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(await entryTars(), 'row 7', 'a fifo').tar), dest);
    const st = await fsp.lstat(join(dest, 'run/initctl'));
    assert.ok(st.isFIFO());
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o600, 3, 4]);
  });
});

test('row 8: a raw 0/0 character device is refused (deletions must be .wh. entries); whiteout spoofing: `.wh.`, `.wh..`, `.wh...` and other invalid whiteouts are refused (umoci TestUnpackEntryWhiteout)', async () => {
  const cases = await rows('row 8');
  assert.equal(cases.filter((c) => c.refused).length, 8);
  await refusesEach(cases);
  // A whiteout over an earlier entry of this layer removes it (no write-through), and a later
  // entry of the same name replaces the whiteout.
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(cases, 'row 8', 'whiteouts over earlier entries, an entry over a whiteout').tar), dest);
    for (const p of ['l', 'm']) {
      const st = await fsp.lstat(join(dest, p));
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${p} is a whiteout`);
    }
    assert.equal(await fsp.readFile(join(dest, 'n'), 'utf8'), 'back');
  });
});

test('row 9: trusted.overlay.*, user.overlay.* and security.selinux xattrs in PAX are dropped; allowed ones kept', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(caseOf(await entryTars(), 'row 9', 'overlay and selinux xattrs').tar), dest);
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
    await extractLayer(streamOf(caseOf(await entryTars(), 'row 9', 'a user.* xattr on a symlink').tar), dest);
    assert.equal(await fsp.readlink(join(dest, 's')), 'target');
  });
});

test('a NUL byte smuggled into a name or link target through PAX, a malformed PAX record, and an xattr value the kernel would refuse (found by the fuzzer) are refused with a clear message', async () => {
  const cases = await rows('pax');
  assert.equal(cases.length, 4);
  await refusesEach(cases);
});
