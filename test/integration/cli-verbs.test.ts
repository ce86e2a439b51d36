// Docker's verbs, as a user types them, and what they print: the container lifecycle, exec,
// attach, containers that outlive their client, tags and removal with its refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { PtySession } from '../support/pty';

let store: TestStore;

before(async () => {
  store = TestStore.create('verbs');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-verbs-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

test('the store root is created 0700', () => {
  assert.equal(statSync(store.root).mode & 0o777, 0o700);
});

test('run -d prints the id; ps shows it running; exec runs beside it; stop ends it', async () => {
  const id = (await store.ok(['run', '-d', '--name', 'sleeper', 'bb', 'sleep', '300'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = await store.ok(['ps']);
  assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
  assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+bb\\s+"sleep 300"\\s+.*Up .*sleeper$`, 'm'));
  assert.equal(await store.ok(['exec', 'sleeper', 'hostname']), `${id.slice(0, 12)}\n`);
  assert.match(await store.ok(['exec', 'sleeper', 'ps']), /sleep 300/, 'exec shares the pid namespace');
  assert.equal((await store.cli(['exec', 'sleeper', 'sh', '-c', 'exit 7'])).code, 7);
  const json = (await store.ok(['ps', '--format', 'json'])).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(json.find((c: { Names: string }) => c.Names === 'sleeper').State, 'running');
  const rm = await store.cli(['rm', 'sleeper']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /You cannot remove a running container .* Stop the container before attempting removal or force remove/);
  assert.equal(await store.ok(['stop', '-t', '1', 'sleeper']), 'sleeper\n');
  assert.match(await store.ok(['ps', '-a']), /sleeper$/m);
  assert.doesNotMatch(await store.ok(['ps']), /sleeper/);
  assert.match(await store.ok(['inspect', 'sleeper']), /"Status": "exited"/);
  assert.equal(await store.ok(['rm', 'sleeper']), 'sleeper\n');
  assert.doesNotMatch(await store.ok(['ps', '-a']), /sleeper/);
});

test('a container whose client went away keeps running; attach reaches it again', async () => {
  const first = new PtySession(process.execPath, [CLI, '--root', store.root, 'run', '-it', '--name', 'lives-on', 'bb', '/bin/sh'], { cols: 80, rows: 24 });
  try {
    await first.waitFor(/# $/);
    first.type('echo marker-$((1+1))\r');
    await first.waitFor(/marker-2/);
  } finally {
    first.kill(); // the client dies; the helper owns the container
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.match(await store.ok(['ps']), /lives-on$/m);
  const again = new PtySession(process.execPath, [CLI, '--root', store.root, 'attach', 'lives-on'], { cols: 80, rows: 24 });
  try {
    again.type('echo again-$((2+2))\r');
    await again.waitFor(/again-4/);
    again.type('exit 5\r');
    assert.equal(await again.exited, 5);
  } finally {
    again.kill();
  }
  assert.match(await store.ok(['ps', '-a']), /Exited \(5\).*lives-on$/m);
  await store.ok(['rm', 'lives-on']);
});

test('create, start -a, wait, kill', async () => {
  const id = (await store.ok(['create', 'bb', 'echo', 'created-then-started'])).trim();
  assert.equal(await store.ok(['start', '-a', id.slice(0, 8)]), 'created-then-started\n');
  assert.equal(await store.ok(['wait', id.slice(0, 8)]), '0\n');
  const long = (await store.ok(['run', '-d', 'bb', 'sleep', '300'])).trim();
  await store.ok(['kill', long]);
  assert.equal(await store.ok(['wait', long]), '137\n');
  await store.ok(['rm', id, long]);
});

test('-e, -w, -u, --hostname, and the default network is none', async () => {
  assert.equal(await store.ok(['run', '--rm', '-e', 'GREETING=hi there', 'bb', 'sh', '-c', 'echo $GREETING']), 'hi there\n');
  assert.equal(await store.ok(['run', '--rm', '-w', '/etc', 'bb', 'pwd']), '/etc\n');
  assert.equal(await store.ok(['run', '--rm', '-u', 'nobody', 'bb', 'id', '-u']), '65534\n');
  assert.equal(await store.ok(['run', '--rm', '--hostname', 'web1', 'bb', 'hostname']), 'web1\n');
  const links = await store.ok(['run', '--rm', 'bb', 'cat', '/proc/net/dev']);
  assert.deepEqual(links.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]), ['lo']);
});

test('errors a user can act on, with docker\'s exit codes', async () => {
  const noImage = await store.cli(['run', 'nothing-here']);
  assert.equal(noImage.code, 125);
  assert.match(noImage.stderr, /No such image: nothing-here/);
  const noCmd = await store.cli(['run', '--rm', 'bb', '/no/such/command']);
  assert.equal(noCmd.code, 127);
  assert.match(noCmd.stderr, /\/no\/such\/command/);
  const badFlag = await store.cli(['run', '--bogus', 'bb']);
  assert.equal(badFlag.code, 125);
  assert.match(badFlag.stderr, /unknown flag: --bogus/);
  const notACommand = await store.cli(['frobnicate']);
  assert.equal(notACommand.code, 1);
  assert.match(notACommand.stderr, /'frobnicate' is not a strata command/);
  assert.match(await store.ok(['run', '--help']), /--network mode\s+none \(the default/);
  const noFile = await store.cli(['import', '/no/such.tar']);
  assert.equal(noFile.code, 1);
  assert.equal(noFile.stderr, 'Error: open /no/such.tar: no such file or directory\n');
  const aDir = await store.cli(['import', tmpdir(), 'x']);
  assert.equal(aDir.code, 1);
  assert.match(aDir.stderr, /^Error: \S+ is a directory: import takes a tar file \(make one with: tar -C \S+ -c \. \| strata import - NAME\)\n$/);
  // Refused at its first block while 64 MB are still on their way: the helper's reason, not the
  // broken pipe the CLI then meets.
  const junk = join(mkdtempSync(join(tmpdir(), 'strata-junk-')), 'junk.tar');
  writeFileSync(junk, randomBytes(64 * 1024 * 1024));
  const bad = await store.cli(['import', junk, 'junk']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error response from daemon: import: not a tar archive: .*\n$/);
});

test('tag and rmi: untag one name, refuse while a container uses the image, force', async () => {
  await store.ok(['tag', 'bb', 'bb2:v1']);
  assert.match(await store.ok(['images']), /^bb2\s+v1\s/m);
  assert.equal(await store.ok(['rmi', 'bb2:v1']), 'Untagged: bb2:v1\n');
  const cid = (await store.ok(['create', 'bb'])).trim();
  const refused = await store.cli(['rmi', 'bb']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`container ${cid.slice(0, 12)} is using its referenced image`));
  await store.ok(['rm', cid]);
  await store.ok(['tag', 'bb', 'doomed']);
  assert.equal(await store.ok(['rmi', 'doomed']), 'Untagged: doomed:latest\n', 'a second name goes, the image stays');
  assert.match(await store.ok(['images']), /^bb\s+latest\s/m);
  const imported = await store.ok(['import', '-', 'scratchy'], { input: Buffer.alloc(1024) });
  const removed = await store.ok(['rmi', 'scratchy']);
  assert.match(removed, /^Untagged: scratchy:latest\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\n$/);
  assert.ok(removed.includes(imported.trim()));
});

test('commit of a running container: a consistent moment of it, and the container runs on', async () => {
  const id = (await store.ok(['run', '-d', '--name', 'busy', 'bb', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /counter.new && mv /counter.new /counter; sleep 0.01; done'])).trim();
  try {
    // The counter is replaced by rename, so any frozen moment holds a whole number.
    await new Promise((r) => setTimeout(r, 300));
    const image = (await store.ok(['commit', '-m', 'while running', 'busy', 'busy-snapshot'])).trim();
    assert.match(image, /^sha256:[0-9a-f]{64}$/);
    const counted = Number((await store.ok(['run', '--rm', 'busy-snapshot', 'cat', '/counter'])).trim());
    assert.ok(counted > 0, `the snapshot holds the counter (${counted})`);
    assert.match(await store.ok(['ps']), new RegExp(`^${id.slice(0, 12)}.*Up [^(]*busy$`, 'm'), 'the container was thawed (not "(Paused)") and runs on');
    // It counts on past the snapshot (each round takes ~10 ms; allow a loaded machine seconds).
    let later = counted;
    for (let i = 0; i < 50 && later <= counted; i++) later = Number((await store.ok(['exec', 'busy', 'cat', '/counter'])).trim());
    assert.ok(later > counted, `it kept counting after the commit (${counted}, then ${later})`);
  } finally {
    await store.cli(['rm', '-f', 'busy']); // whatever failed above, the tests after this one get a store without it
  }
});

test('rmi of the last name of an image another is built on untags it and keeps it, as Docker; by id it is refused, and -f keeps the shared layers', async () => {
  await store.ok(['tag', 'bb', 'parent']);
  await store.ok(['rmi', 'bb']); // parent is now its only name
  await store.ok(['run', '--name', 'kid-maker', 'parent', 'sh', '-c', 'echo kid > /kid']);
  await store.ok(['commit', 'kid-maker', 'kid']);
  await store.ok(['rm', 'kid-maker']);
  const parentId = (await store.ok(['inspect', '-f', '{{.Id}}', 'parent'])).trim();
  assert.equal(await store.ok(['rmi', 'parent']), 'Untagged: parent:latest\n');
  assert.doesNotMatch(await store.ok(['images']), new RegExp(parentId.slice(7, 19)), 'an untagged image another is built on is not listed');
  const refused = await store.cli(['rmi', parentId]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image [0-9a-f]{12} is built on it/);
  const forced = await store.ok(['rmi', '-f', parentId]);
  assert.match(forced, /^Deleted: sha256:[0-9a-f]{64}\n$/, 'only the image record goes; its layer is the child\'s too');
  assert.equal(await store.ok(['run', '--rm', 'kid', 'cat', '/kid']), 'kid\n', 'the child still runs on the shared base layer');
  await store.ok(['tag', 'kid', 'bb']); // later tests may use bb
});

test('run -i with piped input: every byte reaches the container, even input there before it starts', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await store.cli(['run', '-i', '--rm', 'bb', 'sh'], { input: `echo piped ${i}\nexit 3\n` });
    assert.equal(r.stdout, `piped ${i}\n`, `round ${i}: ${r.stderr}`);
    assert.equal(r.code, 3);
  }
});
