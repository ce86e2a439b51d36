// An import (and a load) that would fill the store's disk is refused as it streams, saying how much
// room there was; one whose files fill it all the same (many small files take more disk than tar)
// fails with the disk's words; either way the store is as it was and the helper goes on serving.
// On a small loop-mounted ext4 as the store, so the real disk is never near full.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { dockerArchiveEntries } from '../support/image-archive';
import { busyboxTarball, requireRoot, TestStore } from '../support/strata';

let base: string;
let store: TestStore;

before(async () => {
  requireRoot();
  base = mkdtempSync(join(tmpdir(), 'strata-import-room-'));
  const img = join(base, 'disk.img');
  execFileSync('truncate', ['-s', '64M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-N', '4096', img]);
  mkdirSync(join(base, 'mnt'));
  execFileSync('mount', ['-o', 'loop', img, join(base, 'mnt')]);
  store = TestStore.at(join(base, 'mnt', 'root'));
});
after(async () => {
  await store.stopHelper();
  execFileSync('umount', [join(base, 'mnt')]);
  rmSync(base, { recursive: true, force: true });
});

async function unchanged(): Promise<void> {
  assert.equal(await store.ok(['images', '-q']), '', 'no image');
  assert.deepEqual(readdirSync(join(store.root, 'graph')), [], 'no layer');
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], 'nothing left in tmp/');
}

test('a tar larger than the disk\'s room is refused with the room named; the store is unchanged', async () => {
  const big = join(base, 'big.tar');
  writeFileSync(big, await buildTar([{ name: 'blob', data: Buffer.alloc(80 * 1024 * 1024, 1) }]));
  const r = await store.cli(['import', big, 'big']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error response from daemon: import: the tar would write more than \d+\.\d MiB, all the room on the store's disk \(\d+\.\d MiB free, \d+\.\d MiB of it kept spare\); free some space/);
  await unchanged();
});

test('--max-size caps one import below the disk\'s room, and says so', async () => {
  const tar = (await busyboxTarball(mkdtempSync(join(base, 'bb-')))).tar;
  const r = await store.cli(['import', '--max-size', '256k', tar, 'small']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the tar would write more than 256\.0 KiB, the limit for one import; import it with a larger --max-size/);
  await unchanged();
  const bad = await store.cli(['import', '--max-compression-ratio', 'lots', tar]);
  assert.notEqual(bad.code, 0, 'a usage error');
  assert.match(bad.stderr, /invalid --max-compression-ratio "lots": a whole number, 0 for no limit/);
});

test('load: a layer larger than the disk\'s room is refused as it streams, with the room named; the store is unchanged', async () => {
  const layer = await buildTar([{ name: 'blob', data: Buffer.alloc(80 * 1024 * 1024, 1) }]);
  const r = await store.cli(['load'], { input: await buildTar(dockerArchiveEntries([{ layers: [layer], tags: ['big:latest'] }])) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error response from daemon: load: layer 1: the tar would write more than \d+\.\d MiB, all the room on the store's disk \(\d+\.\d MiB free, \d+\.\d MiB of it kept spare\); free some space/);
  await unchanged();
});

test('load: layers that fit one by one but not together are refused at the one that does not fit, as is one whose files fill the disk; the store is unchanged', async () => {
  // Three layers of 20 MB (random, so no file system can keep them small): the third finds no room.
  const layers = await Promise.all([1, 2, 3].map((n) => buildTar([{ name: `part${n}`, data: randomBytes(20 * 1024 * 1024) }])));
  const r = await store.cli(['load'], { input: await buildTar(dockerArchiveEntries([{ layers, tags: ['parts:latest'] }])) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error response from daemon: load: layer [23]: (the tar would write more than \d+\.\d MiB, all the room on the store's disk|the store's disk filled up)/);
  await unchanged();
  // 5000 one-byte files: a 5 MB layer, but 5000 inodes on a disk made with 4096.
  const many = await buildTar(Array.from({ length: 5000 }, (_, i): TarSpec => ({ name: `f${i}`, data: 'x' })));
  const full = await store.cli(['load'], { input: await buildTar(dockerArchiveEntries([{ layers: [many], tags: ['many:latest'] }])) });
  assert.equal(full.code, 1, full.stderr);
  assert.match(full.stderr, /^Error response from daemon: load: layer 1: the store's disk filled up writing f\d+ \(No space left on device/);
  await unchanged();
});

test('a tar whose files fill the disk all the same fails with the disk\'s words; the store is unchanged and serves on', async () => {
  // 5000 one-byte files: a 5 MB tar, but 5000 inodes on a disk made with 4096.
  const specs: TarSpec[] = Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
  const many = join(base, 'many.tar');
  writeFileSync(many, await buildTar(specs));
  const r = await store.cli(['import', many, 'many']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error response from daemon: import: the store's disk filled up writing f\d+ \(No space left on device: its files take more room than the tar, or it ran out of inodes\); nothing was kept; free some space/);
  await unchanged();
  const tar = (await busyboxTarball(mkdtempSync(join(base, 'bb2-')))).tar;
  assert.match(await store.ok(['import', tar, 'fits']), /^sha256:[0-9a-f]{64}\n$/, 'the next import works');
});
