// Images beyond one machine, as files: save (a docker-archive or an OCI layout of images, each
// layer's tar made again byte for byte: archive/reproduce.ts), load (what save, docker save, podman
// save and skopeo write), and export (a container's file system, flattened, as docker export).
// Bytes leave through a download and arrive through an upload: the helper never opens a path the
// client names (engine/downloads.ts, engine/uploads.ts).
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { copyTree, extractLayer } from '../archive';
import { gzipToFile } from '../archive/compress';
import { packMerged } from '../archive/flatten';
import { openLayerTar } from '../archive/reproduce';
import { openLayerTarNative } from '../archive/reproduce-gzip';
import { writeArchive, writeArchiveDirect, type DirectBytes } from '../distribution/archive-writer';
import { readArchive, type StagedLayer } from '../distribution/archive-reader';
import { planLoad, type LoadImage } from '../distribution/load-plan';
import { dockerArchive, ociLayout, type SavedImage } from '../distribution/save-formats';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ImageConfig } from '../protocol/types';
import type { LayerRecord } from '../store';
import { chainId } from '../store/ids';
import { formatReference, parseReference } from '../store/reference';
import type { EngineContext } from './context';
import { imageLayers, layerTarSource } from './images';
import { faultPoint } from '../store/faults';
import { diskFull, importRoom } from './import-room';
import { upperOf } from './upper';

/** The tag `ref` names, when it is a name (not an id) of image `id`. */
function tagNamed(ctx: EngineContext, ref: string, id: string): string | null {
  try {
    const tag = formatReference(parseReference(ref));
    return ctx.store.images.allTags()[tag] === id ? tag : null;
  } catch {
    return null;
  }
}

/** The images `refs` name, with what save needs of each; refuses a layer whose tar cannot be made at once. */
async function savedImages(ctx: EngineContext, refs: string[], signal?: AbortSignal): Promise<SavedImage[]> {
  const byId = new Map<string, SavedImage>();
  for (const ref of refs) {
    const id = ctx.store.images.resolve(ref);
    const tag = tagNamed(ctx, ref, id);
    const known = byId.get(id);
    if (known) {
      if (tag && !known.tags.includes(tag)) known.tags.push(tag);
      continue;
    }
    const layers = imageLayers(ctx, ctx.store.images.get(id)!).map((rec) => {
      const src = layerTarSource(ctx, rec);
      if (src.unreproducible) throw new StrataError(ErrorCode.BadArchive, `save ${ref}: layer ${rec.id}: its tar cannot be reproduced: ${src.unreproducible}`);
      // Made out of the helper where the native tool can (an imported layer), with the same checks:
      // written by it straight into the download (DirectBytes), or relayed.
      const open = async () => (await openLayerTarNative(src, signal)) ?? openLayerTar(src, signal);
      return { id: rec.id, diffId: rec.diff_id, created: rec.created, open };
    });
    for (const l of layers) {
      const split = layerTarSource(ctx, ctx.store.layers.get(l.id)!).tarSplit;
      if (split) await fs.access(split).catch(() => { throw new StrataError(ErrorCode.BadArchive, `save ${ref}: layer ${l.id}: its tar cannot be reproduced: its tar-split ${split} is missing`); });
    }
    byId.set(id, { id, config: await fs.readFile(ctx.store.paths.image(id)), tags: tag ? [tag] : [], layers });
  }
  return [...byId.values()];
}

/**
 * The archive of `refs` as a stream: checked first (every image, every layer's record), then made as
 * it is read; a layer the native tool makes comes as a DirectBytes (downloads.ts writes it). `compress`: gzip'd layers, each made in a stage of the store just before its entry
 * and removed once sent (one layer's blob on disk at a time; the stage goes when the stream ends,
 * whole or not).
 */
export async function saveImages(ctx: EngineContext, refs: string[], format: 'docker' | 'oci', signal?: AbortSignal, compress = false): Promise<AsyncIterable<Buffer | DirectBytes>> {
  if (refs.length === 0) throw new StrataError(ErrorCode.InvalidParams, 'save: name at least one image');
  const images = await savedImages(ctx, refs, signal);
  if (!compress) return writeArchiveDirect(format === 'oci' ? ociLayout(images) : dockerArchive(images));
  const stage = await ctx.store.stage();
  let n = 0;
  const gzipped = images.map((image) => ({
    ...image,
    layers: image.layers.map((l) => ({
      ...l,
      open: async () => {
        const tar = await l.open();
        const blob = await gzipToFile(tar.stream, join(stage, `layer-${n++}.gz`), signal);
        return { size: blob.size, digest: blob.digest, stream: blob.stream() };
      },
    })),
  }));
  const entries = format === 'oci' ? ociLayout(gzipped, { gzip: true }) : dockerArchive(gzipped, { gzip: true });
  async function* cleaned(): AsyncGenerator<Buffer> {
    try {
      yield* writeArchive(entries);
    } finally {
      await fs.rm(stage, { recursive: true, force: true });
    }
  }
  return cleaned();
}

/** A container's file system, flattened (its changes over its image's layers), as a tar stream. */
export function exportContainer(ctx: EngineContext, ref: string, signal?: AbortSignal): Readable {
  const rec = ctx.store.containers.resolve(ref);
  const config = ctx.store.images.get(rec.imageId);
  if (!config) throw new StrataError(ErrorCode.NotFound, `the image of container ${rec.name} (${rec.imageId}) is gone`);
  const { root } = ctx.store.paths;
  const dirs = [upperOf(ctx, rec), ...imageLayers(ctx, config).reverse().map((l) => ctx.store.paths.layerFiles(l.id))].map((d) => relative(root, d));
  const out = new PassThrough();
  packMerged(root, dirs, out, signal).catch((err: unknown) => out.destroy(withContext(`export ${rec.name}`, err)));
  return out;
}

