// strata-fs, the archive module's native tool: walk, stat, cat and read, each resolving every path
// beneath its root in the kernel (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), whatever the
// TypeScript side asks. (What it refuses to write: archive-unpack.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { catFiles, statPaths, walkTree } from '../../helper/archive/native-fs';
import { nativeTool } from '../../helper/native';
import { makeTmp, removeTmp } from '../support/archive-fs';

test('walk reports every entry once without following symlinks; stat treats a symlink parent as missing', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'd'));
    await fsp.writeFile(join(tmp, 'd/f'), 'abc');
    await fsp.symlink('/etc', join(tmp, 'etc'));
    const walked = await walkTree(tmp);
    assert.deepEqual(walked.map((e) => `${e.path}:${e.kind}`).sort(), ['.:dir', 'd/f:file', 'd:dir', 'etc:symlink']);
    assert.equal(walked.find((e) => e.path === 'etc')!.linkTarget, '/etc');
    const st = await statPaths(tmp, ['d/f', 'etc/passwd', 'nope', 'd/f/x']);
    assert.equal(st.get('d/f')?.size, 3);
    assert.equal(st.get('etc/passwd'), null);
    assert.equal(st.get('nope'), null);
    assert.equal(st.get('d/f/x'), null);
  } finally {
    removeTmp(tmp);
  }
});

test('cat streams files back to back and fails, naming the file, if one changed size or became a FIFO (never waits on it)', { timeout: 30_000 }, async () => {
  const tmp = makeTmp();
  try {
    await fsp.writeFile(join(tmp, 'a'), 'aaa');
    await fsp.writeFile(join(tmp, 'b'), 'bb');
    const ok = catFiles(tmp, [{ path: 'a', size: 3 }, { path: 'b', size: 2 }]);
    const chunks: Buffer[] = [];
    for (let r = await ok.chunks.next(); !r.done; r = await ok.chunks.next()) chunks.push(r.value);
    await ok.done;
    assert.equal(Buffer.concat(chunks).toString(), 'aaabb');
    const bad = catFiles(tmp, [{ path: 'a', size: 4 }]);
    await assert.rejects(bad.done, /a: changed while the layer was being read/);
    // A FIFO where the file was (a container can swap one in after the walk): refused, not waited on.
    spawnSync('mkfifo', [join(tmp, 'fifo')]);
    const fifo = catFiles(tmp, [{ path: 'fifo', size: 3 }]);
    await assert.rejects(fifo.done, /fifo: changed while the layer was being read/);
  } finally {
    removeTmp(tmp);
  }
});

test('read (commit by move) writes nothing: it refuses every operation but R, and a file that changed size', async () => {
  const tmp = makeTmp();
  try {
    await fsp.mkdir(join(tmp, 'upper'));
    await fsp.writeFile(join(tmp, 'upper/a'), 'abc');
    const read = (ops: string) => spawnSync(nativeTool('strata-fs'), ['read', join(tmp, 'upper')], { input: Buffer.from(ops, 'latin1') });
    const ok = read('R\0a\x003\0');
    assert.equal(ok.status, 0, ok.stderr.toString());
    assert.match(ok.stdout.toString('latin1'), /abc$/, 'the walk, then the bytes');
    for (const op of ['F\0b\0' + '420\x000\x000\x000\x000\x001\0x', 'W\0b\0', 'D\0b\x00493\x000\x000\0', 'U\0a\0', 'C\0a\x00420\x000\x000\x000\x000\x003\0']) {
      const r = read(op);
      assert.notEqual(r.status, 0, `op ${op[0]} is refused`);
      assert.match(r.stderr.toString(), /bad operation \(read only\)/);
    }
    assert.deepEqual((await fsp.readdir(join(tmp, 'upper'))).sort(), ['a'], 'nothing was written');
    assert.equal(await fsp.readFile(join(tmp, 'upper/a'), 'utf8'), 'abc');
    const changed = read('R\0a\x004\0');
    assert.notEqual(changed.status, 0);
    assert.match(changed.stderr.toString(), /strata-fs: a: changed while the layer was being read/);
  } finally {
    removeTmp(tmp);
  }
});
