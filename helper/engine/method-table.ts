// The contract (protocol/methods.ts) meets the code here, in one hop: each engine module exports a
// table of its methods keyed by protocol name, each with the lock it runs under. rpc/ merges the
// tables and calls `runMethod`; nothing forwards in between. Adding a verb: its protocol entry,
// its row in one module's table, its CLI command, its tests.
import type { JsonText } from '../json-text';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods';
import { type EngineContext, withContainerLock } from './context';

/**
 * What a method holds for its whole call:
 * - `store`: the store's mutex (it changes the indexes: images, tags, layers, container records);
 * - `container`: the lock of the container its `id` names, which orders start, commit, pause and rm
 *   of that container; the method gets `id` resolved to the full id, and takes the store's mutex
 *   itself, inside, for the moment it changes the indexes;
 * - `none`: no lock around the whole call (a read, or long work such as import that takes the
 *   store's mutex only for its last step).
 */
export type Lock = 'store' | 'container' | 'none';

/** What a call knows of its request: `signal` aborts when the client cancels it or goes away. */
export interface Call {
  signal: AbortSignal;
}

/**
 * What an implementation of M may return: its protocol result, or that result already written as
 * JSON (json-text.ts), which only the connection's writer reads.
 */
export type Served<M extends MethodName> = ResultOf<M> | JsonText<ResultOf<M>>;

/** R: what `run` returns (a row's own, narrower type is kept by the tables' `satisfies`). */
export interface MethodImpl<M extends MethodName, R extends Served<M> = Served<M>> {
  lock: Lock;
  run(ctx: EngineContext, params: ParamsOf<M>, call: Call): Promise<R> | R;
}

/** A module's methods: the keys are protocol names, so params and results are the contract's. */
export type MethodTable<K extends MethodName> = { [M in K]: MethodImpl<M> };

const neverCancelled: Call = { signal: new AbortController().signal };

/**
 * Calls `impl` under the lock it declares. Named by its method alone (`runMethod<'container.create'>`),
 * R is the protocol result, and an implementation that may answer with pre-written JSON is refused:
 * a caller in the helper that takes one must name JsonText as R, and parse it.
 */
export function runMethod<M extends MethodName, R extends Served<M> = ResultOf<M>>(ctx: EngineContext, impl: MethodImpl<M, R>, params: ParamsOf<M>, call: Call = neverCancelled): Promise<R> {
  switch (impl.lock) {
    case 'none': return Promise.resolve().then(() => impl.run(ctx, params, call));
    case 'store': return ctx.mutex.run(async () => impl.run(ctx, params, call));
    case 'container': {
      const ref = (params as { id?: unknown }).id;
      if (typeof ref !== 'string') throw new Error('a method under a container lock needs an id parameter');
      return withContainerLock(ctx, ref, async (id) => impl.run(ctx, { ...params, id }, call));
    }
  }
}
