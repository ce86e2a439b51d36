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

export interface EngineContext {
  store: Store;
  events: EngineEmitter;
  sessions: Sessions;
  mutex: Mutex;
}

export function now(): string {
  return new Date().toISOString();
}
