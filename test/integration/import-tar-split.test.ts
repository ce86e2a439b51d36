// An imported layer keeps its tar-split beside its folder (graph/<id>/tar-split), and `strata
// inspect` says whether its tar can still be made again: a file changed in the layer folder behind
// Strata's back is named there, and a tar whose entries overwrite each other is recorded at import
// as not reproducible, with the reason, while the import itself succeeds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball, sha256sum } from '../support/strata';
import type { StrataClient } from '../../helper/protocol';
import { buildTar } from '../support/archive-tar';

interface Layer { id: string; diffId: string; path: string; tar: string; tarVerified?: boolean; tarProblem?: string }

let store: TestStore;
let tmp: string;

before(() => {
  store = TestStore.create('tar-split');
  tmp = mkdtempSync(join(tmpdir(), 'strata-tar-split-'));
});
after(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The protocol's inspect with verify, as `strata inspect` asks it (it shows these under Strata). */
async function ask<T>(fn: (c: StrataClient) => Promise<T>): Promise<T> {
  const client = await store.client();
  try { return await fn(client); } finally { client.dispose(); }
}
const inspectLayer = (ref: string): Promise<Layer> => ask((c) => c.request('layer.inspect', { id: ref, verify: true }));
const imageLayers = (ref: string): Promise<Layer[]> => ask(async (c) => (await c.request('image.inspect', { ref, verify: true })).layers);

test('an imported layer keeps its tar-split, and inspect verifies that its tar comes back', async () => {
  const { tar } = await busyboxTarball(tmp);
  await store.ok(['import', tar, 'bb:split']);
  const [layer] = await imageLayers('bb:split');
  assert.equal(layer.diffId, sha256sum(tar));
  assert.ok(existsSync(join(store.root, 'graph', layer.id.slice(7), 'tar-split')), 'graph/<id>/tar-split is there');
  assert.equal(layer.tar, 'tar-split');
  assert.equal(layer.tarVerified, true);
  assert.equal(layer.tarProblem, undefined);

  // A file changed in the layer folder, behind Strata's back.
  appendFileSync(join(layer.path, 'etc/passwd'), 'intruder:x:0:0::/:/bin/sh\n');
  const changed = await inspectLayer(layer.id);
  assert.equal(changed.tarVerified, false);
  assert.match(changed.tarProblem ?? '', /its tar cannot be reproduced: .*etc\/passwd/);
  assert.equal((await imageLayers('bb:split'))[0].tarVerified, false, 'the image\'s inspect says so too');
});

test('a tar whose entries overwrite a file imports, and inspect says its tar cannot be reproduced and why', async () => {
  const input = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', data: 'one\n' }, { name: 'etc/motd', data: 'two\n' }]);
  await store.ok(['import', '-', 'dup:latest'], { input });
  const [layer] = await imageLayers('dup:latest');
  assert.equal(readFileSync(join(layer.path, 'etc/motd'), 'utf8'), 'two\n', 'the last entry wins, as with tar');
  assert.equal(layer.tar, 'none');
  assert.equal(layer.tarVerified, false);
  assert.match(layer.tarProblem ?? '', /entry "etc\/motd" overwrites "etc\/motd", whose file data came earlier in the same tar/);
  assert.ok(!existsSync(join(store.root, 'graph', layer.id.slice(7), 'tar-split')), 'no tar-split that could not work');
});
