// kill -9 of the helper at every fault point (helper/store/faults.ts: STRATA_FAULT_AT) of import,
// commit (stopped: the move; running: the copy), rmi (untag, marks, image, links, give-back, layer
// removal), tag, rm, rename, start (the take-back), build (between steps, mid-commit of a step's
// layer, each step's image, tagging, the build cache) and load (mid-layer, between layers, before
// the image record, before tagging), each run through the CLI. After each kill the
// helper starts again and: `strata check` finds the store consistent (every layer re-verified),
// tmp/ is empty, and nothing complete before is lost (the images, tags and containers there before,
// a container's changes wherever the operation had moved them). One store per operation. Then a
// full disk during a commit, and concurrent pairs. The test prints the table of points killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_ENV, FAULT_POINTS, type FaultPoint } from '../../helper/store/faults';
import { CASES, type Op, prepare } from '../support/fault-cases';
import { buildTar } from '../support/archive-tar';
import { checkReport, containerId, containers, imageIds, tags, topLayer } from '../support/store-disk';
import { TestStore } from '../support/strata';

interface Row { op: Op; point: FaultPoint; killed: boolean; passed: boolean }
const rows: Row[] = [];

interface Snapshot { tags: Record<string, string>; images: string[]; containers: Map<string, string> }
const snapshot = (root: string): Snapshot => ({ tags: tags(root), images: imageIds(root), containers: new Map(containers(root).map((c) => [c.name, c.id])) });

const logSize = (root: string) => (existsSync(join(root, 'helper.log')) ? statSync(join(root, 'helper.log')).size : 0);
const logSince = (root: string, from: number) => (existsSync(join(root, 'helper.log')) ? readFileSync(join(root, 'helper.log')).subarray(from).toString('utf8') : '');

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until nobody listens on the store's socket any more. A killed helper's threads may still be
 * finishing a syscall (an fsync) after its main thread is a zombie, and until the last one exits
 * its socket takes connections that are then lost.
 */
async function nobodyListens(root: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const listening = await new Promise<boolean>((resolve) => {
      const sock = connect(join(root, 'helper.sock'));
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (!listening) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the killed helper\'s socket still takes connections after 5 s');
}

async function diffLines(store: TestStore, name: string): Promise<string[]> {
  return (await store.ok(['diff', name])).trim().split('\n').sort();
}

/** The helper starts again, check finds nothing wrong, tmp/ is empty. */
async function assertConsistent(store: TestStore, what: string): Promise<void> {
  const report = await checkReport(store);
  assert.deepEqual(report.problems, [], `${what}: strata check finds the store consistent`);
  assert.equal(report.counts.verified + report.unverifiable.length, report.counts.layers, `${what}: every layer verified (an imported one: said not to be verifiable yet)`);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], `${what}: tmp/ is empty`);
}

async function runCase(store: TestStore, row: Row, n: number): Promise<void> {
  const prepared = await prepare(store, row.op, row.point, n, 'base');
  const before = snapshot(store.root);
  const kept = prepared.keepsChanges ? await diffLines(store, prepared.keepsChanges) : undefined;
  await store.stopHelper();
  const log = logSize(store.root);
  const r = await prepared.run({ [FAULT_ENV]: row.point });
  row.killed = logSince(store.root, log).includes(`fault injection: killed at ${row.point}\n`);
  assert.ok(row.killed, `the helper was killed at ${row.point} (the command exited ${r.code}: ${r.stderr.trim()})`);
  assert.notEqual(r.code, 0, 'the command fails: its helper died');
  await nobodyListens(store.root);

  await assertConsistent(store, `killed at ${row.point}`).catch((err) => {
    // What the helpers said (the one killed, the one started again) is what tells why.
    throw new Error(`${(err as Error).message}\nhelper.log since the kill:\n${logSince(store.root, log)}`, { cause: err });
  });
  const now = snapshot(store.root);
  const { target } = prepared;
  for (const [name, id] of Object.entries(before.tags)) {
    if (!target.tags?.includes(name)) assert.equal(now.tags[name], id, `tag ${name} is as it was`);
  }
  const mayGo = new Set((target.images ?? []).map((t) => before.tags[`${t}:latest`]));
  for (const id of before.images) if (!mayGo.has(id)) assert.ok(now.images.includes(id), `image ${id} is still there`);
  for (const [name, id] of before.containers) {
    if (target.containers?.includes(name)) continue;
    assert.ok([...now.containers.values()].includes(id), `container ${name} is still there`);
  }
  if (prepared.keepsChanges) assert.deepEqual(await diffLines(store, prepared.keepsChanges), kept, `${prepared.keepsChanges}'s changes are as they were`);
  if (prepared.madeChanges) {
    const lines = await diffLines(store, prepared.madeChanges.container);
    for (const line of prepared.madeChanges.lines) assert.ok(lines.includes(line), `${prepared.madeChanges.container} still shows ${line}`);
  }
  row.passed = true;
}

