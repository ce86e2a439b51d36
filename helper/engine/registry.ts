// push and pull (issue 11): images to and from a registry over the distribution API. The helper,
// not the client, speaks to the registry: it alone reads the layers (root-owned) and writes the
// store. What a client can steer is small on purpose: a reference (host[:port]/repo[:tag|@digest],
// checked in distribution/registry-ref.ts, so never a path or a URL), --insecure, and credentials
// for this one request, held in memory and never written (docs/security.md).
//
// A pull keeps nothing unverified: each layer is staged in tmp/, its blob digest and diff_id
// checked, then moved into the graph base first, with the unclaimed mark until its image is
// written. A digest that does not match removes what this pull had moved in (nothing stays); a
// pull cut short (cancelled, the network gone) keeps its verified layers, so the next pull of the
// image fetches only what is missing. (A helper killed mid-pull drops them at its next start: the
// unclaimed mark; the next pull fetches them again.)
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { extractLayer } from '../archive';
import { openLayerTar } from '../archive/reproduce';
import { openLayerTarGzip } from '../archive/reproduce-gzip';
import { knownBlobs, rememberBlob } from '../distribution/known-blobs';
import { corrupt, Puller, type Descriptor } from '../distribution/pull';
import { Pusher, type PushEvent } from '../distribution/push';
import type { Credentials } from '../distribution/registry-auth';
import { RegistryClient } from '../distribution/registry-client';
import { checkHost, isLoopbackHost, localName, parseRegistryRef } from '../distribution/registry-ref';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ParamsOf, ResultOf } from '../protocol/methods';
import type { ImageConfig } from '../protocol/types';
import type { LayerRecord } from '../store';
import { chainIds, SHA256_ID } from '../store/ids';
import { parseReference } from '../store/reference';
import type { EngineContext } from './context';
import { imageLayers, layerTarSource } from './images';
import { diskFull, importRoom } from './import-room';
import type { MethodTable } from './method-table';

const PARALLEL_PULLS = 3;
const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

type Report = (id: string, status: string, done?: number, total?: number) => void;

// Byte counts go out at most this often per layer (a 200 MB layer would otherwise send thousands).
const BYTES_EVERY_MS = 200;

function reporter(ctx: EngineContext, token: string | undefined): Report {
  const last = new Map<string, number>();
  return (id, status, done, total) => {
    if (done !== undefined && done !== total && done !== 0) {
      const now = Date.now();
      if (now - (last.get(id) ?? 0) < BYTES_EVERY_MS) return;
      last.set(id, now);
    }
    if (token) ctx.events.emit('progress', { token, id, stage: status, message: id ? `${id}: ${status}` : status, ...(done === undefined ? {} : { done }), ...(total === undefined ? {} : { total }) });
  };
}

