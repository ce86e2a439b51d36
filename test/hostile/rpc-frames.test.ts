// Clients of the root helper that abuse JSON-RPC's framing (issue 14, defects 1 and 6): a header
// block with two Content-Lengths (the cap read the first, vscode-jsonrpc the last, and 4 MiB
// frames behind it drove the helper from 60 MB to 8 GB, held long after), headers the protocol
// does not define, a flood of requests from a client that never reads the replies, and a body
// that is not JSON. The helper closes or pauses those clients, serves the others meanwhile, and
// its resident memory (VmRSS) comes back once they are gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { StreamMessageReader, type Message } from 'vscode-jsonrpc/node';
import { MAX_MESSAGE_BYTES } from '../../helper/protocol/methods';
import { TestStore } from '../support/strata';

let store: TestStore;
let pid: number;

const MiB = 1024 * 1024;
const helperLog = () => readFileSync(join(store.root, 'helper.log'), 'utf8');

function frame(body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]);
}

async function rawSocket(): Promise<net.Socket> {
  const sock = net.connect(join(store.root, 'helper.sock'));
  sock.on('error', () => undefined);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return sock;
}

/** Whether the helper closed `sock` within `ms`. */
function closedWithin(sock: net.Socket, ms: number): Promise<boolean> {
  if (sock.destroyed || sock.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    sock.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

/** Waits for 'drain'; false when the helper took nothing for `ms` (or the socket closed). */
function drained(sock: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => { clearTimeout(timer); sock.off('drain', onDrain); sock.off('close', onClose); resolve(ok); };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    sock.once('drain', onDrain);
    sock.once('close', onClose);
  });
}

function residentMB(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS of the helper');
  return Number(m[1]) / 1024;
}

/** Polls the helper's VmRSS until it is within `slackMB` of `startMB` (or gives up), and returns it. */
async function residentSettles(startMB: number, slackMB: number): Promise<number> {
  let now = residentMB();
  for (let i = 0; i < 100 && now > startMB + slackMB; i++) {
    await new Promise((r) => setTimeout(r, 200));
    now = residentMB();
  }
  return now;
}

/** The helper's peak VmRSS while `work` runs, sampled every 50 ms. */
async function peakDuring<T>(work: Promise<T>): Promise<{ result: T; peakMB: number }> {
  let peakMB = residentMB();
  const timer = setInterval(() => { peakMB = Math.max(peakMB, residentMB()); }, 50);
  try {
    return { result: await work, peakMB };
  } finally {
    clearInterval(timer);
  }
}

async function imagesListed(): Promise<void> {
  const c = await store.client();
  try {
    assert.ok(Array.isArray(await c.request('images.list', {})));
  } finally {
    c.dispose();
  }
}

before(async () => {
  store = TestStore.create('hostile-rpc-frames');
  await store.ok(['images']); // starts the helper
  pid = store.helperPid()!;
  assert.ok(pid, 'the helper wrote its pid');
});
after(async () => { await store.close(); });

test('two Content-Lengths close the connection before the 4 MiB frames behind them are read; memory comes back', async (t) => {
  const startMB = residentMB();
  const big = frame(Buffer.alloc(MAX_MESSAGE_BYTES, 0x20));
  const attack = async () => {
    const sock = await rawSocket();
    const closed = closedWithin(sock, 10_000);
    sock.write('Content-Length: 2\r\nContent-Length: 999999999999\r\n\r\n{}');
    // Up to 128 MiB of well-framed 4 MiB messages, as the audit sent, while the helper reads them.
    for (let sent = 0; sent < 128 * MiB && !sock.destroyed; sent += big.length) {
      if (!sock.write(big) && !(await drained(sock, 2000))) break;
    }
    const wasClosed = await closed;
    sock.destroy();
    return wasClosed;
  };
  const attacks = Promise.all(Array.from({ length: 6 }, attack));
  await imagesListed(); // served while they attack
  const { result: closed, peakMB } = await peakDuring(attacks);
  assert.deepEqual(closed, [true, true, true, true, true, true], 'the helper closed every attacking connection');
  assert.equal(helperLog().match(/closing a connection: message header with more than one Content-Length/g)?.length, 6);
  await imagesListed();
  const endMB = await residentSettles(startMB, 50);
  t.diagnostic(`VmRSS ${startMB.toFixed(0)} MB before, ${peakMB.toFixed(0)} MB at the peak, ${endMB.toFixed(0)} MB after`);
  assert.ok(endMB <= startMB + 50, `VmRSS ${startMB.toFixed(0)} MB before, ${peakMB.toFixed(0)} at the peak, still ${endMB.toFixed(0)} after`);
});

