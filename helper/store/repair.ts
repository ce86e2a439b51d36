// Start-up repair: after a crash (kill -9 mid-import, mid-commit, mid-delete) the store must be
// consistent again before anything is served. It finishes or undoes exactly what the crash-ordering
// rules can leave (staging, half-written files, folders renamed aside for removal, a layer whose
// files a give-back took, unclaimed layers, moved uppers), and nothing else: what only damage by
// hand can make (a layer whose files changed, a stray folder, a record without its folder) is left
// on disk, untouched and unloaded, for `strata check` (store/check.ts) to report and, with
// --repair, to set aside in lost+found/ without losing complete data. Returns one line per thing
// done or left, for the log.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { dropLayerLink } from '../union';
import { BEING_REMOVED, HALF_WRITTEN } from './atomic';
import { CONTAINER_ID, SHA256_ID, chainIds } from './ids';
import type { Store } from './index';
import { giveUppersBack, repairMovedUppers } from './moved-uppers';

const exists = (path: string) => fs.access(path).then(() => true, () => false);

export async function repairStore(store: Store): Promise<string[]> {
  const done: string[] = [];
  await clearStaging(store, done);
  await loadLayers(store, done);
  await loadImages(store, done);
  await loadContainers(store, done);
  done.push(...(await repairMovedUppers(store)));
  done.push(...(await finishUnclaimed(store)));
  return done;
}

async function clearStaging(store: Store, done: string[]): Promise<void> {
  const { paths } = store;
  for (const name of await fs.readdir(paths.tmp)) {
    // Retries: a process of the dead helper may still be letting go of the folder.
    await fs.rm(join(paths.tmp, name), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    done.push(`removed unfinished work tmp/${name}`);
  }
  for (const dir of [paths.images, paths.root]) {
    for (const name of await fs.readdir(dir)) {
      if (!HALF_WRITTEN.test(name)) continue;
      await fs.rm(join(dir, name), { force: true });
      done.push(`removed a half-written ${name}`);
    }
  }
}

async function loadLayers(store: Store, done: string[]): Promise<void> {
  const { paths } = store;
  for (const name of await store.layers.load()) {
    const dir = join(paths.graph, name);
    // A removal cut short, or a layer whose files a give-back (rmi) already returned to their
    // container: nothing of value is left in either.
    const filesGone = SHA256_ID.test(`sha256:${name}`) && !(await exists(join(dir, 'layer')));
    if (BEING_REMOVED.test(name) || filesGone) {
      await fs.rm(dir, { recursive: true, force: true });
      if (filesGone) await dropLayerLink(paths.root, join(dir, 'layer'));
      done.push(`removed the remains of a layer removal, graph/${name}`);
    } else done.push(`left graph/${name} for strata check: not a complete layer`);
  }
  // A layer whose parent is gone cannot be mounted: not served (nor, in turn, its children).
  for (let changed = true; changed; ) {
    changed = false;
    for (const layer of store.layers.list()) {
      if (layer.parent && !store.layers.get(layer.parent)) {
        store.layers.forget(layer.id);
        done.push(`left layer ${layer.id} for strata check: its parent ${layer.parent} is missing`);
        changed = true;
      }
    }
  }
}

async function loadImages(store: Store, done: string[]): Promise<void> {
  for (const bad of await store.images.load()) done.push(`left images/${bad} for strata check: not an image config whose sha256 is its name`);
  for (const id of store.images.ids()) {
    if (chainIds(store.images.get(id)!.rootfs.diff_ids).every((l) => store.layers.get(l))) continue;
    store.images.forget(id);
    done.push(`left image ${id} for strata check: a layer of it is missing`);
  }
}

async function loadContainers(store: Store, done: string[]): Promise<void> {
  const { paths } = store;
  for (const name of await store.containers.load()) {
    const dir = join(paths.containers, name);
    // A removal cut short, or a create killed before its record was written (only its temp file).
    const empty = CONTAINER_ID.test(name) && (await fs.readdir(dir)).every((n) => HALF_WRITTEN.test(n));
    if (BEING_REMOVED.test(name) || empty) {
      await fs.rm(dir, { recursive: true, force: true });
      done.push(`removed the remains of ${empty ? 'a container creation' : 'a container removal'}, containers/${name}`);
    } else done.push(`left containers/${name} for strata check: no readable record`);
  }
  for (const rec of store.containers.list()) {
    for (const name of await fs.readdir(paths.container(rec.id))) {
      if (!HALF_WRITTEN.test(name)) continue;
      await fs.rm(join(paths.container(rec.id), name), { force: true });
      done.push(`removed a half-written containers/${rec.id.slice(0, 12)}/${name}`);
    }
  }
}

/**
 * Layers that still carry the unclaimed marker (store/layers.ts): an import or commit killed
 * before its image was written, or an rmi killed before its layers were removed. A layer an image
 * uses keeps its place (the marker goes); one that no image uses is removed, its changes first
 * given back to a container committed by move. Top layers first, so that a parent goes after its
 * children.
 */
async function finishUnclaimed(store: Store): Promise<string[]> {
  const done: string[] = [];
  const { images, layers, paths } = store;
  const used = new Set(images.ids().flatMap((id) => chainIds(images.get(id)!.rootfs.diff_ids)));
  const marked: string[] = [];
  for (const l of layers.list()) if (await layers.isUnclaimed(l.id)) marked.push(l.id);
  marked.sort((a, b) => layers.chain(b).length - layers.chain(a).length);
  for (const id of marked) {
    if (used.has(id) || layers.children(id).length > 0) {
      await layers.claim(id);
      continue;
    }
    await dropLayerLink(paths.root, paths.layerFiles(id));
    await giveUppersBack(store, id);
    await layers.remove(id);
    done.push(`removed layer ${id}: the import, commit, build, load or rmi that made or removed it was cut short`);
  }
  return done;
}
