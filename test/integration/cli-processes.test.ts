// Docker's verbs about a container's processes, and what they see: the environment Docker gives,
// stdio as pipes, pause/unpause/restart, top, the default user of an image without /etc/passwd,
// --entrypoint, rename, stats.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { buildSyscallProbe } from '../support/syscall-probe';
import { PtySession } from '../support/pty';

let store: TestStore;

before(async () => {
  store = TestStore.create('processes');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-processes-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

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
    assert.deepEqual(JSON.parse(await store.ok(['inspect', 'envs']))[0].Config.Env, ['MINE=1'], 'the container keeps its own variables only');
    await store.ok(['commit', 'envs', 'env-image']);
    const config = JSON.parse(await store.ok(['inspect', '--type', 'image', 'env-image']))[0].Config;
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
    const upper = JSON.parse(await store.ok(['inspect', 'frozen']))[0].Strata.UpperDir as string;
    const count = () => Number(readFileSync(join(upper, 'n'), 'utf8'));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(200);
    assert.equal(await store.ok(['pause', 'frozen']), 'frozen\n');
    assert.match(await store.ok(['ps']), /Up .* \(Paused\)\s+frozen$/m);
    const atPause = count();
    await sleep(300);
    assert.equal(count(), atPause, 'nothing ran while paused');
    const exec = await store.cli(['exec', 'frozen', 'true']);
    assert.equal(exec.code, 1);
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

test('an image of one static binary (no /etc/passwd) runs as root by default, as in Docker; -u root there is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-static-'));
  buildSyscallProbe(join(dir, 'rootfs'));
  const tar = join(dir, 'static.tar');
  execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', tar, '.']);
  await store.ok(['import', tar, 'static-only']);
  assert.equal(await store.ok(['run', '--rm', 'static-only', '/syscall-probe', '39']), '39=0 ret=1\n', 'getpid, as uid 0');
  const named = await store.cli(['run', '--rm', '-u', 'root', 'static-only', '/syscall-probe']);
  assert.equal(named.code, 125);
  assert.match(named.stderr, /unable to find user root: no matching entries in passwd file/);
  await store.ok(['rmi', 'static-only']);
});

test('top lists a container\'s processes with their pids on the host and in the container', async () => {
  await store.ok(['run', '-d', '--name', 'tops', 'bb', 'sh', '-c', 'sleep 301 & exec sleep 300']);
  try {
    const hostPid = JSON.parse(await store.ok(['inspect', 'tops']))[0].State.Pid as number;
    let procs: { pid: number; containerPid: number; ppid: number; command: string }[] = [];
    for (let i = 0; i < 100 && procs.length < 2; i++) procs = JSON.parse(await store.ok(['top', 'tops', '--format', 'json']));
    const first = procs.find((p) => p.containerPid === 1)!;
    assert.equal(first.pid, hostPid, 'pid 1 inside is the pid strata inspect shows on the host');
    assert.equal(first.command, 'sleep 300');
    const child = procs.find((p) => p.command === 'sleep 301')!;
    assert.equal(child.ppid, hostPid, 'its parent, in host pids');
    assert.ok(child.containerPid > 1 && child.pid !== child.containerPid);
    // Docker's `ps -ef` columns (C: whole percent of CPU; TTY: ? without a terminal), CONTAINER PID before CMD
    assert.match(await store.ok(['top', 'tops']), new RegExp(`^UID\\s+PID\\s+PPID\\s+C\\s+STIME\\s+TTY\\s+TIME\\s+CONTAINER PID\\s+CMD\\n0\\s+${hostPid}\\s+\\d+\\s+0\\s+\\d\\d:\\d\\d\\s+\\?\\s+00:00:00\\s+1\\s+sleep 300\\n`));
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

test('rename: a free, different name; --entrypoint replaces the image\'s (and its CMD), and a commit keeps it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ep-'));
  await store.ok(['import', '-c', 'ENTRYPOINT ["echo", "from-entrypoint"]', '-c', 'CMD ["from-cmd"]', (await busyboxTarball(dir)).tar, 'ep']);
  try {
    assert.equal(await store.ok(['run', '--rm', 'ep']), 'from-entrypoint from-cmd\n');
    assert.equal(await store.ok(['run', '--rm', 'ep', 'given']), 'from-entrypoint given\n');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '/bin/echo', 'ep', 'hi']), 'hi\n');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '', 'ep', 'echo', 'plain']), 'plain\n', 'an empty one clears it');
    assert.equal(await store.ok(['run', '--rm', '--entrypoint', '/bin/echo', 'ep']), '\n', 'and the image\'s CMD is not used');
    await store.ok(['run', '--name', 'ep-run', '--entrypoint', '/bin/sh', 'ep', '-c', 'echo kept > /kept']);
    await store.ok(['commit', 'ep-run', 'ep:committed']);
    const config = JSON.parse(await store.ok(['inspect', '--type', 'image', 'ep:committed']))[0].Config;
    assert.deepEqual([config.Entrypoint, config.Cmd], [['/bin/sh'], ['-c', 'echo kept > /kept']]);
    assert.equal(await store.ok(['run', '--rm', 'ep:committed', '-c', 'cat /kept']), 'kept\n');
    // rename
    assert.equal(await store.ok(['rename', 'ep-run', 'ep-renamed']), '');
    assert.match(await store.ok(['ps', '-a']), /ep-renamed$/m);
    assert.match((await store.cli(['rename', 'ep-renamed', 'ep-renamed'])).stderr, /same name as its current name/);
    await store.ok(['run', '--name', 'ep-other', 'ep']);
    const taken = await store.cli(['rename', 'ep-renamed', 'ep-other']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /Conflict\. The container name "\/ep-other" is already in use by container "[0-9a-f]{64}"/);
    assert.match((await store.cli(['rename', 'ep-renamed', 'no spaces'])).stderr, /not a container name/);
  } finally {
    for (const c of ['ep-renamed', 'ep-run', 'ep-other']) await store.cli(['rm', '-f', c]);
    for (const i of ['ep:committed', 'ep']) await store.cli(['rmi', i]);
  }
});