test('a header the protocol does not define, or a charset it cannot read, closes the connection', async () => {
  for (const [head, why] of [
    ['Content-Length: 2\r\nX-Padding: aaaa\r\n\r\n{}', /"X-Padding" is not one the protocol defines/],
    ['Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-16\r\n\r\n{}', /is not JSON in UTF-8/],
    ['Content-Length: 2\nContent-Length: 99999999\r\n\r\n{}', /malformed message header line/],
  ] as const) {
    const sock = await rawSocket();
    sock.write(head);
    sock.resume();
    assert.equal(await closedWithin(sock, 10_000), true, head);
    assert.match(helperLog(), why);
  }
  await imagesListed();
});

test('clients that send requests faster than they read the replies are paused; others are served; memory comes back', async (t) => {
  const startMB = residentMB();
  // 64 KiB of small requests per write: cheap to send, and each costs the helper a reply.
  let id = 0;
  const batch = () => Buffer.concat(Array.from({ length: 900 }, () => frame(`{"jsonrpc":"2.0","id":${++id},"method":"store.info","params":{}}`)));
  const flood = async (sock: net.Socket) => {
    sock.pause(); // never reads a reply
    let sent = 0;
    const until = Date.now() + 15_000;
    while (sent < 256 * MiB && Date.now() < until) {
      const chunk = batch();
      sent += chunk.length;
      if (!sock.write(chunk) && !(await drained(sock, 2000))) return { sent, paused: !sock.destroyed };
    }
    return { sent, paused: false };
  };
  const socks = await Promise.all(Array.from({ length: 4 }, rawSocket));
  const { result, peakMB } = await peakDuring(Promise.all(socks.map(flood)));
  for (const r of result) assert.ok(r.paused, `the helper kept reading a client that reads nothing (${(r.sent / MiB).toFixed(0)} MiB of requests taken)`);
  await imagesListed(); // while the four are still connected, paused
  assert.ok(peakMB < startMB + 250, `VmRSS ${startMB.toFixed(0)} MB before, ${peakMB.toFixed(0)} MB at the peak`);
  for (const s of socks) s.destroy();
  const endMB = await residentSettles(startMB, 50);
  t.diagnostic(`VmRSS ${startMB.toFixed(0)} MB before, ${peakMB.toFixed(0)} MB at the peak, ${endMB.toFixed(0)} MB after`);
  assert.ok(endMB <= startMB + 50, `VmRSS ${startMB.toFixed(0)} MB before, ${peakMB.toFixed(0)} at the peak, still ${endMB.toFixed(0)} after`);
});

test('a well-framed body that is not JSON gets -32700 Parse error with id null, and the connection goes on', async () => {
  const sock = await rawSocket();
  const replies: Message[] = [];
  new StreamMessageReader(sock).listen((m) => replies.push(m));
  sock.write(Buffer.concat([
    frame('{"jsonrpc":"2.0","id":1,"method":'),
    frame('{"jsonrpc":"2.0","id":2,"method":"images.list","params":{}}'),
  ]));
  for (let i = 0; i < 100 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  const [parse, list] = replies as Array<Message & { id: unknown; error?: { code: number; message: string }; result?: unknown }>;
  assert.equal(parse?.id, null);
  assert.equal(parse.error?.code, -32700);
  assert.match(parse.error!.message, /^Parse error: /);
  assert.equal(list?.id, 2);
  assert.ok(Array.isArray(list.result));
  sock.destroy();
});

test('JSON that is not a JSON-RPC request gets -32600 Invalid Request (with its id when it has one), and the connection goes on', async () => {
  const sock = await rawSocket();
  const replies: Array<Message & { id: unknown; error?: { code: number; message: string }; result?: unknown }> = [];
  new StreamMessageReader(sock).listen((m) => replies.push(m as (typeof replies)[number]));
  const bad = ['42', '"images.list"', 'null', '[{"jsonrpc":"2.0","id":7,"method":"images.list"}]', '{"jsonrpc":"1.0","id":8,"method":"images.list"}',
    '{"jsonrpc":"2.0","id":9}', '{"jsonrpc":"2.0","id":null,"method":"images.list"}', '{"jsonrpc":"2.0","id":{"x":1},"method":"images.list"}'];
  sock.write(Buffer.concat([...bad.map(frame), frame('{"jsonrpc":"2.0","id":10,"method":"images.list","params":{}}')]));
  for (let i = 0; i < 100 && replies.length < bad.length + 1; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(replies.length, bad.length + 1, JSON.stringify(replies));
  for (const [i, r] of replies.slice(0, bad.length).entries()) {
    assert.equal(r.error?.code, -32600, `${bad[i]}: ${JSON.stringify(r)}`);
    assert.match(r.error!.message, /^Invalid Request: /);
  }
  assert.deepEqual(replies.slice(0, bad.length).map((r) => r.id), [null, null, null, null, 8, 9, null, null], 'the id, where the message had a usable one');
  assert.equal(replies[bad.length].id, 10);
  assert.ok(Array.isArray(replies[bad.length].result));
  sock.destroy();
});
