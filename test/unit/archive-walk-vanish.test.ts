// A tree read while it changes: `strata diff` walks a running container's upper dir while the
// container creates and deletes files. A file that vanishes during the walk is simply not listed,
// as Docker's walk does (audit defect 6: 6 of 100 diffs failed with "lgetxattr ... ENOENT"). The
// race lands at one of several steps (lstat, the xattr list, an xattr read, readlink, opening a
// directory, reading it); test/support/vanish-preload.c makes each of them happen, every time,
// to a file of a known name. test/integration/diff-shapes.test.ts has the real race.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { nativeTool } from '../../helper/native';
import { parseWalk } from '../../helper/archive/native-fs';
import { makeTmp, removeTmp, setXattrs } from '../support/archive-fs';
import { repoRoot } from '../support/strata';

let tmp: string;
let preload: string;

before(() => {
  tmp = makeTmp();
  preload = join(tmp, 'vanish.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', preload, join(repoRoot(), 'test/support/vanish-preload.c'), '-ldl']);
});
after(() => removeTmp(tmp));

/** Runs strata-fs with the preload; its records as "path:kind[:xattr names]", sorted. */
async function tool(args: string[], input?: Buffer): Promise<string[]> {
  const r = await execa(nativeTool('strata-fs'), args, { input, encoding: 'buffer', env: { LD_PRELOAD: preload }, reject: false });
  assert.equal(r.exitCode, 0, `strata-fs ${args[0]} failed: ${Buffer.from(r.stderr).toString()}`);
  return parseWalk(Buffer.from(r.stdout), true)
    .map((e) => (e.kind === null ? `${e.path}:-` : `${e.path}:${e.kind}${e.xattrs.size ? `:${[...e.xattrs.keys()].join(',')}` : ''}`))
    .sort();
}

async function tree(root: string): Promise<void> {
  await fsp.mkdir(join(root, 'd'), { recursive: true });
  for (const f of ['keep', 'gone-lstat', 'gone-list', 'gone-get', 'gone-attr', 'd/keep']) await fsp.writeFile(join(root, f), f);
  await fsp.symlink('keep', join(root, 'gone-link'));
  await fsp.symlink('keep', join(root, 'link'));
  for (const d of ['gone-open', 'gone-dir']) {
    await fsp.mkdir(join(root, d));
    await fsp.writeFile(join(root, d, 'inside'), 'x');
  }
  await setXattrs(root, [
    ['keep', 'user.a', 'A'],
    ['gone-get', 'user.a', 'A'],
    ['gone-attr', 'user.a', 'A'],
  ]);
}

test('walk leaves out what vanishes at any step of reading it, and lists everything else', async () => {
  const root = join(tmp, 'walk');
  await tree(root);
  assert.deepEqual(await tool(['walk', root]), [
    '.:dir',
    'd/keep:file',
    'd:dir',
    'gone-attr:file', // still there; only its xattr went
    'gone-dir:dir', // removed while being read: nothing under it
    'gone-open:dir', // removed before it was opened: nothing under it
    'keep:file:user.a',
    'link:symlink',
  ]);
});

test('stat reports what vanished while being read as missing; list leaves it out', async () => {
  const root = join(tmp, 'stat');
  await tree(root);
  const paths = ['keep', 'gone-lstat', 'gone-list', 'gone-get', 'gone-link', 'd/keep'];
  assert.deepEqual(await tool(['stat', root], Buffer.from(paths.map((p) => `${p}\0`).join(''))), [
    'd/keep:file',
    'gone-get:-',
    'gone-link:-',
    'gone-list:-',
    'gone-lstat:-',
    'keep:file:user.a',
  ]);
  assert.deepEqual(await tool(['list', root], Buffer.from('.\0d\0keep\0nope\0gone-dir\0')), [
    'd/keep:file', // from "d"; "keep" is no directory and "nope" is not there: nothing for them
    'd:dir',
    'gone-attr:file',
    'gone-dir:dir',
    'gone-open:dir',
    'keep:file:user.a',
    'link:symlink',
  ]);
});
