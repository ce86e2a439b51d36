// The seccomp allowlist (issue 14, defect 7): the filter a container runs under, read back from the
// kernel, answers every syscall number as Docker's default profile does for Strata's capabilities
// (test/support/docker-seccomp.ts), and the real kernel behind it agrees: a sample of Docker's list
// reaches the kernel and gets the host's answer, a sample outside it gets EPERM where the host's
// kernel answers otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { containerProcesses, execIn } from '../../helper/runtime';
import { DEFAULT_PATH, eventually, makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';
import { buildSyscallProbe, probeResults } from '../support/syscall-probe';
import { AUDIT_ARCH, buildSeccompDump, dumpFilter, evaluate, type Insn } from '../support/seccomp-bpf';
import { CONDITIONAL_X86_64, DOCKER_REFUSED_X86_64, LAST_REVIEWED, X86_64_UNASSIGNED } from '../support/docker-seccomp';

let store: RuntimeStore;
let tools: string;
let dump: string;
before(async () => {
  assert.equal(process.arch, 'x64', 'the expected answers are x86_64\'s (test/support/docker-seccomp.ts)');
  store = await makeRuntimeStore();
  tools = mkdtempSync('/tmp/strata-seccomp-tools-');
  dump = buildSeccompDump(tools);
});
after(async () => {
  await store.dispose();
  rmSync(tools, { recursive: true, force: true });
});

/** The filter of a process once it runs `comm` under one (the shim installs it just before execve). */
async function filterOf(pid: number, comm: string): Promise<Insn[]> {
  await eventually(`${comm} (pid ${pid}) under a seccomp filter`, () => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return status.includes(`Name:\t${comm}\n`) && /^Seccomp:\t2$/m.test(status);
  });
  return dumpFilter(dump, pid);
}

const refusedNumbers = new Set(Object.values(DOCKER_REFUSED_X86_64));
const conditional = new Map(CONDITIONAL_X86_64.map((c) => [c.nr, c]));

/** Docker's answer for a number with all-zero arguments; conditional ones are asked case by case. */
function expected(nr: number): string {
  if (nr >= 0x40000000) return 'EPERM'; // the x32 ABI's numbers: another ABI, refused whole
  if (nr > LAST_REVIEWED) return 'ENOSYS';
  if (refusedNumbers.has(nr) || (nr >= X86_64_UNASSIGNED.from && nr <= X86_64_UNASSIGNED.to)) return 'EPERM';
  return 'allow';
}

test('the installed filter answers every syscall number (0-1023, x32, other ABIs) as Docker\'s profile does, and a lookup is a tree, not a list', async (t) => {
  const { init } = await store.sleeper();
  const prog = await filterOf(init.pid, 'sleep');
  const wrong: string[] = [];
  const steps: number[] = [];
  const argSteps: number[] = [];
  const high = [0x40000000, 0x40000000 + 1, 0x40000000 + 59, 0x7fffffff, 0xffffffff];
  for (const nr of [...Array.from({ length: 1024 }, (_, i) => i), ...high]) {
    if (conditional.has(nr)) continue;
    // With zero arguments and with every argument's bits set: a plain rule never reads them.
    for (const args of [[0n, 0n, 0n, 0n, 0n, 0n], Array(6).fill(0xffffffffffffffffn)]) {
      const got = evaluate(prog, { nr, args });
      if (got.answer !== expected(nr)) wrong.push(`${nr} (args ${args[0] ? 'all ones' : 'zero'}): ${got.answer}, expected ${expected(nr)}`);
      if (nr <= LAST_REVIEWED && !args[0]) steps.push(got.steps);
    }
  }
  for (const c of CONDITIONAL_X86_64) {
    for (const [arg0, answer] of c.cases) {
      const got = evaluate(prog, { nr: c.nr, args: [arg0] });
      argSteps.push(got.steps);
      if (got.answer !== answer) wrong.push(`${c.name}(0x${arg0.toString(16)}): ${got.answer}, expected ${answer}`);
    }
  }
  for (const arch of [AUDIT_ARCH.I386, AUDIT_ARCH.AARCH64, AUDIT_ARCH.ARM, 0]) {
    for (const nr of [0, 1, 3, 11, 59, 252]) {
      const got = evaluate(prog, { nr, arch });
      if (got.answer !== 'EPERM') wrong.push(`arch 0x${arch.toString(16)} nr ${nr}: ${got.answer}, expected EPERM`);
    }
  }
  assert.deepEqual(wrong, []);
  const max = Math.max(...steps);
  const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
  const leaves = prog.filter((i) => i.code === 0x06).length;
  t.diagnostic(`filter: ${prog.length} instructions, ${leaves} returns; a lookup of 0..${LAST_REVIEWED} runs ${Math.min(...steps)}-${max} (mean ${mean.toFixed(1)}), one with an argument rule up to ${Math.max(...argSteps)}`);
  // A list of ~350 numbers costs the last ones ~350 comparisons; a balanced tree of ~100 ranges
  // costs the 4 of the architecture check, ~8 comparisons and personality's 8-instruction leaf.
  assert.ok(Math.max(max, ...argSteps) <= 24, `a lookup ran up to ${max} instructions: not a search tree`);
});

