// npm run bench (scripts/bench.mjs runs this, built into out/test/bench/main.js): Strata against
// Docker and Podman, engine against engine and command against command, and against the floors,
// side by side in one run; prints the table and writes test-output/bench.json.
// Flags: --quick (one round a row, tiny inputs, only peers already installed: npm test runs it)
//        --peers docker,podman|none (default: those installed; named ones are installed when missing)
//        --runs N (counted rounds of the fast rows; default 9)   --only ID[,ID...] (rows whose id starts so)
//        --out FILE (default test-output/bench-engine.json)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { repoRoot } from '../support/strata';
import { minbaseTar, run, type BenchContext } from './context';
import { measure, type Row, type RowResult } from './measure';
import { install, installed, startDocker, startPodman, type Peer, type PeerName } from '../support/peers';
import { cliRows } from './rows-cli';
import { engineImportRow, engineRows } from './rows-engine';
import { floorRows, freshExt4, importFloorRow, importStreamFloorRows } from './rows-floor';
import { buildRows, debootstrapRow, saveLoadRows } from './rows-images';
import { largeLayerRows, twoSidesRow } from './rows-layers';
import { StrataApi } from './strata-api';
import { commands, table } from './table';

const argv = process.argv.slice(2);
const flag = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const quick = argv.includes('--quick');
const only = flag('--only')?.split(',');
const wanted = (id: string) => !only || only.some((p) => id.startsWith(p));

function choosePeers(): PeerName[] {
  const named = flag('--peers');
  if (named === 'none') return [];
  if (!named) return (['docker', 'podman'] as PeerName[]).filter(installed);
  const names = named.split(',') as PeerName[];
  for (const n of names) if (n !== 'docker' && n !== 'podman') throw new Error(`--peers: unknown peer ${n} (docker, podman, none)`);
  // --quick measures only what is here; a full run installs what it is asked to compare with.
  return names.filter((n) => (quick ? installed(n) : install(n)));
}

const repo = repoRoot();
const work = mkdtempSync(join(tmpdir(), 'strata-bench-'));
const peers: Peer[] = [];
let strata: StrataApi | undefined;
const unmounts: (() => void)[] = [];
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  strata?.close();
  for (const p of peers) { try { p.stop(); } catch (err) { console.error(`stopping ${p.name}: ${(err as Error).message}`); } }
  spawnSync('pkill', ['-f', '--', `--root ${work}/`]);
  spawnSync('sleep', ['0.5']);
  for (const u of unmounts.reverse()) u();
  // Whatever a peer left mounted under the work folder goes before the folder does.
  const mounts = execFileSync('awk', ['{print $2}', '/proc/self/mounts'], { encoding: 'utf8' }).split('\n').filter((m) => m.startsWith(work));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(130); });

async function main(): Promise<void> {
  const runs = quick ? 1 : Number(flag('--runs')) || 9;
  const peerNames = choosePeers();
  console.log(`Strata bench${quick ? ' --quick' : ''}: ${runs} counted round(s) a fast row; peers: ${peerNames.join(', ') || 'none'}; ${new Date().toISOString()}`);

  const rootfs = join(work, 'busybox');
  await buildBusyboxRootfs(rootfs);
  const bbTar = join(work, 'busybox.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', bbTar, '.']);
  for (const name of peerNames) {
    const peer = name === 'docker' ? startDocker(join(work, 'docker')) : startPodman(join(work, 'podman'));
    peers.push(peer);
    run(peer.cli('import', bbTar, 'bb'));
  }
  const storeRoot = join(work, 'strata', 'root');
  strata = await StrataApi.open(storeRoot);
  await strata.importTar(bbTar, 'bb');
  const floorC = join(work, 'floor-c');
  execFileSync('gcc', ['-O2', '-o', floorC, join(repo, 'test/bench/floor.c')]);
  const importFloorC = join(work, 'import-floor');
  execFileSync('gcc', ['-O2', '-Wall', '-o', importFloorC, join(repo, 'test/bench/import-floor.c'), '-ldl', '-lpthread']);
  const ctx: BenchContext = { repo, quick, work, storeRoot, strata, peers, bbTar, files: quick ? 100 : 1000, runs };
  const defaults = { runs, warmup: quick ? 0 : 1 };

  const results: RowResult[] = [];
  const measureAll = async (rows: Row[]) => {
    for (const row of rows.filter((r) => wanted(r.id))) {
      const r = await measure(row, defaults);
      results.push(r);
      console.log(`  ${r.id}: ${Object.entries(r.stats).map(([s, x]) => `${s} ${x!.median} ms`).join(', ')}${Object.keys(r.errors).length ? ` (failed: ${Object.keys(r.errors).join(', ')})` : ''}`);
    }
  };

  // The large input: the 204 MB debootstrap minbase tar; --quick takes the busybox tar instead.
  const big = quick ? { file: bbTar } : minbaseTar();
  const bigLabel = big.file ? `${quick ? 'the busybox tar' : 'the minbase tar'} (${(statSync(big.file).size / 1e6).toFixed(0)} MB)` : '';
  if (!big.file) console.log(`no large tar: ${big.why}; its rows are left out`);

  await measureAll(engineRows(ctx));
  if (big.file && !quick) await measureAll([engineImportRow(ctx, big.file, bigLabel)]);
  await measureAll(cliRows(ctx));
  await measureAll(await floorRows(ctx, floorC));
  if (big.file) {
    await measureAll([importFloorRow(ctx, strata, work, big.file, 'floor.import.disk', `import of ${bigLabel} against tar -x + sync -f, on the main disk`)]);
    const fresh = freshExt4(ctx, statSync(big.file).size);
    unmounts.push(fresh.unmount);
    const freshApi = await StrataApi.open(join(fresh.dir, 'strata'));
    try {
      await measureAll([importFloorRow(ctx, freshApi, fresh.dir, big.file, 'floor.import.fresh', `import of ${bigLabel} against tar -x + sync -f, on a fresh ext4`, 1.2)]);
      if (['floor.import.hashed', 'floor.import.c', 'floor.import.node'].some(wanted)) {
        const streamed = await importStreamFloorRows(ctx, freshApi, fresh.dir, big.file, bigLabel, importFloorC);
        try { await measureAll(streamed.rows); } finally { streamed.stop(); }
      }
    } finally {
      freshApi.close();
      spawnSync('pkill', ['-f', '--', `--root ${join(fresh.dir, 'strata')}`]);
      spawnSync('sleep', ['0.5']);
    }
  }
  if (wanted('layers')) {
    for (const count of quick ? [1000] : [10_000, 100_000]) {
      results.push(...await largeLayerRows(ctx, count, count >= 100_000 ? { walkMs: 1000, peakMB: 200 } : {}));
    }
    results.push(await twoSidesRow(ctx));
  }
  await measureAll(buildRows(ctx));
  if (!quick) await measureAll([debootstrapRow(ctx)]);
  if (big.file && (wanted('save') || wanted('load'))) {
    const ref = 'big';
    await strata.importTar(big.file!, ref);
    for (const p of peers) run(p.cli('import', big.file!, ref));
    await measureAll(saveLoadRows(ctx, ref, bigLabel));
  }

  console.log(`\n${table(results)}\n\nWhat each side ran:\n${commands(results)}`);
  const out = flag('--out') ?? join(repo, 'test-output/bench-engine.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, runs, peers: peerNames, rows: results }, null, 2) + '\n');
  const failed = results.flatMap((r) => Object.keys(r.errors).map((s) => `${r.id} (${s})`));
  if (failed.length) {
    console.log(`\n${failed.length} side(s) failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; }).finally(cleanup);
