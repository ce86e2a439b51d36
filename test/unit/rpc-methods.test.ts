// Contract to code in one hop: every protocol method has exactly one implementation, and a method's
// declared lock is the lock it runs under.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methods } from '../../helper/protocol';
import { KeyedMutex, Mutex, type EngineContext } from '../../helper/engine/context';
import { runMethod, type MethodImpl } from '../../helper/engine/method-table';
import { engineTables, servingErrors } from '../../helper/rpc/methods';

test('every protocol method is served exactly once', () => {
  assert.deepEqual(servingErrors(), []);
});

test('a method under a container lock names its container: its parameters have an id that must be a container', () => {
  for (const table of engineTables) {
    for (const [name, impl] of Object.entries(table) as [keyof typeof methods, MethodImpl<never>][]) {
      if (impl.lock !== 'container') continue;
      // The schema refuses a call without an id: the lock always has something to resolve.
      assert.throws(() => methods[name].params.check({}, name), /missing field "id"/, name);
    }
  }
});

function fakeContext(): EngineContext {
  const resolve = (ref: string) => ({ id: `full-${ref}` });
  return { mutex: new Mutex(), containerLocks: new KeyedMutex(), store: { containers: { resolve } } } as unknown as EngineContext;
}

test("a method declared under the store's lock waits for the store's mutex, and one declared unlocked does not", async () => {
  const ctx = fakeContext();
  let release!: () => void;
  const held = ctx.mutex.run(() => new Promise<void>((r) => { release = r; }));
  const order: string[] = [];
  const locked = runMethod(ctx, { lock: 'store', run: () => { order.push('store'); return {}; } } as unknown as MethodImpl<'store.info'>, {} as never);
  const free = runMethod(ctx, { lock: 'none', run: () => { order.push('none'); return {}; } } as unknown as MethodImpl<'store.info'>, {} as never);
  await free;
  assert.deepEqual(order, ['none']);
  release();
  await Promise.all([held, locked]);
  assert.deepEqual(order, ['none', 'store']);
});

test("a method under a container's lock gets the full id and waits for that container's lock only", async () => {
  const ctx = fakeContext();
  let release!: () => void;
  const held = ctx.containerLocks.run('full-a', () => new Promise<void>((r) => { release = r; }));
  const seen: string[] = [];
  const impl = { lock: 'container', run: (_c: EngineContext, p: { id: string }) => { seen.push(p.id); return { id: p.id }; } } as unknown as MethodImpl<'container.pause'>;
  const onA = runMethod(ctx, impl, { id: 'a' });
  await runMethod(ctx, impl, { id: 'b' });
  assert.deepEqual(seen, ['full-b']);
  release();
  await Promise.all([held, onA]);
  assert.deepEqual(seen, ['full-b', 'full-a']);
});
