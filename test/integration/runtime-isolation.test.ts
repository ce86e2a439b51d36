// What a process inside a busybox container can see and do: its own pid namespace, its own root,
// masked /proc files, Docker's capabilities minus MKNOD, no_new_privs, a seccomp filter, no leaked fds, its own
// hostname and (with network none) only a loopback interface.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { join } from 'node:path';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';
import { buildSyscallProbe, probeResults } from '../support/syscall-probe';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

async function sh(script: string, overrides = {}) {
  return runToEnd(store.spec({ cmd: ['sh', '-c', script], ...overrides }));
}

// Docker's default capabilities without CAP_MKNOD (27), by bit number (linux/capability.h).
const CAPS = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8, NET_BIND_SERVICE: 10, NET_RAW: 13, SYS_CHROOT: 18, AUDIT_WRITE: 29, SETFCAP: 31 };
/** The names of the capabilities set in a /proc/<pid>/status mask such as CapEff, in bit order. */
function capNames(mask: string): string[] {
  const bits = BigInt(`0x${mask || '0'}`);
  const names: Record<number, string> = Object.fromEntries(Object.entries(CAPS).map(([name, bit]) => [bit, name]));
  return Array.from({ length: 64 }, (_, bit) => bit).filter((bit) => (bits >> BigInt(bit)) & 1n).map((bit) => names[bit] ?? `cap ${bit}`);
}

test('the command is pid 1 of the container', async () => {
  const r = await runToEnd(store.spec({ cmd: ['cat', '/proc/1/cmdline'] }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'cat\0/proc/1/cmdline\0');
});

test('host processes are invisible: ps lists only the container\'s own', async () => {
  const r = await sh('ps -o pid,comm; exit 0'); // "; exit": sh must not exec ps in its place
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map(([, comm]) => comm).sort(), ['ps', 'sh']);
  assert.deepEqual(rows.find(([, comm]) => comm === 'sh')?.[0], '1');
});

test('host files outside the root are unreachable; / is the image\'s root', async () => {
  const marker = `strata-marker-${process.pid}`;
  writeFileSync(`/tmp/${marker}`, 'host secret');
  try {
    const r = await sh(`ls -1 /; echo ---; ls -a /tmp; cat /tmp/${marker} || echo missing`);
    const [root, rest] = r.stdout.split('---\n');
    assert.deepEqual(root.trim().split('\n'), readdirSync(store.layerDir).sort());
    assert.ok(!rest.includes('host secret'));
    assert.match(rest, /missing/);
    assert.deepEqual(rest.split('\n').filter((l) => l.startsWith('strata-marker')), []);
  } finally {
    rmSync(`/tmp/${marker}`, { force: true });
  }
});

test('/proc files that leak host state are masked, /proc/sys and /sys are read-only', async () => {
  const files = ['/proc/kcore', '/proc/timer_list', '/proc/keys', '/proc/sched_debug'].filter((f) => existsSync(f));
  assert.ok(files.length >= 2, 'the host has some of the files to mask');
  const r = await sh(`for f in ${files.join(' ')}; do echo "$f $(cat $f | wc -c)"; done; ls -A /proc/acpi | wc -l; cat /proc/mounts`);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, files.length), files.map((f) => `${f} 0`), 'masked files read empty');
  assert.equal(lines[files.length], '0', '/proc/acpi is an empty dir');
  const options = (mountPoint: string) => lines.find((l) => l.split(' ')[1] === mountPoint)?.split(' ')[3].split(',') ?? [];
  for (const ro of ['/sys', '/proc/sys', '/proc/bus', '/proc/fs', '/proc/irq']) assert.ok(options(ro).includes('ro'), `${ro} is read-only`);
  for (const opt of ['nosuid', 'nodev', 'noexec']) assert.ok(options('/sys').includes(opt), `/sys is ${opt}`);
});

test('capabilities are Docker\'s default set without MKNOD; no_new_privs is set', async () => {
  const r = await sh('grep -E "^(Cap|NoNewPrivs)" /proc/self/status');
  const status = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)));
  // By name first, so that a difference says which capability; then the mask the README documents.
  for (const set of ['CapPrm', 'CapEff', 'CapBnd']) assert.deepEqual(capNames(status[set] ?? ''), Object.keys(CAPS), set);
  assert.deepEqual(status, { CapInh: '0000000000000000', CapPrm: '00000000a00425fb', CapEff: '00000000a00425fb', CapBnd: '00000000a00425fb', CapAmb: '0000000000000000', NoNewPrivs: '1' });
});

test('a seccomp filter is installed: no new namespaces (a user namespace would give back every capability), no keyring', async () => {
  const r = await sh([
    'grep -E "^Seccomp(_filters)?:" /proc/self/status',
    'unshare -U -r sh -c "grep CapEff /proc/self/status" 2>&1 || echo userns-denied',
    'unshare -n true 2>&1 || echo netns-denied',
    'nsenter -t 1 -m true 2>&1 || echo setns-denied',
    '(echo child) && echo fork-ok',
  ].join('; '));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Seccomp:\t2\nSeccomp_filters:\t1\n/, 'mode 2: a filter');
  assert.match(r.stdout, /unshare\(0x10000000\): Operation not permitted\nuserns-denied/);
  assert.doesNotMatch(r.stdout, /CapEff/, 'no shell ran in a new user namespace');
  assert.match(r.stdout, /unshare\(0x40000000\): Operation not permitted\nnetns-denied/);
  assert.match(r.stdout, /setns-denied/);
  assert.match(r.stdout, /child\nfork-ok/, 'fork (clone without namespace flags) still works');
});

