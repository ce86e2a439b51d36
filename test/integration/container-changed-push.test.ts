// The helper pushes `container.changed` when a running container's files change (engine/watch.ts,
// inotify on its upper dir), so that a client follows them without polling: a new file, a file
// in a new folder, a write to a file already changed, a removal; a burst of writes comes as a few
// notifications, not one per write; a container that does nothing sends nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StrataClient } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let client: StrataClient;
let id: string;
const seen: { id: string; at: number }[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function changedAfter(what: string, act: () => Promise<unknown>): Promise<void> {
  const before = seen.length;
  await act();
  for (let i = 0; i < 40 && !seen.slice(before).some((e) => e.id === id); i++) await sleep(50);
  assert.ok(seen.slice(before).some((e) => e.id === id), `a container.changed after ${what} (seen: ${JSON.stringify(seen)}, id ${id})`);
}

before(async () => {
  store = TestStore.create('container-changed');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-changed-')))).tar, 'bb']);
  client = await store.client();
  client.on('container.changed', (e) => seen.push({ ...e, at: Date.now() }));
  // The helper tells a JSON-RPC client from a raw upload by its first bytes: serve it now.
  await client.request('store.info', {});
  id = (await store.ok(['run', '-d', 'bb', 'sleep', '600'])).trim();
  await sleep(500); // the watch is set up on the container's start
});
after(async () => { await store.ok(['rm', '-f', id]).catch(() => undefined); client.dispose(); await store.close(); });

test('a new file, a file in new folders, a write to a changed file, a removal: each is pushed', async () => {
  await changedAfter('a new file', () => store.ok(['exec', id, 'sh', '-c', 'echo a > /a']));
  await changedAfter('a file in new folders', () => store.ok(['exec', id, 'sh', '-c', 'mkdir -p /d/e && echo f > /d/e/f']));
  await changedAfter('a write deep in those folders', () => store.ok(['exec', id, 'sh', '-c', 'echo more >> /d/e/f']));
  await changedAfter('a copy-up of an image file', () => store.ok(['exec', id, 'sh', '-c', 'echo x >> /etc/passwd']));
  await changedAfter('a removal', () => store.ok(['exec', id, 'rm', '/etc/motd']));
  assert.ok(seen.every((e) => e.id === id));
});

test('a burst of 500 writes comes as a few notifications; an idle container sends none', async () => {
  await sleep(600);
  const before = seen.length;
  const started = Date.now();
  await store.ok(['exec', id, 'sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo $i > /burst.$i; i=$((i+1)); done']);
  const took = Date.now() - started;
  await sleep(600);
  const burst = seen.length - before;
  assert.ok(burst >= 1, 'the burst is pushed');
  // Coalesced: one per 250 ms at most (plus the trailing one), however many writes.
  assert.ok(burst <= Math.ceil(took / 250) + 2, `${burst} notifications for 500 writes in ${took} ms`);
  const idle = seen.length;
  await sleep(1500);
  assert.equal(seen.length, idle, 'nothing while the container does nothing');
});
