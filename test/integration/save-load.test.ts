// strata save and strata load: an imported image and a committed one (with deletions) go out as a
// docker-archive and as an OCI layout and come back into an empty store with the same image id and
// the same layer ids; each layer's tar in the archive is its diff_id's; skopeo reads both formats,
// and what skopeo writes from them (symlinked layers, gzip'd blobs) loads back; a layer whose folder
// changed behind Strata's back is refused by save, with nothing left at -o; a damaged archive
// leaves the store as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { TestStore, busyboxTarball, sha256sum } from '../support/strata';
import { buildTar } from '../support/archive-tar';

interface Image { id: string; layers: { id: string; diffId: string; path: string; tarVerified?: boolean }[] }

let a: TestStore;
let tmp: string;
const file = (name: string) => join(tmp, name);
/** The image as the helper keeps it (the protocol's image.inspect with verify, as strata inspect asks it). */
async function inspect(store: TestStore, ref: string): Promise<Image> {
  const client = await store.client();
  try { return await client.request('image.inspect', { ref, verify: true }); } finally { client.dispose(); }
}

before(async () => {
  a = TestStore.create('save');
  tmp = mkdtempSync(join(tmpdir(), 'strata-save-'));
  await a.ok(['import', (await busyboxTarball(tmp)).tar, 'bb:imported']);
  await a.ok(['run', '--name', 'deleter', 'bb:imported', 'sh', '-c', 'rm /etc/passwd && rm -r /usr/sbin && mkdir -p /opt/x && echo hi > /opt/x/new']);
  await a.ok(['commit', 'deleter', 'bb:committed']);
});
after(async () => {
  await a.close();
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Loads `archive` into a fresh store; the images `refs` there must be the ones in store a (or, when
 * a tool rewrote the config, have the id `configId`, the sha256 of the config it wrote).
 */
async function roundTrip(archive: string, refs: string[], configId?: string): Promise<TestStore> {
  const b = TestStore.create('load');
  const out = await b.ok(['load', '-i', archive]);
  for (const ref of refs) {
    assert.match(out, new RegExp(`Loaded image: ${ref}\\n`));
    const [was, now] = [await inspect(a, ref), await inspect(b, ref)];
    assert.equal(now.id, configId ?? was.id, `${ref}: the same image id`);
    assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id), `${ref}: the same layer ids`);
    assert.ok(now.layers.every((l) => l.tarVerified), `${ref}: loaded layers keep a tar-split, and their tars come back`);
  }
  return b;
}

test('docker format: the imported and the committed image round-trip with their ids; each layer.tar is its diff_id\'s', async () => {
  await a.ok(['save', '-o', file('docker.tar'), 'bb:imported', 'bb:committed']);
  const listing = (await execa('tar', ['tf', file('docker.tar')])).stdout.split('\n');
  assert.ok(listing.includes('manifest.json') && listing.includes('repositories'));
  const committed = await inspect(a, 'bb:committed');
  const x = join(tmp, 'x');
  await execa('mkdir', ['-p', x]);
  await execa('tar', ['xf', file('docker.tar'), '-C', x]);
  for (const l of committed.layers) assert.equal(sha256sum(join(x, l.id.slice(7), 'layer.tar')), l.diffId, 'the layer tar, byte for byte');
  const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.map((m: { RepoTags: string[] }) => m.RepoTags), [['bb:imported'], ['bb:committed']]);
  const b = await roundTrip(file('docker.tar'), ['bb:imported', 'bb:committed']);
  try {
    const diff = await b.ok(['diff', '--layer', committed.layers[1].id]);
    for (const line of ['D /etc/passwd', 'D /usr/sbin', 'A /opt/x/new']) assert.ok(diff.split('\n').includes(line), `${line} in\n${diff}`);
    // Saved again from the store that loaded it: the same bytes.
    await b.ok(['save', '-o', file('again.tar'), 'bb:imported', 'bb:committed']);
    assert.equal(sha256sum(file('again.tar')), sha256sum(file('docker.tar')));
  } finally {
    await b.close();
  }
  // The archive gzip'd, on stdin (docker save | gzip | strata load).
  const c = TestStore.create('load-gz');
  try {
    assert.match(await c.ok(['load'], { input: gzipSync(readFileSync(file('docker.tar'))) }), /Loaded image: bb:committed\n/);
    assert.equal((await inspect(c, 'bb:committed')).id, committed.id);
  } finally {
    await c.close();
  }
});

