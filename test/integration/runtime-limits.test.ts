// cgroup limits as a user meets them: a fork bomb stops at the pids limit and the container still
// ends, the memory limit is set and an allocation beyond it is killed, and pause (freezer) works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeze, launch, thaw } from '../../helper/runtime';
import { cgroupLayout } from '../../helper/runtime/cgroup-layout';
import { existingCgroupDirs } from '../../helper/runtime/cgroups';
import { ErrorCode } from '../../helper/protocol/errors';
import { finish, makeRuntimeStore, Output, runToEnd, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

function cgroupFile(id: string, controller: string, file: string): string {
  const dir = existingCgroupDirs(id).find((d) => cgroupLayout().version === 2 || d.includes(`/${controller}/`));
  assert.ok(dir, `a ${controller} cgroup exists for the container`);
  return readFileSync(join(dir, file), 'utf8').trim();
}

test('a fork bomb stops at the pids limit and the container still exits', async () => {
  const script = 'while :; do sleep 100 & done';
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', script], pidsLimit: 20 }));
  assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
  assert.equal(r.code, 2); // the shell gives up; its pid namespace (every sleep) goes with it
});

test('no more processes than the limit can run at once', async () => {
  // each try forks a subshell that starts a background sleep and leaves it running
  const script = 'n=0; i=0; while [ $i -lt 60 ]; do (sleep 100 &) 2>/dev/null || n=$((n+1)); i=$((i+1)); done; echo $((60 - n))';
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', script], pidsLimit: 20 }));
  const started = Number(r.stdout.trim());
  assert.ok(started > 10 && started < 20, `started ${started} sleeps beside the shell under pids.max 20`);
});

test('the limits are written to the container\'s cgroups, and its init is in them', async () => {
  const spec = store.spec({ cmd: ['cat'], openStdin: true, memoryBytes: 64 * 1024 * 1024, pidsLimit: 50 });
  const proc = await launch(spec);
  const done = finish(proc);
  assert.equal(cgroupFile(spec.id, 'pids', 'pids.max'), '50');
  if (cgroupLayout().version === 1) assert.equal(cgroupFile(spec.id, 'memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  else assert.equal(cgroupFile(spec.id, 'memory', 'memory.max'), String(64 * 1024 * 1024));
  for (const dir of existingCgroupDirs(spec.id)) {
    assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(proc.pid)), `init joined ${dir}`);
  }
  proc.stdin!.end();
  assert.equal((await done).code, 0);
});

test('without a pids limit the default applies', async () => {
  const spec = store.spec({ cmd: ['cat'], openStdin: true });
  const proc = await launch(spec);
  const done = finish(proc);
  assert.equal(cgroupFile(spec.id, 'pids', 'pids.max'), '4096');
  proc.stdin!.end();
  await done;
});

test('allocating beyond the memory limit gets the process killed', async () => {
  const r = await runToEnd(store.spec({ cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], memoryBytes: 32 * 1024 * 1024 }));
  assert.equal(r.code, 137); // SIGKILL from the OOM killer
});

test('freeze stops the container, thaw resumes it', async () => {
  const spec = store.spec({ cmd: ['sh', '-c', 'while read line; do echo "got $line"; done'], openStdin: true });
  const proc = await launch(spec);
  const out = new Output(proc.stdout);
  const done = proc.exited;
  await freeze(spec.id);
  if (cgroupLayout().version === 1) assert.equal(cgroupFile(spec.id, 'freezer', 'freezer.state'), 'FROZEN');
  else assert.match(cgroupFile(spec.id, 'unified', 'cgroup.events'), /^frozen 1$/m);
  proc.stdin!.write('while-frozen\n');
  await thaw(spec.id);
  if (cgroupLayout().version === 1) assert.equal(cgroupFile(spec.id, 'freezer', 'freezer.state'), 'THAWED');
  await out.waitFor(/got while-frozen\n/);
  proc.stdin!.end();
  assert.equal(await done, 0);
  await assert.rejects(freeze(spec.id), (err: { code: number }) => err.code === ErrorCode.NotRunning);
});

test('a paused container can still be killed', async () => {
  const spec = store.spec({ cmd: ['sleep', '100'] });
  const proc = await launch(spec);
  await freeze(spec.id);
  proc.signal('SIGKILL');
  await thaw(spec.id); // SIGKILL is delivered when the task runs again
  assert.equal(await proc.exited, 137);
});
