// `strata build`: a Dockerfile and its context (a tar the client uploads: the helper never opens a
// client's path) become an image, step by step (sources/build/). This module gives the build what
// it needs of the engine: images and layers of the store, each RUN run in a container exactly as
// `strata run` runs one (containers.ts: create, start, wait; commit.ts's commitLayer; remove), and
// the store's rules: the indexes change under its mutex; a build that fails or is cancelled leaves
// the store as it was (its images and the layers only they used are removed, no container kept
// unless --rm=false, nothing in tmp/). The RPC side (rpc/handlers.ts) owns the upload and the
// output's session, as for import.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { digestInPlace, extractLayer } from '../archive';
import { readMergedFile } from '../archive/read-file';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ParamsOf } from '../protocol/methods';
import type { BuildStep, ImageConfig } from '../protocol/types';
import { BuildCache } from '../sources/build/cache';
import { Builder } from '../sources/build/builder';
import type { BuildHost, RunSpec } from '../sources/build/host';
import { fixLayerTimes, sourceDateEpoch } from '../sources/build/layer-times';
import { say, type BuildOutput } from '../sources/build/output';
import { parseDockerfile } from '../sources/build/parse';
import { makePlan } from '../sources/build/plan';
import { giveUppersBack } from '../store/moved-uppers';
import { chainId, chainIds } from '../store/ids';
import { parseReference } from '../store/reference';
import { dropLayerLink } from '../union';
import { faultPoint } from '../store/faults';
import { EMPTY_TAR_DIFF_ID, commitLayer } from './commit';
import { containerMethods, stopContainer } from './containers';
import { withContainerLock, type EngineContext } from './context';
import { imageLayers } from './images';
import { runMethod } from './method-table';
import { upperOf } from './upper';

export type BuildParams = Omit<ParamsOf<'image.build'>, 'token' | 'session' | 'progressToken'>;

/** A RUN that exited non-zero: the build's error, with the command's code for the CLI's exit. */
export class StepFailedError extends StrataError {
  constructor(message: string, readonly exitCode: number) {
    super(ErrorCode.RuntimeFailed, message);
  }
}

const caches = new WeakMap<EngineContext, BuildCache>();
function cacheOf(ctx: EngineContext): BuildCache {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new BuildCache({ root: ctx.store.paths.root, imageExists: (id) => !!ctx.store.images.get(id), layerExists: (id) => !!ctx.store.layers.get(id) });
    caches.set(ctx, cache);
  }
  return cache;
}

function topLayer(config: ImageConfig): string | null {
  const ids = chainIds(config.rootfs.diff_ids);
  return ids.length ? ids[ids.length - 1] : null;
}

class EngineBuildHost implements BuildHost {
  /** Images and layers this build added to the store (never ones that were there before). */
  readonly madeImages = new Set<string>();
  readonly madeLayers = new Set<string>();
  /** Stage results, kept at the end (Docker's classic builder leaves them as <none> images). */
  readonly retained = new Set<string>();
  readonly cache: BuildCache;

  constructor(private readonly ctx: EngineContext, private readonly work: string, readonly contextDir: string, readonly out: BuildOutput, readonly signal: AbortSignal, private readonly opts: BuildParams & { layerTime: number }) {
    this.cache = cacheOf(ctx);
  }

  image(ref: string): { id: string; config: ImageConfig } {
    const id = this.ctx.store.images.resolve(ref);
    return { id, config: this.ctx.store.images.get(id)! };
  }

  layerDirs(config: ImageConfig): string[] {
    return imageLayers(this.ctx, config).map((l) => this.ctx.store.paths.layerFiles(l.id)).reverse();
  }

  async stage(): Promise<string> {
    const dir = join(this.work, `step-${Math.random().toString(36).slice(2, 10)}`);
    await fs.mkdir(dir, { mode: 0o700 });
    return dir;
  }

  async adoptLayer(dir: string, parent: ImageConfig, meta: { created: string; createdBy: string }): Promise<string | null> {
    const { diffId, size } = await digestInPlace(dir);
    if (diffId === EMPTY_TAR_DIFF_ID) return null;
    const under = topLayer(parent);
    const record = { id: chainId(under, diffId), parent: under, diff_id: diffId, size, created: meta.created, created_by: meta.createdBy, comment: '' };
    // adopt renames the folder that holds layer/ into graph/: it must be a folder of its own.
    const holder = join(this.work, `layer-${Math.random().toString(36).slice(2, 10)}`);
    await fs.mkdir(holder, { mode: 0o700 });
    await fs.rename(dir, join(holder, 'layer'));
    await this.ctx.mutex.run(async () => {
      // Unclaimed until the step's image is kept (keep), as a commit's layer is until its image.
      const { created } = await this.ctx.store.layers.adopt(holder, record, { unclaimed: true });
      if (created) this.madeLayers.add(record.id);
    });
    faultPoint('build.copy-adopted');
    return diffId;
  }

