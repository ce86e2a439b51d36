// Images and layers: import from a tar stream, list, inspect, history, tag, remove, and the
// changes one layer makes to its parent.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { digestInPlace, extractLayer, layerChangesJson, packLayer, type ExtractOptions } from '../archive';
import { JsonText } from '../json-text';
import { checkLayerTar, type LayerTarSource } from '../archive/reproduce';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { Change, HistoryEntry, ImageConfig, ImageDetail, ImageSummary, LayerInfo } from '../protocol/types';
import { buildBusyboxRootfs } from '../sources/busybox';
import { applyChanges } from '../sources/changes';
import { chainIds } from '../store/ids';
import { formatReference, parseReference } from '../store/reference';
import type { LayerRecord } from '../store';
import { type EngineContext, now } from './context';
import type { MethodTable } from './method-table';
import { type Progress, noProgress } from './events';
import { diskFull, importRoom } from './import-room';
import { faultPoint } from '../store/faults';
import { syncTree } from '../store/atomic';

export function layerInfo(ctx: EngineContext, rec: LayerRecord): LayerInfo {
  return {
    id: rec.id, parent: rec.parent, diffId: rec.diff_id, size: rec.size, created: rec.created,
    createdBy: rec.created_by, comment: rec.comment, path: ctx.store.paths.layerFiles(rec.id),
    tar: rec.tar_split ? 'tar-split' : rec.unreproducible ? 'none' : 'canonical',
    ...(rec.unreproducible ? { tarProblem: rec.unreproducible } : {}),
  };
}

/** Where a layer's tar comes back from (archive/reproduce.ts). */
export function layerTarSource(ctx: EngineContext, rec: LayerRecord): LayerTarSource {
  const { paths } = ctx.store;
  return {
    id: rec.id, diffId: rec.diff_id, dir: paths.layerFiles(rec.id),
    tarSplit: rec.tar_split ? paths.layerTarSplit(rec.id) : null, unreproducible: rec.unreproducible,
  };
}

/** layerInfo, and with `verify` whether its tar is made again exactly (every file is read). */
async function inspectLayer(ctx: EngineContext, rec: LayerRecord, verify?: boolean): Promise<LayerInfo> {
  const info = layerInfo(ctx, rec);
  if (!verify) return info;
  const problem = await checkLayerTar(layerTarSource(ctx, rec));
  return { ...info, tarVerified: problem === null, ...(problem ? { tarProblem: problem } : {}) };
}

/** The image's layers, base first. */
export function imageLayers(ctx: EngineContext, config: ImageConfig): LayerRecord[] {
  return chainIds(config.rootfs.diff_ids).map((id) => {
    const rec = ctx.store.layers.get(id);
    if (!rec) throw new StrataError(ErrorCode.NotFound, `layer ${id} of this image is missing from the store`);
    return rec;
  });
}

function configOf(ctx: EngineContext, id: string): ImageConfig {
  const config = ctx.store.images.get(id);
  if (!config) throw new StrataError(ErrorCode.NotFound, `No such image: ${id}`);
  return config;
}

