// exec into a running container: the same hostname, pid namespace and root as its init, the same
// restrictions (capabilities, no_new_privs, fds), a terminal of the container's own, Docker's
// exit codes, and a refusal when the container is not (or no longer) running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { execIn, launch, ContainerStartError, type ContainerProcess, type LaunchSpec } from '../../helper/runtime';
import { cgroupProcs, existingCgroupDirs } from '../../helper/runtime/cgroups';
import { processArgs } from '../../helper/runtime/launch';
import { startShim } from '../../helper/runtime/shim-process';
import { ErrorCode } from '../../helper/protocol/errors';
import { DEFAULT_PATH, finish, makeRuntimeStore, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
let spec: LaunchSpec;
let init: ContainerProcess;
before(async () => {
  store = await makeRuntimeStore();
  ({ spec, init } = await store.sleeper());
});
after(async () => { await store.dispose(); });

const base = { env: [DEFAULT_PATH], cwd: '/', user: '', tty: false, openStdin: false };

async function exec(cmd: string[], extra = {}) {
  return finish(await execIn({ pid: init.pid, id: spec.id }, { ...base, cmd, ...extra }));
}

test('exec sees the container\'s hostname, pid namespace and root', async () => {
  const r = await exec(['sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "; echo; ls /; ps -o pid,comm; exit 0']);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], spec.id.slice(0, 12));
  assert.equal(lines[1], 'sleep 1000 ');
  const psAt = lines.findIndex((l) => /^PID\s+COMMAND$/.test(l));
  assert.deepEqual(lines.slice(2, psAt), readdirSync(store.layerDir).sort());
  const ps = lines.slice(psAt + 1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(ps[0], ['1', 'sleep']);
  assert.deepEqual(ps.map(([, comm]) => comm).sort(), ['ps', 'sh', 'sleep']);
});

test('an exec\'d process has the same restrictions as the init', async () => {
  const r = await exec(['sh', '-c', 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp)" /proc/self/status; ls -1 /proc/self/fd | tr "\\n" " "']);
  assert.equal(r.stdout, 'CapEff:\t00000000a00425fb\nCapBnd:\t00000000a00425fb\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n0 1 2 3 ');
});

test('exec takes user, cwd, env and stdin', async () => {
  const proc = await execIn({ pid: init.pid, id: spec.id }, { ...base, cmd: ['sh', '-c', 'id -u; pwd; echo $GREETING; cat'], user: 'nobody', cwd: '/tmp', env: ['GREETING=hi'], openStdin: true });
  const done = finish(proc);
  proc.stdin!.end('from stdin\n');
  assert.deepEqual(await done, { code: 0, stdout: '65534\n/tmp\nhi\nfrom stdin\n', stderr: '' });
});

test('exec with a terminal gets a pty of the container', async () => {
  const proc = await execIn({ pid: init.pid, id: spec.id }, { ...base, cmd: ['sh', '-c', 'tty; stty size'], tty: true, size: { cols: 90, rows: 33 } });
  const r = await finish(proc);
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n33 90\r\n$/);
  assert.equal(r.code, 0);
});

test('exec reports exit codes and start failures as docker exec does', async () => {
  assert.equal((await exec(['sh', '-c', 'exit 9'])).code, 9);
  await assert.rejects(execIn({ pid: init.pid, id: spec.id }, { ...base, cmd: ['nope'] }), (err: ContainerStartError) => {
    assert.ok(err instanceof ContainerStartError);
    assert.equal(err.exitCode, 127);
    assert.match(err.message, /executable file not found/);
    return true;
  });
});

test('exec refuses a pid that is not the container\'s', async () => {
  await assert.rejects(execIn({ pid: process.pid, id: spec.id }, { ...base, cmd: ['true'] }), (err: { code: number }) => err.code === ErrorCode.NotRunning);
  const other = store.spec();
  await assert.rejects(execIn({ pid: init.pid, id: other.id }, { ...base, cmd: ['true'] }), (err: { code: number }) => err.code === ErrorCode.NotRunning);
});

test('exec into a container that has exited is refused', async () => {
  const short = store.spec({ cmd: ['true'] });
  const proc = await launch(short);
  await proc.exited;
  await assert.rejects(execIn({ pid: proc.pid, id: short.id }, { ...base, cmd: ['true'] }), (err: { code: number }) => err.code === ErrorCode.NotRunning);
});

// execIn checks the pid, then starts the shim with it; between the two the container's init may
// exit and its number go to another process. What the shim is handed then is played here directly.
test('the shim joins a pid only while it is the init of this container (a pid reused after the helper\'s check is refused)', async () => {
  const shimExec = (pid: number) =>
    startShim({ args: ['exec', '--pid', String(pid), ...processArgs({ ...base, cmd: ['hostname'] }, existingCgroupDirs(spec.id))], tty: false, openStdin: false });
  const refused = (err: unknown) => err instanceof ContainerStartError && err.exitCode === 125 && /not the init of this container/.test(err.message);
  const other = store.spec({ cmd: ['sleep', '1000'] });
  const otherInit = await launch(other);
  try {
    await assert.rejects(shimExec(otherInit.pid), refused, 'the number now names another container\'s init');
  } finally {
    otherInit.signal('SIGKILL');
    await otherInit.exited;
  }
  assert.equal((await exec(['sh', '-c', 'sleep 999 </dev/null >/dev/null 2>&1 &'])).code, 0);
  const cgroup = existingCgroupDirs(spec.id)[0];
  const procs = await cgroupProcs(cgroup);
  const sleeper = procs.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x00999\x00');
  assert.ok(sleeper, `a second process in the container: ${procs.join(' ')}`);
  try {
    await assert.rejects(shimExec(sleeper), refused, 'the number now names a process of the container that is not its init');
  } finally {
    process.kill(sleeper, 'SIGKILL');
  }
  assert.equal((await finish(await shimExec(init.pid))).stdout, `${spec.id.slice(0, 12)}\n`, 'the init itself is joined');
});
