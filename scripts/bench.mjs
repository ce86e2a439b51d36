// npm run bench: Strata against the kernel floor and, when installed, Docker, side by side in one
// run (these machines are noisy: compare ratios and medians, never a lone time).
//   run --rm /bin/true | import of a large root fs tar vs tar -x | commit of 1000 new files
// then the VS Code figures (bench-vscode.mjs): activation, bundle load, a large layer in the tree.
// Writes test-output/bench.json. Usage: npm run bench [-- --runs N] [-- --no-docker]
//   [-- --vscode-runs N (default 3)] [-- --no-vscode] [-- --only-vscode]   (test/bench/README.md)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';
import { benchVSCode } from './bench-vscode.mjs';

requireRoot('npm run bench');
ensureDebianPackages();
ensureNodeModules();
ensureBuilt();

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 15;
const vscodeRuns = argv.includes('--no-vscode') ? 0 : Number(argv[argv.indexOf('--vscode-runs') + 1]) || 3;
/** test-output/bench.json, with whatever this run measured. */
function writeResults(results) {
  mkdirSync(join(root, 'test-output'), { recursive: true });
  writeFileSync(join(root, 'test-output/bench.json'), JSON.stringify(results, null, 2) + '\n');
}
if (argv.includes('--only-vscode')) {
  writeResults({ vscode: benchVSCode(root, vscodeRuns || 3) });
  process.exit(0);
}
const useDocker = !argv.includes('--no-docker') && existsSync('/usr/sbin/dockerd');
const work = mkdtempSync(join(tmpdir(), 'strata-bench-'));
// The command as a user runs it (bin/strata: node with dist/cli.js, as `npm install -g` links it).
const cli = join(root, 'bin/strata');
const storeRoot = join(work, 'strata');
const results = {};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
function repeat(label, n, fn) {
  const times = [];
  try {
    for (let i = 0; i < n; i++) times.push(fn(i));
  } catch (err) {
    results[label] = { error: String(err.message ?? err).split('\n')[0] };
    console.log(`${label.padEnd(50)} failed: ${results[label].error}`);
    return;
  }
  results[label] = { median_ms: Math.round(median(times) * 10) / 10, runs: n };
  console.log(`${label.padEnd(50)} ${results[label].median_ms.toFixed(1).padStart(9)} ms  (median of ${n})`);
}
const strata = (...args) => ['--root', storeRoot, ...args];

