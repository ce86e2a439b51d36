// A real debootstrap of minbase bookworm from Debian's mirror becomes an image, through the strata
// command: it runs Debian 12 with bash as root@<id>, its progress arrives in stages, Ctrl-C in the
// middle leaves the store as it was with no process left, and a second run takes every .deb from
// the store's cache. The test's .debs are kept between test runs (CACHE, seeded into the store and
// saved back) so that `npm test` downloads them once per machine; a cold first run also passes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { digestLayer } from '../../helper/archive';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { openHelperSocket } from '../../helper/cli/connect';
import { StrataClient, type Notifications } from '../../helper/protocol';
import { PtySession } from '../support/pty';
import { CLI, TestStore, treeSnapshot } from '../support/strata';

const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const CACHE = join(tmpdir(), 'strata-test-debootstrap-cache', `bookworm-${ARCH}`);
type Progress = Notifications['progress'];

let store: TestStore;
let client: StrataClient;
const events: Progress[] = [];
let packages = 0;

const storeCache = () => join(store.root, 'cache', 'debootstrap', `bookworm-${ARCH}`);
const strata = (args: string[]) => execa(process.execPath, [CLI, '--root', store.root, ...args], { reject: false, timeout: 600_000, env: { STRATA_IDLE_TIMEOUT: '120' } });

/** The cache folder as names, sizes and times: what a run that downloads nothing leaves alone. */
function cacheListing(): string[] {
  return readdirSync(storeCache()).sort().map((n) => { const st = statSync(join(storeCache(), n)); return `${n} ${st.size} ${st.mtimeMs}`; });
}

/** Processes whose command line names the store (debootstrap, its chroot, dpkg in the target). */
function processesOnStore(): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(`${store.root}/tmp/`) && !l.includes(' ps -eo'));
}

before(async () => {
  store = TestStore.create('debootstrap');
  mkdirSync(storeCache(), { recursive: true, mode: 0o700 });
  if (existsSync(CACHE)) cpSync(CACHE, storeCache(), { recursive: true, preserveTimestamps: true });
  client = await store.client();
  client.on('progress', (p) => events.push(p));
  // The helper tells a JSON-RPC connection from a raw upload by its first bytes: it serves this
  // one (and sends it notifications) once it has asked something.
  await client.request('store.info', {});
});

after(async () => {
  client?.dispose();
  // Saved for the next test run (only .debs that debootstrap validated before using).
  if (existsSync(storeCache())) cpSync(storeCache(), CACHE, { recursive: true, preserveTimestamps: true });
  await store.close();
});

