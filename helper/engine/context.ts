// What every engine operation works with. One helper process is the only writer of its store, so
// in-memory indexes are the truth; `mutex` orders the operations that change them.
import type { Store } from '../store';
import type { EngineEmitter } from './events';
import type { Sessions } from './sessions';

export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One Mutex per key, made on demand and dropped when idle: orders the operations on one container. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const tail = this.tails.get(key) ?? Promise.resolve();
    const result = tail.then(fn, fn);
    const settled = result.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => { if (this.tails.get(key) === settled) this.tails.delete(key); });
    return result;
  }
}

export interface EngineContext {
  store: Store;
  events: EngineEmitter;
  sessions: Sessions;
  /** Orders the operations that change the store's indexes. */
  mutex: Mutex;
  /** Orders start, commit and rm of one container (taken before `mutex`, never inside it). */
  containerLocks: KeyedMutex;
  /** Set while the engine closes: a container stopped then is not restarted by its policy now. */
  closing?: boolean;
}

/**
 * Runs `fn` with the lock of the container `ref` names, given its full id. The record may be gone
 * by the time the lock is free (rm won the race): `fn` looks it up again.
 */
export function withContainerLock<T>(ctx: EngineContext, ref: string, fn: (id: string) => Promise<T>): Promise<T> {
  const { id } = ctx.store.containers.resolve(ref);
  return ctx.containerLocks.run(id, () => fn(id));
}

export function now(): string {
  return new Date().toISOString();
}
