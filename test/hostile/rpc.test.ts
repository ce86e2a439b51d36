// A client of the root helper that sends garbage: oversized messages, wrong types, path-like ids,
// unknown methods, uploads it does not own. Each is refused with a stable code, and the helper
// keeps serving everyone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { StrataClient, StrataRequestError, ErrorCode } from '../../helper/protocol';
import { HELPER, TestStore } from '../support/strata';

let store: TestStore;

function socketPath() { return join(store.root, 'helper.sock'); }

async function client(): Promise<StrataClient> {
  const sock = net.connect(socketPath());
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  const conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
  conn.listen();
  return new StrataClient(conn);
}

async function rejects(p: Promise<unknown>, code: number, message: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StrataRequestError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

before(async () => {
  store = TestStore.create('hostile-rpc');
  await store.ok(['images']); // starts the helper
});
after(async () => { await store.close(); });

test('a Content-Length of a gigabyte closes that connection at once; the helper goes on', async () => {
  const sock = net.connect(socketPath());
  await new Promise((r) => sock.once('connect', r));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.on('error', () => {});
  sock.write('Content-Length: 1073741824\r\n\r\n{"jsonrpc":"2.0"');
  await closed;
  const c = await client();
  assert.ok(Array.isArray(await c.request('images.list', {})));
  c.dispose();
});

test('wrong types, unknown fields and path-like ids are InvalidParams with the field named', async () => {
  const c = await client();
  await rejects(c.request('image.history', { ref: 42 } as never), ErrorCode.InvalidParams, /ref: expected a string/);
  await rejects(c.request('layer.changes', { id: '../../../etc/shadow' }), ErrorCode.InvalidParams, /id: not a layer id/);
  await rejects(c.request('container.inspect', { id: '/etc/passwd' }), ErrorCode.InvalidParams, /not a container name or id/);
  await rejects(c.request('containers.list', { all: false, sneaky: 1 } as never), ErrorCode.InvalidParams, /unknown field "sneaky"/);
  c.dispose();
});

test('unknown methods and unknown objects get their own codes', async () => {
  const c = await client();
  await assert.rejects(c.connection.sendRequest('system.exec', { cmd: 'id' }), (e: { code?: number }) => e.code === ErrorCode.MethodNotFound);
  await rejects(c.request('image.inspect', { ref: 'nothing-here' }), ErrorCode.NotFound, /No such image: nothing-here/);
  await rejects(c.request('container.inspect', { id: 'abc' }), ErrorCode.NotFound, /No such container: abc/);
  c.dispose();
});

test('an upload belongs to the connection that opened it', async () => {
  const a = await client();
  const b = await client();
  const { token } = await a.request('upload.begin', {});
  await rejects(b.request('upload.write', { token, data: 'AAAA' }), ErrorCode.NotFound, /belongs to another connection/);
  await rejects(b.request('image.import', { token }), ErrorCode.NotFound, /no such upload/);
  await a.request('upload.abort', { token });
  a.dispose();
  b.dispose();
});

test('a second helper on the same store refuses, naming the first', async () => {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [HELPER, '--root', store.root, '--socket', join(store.root, 'other.sock')], { reject: false, timeout: 20_000 });
  assert.equal(r.exitCode, 1);
  assert.match(String(r.stderr), new RegExp(`another Strata helper \\(pid ${store.helperPid()}\\) already serves the store`));
});
