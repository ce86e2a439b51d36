// Start-up repair: after a crash (kill -9 mid-import, mid-commit, mid-delete) the store must be
// consistent again before anything is served. Staging and half-removed folders go; records that
// point at missing pieces are dropped. Returns one line per thing done, for the log.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { chainIds } from './ids';
import type { Store } from './index';
import { repairMovedUppers } from './moved-uppers';

// XXX(issue 14, `strata check`): repair trusts that a complete layer's files still hash to its
// diff_id; nothing re-verifies them, nor reports orphans beyond what start-up removes.
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

function chainComplete(store: Store, diffIds: string[]): boolean {
  return chainIds(diffIds).every((id) => store.layers.get(id) !== undefined);
}
