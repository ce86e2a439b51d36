// What one connection may make the helper hold (issue 14, defect 1): requests count until their
// reply has gone out, so a client that does not read stops being read; output it does not read
// closes the connection past a cap, or when it stays above the high-water mark untouched, while
// one burst below the cap (a whole log) still goes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { Backlog, BacklogWriter, type BacklogLimits } from '../../helper/rpc/framing';

const KiB = 1024;
const limits: BacklogLimits = { highWater: 64 * KiB, maxUnsent: 1024 * KiB, stallMs: 100 };

/** A client that reads nothing: every write stays queued. */
function deafClient(): Writable {
  return new Writable({ write: () => undefined });
}

function notification(bytes: number): Message {
  return { jsonrpc: '2.0', method: 'session.output', params: { data: 'x'.repeat(bytes) } } as Message;
}

test('requests count until their reply is written; the backlog is full at the high-water mark', async () => {
  const out = new Writable({ write: (_c, _e, done) => setImmediate(done) }); // a client that reads
  const backlog = new Backlog(out, limits);
  const writer = new BacklogWriter(out, backlog, () => undefined, () => assert.fail('no overflow'), limits);
  for (let id = 1; id <= 20; id++) backlog.charge({ jsonrpc: '2.0', id, method: 'images.list' } as Message, 4 * KiB);
  assert.equal(backlog.full(), true, '20 requests of 5 KiB each are over 64 KiB');
  backlog.charge({ jsonrpc: '2.0', method: 'session.output' } as Message, 60 * KiB); // notifications are not charged
  await Promise.all(Array.from({ length: 10 }, (_, i) => writer.write({ jsonrpc: '2.0', id: i + 1, result: [] } as Message)));
  assert.equal(backlog.full(), false, 'ten replies written: ten requests settled');
});

test('output a client does not read closes it past the cap, after a burst under the cap went out', () => {
  const out = deafClient();
  const overflows: string[] = [];
  const writer = new BacklogWriter(out, new Backlog(out, limits), () => undefined, (why) => overflows.push(why), limits);
  for (let i = 0; i < 10; i++) void writer.write(notification(100 * KiB)).catch(() => undefined);
  assert.deepEqual(overflows, [], '1000 KiB in one go is under the cap');
  for (let i = 0; i < 3; i++) void writer.write(notification(100 * KiB)).catch(() => undefined);
  assert.ok(overflows.length >= 1, 'closed past the cap');
  assert.match(overflows[0], /the client has not read \d+ bytes of replies and events/);
});

test('output above the high-water mark that the client leaves untouched past the stall time closes it', async () => {
  const out = deafClient();
  const overflows: string[] = [];
  const writer = new BacklogWriter(out, new Backlog(out, limits), () => undefined, (why) => overflows.push(why), limits);
  void writer.write(notification(100 * KiB)).catch(() => undefined);
  void writer.write(notification(10)).catch(() => undefined);
  assert.deepEqual(overflows, [], 'within the stall time');
  await new Promise((r) => setTimeout(r, limits.stallMs + 50));
  await assert.rejects(writer.write(notification(10)), /not sent: the client has not read/);
  assert.equal(overflows.length, 1);
});
