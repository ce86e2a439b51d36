// vscode-jsonrpc would buffer whatever Content-Length a client announces: the cap cuts such a
// connection before the body is read, and passes well-formed messages through unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageSizeCap } from '../../helper/rpc/size-cap';

function frame(body: string): Buffer {
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

async function feed(cap: MessageSizeCap, chunks: Buffer[]): Promise<{ out: Buffer; error?: Error }> {
  const parts: Buffer[] = [];
  cap.on('data', (d: Buffer) => parts.push(d));
  const error = await new Promise<Error | undefined>((resolve) => {
    cap.on('error', resolve);
    cap.on('end', () => resolve(undefined));
    for (const c of chunks) cap.write(c);
    cap.end();
  });
  return { out: Buffer.concat(parts), error };
}

test('messages under the cap pass through byte for byte, even split across chunks', async () => {
  const a = frame('{"jsonrpc":"2.0","id":1,"method":"images.list"}');
  const b = frame('{"jsonrpc":"2.0","id":2,"method":"store.info","params":{}}');
  const all = Buffer.concat([a, b]);
  const chunks = [all.subarray(0, 5), all.subarray(5, 30), all.subarray(30, a.length + 3), all.subarray(a.length + 3)];
  const { out, error } = await feed(new MessageSizeCap(1024, () => {}), chunks);
  assert.equal(error, undefined);
  assert.deepEqual(out, all);
});

test('a Content-Length over the cap is refused before its body is read', async () => {
  let why = '';
  const { out, error } = await feed(new MessageSizeCap(1024, (w) => { why = w; }), [Buffer.from('Content-Length: 999999999\r\n\r\n{')]);
  assert.ok(error);
  assert.match(why, /999999999 bytes is over the 1024-byte limit/);
  assert.equal(out.length, 0);
});

test('a header without a length, or an endless header, is refused', async () => {
  let why = '';
  const cap = new MessageSizeCap(1024, (w) => { why = w; });
  const { error } = await feed(cap, [Buffer.from('Content-Type: x\r\n\r\n{}')]);
  assert.ok(error);
  assert.match(why, /without a Content-Length/);
  const cap2 = new MessageSizeCap(1024, (w) => { why = w; });
  const { error: e2 } = await feed(cap2, [Buffer.from('X'.repeat(10000))]);
  assert.ok(e2);
  assert.match(why, /header longer than/);
});
