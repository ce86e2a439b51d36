// strata export: a container's file system, flattened, as `docker export` gives it: what the
// container sees (its deletions gone, a directory it emptied and made again opaque over the
// image's), no whiteout or opaque marker, the image's files byte for byte; to -o or to a pipe, of a
// stopped container and of a running one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let tmp: string;

before(async () => {
  store = TestStore.create('export');
  tmp = mkdtempSync(join(tmpdir(), 'strata-export-'));
  await store.ok(['import', (await busyboxTarball(tmp)).tar, 'bb']);
  await store.ok(['run', '--name', 'changed', 'bb', 'sh', '-c', 'rm /etc/passwd && rm -r /usr/sbin && rm -r /var && mkdir /var && echo only > /var/only && echo hi > /new']);
});
after(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

const names = async (tar: string) => (await execa('tar', ['tf', tar])).stdout.split('\n');

test('export -o writes the container\'s flattened file system: deletions gone, an emptied directory only with what is new, no markers', async () => {
  await store.ok(['export', '-o', join(tmp, 'changed.tar'), 'changed']);
  const listing = await names(join(tmp, 'changed.tar'));
  assert.ok(listing.includes('new') && listing.includes('var/only') && listing.includes('bin/busybox'));
  assert.ok(!listing.includes('etc/passwd'), 'a deleted file is not there');
  assert.deepEqual(listing.filter((n) => n.startsWith('usr/sbin')), [], 'nor a deleted directory');
  assert.deepEqual(listing.filter((n) => n.startsWith('var/') && n !== 'var/'), ['var/only'], 'the image\'s /var is hidden under the new one');
  assert.deepEqual(listing.filter((n) => n.includes('.wh.')), [], 'no whiteout or opaque marker');
  const x = join(tmp, 'x');
  await execa('mkdir', [x]);
  await execa('tar', ['xf', join(tmp, 'changed.tar'), '-C', x]);
  assert.equal(readFileSync(join(x, 'new'), 'utf8'), 'hi\n');
  const bb = JSON.parse(await store.ok(['inspect', '--type', 'image', 'bb']))[0].Strata.Layers[0].Path as string;
  assert.ok(readFileSync(join(x, 'bin/busybox')).equals(readFileSync(join(bb, 'bin/busybox'))), 'the image\'s files, byte for byte');
});

test('export to a pipe gives the same tar, also of a running container', async () => {
  const piped = await execa(process.execPath, [CLI, '--root', store.root, 'export', 'changed'], { encoding: 'buffer', stripFinalNewline: false });
  assert.ok(Buffer.from(piped.stdout).equals(readFileSync(join(tmp, 'changed.tar'))));
  await store.ok(['run', '-d', '--name', 'running', 'bb', 'sh', '-c', 'echo live > /live && sleep 60']);
  try {
    let listing: string[] = [];
    for (let i = 0; i < 50 && !listing.includes('live'); i++) {
      await store.ok(['export', '-o', join(tmp, 'running.tar'), 'running']);
      listing = await names(join(tmp, 'running.tar'));
      if (!listing.includes('live')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(listing.includes('live') && listing.includes('etc/passwd'));
  } finally {
    await store.ok(['rm', '-f', 'running']);
  }
});

test('-o onto a device or a FIFO writes into it and leaves it what it was (a rename would make /dev/null a regular file)', async () => {
  // A private null device and a FIFO in the test's folder: never the machine's own /dev/null.
  const nul = join(tmp, 'null');
  await execa('mknod', ['-m', '666', nul, 'c', '1', '3']);
  await store.ok(['export', '-o', nul, 'changed']);
  assert.ok(lstatSync(nul).isCharacterDevice(), 'still a character device');
  await store.ok(['save', '-o', nul, 'bb']);
  assert.ok(lstatSync(nul).isCharacterDevice(), 'still a character device after save');
  const fifo = join(tmp, 'fifo');
  await execa('mkfifo', [fifo]);
  const read = execa('tar', ['-t', '-B', '-f', fifo]); // -B: a pipe gives short reads
  await store.ok(['export', '-o', fifo, 'changed']);
  assert.ok((await read).stdout.split('\n').includes('new'), 'the reader got the tar');
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
});