test('oci format: an OCI image layout that round-trips, and skopeo reads both formats', async () => {
  await a.ok(['save', '--format', 'oci', '-o', file('oci.tar'), 'bb:committed']);
  const listing = (await execa('tar', ['tf', file('oci.tar')])).stdout.split('\n');
  assert.ok(listing.includes('oci-layout') && listing.includes('index.json'));
  const committed = await inspect(a, 'bb:committed');
  for (const [archive, transport] of [[file('oci.tar'), 'oci-archive'], [file('docker.tar'), 'docker-archive']]) {
    const ref = transport === 'docker-archive' ? `${archive}:bb:committed` : archive;
    const seen = JSON.parse((await execa('skopeo', ['inspect', `${transport}:${ref}`])).stdout);
    assert.deepEqual(seen.Layers, committed.layers.map((l) => l.diffId), `skopeo inspect ${transport}`);
  }
  await (await roundTrip(file('oci.tar'), ['bb:committed'])).close();
});

test('what skopeo writes from Strata\'s archives loads back: a docker-archive with symlinked layers, an OCI layout with gzip\'d blobs', async () => {
  await execa('skopeo', ['copy', `oci-archive:${file('oci.tar')}`, `docker-archive:${file('skopeo-docker.tar')}:bb:committed`]);
  assert.match((await execa('tar', ['tvf', file('skopeo-docker.tar')])).stdout, /layer\.tar -> /, 'skopeo links each layer.tar to its blob');
  await (await roundTrip(file('skopeo-docker.tar'), ['bb:committed'])).close();
  await execa('skopeo', ['copy', '--dest-compress', `docker-archive:${file('docker.tar')}:bb:committed`, `oci-archive:${file('skopeo-gz.tar')}:bb:committed`]);
  const index = JSON.parse((await execa('tar', ['xOf', file('skopeo-gz.tar'), 'index.json'])).stdout);
  const manifest = JSON.parse((await execa('tar', ['xOf', file('skopeo-gz.tar'), `blobs/sha256/${index.manifests[0].digest.slice(7)}`])).stdout);
  assert.ok(manifest.layers.every((l: { mediaType: string }) => l.mediaType.endsWith('+gzip')), 'gzip\'d layers');
  // skopeo re-marshals the config as it converts (Go's JSON: "\u003e" for ">", no empty Env), so
  // the image id is that of its config; the layers are the same.
  assert.notEqual(manifest.config.digest, (await inspect(a, 'bb:committed')).id);
  await (await roundTrip(file('skopeo-gz.tar'), ['bb:committed'], manifest.config.digest)).close();
});

test('save refuses a layer whose folder changed behind Strata\'s back, and one recorded as not reproducible; nothing is left at -o', async () => {
  const s = TestStore.create('save-refused');
  try {
    await s.ok(['import', (await busyboxTarball(mkdtempSync(join(tmp, 'bb-')))).tar, 'bb:changed']);
    const [layer] = (await inspect(s, 'bb:changed')).layers;
    appendFileSync(join(layer.path, 'etc/passwd'), 'intruder:x:0:0::/:/bin/sh\n');
    const r = await s.cli(['save', '-o', file('refused.tar'), 'bb:changed']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /its tar cannot be reproduced: .*etc\/passwd/);
    assert.ok(!existsSync(file('refused.tar')));
    assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('refused')), [], 'no partial file beside it either');

    await s.ok(['import', '-', 'dup:latest'], { input: await buildTar([{ name: 'f', data: 'one' }, { name: 'f', data: 'two' }]) });
    const dup = await s.cli(['save', '--format', 'oci', '-o', file('dup.tar'), 'dup:latest']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /save dup:latest: layer sha256:[0-9a-f]{64}: its tar cannot be reproduced: entry "f" overwrites "f"/);
    assert.ok(!existsSync(file('dup.tar')));
  } finally {
    await s.close();
  }
});

test('load refuses an archive whose layer is not the one its config names, and the store stays as it was', async () => {
  const x = join(tmp, 'bad');
  await execa('mkdir', ['-p', x]);
  await execa('tar', ['xf', file('docker.tar'), '-C', x]);
  const committed = await inspect(a, 'bb:committed');
  appendFileSync(join(x, committed.layers[1].id.slice(7), 'layer.tar'), Buffer.alloc(512)); // one more zero block: another digest
  await execa('tar', ['cf', file('bad.tar'), '-C', x, '.']);
  const b = TestStore.create('load-bad');
  try {
    await b.ok(['images']);
    const r = await b.cli(['load', '-i', file('bad.tar')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /layer 2's tar has the digest sha256:[0-9a-f]{64}, its config says sha256:/);
    assert.equal((await b.ok(['images', '-q'])).trim(), '', 'no image');
    assert.deepEqual(readdirSync(join(b.root, 'graph')), [], 'no layer');
    assert.deepEqual(readdirSync(join(b.root, 'tmp')), [], 'no staged layer left');
  } finally {
    await b.close();
  }
});