  async run(spec: RunSpec): Promise<string | null> {
    const { ctx } = this;
    const { id } = await runMethod<'container.create'>(ctx, containerMethods['container.create'], {
      image: spec.imageId,
      options: { cmd: spec.cmd, entrypoint: '', tty: false, openStdin: false, env: spec.env, workdir: spec.workdir, user: spec.user || undefined, network: this.opts.network, autoRemove: false },
    });
    this.out.line(say.running(id));
    const session = ctx.sessions.find(id)!;
    let detach = () => {};
    const exited = new Promise<number>((resolve) => {
      detach = session.attach({ output: (stream, data) => this.out.data(stream, data), exit: (code) => resolve(code) });
    });
    const stop = () => void stopContainer(ctx, id, 0).catch(() => undefined);
    this.signal.addEventListener('abort', stop);
    let code: number;
    try {
      await runMethod<'container.start'>(ctx, containerMethods['container.start'], { id });
      code = await exited;
    } catch (err) {
      await this.removeContainer(id, true);
      throw err;
    } finally {
      detach();
      this.signal.removeEventListener('abort', stop);
    }
    if (this.signal.aborted) {
      await this.removeContainer(id, true);
      throw this.signal.reason;
    }
    if (code !== 0) {
      await this.removeContainer(id, this.opts.remove || this.opts.forceRemove);
      throw new StepFailedError(say.failed(spec.cmd, code), code);
    }
    const parent = topLayer(ctx.store.images.get(spec.imageId)!);
    const layer = await withContainerLock(ctx, id, async () => {
      // The container has stopped: its upper dir is still, and gets the build's fixed time.
      await fixLayerTimes(upperOf(ctx, ctx.store.containers.get(id)!), this.opts.layerTime);
      const before = new Set(ctx.store.layers.list().map((l) => l.id));
      const rec = await commitLayer(ctx, id, parent, { created: spec.created, createdBy: spec.createdBy });
      if (rec && !before.has(rec.id)) this.madeLayers.add(rec.id);
      return rec;
    });
    faultPoint('build.run-committed');
    await this.removeContainer(id, this.opts.remove || this.opts.forceRemove);
    faultPoint('build.container-removed');
    return layer ? layer.diff_id : null;
  }

  private async removeContainer(id: string, remove: boolean): Promise<void> {
    if (!remove) return;
    await runMethod<'container.remove'>(this.ctx, containerMethods['container.remove'], { id, force: true });
    this.out.line(say.removing(id));
  }

  /**
   * Keeps `config` as an image; the previous state's image, made by this build and now a prefix of
   * it, goes. The layers this build made that the image holds are claimed once it is written.
   */
  async keep(config: ImageConfig, replaces: string | null = null): Promise<string> {
    const { store } = this.ctx;
    const id = await this.ctx.mutex.run(async () => {
      const before = store.images.ids().length;
      const id = await store.images.add(config);
      faultPoint('build.step-image-added');
      if (store.images.ids().length > before) this.madeImages.add(id);
      for (const layer of chainIds(config.rootfs.diff_ids)) if (this.madeLayers.has(layer)) await store.layers.claim(layer);
      if (replaces && replaces !== id) await this.dropImage(replaces);
      this.ctx.events.emit('changed', { what: 'images', id });
      return id;
    });
    faultPoint('build.step-kept');
    return id;
  }

  /** Removes an image this build made (not tagged, not used, not a stage result). Under the mutex. */
  private async dropImage(id: string): Promise<void> {
    const { store } = this.ctx;
    if (!this.madeImages.has(id) || this.retained.has(id) || store.images.tagsOf(id).length || store.containers.list().some((c) => c.imageId === id)) return;
    await store.images.remove(id);
    this.madeImages.delete(id);
  }

  retain(id: string): void {
    this.retained.add(id);
  }

