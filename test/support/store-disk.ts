// A store as it is on disk, read the way `strata check` reads it (tags, image configs, container
// records, layer folders), and `strata check`'s report through the helper: for the tests that
// damage a store by hand (store-check) or kill its helper (faults) and then look at what is left.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainIds } from '../../helper/store/ids';
import type { StoreCheckReport } from '../../helper/protocol/types';
import type { TestStore } from './strata';

export function tags(root: string): Record<string, string> {
  const file = join(root, 'repositories.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

/** The image a tag names (name[:tag], latest by default). */
export function imageOf(root: string, name: string): string {
  const id = tags(root)[name.includes(':') ? name : `${name}:latest`];
  if (!id) throw new Error(`no tag ${name} in ${root}`);
  return id;
}

export function imageIds(root: string): string[] {
  return readdirSync(join(root, 'images')).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => `sha256:${n.slice(0, 64)}`).sort();
}

/** The chain ids of an image's layers, base first. */
export function layersOf(root: string, imageId: string): string[] {
  return chainIds(JSON.parse(readFileSync(join(root, 'images', `${imageId.slice(7)}.json`), 'utf8')).rootfs.diff_ids);
}

export function topLayer(root: string, image: string): string {
  const chain = layersOf(root, image.startsWith('sha256:') ? image : imageOf(root, image));
  return chain[chain.length - 1];
}

export interface ContainerOnDisk { id: string; name: string; imageId: string; status: string; upperLayer?: string | null }

export function containers(root: string): ContainerOnDisk[] {
  return readdirSync(join(root, 'containers')).filter((n) => /^[0-9a-f]{64}$/.test(n) && existsSync(join(root, 'containers', n, 'config.json')))
    .map((n) => JSON.parse(readFileSync(join(root, 'containers', n, 'config.json'), 'utf8')) as ContainerOnDisk)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function containerId(root: string, name: string): string {
  const c = containers(root).find((r) => r.name === name);
  if (!c) throw new Error(`no container ${name} in ${root}`);
  return c.id;
}

export function layerDirs(root: string): string[] {
  return readdirSync(join(root, 'graph')).sort();
}

/** `strata check` through the helper (started if none runs), as the CLI and the extension ask it. */
export async function checkReport(store: TestStore, repair = false): Promise<StoreCheckReport> {
  const client = await store.client();
  try {
    return await client.request('store.check', { repair });
  } finally {
    client.dispose();
  }
}
