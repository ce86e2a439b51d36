// strata logs: a container's output is kept (engine/logs.ts) and shown as docker logs shows it:
// both streams apart, --tail, -t, -f until the container stops, across restarts of the container
// and of the helper, and bounded on disk however much a container prints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { MAX_LOG_FILE_BYTES } from '../../helper/engine/logs';

let store: TestStore;

before(async () => {
  store = TestStore.create('logs');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-logs-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

const idOf = async (name: string) => JSON.parse(await store.ok(['inspect', name]))[0].Id as string;

test('a detached container\'s output: both streams apart, --tail, -t', async () => {
  await store.ok(['run', '-d', '--name', 'talker', 'bb', 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf unterminated']);
  await store.ok(['wait', 'talker']);
  const all = await store.cli(['logs', 'talker']);
  assert.equal(all.code, 0);
  assert.equal(all.stdout, 'out1\nout2\nout3\nunterminated');
  assert.equal(all.stderr, 'err1\nerr2\nerr3\n');
  // (The two streams are two pipes: how their lines interleave is up to the scheduler. One here.)
  await store.ok(['run', '--name', 'counter', 'bb', 'sh', '-c', 'for i in 1 2 3 4; do echo line$i; done; printf unterminated']);
  assert.equal(await store.ok(['logs', '--tail', '2', 'counter']), 'line4\nunterminated');
  assert.equal(await store.ok(['logs', '--tail', '1', 'counter']), 'unterminated');
  assert.equal(await store.ok(['logs', '--tail', '9', 'counter']), 'line1\nline2\nline3\nline4\nunterminated');
  assert.equal(await store.ok(['logs', '-n', '0', 'counter']), '');
  const stamped = (await store.cli(['logs', '-t', 'talker'])).stdout.split('\n');
  assert.equal(stamped.length, 4);
  for (const [i, line] of stamped.entries()) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${i < 3 ? `out${i + 1}` : 'unterminated'}$`));
});

test('-f: what was printed, then each new line once, and the end when the container stops', async () => {
  await store.ok(['run', '-d', '--name', 'ticker', 'bb', 'sh', '-c', 'echo first; while [ ! -e /go ]; do sleep 0.05; done; for i in 1 2 3; do echo tick$i; sleep 0.2; done']);
  const follow = spawn(process.execPath, [CLI, '--root', store.root, 'logs', '-f', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  follow.stdout.on('data', (d: Buffer) => { out += d; });
  const code = new Promise<number | null>((resolve) => follow.on('exit', resolve));
  for (let i = 0; i < 200 && !out.includes('first'); i++) await new Promise((r) => setTimeout(r, 25));
  await store.ok(['exec', 'ticker', 'touch', '/go']);
  assert.equal(await code, 0, 'logs -f ends with the container');
  assert.equal(out, 'first\ntick1\ntick2\ntick3\n');
});

test('the output of an attached run is kept too, and a restarted container adds to its log', async () => {
  assert.equal(await store.ok(['run', '--name', 'again', 'bb', 'echo', 'hello']), 'hello\n');
  await store.ok(['start', '-a', 'again']);
  assert.equal(await store.ok(['logs', 'again']), 'hello\nhello\n');
});

test('kept when the helper restarts; gone with the container', async () => {
  await store.ok(['run', '--name', 'keeper', 'bb', 'echo', 'still here']);
  await store.stopHelper();
  assert.equal(await store.ok(['logs', 'keeper']), 'still here\n');
  const dir = join(store.root, 'containers', await idOf('keeper'));
  assert.ok(readdirSync(dir).includes('log'));
  await store.ok(['rm', 'keeper']);
  const gone = await store.cli(['logs', 'keeper']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such container: keeper/);
});

test('a container that prints without end cannot fill the disk: the log is rotated, the latest kept', async () => {
  // 80 MiB of output, then a last line.
  await store.ok(['run', '--name', 'flood', 'bb', 'sh', '-c', `yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c ${80 * 1024 * 1024} ; echo; echo the-end`]);
  const dir = join(store.root, 'containers', await idOf('flood'));
  const logs = readdirSync(dir).filter((f) => f.startsWith('log')).sort();
  assert.deepEqual(logs, ['log', 'log.1']);
  for (const f of logs) assert.ok(statSync(join(dir, f)).size <= MAX_LOG_FILE_BYTES, `${f} is within the cap`);
  assert.equal(await store.ok(['logs', '--tail', '1', 'flood']), 'the-end\n');
  const kept = await store.cli(['logs', 'flood']);
  assert.ok(kept.stdout.length > MAX_LOG_FILE_BYTES && kept.stdout.length <= 2 * MAX_LOG_FILE_BYTES, `the latest output is kept (${kept.stdout.length} bytes)`);
  assert.match(kept.stdout.slice(-200), /xyz\n[0-9a-z]*\nthe-end\n$/);
});
