// strata-fs unpack and copy, driven directly: every operation they perform, and the hostile
// ones they refuse by themselves (a path through a symlink, '..', an absolute path, an existing
// entry, a hard link to anything but a regular file...), whatever the TypeScript side checked.
// After each refusal, the world outside the root is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { describeTree, makeFifo, makeTmp, removeTmp } from '../support/archive-fs';
import { copy, fileOp, op, unpack } from '../support/archive-ops';

/** root/ (where ops land) and outside/ (with a file and a dir) next to it; symlinks from root to outside. */
async function arena(fn: (root: string, outside: string) => Promise<void>): Promise<void> {
  const tmp = makeTmp('strata-unpack-');
  try {
    const root = join(tmp, 'root');
    const outside = join(tmp, 'outside');
    await fsp.mkdir(join(outside, 'dir'), { recursive: true });
    await fsp.writeFile(join(outside, 'f'), 'outside\n', { mode: 0o600 });
    await fsp.mkdir(root);
    await fsp.symlink('../outside', join(root, 'l'));
    await fsp.symlink(join(outside, 'f'), join(root, 'lf'));
    await fsp.writeFile(join(root, 'existing'), 'kept\n');
    await fsp.mkdir(join(root, 'd'));
    const before = await describeTree(outside);
    await fn(root, outside);
    assert.deepEqual(await describeTree(outside), before, 'nothing outside the root changed');
    assert.deepEqual((await fsp.readdir(tmp)).sort(), ['outside', 'root'], 'nothing appeared next to the root');
    assert.equal(await fsp.readFile(join(root, 'existing'), 'utf8'), 'kept\n');
  } finally {
    removeTmp(tmp);
  }
}

