// How long each `strata` command takes from exec to exit, as users run it (bin/strata), for one or
// more builds side by side: the figures of test/bench/README.md's CLI bullet (not a test: nothing
// here is asserted). Each round runs every command of every build once, builds in turn, so the
// noise of a shared machine falls on all of them alike; medians (and quartiles) of the rounds, of
// the wall time and of the CPU time the command's process used (user + system, from wait4: other
// sessions' load on the 2 cores stretches the first, much less the second).
// Usage: node scripts/bench-cli-start.mjs [--runs 30] [NAME=DIR ...]
//   DIR is a copy of the repository's bin/ and dist/ (default: this checkout, as "this").
//   Each build gets its own store (a helper from another build would be replaced by each command),
//   with a busybox image, a container that wrote 100 files (for diff) and an empty store (images -q).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropStore } from './drop-store.mjs';

const here = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 30;
const builds = argv.filter((a, i) => a.includes('=') && i !== runsAt + 1).map((a) => a.split('='));
if (builds.length === 0) builds.push(['this', here]);

// Runs a command with stdout to /dev/null, stderr kept; prints its wall and CPU microseconds.
const TIMER_C = `#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
int main(int argc, char **argv) {
  struct timespec a, b; struct rusage ru; int status;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) { int fd = open("/dev/null", O_WRONLY); dup2(fd, 1); execvp(argv[1], argv + 1); _exit(127); }
  if (wait4(pid, &status, 0, &ru) < 0) return 2;
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%ld %ld\\n", (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000L,
    ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
`;
let timer;

/** [wall ms, CPU ms] of one run of the command. */
function time(cmd, args, env = process.env) {
  const r = spawnSync(timer, [cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split(' ').map((us) => Number(us) / 1000);
}

const work = mkdtempSync(join(tmpdir(), 'strata-bench-cli-'));
const stores = [];
try {
  timer = join(work, 'timer');
  writeFileSync(`${timer}.c`, TIMER_C);
  execFileSync('gcc', ['-O2', '-o', timer, `${timer}.c`]);
  const setups = builds.map(([name, dir]) => {
    const strata = join(dir, 'bin/strata');
    const store = join(work, `${name}-store`);
    const empty = join(work, `${name}-empty`);
    stores.push(store, empty);
    const cli = (root, ...args) => execFileSync(strata, ['--root', root, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_IDLE_TIMEOUT: '900' } });
    cli(store, 'busybox');
    cli(store, 'run', '--name', 'w', '--network', 'none', 'busybox', 'sh', '-c', 'mkdir /d && for i in $(seq 100); do echo $i > /d/f$i; done');
    cli(empty, 'images', '-q');
    return { name, strata, store, empty };
  });
  const commands = [
    ['--version', (b) => ['--version']],
    ['images -q (empty store)', (b) => ['--root', b.empty, 'images', '-q']],
    ['images', (b) => ['--root', b.store, 'images']],
    ['history busybox', (b) => ['--root', b.store, 'history', 'busybox']],
    ['diff w (100 files)', (b) => ['--root', b.store, 'diff', 'w']],
  ];
  const times = new Map();
  const add = (k, ms) => { if (!times.has(k)) times.set(k, []); times.get(k).push(ms); };
  const noCerts = { ...process.env };
  delete noCerts.NODE_EXTRA_CA_CERTS; // as bin/strata sets it aside
  for (let round = 0; round < runs + 1; round++) {
    const warm = round === 0; // the first round only fills the page cache
    if (!warm) add('node -e 0', time(process.execPath, ['-e', '0'], noCerts));
    for (const [label, args] of commands) {
      // Which build goes first turns each round, so neither always follows the other.
      for (let k = 0; k < setups.length; k++) {
        const b = setups[(k + round) % setups.length];
        const ms = time(b.strata, args(b));
        if (!warm) add(`${label}\t${b.name}`, ms);
      }
    }
  }
  const q = (xs, f) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * f))]; };
  const figures = (xs) => `${q(xs, 0.5).toFixed(1)} (${q(xs, 0.25).toFixed(1)}-${q(xs, 0.75).toFixed(1)})`;
  console.log(`${runs} rounds, interleaved; ms, median (25th-75th percentile): wall, CPU`);
  for (const [k, xs] of times) console.log(`${k}\t${figures(xs.map((x) => x[0]))}\t${figures(xs.map((x) => x[1]))}`);
} finally {
  for (const s of stores) dropStore(s);
  rmSync(work, { recursive: true, force: true });
}