test('an unknown suite, the fakechroot variant and a file:// mirror are refused, a mirror without the suite fails with debootstrap\'s words, and the store is left as it was', async () => {
  await store.ok(['images']); // the helper and an empty store
  const before = treeSnapshot(store.root);
  const cases: [string[], RegExp][] = [
    [['debootstrap', 'nosuchsuite'], /debootstrap knows no suite "nosuchsuite"/],
    [['debootstrap', '--variant', 'fakechroot', 'bookworm'], /the fakechroot variant makes a root fs for fakechroot/],
    [['debootstrap', '--mirror', 'file:///etc', 'bookworm'], /mirror: not an http:\/\/ or https:\/\/ mirror URL/],
    [['debootstrap', '--mirror', 'http://deb.debian.org/nope', 'bookworm'], /debootstrap bookworm: debootstrap failed \(exit 1\): Failed getting release file http:\/\/deb\.debian\.org\/nope\/dists\/bookworm\/Release/],
  ];
  for (const [args, message] of cases) {
    const r = await strata(args);
    assert.equal(r.exitCode, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(String(r.stderr), message);
  }
  assert.deepEqual(treeSnapshot(store.root), before);
});

test('strata debootstrap bookworm deb12 makes the image, with progress in stages and counts', async () => {
  events.length = 0;
  const r = await strata(['debootstrap', 'bookworm', 'deb12']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.match(String(r.stdout), /^sha256:[0-9a-f]{64}$/);
  const summary = /debootstrap bookworm: (\d+) packages, (\d+) downloaded, (\d+) from the cache; tagged deb12/.exec(String(r.stderr));
  assert.ok(summary, String(r.stderr).slice(-2000));
  packages = Number(summary[1]);
  assert.ok(packages > 50, `minbase bookworm has ~90 packages, not ${packages}`);
  // Piped, the progress is plain lines, one per event.
  assert.match(String(r.stderr), new RegExp(`^configuring \\d+/${packages}: Configuring [a-z0-9.+-]+`, 'm'));

  // The events, in the order they came: the stages go forward, and each count climbs to its total.
  const token = events.find((e) => e.stage === 'setup')?.token;
  const mine = events.filter((e) => e.token === token);
  // (The suite's index is retrieved and validated first, uncounted; the .debs come after resolving.)
  const firstOf = (stage: string) => mine.findIndex((e) => e.stage === stage && (stage !== 'validating' || e.total !== undefined));
  const order = ['setup', 'resolving', 'validating', 'extracting', 'unpacking', 'configuring', 'importing'].map(firstOf);
  assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `first events of each stage at ${order}: ${mine.map((e) => e.stage).join(' ')}`);
  assert.equal(mine.at(-1)?.stage, 'importing');
  for (const stage of ['validating', 'extracting', 'configuring']) {
    const counted = mine.filter((e) => e.stage === stage && e.total !== undefined);
    assert.ok(counted.length >= packages - 1, `${stage}: ${counted.length} counted events`);
    assert.ok(counted.every((e, i) => e.total === packages && e.done! >= (counted[i - 1]?.done ?? 1)), `${stage} counts go up to ${packages}`);
    assert.equal(counted.at(-1)!.done, packages);
  }

  // The image's record as the helper keeps it (the protocol's image.inspect, with its history).
  const detail = await client.request('image.inspect', { ref: 'deb12' });
  assert.equal(detail.id, String(r.stdout).trim());
  assert.deepEqual(detail.config.history.map((h: { created_by?: string }) => h.created_by), ['debootstrap --variant=minbase bookworm http://deb.debian.org/debian']);
  assert.deepEqual(detail.config.config.Cmd, ['/bin/bash']);
  const layer = detail.layers[0];
  assert.deepEqual(readdirSync(join(layer.path, 'var/cache/apt/archives')).filter((n) => n.endsWith('.deb')), [], 'the .debs are dropped from the image');
  assert.ok(readdirSync(storeCache()).filter((n) => n.endsWith('.deb')).length >= packages, 'and kept in the store cache');
  // The same folder gives the same diff_id, each time: the layer's folder packs to the very tar imported.
  assert.equal((await digestLayer(layer.path)).diffId, layer.diffId);
  assert.equal((await digestLayer(layer.path)).diffId, layer.diffId);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
});

test('strata run deb12 cat /etc/debian_version prints 12.x', async () => {
  const r = await strata(['run', '--rm', 'deb12', 'cat', '/etc/debian_version']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.match(String(r.stdout), /^12\.\d+$/);
});

test('strata run -it deb12 is bash with the prompt root@<id>:/#', async () => {
  const prompt = /root@([0-9a-f]{12}):\/# $/;
  const term = new PtySession(process.execPath, [CLI, '--root', store.root, 'run', '-it', 'deb12'], { cols: 100, rows: 30 });
  try {
    const id = (await term.waitFor(prompt))[1];
    // bash 5.2 turns bracketed paste on and off around each line it reads.
    const run = async (line: string) => (await term.run(line, prompt)).replace(/\x1b\[\?2004[hl]/g, '').trim();
    assert.equal(await run('hostname'), id);
    assert.match(await run('echo "$0 $BASH_VERSION"'), /^\/bin\/bash 5\.\d/);
    term.type('exit\r');
    assert.equal(await term.exited, 0);
  } finally {
    term.kill();
  }
});

test('Ctrl-C in the middle stops debootstrap and every process of it, keeps nothing, and that second run took every .deb from the cache', async () => {
  const storeBefore = treeSnapshot(store.root).filter((l) => !l.startsWith('cache/'));
  const cacheBefore = cacheListing();
  events.length = 0;
  const run = strata(['debootstrap', 'bookworm', 'deb12-cancelled']);
  // In the middle: dpkg unpacks in the target, with proc mounted there (in debootstrap's namespace).
  const deadline = Date.now() + 300_000;
  while (!events.some((e) => e.stage === 'unpacking' && (e.done ?? 0) >= 5) && Date.now() < deadline && run.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  const running = processesOnStore();
  assert.ok(running.some((l) => l.includes('/usr/sbin/debootstrap')), `debootstrap runs: ${running.join('\n')}`);
  run.kill('SIGINT');
  const r = await run;
  assert.equal(r.exitCode, 130, String(r.stderr));
  assert.match(String(r.stderr), /cancelled; nothing was kept/);
  assert.deepEqual(processesOnStore(), [], 'no process of that debootstrap is left');
  for (const pid of running.map((l) => Number(l.trim().split(' ')[0]))) assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} is gone`);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], 'nothing is left in tmp/');
  assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(`${store.root}/`), 'nothing is mounted in the store');
  assert.deepEqual(treeSnapshot(store.root).filter((l) => !l.startsWith('cache/')), storeBefore, 'the store is as it was');

  // Up to there it had fetched every package: all of them valid in the cache, none downloaded.
  const debs = events.filter((e) => (e.stage === 'retrieving' || e.stage === 'validating') && e.total !== undefined);
  assert.deepEqual(debs.filter((e) => e.stage === 'retrieving').map((e) => e.message), [], 'no .deb was downloaded');
  assert.equal(debs.filter((e) => e.stage === 'validating').at(-1)?.done, packages);
  assert.deepEqual(cacheListing(), cacheBefore, 'the cache folder is unchanged');
});

test('a client that goes away cancels the debootstrap it asked for', async () => {
  const sock = await openHelperSocket(store.root);
  const conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
  conn.listen();
  const other = new StrataClient(conn);
  await other.request('store.info', {});
  const progressToken = 'c0ffee'.padEnd(32, '0');
  const asked = other.request('image.debootstrap', { suite: 'bookworm', name: 'deb12-gone', progressToken }).catch((err: Error) => err);
  const deadline = Date.now() + 120_000;
  while (!events.some((e) => e.token === progressToken && e.stage === 'validating' && e.total !== undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(processesOnStore().some((l) => l.includes('/usr/sbin/debootstrap')), 'debootstrap runs');
  // No variant asked: minbase, as the CLI and VS Code default to (not debootstrap's bigger default set).
  assert.equal(events.find((e) => e.token === progressToken && e.message.startsWith('debootstrap '))?.message, 'debootstrap --variant=minbase bookworm http://deb.debian.org/debian');
  sock.destroy(); // the client is gone (its process ended, its window closed)
  assert.ok((await asked) instanceof Error, 'the request fails with its connection');
  other.dispose();
  for (let i = 0; i < 200 && (processesOnStore().length || readdirSync(join(store.root, 'tmp')).length); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(processesOnStore(), []);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
  assert.match(readFileSync(join(store.root, 'helper.log'), 'utf8'), /image\.debootstrap failed: debootstrap bookworm: cancelled; nothing was kept/);
  assert.doesNotMatch(await store.ok(['images']), /deb12-gone/);
});
