// The archive formats beyond save-load.test.ts (issue 11): save --compress (gzip'd layers, docker
// and OCI; the same bytes twice; the config's diff_ids unchanged), save --format oci-dir (a layout
// folder written by the CLI, never by the helper; a folder that is not empty refused and left as
// it was), load -i DIR of a layout folder, zstd layers (made by Debian's zstd) in an OCI layout and
// in a docker-archive, and the round trip of every image kind: imported, committed with deletions
// and an opaque directory, built from a Dockerfile (with empty layers in its history).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { TestStore, busyboxTarball, sha256sum, treeSnapshot } from '../support/strata';

interface Image { id: string; layers: { id: string; diffId: string; tarVerified?: boolean }[] }
interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

let a: TestStore;
let tmp: string;
const file = (name: string) => join(tmp, name);
const IMAGES = ['bb:imported', 'bb:committed', 'bb:built'];

async function inspect(store: TestStore, ref: string): Promise<Image> {
  const client = await store.client();
  try { return await client.request('image.inspect', { ref, verify: true }); } finally { client.dispose(); }
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function extract(archive: string, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  await execa('tar', ['xf', archive, '-C', into]);
  return into;
}

/** The manifest of `tag` in an OCI layout folder. */
function ociManifest(dir: string, tag: string): { config: Descriptor; layers: Descriptor[] } {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(d, `${tag} in index.json`);
  return JSON.parse(readFileSync(join(dir, 'blobs/sha256', d.digest.slice(7)), 'utf8'));
}

/** Loads `from` (archive or folder) into a new store: every image of IMAGES must come back with its id and layer ids. */
async function roundTrip(from: string, refs = IMAGES): Promise<void> {
  const b = TestStore.create('fmt-load');
  try {
    const out = await b.ok(['load', '-i', from]);
    for (const ref of refs) {
      assert.match(out, new RegExp(`Loaded image: ${ref}\\n`));
      const [was, now] = [await inspect(a, ref), await inspect(b, ref)];
      assert.equal(now.id, was.id, `${ref}: the same image id`);
      assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id), `${ref}: the same layer ids`);
      assert.ok(now.layers.every((l) => l.tarVerified), `${ref}: its layers' tars come back`);
    }
    // What the committed image's top layer says, in the new store too.
    const top = (await inspect(b, 'bb:committed')).layers[1].id;
    const diff = (await b.ok(['diff', '--layer', top])).split('\n');
    for (const line of ['D /etc/passwd', 'A /opt/x/new', 'C /usr/sbin', 'A /usr/sbin/only']) assert.ok(diff.includes(line), `${line} in\n${diff.join('\n')}`);
  } finally {
    await b.close();
  }
}

