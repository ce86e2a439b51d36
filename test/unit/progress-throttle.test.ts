// An import's counts go out at most every PROGRESS_EVERY_MS (helper/engine/events.ts): one
// notification a MiB cost the helper ~19 ms of CPU an import of the minbase tar. What a client
// sees must stay whole: the newest count, never an older one after a newer one, and the last count
// before any other report and before the answer (flush).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EngineEmitter, progressFor } from '../../helper/engine/events';
import type { Notifications } from '../../helper/protocol/methods';

function recorder(): { events: EngineEmitter; seen: Notifications['progress'][] } {
  const events = new EngineEmitter();
  const seen: Notifications['progress'][] = [];
  events.on('progress', (e) => seen.push(e));
  return { events, seen };
}

test('counts within the interval are held back, the newest kept; other reports and flush() send it first', () => {
  const { events, seen } = recorder();
  // An interval no test run reaches: nothing goes out by the timer here.
  const progress = progressFor(events, 't', 3_600_000);
  progress('imported 1.0 MB', 1_000_000);
  progress('imported 2.0 MB', 2_000_000);
  progress('imported 3.0 MB', 3_000_000);
  assert.deepEqual(seen.map((e) => e.done), [1_000_000], 'the first count goes out, the next two are held');
  progress('saving the layer');
  assert.deepEqual(seen.map((e) => e.message), ['imported 1.0 MB', 'imported 3.0 MB', 'saving the layer'], 'the newest held count, then the report');
  progress('imported 4.0 MB', 4_000_000);
  progress('imported 5.0 MB', 5_000_000);
  progress.flush();
  progress.flush();
  assert.deepEqual(seen.slice(3).map((e) => e.done), [5_000_000], 'flush sends the newest once');
  // A count that reaches its total is an end: it goes out at once.
  progress('pulled 6 of 6', 6, 6);
  assert.deepEqual(seen[seen.length - 1], { token: 't', message: 'pulled 6 of 6', done: 6, total: 6 });
  assert.ok(seen.every((e) => e.token === 't'));
});

test('a held count goes out by itself when the interval is up', async () => {
  const { events, seen } = recorder();
  const progress = progressFor(events, 't', 20);
  progress('imported 1.0 MB', 1);
  progress('imported 2.0 MB', 2);
  progress('imported 3.0 MB', 3);
  assert.equal(seen.length, 1);
  await once(events, 'progress');
  assert.deepEqual(seen.map((e) => e.done), [1, 3]);
});