test('stats: memory and tasks against the limits run set, and the CPU used between two readings', async () => {
  await store.ok(['run', '-d', '--name', 'busy-stats', '-m', '64m', '--pids-limit', '50', 'bb', 'sh', '-c', 'while :; do :; done']);
  await store.ok(['run', '-d', '--name', 'idle-stats', 'bb', 'sleep', '300']);
  try {
    const table = await store.ok(['stats', '--no-stream']);
    assert.match(table, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n/);
    const busy = table.split('\n').find((l) => l.includes('busy-stats'))!;
    // NET I/O: its own interfaces but lo (none with --network none); BLOCK I/O: its blkio cgroup
    assert.match(busy, /^[0-9a-f]{12}\s+busy-stats\s+(\d+\.\d\d)%\s+\S+ \/ 64MiB\s+\d+\.\d\d%\s+0B \/ 0B\s+\d+(\.\d+)?[kMG]?B \/ \d+(\.\d+)?[kMG]?B\s+1$/);
    assert.ok(Number(/(\d+\.\d\d)%/.exec(busy)![1]) > 20, `a busy loop uses the CPU: ${busy}`);
    const idle = table.split('\n').find((l) => l.includes('idle-stats'))!;
    assert.match(idle, /\s0\.00%\s/, 'sleep uses none');
    const one = JSON.parse(await store.ok(['stats', '--format', 'json', 'busy-stats']));
    assert.deepEqual([one.Name, one.Container, one.PIDs], ['busy-stats', 'busy-stats', '1']);
    assert.match(one.MemUsage, /^\d+(\.\d+)?[KM]iB \/ 64MiB$/);
    const limits = JSON.parse(await store.ok(['inspect', '-f', '{{json .HostConfig}}', 'busy-stats']));
    assert.deepEqual([limits.Memory, limits.PidsLimit], [64 * 1024 * 1024, 50], 'the limits run set');
  } finally {
    await store.cli(['rm', '-f', 'busy-stats', 'idle-stats']);
  }
  await store.ok(['run', '--name', 'stopped-stats', 'bb', 'true']);
  const stopped = await store.cli(['stats', '--no-stream', 'stopped-stats']);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /is not running/);
});