test('a process started by exec runs under the same filter as the container\'s init', async () => {
  const { spec, init } = await store.sleeper();
  const exec = await execIn({ pid: init.pid, id: spec.id }, { cmd: ['sleep', '999'], env: [DEFAULT_PATH], cwd: '/', user: '', tty: false, openStdin: false });
  exec.stdout.resume();
  exec.stderr?.resume();
  try {
    const other = await eventually('the exec\'d sleep', async () => (await containerProcesses(spec.id)).find((p) => p.pid !== init.pid && p.command.includes('999')));
    assert.deepEqual(await filterOf(other.pid, 'sleep'), await filterOf(init.pid, 'sleep'));
  } finally {
    exec.signal('SIGKILL');
    await exec.exited;
  }
});

// x86_64 numbers. Allowed: each is safe to make with zero arguments here and on the host.
const ALLOWED_SAMPLE = {
  read: 0, ioctl: 16, getpid: 39, uname: 63, getrlimit: 97, modify_ldt: 154, arch_prctl: 158, chroot: 161,
  prlimit64: 302, name_to_handle_at: 303, clock_adjtime: 305, getrandom: 318, memfd_create: 319, membarrier: 324,
  statx: 332, rseq: 334, pidfd_open: 434, openat2: 437, faccessat2: 439, epoll_pwait2: 441, landlock_create_ruleset: 444,
  memfd_secret: 447, futex_waitv: 449, cachestat: 451, fchmodat2: 452, futex_wake: 454, statmount: 457, listmount: 458,
  mseal: 462, getxattrat: 464,
};
// Refused: each is harmless on the host with these arguments (a query, a no-op, or EFAULT/EINVAL).
const REFUSED_SAMPLE = {
  'syslog:a': 103 /* SYSLOG_ACTION_SIZE_BUFFER */, 'sysfs:3': 139 /* how many file system types */, ustat: 136, uselib: 134,
  pivot_root: 155, settimeofday: 164, mount: 165, umount2: 166, clock_settime: 227, get_mempolicy: 239, add_key: 248,
  keyctl: 250, unshare: 272, move_pages: 279, perf_event_open: 298, fanotify_init: 300, open_by_handle_at: 304, setns: 308,
  kcmp: 312, bpf: 321, userfaultfd: 323, unassigned: 400, io_uring_setup: 425, open_tree: 428, fsopen: 430,
  pidfd_getfd: 438, process_madvise: 440, mount_setattr: 442, quotactl_fd: 443, lsm_get_self_attr: 459,
  lsm_list_modules: 461, open_tree_attr: 467,
};
const arg = (name: string, nr: number) => (name.includes(':') ? `${nr}:${name.split(':')[1]}` : String(nr));
const EPERM = 1, ENOSYS = 38;