test('seccomp, by number: the keyring, unshare and open_tree_attr refused (EPERM); syscalls newer than its review get ENOSYS', async () => {
  // A layer holding only the static probe, above busybox.
  const probeLayer = join(store.root, 'graph', 'probe', 'layer');
  const probe = buildSyscallProbe(probeLayer);
  const KEYCTL = 250, UNSHARE = 272, CACHESTAT = 451, MSEAL = 462, OPEN_TREE_ATTR = 467, FILE_GETATTR = 468, FILE_SETATTR = 469;
  const asked = [KEYCTL, UNSHARE, CACHESTAT, MSEAL, OPEN_TREE_ATTR, FILE_GETATTR, FILE_SETATTR].map(String);
  const r = await runToEnd(store.spec({ cmd: ['/syscall-probe', ...asked], layerDirs: [probeLayer, store.layerDir] }));
  assert.equal(r.code, 0, r.stderr);
  const inside = probeResults(r.stdout);
  const host = probeResults(execFileSync(probe, asked, { encoding: 'utf8' }));
  const EPERM = 1, ENOSYS = 38;
  assert.equal(inside[KEYCTL], EPERM);
  assert.equal(inside[UNSHARE], EPERM);
  assert.equal(inside[OPEN_TREE_ATTR], EPERM, 'the mount API, under a number the headers do not name');
  for (const nr of [CACHESTAT, MSEAL]) assert.notEqual(inside[nr], ENOSYS, `${nr} was reviewed and reaches the kernel`);
  for (const nr of [FILE_GETATTR, FILE_SETATTR]) {
    // Only where the kernel has them does ENOSYS inside show the filter's refusal.
    assert.notEqual(host[nr], ENOSYS, `this kernel (${release()}) has no syscall ${nr}: the test needs Linux 6.17 or later to see the filter refuse it`);
    assert.equal(inside[nr], ENOSYS, `${nr}: newer than the filter's review, refused as an older kernel would`);
  }
});

test('seccomp: personality() only with the personas Docker allows; no switching off ASLR or NX', async () => {
  const probeLayer = join(store.root, 'graph', 'probe-persona', 'layer');
  buildSyscallProbe(probeLayer);
  const P = 135; // personality on x86_64
  // PER_LINUX last, so that the persona is plain Linux again before the refused ones are tried.
  const allowed = ['8', '20000', '20008', 'ffffffff', '0'].map((a) => `${P}:${a}`);
  const refused = ['40000' /* ADDR_NO_RANDOMIZE */, '400000' /* READ_IMPLIES_EXEC */, '40008', '1'].map((a) => `${P}:${a}`);
  const r = await runToEnd(store.spec({ cmd: ['/syscall-probe', ...allowed, ...refused, `${P}:ffffffff`], layerDirs: [probeLayer, store.layerDir] }));
  assert.equal(r.code, 0, r.stderr);
  const inside = probeResults(r.stdout);
  for (const a of allowed) assert.equal(inside[a], 0, `${a} is allowed`);
  for (const a of refused) assert.equal(inside[a], 1, `${a} is refused with EPERM`);
  // The query at the end answers with the persona: still plain Linux, none of the refused ones took.
  assert.match(r.stdout, /\n135:ffffffff=0 ret=0\n$/);
});

test('root in the container cannot mount or make device nodes', async () => {
  const r = await sh('mount -t tmpfs none /mnt 2>&1 || echo mount-denied; mknod /tmp/null c 1 3 2>&1 || echo mknod-denied');
  assert.match(r.stdout, /mount-denied/);
  assert.match(r.stdout, /mknod-denied/);
});

test('a non-root user gets no capabilities at all', async () => {
  const r = await sh('id -u; id -g; grep -E "^Cap(Eff|Prm)" /proc/self/status', { user: 'nobody' });
  assert.equal(r.stdout, '65534\n65534\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n');
});

test('only fds 0, 1, 2 reach the program (3 is ls reading the directory)', async () => {
  const r = await runToEnd(store.spec({ cmd: ['ls', '-1', '/proc/self/fd'] }));
  assert.equal(r.stdout, '0\n1\n2\n3\n');
  const piped = await runToEnd(store.spec({ cmd: ['ls', '-1', '/proc/self/fd'], openStdin: true }));
  assert.equal(piped.stdout, '0\n1\n2\n3\n');
});

test('the hostname is the short id, in uname, /etc/hostname and /etc/hosts', async () => {
  const spec = store.spec({ cmd: ['sh', '-c', 'hostname; cat /etc/hostname; grep -c "$(hostname)" /etc/hosts'] });
  const r = await runToEnd(spec);
  const short = spec.id.slice(0, 12);
  assert.equal(r.stdout, `${short}\n${short}\n1\n`);
});

test('with network none only lo exists, and it is up', async () => {
  const r = await sh('ip -o link | cut -d: -f2; echo ---; tail -n +3 /proc/net/dev | cut -d: -f1; ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up');
  assert.equal(r.stdout.replace(/[ \t]+/g, ''), 'lo\n---\nlo\nlo\nlo-up\n');
});

test('with network host the host\'s interfaces are visible', async () => {
  const r = await sh('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "', { network: 'host' });
  const host = readdirSync('/sys/class/net').sort();
  assert.deepEqual(r.stdout.trim().split('\n').sort(), host);
});
