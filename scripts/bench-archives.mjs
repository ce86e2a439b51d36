// Save and load of one (large) image against skopeo copy, side by side in one run, medians of N
// rounds (issue 11's figures; not a test: nothing here is asserted).
// Usage: node scripts/bench-archives.mjs --root STORE --image REF [--runs 5]
//   STORE must hold REF (e.g. `strata --root STORE debootstrap bookworm minbase`). Each round:
//   strata save (docker; oci-dir; docker --compress), skopeo copy oci:DIR -> docker-archive (the
//   same image, from the layout Strata wrote), strata load into an empty store (its helper already
//   running), skopeo copy docker-archive -> oci:DIR. The rounds interleave the tools, so the noise
//   of a shared machine falls on all of them alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropStore } from './drop-store.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const store = arg('root');
const image = arg('image');
const runs = Number(arg('runs', '5'));
if (!store || !image) {
  console.error('usage: node scripts/bench-archives.mjs --root STORE --image REF [--runs 5]');
  process.exit(2);
}

function run(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const strata = (root_, ...args) => run(process.execPath, [cli, '--root', root_, ...args]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = mkdtempSync(join(tmpdir(), 'strata-bench-archives-'));
const times = {};
const add = (k, ms) => (times[k] ??= []).push(ms);
try {
  const tag = image.includes(':') ? image : `${image}:latest`;
  strata(store, 'images'); // the store's helper up before the first timing
  for (let i = 0; i < runs; i++) {
    const docker = join(work, `s${i}.tar`);
    add('strata save (docker)', strata(store, 'save', '-o', docker, image));
    const layout = join(work, `layout${i}`);
    add('strata save --format oci-dir', strata(store, 'save', '--format', 'oci-dir', '-o', layout, image));
    add('strata save --compress (docker)', strata(store, 'save', '--compress', '-o', join(work, `gz${i}.tar`), image));
    add('skopeo copy oci:DIR -> docker-archive', run('skopeo', ['copy', '-q', `oci:${layout}:${tag}`, `docker-archive:${join(work, `k${i}.tar`)}:${tag}`]));
    add('skopeo copy --dest-compress oci:DIR -> oci-archive', run('skopeo', ['copy', '-q', '--dest-compress', `oci:${layout}:${tag}`, `oci-archive:${join(work, `kgz${i}.tar`)}:${tag}`]));
    const fresh = join(work, `store${i}`);
    strata(fresh, 'images');
    add('strata load (docker archive, empty store)', strata(fresh, 'load', '-q', '-i', docker));
    dropStore(fresh);
    add('skopeo copy docker-archive -> oci:DIR', run('skopeo', ['copy', '-q', `docker-archive:${docker}:${tag}`, `oci:${join(work, `kl${i}`)}:${tag}`]));
    for (const f of [docker, join(work, `gz${i}.tar`), join(work, `k${i}.tar`), join(work, `kgz${i}.tar`)]) {
      if (i === 0) add(`size ${f.slice(work.length + 1).replace(/\d+/, '')}`, statSync(f).size / 1e6);
      rmSync(f, { force: true });
    }
    rmSync(layout, { recursive: true, force: true });
    rmSync(join(work, `kl${i}`), { recursive: true, force: true });
  }
  console.log(`${image}, ${runs} rounds, medians:`);
  for (const [k, xs] of Object.entries(times)) {
    console.log(k.startsWith('size') ? `  ${k}: ${xs[0].toFixed(1)} MB` : `  ${k}: ${(median(xs) / 1000).toFixed(2)} s  (${xs.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
