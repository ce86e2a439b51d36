// npm run bench:registry [-- --runs N] [--minbase]: strata push and pull against skopeo copy, side
// by side in one run, on a loopback registry (Debian's docker-registry, storage in a temp folder):
//  - push: the image from the store (strata push) against skopeo copy of its `strata save` archive
//    (docker-archive:) to the registry, each into an empty registry (its storage wiped before
//    each), Strata's remembered blob digests dropped first, so both compress and upload everything;
//  - pull: strata pull into an empty store (its helper already up) against skopeo copy from the
//    registry to an OCI layout (blobs only, nothing unpacked) and to a docker-archive (layers
//    decompressed into one file). Strata unpacks every file into layer folders, as Docker does.
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
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(median(v))]));
    results[name] = { runs, medianMs: m, pushRatioStrataToSkopeo: +(m.strataPush / m.skopeoPush).toFixed(2), pullRatioStrataToSkopeoArchive: +(m.strataPull / m.skopeoPullArchive).toFixed(2) };
    console.log(`${name}: ${JSON.stringify(results[name])}`);
  }
} finally {
  stopHelper(source);
  registry.kill();
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(join(root, 'test-output'), { recursive: true });
writeFileSync(join(root, 'test-output', 'bench-registry.json'), JSON.stringify({ when: new Date().toISOString(), results }, null, 2) + '\n');
