// `strata check [--repair]`: fsck for the store (issue 14). It reads the disk, not the index
// (check-scan.ts), re-verifies every layer's diff_id against its files, and compares what the
// records say with what the folders hold: every image's config and layers present, no orphans
// (layers nothing uses, containers whose image is gone, stray folders, links to nothing, tags to
// nothing, leftovers in tmp/), each container's changes where its record says. Run under the
// store's mutex (engine/check.ts), so that no operation that changes the indexes runs meanwhile.
//
// --repair fixes what it can without losing complete data: it never deletes a complete layer, and
// never moves a layer or image that a container needs or a running container; what it cannot place
// it moves to lost+found/<time>/ (lost-found.ts); a removal cut short is finished. A repair can
// free more (an image set aside leaves its other layers unused), so it runs again until a pass
// finds nothing more to do, and a second check then finds the store clean.
import type { StoreCheckReport } from '../protocol/types';
import { buildModel, type Finding, type Verdict } from './check-model';
import { layerFindings, verifyLayers } from './check-layers';
import { containerFindings, imageFindings, linkFindings, stagingFindings, tagFindings } from './check-records';
import { scanStore } from './check-scan';
import type { Store } from './index';
import { LostFound } from './lost-found';

/** Enough for the longest cascade: a layer, then its images, their containers and tags, then the layers they leave unused. */
const MAX_PASSES = 6;

export interface CheckOutcome {
  report: StoreCheckReport;
  /** Containers whose record a repair set aside or dropped (the engine forgets their sessions). */
  containersMoved: string[];
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function checkStore(store: Store, opts: { repair: boolean }): Promise<CheckOutcome> {
  const verdicts = new Map<string, Verdict>();
  const lost = new LostFound(store.paths);
  const containersMoved: string[] = [];
  const problems: StoreCheckReport['problems'] = [];
  const seen = new Set<string>();
  let counts: StoreCheckReport['counts'] | undefined;
  let unverifiable: StoreCheckReport['unverifiable'] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const model = buildModel(store, await scanStore(store.paths), verdicts);
    await verifyLayers(model);
    const findings: Finding[] = [
      ...layerFindings(model), ...imageFindings(model), ...tagFindings(model),
      ...containerFindings(model, containersMoved), ...linkFindings(model), ...stagingFindings(model),
    ];
    counts ??= {
      layers: model.layers.size + model.unchained.size, verified: [...verdicts.values()].filter((v) => v.state === 'verified').length,
      images: model.configs.size, tags: Object.keys(model.scan.tags).length, containers: model.records.size,
    };
    unverifiable = [...model.layers.keys()].flatMap((id) => {
      const v = verdicts.get(id);
      return v?.state === 'unverifiable' ? [{ layer: id, why: v.why }] : [];
    });
    let repaired = 0;
    for (const f of findings) {
      // A problem left as it was is found again by the next pass: reported once.
      const key = `${f.path}\n${f.problem}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!opts.repair || !f.fix) { problems.push({ path: f.path, problem: f.problem }); continue; }
      try {
        problems.push({ path: f.path, problem: f.problem, repaired: await f.fix(lost) });
        repaired++;
      } catch (err) {
        problems.push({ path: f.path, problem: `${f.problem}; the repair failed: ${message(err)}` });
      }
    }
    if (repaired === 0) break;
  }
  const report: StoreCheckReport = { root: store.paths.root, repair: opts.repair, counts: counts!, problems, unverifiable };
  if (lost.path) report.lostAndFound = lost.path;
  return { report, containersMoved };
}
