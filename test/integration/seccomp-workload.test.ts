// Every syscall the engine's own test programs need still works under the seccomp allowlist
// (issue 14, defect 7): a broad busybox workload (what the tests run in containers), then glibc
// programs from this host (bash, dash, node, dpkg installing a package), each step a row of a
// table that says which failed and how. A step fails on a non-zero exit or on a refusal in its
// output ("Operation not permitted", "Function not implemented", "Bad system call").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRuntimeStore, type RuntimeStore } from '../support/runtime-fixture';
import { runSteps, table } from '../support/container-steps';
import { hostProgramsLayer } from '../support/host-programs';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

type Step = [name: string, script: string, expect: RegExp];

/** Runs the steps in one container and fails, with a table of every step, unless each exits 0
 *  with its expected output and no refusal in it. */
async function check(t: { diagnostic(msg: string): void }, steps: Step[], layerDirs: string[]): Promise<void> {
  const results = await runSteps(store, steps.map(([, script]) => script), { layerDirs });
  const rows = results.map((r, i) => {
    const refused = /Operation not permitted|Function not implemented|Bad system call/.test(r.out);
    const ok = r.code === 0 && !refused && steps[i][2].test(r.out);
    return { name: steps[i][0], ok, detail: ok ? 'ok' : `FAILED (exit ${r.code}): ${r.out}` };
  });
  t.diagnostic(table(['step', 'result'], rows.map((r) => [r.name, r.detail.slice(0, 160)])));
  assert.deepEqual(rows.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`), []);
}

const BUSYBOX_STEPS: Step[] = [
  ['sh arithmetic, subshell, fork and wait', 'echo $((6*7)); (echo sub); sleep 0.1 & wait $!; echo waited', /^42\nsub\nwaited$/],
  ['ls, cat, sed, awk', 'ls /etc >/dev/null && echo hello > /tmp/a && cat /tmp/a && sed s/hello/bye/ /tmp/a && awk \'{print length($0)}\' /tmp/a', /^hello\nbye\n5$/],
  ['tar with gzip, find', 'mkdir -p /tmp/d/e && echo x > /tmp/d/e/f && tar -C /tmp -czf /tmp/d.tgz d && tar -tzf /tmp/d.tgz | grep f$ && find /tmp/d -type f', /^d\/e\/f\n\/tmp\/d\/e\/f$/],
  ['gzip, bzip2 round trips', 'echo abc | gzip | gunzip && echo abc | bzip2 | bunzip2', /^abc\nabc$/],
  ['sort, uniq, wc, xargs, cut, tr', "printf 'b\\na\\nb\\n' | sort | uniq | wc -l && echo 'a b' | xargs -n1 echo | tr a-z A-Z | cut -c1", /^2\nA\nB$/],
  ['sha256sum, md5sum', 'echo x | sha256sum && echo x | md5sum', /^[0-9a-f]{64}  -\n[0-9a-f]{32}  -$/],
  ['ps, top', 'ps -o pid,comm && top -b -n1 | head -1', /PID[\s\S]*Mem:/],
  ['httpd serving, wget fetching over 127.0.0.1', 'mkdir -p /www && echo page > /www/index.html && httpd -p 127.0.0.1:8080 -h /www && wget -q -O- http://127.0.0.1:8080/index.html', /^page$/],
  ['ping 127.0.0.1 (a raw ICMP socket, CAP_NET_RAW)', 'ping -c1 -W2 127.0.0.1', /1 packets received/],
  ['ip addr (netlink), netstat', 'ip -o addr show lo && netstat -ln', /127\.0\.0\.1/],
  ['dd, stat, truncate, fallocate, sync', 'dd if=/dev/zero of=/tmp/z bs=1024 count=64 2>/dev/null && truncate -s 100k /tmp/t && fallocate -l 8192 /tmp/f && sync && stat -c %s /tmp/z /tmp/t /tmp/f', /^65536\n102400\n8192$/],
  ['mkfifo and a reader', 'mkfifo /tmp/p && (echo via-fifo > /tmp/p &) && cat /tmp/p', /^via-fifo$/],
  ['chroot (CAP_SYS_CHROOT)', 'chroot / /bin/echo chrooted', /^chrooted$/],
  ['touch -d, ln -s, readlink, chmod, chown', "touch -d '2020-01-02 03:04:05' /tmp/a && ln -s /tmp/a /tmp/l && readlink /tmp/l && chmod 600 /tmp/a && chown 1:2 /tmp/a && stat -c '%a %u %g %y' /tmp/a", /^\/tmp\/a\n600 1 2 2020-01-02 03:04:05/],
  ['su to nobody (setgroups, setgid, setuid)', 'su -s /bin/sh -c "id -u" nobody', /^65534$/],
  ['ionice, renice, taskset, nproc', 'ionice -c 3 true && renice -n 5 $$ >/dev/null && taskset -p $$ && nproc', /affinity mask[\s\S]*\n\d+$/],
  ['timeout, kill, time', 'timeout 5 sleep 0.1 && kill -0 $$ && time true', /real/],
  ['df, free, uptime, date, id, uname, hostname', 'df / && free && uptime && date +%Y && id -u && uname -s && hostname', /Filesystem[\s\S]*Mem:[\s\S]*load average[\s\S]*\n\d{4}\n0\nLinux\n[0-9a-f]{12}$/],
  ['adjtimex reads the clock state (clock_adjtime)', 'adjtimex', /status/],
  ['sysctl reads /proc/sys', 'sysctl -n kernel.ostype', /^Linux$/],
  ['diff, patch', "printf 'a\\n' > /tmp/x && printf 'b\\n' > /tmp/y && (diff -u /tmp/x /tmp/y > /tmp/p.diff; true) && patch /tmp/x /tmp/p.diff >/dev/null && cat /tmp/x", /^b$/],
];

test('a broad busybox workload runs under the filter: every step exits 0 with its output', async (t) => {
  await check(t, BUSYBOX_STEPS, [store.layerDir]);
});

// Runs in the container: node's event loop, thread pool (libuv tries io_uring first and falls
// back on EPERM), worker threads (pthread_create tries clone3 first and falls back on ENOSYS),
// child processes, TCP on loopback, inotify, zlib and crypto.
const NODE_SCRIPT = `
const fs = require('fs'), cp = require('child_process'), net = require('net'), zlib = require('zlib'), crypto = require('crypto');
const { Worker } = require('worker_threads');
(async () => {
  await fs.promises.writeFile('/tmp/n', 'x'.repeat(100000));
  const read = (await fs.promises.readFile('/tmp/n')).length;
  const worker = await new Promise((res, rej) => { const w = new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true }); w.on('message', res); w.on('error', rej); });
  const child = cp.execFileSync('/bin/sh', ['-c', 'echo child']).toString().trim();
  const server = net.createServer((s) => s.end('pong')).listen(0, '127.0.0.1');
  await new Promise((res) => server.on('listening', res));
  const pong = await new Promise((res, rej) => { let d = ''; net.connect(server.address().port, '127.0.0.1').on('data', (c) => (d += c)).on('end', () => res(d)).on('error', rej); });
  server.close();
  const watched = await new Promise((res) => { const w = fs.watch('/tmp', () => { w.close(); res('event'); }); fs.writeFileSync('/tmp/w', '1'); });
  const z = zlib.gunzipSync(zlib.gzipSync('zz')).toString();
  const h = crypto.createHash('sha256').update('x').digest('hex').slice(0, 8) + crypto.randomBytes(2).length;
  console.log(['node-ok', read, worker, child, pong, watched, z, h].join(' '));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('glibc programs from this host run under the filter: bash, dash, node (threads, io_uring fallback, sockets), dpkg installing a package', async (t) => {
  const work = mkdtempSync('/tmp/strata-seccomp-workload-');
  try {
    const layer = join(store.root, 'graph', 'host-programs', 'layer');
    hostProgramsLayer(layer, ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/node', '/usr/bin/dpkg', '/usr/bin/dpkg-deb', '/usr/bin/dpkg-query', '/usr/bin/tar', '/usr/sbin/ldconfig']);
    for (const d of ['info', 'updates', 'triggers', 'alternatives']) mkdirSync(join(layer, 'var/lib/dpkg', d), { recursive: true });
    for (const f of ['status', 'available']) writeFileSync(join(layer, 'var/lib/dpkg', f), '');
    writeFileSync(join(layer, 'node-script.js'), NODE_SCRIPT);
    // A one-file package, built here with the host's dpkg-deb.
    const pkg = join(work, 'pkg');
    mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
    mkdirSync(join(pkg, 'usr/share/strata-probe'), { recursive: true });
    writeFileSync(join(pkg, 'DEBIAN/control'), 'Package: strata-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: Strata tests <tests@strata.invalid>\nDescription: a one-file package\n');
    writeFileSync(join(pkg, 'usr/share/strata-probe/hello'), 'installed\n');
    execFileSync('dpkg-deb', ['--root-owner-group', '--build', pkg, join(layer, 'strata-probe.deb')], { stdio: 'ignore' });
    const steps: Step[] = [
      ['bash: arrays, process substitution, coproc-free pipes, ulimit', 'bash -c \'declare -A m=([k]=v); read x < <(echo subst); echo "${m[k]} $x $((2**10))"; ulimit -n >/dev/null; echo $BASH_VERSION\'', /^v subst 1024\n5\./],
      ['dash: arithmetic and command substitution', 'dash -c \'x=$(echo sub); echo $((1+2)) $x\'', /^3 sub$/],
      ['node: files, worker thread, child process, TCP, inotify, zlib, crypto', 'node /node-script.js', /^node-ok 100000 42 child pong event zz [0-9a-f]{8}2$/],
      ['dpkg -i installs a package, dpkg-query sees it', 'dpkg -i /strata-probe.deb >/dev/null && cat /usr/share/strata-probe/hello && dpkg-query -W -f \'${Status}\\n\' strata-probe', /^installed\ninstall ok installed$/],
    ];
    await check(t, steps, [store.layerDir, layer]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
