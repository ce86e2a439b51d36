// Every bad tar of docs/security.md ("Importing a tar"), through the whole path a user takes
// (strata import -> helper -> engine): refused with a clear error, the store exactly as before
// (no layer, no image, no tag, nothing left in tmp/), and nothing written outside the store.
// Device nodes are the exception by policy: kept, and shown to be inert.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, lstatSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { TestStore, busyboxTarball } from '../support/strata';
import { besideStore, guardedRun, type Guarded } from '../support/store-guard';
import { appendToTar, buildTar as makeTar, deviceHeader } from '../support/archive-tar';

let store: TestStore;
let guarded: Guarded;

before(async () => {
  store = TestStore.create('hostile-import');
  // A valid image first, so "unchanged" covers a store with content.
  await store.ok(['import', '-', 'good'], { input: await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/os-release', data: 'ok\n' }]) });
  guarded = besideStore(store);
});
after(async () => { await store.close(); });

async function refused(tarBytes: Buffer, expected: RegExp) {
  const r = await guardedRun(guarded, 'import', () => store.cli(['import', '-', 'bad'], { input: tarBytes }));
  assert.notEqual(r.code, 0, `import should fail; stdout: ${r.stdout}`);
  assert.match(r.stderr, expected);
}

test('a name with .. that climbs out', async () => {
  await refused(await makeTar([{ name: '../victim/pwned', data: 'x' }]), /\.\./);
});

test('a name that climbs out after a folder: a/../../x', async () => {
  await refused(await makeTar([{ name: 'a/../../victim/pwned', data: 'x' }]), /\.\./);
});

test('a symlink then a write through it', async () => {
  await refused(await makeTar([{ name: 'l', type: 'symlink', linkname: '../../victim' }, { name: 'l/pwned', data: 'x' }]), /symlink|symbolic link/i);
});

test('a hard link to a file outside', async () => {
  await refused(await makeTar([{ name: 'h', type: 'link', linkname: '../victim/keep' }]), /link/i);
});

test('a block device and a character device are kept, but inert: nodev in the container, 0700 on the host', async () => {
  // A busybox root fs (so the container has a shell) plus /sda (8:0, the first disk) and /mem (1:1,
  // physical memory), both 0666: what a hostile image would ship to reach the host's hardware.
  const tmp = mkdtempSync(join(tmpdir(), 'strata-devs-'));
  try {
    const input = appendToTar(readFileSync((await busyboxTarball(tmp)).tar), [deviceHeader('./sda', 'b', 8, 0), deviceHeader('./mem', 'c', 1, 1)]);
    await store.ok(['import', '-', 'devs'], { input });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // The layer holds the nodes as they came.
  const layerId: string = JSON.parse(await store.ok(['inspect', 'devs']))[0].Strata.Layers[0].Id;
  const layer = join(store.root, 'graph', layerId.replace(/^sha256:/, ''), 'layer'); // graph/<hex>/layer
  const sda = lstatSync(join(layer, 'sda'));
  const mem = lstatSync(join(layer, 'mem'));
  assert.ok(sda.isBlockDevice() && mem.isCharacterDevice());
  assert.deepEqual([sda.rdev, sda.mode & 0o7777, mem.rdev, mem.mode & 0o7777], [8 << 8, 0o666, (1 << 8) | 1, 0o666], 'major:minor 8:0 and 1:1, mode 0666');
  // No host user reaches them: the store root is 0700 (moby CVE-2021-41091).
  assert.equal(statSync(store.root).mode & 0o777, 0o700);
  const nobody = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'head', '-c', '1', join(layer, 'sda')], { reject: false });
  assert.notEqual(nobody.exitCode, 0);
  assert.match(nobody.stderr, /Permission denied/);
  // And inside the container (root, but the root fs is mounted nodev) neither opens, to read or to write.
  const script = 'for d in /sda /mem; do head -c 1 $d; echo "read $d: $?"; echo x > $d; echo "write $d: $?"; done; ls -l /sda /mem';
  const r = await store.cli(['run', '--rm', 'devs', '/bin/sh', '-c', `(${script}) 2>&1`]);
  assert.equal(r.code, 0, r.stderr);
  for (const d of ['sda', 'mem']) {
    assert.match(r.stdout, new RegExp(`head: /${d}: Permission denied\nread /${d}: 1\n`));
    assert.match(r.stdout, new RegExp(`/${d}: Permission denied\nwrite /${d}: [12]\n`));
  }
  assert.match(r.stdout, /^brw-rw-rw- +1 root +root +8, +0 .* \/sda$/m, 'the container sees the node itself');
  assert.match(r.stdout, /^crw-rw-rw- +1 root +root +1, +1 .* \/mem$/m);
  await store.ok(['rmi', 'devs']);
});

test('a raw 0/0 character device (a spoofed whiteout)', async () => {
  await refused(await makeTar([{ name: 'fake', type: 'character-device', devmajor: 0, devminor: 0 }]), /device|whiteout/i);
});

test('an invalid whiteout name', async () => {
  await refused(await makeTar([{ name: 'etc/.wh..wh.', data: '' }]), /whiteout/i);
});

test('random bytes, a cut tar, and a broken gzip', async () => {
  await refused(randomBytes(4096), /tar|header|archive/i);
  const good = await makeTar([{ name: 'a', data: 'x'.repeat(5000) }]);
  await refused(good.subarray(0, 1500), /truncated|unexpected end|incomplete/i);
  await refused(gzipSync(good).subarray(0, 40), /gzip|truncated|unexpected end|incomplete/i);
});

test('the store still serves its good image after all that, and knows no "bad" one', async () => {
  const images = await store.ok(['images']);
  assert.match(images, /^good\s+latest\s/m);
  assert.doesNotMatch(images, /^bad\s/m);
  assert.match(await store.ok(['diff', '--layer', JSON.parse(await store.ok(['inspect', 'good']))[0].Strata.Layers[0].Id]), /^A \/etc\/os-release$/m);
});
