// `strata-fs changes` (native/changes.c) reads in one pass what a layer's changes used to read with
// a walk of the upper dir and a stat of its paths in each lower. It must find the same entries:
// every lower record a stat would print (and none it would call missing), and for the upper dir
// walk's record of every entry, except the entries that no lower has and that are neither a
// directory nor a character device, which come by their kind only (they can only be A).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { nativeTool } from '../../helper/native';
import { KIND_ONLY, parseWalk, walkWithLowers, type WalkEntry } from '../../helper/archive/native-fs';
import { stopFsServers } from '../../helper/archive/fs-server';
import { makeTmp, makeWhiteouts, removeTmp, setXattrs } from '../support/archive-fs';
import { repoRoot } from '../support/strata';

let tmp: string;
before(() => {
  tmp = makeTmp();
});
after(() => {
  stopFsServers();
  removeTmp(tmp);
});

async function files(root: string, paths: Record<string, string>): Promise<void> {
  for (const [p, body] of Object.entries(paths)) {
    await fsp.mkdir(join(root, p, '..'), { recursive: true });
    await fsp.writeFile(join(root, p), body);
  }
}

async function run(args: string[], input: Buffer, env: NodeJS.ProcessEnv = {}): Promise<Buffer> {
  const r = await execa(nativeTool('strata-fs'), args, { input, encoding: 'buffer', env, reject: false });
  assert.equal(r.exitCode, 0, `strata-fs ${args[0]} failed: ${Buffer.from(r.stderr).toString()}`);
  return Buffer.from(r.stdout);
}

const nul = (paths: string[]) => Buffer.from(paths.map((p) => `${p}\0`).join(''), 'latin1');

/** A record as a comparable line (xattr values included). */
function line(e: WalkEntry): string {
  const x = [...e.xattrs].map(([k, v]) => `${k}=${v.toString('hex')}`).join(',');
  return `${e.path} ${e.kind} ${e.mode} ${e.uid} ${e.gid} ${e.size} ${e.mtimeSec}.${e.mtimeNsec} ${e.ino} ${e.rdevMajor}:${e.rdevMinor} ${e.linkTarget} ${x}`;
}

/** Checks the one-pass answer against walk and stat of the same trees (with `env` for the tool). */
async function agrees(upper: string, lowers: string[], env: NodeJS.ProcessEnv = {}): Promise<{ kindOnly: string[] }> {
  const walked = parseWalk(await run(['walk', upper], Buffer.alloc(0), env)) as WalkEntry[];
  const paths = walked.map((e) => e.path);
  const stats = await Promise.all(lowers.map(async (l) => parseWalk(await run(['stat', l], nul(paths), env), true)));
  const out = await run(['changes', upper], nul(lowers), env);
  // The served answer and the one-shot tool's agree (and parse through walkWithLowers).
  const one = env.LD_PRELOAD ? undefined : await walkWithLowers(upper, lowers);
  const parsed = parseBlocks(out, lowers.length);
  if (one) assert.deepEqual(one.upper.map(line), parsed.upper.map(line));

  stats.forEach((found, i) => {
    const expected = found.filter((e): e is WalkEntry => e.kind !== null).map(line).sort();
    assert.deepEqual(parsed.lowers[i].map(line).sort(), expected, `lower ${i}`);
  });
  const inLower = new Set(stats.flatMap((s) => s.filter((e) => e.kind !== null).map((e) => e.path)));
  const kindOnly: string[] = [];
  const byPath = new Map(walked.map((e) => [e.path, e]));
  // An entry read by kind only is listed even when it vanishes after readdir (it was there then);
  // every other one is as walk finds it.
  const extra = parsed.upper.filter((e) => !byPath.has(e.path));
  assert.ok(extra.every((e) => e.uid === KIND_ONLY), `listed though walk left them out: ${extra.map((e) => e.path).join(' ')}`);
  assert.deepEqual(parsed.upper.filter((e) => byPath.has(e.path)).map((e) => e.path).sort(), [...paths].sort(), 'the same upper entries');
  for (const e of parsed.upper) {
    const w = byPath.get(e.path);
    if (w === undefined) continue;
    if (e.uid === KIND_ONLY) {
      kindOnly.push(e.path);
      assert.ok(!inLower.has(e.path), `${e.path}: read by kind only, but a lower has it`);
      assert.ok(w.kind !== 'dir' && w.kind !== 'chardev' && w.kind !== 'whiteout', `${e.path}: a ${w.kind} read by kind only`);
      assert.equal(e.kind, w.kind, e.path);
      assert.equal(e.mode & 0o170000, w.mode & 0o170000, e.path);
    } else {
      assert.equal(line(e), line(w), e.path);
    }
  }
  return { kindOnly: kindOnly.sort() };
}