  /** After a failure: what this build added goes (its images, then the layers only they used). */
  async discard(): Promise<void> {
    const { store } = this.ctx;
    await this.ctx.mutex.run(async () => {
      this.retained.clear();
      for (const id of [...this.madeImages]) await this.dropImage(id);
      const used = new Set(store.images.ids().flatMap((i) => chainIds(store.images.get(i)!.rootfs.diff_ids)));
      for (const id of [...this.madeLayers].reverse()) {
        if (!store.layers.get(id)) continue;
        // Another image came to use it meanwhile (the same step in another build): it stays, claimed.
        if (used.has(id) || store.layers.children(id).length) { await store.layers.claim(id); continue; }
        await giveUppersBack(store, id);
        await store.layers.remove(id);
        await dropLayerLink(store.paths.root, store.paths.layerFiles(id));
      }
    });
    this.ctx.events.emit('changed', { what: 'images' });
  }
}

/** The Dockerfile's text, read from the extracted context (as any file there: beneath it, no symlink followed). */
async function readDockerfile(contextDir: string, path: string): Promise<string> {
  const view = await readMergedFile([contextDir], `/${path}`, 16 * 1024 * 1024).catch(() => null);
  if (!view || view.kind !== 'file' || !view.data) throw new StrataError(ErrorCode.NotFound, `Cannot locate specified Dockerfile: ${path}`);
  return view.data.toString('utf8');
}

/**
 * Builds the image the Dockerfile at `p.dockerfile` in the uploaded context describes; tags it.
 * `signal` cancels (the running step's container is stopped); on any failure the store is left
 * as it was.
 */
export async function buildImage(ctx: EngineContext, input: NodeJS.ReadableStream, p: BuildParams, out: BuildOutput, signal: AbortSignal): Promise<{ id: string; tags: string[]; steps: BuildStep[] }> {
  try {
    return await buildIn(ctx, input, p, out, signal);
  } catch (err) {
    // What the Dockerfile or the context got wrong is the user's to fix, said as it is.
    if (err instanceof StrataError) throw err;
    throw new StrataError(ErrorCode.BadRequest, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

async function buildIn(ctx: EngineContext, input: NodeJS.ReadableStream, p: BuildParams, out: BuildOutput, signal: AbortSignal): Promise<{ id: string; tags: string[]; steps: BuildStep[] }> {
  for (const t of p.tags) parseReference(t); // a bad name is refused before any work
  const epoch = sourceDateEpoch(p.sourceDateEpoch);
  const buildArgs = new Map(p.buildArgs.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  const work = await ctx.store.stage();
  try {
    const contextDir = join(work, 'context');
    await extractLayer(input, contextDir, { signal }).catch((err) => { throw withContext('build context', err); });
    faultPoint('build.context-extracted');
    const text = await readDockerfile(contextDir, p.dockerfile);
    // A Dockerfile from outside the context came inside it under a name of the client's, at its
    // top (nothing else is removed on a client's word): not a file COPY can see.
    if (p.dockerfileOutsideContext) {
      if (p.dockerfile.includes('/')) throw new StrataError(ErrorCode.InvalidParams, `a Dockerfile from outside the context must sit at its top, not at ${p.dockerfile}`);
      await fs.rm(join(contextDir, p.dockerfile), { force: true });
    }
    const plan = makePlan(parseDockerfile(text, p.dockerfileName ?? p.dockerfile), p.dockerfileName ?? p.dockerfile, p.target);
    const host = new EngineBuildHost(ctx, work, contextDir, out, signal, { ...p, layerTime: epoch ?? 0 });
    const builder = new Builder(host, plan, { buildArgs, noCache: p.noCache, epoch });
    try {
      const stages = await builder.run();
      const final = stages[stages.length - 1].state;
      const id = final.imageId ?? (await host.keep(final.config));
      const tags = await ctx.mutex.run(async () => {
        const named: string[] = [];
        for (const t of p.tags) named.push(await ctx.store.images.tag(t, id));
        faultPoint('build.tagged');
        // Each stage's steps are held by the image that stage made (the last: the result).
        for (const s of stages) if (s.state.imageId) await host.cache.save(s.steps, s.state.imageId);
        faultPoint('build.cached');
        return named;
      });
      ctx.events.emit('changed', { what: 'images', id });
      const unused = builder.unusedArgs();
      if (unused.length) out.line(say.unusedArgs(unused));
      out.line(say.built(id));
      for (const t of tags) out.line(say.tagged(t));
      return { id, tags, steps: stages.flatMap((s) => s.record) };
    } catch (err) {
      await host.discard().catch((e: unknown) => ctx.events.emit('log', `build: removing what the failed build made: ${String(e)}`));
      throw err;
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

