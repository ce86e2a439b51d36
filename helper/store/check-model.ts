// What `strata check` knows after reading the disk (check-scan.ts): which layers, images and
// containers hold together, and who uses which layer. The findings (check-layers.ts,
// check-records.ts) are read off this model; each carries the repair --repair may apply.
import type { ImageConfig } from '../protocol/types';
import type { StoreScan } from './check-scan';
import type { ContainerRecord } from './containers';
import { chainId, chainIds } from './ids';
import type { Store } from './index';
import type { LayerRecord } from './layers';
import type { LostFound } from './lost-found';

export interface Finding {
  path: string;
  problem: string;
  /** What --repair does; it returns what it did, for the report. Absent: nothing is safe to do. */
  fix?: (lost: LostFound) => Promise<string>;
}

/** What re-hashing a layer's files said (check-layers.ts, verifyLayer). */
export type Verdict = { state: 'verified' } | { state: 'unverifiable' | 'damaged'; why: string };

export interface Model {
  store: Store;
  scan: StoreScan;
  /** Complete layers whose chain holds: the parent is such a layer, the id is the chain id. */
  layers: Map<string, LayerRecord>;
  /** Layers whose chain does not hold, and why. */
  unchained: Map<string, string>;
  verdicts: Map<string, Verdict>;
  /** Image configs that are what their id says. */
  configs: Map<string, ImageConfig>;
  /** Of those, the ones whose every layer is in `layers`. */
  usable: Set<string>;
  /** Readable container records, by id. */
  records: Map<string, ContainerRecord>;
  /** Layer id -> the names of the containers that need it (their image's chain, or their upperLayer). */
  users: Map<string, string[]>;
}

/** Layers whose chain holds, and why the others' does not (a missing or broken parent, a wrong id). */
function chainedLayers(scan: StoreScan): { layers: Map<string, LayerRecord>; unchained: Map<string, string> } {
  const complete = new Map(scan.layers.flatMap((d) => (d.rec ? [[d.rec.id, d.rec] as const] : [])));
  const layers = new Map<string, LayerRecord>();
  const unchained = new Map<string, string>();
  const visit = (rec: LayerRecord): boolean => {
    if (layers.has(rec.id)) return true;
    if (unchained.has(rec.id)) return false;
    let why: string | undefined;
    if (rec.id !== chainId(rec.parent, rec.diff_id)) why = 'its id is not the chain id of its parent and diff_id: its json was changed';
    else if (rec.parent && !complete.has(rec.parent)) why = `its parent ${rec.parent} is missing: it cannot be mounted`;
    else if (rec.parent && !visit(complete.get(rec.parent)!)) why = `its parent ${rec.parent} is broken: it cannot be mounted`;
    if (why) unchained.set(rec.id, why);
    else layers.set(rec.id, rec);
    return why === undefined;
  };
  for (const rec of complete.values()) visit(rec);
  return { layers, unchained };
}

export function buildModel(store: Store, scan: StoreScan, verdicts: Map<string, Verdict>): Model {
  const { layers, unchained } = chainedLayers(scan);
  const configs = new Map(scan.images.flatMap((f) => (f.id && f.config ? [[f.id, f.config] as const] : [])));
  const usable = new Set([...configs].filter(([, c]) => chainIds(c.rootfs.diff_ids).every((l) => layers.has(l))).map(([id]) => id));
  const records = new Map(scan.containers.flatMap((d) => (d.rec ? [[d.rec.id, d.rec] as const] : [])));
  const users = new Map<string, string[]>();
  for (const rec of records.values()) {
    const config = configs.get(rec.imageId);
    const needs = [...(config ? chainIds(config.rootfs.diff_ids) : []), ...(rec.upperLayer ? [rec.upperLayer] : [])];
    for (const l of needs) users.set(l, [...(users.get(l) ?? []), rec.name]);
  }
  return { store, scan, layers, unchained, verdicts, configs, usable, records, users };
}

/** The images whose chain holds `layerId`, by id. */
export function imagesOn(model: Model, layerId: string): string[] {
  return [...model.configs].filter(([, c]) => chainIds(c.rootfs.diff_ids).includes(layerId)).map(([id]) => id);
}

/** Whether a running container uses image `id` (check never moves what a running container needs). */
export function runningOn(model: Model, imageId: string): string | undefined {
  return [...model.records.values()].find((r) => r.imageId === imageId && r.status === 'running')?.name;
}