/** The tool's head and blocks, as walkWithLowers reads them. */
function parseBlocks(out: Buffer, lowers: number): { upper: WalkEntry[]; lowers: WalkEntry[][] } {
  const head: number[] = [];
  let pos = 0;
  while (head.length < lowers + 2) {
    const end = out.indexOf(0, pos);
    head.push(Number(out.toString('latin1', pos, end)));
    pos = end + 1;
  }
  assert.equal(head[0], lowers + 1);
  const blocks = head.slice(1).map((n) => out.subarray(pos, (pos += n)));
  assert.equal(pos, out.length, 'the blocks fill the answer');
  return { upper: parseWalk(blocks[0]) as WalkEntry[], lowers: blocks.slice(1).map((b) => parseWalk(b) as WalkEntry[]) };
}

test('changes reads what walk and stat read: full records where a lower has the path, kind only for what is new', async () => {
  const [upper, mid, low] = ['upper', 'mid', 'low'].map((d) => join(tmp, 'shapes', d));
  await files(low, { 'etc/motd': 'old', 'etc/keep': 'k', 'bin/sh': 'sh', 'old/x': 'x', 'file-to-dir': 'f', 'deep/a/b/c': 'c' });
  await fsp.symlink('etc', join(low, 'link-to-dir'));
  await files(mid, { 'etc/passwd': 'p', 'bin/ls': 'ls', 'dir-to-file/x': 'x' });
  await fsp.mkdir(join(mid, 'old'), { recursive: true });
  await files(upper, {
    'etc/motd': 'new', // C over low
    'etc/passwd': 'p2', // C over mid
    'etc/new': 'n', // A in a folder both lowers have
    'new/a/b': 'b', // A in a folder no lower has
    'file-to-dir/inner': 'i', // a folder over low's file: nothing under it is looked up there
    'dir-to-file': 'now a file',
    'link-to-dir/under': 'u', // a folder over low's symlink: never followed
    'deep/a/b/c': 'c2',
    'deep/a/b/d': 'd',
  });
  await fsp.symlink('motd', join(upper, 'etc/new-link'));
  await fsp.mkdir(join(upper, 'old'));
  await fsp.symlink('x', join(upper, 'old/link'));
  await fsp.mkdir(join(upper, 'bin'));
  await makeWhiteouts(upper, ['bin/sh', 'gone-nowhere']);
  await setXattrs(upper, [
    ['etc/motd', 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')],
    ['etc', 'trusted.overlay.opaque', 'y'],
  ]);
  await setXattrs(low, [['etc/motd', 'user.note', 'low']]);
  const { kindOnly } = await agrees(upper, [mid, low]);
  assert.deepEqual(kindOnly, ['deep/a/b/d', 'etc/new', 'etc/new-link', 'file-to-dir/inner', 'link-to-dir/under', 'new/a/b', 'old/link']);
});

test('changes over no lower reads every file by kind only, and folders and whiteouts in full', async () => {
  const upper = join(tmp, 'alone');
  await files(upper, { 'a/b': 'b', c: 'c' });
  await makeWhiteouts(upper, ['w']);
  const { kindOnly } = await agrees(upper, []);
  assert.deepEqual(kindOnly, ['a/b', 'c']);
});

test('changes leaves out what vanishes while being read, in the upper dir and in the lowers, as walk and stat do', async () => {
  const preload = join(tmp, 'vanish.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', preload, join(repoRoot(), 'test/support/vanish-preload.c'), '-ldl']);
  const [upper, low] = ['upper', 'low'].map((d) => join(tmp, 'vanish', d));
  for (const root of [upper, low]) {
    await files(root, { keep: 'k', 'gone-lstat': 'g', 'gone-list': 'g', 'gone-get': 'g', 'gone-attr': 'g', 'd/keep': 'k' });
    for (const d of ['gone-open', 'gone-dir']) await files(root, { [`${d}/inside`]: 'x' });
    await fsp.symlink('keep', join(root, 'gone-link'));
    await setXattrs(root, [['gone-get', 'user.a', 'A'], ['gone-attr', 'user.a', 'A']]);
  }
  await agrees(upper, [low], { LD_PRELOAD: preload });
});
