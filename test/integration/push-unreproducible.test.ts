// A push never commits a layer whose tar does not come back as its diff_id says, whichever way it
// is uploaded: the layer's folder changed behind Strata's back (a file of the same size, other
// bytes), and the push fails naming the layer, with no blob completed in the registry (no PUT of
// an upload, nothing in its blob store) and no manifest. An imported layer (tar-split: a file's
// CRC-32 stops it mid-stream) and a committed one (canonical tar: only the whole tar's sha256,
// checked before its last bytes go, stops it), in one streamed PATCH (the default: by then the
// registry has been sent nearly the whole blob) and in --chunk-size PATCH chunks. The same push,
// the file put back, succeeds: the failure was the change, nothing else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import type { Proxy, Registry } from '../support/registry';
import { type RegistryFixture, type RegistryStores, startRegistryFixture } from '../support/registry-stores';

let tmp: string;
let registry: Registry;
let proxy: Proxy;
let store: TestStore;
let reg: RegistryStores;
let fixture: RegistryFixture | undefined;
const BIG = 24_000_000;

before(async () => {
  fixture = await startRegistryFixture('push-unreproducible');
  ({ tmp, registry, proxy, reg } = fixture);
  store = reg.fresh('push-unreproducible');
  // Layers with BIG bytes that gzip cannot shrink: blobs far past the one-PUT size, so they are
  // streamed, and the change (at the end of `big`, or `small` after it) is found after the PATCH
  // began: past the gzip's read-ahead too (strata-fs gzip and tar-gzip hold up to CPUs + 3 MiB).
  const rootfs = join(tmp, 'rootfs');
  mkdirSync(rootfs);
  writeFileSync(join(rootfs, 'big'), randomBytes(BIG));
  writeFileSync(join(rootfs, 'small'), 'same\n');
  execFileSync('tar', ['-cf', join(tmp, 'big.tar'), '-C', rootfs, '.']);
  await reg.ok(store, ['import', join(tmp, 'big.tar'), 'big:imported']);
  await reg.ok(store, ['import', (await busyboxTarball(tmp)).tar, 'bb:imported']);
  await reg.ok(store, ['run', '--name', 'big', 'bb:imported', 'sh', '-c', `head -c ${BIG} /dev/urandom > /big && echo same > /small`]);
  await reg.ok(store, ['commit', 'big', 'bb:big']);
  // The busybox layer is in the registry (mounted from here into the repositories below): only
  // the changed layer is uploaded by the pushes that must fail.
  await reg.ok(store, ['tag', 'bb:imported', `${proxy.host}/base:1`]);
  await reg.ok(store, ['push', `${proxy.host}/base:1`]);
});
after(() => fixture?.stop());

/** Blobs the registry holds whole (an upload completed by its PUT). */
function storedBlobs(): string[] {
  const dir = join(registry.dir, 'data', 'docker/registry/v2/blobs/sha256');
  return existsSync(dir) ? readdirSync(dir).flatMap((p) => readdirSync(join(dir, p))) : [];
}

const manifestExists = async (repo: string, tag: string) => (await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD' })).status === 200;
const completions = () => proxy.count('PUT', /\/blobs\/uploads\//);

/** Swaps the file's bytes for others of the same length, its mtime kept; gives back a function that puts them back. */
function changeSameSize(file: string): () => void {
  const was = readFileSync(file);
  const { atime, mtime } = statSync(file);
  const write = (data: Buffer) => {
    writeFileSync(file, data);
    utimesSync(file, atime, mtime); // a canonical tar has the mtime: only the bytes differ
  };
  const changed = Buffer.from(was);
  changed[changed.length - 1] ^= 0xff;
  write(changed);
  return () => write(was);
}

async function layerPath(ref: string, index: number, kind: 'tar-split' | 'canonical'): Promise<string> {
  const layer = (await reg.inspect(store, ref)).layers[index];
  assert.equal(layer.tar, kind, `layer ${index} of ${ref} is made again from its ${kind}`);
  return layer.path;
}

async function refusedThenPushed(what: string, repo: string, file: string, pushArgs: string[], problem: RegExp): Promise<void> {
  const blobsBefore = storedBlobs();
  const putsBefore = completions();
  const patchesBefore = proxy.count('PATCH', /\/blobs\/uploads\//);
  const putBack = changeSameSize(file);
  try {
    const r = await store.cli(['push', ...pushArgs, `${proxy.host}/${repo}:1`], { env: reg.env });
    assert.notEqual(r.code, 0, `${what}: the push failed`);
    assert.match(r.stderr, /layer sha256:[0-9a-f]{64}: its tar cannot be reproduced/, what);
    assert.match(r.stderr, problem, what);
    assert.ok(proxy.count('PATCH', /\/blobs\/uploads\//) > patchesBefore, `${what}: the layer's upload had begun (PATCH)`);
    assert.equal(completions(), putsBefore, `${what}: no upload completed (no PUT with a digest)`);
    assert.deepEqual(storedBlobs(), blobsBefore, `${what}: no blob stored`);
    assert.equal(await manifestExists(repo, '1'), false, `${what}: no manifest`);
  } finally {
    putBack();
  }
  await reg.ok(store, ['push', ...pushArgs, `${proxy.host}/${repo}:1`]);
  assert.equal(await manifestExists(repo, '1'), true, `${what}: put back, the same push goes through`);
}

test('an imported layer whose file changed (same size): its CRC-32 stops the streamed upload; nothing committed', async () => {
  await reg.ok(store, ['tag', 'big:imported', `${proxy.host}/imported:1`]);
  const dir = await layerPath('big:imported', 0, 'tar-split');
  await refusedThenPushed('tar-split, streamed', 'imported', join(dir, 'big'), [], /"big" is not the file that was imported/);
});

test('a committed layer whose file changed (same size): the tar\'s sha256 stops the streamed upload before its end; nothing committed', async () => {
  await reg.ok(store, ['tag', 'bb:big', `${proxy.host}/big:1`]);
  const dir = await layerPath('bb:big', 1, 'canonical');
  await refusedThenPushed('canonical, streamed', 'big', join(dir, 'small'), [], /canonical tar has the digest sha256:[0-9a-f]{64}, not its diff_id/);
});

test('the same in --chunk-size PATCH chunks: nothing committed', async () => {
  await reg.ok(store, ['tag', 'bb:big', `${proxy.host}/big-chunked:1`]);
  const dir = await layerPath('bb:big', 1, 'canonical');
  // Strata forgets the blob the last test pushed: the layer is compressed and sent again, not mounted.
  rmSync(join(dirname(dir), 'blobs.json'));
  await refusedThenPushed('canonical, chunked', 'big-chunked', join(dir, 'small'), ['--chunk-size', '1048576'], /canonical tar has the digest/);
});
