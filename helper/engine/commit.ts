// Commit: the container's changes become a new layer holding only the difference, on top of its
// image's layers, and a new image. A running container is frozen (cgroup freezer) while its upper
// dir is copied, so the layer is one consistent moment of it, as Docker pauses during commit.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { copyLayer } from '../archive';
import { withContext } from '../errors';
import type { ImageConfig } from '../protocol/types';
import { freeze, thaw } from '../runtime';
import type { LayerRecord } from '../store';
import { chainId } from '../store/ids';
import { parseReference } from '../store/reference';
import { applyChanges } from '../sources/changes';
import { type EngineContext, now } from './context';
import { imageLayers } from './images';
import { type Progress, noProgress } from './events';

export interface CommitOptions {
  ref?: string;
  message?: string;
  author?: string;
  changes?: string[];
  pause?: boolean;
  progress?: Progress;
}

export async function commitContainer(ctx: EngineContext, containerRef: string, opts: CommitOptions): Promise<{ id: string; layer: string; diffId: string }> {
  const progress = opts.progress ?? noProgress;
  const rec = ctx.store.containers.resolve(containerRef);
  if (opts.ref) parseReference(opts.ref);
  const base = ctx.store.images.get(rec.imageId)!;
  const parents = imageLayers(ctx, base);
  const parent = parents.length ? parents[parents.length - 1].id : null;
  const stage = await ctx.store.stage();
  try {
    const running = ctx.sessions.find(rec.id)?.process;
    const frozen = running && opts.pause !== false;
    progress(frozen ? 'freezing the container and copying its changes' : 'copying the container changes');
    if (frozen) await freeze(rec.id);
    let copied: { diffId: string; size: number };
    try {
      // One pass (archive/copy.ts): the copy, and the diff_id of its canonical tar as it is made.
      copied = await copyLayer(ctx.store.paths.containerUpper(rec.id), join(stage, 'layer'));
    } catch (err) {
      throw withContext(`commit ${rec.name}: copy the changes`, err);
    } finally {
      if (frozen) await thaw(rec.id);
    }
    const { diffId, size } = copied;
    const created = now();
    const createdBy = rec.command.join(' ');
    const comment = opts.message ?? '';
    const layer: LayerRecord = { id: chainId(parent, diffId), parent, diff_id: diffId, size, created, created_by: createdBy, comment };
    return await ctx.mutex.run(async () => {
      progress('saving the layer');
      await ctx.store.layers.adopt(stage, layer);
      const userCmd = rec.options.cmd && rec.options.cmd.length ? rec.options.cmd : base.config.Cmd ?? null;
      const config: ImageConfig = {
        ...base, created, ...(opts.author ? { author: opts.author } : {}),
        config: applyChanges({ ...base.config, Env: rec.options.env, Cmd: userCmd }, opts.changes ?? []),
        rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffId] },
        history: [...base.history, { created, created_by: createdBy, ...(opts.author ? { author: opts.author } : {}), ...(comment ? { comment } : {}) }],
      };
      if (!opts.author) delete config.author;
      const id = await ctx.store.images.add(config);
      if (opts.ref) await ctx.store.images.tag(opts.ref, id);
      ctx.events.emit('changed', { what: 'images', id });
      return { id, layer: layer.id, diffId };
    });
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}
