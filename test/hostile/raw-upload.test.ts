// The raw upload channel on the real helper: `strata import` sends the tar's bytes as they are on
// a second socket connection, and gets the same layer (diff_id = sha256 of the tar) as the base64
// fallback; a plain tar's socket is handed to the import's native reader, a gzip'd one is not. Hostile or broken raw streams (short, unknown token, garbage header, a second stream
// for one upload, an owner that goes away) are closed and change nothing in the store; a JSON-RPC
// client whose first bytes arrive in pieces is still served.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { rawUploadHeader, StrataClient, StrataRequestError } from '../../helper/protocol';
import { TestStore, busyboxTarball, sha256sum, treeSnapshot } from '../support/strata';

let store: TestStore;
let tar: string;
let tarBytes: Buffer;

const socketPath = () => join(store.root, 'helper.sock');
const helperLog = () => readFileSync(join(store.root, 'helper.log'), 'utf8');

async function rawSocket(): Promise<net.Socket> {
  const sock = net.connect(socketPath());
  sock.on('error', () => undefined);
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  return sock;
}

/** Resolves once the helper has closed the socket (or rejects after `ms`). */
function closedBy(sock: net.Socket, ms = 10_000): Promise<void> {
  sock.resume();
  return new Promise((resolve, reject) => {
    if (sock.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error('the helper did not close the raw socket')), ms);
    sock.once('close', () => { clearTimeout(timer); resolve(); });
  });
}

