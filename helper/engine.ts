// The engine as a whole: opens (and claims) a store, repairs it, checks that the kernel can do the
// work, holds the context every method runs with, and closes. The methods themselves are in the
// tables of engine/* (engine/method-table.ts), which rpc/ serves directly.
import { checkOverlaySupport } from './union';
import { Store } from './store';
import { type EngineContext, KeyedMutex, Mutex } from './engine/context';
import { EngineEmitter } from './engine/events';
import { Sessions } from './engine/sessions';
import { Uploads } from './engine/uploads';
import { Downloads } from './engine/downloads';
import { reapOrphans, restartOnHelperStart, stopContainer } from './engine/containers';

export class Engine {
  readonly ctx: EngineContext;
  /** Uploads in flight: a tar arrives on one connection and is consumed by a request on another. */
  readonly uploads = new Uploads();
  /** Downloads in flight: what a request makes leaves on another connection (save, export). */
  readonly downloads = new Downloads();

  private constructor(readonly store: Store) {
    this.ctx = { store, events: new EngineEmitter(), sessions: new Sessions(), mutex: new Mutex(), containerLocks: new KeyedMutex() };
  }

  /** Opens (and claims) the store at `root`, repairs it, and checks the kernel can do the work. */
  static async open(root: string): Promise<Engine> {
    const store = await Store.open(root);
    try {
      // On the store's own file system: that is where the upper dirs live.
      await checkOverlaySupport(store.paths.tmp);
      const engine = new Engine(store);
      // (Short links to removed layers are no longer pruned here: removals drop the link first, so
      // only damage by hand leaves one, and `strata check` reports it.)
      store.repairs.push(...(await reapOrphans(engine.ctx)));
      store.repairs.push(...(await restartOnHelperStart(engine.ctx)));
      return engine;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  get root(): string { return this.store.paths.root; }
  get events(): EngineEmitter { return this.ctx.events; }

  /** Whether any container runs (an idle helper with none may go away). */
  hasRunningContainers(): boolean {
    return this.store.containers.list().some((c) => c.status === 'running');
  }

  /** Stops every container (as Docker does when its daemon stops) and releases the store. */
  async close(): Promise<void> {
    this.ctx.closing = true; // what stops now is restarted by the next helper, not by this one
    const running = this.store.containers.list().filter((c) => c.status === 'running');
    await Promise.all(running.map((c) => stopContainer(this.ctx, c.id, 2).catch(() => undefined)));
    await this.store.close();
  }
}
