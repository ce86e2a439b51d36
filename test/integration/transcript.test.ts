// The article's transcript, with `docker` replaced by `strata`, on a busybox root fs the test makes
// itself: import a tar, look at the layer folder, an interactive shell in a new container through
// a real terminal, diff, commit, look at the new layer, history, run the new image.
// Each test stands alone: what it needs (the image, a container with the article's changes, the
// committed image) is made on first use by whichever test asks first, so one failing test does not
// take the others down with it, and any one of them can be run by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball, sha256sum } from '../support/strata';
import { PtySession } from '../support/pty';

const work = mkdtempSync(join(tmpdir(), 'strata-transcript-'));
let store: TestStore;
let tarball: { rootfs: string; tar: string };

before(async () => {
  store = TestStore.create('transcript');
  tarball = await busyboxTarball(work);
});
after(async () => { await store.close(); });

const PROMPT = /root@([0-9a-f]{12}):\/# $/;

/** Runs `make` once; every later call gets the same result (or the same failure). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** `tar -c . | strata import - busybox64`: what it printed. */
const imported = once(() => store.ok(['import', '-', 'busybox64'], { input: readFileSync(tarball.tar) }));

/** A stopped container that made the article's changes (/hello added, /etc/motd removed); its short id. */
async function containerWithChanges(name: string): Promise<string> {
  await imported();
  // The same shell as the interactive test, fed the same lines on its stdin.
  const out = await store.ok(['run', '-i', '--name', name, 'busybox64', '/usr/bin/env', 'bash'], { input: 'echo hello > /hello; rm /etc/motd\nexit\n' });
  assert.equal(out, '', 'the shell prints nothing');
  return JSON.parse(await store.ok(['inspect', name]))[0].Id.slice(0, 12);
}

/** `strata commit -m 'hello and no motd' <container> busybox_and_hello`: what it printed. */
const committed = once(async () => store.ok(['commit', '-m', 'hello and no motd', await containerWithChanges('to-commit'), 'busybox_and_hello']));

test('tar -c . | strata import - busybox64 prints the new image id', async () => {
  const out = await imported();
  assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
  const imageId = out.trim();
  const images = await store.ok(['images']);
  assert.match(images, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(images, new RegExp(`busybox64\\s+latest\\s+${imageId.slice(7, 19)}\\s`));
});

test('the layer is a plain folder in the graph holding the root fs, and its diff_id is sha256sum of the tar', async () => {
  const imageId = (await imported()).trim();
  const detail = JSON.parse(await store.ok(['inspect', '--type', 'image', 'busybox64']))[0];
  assert.equal(detail.Id, imageId);
  assert.deepEqual(detail.RootFS.Layers, [sha256sum(tarball.tar)]);
  assert.equal(detail.Strata.Layers.length, 1);
  const layer = detail.Strata.Layers[0];
  assert.equal(layer.DiffId, sha256sum(tarball.tar));
  assert.equal(layer.Id, layer.DiffId, 'a base layer\'s chain id is its diff_id');
  assert.equal(layer.Path, join(store.root, 'graph', layer.Id.slice(7), 'layer'));
  assert.deepEqual(readdirSync(layer.Path).sort(), readdirSync(tarball.rootfs).sort());
});

test('strata run -i -t busybox64 /usr/bin/env bash: a shell in a new container whose hostname is its id', async () => {
  await imported();
  let firstShortId = '';
  const term = new PtySession(process.execPath, [CLI, '--root', store.root, 'run', '-i', '-t', 'busybox64', '/usr/bin/env', 'bash'], { cols: 91, rows: 27 });
  try {
    const prompt = await term.waitFor(PROMPT);
    firstShortId = prompt[1];
    assert.equal((await term.run('hostname', PROMPT)).trim(), firstShortId, 'hostname is the short id');
    assert.match((await term.run('tty', PROMPT)).trim(), /^\/dev\/pts\/\d+$/, 'the shell has a real terminal');
    assert.equal((await term.run('stty size', PROMPT)).trim(), '27 91', 'the window size is seen');
    term.resize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await term.run('stty size', PROMPT)).trim(), '40 120', 'the window size follows the client');
    const beforeSleep = term.output.length;
    term.type('sleep 100\r');
    await term.waitFor(/sleep 100\r*\n/, beforeSleep);
    // Ctrl-C only once sleep really runs in the foreground (seen from outside, with exec).
    for (let i = 0; !(await store.ok(['exec', firstShortId, 'ps'])).includes('sleep 100'); i++) {
      if (i > 100) throw new Error('sleep 100 never showed up in the container');
      await new Promise((r) => setTimeout(r, 50));
    }
    term.type('\x03');
    await term.waitFor(PROMPT, beforeSleep + 10);
    assert.match(await term.run('echo survived $((6*7))', PROMPT), /survived 42/, 'Ctrl-C stopped sleep, not the shell');
    await term.run('sleep 77 &', PROMPT);
    assert.match(await term.run('jobs', PROMPT), /\[1\]\+?\s+Running\s+sleep 77/, 'job control: a background job');
    await term.run('kill %1', PROMPT);
    await term.run('echo hello > /hello; rm /etc/motd', PROMPT);
    term.type('exit\r');
    assert.equal(await term.exited, 0, 'strata run exits with the shell\'s exit code');
  } finally {
    term.kill();
  }
  const ps = await store.ok(['ps', '-a']);
  assert.match(ps, new RegExp(`^${firstShortId}\\s+busybox64\\s+"/usr/bin/env bash"\\s.*Exited \\(0\\)`, 'm'));
  // What the shell changed is the container's: strata diff shows it.
  const changes = (await store.ok(['diff', firstShortId])).trim().split('\n');
  assert.ok(changes.includes('A /hello') && changes.includes('D /etc/motd'), changes.join('\n'));
});

