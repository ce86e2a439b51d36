// npm run bench -- --quick, in npm test so that the bench cannot rot: every row runs once on tiny
// inputs against the peers already installed, and prints the same table. Nothing here asserts a
// duration (the machine is shared): only that each row measured Strata, and each installed peer
// where the row has one, without a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot, requireRoot } from '../support/strata';

test('npm run bench -- --quick measures every row, and prints the table', async () => {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-quick-'));
  try {
    const out = join(dir, 'bench.json');
    const r = await execa(process.execPath, [join(repoRoot(), 'out/test/bench/main.js'), '--quick', '--out', out], { reject: false, all: true, timeout: 900_000 });
    const log = String(r.all);
    assert.equal(r.exitCode, 0, `the bench failed:\n${log.slice(-4000)}`);
    assert.ok(existsSync(out), 'no bench.json written');
    type Cpu = { busy: number; iowait: number; steal: number };
    const { rows, peers } = JSON.parse(readFileSync(out, 'utf8')) as { rows: { id: string; stats: Record<string, unknown>; extra?: { peakMB?: number }; what: Record<string, string>; cpu?: Record<string, Cpu> }[]; peers: string[] };
    const ids = rows.map((row) => row.id);
    for (const id of ['engine.run', 'engine.commit', 'engine.changes', 'engine.history', 'engine.images', 'engine.inspect', 'engine.import.busybox',
      'cli.run', 'cli.commit', 'cli.diff', 'cli.history', 'cli.images', 'cli.floor', 'floor.run.sh', 'floor.run.c', 'floor.changes', 'floor.commit',
      'floor.import.disk', 'floor.import.fresh', 'floor.import.hashed', 'floor.import.c', 'floor.import.node', 'layers.changes.1000', 'layers.memory.1000', 'layers.two-sides', 'build.cold', 'build.cached', 'save', 'load']) {
      assert.ok(ids.includes(id), `row ${id} missing from the bench (rows: ${ids.join(', ')})`);
    }
    for (const row of rows) {
      if (row.id.startsWith('layers.memory')) assert.ok((row.extra?.peakMB ?? 0) > 0, `${row.id}: no peak memory`);
      else assert.ok(row.stats.strata, `${row.id}: Strata not measured`);
      for (const peer of peers) if (row.what[peer]) assert.ok(row.stats[peer], `${row.id}: ${peer} not measured`);
      // The import rows say what the machine's CPUs spent on each side (test/bench/cpu.ts).
      if (row.id.startsWith('floor.import')) {
        for (const side of ['strata', 'floor']) {
          const c = row.cpu?.[side];
          assert.ok(c && [c.busy, c.iowait, c.steal].every((x) => Number.isFinite(x) && x >= 0), `${row.id}: no CPU figures for ${side} (${JSON.stringify(row.cpu)})`);
        }
      }
    }
    assert.match(log, /^floor\.import\.fresh Strata: CPU busy \d+ ms \(at least \d+ ms of wall on \d+ CPUs\)/m, 'the table does not print the import rows\' CPU');
    // The same table a full run prints: a header with Strata and the ratio and target columns.
    assert.match(log, /^row +\| Strata +\|.*\| ratio +\| target/m);
    console.log(log.slice(log.indexOf('\nrow ')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
