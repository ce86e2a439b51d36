// What `strata check` reads: the store as it is on disk, not the helper's index (which start-up
// repair built, leaving out what it could not load), each entry with what is wrong with its form.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ImageConfig } from '../protocol/types';
import { BEING_REMOVED, HALF_WRITTEN } from './atomic';
import { LINKS_DIR } from '../union/overlay-links';
import type { ContainerRecord } from './containers';
import { CONTAINER_ID, SHA256_ID, sha256 } from './ids';
import { type LayerRecord, UNCLAIMED } from './layers';
import type { StorePaths } from './paths';

export interface LayerDir { name: string; rec?: LayerRecord; problem?: string; beingRemoved: boolean; unclaimed: boolean }
export interface ImageFile { name: string; id?: string; config?: ImageConfig; problem?: string; halfWritten: boolean }
export interface ContainerDir { name: string; rec?: ContainerRecord; problem?: string; beingRemoved: boolean; upper: boolean; stage: boolean; upperCopy: boolean }
export interface LinkEntry { name: string; /** undefined: not a symbolic link */ target?: string }

export interface StoreScan {
  layers: LayerDir[];
  images: ImageFile[];
  tags: Record<string, string>;
  /** Why repositories.json cannot be read (absent: it can, or there is none). */
  tagsProblem?: string;
  /** Half-written files at the root (a tags write cut short). */
  rootHalfWritten: string[];
  containers: ContainerDir[];
  links: LinkEntry[];
  tmp: string[];
}

const exists = (path: string) => fs.access(path).then(() => true, () => false);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(path, 'utf8'));
}

function isLayerRecord(v: unknown): v is LayerRecord {
  const r = v as LayerRecord;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && SHA256_ID.test(r.diff_id)
    && (r.parent === null || SHA256_ID.test(String(r.parent))) && typeof r.size === 'number';
}

async function scanLayer(paths: StorePaths, name: string): Promise<LayerDir> {
  const out: LayerDir = { name, beingRemoved: BEING_REMOVED.test(name), unclaimed: false };
  if (out.beingRemoved) return { ...out, problem: 'a layer removal was cut short' };
  const id = `sha256:${name}`;
  if (!SHA256_ID.test(id)) return { ...out, problem: 'not a layer: graph/ holds folders named by a 64-hex chain id' };
  let rec: unknown;
  try {
    rec = await readJson(paths.layerJson(id));
  } catch (err) {
    return { ...out, problem: `not a complete layer: its json cannot be read (${message(err)})` };
  }
  if (!isLayerRecord(rec)) return { ...out, problem: 'not a complete layer: its json is not a layer record' };
  if (rec.id !== id) return { ...out, problem: `not a complete layer: its json names another layer, ${rec.id}` };
  if (!(await fs.stat(paths.layerFiles(id)).then((s) => s.isDirectory(), () => false))) {
    return { ...out, problem: 'not a complete layer: its files (layer/) are missing' };
  }
  return { ...out, rec, unclaimed: await exists(join(paths.layer(id), UNCLAIMED)) };
}

function isImageConfig(v: unknown): v is ImageConfig {
  const c = v as ImageConfig;
  return typeof c === 'object' && c !== null && Array.isArray(c.rootfs?.diff_ids) && c.rootfs.diff_ids.every((d) => typeof d === 'string' && SHA256_ID.test(d));
}

async function scanImage(paths: StorePaths, name: string): Promise<ImageFile> {
  if (HALF_WRITTEN.test(name)) return { name, halfWritten: true, problem: 'a half-written image config (a write cut short)' };
  const id = `sha256:${name.replace(/\.json$/, '')}`;
  if (!name.endsWith('.json') || !SHA256_ID.test(id)) return { name, halfWritten: false, problem: 'not an image config: images/ holds <64-hex id>.json files only' };
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(join(paths.images, name));
  } catch (err) {
    return { name, id, halfWritten: false, problem: `cannot be read (${message(err)})` };
  }
  const actual = sha256(bytes);
  if (actual !== id) return { name, id, halfWritten: false, problem: `its sha256 is ${actual}, not its id: the config was changed` };
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch {
    config = undefined;
  }
  if (!isImageConfig(config)) return { name, id, halfWritten: false, problem: 'not an OCI image config (no rootfs.diff_ids)' };
  return { name, id, config, halfWritten: false };
}

async function scanTags(paths: StorePaths): Promise<Pick<StoreScan, 'tags' | 'tagsProblem'>> {
  let tags: unknown;
  try {
    tags = await readJson(paths.repositories);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tags: {} };
    return { tags: {}, tagsProblem: `cannot be read (${message(err)})` };
  }
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== 'string')) {
    return { tags: {}, tagsProblem: 'not a map of name:tag to image id' };
  }
  return { tags: tags as Record<string, string> };
}

async function scanContainer(paths: StorePaths, name: string): Promise<ContainerDir> {
  const out: ContainerDir = { name, beingRemoved: BEING_REMOVED.test(name), upper: false, stage: false, upperCopy: false };
  if (out.beingRemoved) return { ...out, problem: 'a container removal was cut short' };
  if (!CONTAINER_ID.test(name)) return { ...out, problem: 'not a container: containers/ holds folders named by a 64-hex id' };
  const [upper, stage, upperCopy] = await Promise.all([
    exists(paths.containerUpper(name)), exists(paths.containerCommitStage(name)), exists(paths.containerUpperCopy(name)),
  ]);
  let rec: ContainerRecord | undefined;
  try {
    rec = (await readJson(paths.containerConfig(name))) as ContainerRecord;
  } catch (err) {
    return { ...out, upper, stage, upperCopy, problem: `a container folder without a readable record (${message(err)})` };
  }
  if (rec?.id !== name || typeof rec.imageId !== 'string') return { ...out, upper, stage, upperCopy, problem: 'a container folder whose record names another container' };
  return { ...out, rec, upper, stage, upperCopy };
}

async function scanLinks(paths: StorePaths): Promise<LinkEntry[]> {
  const dir = join(paths.root, LINKS_DIR);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => {
    const st = await fs.lstat(join(dir, name));
    return { name, target: st.isSymbolicLink() ? await fs.readlink(join(dir, name)) : undefined };
  }));
}

export async function scanStore(paths: StorePaths): Promise<StoreScan> {
  const graph = (await fs.readdir(paths.graph)).sort();
  const images = (await fs.readdir(paths.images)).sort();
  const containers = (await fs.readdir(paths.containers)).sort();
  return {
    layers: await Promise.all(graph.map((n) => scanLayer(paths, n))),
    images: await Promise.all(images.map((n) => scanImage(paths, n))),
    ...(await scanTags(paths)),
    rootHalfWritten: (await fs.readdir(paths.root)).filter((n) => HALF_WRITTEN.test(n)),
    containers: await Promise.all(containers.map((n) => scanContainer(paths, n))),
    links: await scanLinks(paths),
    tmp: (await fs.readdir(paths.tmp)).sort(),
  };
}