// The busybox root fs, its tar, and a large root fs tar (debootstrap minbase when it can be had).
const { build } = await import('esbuild');
await build({ entryPoints: [join(root, 'helper/sources/busybox.ts')], outfile: join(root, 'out/start/busybox.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
const { buildBusyboxRootfs } = await import(join(root, 'out/start/busybox.mjs'));
const rootfs = join(work, 'busybox');
await buildBusyboxRootfs(rootfs);
const bbTar = join(work, 'busybox.tar');
execFileSync('tar', ['-C', rootfs, '-cf', bbTar, '.']);

function bigRootfsTar() {
  const cache = '/var/cache/strata-bench';
  const tar = join(cache, 'bookworm-minbase.tar');
  if (existsSync(tar)) return tar;
  mkdirSync(cache, { recursive: true });
  const dir = join(cache, 'bookworm');
  if (!existsSync('/usr/sbin/debootstrap')) spawnSync('apt-get', ['install', '-y', '-q', 'debootstrap'], { stdio: 'inherit' });
  console.log('making a debootstrap --variant=minbase bookworm root fs (once; cached in /var/cache/strata-bench)');
  const r = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', dir], { stdio: 'ignore' });
  if (r.status === 0) {
    execFileSync('tar', ['-C', dir, '-cf', tar, '.']);
    rmSync(dir, { recursive: true, force: true });
    return tar;
  }
  console.log('debootstrap failed; using a tar of /usr/lib and /usr/share instead');
  const alt = join(cache, 'usr.tar');
  spawnSync('tar', ['-C', '/', '-cf', alt, 'usr/lib', 'usr/share'], { stdio: 'ignore' });
  return alt;
}

function startDocker() {
  const d = join(work, 'docker');
  mkdirSync(d);
  const sock = join(d, 'docker.sock');
  const proc = spawn('dockerd', ['--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '--pidfile', join(d, 'dockerd.pid'), '-H', `unix://${sock}`,
    '--storage-driver', 'overlay2', '--iptables=false', '--ip-forward=false', '--bridge=none'], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(sock); i++) execFileSync('sleep', ['0.05']);
  const docker = (...args) => ['-H', `unix://${sock}`, ...args];
  for (let i = 0; i < 100; i++) { if (spawnSync('docker', docker('info'), { stdio: 'ignore' }).status === 0) break; execFileSync('sleep', ['0.1']); }
  const stop = () => {
    proc.kill('SIGTERM');
    for (let i = 0; i < 100 && proc.exitCode === null && spawnSync('kill', ['-0', String(proc.pid)]).status === 0; i++) spawnSync('sleep', ['0.1']);
  };
  return { docker, stop };
}

let docker;
try {
  console.log(`Strata bench: ${runs} runs each; ${new Date().toISOString()}\n`);
  execFileSync(cli, strata('import', bbTar, 'bb'), { stdio: 'ignore' });
  time(cli, strata('run', '--rm', 'bb', '/bin/true')); // warm the helper
  if (useDocker) {
    docker = startDocker();
    execFileSync('docker', docker.docker('import', bbTar, 'bb'), { stdio: 'ignore' });
    time('docker', docker.docker('run', '--rm', '--network', 'none', 'bb', '/bin/true'));
  } else console.log('(Docker not installed: apt-get install docker.io to compare against it)');

  // 1. run --rm /bin/true, interleaved so that machine noise hits all alike
  const floorLower = execFileSync(cli, strata('inspect', '--type', 'image', 'bb'), { encoding: 'utf8' });
  const lower = JSON.parse(floorLower)[0].Strata.Layers[0].Path;
  repeat('kernel floor: unshare+overlay+pivot_root (sh)', runs, () => time(join(root, 'test/bench/floor.sh'), [lower]));
  repeat('strata run --rm bb /bin/true', runs, () => time(cli, strata('run', '--rm', 'bb', '/bin/true')));
  if (docker) repeat('docker run --rm --network none bb /bin/true', runs, () => time('docker', docker.docker('run', '--rm', '--network', 'none', 'bb', '/bin/true')));

  // 2. commit of a container that wrote 1000 files: stopped (Strata moves its upper dir into the
  //    graph) and running (Strata copies it, frozen, as Docker does both).
  const writer = 'mkdir /many && cd /many && for i in $(seq 1000); do echo $i > f$i; done';
  const commitRuns = Math.max(3, Math.floor(runs / 2));
  const emptyRoot = join(work, 'strata-empty');
  execFileSync(cli, ['--root', emptyRoot, 'images', '-q'], { stdio: 'ignore' }); // its helper started
  const waitForFile = (cmd, args) => { for (let i = 0; i < 400 && spawnSync(cmd, args).status !== 0; i++) spawnSync('sleep', ['0.025']); };
  const series = {};
  const sample = (label, ms) => (series[label] ??= []).push(ms);
  for (let i = 0; i < commitRuns; i++) {
    // The floors under any durable commit through this CLI: a command that asks the helper one
    // question and prints an empty answer (Node's start, loading the CLI, one request), and the
    // flush of 1000 freshly written small files (the store syncs before a layer claims them).
    sample('floor: strata images -q on an empty store (one request)', time(cli, ['--root', emptyRoot, 'images', '-q']));
    const fresh = mkdtempSync(join(work, 'sync-'));
    execFileSync('sh', ['-c', `cd ${fresh} && for i in $(seq 1000); do echo $i > f$i; done`]);
    sample('floor: sync -f after writing 1000 small files', time('sync', ['-f', fresh]));
    rmSync(fresh, { recursive: true, force: true });
    execFileSync(cli, strata('run', '--name', `w${i}`, 'bb', 'sh', '-c', writer), { stdio: 'ignore' });
    sample('strata commit, stopped (1000 new files)', time(cli, strata('commit', `w${i}`, `c${i}`)));
    execFileSync(cli, strata('run', '-d', '--name', `r${i}`, 'bb', 'sh', '-c', `${writer}; touch /done; sleep 600`), { stdio: 'ignore' });
    waitForFile(cli, strata('exec', `r${i}`, 'test', '-e', '/done'));
    sample('strata commit, running (1000 new files)', time(cli, strata('commit', `r${i}`, `rc${i}`)));
    execFileSync(cli, strata('rm', '-f', `r${i}`), { stdio: 'ignore' });
    if (docker) {
      execFileSync('docker', docker.docker('run', '--network', 'none', '--name', `w${i}`, 'bb', 'sh', '-c', writer), { stdio: 'ignore' });
      sample('docker commit, stopped (1000 new files)', time('docker', docker.docker('commit', `w${i}`, `c${i}`)));
      execFileSync('docker', docker.docker('run', '-d', '--network', 'none', '--name', `r${i}`, 'bb', 'sh', '-c', `${writer}; touch /done; sleep 600`), { stdio: 'ignore' });
      waitForFile('docker', docker.docker('exec', `r${i}`, 'test', '-e', '/done'));
      sample('docker commit, running (1000 new files)', time('docker', docker.docker('commit', `r${i}`, `rc${i}`)));
      execFileSync('docker', docker.docker('rm', '-f', `r${i}`), { stdio: 'ignore' });
    }
  }
  for (const [label, xs] of Object.entries(series)) repeat(label, xs.length, (i) => xs[i]);
  repeat('strata diff (1000 new files)', commitRuns, () => time(cli, strata('diff', 'w0')));
  if (docker) repeat('docker diff (1000 new files)', commitRuns, () => time('docker', docker.docker('diff', 'w0')));

  // 3. import of a large root fs tar against tar -x of it (and tar -x then sync -f: an import is
  //    on disk when it returns, as a store must be), interleaved: on this ext4 the time to create
  //    files swings several-fold with what was deleted just before, so every tool takes its turn
  //    in the same conditions, each after the same deletion.
  const big = bigRootfsTar();
  console.log(`\nlarge tar: ${big} (${(statSync(big).size / 1e6).toFixed(0)} MB)`);
  const importRuns = Math.max(3, Math.floor(runs / 3));
  /** Interleaved rounds in `dir`: tar -x (then sync -f), strata import into the store of `args`,
   *  and docker import when given; labels start with `prefix`. */
  const importRounds = (dir, prefix, args, withDocker) => {
    const samples = {};
    const add = (label, ms) => (samples[prefix + label] ??= []).push(ms);
    for (let i = 0; i < importRuns; i++) {
      const dest = mkdtempSync(join(dir, 'x-'));
      spawnSync('sync');
      const t0 = process.hrtime.bigint();
      execFileSync('tar', ['-C', dest, '-xf', big]);
      const t1 = process.hrtime.bigint();
      execFileSync('sync', ['-f', dest]);
      const t2 = process.hrtime.bigint();
      add('tar -x of the large tar', Number(t1 - t0) / 1e6);
      add('tar -x of the large tar, then sync -f', Number(t2 - t0) / 1e6);
      rmSync(dest, { recursive: true, force: true });
      spawnSync('sync');
      add('strata import of the large tar', time(cli, args('import', big, `big${i}`)));
      execFileSync(cli, args('rmi', `big${i}`), { stdio: 'ignore' });
      if (withDocker) {
        spawnSync('sync');
        add('docker import of the large tar', time('docker', docker.docker('import', big, `big${i}`)));
        spawnSync('docker', docker.docker('rmi', `big${i}`), { stdio: 'ignore' });
      }
    }
    for (const [label, xs] of Object.entries(samples)) repeat(label, xs.length, (i) => xs[i]);
  };
  importRounds(work, '', strata, !!docker);

  // 4. The same import on a fresh ext4 (a loop-mounted file): no recently deleted inodes to rescan,
  //    so file creation is as cheap as this kernel makes it and what Strata adds to tar -x shows
  //    undiluted. Docker is left out (its data root is elsewhere).
  const quiet = join(work, 'quiet');
  mkdirSync(quiet);
  const img = join(work, 'quiet.img');
  execFileSync('truncate', ['-s', `${Math.ceil((statSync(big).size * 4) / 1e9) + 1}G`, img]);
  execFileSync('mkfs.ext4', ['-q', '-F', img]);
  execFileSync('mount', ['-o', 'loop', img, quiet]);
  try {
    const q = (...args) => ['--root', join(quiet, 'strata'), ...args];
    execFileSync(cli, q('images'), { stdio: 'ignore' }); // start its helper outside the timings
    importRounds(quiet, 'fresh ext4: ', q, false);
  } finally {
    spawnSync('pkill', ['-f', '--', `--root ${join(quiet, 'strata')}`]);
    spawnSync('sleep', ['0.5']);
    spawnSync('umount', [quiet]);
  }
  docker?.stop();
  docker = undefined;

  const r = (a, b) => (results[a]?.median_ms && results[b]?.median_ms ? Math.round((results[a].median_ms / results[b].median_ms) * 100) / 100 : null);
  results.ratios = {
    'run: strata / docker (target <= 0.5)': r('strata run --rm bb /bin/true', 'docker run --rm --network none bb /bin/true'),
    'run: strata / kernel floor': r('strata run --rm bb /bin/true', 'kernel floor: unshare+overlay+pivot_root (sh)'),
    'import: strata / tar -x (target <= 1.2)': r('strata import of the large tar', 'tar -x of the large tar'),
    'import: strata / (tar -x, then sync -f)': r('strata import of the large tar', 'tar -x of the large tar, then sync -f'),
    'import: strata / docker': r('strata import of the large tar', 'docker import of the large tar'),
    'import on a fresh ext4: strata / tar -x': r('fresh ext4: strata import of the large tar', 'fresh ext4: tar -x of the large tar'),
    'import on a fresh ext4: strata / (tar -x, sync -f)': r('fresh ext4: strata import of the large tar', 'fresh ext4: tar -x of the large tar, then sync -f'),
    'commit, stopped: strata / docker (target < 0.25)': r('strata commit, stopped (1000 new files)', 'docker commit, stopped (1000 new files)'),
    'commit floor: strata images -q / docker commit': r('floor: strata images -q on an empty store (one request)', 'docker commit, stopped (1000 new files)'),
    'commit, running: strata / docker': r('strata commit, running (1000 new files)', 'docker commit, running (1000 new files)'),
    'diff: strata / docker': r('strata diff (1000 new files)', 'docker diff (1000 new files)'),
  };
  console.log('\nratios:');
  for (const [k, v] of Object.entries(results.ratios)) console.log(`  ${k.padEnd(50)} ${v ?? 'n/a'}`);
  if (vscodeRuns) results.vscode = benchVSCode(root, vscodeRuns);
  writeResults(results);
} finally {
  docker?.stop();
  spawnSync('pkill', ['-f', '--', `--root ${storeRoot}`]);
  spawnSync('pkill', ['-f', '--', `--root ${join(work, 'strata-empty')}`]);
  spawnSync('sleep', ['0.5']);
  // Whatever dockerd left mounted under the work dir goes before the dir does.
  const mounts = execFileSync('awk', ['{print $2}', '/proc/self/mounts'], { encoding: 'utf8' }).split('\n').filter((m) => m.startsWith(work));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
}
