// Where a container's changes live. Normally in its own upper dir, containers/<id>/upper. A commit
// of a STOPPED container moves that dir into the graph as the new layer, by rename: O(1) in the
// number of files, where a copy creates every file again (~0.1-0.6 ms each on this ext4: that, not
// reading or hashing, is what a 1000-file commit costs Docker and what Strata's copy cost). The
// container's record then names the layer (upperLayer), and its changes are read from the layer's
// folder, unchanged, until it starts again: then it gets its own copy back first, because a running
// container writes into its upper dir in place and a layer never changes once made.
//
// Crash safety: every step is ordered so that at any moment either the container's upper dir or
// the layer holds the changes, and the record says which, or start-up repair can tell
// (store/repair.ts, repairMovedUppers):
//   move:    record says upperLayer=L -> rename upper -> commit/layer -> commit/ becomes graph/L
//   give back (rmi of L): rename graph/L/layer -> upper -> record drops upperLayer -> remove graph/L
//   take back (start):    copy graph/L/layer -> upper.copy -> rename to upper -> record drops upperLayer
// All three run under ctx.mutex, so none of them interleaves with another or with a layer removal.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { copyTree, digestInPlace } from '../archive';
import type { ContainerRecord, LayerRecord } from '../store';
import { fsyncPath, syncTree } from '../store/atomic';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { EngineContext } from './context';

/** The folder that holds the container's changes right now (its upper dir, or a layer's folder). */
export function upperOf(ctx: EngineContext, rec: ContainerRecord): string {
  return rec.upperLayer ? ctx.store.paths.layerFiles(rec.upperLayer) : ctx.store.paths.containerUpper(rec.id);
}

/**
 * Runs `read` on the folder that holds the container's changes. A commit, start or rmi may move
 * that folder between the look-up and the read (they do not wait for readers): then the record
 * names the new place, and the read is done once more there.
 */
export async function readUpper<T>(ctx: EngineContext, id: string, read: (dir: string) => Promise<T>): Promise<T> {
  const first = ctx.store.containers.get(id);
  if (!first) throw new StrataError(ErrorCode.NotFound, `No such container: ${id}`);
  try {
    return await read(upperOf(ctx, first));
  } catch (err) {
    const now = ctx.store.containers.get(id);
    if (!now || upperOf(ctx, now) === upperOf(ctx, first)) throw err;
    return read(upperOf(ctx, now));
  }
}

/**
 * The diff_id and size of a stopped container's changes, read where they are; meanwhile their
 * files are flushed to disk (one syncfs, run alongside the reading rather than after it), as a
 * layer that claims them must find them there after a crash. Call with the container's lock held.
 */
export async function digestAndFlushUpper(ctx: EngineContext, rec: ContainerRecord): Promise<{ diffId: string; size: number }> {
  const dir = upperOf(ctx, rec);
  const [digest] = await Promise.all([digestInPlace(dir), syncTree(dir)]);
  return digest;
}

/**
 * Makes `layer` (not yet in the store) out of the stopped container's own upper dir, moved. Call
 * under ctx.mutex, with the container's lock held, after digestAndFlushUpper.
 */
export async function moveUpperIntoLayer(ctx: EngineContext, rec: ContainerRecord, layer: LayerRecord): Promise<void> {
  const { paths } = ctx.store;
  const upper = paths.containerUpper(rec.id);
  const stage = paths.containerCommitStage(rec.id);
  // The record first: a stage (or an upper.copy) only ever exists while it names a layer, so
  // start-up repair looks at those containers only.
  await ctx.store.containers.save({ ...rec, upperLayer: layer.id });
  try {
    await fs.rm(stage, { recursive: true, force: true });
    await fs.mkdir(stage, { mode: 0o700 });
    await fs.rename(upper, `${stage}/layer`);
    await fsyncPath(dirname(upper));
    // The files were flushed by digestAndFlushUpper; adopt makes the record and entries last.
    await ctx.store.layers.adopt(stage, layer, { filesSynced: true });
  } catch (err) {
    // Failed before graph/ showed the layer (a full disk, say): the changes go home at once, not
    // at the next start-up's repair, so the container's diff and files keep working meanwhile.
    // (Should that fail too, the record still names the layer, and start-up repair finishes it.)
    if (!ctx.store.layers.get(layer.id)) {
      await fs.rename(`${stage}/layer`, upper).catch(() => undefined);
      if (await fs.access(upper).then(() => true, () => false)) {
        await fs.rm(stage, { recursive: true, force: true }).catch(() => undefined);
        await ctx.store.containers.save({ ...rec, upperLayer: null }).catch(() => undefined);
      }
    }
    throw err;
  }
}

/**
 * Before a layer is removed: a stopped container whose changes live in it gets them back, by
 * rename (nothing is copied). Call under ctx.mutex.
 */
export async function giveUppersBack(ctx: EngineContext, layerId: string): Promise<void> {
  const { paths } = ctx.store;
  for (const rec of ctx.store.containers.list()) {
    if (rec.upperLayer !== layerId) continue;
    await fs.rename(paths.layerFiles(layerId), paths.containerUpper(rec.id));
    await fsyncPath(paths.container(rec.id));
    await ctx.store.containers.save({ ...rec, upperLayer: null });
  }
}

/**
 * Before the container runs again: its own copy of the changes, made from the layer that holds
 * them. Returns the record as saved. Call under ctx.mutex, with the container's lock held.
 */
export async function takeUpperBack(ctx: EngineContext, rec: ContainerRecord): Promise<ContainerRecord> {
  if (!rec.upperLayer) return rec;
  const { paths } = ctx.store;
  const copy = paths.containerUpperCopy(rec.id);
  await fs.rm(copy, { recursive: true, force: true });
  await copyTree(paths.layerFiles(rec.upperLayer), copy);
  await fs.rename(copy, paths.containerUpper(rec.id));
  await fsyncPath(paths.container(rec.id));
  const saved = { ...rec, upperLayer: null };
  await ctx.store.containers.save(saved);
  return saved;
}