/**
 * A name as Docker shows it: Docker Hub's host, and its library/ for a one-part name, left out
 * (containers/image writes "docker.io/library/busybox:latest"; Docker and Strata say "busybox:latest").
 */
export function familiarName(ref: string): string {
  return formatReference(parseReference(ref)).replace(/^(?:index\.)?docker\.io\/(?:library\/(?=[^/]+$))?/, '');
}

/** Extracts one layer of an archive into a fresh stage, with its tar-split, within the disk's room. */
async function stageLayer(ctx: EngineContext, body: NodeJS.ReadableStream, stages: string[], signal?: AbortSignal): Promise<StagedLayer> {
  const stage = await ctx.store.stage();
  stages.push(stage);
  const room = await importRoom(stage, {});
  // (A fault point, for the tests: a helper killed with a layer half extracted in tmp/.)
  const onProgress = () => faultPoint('load.layer-reading');
  const r = await extractLayer(body, join(stage, 'layer'), { ...room, tarSplit: join(stage, 'tar-split'), signal, onProgress })
    .catch((err: unknown) => { throw withContext(`layer ${stages.length}`, diskFull(err) ?? err); });
  faultPoint('load.layer-staged');
  return { stage, diffId: r.diffId, size: r.size, ...(r.unreproducible ? { unreproducible: r.unreproducible } : {}) };
}

/** The config as Strata reads it; one without `config` or `history` (both optional in OCI) gets them, and so a new id. */
function configOf(image: LoadImage): { bytes: Buffer; config: ImageConfig } {
  const config = JSON.parse(image.config.toString('utf8')) as ImageConfig;
  if (config.config && typeof config.config === 'object' && Array.isArray(config.history)) return { bytes: image.config, config };
  const fixed: ImageConfig = { ...config, config: config.config ?? {}, history: Array.isArray(config.history) ? config.history : image.layers.map(() => ({ created: config.created })) };
  return { bytes: Buffer.from(JSON.stringify(fixed)), config: fixed };
}

/**
 * Moves image's staged layers into the graph, base first (an existing layer is kept as it is; a
 * staged one already moved under another parent is copied), each marked unclaimed until the image
 * is written (loadImages claims them): a kill in between leaves nothing that start-up repair keeps.
 * Under the store's mutex. Returns the ids of the layers it made.
 */
async function adoptLayers(ctx: EngineContext, image: LoadImage, config: ImageConfig, adopted: Map<StagedLayer, string>): Promise<string[]> {
  const made: string[] = [];
  const history = (config.history ?? []).filter((h) => !h.empty_layer);
  let parent: string | null = null;
  for (const [i, staged] of image.layers.entries()) {
    const id = chainId(parent, staged.diffId);
    const h = history[i];
    const rec: LayerRecord = {
      id, parent, diff_id: staged.diffId, size: staged.size, created: h?.created ?? config.created, created_by: h?.created_by ?? '', comment: h?.comment ?? '',
      ...(staged.unreproducible ? { unreproducible: staged.unreproducible } : { tar_split: true }),
    };
    parent = id;
    if (ctx.store.layers.get(id)) continue;
    const moved = adopted.get(staged);
    let stage = staged.stage;
    if (moved) {
      // The same tar at a second place in a chain: a layer folder of its own.
      stage = await ctx.store.stage();
      await copyTree(ctx.store.paths.layerFiles(moved), join(stage, 'layer'));
      if (!staged.unreproducible) await fs.copyFile(ctx.store.paths.layerTarSplit(moved), join(stage, 'tar-split'));
    }
    await ctx.store.layers.adopt(stage, rec, { unclaimed: true });
    faultPoint('load.layer-adopted');
    adopted.set(staged, id);
    made.push(id);
  }
  return made;
}

/** Loads every image of an archive stream; nothing reaches the store unless all of it checks out. */
export async function loadImages(ctx: EngineContext, input: NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ images: { id: string; tags: string[] }[] }> {
  const stages: string[] = [];
  try {
    const found = await readArchive(input, (body) => stageLayer(ctx, body, stages, signal), signal);
    const images = await planLoad(found, (data) => stageLayer(ctx, Readable.from([data]), stages, signal));
    const tagged = images.map((image) => ({ image, ...configOf(image), tags: image.tags.map(familiarName) }));
    faultPoint('load.read');
    return await ctx.mutex.run(async () => {
      const adopted = new Map<StagedLayer, string>();
      const out: { id: string; tags: string[] }[] = [];
      for (const { image, bytes, config, tags } of tagged) {
        const made = await adoptLayers(ctx, image, config, adopted);
        faultPoint('load.layers-adopted');
        const id = await ctx.store.images.addBytes(bytes, config);
        faultPoint('load.image-added');
        for (const t of tags) await ctx.store.images.tag(t, id);
        faultPoint('load.tagged');
        for (const layer of made) await ctx.store.layers.claim(layer);
        faultPoint('load.claimed');
        ctx.events.emit('changed', { what: 'images', id });
        out.push({ id, tags });
      }
      return { images: out };
    });
  } catch (err) {
    throw withContext('load', err);
  } finally {
    for (const stage of stages) await fs.rm(stage, { recursive: true, force: true });
  }
}
