// The run/create flags of issue 13, each proven by what the container sees on the real kernel:
// capabilities in /proc/self/status, ulimits, /etc/hosts, the cgroup files of its own cgroup
// namespace, pid 1 as a reaper, the stop signal, no_new_privs, restart policies (also across a
// helper's crash), and the engine's refusals through the RPC itself (a client is not trusted).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball, repoRoot } from '../support/strata';

let store: TestStore;
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'strata-runflags-'));
  store = TestStore.create('runflags');
  await store.ok(['import', (await busyboxTarball(work)).tar, 'bb']);
});
after(async () => { await store.close(); });

const status = (text: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1];
const inspect = async (ref: string) => JSON.parse(await store.ok(['inspect', ref]))[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await sleep(100);
  }
}

test('--cap-drop and --cap-add change the capability sets; exec gets the same; the refused ones say why', async () => {
  const plain = await store.ok(['run', '--rm', 'bb', 'cat', '/proc/self/status']);
  assert.equal(status(plain, 'CapEff'), '00000000a00425fb', "Docker's default set without MKNOD");
  const only = await store.ok(['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'net_bind_service', 'bb', 'cat', '/proc/self/status']);
  assert.equal(status(only, 'CapEff'), '0000000000000400');
  assert.equal(status(only, 'CapBnd'), '0000000000000400', 'dropped from the bounding set too');
  const chown = await store.cli(['run', '--rm', '--cap-drop', 'CAP_CHOWN', 'bb', 'sh', '-c', 'touch /f && chown 65534 /f']);
  assert.notEqual(chown.code, 0, 'without CHOWN root cannot give a file away');
  assert.match(chown.stderr, /Operation not permitted/);
  // NET_ADMIN acts on the container's own network namespace with --network none
  await store.ok(['run', '-d', '--name', 'netadm', '--cap-add', 'NET_ADMIN', 'bb', 'sleep', '300']);
  try {
    const ex = await store.ok(['exec', 'netadm', 'sh', '-c', 'grep CapEff /proc/self/status; ip link set lo down && echo lo-down']);
    assert.match(ex, /CapEff:\s*00000000a00435fb\nlo-down/, 'exec has the container\'s capabilities');
    const c = await inspect('netadm');
    assert.deepEqual(c.HostConfig.CapAdd, ['CAP_NET_ADMIN']);
  } finally {
    await store.cli(['rm', '-f', 'netadm']);
  }
  const noAdmin = await store.cli(['run', '--rm', 'bb', 'ip', 'link', 'set', 'lo', 'down']);
  assert.notEqual(noAdmin.code, 0, 'without NET_ADMIN the same command fails');
  for (const [cap, why] of [['SYS_ADMIN', /mount the host's disks/], ['sys_ptrace', /runtime's own processes/], ['MKNOD', /no device cgroup/], ['DAC_READ_SEARCH', /shocker/], ['ALL', /SYS_ADMIN/]] as const) {
    const r = await store.cli(['run', '--rm', '--cap-add', cap, 'bb', 'true']);
    assert.equal(r.code, 125, `${cap}: ${r.stderr}`);
    assert.match(r.stderr, /is refused: /);
    assert.match(r.stderr, why);
  }
  const hostNet = await store.cli(['run', '--rm', '--network', 'host', '--cap-add', 'NET_ADMIN', 'bb', 'true']);
  assert.equal(hostNet.code, 125);
  assert.match(hostNet.stderr, /host's interfaces, routes and firewall/);
  const unknown = await store.cli(['run', '--rm', '--cap-add', 'FOO', 'bb', 'true']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /unknown capability: "CAP_FOO"/);
});

test('the engine refuses what the CLI would, when a client sends it directly', async () => {
  const client = await store.client();
  try {
    const base = { tty: false, openStdin: false, env: [], network: 'none', autoRemove: false } as const;
    const refused = async (options: Record<string, unknown>, pattern: RegExp) => {
      await assert.rejects(client.request('container.create', { image: 'bb', options: { ...base, ...options } as never }), pattern);
    };
    await refused({ capAdd: ['SYS_MODULE'] }, /SYS_MODULE is refused/);
    // a newline would add a line of its own to /etc/hosts
    await refused({ extraHosts: ['a:1.2.3.4\nevil 6.6.6.6'] }, /NAME:IP/);
    await refused({ extraHosts: ['a:999.1.1.1'] }, /invalid IP address/);
    await refused({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }, /soft limit must be less than or equal to hard limit/);
    await refused({ ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }, /expected one of/);
    await refused({ nanoCpus: 1 }, /less than/);
    await refused({ labels: { ['x'.repeat(2000)]: 'v' } }, /longer than 1024/);
    await refused({ restartPolicy: { name: 'always', maximumRetryCount: 0 }, autoRemove: true }, /Conflicting options: --restart and --rm/);
  } finally {
    client.dispose();
  }
});

test('--env-file and -e NAME: the caller\'s value, or nothing (never NAME="")', async () => {
  const file = join(work, 'env.list');
  writeFileSync(file, '# a comment\nFROM_FILE=1 2\n\nCOPIED\nNOT_SET_ANYWHERE\n');
  const r = await store.cli(['run', '--rm', '--env-file', file, '-e', 'ALSO_COPIED', '-e', 'NOT_SET_EITHER', 'bb', 'env'], { env: { COPIED: 'yes', ALSO_COPIED: 'too' } });
  assert.equal(r.code, 0, r.stderr);
  const env = r.stdout.split('\n');
  assert.ok(env.includes('FROM_FILE=1 2'), r.stdout);
  assert.ok(env.includes('COPIED=yes'));
  assert.ok(env.includes('ALSO_COPIED=too'));
  assert.ok(!env.some((e) => e.startsWith('NOT_SET_ANYWHERE') || e.startsWith('NOT_SET_EITHER')), 'an unset NAME is left out');
  const missing = await store.cli(['run', '--rm', '--env-file', join(work, 'nope'), 'bb', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /open .*nope: no such file or directory/);
});

test('--label, --cidfile, --add-host, --ulimit, --stop-signal/--stop-timeout in the container and in inspect', async () => {
  const cid = join(work, 'cid');
  const id = (await store.ok(['run', '-d', '--name', 'many', '--cidfile', cid, '-l', 'tier=web', '--label', 'bare',
    '--add-host', 'db.local:10.1.2.3', '--add-host', 'six:fe80::1', '--ulimit', 'nofile=321:654', '--ulimit', 'core=0',
    '--stop-signal', 'SIGUSR1', '--stop-timeout', '30',
    'bb', 'sh', '-c', 'trap "echo got-usr1; exit 0" USR1; sleep 300 & wait'])).trim();
  try {
    assert.equal(readFileSync(cid, 'utf8'), id, 'the id, without a newline');
    const hosts = await store.ok(['exec', 'many', 'cat', '/etc/hosts']);
    assert.match(hosts, /^10\.1\.2\.3\tdb\.local$/m);
    assert.match(hosts, /^fe80::1\tsix$/m);
    assert.equal(await store.ok(['exec', 'many', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c']), '321\n654\n0\n', 'exec has the container\'s limits');
    const c = await inspect('many');
    assert.deepEqual(c.Config.Labels, { tier: 'web', bare: '' });
    assert.equal(c.Config.StopSignal, 'SIGUSR1');
    assert.equal(c.Config.StopTimeout, 30);
    assert.deepEqual(c.HostConfig.ExtraHosts, ['db.local:10.1.2.3', 'six:fe80::1']);
    assert.deepEqual(c.HostConfig.Ulimits, [{ Name: 'nofile', Hard: 654, Soft: 321 }, { Name: 'core', Hard: 0, Soft: 0 }]);
    // stop sends the container's stop signal, which its trap answers
    await store.ok(['stop', 'many']);
    assert.equal(await store.ok(['logs', 'many']), 'got-usr1\n');
    assert.equal((await inspect('many')).State.ExitCode, 0);
    const again = await store.cli(['run', '--cidfile', cid, 'bb', 'true']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /container ID file found/i);
  } finally {
    await store.cli(['rm', '-f', 'many']);
  }
  for (const [args, pattern] of [
    [['--ulimit', 'nofile'], /invalid argument "nofile" for "--ulimit" flag: invalid ulimit argument: nofile/],
    [['--ulimit', 'nofile=2:1'], /soft limit must be less than or equal to hard limit: 2 > 1/],
    [['--add-host', 'foo'], /bad format for add-host: "foo"/],
    [['--add-host', 'foo:bar'], /invalid IP address in add-host: "bar"/],
    [['--cpus', 'abc'], /failed to parse abc as a rational number/],
    [['--restart', 'on-failure:x'], /maximum retry count must be an integer/],
    [['--restart', 'sometimes'], /unknown policy 'sometimes'/],
    [['--security-opt', 'foo'], /Invalid --security-opt: "foo"/],
    [['--pull', 'always'], /no registry/],
  ] as const) {
    const r = await store.cli(['run', '--rm', ...args, 'bb', 'true']);
    assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal(await store.ok(['run', '--rm', '--pull', 'never', 'bb', 'echo', 'ok']), 'ok\n');
});

test('--cpus, --cpu-shares, --memory: the container reads its own limits at /sys/fs/cgroup and cannot change them', async () => {
  const out = await store.ok(['run', '--rm', '-m', '64m', '--cpus', '0.5', '--cpu-shares', '512', 'bb', 'sh', '-c',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/pids/pids.max; grep -c . /proc/self/cgroup >/dev/null; grep memory /proc/self/cgroup; echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes || echo refused; mkdir /sys/fs/cgroup/memory/sub || echo no-mkdir']);
  const lines = out.split('\n');
  assert.equal(lines[0], String(64 * 1024 * 1024), '--memory 64m');
  assert.equal(lines[1], '50000', '--cpus 0.5: half of each 100 ms period');
  assert.equal(lines[2], '100000');
  assert.equal(lines[3], '512');
  assert.equal(lines[4], '4096', 'the default pids limit');
  assert.match(lines[5], /^\d+:memory:\/$/, 'its own cgroup is the root of its cgroup namespace');
  assert.equal(lines[6], 'refused', 'read-only');
  assert.equal(lines[7], 'no-mkdir');
  const c = await store.ok(['create', '--cpus', '1.5', '-c', '100', 'bb']);
  const shown = await inspect(c.trim());
  assert.equal(shown.HostConfig.NanoCpus, 1_500_000_000);
  assert.equal(shown.HostConfig.CpuShares, 100);
  await store.ok(['rm', c.trim()]);
});

test('--init: pid 1 is a reaper that passes on signals and the exit code; without it zombies stay', async () => {
  const zombies = async (name: string) => {
    // an exec'd shell's background child is orphaned to pid 1 and exits: reaped or a zombie
    await store.ok(['exec', name, 'sh', '-c', 'sleep 0.1 & exit 0']);
    await sleep(800);
    return (await store.ok(['exec', name, 'ps', '-o', 'stat,comm'])).split('\n').filter((l) => /^Z/.test(l)).length;
  };
  await store.ok(['run', '-d', '--name', 'with-init', '--init', 'bb', 'sleep', '300']);
  await store.ok(['run', '-d', '--name', 'no-init', 'bb', 'sleep', '300']);
  try {
    const ps = await store.ok(['exec', 'with-init', 'ps', '-o', 'pid,comm,args']);
    assert.match(ps, /^\s*1 docker-init\s+\/sbin\/docker-init -- sleep 300$/m);
    assert.match(ps, /^\s*\d+ sleep\s+sleep 300$/m);
    assert.equal(await zombies('with-init'), 0, 'the reaper reaped the orphan');
    assert.equal(await zombies('no-init'), 1, 'sleep as pid 1 does not reap: the orphan stays a zombie');
    assert.equal((await inspect('with-init')).HostConfig.Init, true);
    const top = await store.ok(['top', 'with-init']);
    assert.match(top, /\/sbin\/docker-init -- sleep 300\n/, 'top shows the reaper as Docker does');
    // stop's SIGTERM reaches sleep through the reaper (sleep as pid 1 would ignore it)
    await store.ok(['stop', '-t', '30', 'with-init']);
    assert.equal((await inspect('with-init')).State.ExitCode, 143, 'SIGTERM ended the command: 128+15');
  } finally {
    await store.cli(['rm', '-f', 'with-init', 'no-init']);
  }
  const code = await store.cli(['run', '--rm', '--init', 'bb', 'sh', '-c', 'exit 7']);
  assert.equal(code.code, 7);
  const missing = await store.cli(['run', '--rm', '--init', 'bb', 'no-such-command']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found/);
});

test('--security-opt no-new-privileges: on by default (Strata), off when asked', async () => {
  assert.equal(status(await store.ok(['run', '--rm', 'bb', 'cat', '/proc/self/status']), 'NoNewPrivs'), '1');
  const off = await store.ok(['run', '--rm', '--security-opt', 'no-new-privileges=false', '-u', '65534', 'bb', 'cat', '/proc/self/status']);
  assert.equal(status(off, 'NoNewPrivs'), '0');
  assert.equal(status(off, 'Seccomp'), '2', 'the seccomp filter is still there (installed before the capabilities went)');
  const id = (await store.ok(['create', '--security-opt', 'no-new-privileges=false', 'bb'])).trim();
  assert.deepEqual((await inspect(id)).HostConfig.SecurityOpt, ['no-new-privileges=false']);
  await store.ok(['rm', id]);
});

test('--restart: on-failure:N, always across a helper crash, not after stop; unless-stopped stays stopped', async () => {
  await store.ok(['run', '-d', '--name', 'fails', '--restart', 'on-failure:2', 'bb', 'sh', '-c', 'echo ran; exit 3']);
  await until('three runs of "fails"', async () => (await store.ok(['logs', 'fails'])) === 'ran\nran\nran\n' && (await inspect('fails')).State.Status === 'exited');
  await sleep(1500);
  assert.equal(await store.ok(['logs', 'fails']), 'ran\nran\nran\n', 'no fourth run');
  const f = await inspect('fails');
  assert.equal(f.RestartCount, 2);
  assert.deepEqual(f.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(f.State.ExitCode, 3);

  await store.ok(['run', '-d', '--name', 'ok-once', '--restart', 'on-failure', 'bb', 'true']);
  await store.ok(['run', '-d', '--name', 'always', '--restart', 'always', 'bb', 'sleep', '300']);
  await store.ok(['run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'bb', 'sleep', '300']);
  await store.ok(['run', '-d', '--name', 'unless-stopped-by-hand', '--restart', 'unless-stopped', 'bb', 'sleep', '300']);
  await store.ok(['stop', '-t', '0', 'unless-stopped-by-hand']);
  const pidBefore = (await inspect('always')).State.Pid;
  await store.stopHelper('SIGKILL'); // its shims kill the containers
  await until('always and unless-stopped running again under a new helper', async () => {
    const [a, u] = [await inspect('always'), await inspect('unless')];
    return a.State.Running && u.State.Running;
  });
  assert.notEqual((await inspect('always')).State.Pid, pidBefore);
  assert.equal((await inspect('unless-stopped-by-hand')).State.Running, false, 'stopped by hand: not restarted');
  assert.equal((await inspect('ok-once')).State.Running, false, 'on-failure after exit 0: not restarted');
  await store.ok(['stop', '-t', '0', 'always']);
  await sleep(1500);
  assert.equal((await inspect('always')).State.Running, false, 'stop is not a failure to restart from');
  await store.ok(['start', 'always']);
  await store.ok(['kill', 'always']);
  await sleep(1500);
  assert.equal((await inspect('always')).State.Running, false, 'kill is a stop by hand too');
  await store.cli(['rm', '-f', 'fails', 'ok-once', 'always', 'unless', 'unless-stopped-by-hand']);
  assert.ok(!existsSync(join(store.root, 'containers', f.Id)));
});

test('top: Docker\'s C and TTY columns (pts/0 with a terminal, ? without)', async () => {
  await store.ok(['run', '-d', '-t', '--name', 'with-tty', 'bb', 'sleep', '300']);
  try {
    const procs = JSON.parse(await store.ok(['top', 'with-tty', '--format', 'json'])) as { tty: string; cpuPercent: number; containerPid: number }[];
    const init = procs.find((p) => p.containerPid === 1)!;
    assert.equal(init.tty, 'pts/0', 'the terminal as the container names it');
    assert.equal(init.cpuPercent, 0, 'sleep uses no CPU');
    assert.match(await store.ok(['top', 'with-tty']), /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CONTAINER PID\s+CMD\n0\s+\d+\s+\d+\s+0\s+\S+\s+pts\/0\s+00:00:00\s+1\s+sleep 300\n/);
  } finally {
    await store.cli(['rm', '-f', 'with-tty']);
  }
});

test('the small flags: logs --since/--until, ps -n/-l/-s, stop --timeout, rm -v, images --digests, commit -c EXPOSE, version and info --format', async () => {
  await store.ok(['run', '--name', 'talker', 'bb', 'sh', '-c', 'echo early; sleep 2; echo late']);
  try {
    const stamped = (await store.ok(['logs', '-t', 'talker'])).trim().split('\n');
    const lateAt = Date.parse(stamped[1].split(' ')[0]);
    const middle = new Date(lateAt - 1000).toISOString();
    assert.equal(await store.ok(['logs', '--since', middle, 'talker']), 'late\n');
    assert.equal(await store.ok(['logs', '--until', middle, 'talker']), 'early\n');
    assert.equal(await store.ok(['logs', '--since', String((lateAt - 1000) / 1000), 'talker']), 'late\n', 'unix seconds');
    assert.equal(await store.ok(['logs', '--since', '1h', 'talker']), 'early\nlate\n', 'a duration before now');
    const bad = await store.cli(['logs', '--since', 'yesterday', 'talker']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /failed to parse value as time or duration: "yesterday"/);

    await store.ok(['run', '--name', 'newest', 'bb', 'sh', '-c', 'echo 12345 > /five']);
    assert.equal(await store.ok(['ps', '-l', '--format', '{{.Names}}']), 'newest\n', '-l: the latest, stopped or not');
    assert.equal(await store.ok(['ps', '-n', '2', '--format', '{{.Names}}']), 'newest\ntalker\n');
    const sized = await store.ok(['ps', '-l', '-s']);
    assert.match(sized.split('\n')[0], /\s+NAMES\s+SIZE$/);
    assert.match(sized.split('\n')[1], /newest\s+6B \(virtual \d+(\.\d+)?MB\)$/, 'its changes (6 bytes) and with its image');

    await store.ok(['commit', '-c', 'EXPOSE 8080 53/udp', '-c', 'LABEL role=test', 'newest', 'exposed']);
    const img = JSON.parse(await store.ok(['inspect', '--type', 'image', 'exposed']))[0];
    assert.deepEqual(img.Config.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.equal(img.Config.Labels.role, 'test');
    assert.match(await store.ok(['images', '--digests', 'exposed']), /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE\nexposed\s+latest\s+<none>\s+[0-9a-f]{12}\s/);
    await store.ok(['rmi', 'exposed']);
  } finally {
    assert.equal(await store.ok(['rm', '-v', 'talker', 'newest']), 'talker\nnewest\n', 'rm -v is accepted');
  }
  await store.ok(['run', '-d', '--name', 'stubborn', 'bb', 'sleep', '300']);
  await store.ok(['stop', '--timeout', '0', 'stubborn']); // sleep as pid 1 ignores SIGTERM: killed at once
  assert.equal((await inspect('stubborn')).State.ExitCode, 137);
  const badTimeout = await store.cli(['stop', '--timeout', 'x', 'stubborn']);
  assert.equal(badTimeout.code, 125);
  assert.match(badTimeout.stderr, /invalid argument "x" for "-t, --timeout" flag/);
  await store.ok(['rm', 'stubborn']);

  assert.equal(await store.ok(['version', '--format', '{{.Server.Version}}']), `${JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version}\n`);
  const info = JSON.parse(await store.ok(['info', '--format', '{{json .}}']));
  assert.equal(info.DockerRootDir, store.root);
  assert.equal(info.NCPU, (await import('node:os')).cpus().length);
  assert.ok(info.SecurityOptions.includes('name=no-new-privileges'));
  assert.match(await store.ok(['info']), /^ Cgroup Version: [12]$/m);
});

// CVE-2022-36109 (Docker 20.10.18's fix): the primary group is always among the supplementary
// groups, so a process cannot leave it (newgrp, sg) to escape a group-denying mode such as 0705.
test('-u: the primary group is the first supplementary group, then the user\'s groups from /etc/group', async () => {
  const groups = async (...user: string[]) => status(await store.ok(['run', '--rm', ...user, 'bb', 'cat', '/proc/self/status']), 'Groups');
  assert.equal(await groups(), '0', 'root');
  assert.equal(await groups('-u', 'nobody'), '65534', 'a user by name: its primary group from /etc/passwd');
  assert.equal(await groups('-u', '1000:2000'), '2000', 'numeric ids in no file: the group given');
  // A user listed as a member of another group gets that group after its primary one.
  await store.ok(['run', '--name', 'member', 'bb', 'sh', '-c', 'sed -i "s/^tty:x:5:$/tty:x:5:daemon/" /etc/group']);
  await store.ok(['commit', 'member', 'bb-member']);
  const line = /^Groups:\s*(.*)$/m.exec(await store.ok(['run', '--rm', '-u', 'daemon', 'bb-member', 'cat', '/proc/self/status']))?.[1].trim();
  assert.equal(line, '1 5');
});
