// `strata check`, the layers: each complete one's files hashed again against its diff_id, its chain
// (parent present, id = chain id), whether an import, commit, build, load or rmi left it half-claimed, and
// whether anything uses it. --repair never moves a layer a container needs; what it moves goes
// to lost+found (lost-found.ts), and a removal cut short is finished.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { digestLayer } from '../archive';
import { checkLayerTar } from '../archive/reproduce';
import { dropLayerLink } from '../union';
import { type Finding, imagesOn, type Model, type Verdict } from './check-model';
import { SHA256_ID, chainIds, shortId } from './ids';
import type { LayerRecord } from './layers';
import type { LostFound } from './lost-found';
import { giveUppersBack } from './moved-uppers';
import type { StorePaths } from './paths';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const exists = (path: string) => fs.access(path).then(() => true, () => false);

/**
 * Whether the layer is a tar as imported, whose diff_id is the sha256 of those bytes: import (and
 * the built-in busybox, which is imported) writes no parent and no created_by, where commit and
 * build always record what made the layer. Or it has a tar-split, which only imports keep.
 */
async function isImported(paths: StorePaths, rec: LayerRecord): Promise<boolean> {
  return (rec.parent === null && rec.created_by === '') || exists(join(paths.layer(rec.id), 'tar-split'));
}

/**
 * An imported layer: its diff_id is the sha256 of the tar as imported, which only its tar-split
 * (archive/tar-split.ts: that tar's headers, padding and order) and its files reproduce. A layer
 * imported before tar-split existed, or whose tar could not be kept (its entries overwrote each
 * other), cannot be verified: said so, not called damaged.
 */
async function verifyImported(paths: StorePaths, rec: LayerRecord): Promise<Verdict> {
  const tarSplit = paths.layerTarSplit(rec.id);
  if (!(await exists(tarSplit))) {
    return { state: 'unverifiable', why: rec.unreproducible ? `its tar cannot be reproduced: ${rec.unreproducible}` : 'imported without a tar-split (before Strata kept one): its files alone cannot reproduce the tar its diff_id is the sha256 of' };
  }
  const problem = await checkLayerTar({ id: rec.id, diffId: rec.diff_id, dir: paths.layerFiles(rec.id), tarSplit });
  return problem === null ? { state: 'verified' } : { state: 'damaged', why: problem };
}

/** Hashes the layer's files as the canonical tar commit writes (archive/pack.ts) and compares. */
export async function verifyLayer(paths: StorePaths, rec: LayerRecord): Promise<Verdict> {
  let diffId: string;
  try {
    diffId = (await digestLayer(paths.layerFiles(rec.id))).diffId;
  } catch (err) {
    if (await isImported(paths, rec)) return verifyImported(paths, rec);
    return { state: 'damaged', why: `its files cannot be read as a layer (${message(err)})` };
  }
  if (diffId === rec.diff_id) return { state: 'verified' };
  if (await isImported(paths, rec)) return verifyImported(paths, rec);
  return { state: 'damaged', why: `its files hash to ${diffId}, not to its diff_id ${rec.diff_id}: they were changed` };
}

/** Verifies every layer of the model not verified before (one at a time: it reads every byte). */
export async function verifyLayers(model: Model): Promise<void> {
  for (const rec of model.layers.values()) {
    if (!model.verdicts.has(rec.id)) model.verdicts.set(rec.id, await verifyLayer(model.store.paths, rec));
  }
}

/** Moves graph/<name> to lost+found; the index and the short link forget it. */
async function moveLayer(model: Model, lost: LostFound, name: string): Promise<string> {
  const id = `sha256:${name}`;
  if (SHA256_ID.test(id)) {
    model.store.layers.forget(id);
    await dropLayerLink(model.store.paths.root, model.store.paths.layerFiles(id));
  }
  return lost.move(`graph/${name}`);
}

const path = (id: string) => `graph/${id.slice(7)}`;

export function layerFindings(model: Model): Finding[] {
  const out: Finding[] = [];
  for (const dir of model.scan.layers) {
    if (dir.beingRemoved) {
      const gone = join(model.store.paths.graph, dir.name);
      out.push({ path: `graph/${dir.name}`, problem: dir.problem!, fix: async () => { await fs.rm(gone, { recursive: true, force: true }); return 'removed, as it was being'; } });
    } else if (dir.problem) out.push({ path: `graph/${dir.name}`, problem: dir.problem, fix: (lost) => moveLayer(model, lost, dir.name) });
  }
  for (const [id, why] of model.unchained) out.push({ path: path(id), problem: why, fix: (lost) => moveLayer(model, lost, id.slice(7)) });
  for (const [id, verdict] of model.verdicts) {
    if (verdict.state !== 'damaged' || !model.layers.has(id)) continue;
    const images = imagesOn(model, id).map(shortId);
    const on = images.length ? ` (images on it: ${images.join(', ')})` : '';
    const users = model.users.get(id);
    if (users) out.push({ path: path(id), problem: `${verdict.why}${on}; not repaired: container(s) ${users.join(', ')} need it (remove them, then check --repair again)` });
    else out.push({ path: path(id), problem: `${verdict.why}${on}`, fix: (lost) => moveLayer(model, lost, id.slice(7)) });
  }
  out.push(...unclaimedFindings(model), ...orphanFindings(model));
  return out;
}

/** Layers an import, commit, build, load or rmi marked and did not finish with (store/layers.ts, claim). */
function unclaimedFindings(model: Model): Finding[] {
  const { store } = model;
  return model.scan.layers.filter((d) => d.unclaimed && d.rec && model.layers.has(d.rec.id)).map((d) => {
    const id = d.rec!.id;
    const used = imagesOn(model, id).length > 0 || [...model.layers.values()].some((l) => l.parent === id);
    return {
      path: path(id),
      problem: `marked unclaimed: the import, commit, build, load or rmi that ${used ? 'made it did not finish (an image uses it)' : 'made or removed it did not finish (no image uses it)'}`,
      fix: async (lost: LostFound) => {
        if (used) { await store.layers.claim(id); return 'claimed: the mark is gone'; }
        await giveUppersBack(store, id);
        return moveLayer(model, lost, id.slice(7));
      },
    };
  });
}

/** Layers that no image (whole or broken) and no container uses. */
function orphanFindings(model: Model): Finding[] {
  const used = new Set([...model.configs.values()].flatMap((c) => chainIds(c.rootfs.diff_ids)));
  const marked = new Set(model.scan.layers.filter((d) => d.unclaimed).map((d) => d.rec?.id));
  return [...model.layers.keys()]
    .filter((id) => !used.has(id) && !model.users.has(id) && !marked.has(id) && model.verdicts.get(id)?.state !== 'damaged')
    .map((id) => ({ path: path(id), problem: 'no image or container uses it', fix: (lost: LostFound) => moveLayer(model, lost, id.slice(7)) }));
}
