// `rmi`: untag, then delete the image and every layer no other image needs, as Docker does.
// Refused (unless forced) while a container uses the image or another image is built on it.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { chainIds, shortId } from '../store/ids';
import { formatReference, parseReference } from '../store/reference';
import type { EngineContext } from './context';
import type { MethodTable } from './method-table';
import { giveUppersBack } from '../store/moved-uppers';
import { dropLayerLink } from '../union';
import { faultPoint } from '../store/faults';

function isTagRef(ref: string): string | undefined {
  try {
    const name = formatReference(parseReference(ref));
    return name;
  } catch {
    return undefined;
  }
}

/** The id of an image built on image `id` (sharing its layers), if any. */
function childOf(ctx: EngineContext, id: string): string | undefined {
  const { images } = ctx.store;
  const mine = chainIds(images.get(id)!.rootfs.diff_ids);
  const top = mine[mine.length - 1];
  return images.ids().find((other) => other !== id && chainIds(images.get(other)!.rootfs.diff_ids).slice(0, -1).includes(top));
}

/**
 * `image prune`: every dangling (untagged) image, or with `all` every image, that no container
 * uses and no other image is built on, all its names with it; then again, as removing an image
 * can free the one it was built on. The same removal as rmi's, under one hold of the mutex.
 */
async function pruneImages(ctx: EngineContext, all: boolean): Promise<{ untagged: string[]; deleted: string[] }> {
  const { images, containers } = ctx.store;
  const untagged: string[] = [];
  const deleted: string[] = [];
  for (;;) {
    const used = new Set(containers.list().map((c) => c.imageId));
    const free = images.ids().find((id) => (all || images.tagsOf(id).length === 0) && !used.has(id) && !childOf(ctx, id));
    if (!free) return { untagged, deleted };
    // Forced only past "referenced in multiple repositories": the other refusals were checked here.
    const r = await removeImage(ctx, free, true);
    untagged.push(...r.untagged);
    deleted.push(...r.deleted);
  }
}

/** The layers of image `id` (chain `mine`) that no other image needs, top first: rmi removes them. */
function unusedLayers(ctx: EngineContext, id: string, mine: string[]): string[] {
  const { images, layers } = ctx.store;
  const stillUsed = new Set(images.ids().filter((other) => other !== id).flatMap((other) => chainIds(images.get(other)!.rootfs.diff_ids)));
  const doomed: string[] = [];
  for (const layerId of [...mine].reverse()) {
    if (stillUsed.has(layerId) || !layers.get(layerId)) continue;
    // A layer under another one that stays (a child no image of ours made) stays too.
    if (layers.children(layerId).some((c) => !doomed.includes(c.id))) continue;
    doomed.push(layerId);
  }
  return doomed;
}

async function removeImage(ctx: EngineContext, ref: string, force: boolean): Promise<{ untagged: string[]; deleted: string[] }> {
  const { images, layers, containers } = ctx.store;
  const id = images.resolve(ref);
  const tags = images.tagsOf(id);
  const tagName = isTagRef(ref);
  const byTag = tagName !== undefined && tags.includes(tagName);
  const untagged: string[] = [];

  // Removing one of several names only removes that name.
  if (byTag && tags.length > 1) {
    await images.untag(tagName);
    ctx.events.emit('changed', { what: 'images', id });
    return { untagged: [tagName], deleted: [] };
  }
  if (!byTag && tags.length > 1 && !force) {
    throw new StrataError(ErrorCode.InUse, `conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
  }
  const user = containers.list().find((c) => c.imageId === id);
  if (user && !force) {
    throw new StrataError(ErrorCode.InUse, `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`);
  }
  const mine = chainIds(images.get(id)!.rootfs.diff_ids);
  const child = childOf(ctx, id);
  if (child && !force && byTag) {
    // Docker: removing the last name of an image another is built on untags it and keeps it.
    await images.untag(tagName);
    ctx.events.emit('changed', { what: 'images', id });
    return { untagged: [tagName], deleted: [] };
  }
  if (child && !force) {
    throw new StrataError(ErrorCode.InUse, `conflict: unable to delete ${shortId(id)} (must be forced) - image ${shortId(child)} is built on it (its layers are shared)`);
  }

  untagged.push(...(await images.dropTagsWhere((_, v) => v === id)));
  faultPoint('rmi.untagged');
  if (user) {
    // Forced while a container uses it: the container keeps its image, now untagged (<none>).
    ctx.events.emit('changed', { what: 'images', id });
    return { untagged, deleted: [] };
  }
  const doomed = unusedLayers(ctx, id, mine);
  // Crash ordering (issue 14): the layers that go are marked first, so that a kill after the
  // image's removal leaves layers start-up repair knows to finish removing, not orphans.
  for (const layerId of doomed) await layers.markUnclaimed(layerId);
  faultPoint('rmi.marked');
  await images.remove(id);
  faultPoint('rmi.image-removed');
  const deleted = [id];
  for (const layerId of doomed) {
    // The short link first: a kill after it leaves a layer whose link is made again when needed,
    // never a link to nothing.
    await dropLayerLink(ctx.store.paths.root, ctx.store.paths.layerFiles(layerId));
    faultPoint('rmi.link-dropped');
    // A container committed by move keeps its changes in this layer's folder: they go back to it.
    await giveUppersBack(ctx.store, layerId);
    faultPoint('rmi.given-back');
    await layers.remove(layerId);
    faultPoint('rmi.layer-removed');
    deleted.push(layerId);
  }
  ctx.events.emit('changed', { what: 'images', id });
  return { untagged, deleted };
}

export const removeImageMethods = {
  'image.remove': { lock: 'store', run: (ctx, p) => removeImage(ctx, p.ref, p.force) },
  'images.prune': { lock: 'store', run: (ctx, p) => pruneImages(ctx, p.all) },
} satisfies MethodTable<'image.remove' | 'images.prune'>;
