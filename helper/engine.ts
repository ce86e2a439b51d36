// The one facade the RPC server (and so the CLI and the extension) calls. Each method is a thin
// door into engine/*: the work lives there, by concern.
import { Readable } from 'node:stream';
import { checkOverlaySupport } from './union';
import { Store } from './store';
import { type EngineContext, KeyedMutex, Mutex } from './engine/context';
import { EngineEmitter, type Progress } from './engine/events';
import { Sessions, type SessionListener } from './engine/sessions';
import { Uploads } from './engine/uploads';
import * as images from './engine/images';
import * as containers from './engine/containers';
import { pruneImages, removeImage } from './engine/remove-image';
import { diskUsage } from './engine/disk-usage';
import * as files from './engine/files';
import { commitContainer, type CommitOptions } from './engine/commit';
import { createExec, startExec } from './engine/exec';
import { pauseContainer, unpauseContainer } from './engine/pause';
import type { LogFollower } from './engine/logs';
import type { ContainerOptions } from './protocol/types';

export type { SessionListener } from './engine/sessions';

export class Engine {
  readonly events = new EngineEmitter();
  readonly uploads = new Uploads();
  private readonly ctx: EngineContext;

  private constructor(readonly store: Store) {
    this.ctx = { store, events: this.events, sessions: new Sessions(), mutex: new Mutex(), containerLocks: new KeyedMutex() };
  }

  /** Opens (and claims) the store at `root`, repairs it, and checks the kernel can do the work. */
  static async open(root: string): Promise<Engine> {
    const store = await Store.open(root);
    try {
      // On the store's own file system: that is where the upper dirs live.
      await checkOverlaySupport(store.paths.tmp);
      const engine = new Engine(store);
      store.repairs.push(...(await containers.reapOrphans(engine.ctx)));
      return engine;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  get root(): string { return this.store.paths.root; }

  // Images and layers
  listImages() { return images.listImages(this.ctx); }
  diskUsage() { return diskUsage(this.ctx); }
  inspectImage(ref: string) { return images.inspectImage(this.ctx, ref); }
  history(ref: string) { return images.history(this.ctx, ref); }
  tagImage(source: string, target: string) { return images.tagImage(this.ctx, source, target); }
  removeImage(ref: string, force: boolean) { return removeImage(this.ctx, ref, force); }
  pruneImages(all: boolean) { return pruneImages(this.ctx, all); }
  importImage(input: Readable, opts: images.ImportOptions) { return images.importImage(this.ctx, input, opts); }
  busyboxImage(name?: string) { return images.busyboxImage(this.ctx, name); }
  inspectLayer(ref: string) { return images.layerInfo(this.ctx, this.store.layers.resolve(ref)); }
  layerChanges(ref: string) { return images.layerChangesOf(this.ctx, ref); }
  readLayerFile(ref: string, path: string, side: 'layer' | 'below') { return files.readLayerFile(this.ctx, ref, path, side); }
  readContainerFile(ref: string, path: string, side: 'container' | 'image') { return files.readContainerFile(this.ctx, ref, path, side); }

  // Containers
  listContainers(all: boolean) { return containers.listContainers(this.ctx, all); }
  inspectContainer(ref: string) { return containers.inspectContainer(this.ctx, ref); }
  createContainer(image: string, options: ContainerOptions) { return containers.createContainer(this.ctx, image, options); }
  startContainer(ref: string, size?: { cols: number; rows: number }) { return containers.startContainer(this.ctx, ref, size); }
  waitContainer(ref: string) { return containers.waitContainer(this.ctx, ref); }
  stopContainer(ref: string, timeout?: number) { return containers.stopContainer(this.ctx, ref, timeout); }
  killContainer(ref: string, signal?: string) { return containers.killContainer(this.ctx, ref, signal); }
  pauseContainer(ref: string) { return pauseContainer(this.ctx, ref); }
  unpauseContainer(ref: string) { return unpauseContainer(this.ctx, ref); }
  removeContainer(ref: string, force: boolean) { return containers.removeContainer(this.ctx, ref, force); }
  pruneContainers() { return containers.pruneContainers(this.ctx); }
  renameContainer(ref: string, name: string) { return containers.renameContainer(this.ctx, ref, name); }
  containerChanges(ref: string) { return containers.containerChanges(this.ctx, ref); }
  containerTop(ref: string) { return containers.containerTop(this.ctx, ref); }
  containerStats(refs: string[]) { return containers.containerStats(this.ctx, refs); }
  containerLogs(ref: string, opts: { follow: boolean; tail?: number }, follower: LogFollower) { return containers.readLogs(this.ctx, ref, opts, follower); }
  commitContainer(ref: string, opts: CommitOptions) { return commitContainer(this.ctx, ref, opts); }

  // Sessions: a container's main process or an exec, that clients attach to.
  attach(ref: string, listener: SessionListener): { session: string; tty: boolean; running: boolean; detach: () => void } {
    const rec = this.store.containers.resolve(ref);
    const session = containers.mainSession(this.ctx, rec);
    return { session: session.id, tty: session.tty, running: session.process !== null, detach: session.attach(listener) };
  }
  attachSession(id: string, listener: SessionListener): () => void { return this.ctx.sessions.get(id).attach(listener); }
  createExec(ref: string, spec: Parameters<typeof createExec>[2]) { return createExec(this.ctx, ref, spec); }
  startExec(session: string, size?: { cols: number; rows: number }) { return startExec(this.ctx, session, size); }
  sessionInput(id: string, data: Buffer) { this.ctx.sessions.get(id).input(data); }
  sessionCloseStdin(id: string) { this.ctx.sessions.get(id).closeStdin(); }
  sessionResize(id: string, cols: number, rows: number) { this.ctx.sessions.get(id).running().resize(cols, rows); }
  sessionSignal(id: string, signal: string) { this.ctx.sessions.get(id).running().signal(containers.normalizeSignal(signal)); }

  progressFor(token: string): Progress {
    return (message, done, total) => this.events.emit('progress', { token, message, done, total });
  }

  /** Stops every container (as Docker does when its daemon stops) and releases the store. */
  async close(): Promise<void> {
    const running = this.store.containers.list().filter((c) => c.status === 'running');
    await Promise.all(running.map((c) => this.stopContainer(c.id, 2).catch(() => undefined)));
    await this.store.close();
  }
}