/** Runs up to `n` of the tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function linked(signal: AbortSignal): AbortController {
  const ac = new AbortController();
  if (signal.aborted) ac.abort();
  else signal.addEventListener('abort', () => ac.abort(), { once: true });
  return ac;
}

async function pushImage(ctx: EngineContext, p: ParamsOf<'image.push'>, signal: AbortSignal): Promise<ResultOf<'image.push'>> {
  const ref = parseRegistryRef(p.ref, { allowDigest: false });
  const name = localName(ref);
  const id = ctx.store.images.resolve(name);
  const config = ctx.store.images.get(id)!;
  const layers = imageLayers(ctx, config).map((rec) => {
    const src = layerTarSource(ctx, rec);
    if (src.unreproducible) throw new StrataError(ErrorCode.BadArchive, `push ${name}: layer ${rec.id}: its tar cannot be reproduced: ${src.unreproducible}`);
    return { rec, src };
  });
  const configBytes = await fs.readFile(ctx.store.paths.image(id));
  const report = reporter(ctx, p.progressToken);
  const client = new RegistryClient(ref, { insecure: p.insecure, auth: p.auth, signal });
  try {
    const pushLayers = await Promise.all(layers.map(async ({ rec, src }) => ({
      id: rec.id, diffId: rec.diff_id, known: await knownBlobs(ctx.store.paths, rec.id), open: () => openLayerTar(src, signal),
      openGzipped: (level: number, progress: (tarBytes: number) => void) => openLayerTarGzip(src, level, progress, signal),
    })));
    report('', `The push refers to repository [${ref.host}/${ref.repo}]`);
    const pusher = new Pusher(client, {
      format: p.format ?? 'docker',
      chunkSize: p.chunkSize, // none: one streamed PATCH (push.ts)
      report: (e: PushEvent) => report(e.id, e.status, e.done, e.total),
      remember: (layerId, blob, repo) => rememberBlob(ctx.store.paths, layerId, blob, repo),
    });
    const r = await pusher.push(configBytes, id, pushLayers, ref.tag!);
    return { id, tag: ref.tag!, ...r };
  } catch (err) {
    if (signal.aborted) throw new StrataError(ErrorCode.Cancelled, `push ${name}: cancelled; what the registry has whole stays there, the next push sends only the rest`);
    throw withContext(`push ${ref.host}/${ref.repo}:${ref.tag}`, err);
  } finally {
    client.close();
  }
}

/** The config as Strata reads it: rootfs.diff_ids must name one layer per manifest layer. */
function parseConfig(bytes: Buffer, layers: number): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw corrupt('the config is not JSON');
  }
  const ids = config?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && SHA256_ID.test(d))) throw corrupt('the config has no rootfs.diff_ids of sha256 digests');
  if (ids.length !== layers) throw corrupt(`the config lists ${ids.length} layers, the manifest ${layers}`);
  return config;
}

interface Staged { stage: string; diffId: string; size: number; unreproducible?: string }

/** One layer blob fetched into a fresh stage, its digest and diff_id checked. */
async function fetchLayer(ctx: EngineContext, puller: Puller, d: Descriptor, diffId: string, what: string, stages: string[], report: Report, signal: AbortSignal): Promise<Staged> {
  const id = short(d.digest);
  const stage = await ctx.store.stage();
  stages.push(stage);
  report(id, 'Downloading', 0, d.size);
  const blob = await puller.layer(d, what, (n) => report(id, 'Downloading', n, d.size));
  const room = await importRoom(stage, {});
  const r = await extractLayer(blob.tar, join(stage, 'layer'), { ...room, tarSplit: join(stage, 'tar-split'), signal })
    .catch((err: unknown) => { throw withContext(what, diskFull(err) ?? err); });
  blob.check();
  if (r.diffId !== diffId) throw corrupt(`${what}: its tar has the digest ${r.diffId}, the config's diff_id is ${diffId} (corrupted)`);
  report(id, 'Download complete');
  return { stage, diffId, size: r.size, ...(r.unreproducible ? { unreproducible: r.unreproducible } : {}) };
}

