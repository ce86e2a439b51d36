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
import type { LayerRecord } from '../store';
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

  const running = ctx.sessions.find(rec.id)?.process;
  let made: { layer: LayerRecord; stage?: string; move?: boolean };
  if (running) {
    // A running container writes on: its changes are copied in one frozen moment.
    const stage = await ctx.store.stage();
    faultPoint('commit.staged');
    // (A paused container is frozen already, and stays so.)
    const frozen = opts.pause !== false && !rec.paused;
    progress(frozen ? 'freezing the container and copying its changes' : 'copying the container changes');
    if (frozen) await freeze(rec.id);
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
  } else {
    // Stopped (the container's lock keeps it so): hashed in place, then moved, not copied.
    progress('reading the container changes');
    try {
      const { diffId, size } = await digestAndFlushUpper(ctx, rec);
      faultPoint('commit.digested');
      made = { layer: layerOf(diffId, size), move: true };
    } catch (err) {
      throw withContext(`commit ${rec.name}: read the changes`, err);
    }
  }

  const { layer } = made;
  try {
    return await ctx.mutex.run(async () => {
      progress('saving the layer');
      // Unclaimed until its image is written (store/layers.ts): a kill in between leaves no orphan.
      if (made.stage) await ctx.store.layers.adopt(made.stage, layer, { unclaimed: true });
      // The same change on the same parent is the same layer: an existing one is used as it is
      // (and a container whose changes already live in their layer commits without moving them).
      else if (!ctx.store.layers.get(layer.id)) await moveUpperIntoLayer(ctx.store, ctx.store.containers.get(rec.id) ?? rec, layer);
      faultPoint('commit.saved');
      // The container's own Cmd and Entrypoint, as Docker's commit keeps them: --entrypoint replaced
      // the image's (and dropped its Cmd).
      const { entrypoint } = rec.options;
      const userCmd = rec.options.cmd && rec.options.cmd.length ? rec.options.cmd : entrypoint === undefined ? base.config.Cmd ?? null : null;
      const entry = entrypoint === undefined ? {} : { Entrypoint: entrypoint === '' ? null : [entrypoint] };
      const config: ImageConfig = {
        ...base, created, ...(opts.author ? { author: opts.author } : {}),
        config: applyChanges({ ...base.config, ...entry, Env: rec.options.env, Cmd: userCmd }, opts.changes ?? []),
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