test('each run gets a new id, its hostname', async () => {
  await imported();
  const first = (await store.ok(['run', '--rm', 'busybox64', 'hostname'])).trim();
  const second = (await store.ok(['run', '--rm', 'busybox64', 'hostname'])).trim();
  assert.match(first, /^[0-9a-f]{12}$/);
  assert.match(second, /^[0-9a-f]{12}$/);
  assert.notEqual(second, first);
});

test('strata diff shows the container\'s changes, without the init files', async () => {
  const lines = (await store.ok(['diff', await containerWithChanges('to-diff')])).trim().split('\n');
  assert.ok(lines.includes('A /hello'), lines.join('\n'));
  assert.ok(lines.includes('C /etc'), lines.join('\n'));
  assert.ok(lines.includes('D /etc/motd'), lines.join('\n'));
  for (const hidden of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']) assert.ok(!lines.some((l) => l.endsWith(hidden)), `${hidden} must not be in the diff`);
});

test('strata commit stores only the difference as a new layer folder', async () => {
  const out = await committed();
  assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
  const detail = JSON.parse(await store.ok(['inspect', '--type', 'image', 'busybox_and_hello']))[0];
  assert.equal(detail.Strata.Layers.length, 2);
  const [base, top] = detail.Strata.Layers;
  assert.equal(top.Parent, base.Id);
  const layerDir = join(store.root, 'graph', top.Id.slice(7), 'layer');
  const listing = readdirSync(layerDir).sort();
  assert.ok(listing.includes('hello') && listing.includes('etc'), listing.join(' '));
  assert.ok(!listing.includes('bin'), 'unchanged folders are not copied into the new layer');
  assert.equal(readFileSync(join(layerDir, 'hello'), 'utf8'), 'hello\n');
  const whiteout = lstatSync(join(layerDir, 'etc/motd'));
  assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'the deleted motd is an overlayfs whiteout (0/0 char device)');
  assert.deepEqual(readdirSync(join(layerDir, 'etc')), ['motd'], 'only the whiteout, no init files');
  const changes = (await store.ok(['diff', '--layer', top.Id.slice(7, 19)])).trim().split('\n');
  assert.ok(changes.includes('A /hello') && changes.includes('D /etc/motd'), changes.join('\n'));
});

test('strata history shows both layers, newest first, with sizes and comments', async () => {
  await committed();
  const lines = (await store.ok(['history', 'busybox_and_hello'])).trimEnd().split('\n');
  assert.match(lines[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^[0-9a-f]{12}\s+.*ago\s+\/usr\/bin\/env bash\s+6B\s+hello and no motd$/);
  assert.match(lines[2], /^[0-9a-f]{12}\s+.*ago\s+[\d.]+MB\s+Imported from -$/);
});

test('the committed image runs and shows the change', async () => {
  await committed();
  assert.equal(await store.ok(['run', '--rm', 'busybox_and_hello', 'cat', '/hello']), 'hello\n');
  const gone = await store.cli(['run', '--rm', 'busybox_and_hello', 'cat', '/etc/motd']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such file or directory/);
  assert.equal((await store.cli(['run', '--rm', 'busybox64', 'sh', '-c', 'exit 3'])).code, 3, 'the exit code of the command is the exit code of strata run');
});
