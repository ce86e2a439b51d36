// Commit by move, on disk. A stopped container's upper dir (containers/<id>/upper) becomes a layer
// by rename, not by copy: O(1) in the number of files, where a copy creates every file again
// (~0.1-0.6 ms each on this ext4: that, not reading or hashing, is what a 1000-file commit costs
// Docker). The container's record then names the layer (upperLayer), and its changes are read from
// the layer's folder until it starts again: then it gets its own copy back first, because a running
// container writes into its upper dir in place and a layer never changes once made.
//
// Crash rules: every step is ordered so that at any moment either the container's upper dir or the
// layer holds the changes, and the record says which, or start-up repair (repairMovedUppers, here
// too) can tell:
//   move:      record says upperLayer=L -> rename upper -> commit/layer -> commit/ becomes graph/L
//   give back (rmi of L): rename graph/L/layer -> upper -> record drops upperLayer -> remove graph/L
//   take back (start):    copy graph/L/layer -> upper.copy -> rename to upper -> record drops upperLayer
// Each rename is followed by an fsync of the folder it changed, so that it lasts. The engine runs
// all three under its store mutex, so none interleaves with another or with a layer's removal.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { copyTree } from '../archive';
import type { ContainerRecord } from './containers';
import type { Store } from './index';
import type { LayerRecord } from './layers';
import { fsyncPath } from './atomic';
import { faultPoint } from './faults';

const exists = (path: string) => fs.access(path).then(() => true, () => false);

/**
 * Makes `layer` (not yet in the store) out of the stopped container's own upper dir, moved. Its
 * files must have been flushed already (engine/upper.ts, digestAndFlushUpper).
 */
export async function moveUpperIntoLayer(store: Store, rec: ContainerRecord, layer: LayerRecord): Promise<void> {
  const { paths } = store;
  const upper = paths.containerUpper(rec.id);
  const stage = paths.containerCommitStage(rec.id);
  // The record first: a stage (or an upper.copy) only ever exists while it names a layer, so
  // start-up repair looks at those containers only.
  await store.containers.save({ ...rec, upperLayer: layer.id });
  faultPoint('move.recorded');
  try {
    await fs.rm(stage, { recursive: true, force: true });
    await fs.mkdir(stage, { mode: 0o700 });
    faultPoint('move.staged');
    await fs.rename(upper, join(stage, 'layer'));
    faultPoint('move.renamed');
    await fsyncPath(dirname(upper));
    faultPoint('move.synced');
    // Unclaimed until its image uses it (a commit's, or a build step's): killed before that,
    // start-up gives the changes back.
    await store.layers.adopt(stage, layer, { filesSynced: true, unclaimed: true });
    faultPoint('move.adopted');
  } catch (err) {
    // Failed before graph/ showed the layer (a full disk, say): the changes go home at once, not
    // at the next start-up's repair, so the container's diff and files keep working meanwhile.
    // (Should that fail too, the record still names the layer, and start-up repair finishes it.)
    if (!store.layers.get(layer.id)) {
      await fs.rename(join(stage, 'layer'), upper).catch(() => undefined);
      if (await exists(upper)) {
        await fs.rm(stage, { recursive: true, force: true }).catch(() => undefined);
        await store.containers.save({ ...rec, upperLayer: null }).catch(() => undefined);
      }
    }
    throw err;
  }
}

/** Before a layer is removed: a stopped container whose changes live in it gets them back, by rename. */
export async function giveUppersBack(store: Store, layerId: string): Promise<void> {
  const { paths } = store;
  for (const rec of store.containers.list()) {
    if (rec.upperLayer !== layerId) continue;
    await fs.rename(paths.layerFiles(layerId), paths.containerUpper(rec.id));
    faultPoint('giveback.renamed');
    await fsyncPath(paths.container(rec.id));
    faultPoint('giveback.container-synced');
    await fsyncPath(paths.layer(layerId));
    faultPoint('giveback.layer-synced');
    await store.containers.save({ ...rec, upperLayer: null });
    faultPoint('giveback.recorded');
  }
}

/**
 * Before the container runs again: its own copy of the changes, made from the layer that holds
 * them. Returns the record as saved.
 */
export async function takeUpperBack(store: Store, rec: ContainerRecord): Promise<ContainerRecord> {
  if (!rec.upperLayer) return rec;
  const { paths } = store;
  const copy = paths.containerUpperCopy(rec.id);
  await fs.rm(copy, { recursive: true, force: true });
  await copyTree(paths.layerFiles(rec.upperLayer), copy);
  faultPoint('takeback.copied');
  await fs.rename(copy, paths.containerUpper(rec.id));
  faultPoint('takeback.renamed');
  await fsyncPath(paths.container(rec.id));
  faultPoint('takeback.synced');
  const saved = { ...rec, upperLayer: null };
  await store.containers.save(saved);
  faultPoint('takeback.recorded');
  return saved;
}

/**
 * Start-up: a move, a give-back or a take-back cut short. Whichever of the container's upper dir
 * and the layer holds its changes becomes the record's truth again.
 */
export async function repairMovedUppers(store: Store): Promise<string[]> {
  const done: string[] = [];
  const { paths } = store;
  // Only a record that names a layer can have been cut short (the record is written first): the
  // other containers cost start-up nothing here.
  for (const rec of store.containers.list().filter((c) => c.upperLayer)) {
    const short = rec.id.slice(0, 12);
    const upper = paths.containerUpper(rec.id);
    const stage = paths.containerCommitStage(rec.id);
    // Killed while the commit's stage held the upper dir, before it became a layer: put it back.
    if (!(await exists(upper)) && (await exists(join(stage, 'layer')))) {
      await fs.rename(join(stage, 'layer'), upper);
      await fsyncPath(dirname(upper));
      done.push(`container ${short}: an unfinished commit's changes went back to its upper dir`);
    }
    await fs.rm(stage, { recursive: true, force: true });
    if (await exists(paths.containerUpperCopy(rec.id))) {
      await fs.rm(paths.containerUpperCopy(rec.id), { recursive: true, force: true });
      done.push(`container ${short}: removed an unfinished copy of its changes`);
    }
    if (await exists(upper)) {
      // The move never happened, or a give-back or take-back renamed the changes home.
      await store.containers.save({ ...rec, upperLayer: null });
      done.push(`container ${short}: its changes are in its upper dir again`);
    } else if (!store.layers.get(rec.upperLayer!)) {
      await fs.mkdir(upper, { mode: 0o755 });
      await store.containers.save({ ...rec, upperLayer: null });
      done.push(`container ${short}: its changes were in layer ${rec.upperLayer}, which is gone: it starts from its image`);
    }
  }
  return done;
}
