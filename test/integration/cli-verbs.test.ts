// Docker's verbs, as a user types them, and what they print: the container lifecycle, exec,
// attach, containers that outlive their client, tags and removal with its refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { buildSyscallProbe } from '../support/syscall-probe';
import { PtySession } from '../support/pty';

let store: TestStore;

before(async () => {
  store = TestStore.create('verbs');
  await store.ok(['import', busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-verbs-'))).tar, 'bb']);
});
after(async () => { await store.close(); });

test('the store root is created 0700', () => {
  assert.equal(statSync(store.root).mode & 0o777, 0o700);
});

test('run -d prints the id; ps shows it running; exec runs beside it; stop ends it', async () => {
  const id = (await store.ok(['run', '-d', '--name', 'sleeper', 'bb', 'sleep', '300'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = await store.ok(['ps']);
  assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+NAMES$/m);
  assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+bb\\s+"sleep 300"\\s+.*Up .*sleeper$`, 'm'));
  assert.equal(await store.ok(['exec', 'sleeper', 'hostname']), `${id.slice(0, 12)}\n`);
  assert.match(await store.ok(['exec', 'sleeper', 'ps']), /sleep 300/, 'exec shares the pid namespace');
  assert.equal((await store.cli(['exec', 'sleeper', 'sh', '-c', 'exit 7'])).code, 7);
  const json = JSON.parse(await store.ok(['ps', '--format', 'json']));
  assert.equal(json.find((c: { name: string }) => c.name === 'sleeper').status, 'running');
  const rm = await store.cli(['rm', 'sleeper']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /You cannot remove a running container .* Stop the container before attempting removal or force remove/);
  assert.equal(await store.ok(['stop', '-t', '1', 'sleeper']), 'sleeper\n');
  assert.match(await store.ok(['ps', '-a']), /sleeper$/m);
  assert.doesNotMatch(await store.ok(['ps']), /sleeper/);
  assert.match(await store.ok(['inspect', 'sleeper']), /"status": "exited"/);
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

test('the environment: PATH, HOSTNAME, TERM with a terminal, as Docker gives it; a commit keeps only the container\'s own', async () => {
  const env = async (args: string[]) => (await store.ok(args)).split('\n').filter(Boolean).sort().join(' ');
  const plain = await store.ok(['run', '-d', '--name', 'envs', '-e', 'MINE=1', 'bb', 'sleep', '300']);
  const short = plain.trim().slice(0, 12);
  try {
    assert.equal(await env(['exec', 'envs', 'sh', '-c', 'echo PATH=$PATH; echo HOSTNAME=$HOSTNAME; echo TERM=${TERM-unset}; echo MINE=$MINE']),
      `HOSTNAME=${short} MINE=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=unset`);
    const tty = new PtySession(process.execPath, [CLI, '--root', store.root, 'exec', '-t', 'envs', 'sh', '-c', 'echo term=$TERM'], { cols: 80, rows: 24 });
    await tty.waitFor(/term=xterm/);
    assert.equal(await tty.exited, 0);
    const runTty = new PtySession(process.execPath, [CLI, '--root', store.root, 'run', '--rm', '-t', 'bb', 'sh', '-c', 'echo term=$TERM'], { cols: 80, rows: 24 });
    await runTty.waitFor(/term=xterm/);
    assert.equal(await runTty.exited, 0);
    assert.deepEqual(JSON.parse(await store.ok(['inspect', 'envs']))[0].options.env, ['MINE=1'], 'the container keeps its own variables only');
    await store.ok(['commit', 'envs', 'env-image']);
    const config = JSON.parse(await store.ok(['inspect', '--type', 'image', 'env-image']))[0].config.config;
    assert.deepEqual(config.Env, ['MINE=1'], 'no HOSTNAME (nor PATH default) of the old container in the image');
    const again = await store.ok(['run', '--rm', 'env-image', 'sh', '-c', 'echo $HOSTNAME $(hostname) $MINE']);
    const [envHost, realHost, mine] = again.trim().split(' ');
    assert.equal(envHost, realHost, 'a container of the committed image has its own hostname in $HOSTNAME');
    assert.notEqual(envHost, short);
    assert.equal(mine, '1');
    assert.equal(await store.ok(['run', '--rm', '-e', 'HOSTNAME=mine', 'bb', 'sh', '-c', 'echo $HOSTNAME']), 'mine\n', '-e wins over the defaults');
  } finally {
    await store.cli(['rm', '-f', 'envs']);
    await store.cli(['rmi', 'env-image']);
  }
});

test('without a terminal, stdio are pipes (as in Docker): /dev/stdout, /dev/stderr, /dev/stdin open by path', async () => {
  const r = await store.cli(['run', '--rm', 'bb', 'sh', '-c', 'echo out > /dev/stdout; echo err > /dev/stderr; readlink /proc/self/fd/1; readlink /proc/self/fd/2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^out\npipe:\[\d+\]\npipe:\[\d+\]\n$/);
  assert.equal(r.stderr, 'err\n');
  assert.equal(await store.ok(['run', '--rm', '-i', 'bb', 'sh', '-c', 'cat /dev/stdin | wc -c'], { input: 'twelve bytes' }), '12\n');
  // Every byte through the relay, in order, and the exit code after the last of them.
  const big = await store.cli(['run', '--rm', 'bb', 'sh', '-c', 'seq 1 300000; exit 3']);
  assert.equal(big.code, 3);
  assert.equal(big.stdout, Array.from({ length: 300000 }, (_, i) => `${i + 1}\n`).join(''));
  await store.ok(['run', '-d', '--name', 'piper', 'bb', 'sleep', '300']);
  try {
    const ex = await store.cli(['exec', '-i', 'piper', 'sh', '-c', 'cat /dev/stdin > /dev/stderr'], { input: 'via exec' });
    assert.equal(ex.stderr, 'via exec');
  } finally {
    await store.cli(['rm', '-f', 'piper']);
  }
});

test('pause freezes every process where it is; unpause goes on; stop, restart and rm -f take a paused container', async () => {
  await store.ok(['run', '-d', '--name', 'frozen', 'bb', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /n.new && mv /n.new /n; sleep 0.02; done']);
  try {
    const upper = JSON.parse(await store.ok(['inspect', 'frozen']))[0].upperDir as string;
    const count = () => Number(readFileSync(join(upper, 'n'), 'utf8'));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(200);
    assert.equal(await store.ok(['pause', 'frozen']), 'frozen\n');
    assert.match(await store.ok(['ps']), /Up .* \(Paused\)\s+frozen$/m);
    const atPause = count();
    await sleep(300);
    assert.equal(count(), atPause, 'nothing ran while paused');
    const exec = await store.cli(['exec', 'frozen', 'true']);
    assert.equal(exec.code, 126);
    assert.match(exec.stderr, /is paused, unpause the container before exec/);
    assert.match((await store.cli(['pause', 'frozen'])).stderr, /is already paused/);
    assert.match((await store.cli(['kill', '-s', 'TERM', 'frozen'])).stderr, /is paused\. Unpause the container before sending it SIGTERM/);
    await store.ok(['commit', 'frozen', 'frozen-image']);
    assert.match(await store.ok(['ps']), /\(Paused\)\s+frozen$/m, 'a commit leaves a paused container paused');
    assert.equal(await store.ok(['unpause', 'frozen']), 'frozen\n');
    await sleep(300);
    assert.ok(count() > atPause, 'it went on after unpause');
    assert.match((await store.cli(['unpause', 'frozen'])).stderr, /is not paused/);
    await store.ok(['pause', 'frozen']);
    assert.equal(await store.ok(['stop', '-t', '1', 'frozen']), 'frozen\n');
    assert.match(await store.ok(['ps', '-a']), /Exited \(137\) .*frozen$/m, 'stop thawed it, then SIGTERM went unheard by pid 1, then SIGKILL');
    assert.equal(await store.ok(['restart', '-t', '1', 'frozen']), 'frozen\n');
    assert.match(await store.ok(['ps']), /Up [^(]*frozen$/m, 'restarted, not paused');
    await store.ok(['pause', 'frozen']);
    assert.equal(await store.ok(['rm', '-f', 'frozen']), 'frozen\n');
    assert.doesNotMatch(await store.ok(['ps', '-a']), /frozen/);
  } finally {
    await store.cli(['rm', '-f', 'frozen']);
    await store.cli(['rmi', 'frozen-image']);
  }
});

test('container prune and image prune remove what nothing needs; the management forms name the same verbs', async () => {
  const root = TestStore.create('prune');
  try {
    await root.ok(['import', busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-prune-'))).tar, 'bb']);
    await root.ok(['run', '--name', 'done1', 'bb', 'true']);
    await root.ok(['run', '--name', 'done2', 'bb', 'sh', '-c', 'echo x > /x']);
    await root.ok(['run', '-d', '--name', 'alive', 'bb', 'sleep', '300']);
    const named = (await root.ok(['commit', 'done2', 'kept:1'])).trim();
    await root.ok(['tag', 'kept:1', 'kept:2']);
    const dangling = (await root.ok(['commit', 'done1'])).trim();
    await root.ok(['run', '--name', 'on-named', 'kept:1', 'true']); // stopped: pruned, and kept:1 with it under -a
    // Without -f it asks, and anything but y keeps everything.
    const asked = await root.cli(['container', 'prune'], { input: 'n\n' });
    assert.equal(asked.code, 0);
    assert.match(asked.stdout, /WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
    assert.equal((await root.ok(['container', 'ls', '-a', '-q'])).trim().split('\n').length, 4);
    const pruned = await root.ok(['container', 'prune'], { input: 'y\n' });
    assert.match(pruned, /Deleted Containers:\n([0-9a-f]{64}\n){3}\n$/);
    assert.deepEqual((await root.ok(['container', 'ls', '-a', '--format', 'json'])).match(/"name": "[^"]+"/g), ['"name": "alive"']);
    // Dangling only: the untagged commit; -a: every image no container uses (bb stays: alive runs it).
    assert.match(await root.ok(['image', 'prune', '-f']), new RegExp(`Deleted Images:\\ndeleted: ${dangling}\\n`));
    assert.ok((await root.ok(['image', 'ls', '-q'])).includes(named.slice(7, 19)));
    const all = await root.ok(['image', 'prune', '-a', '-f']);
    assert.match(all, /untagged: kept:1\nuntagged: kept:2\ndeleted: sha256:/);
    assert.deepEqual((await root.ok(['image', 'ls', '--format', 'json'])).match(/"bb:latest"/g), ['"bb:latest"']);
    assert.equal((await root.ok(['image', 'ls', '-q'])).trim().split('\n').length, 1);
    assert.equal(await root.ok(['image', 'prune', '-f']), '', 'nothing left to prune: nothing said');
    const unknown = await root.cli(['container', 'frob']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /'container frob' is not a strata command/);
  } finally {
    await root.close();
  }
});

test('an image of one static binary (no /etc/passwd) runs as root by default, as in Docker; -u root there is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-static-'));
  buildSyscallProbe(join(dir, 'rootfs'));
  const tar = join(dir, 'static.tar');
  execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', tar, '.']);
  await store.ok(['import', tar, 'static-only']);
  assert.equal(await store.ok(['run', '--rm', 'static-only', '/syscall-probe', '39']), `39=0\n`, 'getpid, as uid 0');
  const named = await store.cli(['run', '--rm', '-u', 'root', 'static-only', '/syscall-probe']);
  assert.equal(named.code, 125);
  assert.match(named.stderr, /unable to find user root: no matching entries in passwd file/);
  await store.ok(['rmi', 'static-only']);
});

test('system df: shared layers counted once, each image\'s shared and unique size, what containers wrote', async () => {
  const root = TestStore.create('df');
  try {
    await root.ok(['import', busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-df-'))).tar, 'bb']);
    await root.ok(['run', '--name', 'writer', 'bb', 'sh', '-c', 'head -c 5000 /dev/zero > /five-k; ln /five-k /same-inode']);
    await root.ok(['run', '-d', '--name', 'idle', 'bb', 'sleep', '300']);
    type Df = { images: { repoTags: string[]; size: number; sharedSize: number; uniqueSize: number; containers: number }[]; containers: { name: string; size: number; changesInLayer: string | null }[]; totals: Record<string, { count: number; active: number; size: number; reclaimable: number }> };
    const df = async (): Promise<Df> => JSON.parse(await root.ok(['system', 'df', '--format', 'json']));
    let d = await df();
    const base = d.images[0].size;
    assert.equal(d.containers.find((c) => c.name === 'writer')!.size, 5000, 'the bytes it wrote, a hard link counted once');
    assert.deepEqual(d.totals.containers, { count: 2, active: 1, size: 5000, reclaimable: 5000 });
    await root.ok(['commit', 'writer', 'written']);
    d = await df();
    const written = d.images.find((i) => i.repoTags.includes('written:latest'))!;
    assert.deepEqual([written.size, written.sharedSize, written.uniqueSize], [base + 5000, base, 5000], 'bb\'s layer is shared, the new one is its own');
    assert.equal(d.totals.images.size, base + 5000, 'the shared layer is on disk once');
    assert.equal(d.totals.images.reclaimable, 0, 'bb is used by a running container; the new layer holds the writer\'s moved changes');
    const writer = d.containers.find((c) => c.name === 'writer')!;
    assert.equal(writer.size, 0);
    assert.match(String(writer.changesInLayer), /^sha256:[0-9a-f]{64}$/);
    const table = await root.ok(['system', 'df', '-v']);
    assert.match(table, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+2\s+1\s+\S+\s+0B \(0%\)\nContainers\s+2\s+1\s+0B\s+0B \(0%\)\n/);
    assert.match(table, /written\s+latest\s+[0-9a-f]{12}\s+.*\s5kB\s+0\n/);
    assert.match(table, /0B \(changes in layer [0-9a-f]{12}\)\s.*writer/);
  } finally {
    await root.close();
  }
});

test('top lists a container\'s processes with their pids on the host and in the container', async () => {
  await store.ok(['run', '-d', '--name', 'tops', 'bb', 'sh', '-c', 'sleep 301 & exec sleep 300']);
  try {
    const hostPid = JSON.parse(await store.ok(['inspect', 'tops']))[0].pid as number;
    let procs: { pid: number; containerPid: number; ppid: number; command: string }[] = [];
    for (let i = 0; i < 100 && procs.length < 2; i++) procs = JSON.parse(await store.ok(['top', 'tops', '--format', 'json']));
    const first = procs.find((p) => p.containerPid === 1)!;
    assert.equal(first.pid, hostPid, 'pid 1 inside is the pid strata inspect shows on the host');
    assert.equal(first.command, 'sleep 300');
    const child = procs.find((p) => p.command === 'sleep 301')!;
    assert.equal(child.ppid, hostPid, 'its parent, in host pids');
    assert.ok(child.containerPid > 1 && child.pid !== child.containerPid);
    assert.match(await store.ok(['top', 'tops']), new RegExp(`^UID\\s+PID\\s+PPID\\s+CONTAINER PID\\s+STIME\\s+TIME\\s+CMD\\n0\\s+${hostPid}\\s+\\d+\\s+1\\s+\\d\\d:\\d\\d\\s+00:00:00\\s+sleep 300\\n`));
    // A process can name itself anything: an escape sequence in its argv must not reach the terminal.
    await store.ok(['exec', '-d', 'tops', 'sh', '-c', 'sh -c "sleep 302; true" "evil$(printf \'\\033]0;pwned\\007\')"']);
    let shown = '';
    for (let i = 0; i < 100 && !shown.includes('evil'); i++) shown = await store.ok(['top', 'tops']);
    assert.match(shown, /evil\?\]0;pwned\?/);
    assert.doesNotMatch(shown, /\x1b|\x07/);
  } finally {
    await store.cli(['rm', '-f', 'tops']);
  }
  const stopped = await store.cli(['top', 'sleeper-gone']);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /No such container: sleeper-gone/);
});

test('diff on a terminal shows control characters in a container\'s file names as ?, and piped gives them as they are', async () => {
  await store.ok(['run', '--name', 'escaper', 'bb', 'sh', '-c', 'touch "/evil$(printf \'\\033]0;pwned\\007\')"']);
  try {
    assert.equal(await store.ok(['diff', 'escaper']), 'A /evil\x1b]0;pwned\x07\n', 'piped: the exact name, for scripts');
    const term = new PtySession(process.execPath, [CLI, '--root', store.root, 'diff', 'escaper'], { cols: 80, rows: 24 });
    assert.equal(await term.exited, 0);
    assert.match(term.output, /A \/evil\?\]0;pwned\?/);
    assert.doesNotMatch(term.output, /\x07/, 'no escape sequence reached the terminal');
  } finally {
    await store.cli(['rm', 'escaper']);
  }
});

test('rename: a free, different name; --entrypoint replaces the image\'s (and its CMD), and a commit keeps it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ep-'));
  await store.ok(['import', '-c', 'ENTRYPOINT ["echo", "from-entrypoint"]', '-c', 'CMD ["from-cmd"]', busyboxTarball(dir).tar, 'ep']);
  try {
    assert.equal(await store.ok(['run', '--rm', 'ep']), 'from-entrypoint from-cmd\n');
    assert.equal(await store.ok(['run', '--rm', 'ep', 'given']), 'from-entrypoint given\n');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '/bin/echo', 'ep', 'hi']), 'hi\n');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '', 'ep', 'echo', 'plain']), 'plain\n', 'an empty one clears it');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '/bin/echo', 'ep']), '\n', 'and the image\'s CMD is not used');
    await store.ok(['run', '--name', 'ep-run', '--entrypoint', '/bin/sh', 'ep', '-c', 'echo kept > /kept']);
    await store.ok(['commit', 'ep-run', 'ep:committed']);
    const config = JSON.parse(await store.ok(['inspect', '--type', 'image', 'ep:committed']))[0].config.config;
    assert.deepEqual([config.Entrypoint, config.Cmd], [['/bin/sh'], ['-c', 'echo kept > /kept']]);
    assert.equal(await store.ok(['run', '--rm', 'ep:committed', '-c', 'cat /kept']), 'kept\n');
    // rename
    assert.equal(await store.ok(['rename', 'ep-run', 'ep-renamed']), '');
    assert.match(await store.ok(['ps', '-a']), /ep-renamed$/m);
    assert.match((await store.cli(['rename', 'ep-renamed', 'ep-renamed'])).stderr, /same name as its current name/);
    await store.ok(['run', '--name', 'ep-other', 'ep']);
    const taken = await store.cli(['rename', 'ep-renamed', 'ep-other']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /Conflict\. The container name "ep-other" is already in use/);
    assert.match((await store.cli(['rename', 'ep-renamed', 'no spaces'])).stderr, /not a container name/);
  } finally {
    for (const c of ['ep-renamed', 'ep-run', 'ep-other']) await store.cli(['rm', '-f', c]);
    for (const i of ['ep:committed', 'ep']) await store.cli(['rmi', i]);
  }
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
  // The counter is replaced by rename, so any frozen moment holds a whole number.
  await new Promise((r) => setTimeout(r, 300));
  const image = (await store.ok(['commit', '-m', 'while running', 'busy', 'busy-snapshot'])).trim();
  assert.match(image, /^sha256:[0-9a-f]{64}$/);
  const counted = Number((await store.ok(['run', '--rm', 'busy-snapshot', 'cat', '/counter'])).trim());
  assert.ok(counted > 0, `the snapshot holds the counter (${counted})`);
  assert.match(await store.ok(['ps']), new RegExp(`^${id.slice(0, 12)}.*Up .*busy$`, 'm'), 'the container was thawed and runs on');
  const later = Number((await store.ok(['exec', 'busy', 'cat', '/counter'])).trim());
  assert.ok(later >= counted, 'it kept counting after the commit');
  await store.ok(['rm', '-f', 'busy']);
});

test('rmi of an image another image is built on: refused with the reason, and -f keeps the shared layers', async () => {
  await store.ok(['tag', 'bb', 'parent']);
  await store.ok(['rmi', 'bb']); // parent is now its only name
  await store.ok(['run', '--name', 'kid-maker', 'parent', 'sh', '-c', 'echo kid > /kid']);
  await store.ok(['commit', 'kid-maker', 'kid']);
  await store.ok(['rm', 'kid-maker']);
  const refused = await store.cli(['rmi', 'parent']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image [0-9a-f]{12} is built on it/);
  const forced = await store.ok(['rmi', '-f', 'parent']);
  assert.match(forced, /^Untagged: parent:latest\nDeleted: sha256:[0-9a-f]{64}\n$/, 'only the image record goes; its layer is the child\'s too');
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
