// A promise that settles once, late or never (a connection lost, a tool exited, a pump failed),
// raced against each of many short waits.
//
// Why not Promise.race([wait, longLived]): each race adds a reaction to longLived, and that
// reaction holds the race's own promise, resolved with the wait's result, until longLived settles.
// So every result ever raced stays reachable for the life of longLived. In the import's frame
// reader that was every 64 KB chunk of the tool's output: a 100,000-file import (a 100 MB tar)
// held 98 MB of chunks this way until it ended (heap snapshot: ArrayBuffer <- Buffer <- the
// iterator result <- a race's promise <- a reaction on the reader's failure promise). In the
// client it was every reply of a connection's life. (nodejs/node#17469 describes the same.)
// Here the long-lived promise is watched once, and each wait is forgotten when it settles.
// Imports nothing: both sides use it.

type Waiter<T> = { resolve: (value: T) => void; reject: (err: unknown) => void };

export class LongLived<T> {
  private readonly waiters = new Set<Waiter<T>>();
  private outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;

  constructor(promise: Promise<T>) {
    promise.then(
      (value) => this.settle({ ok: true, value }),
      (error: unknown) => this.settle({ ok: false, error }),
    );
  }

  /**
   * Settles as `wait` does, or as the long-lived promise does if that comes first (at once if it
   * already has). Holds nothing of `wait` once either has settled.
   */
  race<R>(wait: Promise<R>): Promise<R | T> {
    return new Promise<R | T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject };
      const o = this.outcome;
      if (o === null) this.waiters.add(waiter);
      else if (o.ok) resolve(o.value);
      else reject(o.error);
      wait.then(
        (value) => { this.waiters.delete(waiter); resolve(value); },
        (err: unknown) => { this.waiters.delete(waiter); reject(err); },
      );
    });
  }

  private settle(outcome: NonNullable<LongLived<T>['outcome']>): void {
    this.outcome = outcome;
    for (const w of this.waiters) {
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    }
    this.waiters.clear();
  }
}