// Two operations' stores at a time (each case waits on its helper's start and on disk syncs).
test('kill -9 at each fault point: the store stays consistent and loses nothing complete', { concurrency: 2 }, async (t) => {
  await Promise.all((Object.keys(CASES) as Op[]).map((op) => t.test(op, async (group) => {
    const store = TestStore.create(`faults-${op}`);
    try {
      await store.ok(['busybox', 'base']);
      let n = 0;
      for (const point of CASES[op]) {
        const row: Row = { op, point, killed: false, passed: false };
        rows.push(row);
        await group.test(point, () => runCase(store, row, ++n));
      }
    } finally {
      await store.close();
    }
  })));
});

const OPS = Object.keys(CASES) as Op[];
const byCase = (a: Row, b: Row) => OPS.indexOf(a.op) - OPS.indexOf(b.op) || CASES[a.op].indexOf(a.point) - CASES[b.op].indexOf(b.point);

test('every fault point was killed at, and the store was consistent after each', (t) => {
  const width = Math.max(...rows.map((r) => r.point.length));
  const table = [
    `${'operation'.padEnd(16)}${'point'.padEnd(width + 2)}killed  passed`,
    ...[...rows].sort(byCase).map((r) => `${r.op.padEnd(16)}${r.point.padEnd(width + 2)}${(r.killed ? 'yes' : 'NO').padEnd(8)}${r.passed ? 'yes' : 'NO'}`),
    `${new Set(rows.map((r) => r.point)).size} points of ${FAULT_POINTS.length}; ${rows.filter((r) => r.killed).length} kills of ${rows.length}; ${rows.filter((r) => r.passed).length} passed`,
  ];
  t.diagnostic(`fault points:\n${table.join('\n')}`);
  assert.ok(FAULT_POINTS.length >= 50, 'at least 50 points');
  assert.deepEqual(FAULT_POINTS.filter((p) => !rows.some((r) => r.point === p)), [], 'every point has a case');
  assert.deepEqual(rows.filter((r) => !r.killed || !r.passed).map((r) => `${r.op} ${r.point}`), [], 'every case killed and passed');
});


