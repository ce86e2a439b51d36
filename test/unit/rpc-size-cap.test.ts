// The helper's JSON-RPC framing, read strictly: exactly one Content-Length within the cap, at most
// one Content-Type, no other header (two lengths let a client bypass the cap: issue 14, defect 1).
// The reader hands on well-formed messages however their bytes are split, and refuses the rest
// before it reads a body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { MAX_HEADER_BYTES, parseHeaderBlock } from '../../helper/rpc/size-cap';
import { CappedMessageReader } from '../../helper/rpc/message-reader';

function frame(body: string): Buffer {
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function header(text: string, max = 1024) {
  return parseHeaderBlock(Buffer.from(text, 'latin1'), max);
}

test('a header block with one Content-Length, and optionally the protocol\'s Content-Type, is read', () => {
  assert.deepEqual(header('Content-Length: 42\r\n\r\n{'), { kind: 'ok', headerBytes: 22, bodyBytes: 42 });
  const typed = 'content-length:7\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n';
  assert.deepEqual(header(typed), { kind: 'ok', headerBytes: typed.length, bodyBytes: 7 });
  assert.deepEqual(header('Content-Length: 4'), { kind: 'incomplete' });
});

test('two Content-Lengths, unknown headers, other charsets and bad lines are refused', () => {
  const refusal = (text: string) => {
    const r = header(text);
    assert.equal(r.kind, 'refused', text);
    return r.kind === 'refused' ? r.reason : '';
  };
  assert.match(refusal('Content-Length: 2\r\nContent-Length: 999999999999\r\n\r\n'), /more than one Content-Length/);
  assert.match(refusal('Content-Length: 999999999999\r\nContent-Length: 2\r\n\r\n'), /more than one Content-Length/);
  assert.match(refusal('Content-Length: 2\r\nX-Padding: 1\r\n\r\n'), /"X-Padding" is not one the protocol defines/);
  assert.match(refusal('Content-Length: 2\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n'), /is not JSON in UTF-8/);
  assert.match(refusal('Content-Length: 2\r\nContent-Type: application/json\r\nContent-Type: application/json\r\n\r\n'), /more than one Content-Type/);
  assert.match(refusal('Content-Length: -1\r\n\r\n'), /not a number/);
  assert.match(refusal('Content-Length: 0x10\r\n\r\n'), /not a number/);
  assert.match(refusal('Content-Length 2\r\n\r\n'), /malformed message header line/);
  assert.match(refusal('Content-Length: 2\nContent-Length: 9999\r\n\r\n'), /malformed message header line/);
  assert.match(refusal('Content-Type: application/json\r\n\r\n'), /without a Content-Length/);
  assert.match(refusal('Content-Length: 999999999\r\n\r\n'), /999999999 bytes is over the 1024-byte limit/);
  assert.match(refusal('X'.repeat(MAX_HEADER_BYTES)), /header longer than 1024 bytes/);
});

function reader(max: number) {
  const input = new PassThrough();
  const messages: Array<Message & { id?: number; params?: unknown }> = [];
  const refused: string[] = [];
  const unparsable: string[] = [];
  const r = new CappedMessageReader(input, max, {
    refused: (why) => refused.push(why),
    unparsable: (why) => unparsable.push(why),
    invalid: (why) => unparsable.push(`invalid: ${why}`),
    full: () => false,
    received: () => undefined,
  });
  r.listen((m) => messages.push(m as Message & { id?: number }));
  return { input, messages, refused, unparsable };
}

const turns = (n: number) => new Promise<void>((resolve) => {
  const next = (left: number) => (left === 0 ? resolve() : setImmediate(() => next(left - 1)));
  next(n);
});

test('messages split anywhere, even inside a multi-byte character, arrive whole and in order', async () => {
  const a = frame('{"jsonrpc":"2.0","id":1,"method":"images.list"}');
  const b = frame('{"jsonrpc":"2.0","id":2,"method":"image.inspect","params":{"ref":"été"}}');
  const all = Buffer.concat([a, b]);
  const r = reader(1024);
  for (const cut of [[0, 5], [5, 30], [30, a.length + 3], [a.length + 3, all.length - 12], [all.length - 12, all.length - 11], [all.length - 11, all.length]]) {
    r.input.write(all.subarray(cut[0], cut[1]));
  }
  await turns(10);
  assert.deepEqual(r.refused, []);
  assert.deepEqual(r.messages.map((m) => m.id), [1, 2]);
  assert.deepEqual(r.messages[1].params, { ref: 'été' });
});

test('the two-length attack is refused at its header, and nothing after it is read', async () => {
  const r = reader(1024);
  r.input.write('Content-Length: 2\r\nContent-Length: 999999999999\r\n\r\n{}');
  r.input.write(frame('{"jsonrpc":"2.0","id":1,"method":"images.list"}'));
  await turns(5);
  assert.deepEqual(r.refused, ['message header with more than one Content-Length']);
  assert.deepEqual(r.messages, []);
});

test('a body that is not JSON is reported, and the next message is still read', async () => {
  const r = reader(1024);
  r.input.write(Buffer.concat([frame('{"jsonrpc":'), frame('{"jsonrpc":"2.0","id":3,"method":"images.list"}')]));
  await turns(5);
  assert.equal(r.unparsable.length, 1);
  assert.deepEqual(r.messages.map((m) => m.id), [3]);
});
