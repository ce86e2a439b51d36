// npm run bench:registry [-- --runs N] [--minbase] [--no-docker] [--push-only] [--before DIR]:
// strata push and pull against
// skopeo copy and docker push/pull, side by side in one run, on a loopback registry (Debian's
// docker-registry, storage in a temp folder: test/support/registry.ts):
//  - push: the image from the store (strata push) against skopeo copy of its `strata save` archive
//    (docker-archive:) to the registry, each into an empty registry (its storage wiped before
//    each), Strata's remembered blob digests dropped first, so both compress and upload everything;
//    and docker push of the same archive `docker load`ed into a dockerd of the run's own
//    (test/support/peers.ts: no bridge, no iptables, no forwarding);
//  - pull: strata pull into an empty store (its helper already up) against skopeo copy from the
//    registry to an OCI layout (blobs only, nothing unpacked) and to a docker-archive (layers
//    decompressed into one file), and docker pull (the image removed from dockerd before each).
//    Strata unpacks every file into layer folders, as Docker does.
// The busybox image always; with --minbase also debootstrap's minbase bookworm (imported from
// npm run bench's tar when it is there; else about a minute to make, its .debs kept in the
// store's cache). Medians of the runs, and ratios; these machines are shared and noisy: compare
// within one run, never across runs; the ratios of each round (pushPairs) compare pushes made
// seconds apart. Each round also times `strata save` of the image to /dev/null: the tar made again
// alone (no gzip, no upload), the floor under Strata's push. --push-only skips the pulls;
// --before DIR also times, in each round, the push of another Strata build (DIR/dist/cli.js, from
// a store of its own) beside this one: before and after a change, interleaved. The order of the
// pushes in a round turns from one round to the next. Writes test-output/bench-registry.json.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installed, runCli, startDocker, type Peer } from '../support/peers';
import { Registry } from '../support/registry';
import { CLI, repoRoot } from '../support/strata';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const strata = (store: string, ...args: string[]) => execFileSync(process.execPath, [CLI, '--root', store, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
function time(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const before = argv.includes('--before') ? join(argv[argv.indexOf('--before') + 1], 'dist/cli.js') : null;
const strataBefore = (store: string, ...args: string[]) => execFileSync(process.execPath, [before!, '--root', store, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const pushOnly = argv.includes('--push-only');
// The loop's steps are synchronous: between them the event loop reads the registry's log pipe
// (test/support/registry.ts keeps its lines), which else fills and stalls the registry mid-run.
const breathe = () => new Promise((resolve) => setTimeout(resolve, 20));
const stopHelper = (store: string) => {
  try { process.kill(Number(readFileSync(join(store, 'helper.pid'), 'utf8'))); } catch { /* none */ }
};

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-registry-'));
  const registry = await Registry.start(join(work, 'registry'));
  const data = join(registry.dir, 'data');
  const wipe = () => { for (const f of existsSync(data) ? readdirSync(data) : []) rmSync(join(data, f), { recursive: true, force: true }); };
  let docker: Peer | undefined;
  if (!argv.includes('--no-docker')) {
    if (installed('docker')) docker = startDocker(join(work, 'docker'));
    else console.log('docker push/pull not measured: Debian\'s docker.io is not installed (npm run bench installs it)');
  }
  const dockerCli = (...args: string[]) => runCli(docker!.cli(...args));
  const host = registry.host;
  const source = join(work, 'source');
  const sourceBefore = join(work, 'source-before');
  const images: [string, () => void][] = [['busybox', () => strata(source, 'busybox')]];
  // The minbase root fs tar `npm run bench` keeps (the same image as its save and load rows) is
  // imported when it is there: no mirror to reach, and no minute of debootstrap.
  const minbaseTar = '/var/cache/strata-bench/bookworm-minbase.tar';
  if (argv.includes('--minbase')) images.push(['minbase', () => (existsSync(minbaseTar) ? strata(source, 'import', minbaseTar, 'minbase') : strata(source, 'debootstrap', 'bookworm', 'minbase'))]);
  const dropRemembered = (store: string) => {
    for (const l of readdirSync(join(store, 'graph'))) rmSync(join(store, 'graph', l, 'blobs.json'), { force: true });
  };
  const results: Record<string, unknown> = {};
  try {
    for (const [name, make] of images) {
      make();
      const archive = join(work, `${name}.tar`);
      strata(source, 'save', '-o', archive, name);
      if (before) strataBefore(sourceBefore, 'load', '-q', '-i', archive);
      const t: Record<string, number[]> = { strataPush: [], skopeoPush: [], strataSaveToNull: [] };
      if (before) t.beforePush = [];
      if (!pushOnly) Object.assign(t, { strataPull: [], skopeoPullOci: [], skopeoPullArchive: [] });
      if (docker) {
        t.dockerPush = [];
        if (!pushOnly) t.dockerPull = [];
        dockerCli('load', '-q', '-i', archive);
      }
      const devNull = openSync('/dev/null', 'w');
      for (let i = 0; i < runs; i++) {
        const ref = `${host}/${name}${i}:1`;
        strata(source, 'tag', name, ref);
        if (before) strataBefore(sourceBefore, 'tag', name, ref);
        // Each push into an emptied registry, every blob compressed and sent; in turn first.
        const pushes: [string, () => void][] = [
          ['strataPush', () => { dropRemembered(source); wipe(); t.strataPush.push(time(() => strata(source, 'push', '-q', ref))); }],
          ['skopeoPush', () => { wipe(); t.skopeoPush.push(time(() => execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${ref}`]))); }],
          ...(before ? [['beforePush', () => { dropRemembered(sourceBefore); wipe(); t.beforePush.push(time(() => strataBefore(sourceBefore, 'push', '-q', ref))); }] as [string, () => void]] : []),
        ];
        for (let k = 0; k < pushes.length; k++) {
          pushes[(i + k) % pushes.length][1]();
          await breathe();
        }
        t.strataSaveToNull.push(time(() => execFileSync(process.execPath, [CLI, '--root', source, 'save', name], { stdio: ['ignore', devNull, 'pipe'] })));
        if (pushOnly) {
          if (docker) {
            wipe();
            dockerCli('tag', `${name}:latest`, ref);
            t.dockerPush.push(time(() => dockerCli('push', '-q', ref)));
            dockerCli('rmi', ref);
            await breathe();
          }
          continue;
        }
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
        if (docker) {
          // The same image from dockerd's own store, into the emptied registry; then pulled back
          // after dockerd forgets it (its layers too: nothing else uses them).
          wipe();
          dockerCli('tag', `${name}:latest`, ref);
          t.dockerPush.push(time(() => dockerCli('push', '-q', ref)));
          dockerCli('rmi', ref, `${name}:latest`);
          t.dockerPull.push(time(() => dockerCli('pull', '-q', ref)));
          dockerCli('tag', ref, `${name}:latest`);
          dockerCli('rmi', ref);
        }
        await breathe();
      }
      closeSync(devNull);
      const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(median(v))]));
      const ratio = (a: number, b: number) => +(a / b).toFixed(2);
      const pairs = (a: number[], b: number[]) => a.map((x, i) => ratio(x, b[i]));
      results[name] = {
        runs, medianMs: m,
        pushRatioStrataToSkopeo: ratio(m.strataPush, m.skopeoPush),
        pushPairs: {
          ms: Object.fromEntries(Object.entries(t).filter(([k]) => k.endsWith('Push') || k === 'strataSaveToNull').map(([k, v]) => [k, v.map(Math.round)])),
          strataToSkopeo: pairs(t.strataPush, t.skopeoPush),
          ...(before ? { beforeToSkopeo: pairs(t.beforePush, t.skopeoPush), strataToBefore: pairs(t.strataPush, t.beforePush) } : {}),
          ...(docker ? { strataToDocker: pairs(t.strataPush, t.dockerPush) } : {}),
        },
        ...(pushOnly ? {} : { pullRatioStrataToSkopeoArchive: ratio(m.strataPull, m.skopeoPullArchive) }),
        ...(docker ? { pushRatioStrataToDocker: ratio(m.strataPush, m.dockerPush), ...(pushOnly ? {} : { pullRatioStrataToDocker: ratio(m.strataPull, m.dockerPull) }) } : {}),
      };
      console.log(`${name}: ${JSON.stringify(results[name])}`);
    }
  } finally {
    stopHelper(source);
    if (before) stopHelper(sourceBefore);
    docker?.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync(join(repoRoot(), 'test-output'), { recursive: true });
  writeFileSync(join(repoRoot(), 'test-output', 'bench-registry.json'), JSON.stringify({ when: new Date().toISOString(), results }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
