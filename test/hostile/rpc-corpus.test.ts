// The bad-RPC corpus (issue 14): every kind of bad client in one table, each sent to a real helper
// on its socket. Each kind is answered with the JSON-RPC error it earns (or its connection is
// closed, for framing the helper will not read), never acted on: the store is byte for byte as it
// was after the whole corpus; the helper keeps serving a good client throughout; and its resident
// memory returns to within 50 MB of where it started once the bad clients are gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type Message } from 'vscode-jsonrpc/node';
import { ErrorCode, MAX_MESSAGE_BYTES, StrataClient } from '../../helper/protocol';
import { buildTar } from '../support/archive-tar';
import { TestStore, treeSnapshot } from '../support/strata';

let store: TestStore;
let good: StrataClient;

const frame = (body: string | Buffer) => {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]);
};
const request = (method: string, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

async function rawSocket(): Promise<net.Socket> {
  const sock = net.connect(join(store.root, 'helper.sock'));
  sock.on('error', () => undefined);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return sock;
}

type Outcome = { closed: true } | { code: number; id: unknown } | { answered: number } | { silent: true };

/** Sends `bytes` on a fresh connection; the first reply, or that the helper closed it, within 5 s. */
async function send(bytes: Buffer, expectReply = true): Promise<Outcome> {
  const sock = await rawSocket();
  const replies: Message[] = [];
  new StreamMessageReader(sock).listen((m) => replies.push(m));
  const closed = new Promise<true>((r) => sock.once('close', () => r(true)));
  sock.write(bytes);
  const deadline = Date.now() + (expectReply ? 5000 : 700);
  while (Date.now() < deadline && replies.length === 0 && !sock.destroyed) {
    if (await Promise.race([closed, new Promise((r) => setTimeout(() => r(false), 25))])) break;
  }
  sock.destroy();
  const first = replies[0] as (Message & { id?: unknown; error?: { code: number } }) | undefined;
  if (first?.error) return { code: first.error.code, id: first.id };
  if (first) return { answered: replies.length };
  return sock.readableEnded || !expectReply ? (expectReply ? { closed: true } : { silent: true }) : { closed: true };
}

function residentMB(): number {
  const pid = Number(readFileSync(join(store.root, 'helper.pid'), 'utf8'));
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

before(async () => {
  store = TestStore.create('rpc-corpus');
  await store.ok(['import', '-', 'base'], { input: await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', data: 'x\n' }]) });
  good = await store.client();
});
after(async () => { good.dispose(); await store.close(); });

const long = 'n'.repeat(300);
/** [kind, bytes, expected outcome]. Codes: -32700 parse, -32600 invalid request, -32601 no method, InvalidParams. */
const CORPUS: [string, () => Buffer | Promise<Buffer>, Outcome][] = [
  ['two Content-Length headers (small, then huge)', () => Buffer.from(`Content-Length: 2\r\nContent-Length: ${MAX_MESSAGE_BYTES * 4}\r\n\r\n{}`), { closed: true }],
  ['no Content-Length', () => Buffer.from('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}'), { closed: true }],
  ['a header the protocol does not define', () => Buffer.from('Content-Length: 2\r\nX-Padding: yes\r\n\r\n{}'), { closed: true }],
  ['a Content-Length over the cap, before the body', () => Buffer.from(`Content-Length: ${MAX_MESSAGE_BYTES + 1}\r\n\r\n{`), { closed: true }],
  ['a Content-Length that is not a number', () => Buffer.from('Content-Length: 12abc\r\n\r\n{}'), { closed: true }],
  ['a header line without end', () => Buffer.from(`Content-Length: 2${' '.repeat(4096)}`), { closed: true }],
  ['a body that is not JSON', () => frame('{"jsonrpc":"2.0","id":1,"method":'), { code: -32700, id: null }],
  ['JSON that is a number', () => frame('42'), { code: -32600, id: null }],
  ['a batch', () => frame(`[${request('images.list', {})}]`), { code: -32600, id: null }],
  ['JSON-RPC 1.0', () => frame(JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'images.list' })), { code: -32600, id: 3 }],
  ['a request whose id is null', () => frame(request('images.list', {}, null)), { code: -32600, id: null }],
  ['a request whose id is an object', () => frame(request('images.list', {}, { x: 1 })), { code: -32600, id: null }],
  ['an unknown method', () => frame(request('system.exec', { cmd: 'id' })), { code: ErrorCode.MethodNotFound, id: 1 }],
  ['a method named __proto__', () => frame(request('__proto__', {})), { code: ErrorCode.MethodNotFound, id: 1 }],
  ['a method named constructor', () => frame(request('constructor', {})), { code: ErrorCode.MethodNotFound, id: 1 }],
  ['params by position', () => frame(request('image.history', ['base'])), { code: ErrorCode.InvalidParams, id: 1 }],
  ['params null', () => frame(request('image.history', null)), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a field of the wrong type', () => frame(request('image.history', { ref: 42 })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a missing field', () => frame(request('image.tag', { source: 'base' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['an extra field', () => frame(request('images.list', { all: true })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a constructor key in params', () => frame('{"jsonrpc":"2.0","id":1,"method":"images.list","params":{"constructor":1}}'), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a __proto__ key in params', () => frame('{"jsonrpc":"2.0","id":1,"method":"image.history","params":{"ref":"base","__proto__":{"polluted":1}}}'), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a path-like layer id', () => frame(request('layer.changes', { id: '../../../etc/shadow' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a path-like container id', () => frame(request('container.inspect', { id: '/etc/passwd' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a file path with ..', () => frame(request('file.read', { version: { image: 'base' }, path: '/../../etc/shadow' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a name with /', () => frame(request('container.create', { image: 'base', options: { tty: false, openStdin: false, env: [], network: 'none', autoRemove: false, name: 'a/b' } })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a name with NUL', () => frame(request('image.tag', { source: 'base', target: 'x\u0000y' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a name with a newline', () => frame(request('image.tag', { source: 'base', target: 'x\ny' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['a name too long', () => frame(request('image.tag', { source: 'base', target: long })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['an upload token of another form', () => frame(request('upload.write', { token: '../x', data: 'AAAA' })), { code: ErrorCode.InvalidParams, id: 1 }],
  ['data that is not base64', () => frame(request('session.input', { session: 'a'.repeat(64), data: '$$$' })), { code: ErrorCode.InvalidParams, id: 1 }],
];

test('the bad-RPC corpus: each kind answered with its error or closed, never acted on; the helper serves on and gives its memory back', async (t) => {
  const storeBefore = treeSnapshot(store.root);
  const startMB = residentMB();
  const rows: string[] = [];
  for (const [kind, bytes, expected] of CORPUS) {
    const got = await send(await bytes());
    rows.push(`${kind.padEnd(48)} ${JSON.stringify(got)}`);
    assert.deepEqual(got, expected, kind);
    assert.ok(Array.isArray(await good.request('images.list', {})), `${kind}: the helper still serves a good client`);
  }
  // A notification (no id) of an unknown method is ignored, as JSON-RPC says: nothing comes back.
  const note = await send(frame(JSON.stringify({ jsonrpc: '2.0', method: 'system.exec', params: { cmd: 'id' } })), false);
  rows.push(`${'a notification of an unknown method'.padEnd(48)} ${JSON.stringify(note)}`);
  assert.deepEqual(note, { silent: true });

  // A flood: 2000 requests in one write, all answered, in order.
  const sock = await rawSocket();
  const ids: unknown[] = [];
  new StreamMessageReader(sock).listen((m) => ids.push((m as { id?: unknown }).id));
  sock.write(Buffer.concat(Array.from({ length: 2000 }, (_, i) => frame(request('store.info', {}, i)))));
  for (let i = 0; i < 400 && ids.length < 2000; i++) await new Promise((r) => setTimeout(r, 25));
  sock.destroy();
  rows.push(`${'a flood of 2000 requests in one write'.padEnd(48)} ${ids.length} answered`);
  assert.deepEqual(ids, Array.from({ length: 2000 }, (_, i) => i), 'every request of the flood answered, in order');

  // A client that goes away in the middle of an import: nothing of it stays.
  const quitter = await rawSocket();
  const conn = createMessageConnection(new StreamMessageReader(quitter), new StreamMessageWriter(quitter));
  conn.listen();
  const client = new StrataClient(conn);
  const { token } = await client.request('upload.begin', {});
  void client.request('image.import', { token, name: 'half' }).catch(() => undefined);
  await client.request('upload.write', { token, data: Buffer.alloc(20_000, 7).toString('base64') });
  quitter.destroy();
  // Done when the helper has given the import up (its log says so) and cleaned its staging.
  const importEnded = () => /image\.import failed/.test(readFileSync(join(store.root, 'helper.log'), 'utf8'));
  for (let i = 0; i < 200 && (!importEnded() || readdirSync(join(store.root, 'tmp')).length > 0); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(importEnded(), 'the helper gave up the import of the client that went away');
  rows.push(`${'a client gone in the middle of an import'.padEnd(48)} tmp/ ${readdirSync(join(store.root, 'tmp')).length ? 'not empty' : 'empty'}`);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], 'the half import left nothing in tmp/');

  t.diagnostic(`${CORPUS.length + 3} kinds:\n${rows.join('\n')}`);
  assert.deepEqual(treeSnapshot(store.root), storeBefore, 'the store is byte for byte as it was: nothing was acted on');
  let endMB = residentMB();
  for (let i = 0; i < 80 && endMB > startMB + 50; i++) {
    await new Promise((r) => setTimeout(r, 250));
    endMB = residentMB();
  }
  t.diagnostic(`helper VmRSS: ${startMB.toFixed(0)} MB before, ${endMB.toFixed(0)} MB after`);
  assert.ok(endMB <= startMB + 50, `helper VmRSS ${startMB.toFixed(0)} MB before, ${endMB.toFixed(0)} MB after`);
});