before(async () => {
  a = TestStore.create('fmt');
  tmp = mkdtempSync(join(tmpdir(), 'strata-fmt-'));
  await a.ok(['import', '-c', 'CMD ["/bin/sh"]', (await busyboxTarball(tmp)).tar, 'bb:imported']);
  // Deletions, a new folder, and /usr/sbin emptied and made again: an opaque directory in the layer.
  await a.ok(['run', '--name', 'changer', 'bb:imported', 'sh', '-c', 'rm /etc/passwd && rm -r /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only && mkdir -p /opt/x && echo hi > /opt/x/new']);
  await a.ok(['commit', 'changer', 'bb:committed']);
  await a.ok(['build', '-q', '-t', 'bb:built', '-'], { input: 'FROM bb:imported\nENV WHO=built\nRUN echo "$WHO" > /built && rm /bin/true\nWORKDIR /srv\nRUN touch here\nCMD ["cat", "/built"]\n' });
});
after(async () => {
  await a.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the committed image\'s layer has an opaque directory and the built one empty layers: the kinds this file round-trips', async () => {
  const top = (await inspect(a, 'bb:committed')).layers[1].id;
  const diff = (await a.ok(['diff', '--layer', top])).split('\n');
  assert.ok(diff.includes('C /usr/sbin') && diff.includes('D /etc/passwd'), diff.join('\n'));
  const built = JSON.parse(await a.ok(['inspect', '--type', 'image', 'bb:built']))[0];
  assert.equal(built.RootFS.Layers.length, 4, 'RUN, WORKDIR (it makes /srv) and RUN over the base');
  const history = JSON.parse(await a.ok(['history', '--no-trunc', '--format', '{{json .}}', 'bb:built'])
    .then((out) => `[${out.trim().split('\n').join(',')}]`)) as { CreatedBy: string; Size: string }[];
  assert.ok(history.some((h) => /ENV WHO=built/.test(h.CreatedBy)), 'an empty layer (ENV) in its history');
});

test('save --compress: gzip\'d layers in both formats, the same bytes twice; skopeo reads them; they load back with their ids', async () => {
  for (const format of ['docker', 'oci']) {
    const out = file(`gz-${format}.tar`);
    await a.ok(['save', '--compress', '--format', format, '-o', out, ...IMAGES]);
    await a.ok(['save', '--compress', '--format', format, '-o', file(`gz-${format}-again.tar`), ...IMAGES]);
    assert.equal(sha256sum(file(`gz-${format}-again.tar`)), sha256sum(out), `${format}: saved twice, the same bytes`);
    const x = await extract(out, file(`gz-${format}`));
    const committed = await inspect(a, 'bb:committed');
    if (format === 'docker') {
      const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
      for (const [i, l] of committed.layers.entries()) {
        const path = manifest[1].Layers[i];
        assert.match(path, /\/layer\.tar\.gz$/);
        const blob = readFileSync(join(x, path));
        assert.deepEqual([...blob.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
        assert.equal(sha256((await execa('gzip', ['-dc'], { input: blob, encoding: 'buffer' })).stdout as unknown as Buffer), l.diffId, 'gunzip\'d: the diff_id\'s tar');
      }
      const seen = JSON.parse((await execa('skopeo', ['inspect', `docker-archive:${out}:bb:committed`])).stdout);
      assert.equal(seen.Layers.length, 2);
    } else {
      const m = ociManifest(x, 'bb:committed');
      for (const [i, l] of m.layers.entries()) {
        assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
        const blob = readFileSync(join(x, 'blobs/sha256', l.digest.slice(7)));
        assert.equal(sha256(blob), l.digest, 'the blob is named by its own digest');
        assert.equal(blob.length, l.size);
        assert.equal(sha256((await execa('gzip', ['-dc'], { input: blob, encoding: 'buffer' })).stdout as unknown as Buffer), committed.layers[i].diffId);
      }
      const seen = JSON.parse((await execa('skopeo', ['inspect', `oci-archive:${out}:bb:committed`])).stdout);
      assert.deepEqual(seen.Layers, m.layers.map((l) => l.digest), 'skopeo inspect oci-archive: the gzip blobs');
      assert.deepEqual(readdirSync(join(a.root, 'tmp')), [], 'no compressed blob left in the store\'s tmp/');
    }
    await roundTrip(out);
  }
});

test('save --format oci-dir writes the layout folder the OCI archive holds; a folder that is not empty is refused and left alone', async () => {
  await a.ok(['save', '--format', 'oci', '-o', file('oci.tar'), ...IMAGES]);
  const dir = file('layout');
  await a.ok(['save', '--format', 'oci-dir', '-o', dir, ...IMAGES]);
  const fromTar = await extract(file('oci.tar'), file('oci-x'));
  assert.deepEqual(treeSnapshot(dir), treeSnapshot(fromTar), 'the same files, byte for byte');
  assert.deepEqual(readdirSync(dir).sort(), ['blobs', 'index.json', 'oci-layout']);
  const seen = JSON.parse((await execa('skopeo', ['inspect', `oci:${dir}:bb:built`])).stdout);
  assert.deepEqual(seen.Layers, (await inspect(a, 'bb:built')).layers.map((l) => l.diffId));
  await roundTrip(dir);

  // Into an existing empty folder: fine. Into one with a file, or onto a file: refused, untouched.
  const empty = file('empty');
  mkdirSync(empty);
  await a.ok(['save', '--format', 'oci-dir', '-o', empty, 'bb:imported']);
  assert.ok(existsSync(join(empty, 'oci-layout')));
  const busy = file('busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'mine'), 'keep me');
  const before = treeSnapshot(busy);
  const r = await a.cli(['save', '--format', 'oci-dir', '-o', busy, 'bb:imported']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /busy is not empty: an OCI layout folder is written into a new or empty folder/);
  assert.deepEqual(treeSnapshot(busy), before);
  const onFile = await a.cli(['save', '--format', 'oci-dir', '-o', join(busy, 'mine'), 'bb:imported']);
  assert.match(onFile.stderr, /mine exists and is not a folder/);
  const noO = await a.cli(['save', '--format', 'oci-dir', 'bb:imported']);
  assert.match(noO.stderr, /--format oci-dir needs -o DIR/);
  // A save that fails (a name that is no image) leaves no folder behind.
  const failed = await a.cli(['save', '--format', 'oci-dir', '-o', file('never'), 'no-such-image']);
  assert.notEqual(failed.code, 0);
  assert.ok(!existsSync(file('never')), 'no folder left');
});

test('load -i DIR: a layout folder whose blob is a symlink is refused (not followed); a folder with no oci-layout is named as such', async () => {
  const dir = file('linked');
  await a.ok(['save', '--format', 'oci-dir', '-o', dir, 'bb:imported']);
  const m = ociManifest(dir, 'bb:imported');
  const blob = join(dir, 'blobs/sha256', m.layers[0].digest.slice(7));
  const elsewhere = file('elsewhere');
  writeFileSync(elsewhere, readFileSync(blob));
  rmSync(blob);
  symlinkSync(elsewhere, blob);
  const b = TestStore.create('fmt-link');
  try {
    const r = await b.cli(['load', '-i', dir]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not a regular file \(a layout's blobs are\)/);
    const plain = file('plain-folder');
    mkdirSync(plain);
    const r2 = await b.cli(['load', '-i', plain]);
    assert.match(r2.stderr, /plain-folder is a folder but not an OCI image layout \(it has no oci-layout file\)/);
    assert.equal((await b.ok(['images', '-q'])).trim(), '');
  } finally {
    await b.close();
  }
});

test('zstd layers load: an OCI layout with +zstd blobs and a docker-archive with zstd layer files, each with the image\'s own diff_ids', async () => {
  const committed = await inspect(a, 'bb:committed');
  // OCI: each layer's blob recompressed with Debian's zstd, the manifest and index rewritten.
  const dir = file('zstd-layout');
  await a.ok(['save', '--format', 'oci-dir', '-o', dir, 'bb:committed']);
  const m = ociManifest(dir, 'bb:committed');
  for (const l of m.layers) {
    const path = join(dir, 'blobs/sha256', l.digest.slice(7));
    const z = Buffer.from((await execa('zstd', ['-c', '-q', '-19', path], { encoding: 'buffer' })).stdout);
    rmSync(path);
    Object.assign(l, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: sha256(z), size: z.length });
    writeFileSync(join(dir, 'blobs/sha256', l.digest.slice(7)), z);
  }
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }));
  writeFileSync(join(dir, 'blobs/sha256', sha256(manifest).slice(7)), manifest);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bb:zstd' } }] }));
  // docker-archive: the layer.tar files replaced by zstd'd ones.
  await a.ok(['save', '-o', file('plain.tar'), 'bb:committed']);
  const x = await extract(file('plain.tar'), file('zstd-docker'));
  for (const l of committed.layers) {
    const path = join(x, l.id.slice(7), 'layer.tar');
    writeFileSync(path, Buffer.from((await execa('zstd', ['-c', '-q', path], { encoding: 'buffer' })).stdout));
  }
  await execa('tar', ['cf', file('zstd-docker.tar'), '-C', x, '.']);
  for (const [from, tag] of [[dir, 'bb:zstd'], [file('zstd-docker.tar'), 'bb:committed']]) {
    const b = TestStore.create('fmt-zstd');
    try {
      assert.match(await b.ok(['load', '-i', from]), new RegExp(`Loaded image: ${tag}\\n`));
      const now = await inspect(b, tag);
      assert.equal(now.id, committed.id, `${from}: the same image id`);
      assert.deepEqual(now.layers.map((l) => l.diffId), committed.layers.map((l) => l.diffId), `${from}: the same diff_ids`);
      assert.ok(now.layers.every((l) => l.tarVerified));
    } finally {
      await b.close();
    }
  }
});