test('seccomp, by number: a sample of Docker\'s list reaches the kernel (the host\'s answer); a sample outside it gets EPERM where the host\'s kernel answers otherwise', async (t) => {
  const probeLayer = join(store.root, 'graph', 'probe-allowlist', 'layer');
  const probe = buildSyscallProbe(probeLayer);
  const allowed = Object.entries(ALLOWED_SAMPLE).map(([n, nr]) => arg(n, nr));
  const refused = Object.entries(REFUSED_SAMPLE).map(([n, nr]) => arg(n, nr));
  const newer = ['468', '469', '1000'];
  const asked = [...allowed, ...refused];
  const r = await runToEnd(store.spec({ cmd: ['/syscall-probe', ...asked, ...newer], layerDirs: [probeLayer, store.layerDir] }));
  assert.equal(r.code, 0, r.stderr);
  const inside = probeResults(r.stdout);
  const host = probeResults(execFileSync(probe, asked, { encoding: 'utf8' }));
  const rows = asked.map((a) => `${a.padEnd(8)} inside errno ${String(inside[a]).padStart(3)}   host errno ${String(host[a]).padStart(3)}`);
  t.diagnostic(`syscall  errno in the container vs on the host (0: returned)\n${rows.join('\n')}`);
  for (const a of allowed) assert.equal(inside[a], host[a], `${a} is on Docker's list: it reaches the kernel, which answers as on the host`);
  for (const a of allowed) assert.notEqual(inside[a], EPERM, `${a} is on Docker's list`);
  for (const a of refused) {
    assert.notEqual(host[a], EPERM, `${a}: the host's kernel says EPERM itself, so EPERM inside would prove nothing`);
    assert.equal(inside[a], EPERM, `${a} is outside Docker's list: EPERM`);
  }
  for (const a of newer) assert.equal(inside[a], ENOSYS, `${a} is newer than the review: ENOSYS, as from an older kernel`);
});

test('seccomp, by argument: clone with a namespace flag and socket(AF_ALG / AF_VSOCK) get EPERM, clone3 ENOSYS; other families reach the kernel', async () => {
  const probeLayer = join(store.root, 'graph', 'probe-args', 'layer');
  const probe = buildSyscallProbe(probeLayer);
  const CLONE = 56, CLONE3 = 435, SOCKET = 41;
  // Never made on the host (a clone with these flags would fork there), and inside only if refused.
  const insideOnly = [`${CLONE}:10000011`, `${CLONE}:20011`, `${CLONE}:40000011`, `${CLONE3}`];
  const families = ['1', '2', 'a', '10', '11', '26', '27', '28', '29', '100000026', '100000028'].map((f) => `${SOCKET}:${f}`);
  const r = await runToEnd(store.spec({ cmd: ['/syscall-probe', ...insideOnly, ...families], layerDirs: [probeLayer, store.layerDir] }));
  assert.equal(r.code, 0, r.stderr);
  const inside = probeResults(r.stdout);
  const host = probeResults(execFileSync(probe, families, { encoding: 'utf8' }));
  assert.deepEqual(insideOnly.map((a) => inside[a]), [EPERM, EPERM, EPERM, ENOSYS]);
  const refusedFamilies = new Set([`${SOCKET}:26`, `${SOCKET}:28`, `${SOCKET}:100000026`, `${SOCKET}:100000028`]);
  for (const f of families) {
    if (refusedFamilies.has(f)) {
      assert.notEqual(host[f], EPERM, `${f}: the host's kernel answers it otherwise`);
      assert.equal(inside[f], EPERM, `${f}: AF_ALG or AF_VSOCK (the kernel reads the family's low 32 bits)`);
    } else {
      assert.equal(inside[f], host[f], `${f}: a family Docker allows reaches the kernel`);
    }
  }
});