test('a full disk during the commit of a running container: the commit fails saying so, the store is as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-faults-disk-'));
  const img = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', '64M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', img]);
  mkdirSync(join(dir, 'mnt'));
  execFileSync('mount', ['-o', 'loop', img, join(dir, 'mnt')]);
  const store = TestStore.at(join(dir, 'mnt', 'root'));
  try {
    await store.ok(['busybox', 'base']);
    // 36 MB written: the disk holds it once, not twice, so copying it for a commit fills the disk.
    await store.ok(['run', '-d', '--name', 'big', 'base', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=36 2>/dev/null; touch /ready; sleep 600']);
    const upper = join(store.root, 'containers', containerId(store.root, 'big'), 'upper');
    await until('the container to write 36 MB', () => existsSync(join(upper, 'ready')));
    const before = snapshot(store.root);
    const r = await store.cli(['commit', 'big', 'bigimg']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^Error response from daemon: commit big: copy the changes: .*No space left on device/);
    await assertConsistent(store, 'after a commit that filled the disk');
    assert.deepEqual(snapshot(store.root), before, 'the same images, tags and containers');
    assert.equal(statSync(join(upper, 'big')).size, 36 * 1024 * 1024, 'what the container wrote is whole');
    assert.match(await store.ok(['ps']), /\bbig\n/, 'it still runs');
    // Stopped, its changes are moved into the graph, not copied: the same commit needs no room.
    await store.ok(['kill', 'big']);
    await store.ok(['wait', 'big']);
    await store.ok(['commit', 'big', 'bigimg']);
    await assertConsistent(store, 'after the commit by move');
    assert.equal(await store.ok(['run', '--rm', 'bigimg', 'wc', '-c', '/big']), `${36 * 1024 * 1024} /big\n`);
  } finally {
    await store.stopHelper();
    execFileSync('umount', [join(dir, 'mnt')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent pairs: two commits of one container, two imports of one tar, rmi while a container of the image starts', async () => {
  const store = TestStore.create('faults-pairs');
  const both = (a: string[], b: string[]) => Promise.all([store.cli(a), store.cli(b)]);
  try {
    await store.ok(['busybox', 'base']);
    await store.ok(['run', '--name', 'pair', 'base', 'sh', '-c', 'echo p > /p; rm /etc/motd']);
    const pairDiff = await diffLines(store, 'pair');
    const stopped = await both(['commit', 'pair', 'pa'], ['commit', 'pair', 'pb']);
    assert.deepEqual(stopped.map((r) => r.code), [0, 0], stopped.map((r) => r.stderr).join(''));
    assert.equal(topLayer(store.root, 'pa'), topLayer(store.root, 'pb'), 'the same change is the same layer');
    assert.deepEqual(await diffLines(store, 'pair'), pairDiff);
    await assertConsistent(store, 'two commits of a stopped container');

    await store.ok(['run', '-d', '--name', 'live', 'base', 'sh', '-c', 'echo l > /l; touch /ready; sleep 600']);
    const upper = join(store.root, 'containers', containerId(store.root, 'live'), 'upper');
    await until('the container to write', () => existsSync(join(upper, 'ready')));
    const running = await both(['commit', 'live', 'la'], ['commit', 'live', 'lb']);
    assert.deepEqual(running.map((r) => r.code), [0, 0], running.map((r) => r.stderr).join(''));
    assert.equal(topLayer(store.root, 'la'), topLayer(store.root, 'lb'));
    await assertConsistent(store, 'two commits of a running container');

    const tar = join(mkdtempSync(join(tmpdir(), 'strata-faults-pairs-')), 'one.tar');
    writeFileSync(tar, await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/one', data: 'one\n' }]));
    const imports = await both(['import', tar, 'ia'], ['import', tar, 'ib']);
    assert.deepEqual(imports.map((r) => r.code), [0, 0], imports.map((r) => r.stderr).join(''));
    assert.equal(topLayer(store.root, 'ia'), topLayer(store.root, 'ib'), 'one tar, one layer');
    await assertConsistent(store, 'two imports of one tar');
    rmSync(join(tar, '..'), { recursive: true, force: true });

    for (const force of [false, true, false, true]) {
      await store.ok(['run', '--name', 'src', 'base', 'sh', '-c', 'echo r > /r']);
      await store.ok(['commit', 'src', 'racing']);
      await store.ok(['rm', 'src']);
      const [run, rmi] = await both(['run', '--rm', 'racing', 'true'], ['rmi', ...(force ? ['-f'] : []), 'racing']);
      assert.ok(run.code === 0 || rmi.code === 0, `one of them wins: run ${run.stderr} rmi ${rmi.stderr}`);
      if (run.code !== 0) assert.match(run.stderr, /No such image: racing/);
      if (rmi.code !== 0) assert.match(rmi.stderr, /container [0-9a-f]{12} is using its referenced image/);
      await assertConsistent(store, `rmi${force ? ' -f' : ''} while a container of the image starts`);
      await store.cli(['rmi', '-f', 'racing']);
    }
  } finally {
    await store.close();
  }
});
