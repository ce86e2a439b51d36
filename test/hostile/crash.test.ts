// kill -9 of the helper in the middle of an import and of a commit: the next helper (started by
// the next command) finds the store consistent: every listed layer complete with a diff_id that
// verifies, no image from the broken work, and nothing left in tmp/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestLayer } from '../../helper/archive';
import { CLI, TestStore, busyboxTarball, sha256sum } from '../support/strata';

let store: TestStore;
let tar = '';

before(async () => {
  store = TestStore.create('crash');
  tar = (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-crash-')))).tar;
  await store.ok(['import', tar, 'base']);
});
after(async () => { await store.close(); });

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function stagingInUse(): boolean {
  const tmp = join(store.root, 'tmp');
  return readdirSync(tmp).some((d) => existsSync(join(tmp, d, 'layer')) && readdirSync(join(tmp, d, 'layer')).length > 0);
}

/** The store is consistent: complete layers whose ids verify, images whose layers exist, empty tmp/. */
async function assertConsistent(importedDiffIds: string[]): Promise<void> {
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], 'tmp/ is empty after the restart');
  for (const name of readdirSync(join(store.root, 'graph'))) {
    assert.match(name, /^[0-9a-f]{64}$/, `graph/${name} is a complete layer, not a leftover`);
    const rec = JSON.parse(readFileSync(join(store.root, 'graph', name, 'json'), 'utf8'));
    if (rec.parent === null && importedDiffIds.includes(rec.diff_id)) continue; // imported: the sha256 of the tar, checked below
    assert.equal((await digestLayer(join(store.root, 'graph', name, 'layer'))).diffId, rec.diff_id, `layer ${name} verifies`);
  }
  const images = (await store.ok(['images', '--no-trunc', '--format', '{{.ID}}'])).trim().split('\n').filter(Boolean);
  for (const id of images) JSON.parse(await store.ok(['inspect', '--type', 'image', id])); // every layer present
}

test('kill -9 in the middle of an import', async () => {
  const bytes = readFileSync(tar);
  const child = spawn(process.execPath, [CLI, '--root', store.root, 'import', '-', 'half'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
  child.stdin.on('error', () => {});
  child.stdin.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  await until('the import to start writing its layer', stagingInUse);
  process.kill(store.helperPid()!, 'SIGKILL');
  child.stdin.end();
  assert.notEqual(await exited, 0, 'the interrupted import fails');
  await store.ok(['images']); // a new helper starts and repairs
  assert.doesNotMatch(await store.ok(['images']), /^half\s/m);
  await assertConsistent([sha256sum(tar)]);
});

test('kill -9 in the middle of a commit of a running container (a copy)', async () => {
  // Running: its changes are copied into tmp/ while it is frozen (a stopped one's are moved:
  // test/integration/commit-move.test.ts makes every state of that by hand).
  await store.ok(['run', '-d', '--name', 'writer', 'base', 'sh', '-c', 'mkdir /many && cd /many && for i in $(seq 4000); do echo $i > f$i; done; touch /done; sleep 600']);
  const upper = JSON.parse(await store.ok(['inspect', 'writer']))[0].Strata.UpperDir as string;
  await until('the container to write its files', () => existsSync(join(upper, 'done')), 120_000);
  const child = spawn(process.execPath, [CLI, '--root', store.root, 'commit', 'writer', 'snapshot'], { stdio: 'ignore' });
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
  await until('the commit to start copying', stagingInUse);
  process.kill(store.helperPid()!, 'SIGKILL');
  assert.notEqual(await exited, 0, 'the interrupted commit fails');
  await store.ok(['ps', '-a']);
  assert.doesNotMatch(await store.ok(['images']), /^snapshot\s/m);
  await assertConsistent([sha256sum(tar)]);
  // The container died with its helper (its shim kills it); the same commit, done again (by move
  // now: it is stopped), works.
  assert.match(await store.ok(['ps', '-a']), /Exited \(137\).*writer$/m);
  await store.ok(['commit', 'writer', 'snapshot']);
  assert.match(await store.ok(['run', '--rm', 'snapshot', 'cat', '/many/f4000']), /^4000\n$/);
  await assertConsistent([sha256sum(tar)]);
});
