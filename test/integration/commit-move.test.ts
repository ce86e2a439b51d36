// Commit of a stopped container moves its upper dir into the graph instead of copying it
// (helper/engine/upper.ts). What a user sees must not change: the container's diff, its files, a
// second commit, running it again (on its own copy: the layer never changes), rmi of the new image
// (the changes go back to the container), and every state a crash can leave is repaired.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestLayer } from '../../helper/archive';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;

before(async () => {
  store = TestStore.create('commit-move');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-move-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

interface Inspected { id: string; upperDir: string }
const inspect = async (ref: string): Promise<Inspected> => {
  const doc = JSON.parse(await store.ok(['inspect', ref]))[0];
  return { id: doc.Id, upperDir: doc.Strata.UpperDir };
};
const topLayer = async (image: string) => {
  const layers = JSON.parse(await store.ok(['inspect', '--type', 'image', image]))[0].Strata.Layers as { Id: string; DiffId: string; Path: string }[];
  const top = layers[layers.length - 1];
  return { id: top.Id, diffId: top.DiffId, path: top.Path };
};
const diffLines = async (ref: string) => (await store.ok(['diff', ref])).trim().split('\n').sort();
const record = (id: string) => join(store.root, 'containers', id, 'config.json');

/** A stopped container that added /hello, changed /etc and deleted /etc/motd. */
async function writer(name: string): Promise<Inspected> {
  await store.ok(['run', '--name', name, 'bb', 'sh', '-c', `echo ${name} > /hello; rm /etc/motd; mkdir -p /d; echo x > /d/f`]);
  return inspect(name);
}

test('commit of a stopped container: the layer is its upper dir, moved; the diff and files stay the same', async () => {
  const c = await writer('mover');
  const before = await diffLines('mover');
  assert.deepEqual(before, ['A /d', 'A /d/f', 'A /hello', 'C /etc', 'D /etc/motd']);
  const ownUpper = c.upperDir;
  assert.ok(existsSync(join(ownUpper, 'hello')));

  await store.ok(['commit', 'mover', 'moved']);
  const layer = await topLayer('moved');
  assert.equal(existsSync(ownUpper), false, 'the upper dir left the container folder (moved, not copied)');
  assert.deepEqual(readdirSync(layer.path).sort(), ['d', 'etc', 'hello']);
  assert.equal(readFileSync(join(layer.path, 'hello'), 'utf8'), 'mover\n');
  assert.equal((await digestLayer(layer.path)).diffId, layer.diffId, 'the layer verifies');
  assert.equal((await inspect('mover')).upperDir, layer.path, 'inspect shows where the changes are now');
  assert.deepEqual(await diffLines('mover'), before, 'diff CID is unchanged');
  assert.equal(await store.ok(['run', '--rm', 'moved', 'cat', '/hello']), 'mover\n');

  // A second commit of the same changes is the same layer: nothing is moved or copied.
  await store.ok(['commit', 'mover', 'again']);
  assert.equal((await topLayer('again')).id, layer.id);
});

test('the container runs again on its own copy: the layer does not change', async () => {
  await writer('rerun');
  await store.ok(['commit', 'rerun', 'rerun-img']);
  const layer = await topLayer('rerun-img');
  await store.ok(['start', '-a', 'rerun']); // writes /hello again and removes nothing new
  const c = await inspect('rerun');
  assert.equal(c.upperDir, join(store.root, 'containers', c.id, 'upper'), 'back in its own upper dir');
  await store.ok(['run', '--name', 'rerun2', 'rerun-img', 'sh', '-c', 'echo changed > /hello; echo new > /new']);
  assert.equal((await digestLayer(layer.path)).diffId, layer.diffId, 'the layer is as committed');
  assert.equal(readFileSync(join(layer.path, 'hello'), 'utf8'), 'rerun\n');
  assert.equal(JSON.parse(readFileSync(record(c.id), 'utf8')).upperLayer ?? null, null);
  assert.deepEqual(await diffLines('rerun'), ['A /d', 'A /d/f', 'A /hello', 'C /etc', 'D /etc/motd']);
});

test('rmi of the committed image gives the changes back to the container', async () => {
  const c = await writer('giver');
  await store.ok(['commit', 'giver', 'given']);
  const layer = await topLayer('given');
  await store.ok(['rmi', 'given']);
  assert.equal(existsSync(layer.path), false, 'the layer is gone');
  assert.equal((await inspect('giver')).upperDir, c.upperDir);
  assert.equal(readFileSync(join(c.upperDir, 'hello'), 'utf8'), 'giver\n');
  assert.deepEqual(await diffLines('giver'), ['A /d', 'A /d/f', 'A /hello', 'C /etc', 'D /etc/motd']);
  assert.equal(await store.ok(['start', '-a', 'giver']), '');
});

test('a running container is copied, frozen, as before (its upper dir stays where it is)', async () => {
  await store.ok(['run', '-d', '--name', 'live', 'bb', 'sh', '-c', 'echo live > /hello; sleep 300']);
  const c = await inspect('live');
  for (let i = 0; i < 200 && !existsSync(join(c.upperDir, 'hello')); i++) await new Promise((r) => setTimeout(r, 25));
  await store.ok(['commit', 'live', 'live-img']);
  assert.ok(existsSync(join(c.upperDir, 'hello')), 'the running container keeps its upper dir');
  assert.notEqual((await topLayer('live-img')).path, c.upperDir);
  assert.equal(await store.ok(['run', '--rm', 'live-img', 'cat', '/hello']), 'live\n');
  await store.ok(['rm', '-f', 'live']);
});

// The states a kill -9 can leave in the middle of a move, a give-back or a take-back, made by
// hand with the helper stopped; the next helper's start-up repair must make each consistent.
test('repair: every state a crash can leave around a move is made consistent', async () => {
  const expected = ['A /d', 'A /d/f', 'A /hello', 'C /etc', 'D /etc/motd'];
  const fakeLayer = `sha256:${'e'.repeat(64)}`;
  const edit = (id: string, patch: Record<string, unknown>) =>
    writeFileSync(record(id), JSON.stringify({ ...JSON.parse(readFileSync(record(id), 'utf8')), ...patch }, null, 2));

  // 1. The record names the layer, nothing moved yet.
  const a = await writer('crash-a');
  // 2. The upper dir is in the commit stage; the layer never reached graph/.
  const b = await writer('crash-b');
  // 3. Moved and committed; then killed while taking a copy back for a start.
  const c = await writer('crash-c');
  await store.ok(['commit', 'crash-c', 'crash-c-img']);
  const cLayer = await topLayer('crash-c-img');
  // 4. Moved and committed; then killed while giving the changes back (rmi): the layer folder's
  //    files are already in the container, its json still in graph/.
  const d = await writer('crash-d');
  await store.ok(['commit', 'crash-d', 'crash-d-img']);
  const dLayer = await topLayer('crash-d-img');
  const dImage = JSON.parse(await store.ok(['inspect', '--type', 'image', 'crash-d-img']))[0].Id as string;

  await store.stopHelper();
  edit(a.id, { upperLayer: fakeLayer });
  mkdirSync(join(store.root, 'containers', b.id, 'commit'));
  renameSync(b.upperDir, join(store.root, 'containers', b.id, 'commit', 'layer'));
  edit(b.id, { upperLayer: fakeLayer });
  mkdirSync(join(store.root, 'containers', c.id, 'upper.copy', 'half'), { recursive: true });
  renameSync(dLayer.path, d.upperDir);
  rmSync(join(store.root, 'images', `${dImage.slice(7)}.json`)); // rmi removes the image before its layers

  for (const [name, c0] of [['crash-a', a], ['crash-b', b], ['crash-d', d]] as const) {
    assert.deepEqual(await diffLines(name), expected, `${name}: its changes are intact`);
    assert.equal((await inspect(name)).upperDir, c0.upperDir, `${name}: they are in its own upper dir`);
    assert.equal(JSON.parse(readFileSync(record(c0.id), 'utf8')).upperLayer, null, `${name}: the record says so`);
  }
  assert.equal(existsSync(join(store.root, 'containers', b.id, 'commit')), false, 'no commit stage is left');
  assert.equal(existsSync(join(store.root, 'graph', dLayer.id.slice(7))), false, 'the half-removed layer is gone');
  assert.equal(existsSync(join(store.root, 'containers', c.id, 'upper.copy')), false, 'no half copy is left');
  assert.equal((await inspect('crash-c')).upperDir, cLayer.path, 'crash-c still reads its changes from the layer');
  assert.deepEqual(await diffLines('crash-c'), expected);
  assert.equal(await store.ok(['start', '-a', 'crash-c']), '');
  assert.equal((await digestLayer(cLayer.path)).diffId, cLayer.diffId);
});

test('a commit whose layer cannot reach graph/ leaves the changes in the container, at once', async () => {
  const c = await writer('stuck');
  const graph = join(store.root, 'graph');
  execFileSync('chattr', ['+i', graph]); // nothing can be renamed into graph/ now, not even by root
  try {
    const r = await store.cli(['commit', 'stuck', 'stuck-img']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /operation not permitted/i);
  } finally {
    execFileSync('chattr', ['-i', graph]);
  }
  assert.equal((await inspect('stuck')).upperDir, c.upperDir, 'the changes are back in its upper dir');
  assert.deepEqual(await diffLines('stuck'), ['A /d', 'A /d/f', 'A /hello', 'C /etc', 'D /etc/motd']);
  assert.equal(existsSync(join(store.root, 'containers', c.id, 'commit')), false, 'no stage is left');
  assert.equal(JSON.parse(readFileSync(record(c.id), 'utf8')).upperLayer, null);
  await store.ok(['commit', 'stuck', 'stuck-img']);
  assert.equal(await store.ok(['run', '--rm', 'stuck-img', 'cat', '/hello']), 'stuck\n');
});