test('unpack performs every operation: dirs, files, symlinks, hard links, removal, whiteouts, fifos, devices, xattrs, times', async () => {
  await arena(async (root) => {
    const r = await unpack(root, [
      op('M', '.', 0o751, 0, 0),
      op('D', 'a', 0o2775, 33, 34),
      op('D', 'a/b', 0o755, -1, -1),
      fileOp('a/b/su', '#!/bin/sh\n', 0o4755, 0, 0, 1_600_000_000, 123_456_789),
      fileOp('a/key', 'secret\n', 0o600, 1000, 1001),
      fileOp('a/empty', ''),
      op('S', 'a/link', '../nowhere', 7, 8, 1_500_000_000, 5),
      op('L', 'a/su.again', 'a/b/su'),
      fileOp('gone', 'x'),
      op('U', 'gone'),
      op('D', 'tree', 0o755, 0, 0),
      op('D', 'tree/sub', 0o755, 0, 0),
      fileOp('tree/sub/f', 'f'),
      op('S', 'tree/sub/s', '/etc', 0, 0, 0, 0),
      op('U', 'tree'),
      op('D', 'tree', 0o700, 0, 0),
      op('W', 'a/whiteout'),
      op('P', 'a/fifo', 0o620, 5, 6),
      op('N', 'a/null', 'c', 1, 3, 0o666, 0, 0),
      op('N', 'a/sda', 'b', 8, 0, 0o660, 0, 6),
      op('X', 'a', 'user.binary', 4),
      Buffer.from([0, 1, 2, 255]),
      op('X', 'a/b/su', 'user.origin', 3),
      Buffer.from('abc'),
      op('M', 'a/b', 0o750, 9, 9),
      op('T', 'a/fifo', 1_400_000_000, 0),
      op('T', 'a/b', 1_300_000_000, 42),
      op('T', 'a', 1_200_000_000, 0),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = await describeTree(root);
    const line = (p: string) => lines.find((l) => l.startsWith(`${p} `)) ?? `(no ${p})`;
    assert.match(line('.'), /^\. dir 751 0:0 /);
    assert.match(line('a'), /^a dir 2775 33:34 size=- 1200000000000000000 .* user\.binary=000102ff$/);
    assert.match(line('a/b'), /^a\/b dir 750 9:9 size=- 1300000000000000042 /);
    assert.match(line('a/b/su'), /^a\/b\/su file 4755 0:0 size=10 1600000000123456789 \S+ user\.origin=616263$/);
    assert.match(line('a/su.again'), /link=a\/b\/su/);
    assert.match(line('a/key'), /^a\/key file 600 1000:1001 size=7 /);
    assert.match(line('a/empty'), /^a\/empty file 644 0:0 size=0 /);
    assert.match(line('a/link'), /^a\/link symlink 777 7:8 size=- 1500000000000000005 -> \.\.\/nowhere/);
    assert.match(line('a/whiteout'), /^a\/whiteout chr\(0\) 0 0:0 /);
    assert.match(line('a/fifo'), /^a\/fifo fifo 620 5:6 size=- 1400000000000000000 /);
    assert.match(line('a/null'), new RegExp(`^a/null chr\\(${(1 << 8) | 3}\\) 666 0:0 `));
    assert.match(line('a/sda'), new RegExp(`^a/sda blk\\(${8 << 8}\\) 660 0:6 `));
    assert.equal(line('gone'), '(no gone)');
    assert.deepEqual(await fsp.readdir(join(root, 'tree')), [], 'a removed dir and its contents are gone; the new one is empty');
    assert.equal((await fsp.stat(join(root, 'tree'))).mode & 0o7777, 0o700);
  });
});

test('unpack refuses, by itself, paths through a symlink, with "..", absolute, or into a missing parent', async () => {
  await arena(async (root, outside) => {
    const cases: [string, Buffer[]][] = [
      ['file through a symlinked dir', [fileOp('l/pwned', 'x')]],
      ['file deeper through a symlinked dir', [fileOp('l/dir/pwned', 'x')]],
      ['mkdir through a symlinked dir', [op('D', 'l/newdir', 0o755, 0, 0)]],
      ['symlink through a symlinked dir', [op('S', 'l/s', 'x', 0, 0, 0, 0)]],
      ['hard link into a symlinked dir', [op('L', 'l/h', 'existing')]],
      ['hard link to a file through a symlinked dir', [op('L', 'h', 'l/f')]],
      ['remove through a symlinked dir', [op('U', 'l/f')]],
      ['owner and mode through a symlinked dir', [op('M', 'l/dir', 0o777, 1, 1)]],
      ['whiteout through a symlinked dir', [op('W', 'l/w')]],
      ['fifo through a symlinked dir', [op('P', 'l/p', 0o666, 0, 0)]],
      ['device through a symlinked dir', [op('N', 'l/n', 'c', 1, 3, 0o666, 0, 0)]],
      ['xattr through a symlinked dir', [op('X', 'l/f', 'user.pwned', 1), Buffer.from('y')]],
      ['times through a symlinked dir', [op('T', 'l/f', 1, 0)]],
      ['dot-dot file', [fileOp('../outside/pwned', 'x')]],
      ['dot-dot deeper', [fileOp('d/../../outside/pwned', 'x')]],
      ['dot-dot leaf', [op('D', '..', 0o755, 0, 0)]],
      ['dot-dot mkdir', [op('D', '../outside/newdir', 0o755, 0, 0)]],
      ['dot-dot hard link target', [op('L', 'h', '../outside/f')]],
      ['dot-dot removal', [op('U', '../outside/f')]],
      ['dot-dot owner', [op('M', '../outside', 0o777, 1, 1)]],
      ['absolute file', [fileOp(join(outside, 'pwned'), 'x')]],
      ['absolute removal', [op('U', join(outside, 'f'))]],
      ['removing the root', [op('U', '.')]],
      ['file under a missing parent', [fileOp('missing/f', 'x')]],
    ];
    for (const [label, ops] of cases) {
      const r = await unpack(root, ops);
      assert.notEqual(r.code, 0, `${label}: refused`);
      assert.match(r.stderr, /^strata-fs: /, label);
    }
    assert.deepEqual((await fsp.readdir(root)).sort(), ['d', 'existing', 'l', 'lf']);
    assert.deepEqual(await fsp.readdir(join(root, 'd')), []);
  });
});

test('unpack never replaces or follows an existing entry: files, dirs, symlinks, links and nodes all fail with EEXIST', async () => {
  await arena(async (root) => {
    const cases: [string, Buffer[]][] = [
      ['file over a file', [fileOp('existing', 'pwned')]],
      ['file over a symlink to a file outside (never followed)', [fileOp('lf', 'pwned')]],
      ['file over a symlink to a dir outside', [fileOp('l', 'pwned')]],
      ['file over a dir', [fileOp('d', 'pwned')]],
      ['mkdir over a dir', [op('D', 'd', 0o777, 0, 0)]],
      ['mkdir over a symlink', [op('D', 'l', 0o777, 0, 0)]],
      ['symlink over a file', [op('S', 'existing', '/etc/passwd', 0, 0, 0, 0)]],
      ['hard link over a file', [op('L', 'existing', 'existing')]],
      ['whiteout over a file', [op('W', 'existing')]],
      ['fifo over a symlink', [op('P', 'lf', 0o666, 0, 0)]],
      ['device over a dir', [op('N', 'd', 'b', 8, 0, 0o666, 0, 0)]],
    ];
    for (const [label, ops] of cases) {
      const r = await unpack(root, ops);
      assert.notEqual(r.code, 0, `${label}: refused`);
      assert.match(r.stderr, /File exists/, label);
    }
    assert.equal(await fsp.readlink(join(root, 'lf')), join(root, '../outside/f'));
  });
});

test('unpack refuses hard links to anything but a regular file, owner/mode through a final symlink, and bad input', async () => {
  await arena(async (root) => {
    await fsp.symlink('d', join(root, 'ld'));
    const cases: [string, Buffer[], RegExp][] = [
      ['hard link to a symlink', [op('L', 'h', 'lf')], /must be a regular file/],
      ['hard link to a symlink to a dir', [op('L', 'h', 'l')], /must be a regular file/],
      ['hard link to a dir', [op('L', 'h', 'd')], /must be a regular file/],
      ['hard link to the root', [op('L', 'h', '.')], /must be a regular file/],
      ['hard link to nothing', [op('L', 'h', 'nothing')], /No such file/],
      ['owner and mode of a symlink to a dir outside', [op('M', 'l', 0o777, 1, 1)], /open directory l/],
      ['owner and mode of a symlink to a dir inside', [op('M', 'ld', 0o777, 1, 1)], /open directory ld/],
      ['owner and mode of a file', [op('M', 'existing', 0o777, 1, 1)], /open directory existing/],
      ['a 0/0 character device (a whiteout is W)', [op('N', 'n', 'c', 0, 0, 0o666, 0, 0)], /whiteout, not a device node/],
      ['a device number Linux cannot hold', [op('N', 'n', 'c', 4096, 0, 0o666, 0, 0)], /bad device/],
      ['a copy in unpack', [op('C', 'x', 0o644, 0, 0, 0, 0, 0)], /bad operation/],
      ['an unknown operation', [op('Z', 'x')], /bad operation/],
      ['a file whose data is cut short', [op('F', 'short', 0o644, 0, 0, 0, 0, 10), Buffer.from('12345')], /short: the operation stream ends in the middle/],
      ['an operation cut short', [Buffer.from('F\0cut\0' + '420\0')], /ends in the middle/],
      ['a bad number', [op('F', 'n', '0x1ff', 0, 0, 0, 0, 0)], /bad number for n/],
      ['a negative size', [op('F', 'n', 0o644, 0, 0, 0, 0, -1)], /bad size for n/],
      ['nanoseconds out of range', [op('T', 'existing', 0, 1_000_000_000)], /bad time for existing/],
      ['an empty symlink target', [op('S', 's', '', 0, 0, 0, 0)], /needs a target/],
      ['an xattr value over 64 KiB', [op('X', 'existing', 'user.big', 65537), Buffer.alloc(65537)], /too large/],
    ];
    for (const [label, ops, message] of cases) {
      const r = await unpack(root, ops);
      assert.notEqual(r.code, 0, `${label}: refused`);
      assert.match(r.stderr, message, label);
    }
    // A file whose data was cut short stays, partial, for the caller to remove with its staging dir.
    await fsp.rm(join(root, 'short'));
    assert.deepEqual((await fsp.readdir(root)).sort(), ['d', 'existing', 'l', 'ld', 'lf'], 'nothing else was made');
    assert.equal((await fsp.stat(join(root, 'd'))).mode & 0o7777, 0o755);
    // U removes a symlink itself, never what it points at.
    assert.equal((await unpack(root, [op('U', 'l'), op('U', 'ld')])).code, 0);
    assert.deepEqual((await fsp.readdir(root)).sort(), ['d', 'existing', 'lf']);
  });
});

test('copy copies what it is told from its source, echoes file data, and refuses a source that changed or escapes', async () => {
  await arena(async (root, outside) => {
    const src = join(root, 'd');
    await fsp.mkdir(join(src, 'sub'));
    await fsp.writeFile(join(src, 'sub/f'), 'hello');
    await fsp.writeFile(join(src, 'g'), 'world!');
    await fsp.symlink('../../outside', join(src, 'out'));
    await makeFifo(src, 'fifo', 0o600);
    const dest = join(root, 'copy');
    await fsp.mkdir(dest);
    const ok = await copy(src, dest, [
      op('D', 'sub', 0o750, 0, 0),
      op('C', 'sub/f', 0o640, 1, 2, 1_600_000_000, 7, 5),
      op('C', 'g', 0o644, 0, 0, 0, 0, 6),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.toString(), 'helloworld!', 'the data of each copied file, in order');
    assert.match(ok.walk.toString('latin1'), /sub\/f\0/, 'the walk of the source comes first');
    assert.equal(await fsp.readFile(join(dest, 'sub/f'), 'utf8'), 'hello');
    const st = await fsp.stat(join(dest, 'sub/f'), { bigint: true });
    assert.deepEqual([st.mode & 0o7777n, st.uid, st.gid, st.mtimeNs], [0o640n, 1n, 2n, 1_600_000_000_000_000_007n]);
    const cases: [string, Buffer[], RegExp][] = [
      ['a source through a symlink', [op('C', 'out/f', 0o644, 0, 0, 0, 0, 8)], /open parent of \(source\) out\/f/],
      ['a source with ..', [op('C', '../../outside/f', 0o644, 0, 0, 0, 0, 8)], /open parent of \(source\)/],
      ['a source that is a symlink', [op('C', 'out', 0o644, 0, 0, 0, 0, 0)], /open \(source\) out/],
      ['a source that is now a fifo', [op('C', 'fifo', 0o644, 0, 0, 0, 0, 0)], /fifo: changed while the layer was being read/],
      ['a source of another size', [op('C', 'g', 0o644, 0, 0, 0, 0, 5)], /g: changed while the layer was being read/],
      ['a source that is gone', [op('C', 'nothing', 0o644, 0, 0, 0, 0, 0)], /open \(source\) nothing/],
      ['a copy over an existing file', [op('C', 'g', 0o644, 0, 0, 0, 0, 6)], /create g: File exists/],
    ];
    for (const [label, ops, message] of cases) {
      const again = join(root, 'copy2');
      await fsp.rm(again, { recursive: true, force: true });
      await fsp.mkdir(again);
      if (label.includes('existing')) await fsp.writeFile(join(again, 'g'), 'old');
      const r = await copy(src, again, ops);
      assert.notEqual(r.code, 0, `${label}: refused`);
      assert.match(r.stderr, message, label);
    }
    await fsp.rm(join(root, 'copy2'), { recursive: true, force: true });
    void outside;
  });
});
