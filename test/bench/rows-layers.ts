// 4. What no peer has: a large layer's changes (the full walk, and the helper's peak memory while
// it answers), and reading one file's two sides for the diff editor.
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { peakMB, resetPeak, type BenchContext } from './context';
import { measure, type RowResult } from './measure';

/** A tar of `count` small files in folders of 1000 (d0/f0 ...), the layer the rows below walk. */
async function manyFilesTar(file: string, count: number): Promise<void> {
  const p = pack();
  const written = pipeline(p, createWriteStream(file));
  const mtime = new Date(1_700_000_000_000);
  for (let d = 0; d * 1000 < count; d++) {
    p.entry({ name: `d${d}/`, type: 'directory', mode: 0o755, mtime });
    for (let f = 0; f < 1000 && d * 1000 + f < count; f++) {
      await new Promise<void>((resolve, reject) => p.entry({ name: `d${d}/f${f}`, mode: 0o644, mtime }, `${f}\n`, (err) => (err ? reject(err) : resolve())));
    }
  }
  p.finalize();
  await written;
}

/** A process's resident memory now (VmRSS), in MB: what the helper holds before a request. */
function residentMB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Rows for a layer of `count` files: layer.changes (the full walk) and the helper's peak memory. */
export async function largeLayerRows(ctx: BenchContext, count: number, targets: { walkMs?: number; peakMB?: number }): Promise<RowResult[]> {
  const tar = join(ctx.work, `files-${count}.tar`);
  await manyFilesTar(tar, count);
  const t0 = Date.now();
  await ctx.strata.importTar(tar, `files-${count}`);
  console.log(`  (imported a layer of ${count} files in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const layer = (await ctx.strata.client.request('image.inspect', { ref: `files-${count}` })).layers[0].id;
  const helper = (await ctx.strata.client.request('store.info', {})).helperPid;
  const peaks: number[] = [];
  let listed = 0;
  // The floor of the peak: what the helper held before the request (the peak is reset to it).
  const before: number[] = [];
  const walk = await measure({
    id: `layers.changes.${count}`,
    title: `layer changes of a ${count}-file layer: the full walk`,
    target: targets.walkMs === undefined ? undefined : { kind: 'ms', max: targets.walkMs },
    sides: {
      strata: {
        what: 'JSON-RPC: layer.changes (every path, A/C/D, sorted)',
        before: async () => { before.push(residentMB(helper)); resetPeak(helper); },
        run: async () => { listed = (await ctx.strata.client.request('layer.changes', { id: layer })).length; },
        after: async () => { peaks.push(peakMB(helper)); },
      },
    },
  }, { runs: ctx.runs, warmup: 1 });
  walk.extra = { changes: listed };
  const peak = Math.max(...peaks);
  const held = `${Math.min(...before)}-${Math.max(...before)} MB`;
  const memory: RowResult = {
    id: `layers.memory.${count}`,
    title: `layer changes of a ${count}-file layer: the helper's peak memory (RSS)`,
    what: { strata: `VmHWM of the helper, reset (clear_refs 5) before each layer.changes (peaks ${peaks.join(', ')} MB; it held ${held} before each)` },
    stats: {}, errors: {}, ratios: {}, extra: { peakMB: peak, peaksMB: peaks.join(' '), heldBeforeMB: held },
  };
  if (targets.peakMB !== undefined) memory.target = { kind: 'mb', max: targets.peakMB, met: peak <= targets.peakMB };
  await ctx.strata.removeImage(`files-${count}`);
  return [walk, memory];
}

/** file.read of one path in a layer and in its parent: the two sides the diff editor opens. */
export async function twoSidesRow(ctx: BenchContext): Promise<RowResult> {
  const id = await ctx.strata.createStartWait('bb', ['sh', '-c', 'echo bench:x:1000:1000::/:/bin/sh >> /etc/passwd']);
  await ctx.strata.commit(id, 'two-sides');
  await ctx.strata.remove(id);
  const [parent, top] = (await ctx.strata.client.request('image.inspect', { ref: 'two-sides' })).layers.map((l) => l.id);
  const row = await measure({
    id: 'layers.two-sides',
    title: "one file's two sides for the diff editor (/etc/passwd in a layer and its parent)",
    sides: {
      strata: {
        what: 'JSON-RPC: file.read {layer: L} and {layer: parent of L}, both in flight at once',
        run: () => Promise.all([top, parent].map((layer) => ctx.strata.client.request('file.read', { version: { layer }, path: '/etc/passwd' }))),
      },
    },
  }, { runs: ctx.runs, warmup: 1 });
  await ctx.strata.removeImage('two-sides');
  return row;
}