async function pullImage(ctx: EngineContext, p: ParamsOf<'image.pull'>, signal: AbortSignal): Promise<ResultOf<'image.pull'>> {
  const ref = parseRegistryRef(p.ref, { allowDigest: true });
  const name = localName(ref);
  if (!ref.digest) parseReference(name); // a name the store cannot tag is refused before any download
  const report = reporter(ctx, p.progressToken);
  const ac = linked(signal);
  const client = new RegistryClient(ref, { insecure: p.insecure, auth: p.auth, signal: ac.signal });
  const stages: string[] = [];
  const created: string[] = [];
  let fetches: (Promise<Staged> | null)[] = [];
  let firstFailure: unknown = null;
  try {
    const puller = new Puller(client);
    report('', ref.digest ? `${ref.digest}: Pulling from ${ref.repo}` : `${ref.tag}: Pulling from ${ref.repo}`);
    const m = await puller.manifest(ref.digest ?? ref.tag!);
    const configBytes = await puller.config(m.config);
    const config = parseConfig(configBytes, m.layers.length);
    const diffIds = config.rootfs.diff_ids;
    const ids = chainIds(diffIds);
    const missing = ids.map((id) => !ctx.store.layers.get(id));
    m.layers.forEach((l, i) => report(short(l.digest), missing[i] ? 'Pulling fs layer' : 'Already exists'));
    const limit = limiter(PARALLEL_PULLS);
    fetches = m.layers.map((l, i) => (missing[i] ? limit(() => fetchLayer(ctx, puller, l, diffIds[i], `layer ${i + 1} (${short(l.digest)})`, stages, report, ac.signal)) : null));
    // The first failure stops the others (and is the one reported).
    for (const f of fetches) f?.catch((err: unknown) => { firstFailure ??= err; ac.abort(); });
    const history = (config.history ?? []).filter((h) => !h.empty_layer);
    let pulled = 0;
    for (const [i, f] of fetches.entries()) {
      if (!f) continue;
      const staged = await f;
      const h = history[i];
      const rec: LayerRecord = {
        id: ids[i], parent: i ? ids[i - 1] : null, diff_id: diffIds[i], size: staged.size, created: h?.created ?? config.created, created_by: h?.created_by ?? '', comment: h?.comment ?? '',
        ...(staged.unreproducible ? { unreproducible: staged.unreproducible } : { tar_split: true }),
      };
      await ctx.mutex.run(async () => {
        const { created: made } = await ctx.store.layers.adopt(staged.stage, rec, { unclaimed: true });
        if (made) created.push(rec.id);
      });
      await rememberBlob(ctx.store.paths, ids[i], { digest: m.layers[i].digest, size: m.layers[i].size, mediaType: m.layers[i].mediaType ?? '' }, `${ref.host}/${ref.repo}`);
      report(short(m.layers[i].digest), 'Pull complete');
      pulled++;
    }
    const id = await ctx.mutex.run(async () => {
      const imageId = await ctx.store.images.addBytes(configBytes, config);
      if (!ref.digest) await ctx.store.images.tag(name, imageId);
      for (const l of created) await ctx.store.layers.claim(l);
      ctx.events.emit('changed', { what: 'images', id: imageId });
      return imageId;
    });
    report('', `Digest: ${m.digest}`);
    return { id, digest: m.digest, ...(ref.digest ? {} : { tag: name }), pulled, existed: ids.length - pulled };
  } catch (caught) {
    const err = firstFailure ?? caught;
    ac.abort();
    await Promise.allSettled(fetches);
    if (err instanceof StrataError && err.code === ErrorCode.BadArchive) {
      // A digest that did not match: what this pull moved in goes too, nothing stays.
      await ctx.mutex.run(async () => {
        for (const l of created.reverse()) if ((await ctx.store.layers.isUnclaimed(l)) && ctx.store.layers.children(l).length === 0) await ctx.store.layers.remove(l);
      });
      throw withContext(`pull ${p.ref}: refused, nothing was kept`, err);
    }
    if (signal.aborted) throw new StrataError(ErrorCode.Cancelled, `pull ${p.ref}: cancelled; the ${created.length} layers already verified stay, the next pull fetches only the rest`);
    throw withContext(`pull ${p.ref}`, err);
  } finally {
    await Promise.allSettled(fetches);
    for (const stage of stages) await fs.rm(stage, { recursive: true, force: true });
    client.close();
  }
}

/** Checks a login against the registry (GET /v2/ with it), as docker login does; nothing is kept here. */
async function login(p: ParamsOf<'registry.login'>, signal: AbortSignal): Promise<ResultOf<'registry.login'>> {
  const host = checkHost(p.host);
  const client = new RegistryClient({ host, apiHost: host === 'docker.io' ? 'registry-1.docker.io' : host, repo: '' }, { insecure: p.insecure, auth: p.auth, signal });
  try {
    const r = await client.expect('GET', '/v2/', [200], { scope: '' }, `login to ${host}`);
    r.body.resume();
    return { host, plainHttp: client.scheme === 'http', loopback: isLoopbackHost(host) };
  } finally {
    client.close();
  }
}

export type { Credentials };

export const registryMethods = {
  'image.push': { lock: 'none', run: (ctx, p, call) => pushImage(ctx, p, call.signal) },
  'image.pull': { lock: 'none', run: (ctx, p, call) => pullImage(ctx, p, call.signal) },
  'registry.login': { lock: 'none', run: (_ctx, p, call) => login(p, call.signal) },
} satisfies MethodTable<'image.push' | 'image.pull' | 'registry.login'>;
