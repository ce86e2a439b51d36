// Commit: the container's changes become a new layer holding only the difference, on top of its
// image's layers, and a new image. A running container is frozen (cgroup freezer) while its upper
// dir is copied, so the layer is one consistent moment of it, as Docker pauses during commit. A
// stopped container's upper dir is hashed in place and then moved into the graph whole, not copied
// (engine/upper.ts: the container reads its changes from the layer until it runs again).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { copyLayer } from '../archive';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ImageConfig } from '../protocol/types';
import { freeze, thaw } from '../runtime';
import type { ContainerRecord, LayerRecord } from '../store';
import { chainId } from '../store/ids';
import { parseReference } from '../store/reference';
import { applyChanges } from '../sources/changes';
import { type EngineContext, now } from './context';
import { imageLayers } from './images';
import { type Progress, noProgress, progressFor } from './events';
import type { MethodTable } from './method-table';
import { moveUpperIntoLayer } from '../store/moved-uppers';
import { digestAndFlushUpper, upperOf } from './upper';
import { faultPoint } from '../store/faults';

interface CommitOptions {
  ref?: string;
  message?: string;
  author?: string;
  changes?: string[];
  pause?: boolean;
  progress?: Progress;
}

/** The diff_id of a layer with no entries (the tar of two zero blocks), as moby's layer.DigestSHA256EmptyTar. */
export const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

type Made = { layer: LayerRecord; stage?: string; move?: boolean };

/** The container's changes as a layer record, staged (a running container) or hashed in place (stopped). */
async function makeLayer(ctx: EngineContext, rec: ContainerRecord, layerOf: (diffId: string, size: number) => LayerRecord, opts: CommitOptions): Promise<Made> {
  const progress = opts.progress ?? noProgress;
  const running = ctx.sessions.find(rec.id)?.process;
  if (running) {
    // A running container writes on: its changes are copied in one frozen moment.
    const stage = await ctx.store.stage();
    faultPoint('commit.staged');
    // (A paused container is frozen already, and stays so.)
    const frozen = opts.pause !== false && !rec.paused;
    progress(frozen ? 'freezing the container and copying its changes' : 'copying the container changes');
    if (frozen) await freeze(rec.id);
    let made: Made;
    try {
      faultPoint('commit.frozen');
      // One pass (archive/copy.ts): the copy, and the diff_id of its canonical tar as it is made.
      const { diffId, size } = await copyLayer(upperOf(ctx, rec), join(stage, 'layer'));
      faultPoint('commit.copied');
      made = { layer: layerOf(diffId, size), stage };
    } catch (err) {
      await fs.rm(stage, { recursive: true, force: true });
      throw withContext(`commit ${rec.name}: copy the changes`, err);
    } finally {
      if (frozen) await thaw(rec.id);
    }
    faultPoint('commit.thawed');
    return made;
  } else {
    // Stopped (the container's lock keeps it so): hashed in place, then moved, not copied.
    progress('reading the container changes');
    try {
      const { diffId, size } = await digestAndFlushUpper(ctx, rec);
      faultPoint('commit.digested');
      return { layer: layerOf(diffId, size), move: true };
    } catch (err) {
      throw withContext(`commit ${rec.name}: read the changes`, err);
    }
  }
}

/**
 * Puts the layer `makeLayer` made into the graph. Under the store's mutex. The layer carries the
 * unclaimed mark (store/layers.ts) until its image is written, so a kill in between leaves no
 * orphan for start-up repair to keep.
 */
async function saveLayer(ctx: EngineContext, rec: ContainerRecord, made: Made): Promise<void> {
  const { layer } = made;
  if (made.stage) await ctx.store.layers.adopt(made.stage, layer, { unclaimed: true });
  // The same change on the same parent is the same layer: an existing one is used as it is
  // (and a container whose changes already live in their layer commits without moving them).
  else if (!ctx.store.layers.get(layer.id)) await moveUpperIntoLayer(ctx.store, ctx.store.containers.get(rec.id) ?? rec, layer);
  faultPoint('commit.saved');
}

/**
 * A STOPPED container's changes as a layer on `parent`, and no image: what a Dockerfile's RUN
 * keeps (engine/build.ts), by the same steps as commit. Call with the container's lock held.
 * A layer this makes carries the unclaimed mark, as commit's does, until the build writes the
 * step's image and claims it (EngineBuildHost.keep): a helper killed in between leaves a layer
 * that start-up repair gives back to its container and removes, not one that nothing uses.
 */
