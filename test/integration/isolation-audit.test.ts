// The isolation audit (issue 14, item 5): what a process in a container can see and do, checked
// from inside as runc's integration tests check it (tests/integration/{mask,dev,cwd,tty,cgroups,
// capabilities,seccomp}.bats and friends), one row per check, printed as a table. Each check looks
// for the defence's effect, so that it fails when the defence goes (the report of issue 14 says
// which rows failed with the shim's masking, no_new_privs or seccomp removed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchSpec } from '../../helper/runtime';
import { makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';
import { runSteps, table } from '../support/container-steps';
import { buildSyscallProbe } from '../support/syscall-probe';

type Group = 'root' | 'nobody' | 'cwd' | 'cwd-up' | 'tty' | 'limits' | 'own';
interface Check {
  area: string;
  /** The runc integration test (tests/integration/*.bats) the check mirrors. */
  mirrors: string;
  what: string;
  group: Group;
  /** A step for sh -c, or with group 'own' the container's whole command. */
  script: string | string[];
  /** With group 'own': the container's settings. */
  overrides?: Partial<LaunchSpec>;
  expect: RegExp | ((out: string, code: number) => boolean);
}

let store: RuntimeStore;
let extra: string;
const ids: Record<Exclude<Group, 'own'>, string> = {} as Record<Exclude<Group, 'own'>, string>;
const marker = `/tmp/strata-audit-${process.pid}`;
const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter((f) => existsSync(f));
const hostNs = Object.fromEntries(['mnt', 'uts', 'ipc', 'pid', 'net'].map((n) => [n, readlinkSync(`/proc/self/ns/${n}`)]));
const EFF = '00000000a00425fb'; // Docker's default capabilities without CAP_MKNOD (README "Capabilities")

before(async () => {
  store = await makeRuntimeStore();
  for (const g of Object.keys(groupSpecs)) ids[g as keyof typeof ids] = randomBytes(32).toString('hex');
  // Above busybox: the syscall probe, and a copy of /dev/zero's node as a layer could carry one.
  extra = join(store.root, 'graph', 'audit', 'layer');
  buildSyscallProbe(extra);
  execFileSync('mknod', [join(extra, 'host-zero'), 'c', '1', '5']);
  writeFileSync(marker, 'host secret');
});
after(async () => {
  rmSync(marker, { force: true });
  await store.dispose();
});

const groupSpecs = {
  root: {},
  nobody: { user: 'nobody', cwd: '/tmp' },
  cwd: { cwd: '/new/work/dir' },
  'cwd-up': { cwd: '/../../../etc' },
  tty: { tty: true, user: 'nobody' },
  limits: { pidsLimit: 8, memoryBytes: 16 * 1024 * 1024 },
};

const lines = (out: string) => out.split('\n');
const CHECKS: Check[] = [
  { area: 'mask', mirrors: 'mask.bats', what: `the /proc files Docker masks read empty (${masked.length} on this kernel)`, group: 'root',
    script: `for f in ${masked.join(' ')}; do echo "$f $(cat $f | wc -c)"; done`, expect: (out) => out === masked.map((f) => `${f} 0`).join('\n') && masked.length >= 2 },
  { area: 'mask', mirrors: 'mask.bats', what: 'a write into a masked file reaches nothing', group: 'root',
    script: 'echo secret > /proc/keys; cat /proc/keys | wc -c', expect: /^0$/ },
  { area: 'mask', mirrors: 'mask.bats', what: '/proc/acpi is an empty read-only dir', group: 'root', script: 'ls -A /proc/acpi | wc -l; touch /proc/acpi/x', expect: /^0\n.*Read-only file system$/ },
  { area: 'mask', mirrors: 'mask.bats', what: '/sys/firmware is an empty read-only dir', group: 'root', script: 'ls -A /sys/firmware | wc -l; touch /sys/firmware/x', expect: /^0\n.*Read-only file system$/ },
  { area: 'proc', mirrors: 'mask.bats', what: '/proc/sys is read-only: no host kernel setting changes', group: 'root', script: 'echo evil > /proc/sys/kernel/hostname', expect: /Read-only file system/ },
  { area: 'proc', mirrors: 'mask.bats', what: '/proc/bus, /proc/fs, /proc/irq are read-only', group: 'root',
    script: "grep -E ' /proc/(bus|fs|irq) ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1", expect: /^\/proc\/bus ro\n\/proc\/fs ro\n\/proc\/irq ro$/ },
  { area: 'sys', mirrors: 'mask.bats', what: '/sys is ro,nosuid,nodev,noexec and a write fails', group: 'root',
    script: "grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1-4; touch /sys/kernel/x", expect: /^ro,nosuid,nodev,noexec\n.*Read-only file system$/ },
  { area: 'cgroups', mirrors: 'cgroups.bats', what: '/sys/fs/cgroup holds the container\'s own cgroups, read-only: no limit can be raised', group: 'root',
    script: "grep ' /sys/fs/cgroup' /proc/self/mountinfo | grep -vc ' ro,'; echo max > /sys/fs/cgroup/pids/pids.max || echo refused; cat /sys/fs/cgroup/pids/pids.max",
    expect: (out) => /^0\n.*Read-only file system\nrefused\n\d+$/.test(out) },
  { area: 'dev', mirrors: 'dev.bats', what: '/dev holds only the runtime\'s own nodes and links', group: 'root', script: "ls -A /dev | tr '\\n' ' '",
    expect: /^fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero$/ },
  { area: 'dev', mirrors: 'dev.bats', what: 'each device is the one its name says (major:minor)', group: 'root', script: "stat -c '%n %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty",
    expect: /^\/dev\/null 1:3\n\/dev\/zero 1:5\n\/dev\/full 1:7\n\/dev\/random 1:8\n\/dev\/urandom 1:9\n\/dev\/tty 5:0$/ },
  { area: 'dev', mirrors: 'dev.bats', what: '/dev is a nosuid tmpfs; /dev/shm and /dev/mqueue nosuid,nodev,noexec', group: 'root',
    script: "grep -E ' /dev(/shm|/mqueue)? ' /proc/mounts | cut -d' ' -f2,3,4 | cut -d, -f1-4",
    expect: /^\/dev tmpfs rw,nosuid,\S*\n\/dev\/shm tmpfs rw,nosuid,nodev,noexec\n\/dev\/mqueue mqueue rw,nosuid,nodev,noexec$/ },
  { area: 'dev', mirrors: 'dev.bats', what: '/dev/pts is a devpts of its own: no host terminal in it', group: 'root',
    script: "grep ' /dev/pts ' /proc/mounts | grep -o 'ptmxmode=666'; readlink /dev/ptmx; ls /dev/pts", expect: /^ptmxmode=666\npts\/ptmx\nptmx$/ },
  { area: 'dev', mirrors: 'dev.bats', what: 'no block device, and none can be made (no CAP_MKNOD)', group: 'root',
    script: 'find /dev -type b | wc -l; mknod /tmp/sda b 8 0', expect: /^0\n.*Operation not permitted$/ },
  { area: 'dev', mirrors: 'dev.bats', what: 'a device node in a layer is inert (the root fs is nodev)', group: 'root', script: 'head -c3 /host-zero | wc -c', expect: /Permission denied/ },
  { area: 'cwd', mirrors: 'cwd.bats', what: 'a missing working directory is made and the command starts in it', group: 'cwd', script: 'pwd', expect: /^\/new\/work\/dir$/ },
  { area: 'cwd', mirrors: 'cwd.bats', what: 'a non-root user gets its working directory and its ids', group: 'nobody', script: 'id -u; id -g; pwd', expect: /^65534\n65534\n\/tmp$/ },
  { area: 'cwd', mirrors: 'cwd.bats', what: 'a working directory above / stays inside the container', group: 'cwd-up', script: `pwd; cat ${marker}`, expect: /^\/etc\n.*No such file or directory$/ },
  { area: 'tty', mirrors: 'tty.bats', what: 'without -t, fds 0-2 are /dev/null and pipes, no terminal', group: 'root',
    script: 'for i in 0 1 2; do readlink /proc/1/fd/$i; done', expect: /^\/dev\/null\npipe:\[\d+\]\npipe:\[\d+\]$/ },
  { area: 'tty', mirrors: 'tty.bats', what: 'without -t, no controlling terminal (a new session)', group: 'root', script: 'cat /dev/tty', expect: /No such device or address/ },
  { area: 'tty', mirrors: 'tty.bats', what: 'TIOCSTI finds no terminal to push input into (init\'s fds 0-2)', group: 'root',
    script: 'exec 5</proc/1/fd/0 6>/proc/1/fd/1 7>/proc/1/fd/2; /syscall-probe 16:5:5412 16:6:5412 16:7:5412', expect: /^16:5:5412=25 [^\n]*\n16:6:5412=25 [^\n]*\n16:7:5412=25 / },
  { area: 'tty', mirrors: 'tty.bats', what: 'with -t, the terminal is the container\'s own /dev/pts/0, owned by its user', group: 'tty',
    script: "readlink /proc/1/fd/0; stat -c %u /dev/pts/0; ls /dev/pts | tr '\\n' ' '", expect: /^\/dev\/pts\/0\n65534\n0 ptmx$/ },
  { area: 'cgroups', mirrors: 'cgroups.bats', what: 'the processes are at the root of a cgroup namespace of their own (no host cgroup path shows)', group: 'root',
    script: "grep -E ':(pids|memory|freezer):' /proc/self/cgroup; grep -c strata /proc/self/cgroup", expect: (out) => lines(out).length === 4 && lines(out).slice(0, 3).every((l) => l.endsWith(':/')) && lines(out)[3] === '0' },
  { area: 'limits', mirrors: 'cgroups.bats', what: 'memory limit: 64 MiB in a 16 MiB container is killed', group: 'limits',
    script: 'dd if=/dev/zero of=/dev/null bs=64M count=1; echo rc=$?', expect: /rc=137$/ },
  { area: 'limits', mirrors: 'cgroups.bats', what: 'pids limit: a fork loop stops at 8 tasks', group: 'own', overrides: { pidsLimit: 8 },
    // sh is pid 1 and counts with builtins; it stops at the first fork the kernel refuses.
    script: ['sh', '-c', 'i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); echo $i; done'],
    expect: (out) => /can't fork: Resource temporarily unavailable/.test(out) && Number(out.split('\n').filter((l) => /^\d+$/.test(l)).pop()) === 7 },
  { area: 'fds', mirrors: 'run.bats', what: 'only 0, 1, 2 reach the program (3 is ls\'s own)', group: 'own',
    script: ['ls', '-l', '/proc/self/fd'], expect: /^total 0\n.* 0 -> \/dev\/null\n.* 1 -> pipe:\[\d+\]\n.* 2 -> pipe:\[\d+\]\n[^\n]* 3( -> \S+)?(\nls: \/proc\/self\/fd\/3: cannot read link: No such file or directory)?$/ },
  { area: 'caps', mirrors: 'capabilities.bats', what: 'root: Docker\'s default capabilities minus MKNOD; inheritable, ambient empty', group: 'root',
    script: 'grep ^Cap /proc/self/status', expect: new RegExp(`^CapInh:\\t0{16}\\nCapPrm:\\t${EFF}\\nCapEff:\\t${EFF}\\nCapBnd:\\t${EFF}\\nCapAmb:\\t0{16}$`) },
  { area: 'caps', mirrors: 'capabilities.bats', what: 'a non-root user has no capabilities', group: 'nobody', script: 'grep -E "^Cap(Prm|Eff)" /proc/self/status', expect: /^CapPrm:\t0{16}\nCapEff:\t0{16}$/ },
  { area: 'no_new_privs', mirrors: 'no_new_privs.bats', what: 'no_new_privs is set', group: 'root', script: 'grep NoNewPrivs /proc/self/status', expect: /^NoNewPrivs:\t1$/ },
  { area: 'no_new_privs', mirrors: 'no_new_privs.bats', what: 'a setuid-root program does not raise a non-root user', group: 'root',
    script: 'cp /syscall-probe /tmp/sp && chmod 4755 /tmp/sp && su -s /bin/sh -c "/tmp/sp 107" nobody', expect: /^107=0 ret=65534$/ },
  { area: 'seccomp', mirrors: 'seccomp.bats', what: 'a seccomp filter is installed (mode 2, one filter)', group: 'root', script: 'grep -E "^Seccomp(_filters)?:" /proc/self/status', expect: /^Seccomp:\t2\nSeccomp_filters:\t1$/ },
  { area: 'seccomp', mirrors: 'seccomp.bats', what: 'no new user namespace (it would give back every capability)', group: 'root', script: 'unshare -U -r id -u', expect: /unshare\(0x10000000\): Operation not permitted/ },
  { area: 'seccomp', mirrors: 'seccomp.bats', what: 'keyctl, bpf, userfaultfd, io_uring_setup refused (EPERM)', group: 'root', script: '/syscall-probe 250 321 323 425 | cut -d" " -f1', expect: /^250=1\n321=1\n323=1\n425=1$/ },
  { area: 'net', mirrors: 'netns.bats', what: '--network none: only lo, and it is up', group: 'root', script: 'ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up', expect: /^lo\nlo-up$/ },
  { area: 'net', mirrors: 'netns.bats', what: '--network none: nothing outside is reachable', group: 'root', script: 'ping -c1 -W1 192.0.2.1', expect: /Network is unreachable/ },
  { area: 'ns', mirrors: 'run.bats', what: 'mount, uts, ipc, pid, net namespaces are the container\'s own', group: 'root',
    script: 'for n in mnt uts ipc pid net; do readlink /proc/1/ns/$n; done', expect: (out) => lines(out).length === 5 && lines(out).every((l) => l.includes(':[') && !Object.values(hostNs).includes(l)) },
  { area: 'ns', mirrors: 'run.bats', what: 'the command is pid 1 and sees only its own processes', group: 'own', script: ['ps', '-o', 'pid,comm'], expect: /^PID\s+COMMAND\n\s*1 ps$/ },
  { area: 'ns', mirrors: 'hostname.bats', what: 'the hostname is the short id and cannot be changed', group: 'root',
    script: 'hostname evil; hostname', expect: (out) => lines(out).pop() === ids.root.slice(0, 12) && /Operation not permitted/.test(out) },
  { area: 'mounts', mirrors: 'mounts.bats', what: 'root in the container cannot mount', group: 'root', script: 'mkdir -p /mnt && mount -t tmpfs none /mnt', expect: /Operation not permitted|permission denied/i },
  { area: 'root', mirrors: 'run.bats', what: '/ is the image\'s root: a host file is unreachable', group: 'root', script: `cat ${marker}; ls /`, expect: (out) => /No such file or directory/.test(out) && !out.includes('host secret') && /\nsyscall-probe\n/.test(out) },
  { area: 'root', mirrors: 'run.bats', what: '/proc/1/root is the container\'s root, not the host\'s', group: 'root',
    script: `[ "$(ls /proc/1/root/)" = "$(ls /)" ] && echo same; cat /proc/1/root${marker}`, expect: /^same\n.*No such file or directory$/ },
];

interface Row { check: Check; code: number; out: string; ok: boolean }

async function runGroup(group: Exclude<Group, 'own'>, checks: Check[]): Promise<Row[]> {
  const results = await runSteps(store, checks.map((c) => c.script as string), { id: ids[group], containerDir: join(store.root, 'containers', ids[group]), layerDirs: [store.layerDir, extra], ...groupSpecs[group] });
  return results.map((r, i) => ({ check: checks[i], ...r, ok: false }));
}

async function runOwn(check: Check): Promise<Row> {
  const r = await runToEnd(store.spec({ cmd: check.script as string[], layerDirs: [store.layerDir, extra], ...check.overrides }));
  return { check, code: r.code, out: (r.stdout + r.stderr).trim(), ok: false };
}

test(`isolation audit: ${CHECKS.length} checks from inside a container, as runc's integration tests make them`, async (t) => {
  assert.ok(CHECKS.length >= 30);
  const rows: Row[] = [];
  for (const group of Object.keys(groupSpecs) as Exclude<Group, 'own'>[]) rows.push(...(await runGroup(group, CHECKS.filter((c) => c.group === group))));
  for (const check of CHECKS.filter((c) => c.group === 'own')) rows.push(await runOwn(check));
  for (const row of rows) row.ok = row.check.expect instanceof RegExp ? row.check.expect.test(row.out) : row.check.expect(row.out, row.code);
  rows.sort((a, b) => CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check));
  const cells = rows.map((r, i) => [String(i + 1), r.check.area, r.check.mirrors, r.check.what, r.ok ? 'pass' : `FAIL: ${JSON.stringify(r.out.slice(0, 120))}`]);
  t.diagnostic(`\n${table(['#', 'area', 'runc test', 'check', 'result'], cells)}\n${rows.filter((r) => r.ok).length} of ${rows.length} pass`);
  assert.deepEqual(rows.filter((r) => !r.ok).map((r) => `${r.check.what}: exit ${r.code}: ${r.out}`), []);
});
