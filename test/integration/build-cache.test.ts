// strata build's cache and reproducibility: a second build is all cached, a changed file rebuilds
// from its COPY on, --no-cache twice gives the same layers, the cache survives a helper restart
// and goes with the images that hold it; Ctrl-C stops the running step and leaves the store as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { cachedSteps, makeContext } from '../support/build-context';

let store: TestStore;

before(async () => {
  store = TestStore.create('build-cache');
  await store.ok(['import', '-c', 'CMD ["/bin/sh"]', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-build-bb-')))).tar, 'busybox']);
});
after(async () => { await store.close(); });

const DOCKERFILE = [
  'FROM busybox',
  'ARG V=1',
  'ENV A=a',
  'COPY first.txt /first.txt',
  'RUN cat /first.txt > /derived-1',
  'COPY second.txt /second.txt',
  'RUN cat /second.txt > /derived-2',
  'CMD ["cat", "/derived-2"]',
  '',
].join('\n');

/** The image's config as the helper keeps it (the protocol's image.inspect). */
async function imageConfig(ref: string) {
  const client = await store.client();
  try {
    return (await client.request('image.inspect', { ref })).config;
  } finally {
    client.dispose();
  }
}

async function diffIds(ref: string): Promise<string[]> {
  return (await imageConfig(ref)).rootfs.diff_ids;
}

test('a second build is all cached; a changed file rebuilds from its COPY on, exactly', async () => {
  const ctx = makeContext({ Dockerfile: DOCKERFILE, 'first.txt': '1\n', 'second.txt': '2\n' });
  const first = await store.ok(['build', '-t', 'cached', ctx]);
  assert.ok(cachedSteps(first).every((s) => !s.cached));
  const again = await store.ok(['build', '-t', 'cached', ctx]);
  assert.deepEqual(cachedSteps(again).map((s) => s.cached), [false, true, true, true, true, true, true, true], 'FROM, then every step from the cache');
  assert.equal(/Successfully built (\w+)/.exec(again)![1], /Successfully built (\w+)/.exec(first)![1], 'the same image');
  writeFileSync(join(ctx, 'second.txt'), '2 changed\n');
  const changed = await store.ok(['build', '-t', 'cached', ctx]);
  assert.deepEqual(cachedSteps(changed).map((s) => `${s.cached ? 'CACHED' : 'RAN'} ${s.step}`), [
    'RAN FROM busybox', 'CACHED ARG V=1', 'CACHED ENV A=a', 'CACHED COPY first.txt /first.txt', 'CACHED RUN cat /first.txt > /derived-1',
    'RAN COPY second.txt /second.txt', 'RAN RUN cat /second.txt > /derived-2', 'RAN CMD ["cat", "/derived-2"]',
  ]);
  assert.equal(await store.ok(['run', '--rm', 'cached']), '2 changed\n');
  // A build arg a RUN sees is part of the step: another value runs it again.
  const arg = await store.ok(['build', '--build-arg', 'V=2', ctx]);
  assert.deepEqual(cachedSteps(arg).slice(1, 5).map((s) => s.cached), [true, true, true, false]);
});

test('--no-cache runs every step, and twice gives the same layers (fixed file times)', async () => {
  const ctx = makeContext({ Dockerfile: DOCKERFILE, 'first.txt': 'x\n', 'second.txt': 'y\n' });
  const a = await store.ok(['build', '--no-cache', '-t', 'repro-a', ctx]);
  assert.ok(cachedSteps(a).every((s) => !s.cached));
  const b = await store.ok(['build', '--no-cache', '-t', 'repro-b', ctx]);
  assert.ok(cachedSteps(b).every((s) => !s.cached));
  assert.deepEqual(await diffIds('repro-b'), await diffIds('repro-a'));
  assert.match(await store.ok(['run', '--rm', 'repro-a', 'ls', '-l', '--full-time', '/derived-1']), /1970-01-01 00:00:00/);
});

test('SOURCE_DATE_EPOCH sets the layers\' file times and the history\'s', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo x > /x\n' });
  const r = await store.cli(['build', '--no-cache', '-t', 'epoch', ctx], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(await store.ok(['run', '--rm', 'epoch', 'ls', '-l', '--full-time', '/x']), /2023-11-14 22:13:20/);
  const { history } = await imageConfig('epoch');
  assert.equal(history[history.length - 1].created, '2023-11-14T22:13:20.000Z');
});

test('the cache survives a helper restart, and is dropped with the images that hold it', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo kept > /kept\n' });
  await store.ok(['build', '-t', 'holder', ctx]);
  // A build finishes what it starts: no layer is left marked unfinished for start-up repair.
  const check = await store.cli(['check']);
  assert.equal(check.code, 0, check.stdout);
  await store.stopHelper();
  const after = await store.ok(['build', '-t', 'holder', ctx]);
  assert.deepEqual(cachedSteps(after).map((s) => s.cached), [false, true]);
  await store.ok(['rmi', 'holder']);
  const gone = await store.ok(['build', '-t', 'holder', ctx]);
  assert.deepEqual(cachedSteps(gone).map((s) => s.cached), [false, false], 'its image removed, the step runs again');
});

test('Ctrl-C stops the running step\'s container and leaves the store as it was', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo first > /first\nRUN echo started; sleep 600\n' });
  const snapshot = () => ['images', 'graph', 'containers', 'tmp'].map((d) => readdirSync(join(store.root, d)).filter((n) => !n.endsWith('-removing')).sort().join(','));
  const before = snapshot();
  const child = spawn(process.execPath, [CLI, '--root', store.root, 'build', '-t', 'interrupted', ctx], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => { if (out.includes('started\n')) { clearInterval(t); resolve(); } }, 20);
    child.once('exit', () => { clearInterval(t); reject(new Error(`the build ended early: ${out}`)); });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 130, out);
  assert.match(out, /the build was cancelled/);
  assert.equal(await store.ok(['ps', '-a', '-q']), '');
  assert.deepEqual(snapshot(), before);
  assert.doesNotMatch(await store.ok(['images']), /interrupted/);
});
