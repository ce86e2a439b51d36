// The raw upload channel's header (protocol/raw-upload.ts): built exactly, parsed strictly, every
// other first line refused at its first wrong byte; how the helper tells it from JSON-RPC; the
// upload's end waiting for a raw stream and refusing a short one; and the base64 fallback's
// linear check, which must answer as the pattern it replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  isBase64, methods, parseRawUploadHeader, patterns, rawUploadHeader, RAW_UPLOAD_HEADER_BYTES, SchemaError, sniffConnection,
} from '../../helper/protocol';
import { Uploads } from '../../helper/engine/uploads';

const token = 'a'.repeat(16) + '0123456789abcdef';
const bytes = (text: string) => Buffer.from(text, 'latin1');

function refused(text: string | Buffer, reason: RegExp) {
  const r = parseRawUploadHeader(typeof text === 'string' ? bytes(text) : text);
  assert.equal(r.kind, 'refused', `${JSON.stringify(String(text))} should be refused, got ${JSON.stringify(r)}`);
  assert.match((r as { reason: string }).reason, reason);
}

test('the header is "STRATA-UPLOAD <token>\\n", 47 bytes, and only a real token makes one', () => {
  assert.equal(rawUploadHeader(token), `STRATA-UPLOAD ${token}\n`);
  assert.equal(RAW_UPLOAD_HEADER_BYTES, 47);
  assert.equal(bytes(rawUploadHeader(token)).length, RAW_UPLOAD_HEADER_BYTES);
  for (const bad of ['', 'A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), '../../etc/passwd', `${'a'.repeat(31)}\n`]) {
    assert.throws(() => rawUploadHeader(bad), /not an upload token/, JSON.stringify(bad));
  }
});

test('a whole header parses to its token; the payload starts right after the newline', () => {
  const header = rawUploadHeader(token);
  assert.deepEqual(parseRawUploadHeader(bytes(header)), { kind: 'ok', token, length: 47 });
  const withPayload = Buffer.concat([bytes(header), Buffer.from([0, 1, 2, 0x0a])]);
  assert.deepEqual(parseRawUploadHeader(withPayload), { kind: 'ok', token, length: 47 });
});

test('every proper prefix of a header is incomplete: the helper waits for more', () => {
  const header = bytes(rawUploadHeader(token));
  for (let n = 0; n < header.length; n++) assert.deepEqual(parseRawUploadHeader(header.subarray(0, n)), { kind: 'incomplete' }, `${n} bytes`);
});

test('anything else is refused, with the reason, as soon as a byte is wrong', () => {
  refused('Content-Length: 52\r\n\r\n', /does not start with "STRATA-UPLOAD "/);
  refused(`strata-upload ${token}\n`, /does not start with/);
  refused(`STRATA-UPLOAD  ${token}\n`, /not 32 lowercase hex characters \(byte 0x20 at 14\)/);
  refused(`STRATA-UPLOAD ${token.toUpperCase()}\n`, /not 32 lowercase hex/);
  refused(`STRATA-UPLOAD ${'a'.repeat(31)}\n`, /shorter than 32 characters/);
  refused(`STRATA-UPLOAD ${token}0\n`, /longer than 32 characters/);
  refused(`STRATA-UPLOAD ${token}\r\n`, /longer than 32 characters, or the header line does not end/);
  refused(`STRATA-UPLOAD ${token} extra\n`, /does not end after it/);
  refused(`STRATA-UPLOAD ../../../etc/shadow\n`, /not 32 lowercase hex .*0x2e at 14/);
  refused(Buffer.concat([bytes('STRATA-UPLOAD '), Buffer.from([0x00, 0xff])]), /byte 0x00 at 14/);
  // Refused at the first wrong byte, before the header could be complete: no long line is kept.
  refused('STRATA-UPLOAD g', /not 32 lowercase hex/);
  refused('X', /does not start with/);
  // A flood with no newline is refused at byte 47, whatever follows.
  refused(`STRATA-UPLOAD ${token}${'a'.repeat(100_000)}`, /longer than 32 characters/);
});

test('a connection is told apart at its first differing byte: JSON-RPC never waits', () => {
  assert.equal(sniffConnection(bytes('C')), 'rpc');
  assert.equal(sniffConnection(bytes('Content-Length: 10\r\n\r\n')), 'rpc');
  assert.equal(sniffConnection(bytes('')), 'undecided');
  assert.equal(sniffConnection(bytes('S')), 'undecided');
  assert.equal(sniffConnection(bytes('STRATA-UPLOAD')), 'undecided');
  assert.equal(sniffConnection(bytes('STRATA-UPLOAD ')), 'raw');
  assert.equal(sniffConnection(bytes(`STRATA-UPLOAD ${token}\n`)), 'raw');
  assert.equal(sniffConnection(bytes('STRATA-UPLOADX')), 'rpc');
  assert.equal(sniffConnection(bytes('STRATX')), 'rpc');
});

test('upload.end takes an optional non-negative integer size', () => {
  const check = (p: unknown) => methods['upload.end'].params.check(p, 'upload.end');
  assert.deepEqual(check({ token, size: 0 }), { token, size: 0 });
  assert.deepEqual(check({ token }), { token });
  for (const size of [-1, 1.5, '10', 2 ** 60]) assert.throws(() => check({ token, size }), SchemaError, String(size));
});

test('an upload fed raw: one stream at most, none after the end, upload.end waits for it', async () => {
  const uploads = new Uploads();
  const u = uploads.open({});
  let deliver!: () => void;
  void u.feedRaw(() => new Promise<void>((resolve) => { deliver = resolve; }));
  assert.equal(u.fedRaw, true);
  assert.throws(() => u.feedRaw(async () => undefined), /already fed by another raw stream/);
  await u.write(Buffer.alloc(10));
  let ended = false;
  const finishing = u.finish(10).then((n) => { ended = true; return n; });
  await new Promise((r) => setImmediate(r));
  assert.equal(ended, false, 'upload.end must wait for the raw stream to finish delivering');
  deliver();
  assert.equal(await finishing, 10);
  assert.throws(() => u.feedRaw(async () => undefined), /already ended/);
});

test('upload.end with a size that differs from what arrived aborts the upload, with the counts', async () => {
  const uploads = new Uploads();
  const short = uploads.open({});
  const consumer = (async () => { for await (const _ of short.stream) { /* drain */ } })();
  await short.write(Buffer.alloc(100));
  await assert.rejects(short.finish(1000), /upload truncated: received 100 of 1000 bytes/);
  await assert.rejects(consumer, /upload truncated: received 100 of 1000 bytes/, 'the import sees the stream fail, not end');
  const long = uploads.open({});
  await long.write(Buffer.alloc(100));
  await assert.rejects(long.finish(10), /received 100 bytes, 10 announced/);
  // A raw stream that broke off: upload.end reports that, not an end.
  const broken = uploads.open({});
  void broken.feedRaw(async () => { broken.abort('the raw upload stream broke off'); throw new Error('the raw upload stream broke off'); }).catch(() => undefined);
  await assert.rejects(broken.finish(), /broke off/);
});

test('the base64 check answers as /^[A-Za-z0-9+/]*={0,2}$/ did, in linear time', () => {
  const cases = ['', 'A', 'AA', 'AAA', 'AAAA', 'A=', 'A==', 'A===', '=', '==', '===', 'AB=C', 'AB==C', '=A', 'A-B', 'A_B', 'AAA\n',
    'AA==\n', '\nAA', 'é', 'A=A=', 'AAA\0', ' AAAA', 'a/+9', '+/==', randomBytes(999).toString('base64'), randomBytes(1000).toString('base64')];
  const alphabet = ['A', 'z', '0', '+', '/', '=', '\n', '-', 'é', ' '];
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    for (let n = Math.floor(Math.random() * 7); n > 0; n--) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    cases.push(s);
  }
  for (const c of cases) assert.equal(isBase64(c), patterns.base64.test(c), JSON.stringify(c));
  const check = (data: string) => methods['upload.write'].params.check({ token, data }, 'upload.write');
  assert.throws(() => check('not base64!'), /upload\.write\.data: not base64 data: "not base64!"/);
  assert.throws(() => check('AA\0A'), /NUL/);
  assert.throws(() => check('A'.repeat(1_400_001)), /longer than 1400000 characters/);
  const mib = randomBytes(1024 * 1024).toString('base64');
  assert.deepEqual(check(mib), { token, data: mib });
});
