// Where a container's changes live: normally its own upper dir, containers/<id>/upper; after a
// commit of the STOPPED container, the folder of the layer that commit made (store/moved-uppers.ts
// moves them there and back, with its crash rules). Readers here find them in either place.
import { digestInPlace } from '../archive';
import type { ContainerRecord } from '../store';
import { syncTree } from '../store/atomic';
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
