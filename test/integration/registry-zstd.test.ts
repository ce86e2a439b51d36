// strata pull of zstd layers (issue 11: `application/vnd.oci.image.layer.v1.tar+zstd`): an image of
// two layers (imported busybox, then a commit with a deletion, an opaque directory and a new file),
// saved by Strata as an OCI layout and copied by skopeo into the loopback registry with its layers
// recompressed as zstd, is pulled into an empty store: the same diff_ids, layer ids and image id as
// where it came from, and it runs with the committed change. A zstd blob corrupted in the
// registry's storage makes the pull fail with nothing kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { TestStore, busyboxTarball, treeSnapshot } from '../support/strata';
import { RegistryStores } from '../support/registry-stores';
import { Registry } from '../support/registry';

interface Manifest { mediaType: string; layers: { mediaType: string; digest: string; size: number }[] }

let tmp: string;
let registry: Registry;
let a: TestStore;
let reg: RegistryStores;
let ref = '';
let manifest: Manifest;




before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strata-registry-zstd-'));
  reg = new RegistryStores(tmp);
  registry = await Registry.start(join(tmp, 'registry'));
  ref = `${registry.host}/bb-zstd:1`;
  a = reg.fresh('zstd-src');
  await reg.ok(a, ['import', (await busyboxTarball(tmp)).tar, 'bb:imported']);
  await reg.ok(a, ['run', '--name', 'changer', 'bb:imported', 'sh', '-c',
    'rm /etc/passwd && rm -r /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only && mkdir -p /opt/x && echo hi > /opt/x/new']);
  await reg.ok(a, ['commit', 'changer', 'bb:two']);
  const layout = join(tmp, 'layout');
  await reg.ok(a, ['save', '--format', 'oci-dir', '-o', layout, 'bb:two']);
  // skopeo recompresses every layer as zstd on the way into the registry (an OCI manifest: Docker's
  // schema 2 has no zstd type).
  const copied = await execa('skopeo', ['copy', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', `oci:${layout}:bb:two`, `docker://${ref}`], { reject: false });
  assert.equal(copied.exitCode, 0, `skopeo copy (Debian's skopeo is needed): ${copied.stderr}`);
  manifest = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout) as Manifest;
});
after(async () => {
  await reg?.closeAll();
  await registry?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('the registry holds the image with zstd layers (what this test pulls)', () => {
  assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(manifest.layers.length, 2);
  for (const l of manifest.layers) {
    assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    const head = Buffer.alloc(4);
    const fd = openSync(registry.blobFile(l.digest), 'r');
    try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
    assert.deepEqual([...head], [0x28, 0xb5, 0x2f, 0xfd], `${l.digest} starts with zstd's magic`);
  }
});

test('pull of zstd layers into an empty store: the same diff_ids, layer ids and image id; it runs with the change', async () => {
  const b = reg.fresh('zstd-pull');
  const out = await reg.ok(b, ['pull', ref]);
  assert.equal((out.match(/: Pull complete\n/g) ?? []).length, 2, out);
  const [was, now] = [await reg.inspect(a, 'bb:two'), await reg.inspect(b, ref)];
  assert.deepEqual(now.layers.map((l) => l.diffId), was.layers.map((l) => l.diffId), 'the same diff_ids');
  assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id), 'the same layer (chain) ids');
  assert.equal(now.id, was.id, 'the same image id (the config came through unchanged)');
  assert.ok(now.layers.every((l) => l.tarVerified), 'each pulled layer reproduces the tar whose sha256 is its diff_id');
  assert.equal((await reg.ok(b, ['run', '--rm', ref, 'cat', '/usr/sbin/only', '/opt/x/new'])).trim(), 'only\nhi');
  assert.notEqual((await b.cli(['run', '--rm', ref, 'ls', '/etc/passwd'], { env: reg.env })).code, 0, 'the deletion came with the layer');
  assert.equal((await reg.ok(b, ['run', '--rm', ref, 'ls', '/usr/sbin'])).trim(), 'only', 'the opaque directory came with the layer');
});

test('a corrupted zstd blob in the registry: the pull fails naming it, nothing is kept', async () => {
  const b = reg.fresh('zstd-corrupt');
  await reg.ok(b, ['images']);
  const kept = () => treeSnapshot(b.root).filter((l) => !l.startsWith('tmp') && !l.startsWith('cache'));
  const before = kept();
  const top = manifest.layers[1];
  const file = registry.blobFile(top.digest);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('corrupted by the test'), 0, 21, Math.floor(statSync(file).size / 2));
  closeSync(fd);
  const r = await b.cli(['pull', ref], { env: reg.env });
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /refused, nothing was kept/);
  assert.match(r.stderr, /corrupted|bad zstd data/);
  assert.deepEqual(kept(), before, 'the store as it was');
  assert.deepEqual(readdirSync(join(b.root, 'tmp')), [], 'nothing left in tmp/');
});