async function waitForLog(pattern: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !pattern.test(helperLog()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(helperLog(), pattern);
}

before(async () => {
  store = TestStore.create('hostile-raw-upload');
  tar = (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-raw-upload-')))).tar;
  tarBytes = readFileSync(tar);
  await store.ok(['images']); // starts the helper
});
after(async () => { await store.close(); });

test('strata import sends the tar raw; the layer diff_id is the sha256 of the tar', async () => {
  const before = (helperLog().match(/raw upload [0-9a-f]{8}…: \d+ bytes/g) ?? []).length;
  const id = (await store.ok(['import', tar, 'viaraw'])).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const c = await store.client();
  const image = await c.request('image.inspect', { ref: 'viaraw' });
  c.dispose();
  assert.equal(image.id, id);
  assert.equal(image.layers[0].diffId, sha256sum(tar));
  const lines = helperLog().match(/raw upload [0-9a-f]{8}…: \d+ bytes/g) ?? [];
  assert.equal(lines.length, before + 1, 'the import went through the raw channel');
  assert.match(lines.at(-1)!, new RegExp(`: ${tarBytes.length} bytes`));
  assert.match(helperLog().split('\n').filter((l) => /raw upload [0-9a-f]{8}…: \d+ bytes/.test(l)).at(-1)!, /read by the import's native reader$/, 'a plain tar: the helper handed the socket to the native reader');
});

test('a gzip tar over the raw channel is decompressed by the helper (not handed over), with the plain tar\'s diff_id', async () => {
  const gz = join(mkdtempSync(join(tmpdir(), 'strata-raw-upload-gz-')), 'bb.tar.gz');
  writeFileSync(gz, gzipSync(tarBytes));
  const id = (await store.ok(['import', gz, 'viagzip'])).trim();
  const c = await store.client();
  const image = await c.request('image.inspect', { ref: id });
  c.dispose();
  assert.equal(image.layers[0].diffId, sha256sum(tar));
  const last = helperLog().split('\n').filter((l) => /raw upload [0-9a-f]{8}…: \d+ bytes/.test(l)).at(-1)!;
  assert.match(last, /bytes in \d+ ms$/, `read through the upload stream: ${last}`);
});

test('StrataClient without a raw channel opener falls back to base64 and gets the same layer', async () => {
  const c = await store.client();
  const { token } = await c.request('upload.begin', {});
  const importing = c.request('image.import', { token, name: 'viabase64' });
  const sent = await c.upload(token, createReadStream(tar));
  const result = await importing;
  c.dispose();
  assert.equal(sent, tarBytes.length);
  assert.equal(result.diffId, sha256sum(tar));
  assert.doesNotMatch(helperLog(), new RegExp(`raw upload ${token.slice(0, 8)}`));
});

test('a raw header that arrives in pieces (split inside the prefix) still lands whole', async () => {
  const c = await store.client();
  const { token } = await c.request('upload.begin', {});
  const importing = c.request('image.import', { token, name: 'viasplit' });
  const header = Buffer.from(rawUploadHeader(token));
  const sock = await rawSocket();
  const closed = closedBy(sock);
  for (const piece of [header.subarray(0, 1), header.subarray(1, 9), header.subarray(9, 20)]) {
    sock.write(piece);
    await new Promise((r) => setTimeout(r, 30));
  }
  sock.end(Buffer.concat([header.subarray(20), tarBytes]));
  await closed;
  assert.deepEqual(await c.request('upload.end', { token, size: tarBytes.length }), { received: tarBytes.length });
  assert.equal((await importing).diffId, sha256sum(tar));
  c.dispose();
});

test('a raw stream shorter than the size given to upload.end is refused; the store is unchanged', async () => {
  const unchanged = treeSnapshot(store.root);
  const c = await store.client();
  const { token } = await c.request('upload.begin', {});
  const importing = c.request('image.import', { token, name: 'truncated' });
  importing.catch(() => undefined);
  const sock = await rawSocket();
  const closed = closedBy(sock);
  const half = Math.floor(tarBytes.length / 2);
  sock.end(Buffer.concat([Buffer.from(rawUploadHeader(token)), tarBytes.subarray(0, half)]));
  await closed; // as a killed client's socket: it just ends
  await assert.rejects(c.request('upload.end', { token, size: tarBytes.length }), (err: unknown) => {
    assert.ok(err instanceof StrataRequestError);
    assert.match(err.message, new RegExp(`upload truncated: received ${half} of ${tarBytes.length} bytes`));
    return true;
  });
  await assert.rejects(importing, /upload truncated/);
  c.dispose();
  assert.deepEqual(treeSnapshot(store.root), unchanged);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
  assert.ok(!(await store.ok(['images'])).includes('truncated'));
});

test('an unknown token, a garbage header, a second stream for one upload: closed, nothing changes', async () => {
  const unchanged = treeSnapshot(store.root);
  // A token in the right form that no upload has.
  const unknown = await rawSocket();
  const unknownClosed = closedBy(unknown);
  unknown.write(rawUploadHeader(randomBytes(16).toString('hex')));
  unknown.write(tarBytes.subarray(0, 4096));
  await unknownClosed;
  await waitForLog(/raw upload refused: no upload has the token [0-9a-f]{8}…/);

  // A header that is not in its exact form: refused at its first wrong byte.
  for (const garbage of ['STRATA-UPLOAD ../../../etc/shadow\n', `STRATA-UPLOAD ${'A'.repeat(32)}\n`, `STRATA-UPLOAD ${'a'.repeat(40)}`]) {
    const sock = await rawSocket();
    const closed = closedBy(sock);
    sock.write(garbage);
    await closed;
  }
  await waitForLog(/raw upload refused: the token is not 32 lowercase hex characters/);
  await waitForLog(/raw upload refused: the token is longer than 32 characters/);

  // A second raw stream for an upload that one already feeds; upload.write is refused meanwhile.
  const owner = await rawSocket();
  const c = new StrataClient(createMessageConnection(new StreamMessageReader(owner), new StreamMessageWriter(owner)));
  c.connection.listen();
  const { token } = await c.request('upload.begin', {});
  const first = await rawSocket();
  const firstClosed = closedBy(first, 30_000);
  first.write(Buffer.concat([Buffer.from(rawUploadHeader(token)), tarBytes.subarray(0, 1024)]));
  // Once the first stream feeds the upload, upload.write is refused (an empty write adds nothing).
  let refusal = '';
  for (let i = 0; i < 100 && !refusal; i++) {
    await c.request('upload.write', { token, data: '' }).then(() => new Promise((r) => setTimeout(r, 20)), (err: Error) => { refusal = err.message; });
  }
  assert.match(refusal, /upload is fed by a raw stream: upload\.write is refused/);
  const second = await rawSocket();
  const secondClosed = closedBy(second);
  second.write(Buffer.concat([Buffer.from(rawUploadHeader(token)), tarBytes.subarray(0, 1024)]));
  await secondClosed;
  await waitForLog(new RegExp(`raw upload refused: upload ${token.slice(0, 8)}…: upload already fed by another raw stream`));
  assert.equal(first.destroyed, false, 'the first stream is left alone');
  // Its owner going away aborts the upload, and the helper drops the raw socket with it.
  c.dispose();
  owner.destroy();
  await firstClosed;
  await waitForLog(new RegExp(`raw upload ${token.slice(0, 8)}… failed: upload aborted: the client went away`));

  // An upload that has ended takes no raw stream.
  const d = await store.client();
  const ended = await d.request('upload.begin', {});
  await d.request('upload.end', { token: ended.token, size: 0 });
  const late = await rawSocket();
  const lateClosed = closedBy(late);
  late.write(rawUploadHeader(ended.token));
  await lateClosed;
  await waitForLog(new RegExp(`raw upload refused: upload ${ended.token.slice(0, 8)}…: upload already ended`));
  d.dispose();

  assert.deepEqual(treeSnapshot(store.root), unchanged);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
  // The helper still serves everyone.
  const e = await store.client();
  assert.ok(Array.isArray(await e.request('images.list', {})));
  e.dispose();
});

test('a JSON-RPC client whose first bytes come in pieces is served as before', async () => {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'store.info', params: {} });
  const message = `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const sock = await rawSocket();
  let reply = '';
  sock.setEncoding('utf8');
  sock.on('data', (text: string) => { reply += text; });
  sock.write('Cont');
  await new Promise((r) => setTimeout(r, 50));
  sock.write(message.slice(4, 20));
  await new Promise((r) => setTimeout(r, 50));
  sock.write(message.slice(20));
  // The reply, among any notifications the helper sends every client.
  const answer = (): { id?: number; result?: { root: string } } | undefined => {
    const messages = reply.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean);
    return messages.map((m) => { try { return JSON.parse(m); } catch { return {}; } }).find((m) => m.id === 1);
  };
  for (let i = 0; i < 100 && !answer(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(answer()?.result?.root, store.root);
  sock.destroy();
  // And one whose whole first message comes at once (as every client sends it): the usual client.
  const c: StrataClient = await store.client();
  assert.equal((await c.request('store.info', {})).root, store.root);
  c.dispose();
});
