// npm run bench:registry [-- --runs N] [--minbase] [--no-docker]: strata push and pull against
// skopeo copy and docker push/pull, side by side in one run, on a loopback registry (Debian's
// docker-registry, storage in a temp folder):
//  - push: the image from the store (strata push) against skopeo copy of its `strata save` archive
//    (docker-archive:) to the registry, each into an empty registry (its storage wiped before
//    each), Strata's remembered blob digests dropped first, so both compress and upload everything;
//    and docker push of the same archive `docker load`ed into a dockerd of the run's own (Debian's
//    docker.io, started as test/support/peers.ts does: no bridge, no iptables, no forwarding);
//  - pull: strata pull into an empty store (its helper already up) against skopeo copy from the
//    registry to an OCI layout (blobs only, nothing unpacked) and to a docker-archive (layers
//    decompressed into one file), and docker pull (the image removed from dockerd before each).
//    Strata unpacks every file into layer folders, as Docker does.
// The busybox image always; with --minbase also debootstrap's minbase bookworm (imported from
// npm run bench's tar when it is there; else about a minute to make, its .debs kept in the
// store's cache). Medians of the runs, and ratios; these machines are shared and noisy: compare
// within one run, never across runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, ensureBuilt, ensureDebianPackages, requireRoot } from './ensure.mjs';

requireRoot('bench:registry');
ensureDebianPackages();
ensureBuilt();
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const work = mkdtempSync(join(tmpdir(), 'strata-bench-registry-'));
const cli = join(root, 'dist/cli.js');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const strata = (store, ...args) => execFileSync(process.execPath, [cli, '--root', store, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const port = await new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const data = join(work, 'registry');
mkdirSync(data);
writeFileSync(join(work, 'registry.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
const registry = spawn('docker-registry', ['serve', join(work, 'registry.yml')], { stdio: 'ignore' });
const host = `127.0.0.1:${port}`;
for (let i = 0; i < 100 && !(await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
const wipe = () => { for (const f of readdirSync(data)) rmSync(join(data, f), { recursive: true, force: true }); };
const stopHelper = (store) => { try { process.kill(Number(execFileSync('cat', [join(store, 'helper.pid')], { encoding: 'utf8' }))); } catch { /* none */ } };

/** dockerd in `dir` with the flags of test/support/peers.ts (this script runs without the test
 *  bundle, so it starts it itself); undefined when Debian's docker.io is not installed. */
async function startDockerd(dir) {
  if (!existsSync('/usr/sbin/dockerd')) return undefined;
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const keyExisted = existsSync('/etc/docker/key.json');
  const proc = spawn('dockerd', ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`, '--storage-driver', 'overlay2', '--iptables=false', '--ip-forward=false', '--bridge=none'], { stdio: 'ignore' });
  const docker = (...args) => execFileSync('/usr/bin/docker', ['-H', `unix://${sock}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (let i = 0; i < 300; i++) {
    try { docker('version'); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  const stop = async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
    if (!keyExisted) rmSync('/etc/docker/key.json', { force: true });
  };
  return { docker, stop };
}
const dockerd = argv.includes('--no-docker') ? undefined : await startDockerd(join(work, 'docker'));
if (!dockerd && !argv.includes('--no-docker')) console.log('docker push/pull not measured: Debian\'s docker.io is not installed (npm run bench installs it)');

const source = join(work, 'source');
const images = [['busybox', () => strata(source, 'busybox')]];
// The minbase root fs tar `npm run bench` keeps (the same image as its save and load rows) is
// imported when it is there: no mirror to reach, and no minute of debootstrap.
const minbaseTar = '/var/cache/strata-bench/bookworm-minbase.tar';
if (argv.includes('--minbase')) images.push(['minbase', () => (existsSync(minbaseTar) ? strata(source, 'import', minbaseTar, 'minbase') : strata(source, 'debootstrap', 'bookworm', 'minbase'))]);
const results = {};
try {
  for (const [name, make] of images) {
    make();
    const archive = join(work, `${name}.tar`);
    strata(source, 'save', '-o', archive, name);
    const t = { strataPush: [], skopeoPush: [], strataPull: [], skopeoPullOci: [], skopeoPullArchive: [] };
    if (dockerd) {
      Object.assign(t, { dockerPush: [], dockerPull: [] });
      dockerd.docker('load', '-q', '-i', archive);
    }
    for (let i = 0; i < runs; i++) {
      const ref = `${host}/${name}${i}:1`;
      strata(source, 'tag', name, ref);
      for (const l of readdirSync(join(source, 'graph'))) rmSync(join(source, 'graph', l, 'blobs.json'), { force: true });
      wipe();
      t.strataPush.push(time(() => strata(source, 'push', '-q', ref)));
      wipe();
      t.skopeoPush.push(time(() => execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${ref}`])));
      const store = join(work, `pull-${name}-${i}`);
      strata(store, 'images');
      t.strataPull.push(time(() => strata(store, 'pull', '-q', ref)));
      stopHelper(store);
      rmSync(store, { recursive: true, force: true });
      const oci = join(work, 'oci');
      t.skopeoPullOci.push(time(() => execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${oci}:x`])));
      rmSync(oci, { recursive: true, force: true });
      const out = join(work, 'out.tar');
      t.skopeoPullArchive.push(time(() => execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${out}:x/y:1`])));
      rmSync(out, { force: true });
      if (dockerd) {
        // The same image from dockerd's own store, into the emptied registry; then pulled back
        // after dockerd forgets it (its layers too: nothing else uses them).
        wipe();
        dockerd.docker('tag', `${name}:latest`, ref);
        t.dockerPush.push(time(() => dockerd.docker('push', '-q', ref)));
        dockerd.docker('rmi', ref, `${name}:latest`);
        t.dockerPull.push(time(() => dockerd.docker('pull', '-q', ref)));
        dockerd.docker('tag', ref, `${name}:latest`);
        dockerd.docker('rmi', ref);
      }
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(median(v))]));
    results[name] = {
      runs, medianMs: m,
      pushRatioStrataToSkopeo: +(m.strataPush / m.skopeoPush).toFixed(2),
      pullRatioStrataToSkopeoArchive: +(m.strataPull / m.skopeoPullArchive).toFixed(2),
      ...(dockerd ? { pushRatioStrataToDocker: +(m.strataPush / m.dockerPush).toFixed(2), pullRatioStrataToDocker: +(m.strataPull / m.dockerPull).toFixed(2) } : {}),
    };
    console.log(`${name}: ${JSON.stringify(results[name])}`);
  }
} finally {
  stopHelper(source);
  await dockerd?.stop();
  registry.kill();
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(join(root, 'test-output'), { recursive: true });
writeFileSync(join(root, 'test-output', 'bench-registry.json'), JSON.stringify({ when: new Date().toISOString(), results }, null, 2) + '\n');