export async function commitLayer(ctx: EngineContext, containerId: string, parent: string | null, meta: { created: string; createdBy: string }): Promise<LayerRecord | null> {
  const rec = ctx.store.containers.get(containerId);
  if (!rec) throw new StrataError(ErrorCode.NotFound, `No such container: ${containerId}`);
  const layerOf = (diffId: string, size: number): LayerRecord => ({ id: chainId(parent, diffId), parent, diff_id: diffId, size, created: meta.created, created_by: meta.createdBy, comment: '' });
  const made = await makeLayer(ctx, rec, layerOf, {});
  try {
    // No change is no layer: Docker marks such a step empty_layer (layer.IsEmpty).
    if (made.layer.diff_id === EMPTY_TAR_DIFF_ID) return null;
    await ctx.mutex.run(async () => {
      await saveLayer(ctx, rec, made);
      if (made.move) ctx.events.emit('changed', { what: 'containers', id: rec.id });
    });
    return ctx.store.layers.get(made.layer.id) ?? made.layer;
  } finally {
    if (made.stage) await fs.rm(made.stage, { recursive: true, force: true });
  }
}

/** Under the container's lock (its table row): `containerId` is the full id. */
async function commitContainer(ctx: EngineContext, containerId: string, opts: CommitOptions): Promise<{ id: string; layer: string; diffId: string }> {
  if (opts.ref) parseReference(opts.ref); // a bad name is refused before any work
  const progress = opts.progress ?? noProgress;
  const rec = ctx.store.containers.get(containerId);
  if (!rec) throw new StrataError(ErrorCode.NotFound, `No such container: ${containerId}`);
  const base = ctx.store.images.get(rec.imageId);
  if (!base) throw new StrataError(ErrorCode.NotFound, `the image of container ${rec.name} (${rec.imageId}) is gone`);
  const parents = imageLayers(ctx, base);
  const parent = parents.length ? parents[parents.length - 1].id : null;
  const created = now();
  const createdBy = rec.command.join(' ');
  const comment = opts.message ?? '';
  const layerOf = (diffId: string, size: number): LayerRecord => ({ id: chainId(parent, diffId), parent, diff_id: diffId, size, created, created_by: createdBy, comment });

  const made = await makeLayer(ctx, rec, layerOf, opts);
  const { layer } = made;
  try {
    return await ctx.mutex.run(async () => {
      progress('saving the layer');
      await saveLayer(ctx, rec, made);
      // The container's own Cmd and Entrypoint, as Docker's commit keeps them: --entrypoint replaced
      // the image's (and dropped its Cmd).
      const { entrypoint } = rec.options;
      const userCmd = rec.options.cmd && rec.options.cmd.length ? rec.options.cmd : entrypoint === undefined ? base.config.Cmd ?? null : null;
      const entry = entrypoint === undefined ? {} : { Entrypoint: entrypoint === '' ? null : [entrypoint] };
      const config: ImageConfig = {
        ...base, created, ...(opts.author ? { author: opts.author } : {}),
        // (and its --label and --stop-signal, as Docker's container Config carries them into the image)
        config: applyChanges({
          ...base.config, ...entry, Env: rec.options.env, Cmd: userCmd,
          ...(rec.options.labels ? { Labels: { ...(base.config.Labels ?? {}), ...rec.options.labels } } : {}),
          ...(rec.options.stopSignal ? { StopSignal: rec.options.stopSignal } : {}),
        }, opts.changes ?? []),
        rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, layer.diff_id] },
        history: [...base.history, { created, created_by: createdBy, ...(opts.author ? { author: opts.author } : {}), ...(comment ? { comment } : {}) }],
      };
      if (!opts.author) delete config.author;
      const id = await ctx.store.images.add(config);
      faultPoint('commit.image-added');
      if (opts.ref) await ctx.store.images.tag(opts.ref, id);
      faultPoint('commit.tagged');
      await ctx.store.layers.claim(layer.id);
      faultPoint('commit.claimed');
      ctx.events.emit('changed', { what: 'images', id });
      if (made.move) ctx.events.emit('changed', { what: 'containers', id: rec.id });
      return { id, layer: layer.id, diffId: layer.diff_id };
    });
  } finally {
    if (made.stage) await fs.rm(made.stage, { recursive: true, force: true });
  }
}

export const commitMethods = {
  'container.commit': {
    lock: 'container',
    run: (ctx, p) => commitContainer(ctx, p.id, {
      ref: p.ref, message: p.message, author: p.author, changes: p.changes, pause: p.pause,
      progress: p.progressToken ? progressFor(ctx.events, p.progressToken) : undefined,
    }),
  },
} satisfies MethodTable<'container.commit'>;