function listImages(ctx: EngineContext): ImageSummary[] {
  return ctx.store.images.ids().map((id) => {
    const config = configOf(ctx, id);
    const layers = imageLayers(ctx, config);
    return { id, repoTags: ctx.store.images.tagsOf(id), created: config.created, size: layers.reduce((n, l) => n + l.size, 0), layers: layers.length };
  }).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

async function inspectImage(ctx: EngineContext, ref: string, verify?: boolean): Promise<ImageDetail> {
  const id = ctx.store.images.resolve(ref);
  const config = configOf(ctx, id);
  const layers: LayerInfo[] = [];
  for (const l of imageLayers(ctx, config)) layers.push(await inspectLayer(ctx, l, verify));
  return { id, repoTags: ctx.store.images.tagsOf(id), config, layers, size: layers.reduce((n, l) => n + l.size, 0) };
}

/** Newest first, as `docker history` prints it; each non-empty step is paired with its layer. */
function history(ctx: EngineContext, ref: string): HistoryEntry[] {
  const config = configOf(ctx, ctx.store.images.resolve(ref));
  const layers = imageLayers(ctx, config);
  let next = 0;
  const entries = config.history.map((h): HistoryEntry => {
    const layer = h.empty_layer ? undefined : layers[next++];
    return {
      id: layer ? layer.id : '<missing>', created: h.created ?? config.created, createdBy: h.created_by ?? '',
      comment: h.comment ?? '', size: layer ? layer.size : 0, emptyLayer: !!h.empty_layer,
    };
  });
  return entries.reverse();
}

export interface ImportOptions {
  name?: string;
  message?: string;
  changes?: string[];
  source?: string; // for the history comment: "Imported from -"
  createdBy?: string; // the history's created_by: what made the root fs (debootstrap's command line)
  signal?: AbortSignal;
  progress?: Progress;
  /** Uncompressed bytes this import may write (lowered to the disk's free room: import-room.ts). */
  maxBytes?: number;
  /** How many times its gzip a tar may expand to (0: any). */
  maxCompressionRatio?: number;
  /** The upload's raw socket, for the native reader to read itself (archive/extract.ts). */
  rawSocket?: ExtractOptions['rawSocket'];
}

/** Imports a tar stream (plain or gzip) as a one-layer image; the store is untouched on failure. */
// Its tar-split is recorded as the tar streams (archive/tar-split.ts) and staged with the layer, so
// save and push can reproduce the imported bytes (archive/reproduce.ts).
export async function importImage(ctx: EngineContext, input: NodeJS.ReadableStream, opts: ImportOptions): Promise<{ id: string; layer: string; diffId: string }> {
  const progress = opts.progress ?? noProgress;
  if (opts.name) parseReference(opts.name); // refuse a bad name before reading any bytes
  const stage = await ctx.store.stage();
  faultPoint('import.staged');
  try {
    const created = now();
    const room = await importRoom(stage, opts);
    const result = await extractLayer(input, join(stage, 'layer'), {
      ...room,
      tarSplit: join(stage, 'tar-split'),
      signal: opts.signal,
      rawSocket: opts.rawSocket,
      onProgress: (bytes) => progress(`imported ${(bytes / 1e6).toFixed(1)} MB`, bytes),
    }).catch(async (err) => { throw withContext('import', diskFull(err) ?? err); });
    faultPoint('import.extracted');
    progress('saving the layer');
    const kept = result.unreproducible ? { unreproducible: result.unreproducible } : { tar_split: true as const };
    return await imageOfStagedLayer(ctx, stage, { diffId: result.diffId, size: result.size, ...kept }, created, opts);
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/**
 * The folder `dir` (in a stage of the store, which it may use up) as a one-layer image, moved, not
 * copied: its canonical tar's diff_id read where it is (archive/pack.ts's tar, as a commit's layer
 * is defined) while its files are flushed to disk, then the folder renamed into the stage as the
 * layer. What debootstrap made is written once, not copied through a tar into a second folder.
 */
export async function imageOfFolder(ctx: EngineContext, dir: string, opts: ImportOptions): Promise<{ id: string; layer: string; diffId: string }> {
  if (opts.name) parseReference(opts.name);
  const stage = await ctx.store.stage();
  try {
    const created = now();
    const layerDir = join(stage, 'layer');
    await fs.rename(dir, layerDir);
    (opts.progress ?? noProgress)('reading the root filesystem as a layer');
    const [{ diffId, size }] = await Promise.all([digestInPlace(layerDir), syncTree(layerDir)]);
    if (opts.signal?.aborted) throw new StrataError(ErrorCode.Cancelled, 'cancelled');
    return await imageOfStagedLayer(ctx, stage, { diffId, size }, created, opts);
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/**
 * The layer staged at stage/layer (with stage/tar-split when `kept.tar_split`) into the graph and
 * a one-layer image of it, named. Under the store's mutex; the layer is unclaimed until the image
 * is written, so a kill in between leaves nothing that start-up repair keeps.
 */
async function imageOfStagedLayer(ctx: EngineContext, stage: string, made: { diffId: string; size: number; tar_split?: true; unreproducible?: string }, created: string, opts: ImportOptions): Promise<{ id: string; layer: string; diffId: string }> {
  const config = applyChanges({}, opts.changes ?? []);
  const comment = opts.message ?? `Imported from ${opts.source ?? '-'}`;
  const createdBy = opts.createdBy ?? '';
  const record: LayerRecord = {
    id: made.diffId, parent: null, diff_id: made.diffId, size: made.size, created, created_by: createdBy, comment,
    ...(made.unreproducible ? { unreproducible: made.unreproducible } : made.tar_split ? { tar_split: true } : {}),
  };
  return ctx.mutex.run(async () => {
    const { record: layer } = await ctx.store.layers.adopt(stage, record, { unclaimed: true });
    faultPoint('import.adopted');
    const image: ImageConfig = {
      created, architecture: 'amd64', os: 'linux', config,
      rootfs: { type: 'layers', diff_ids: [made.diffId] },
      history: [{ created, ...(createdBy ? { created_by: createdBy } : {}), ...(comment || !createdBy ? { comment } : {}) }],
    };
    const id = await ctx.store.images.add(image);
    faultPoint('import.image-added');
    if (opts.name) await ctx.store.images.tag(opts.name, id);
    faultPoint('import.tagged');
    await ctx.store.layers.claim(layer.id);
    faultPoint('import.claimed');
    ctx.events.emit('changed', { what: 'images', id });
    return { id, layer: layer.id, diffId: made.diffId };
  });
}

/** The built-in busybox image (Debian's busybox-static), made on the helper's side. */
async function busyboxImage(ctx: EngineContext, name = 'busybox:latest'): Promise<{ id: string; created: boolean }> {
  // By name only: `busybox <64 hex>` must not answer with whatever image has that id.
  const existing = ctx.store.images.allTags()[formatReference(parseReference(name))];
  if (existing) return { id: existing, created: false };
  const stage = await ctx.store.stage();
  try {
    await buildBusyboxRootfs(join(stage, 'rootfs'));
    const tar = new PassThrough();
    const packing = packLayer(join(stage, 'rootfs'), tar);
    const [result] = await Promise.all([importImage(ctx, tar, { name, message: 'Built-in image: Debian busybox-static', changes: ['CMD ["/bin/sh"]'] }), packing]);
    return { id: result.id, created: true };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** `tag`: under the store's mutex (its table row says so). */
async function tagImage(ctx: EngineContext, source: string, target: string): Promise<{ id: string; tag: string }> {
  const id = ctx.store.images.resolve(source);
  const tag = await ctx.store.images.tag(target, id);
  ctx.events.emit('changed', { what: 'images', id });
  return { id, tag };
}

async function layerChangesOf(ctx: EngineContext, ref: string): Promise<JsonText<Change[]>> {
  const layer = ctx.store.layers.resolve(ref);
  const lowers = ctx.store.layers.chain(layer.id).slice(0, -1).reverse().map((l) => ctx.store.paths.layerFiles(l.id));
  // Sent as JSON already written (json-text.ts): a 100,000-file layer's changes are never made objects.
  return new JsonText<Change[]>(await layerChangesJson(ctx.store.paths.layerFiles(layer.id), lowers));
}

export const imageMethods = {
  'images.list': { lock: 'none', run: (ctx) => listImages(ctx) },
  'image.inspect': { lock: 'none', run: (ctx, p) => inspectImage(ctx, p.ref, p.verify) },
  'image.history': { lock: 'none', run: (ctx, p) => history(ctx, p.ref) },
  'image.tag': { lock: 'store', run: (ctx, p) => tagImage(ctx, p.source, p.target) },
  // Its import takes the store's mutex for the last step.
  'image.busybox': { lock: 'none', run: (ctx, p) => busyboxImage(ctx, p.name) },
  'layer.inspect': { lock: 'none', run: (ctx, p) => inspectLayer(ctx, ctx.store.layers.resolve(p.id), p.verify) },
  'layer.changes': { lock: 'none', run: (ctx, p) => layerChangesOf(ctx, p.id) },
} satisfies MethodTable<'images.list' | 'image.inspect' | 'image.history' | 'image.tag' | 'image.busybox' | 'layer.inspect' | 'layer.changes'>;
