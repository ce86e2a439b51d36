// Start-up repair: after a crash (kill -9 mid-import, mid-commit, mid-delete) the store must be
// consistent again before anything is served. Staging and half-removed folders go; records that
// point at missing pieces are dropped. Returns one line per thing done, for the log.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { chainIds } from './ids';
import type { Store } from './index';

export async function repairStore(store: Store): Promise<string[]> {
  const done: string[] = [];
  const { paths } = store;

  for (const name of await fs.readdir(paths.tmp)) {
    // Retries: a process of the dead helper may still be letting go of the folder.
    await fs.rm(join(paths.tmp, name), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    done.push(`removed unfinished work tmp/${name}`);
  }
  for (const name of await fs.readdir(paths.images)) {
    if (name.endsWith('.tmp')) {
      await fs.rm(join(paths.images, name), { force: true });
      done.push(`removed a half-written image config ${name}`);
    }
  }
  for (const name of await fs.readdir(paths.root)) {
    if (/^\..*\.tmp$/.test(name)) {
      await fs.rm(join(paths.root, name), { force: true });
      done.push(`removed a half-written ${name}`);
    }
  }

  for (const bad of await store.layers.load()) {
    await fs.rm(join(paths.graph, bad), { recursive: true, force: true });
    done.push(`removed incomplete layer folder graph/${bad}`);
  }
  // A layer whose parent is gone cannot be mounted: drop it (and, in turn, its children).
  for (let changed = true; changed; ) {
    changed = false;
    for (const layer of store.layers.list()) {
      if (layer.parent && !store.layers.get(layer.parent)) {
        await store.layers.remove(layer.id);
        done.push(`removed layer ${layer.id}: its parent ${layer.parent} is missing`);
        changed = true;
      }
    }
  }

  for (const bad of await store.images.load()) done.push(`dropped unreadable image record ${bad}`);
  for (const id of store.images.ids()) {
    const config = store.images.get(id)!;
    const ok = chainComplete(store, config.rootfs.diff_ids);
    if (!ok) {
      await store.images.remove(id);
      done.push(`dropped image ${id}: a layer is missing`);
    }
  }
  const dropped = await store.images.dropTagsWhere((_, id) => !store.images.get(id));
  for (const t of dropped) done.push(`dropped tag ${t}: its image is missing`);

  for (const bad of await store.containers.load()) {
    await fs.rm(join(paths.containers, bad), { recursive: true, force: true });
    done.push(`removed incomplete container folder containers/${bad}`);
  }
  done.push(...(await repairMovedUppers(store)));
  return done;
}

const exists = (path: string) => fs.access(path).then(() => true, () => false);

/**
 * A commit by move, a give-back or a take-back (engine/upper.ts) cut short: whichever of the
 * container's upper dir and the layer holds its changes becomes the record's truth again.
 */
export async function repairMovedUppers(store: Store): Promise<string[]> {
  const done: string[] = [];
  const { paths } = store;
  // Only a record that names a layer can have been cut short (engine/upper.ts writes it first):
  // the other containers cost start-up nothing here.
  for (const rec of store.containers.list().filter((c) => c.upperLayer)) {
    const short = rec.id.slice(0, 12);
    const upper = paths.containerUpper(rec.id);
    const stage = paths.containerCommitStage(rec.id);
    // Killed while the commit's stage held the upper dir, before it became a layer: put it back.
    if (!(await exists(upper)) && (await exists(join(stage, 'layer')))) {
      await fs.rename(join(stage, 'layer'), upper);
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

function chainComplete(store: Store, diffIds: string[]): boolean {
  return chainIds(diffIds).every((id) => store.layers.get(id) !== undefined);
}
