// Params exactly as a client sends them: absent, by position, or naming a method that only looks
// like one (an Object.prototype key). Each gets a JSON-RPC error that says what is wrong, never an
// internal detail of the library, and the helper keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCode } from '../../helper/protocol';
import { TestStore } from '../support/strata';

let store: TestStore;
let conn: MessageConnection;

before(async () => {
  store = TestStore.create('hostile-rpc-params');
  await store.ok(['images']); // starts the helper
  const sock = net.connect(join(store.root, 'helper.sock'));
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
  conn.listen();
});
after(async () => { conn.dispose(); await store.close(); });

async function refused(send: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(send, (e: { code?: number; message?: string }) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message ?? '', message);
    return true;
  });
}

test('a request without params is a request with {}: served when the method needs nothing, else the missing field is named', async () => {
  assert.ok(Array.isArray(await conn.sendRequest('images.list')));
  await refused(conn.sendRequest('image.history'), ErrorCode.InvalidParams, /missing field "ref"/);
  await refused(conn.sendRequest('image.history'), ErrorCode.InvalidParams, /^(?![\s\S]*_isCancelled)/);
});

test('params by position are refused as not an object', async () => {
  await refused(conn.sendRequest('image.history', ['busybox']), ErrorCode.InvalidParams, /expected an object/);
  await refused(conn.sendRequest('containers.list', [true, 'x']), ErrorCode.InvalidParams, /expected an object/);
});

test('a method named like an Object.prototype key is no method', async () => {
  for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    await refused(conn.sendRequest(method, {}), ErrorCode.MethodNotFound, /no such method/);
  }
  assert.ok(Array.isArray(await conn.sendRequest('images.list', {})), 'still serving');
});
