// LongLived (helper/protocol/long-lived.ts): a wait raced against a promise that settles late or
// never settles as Promise.race would, and its result is not kept once it has been read. The
// control beside it shows that Promise.race against the same promise does keep every result
// (the leak that held a 100,000-file import's whole tar in the helper), so the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { LongLived } from '../../helper/protocol/long-lived';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const never = new Promise<never>(() => undefined);
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** `count` results, each awaited through `race` and dropped; weak references to them. */
async function raceMany(count: number, race: (wait: Promise<object>) => Promise<unknown>): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    const result = { i, payload: new Array(100).fill(i) };
    refs.push(new WeakRef(result));
    await race(Promise.resolve(result));
  }
  return refs;
}

/** How many of `count` results, each awaited through `race` and dropped, are still reachable. */
async function reachableAfter(count: number, race: (wait: Promise<object>) => Promise<unknown>): Promise<number> {
  // In a frame of its own: the last result must not stay in this one's registers.
  const refs = await raceMany(count, race);
  // A WeakRef's target is kept until the job that made or read it has ended.
  await tick();
  gc();
  await tick();
  return refs.filter((r) => r.deref() !== undefined).length;
}

test('a result read through LongLived.race is not kept; through Promise.race it is (the control)', async () => {
  const longLived = new LongLived(never);
  assert.equal(await reachableAfter(200, (wait) => longLived.race(wait)), 0);
  assert.equal(await reachableAfter(200, (wait) => Promise.race([wait, never])), 200);
});

test('race settles as the wait does while the long-lived promise has not settled', async () => {
  const longLived = new LongLived(never);
  assert.equal(await longLived.race(Promise.resolve(7)), 7);
  await assert.rejects(longLived.race(Promise.reject(new Error('the wait failed'))), /the wait failed/);
});

test('race settles as the long-lived promise does when that comes first, or has already come', async () => {
  let fail: (err: Error) => void = () => undefined;
  const failed = new LongLived(new Promise<never>((_, reject) => { fail = reject; }));
  const pending = failed.race(never);
  fail(new Error('the tool stopped'));
  await assert.rejects(pending, /the tool stopped/);
  await assert.rejects(failed.race(never), /the tool stopped/);

  let exit: (code: number) => void = () => undefined;
  const exited = new LongLived(new Promise<number>((resolve) => { exit = resolve; }));
  const waiting = exited.race(never);
  exit(3);
  assert.equal(await waiting, 3);
  assert.equal(await exited.race(never), 3);
});

test('a wait that fails after the long-lived promise settled is not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    const done = new LongLived(Promise.resolve('done'));
    await tick();
    let failLater: (err: Error) => void = () => undefined;
    assert.equal(await done.race(new Promise((_, reject) => { failLater = reject; })), 'done');
    failLater(new Error('too late'));
    await tick();
    await tick();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
