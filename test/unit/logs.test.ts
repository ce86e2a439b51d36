// The kept-output format (engine/logs.ts): records survive a torn last write, and --tail's lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecords, tailLines, type LogRecord } from '../../helper/engine/logs';

const rec = (data: string, stream: 'stdout' | 'stderr' = 'stdout'): LogRecord => ({ stream, data: Buffer.from(data), time: 1 });
const text = (rs: LogRecord[]) => rs.map((r) => `${r.stream === 'stderr' ? '!' : ''}${r.data}`).join('|');

function encode(r: LogRecord): Buffer {
  const head = Buffer.alloc(16);
  head[0] = r.stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(r.data.length, 4);
  head.writeDoubleBE(r.time, 8);
  return Buffer.concat([head, r.data]);
}

test('parseRecords reads every whole record and stops at a torn or foreign one', () => {
  const whole = Buffer.concat([encode(rec('a\n')), encode(rec('b\n', 'stderr'))]);
  assert.equal(text(parseRecords(whole)), 'a\n|!b\n');
  assert.equal(text(parseRecords(whole.subarray(0, whole.length - 1))), 'a\n', 'a crash mid-write loses only that record');
  assert.equal(text(parseRecords(Buffer.concat([encode(rec('a\n')), Buffer.from('garbage that is not a record')]))), 'a\n');
  assert.deepEqual(parseRecords(Buffer.alloc(0)), []);
});

test('tailLines: the last N lines, across records and streams, cutting the first record kept', () => {
  const rs = [rec('one\ntwo\n'), rec('thr'), rec('ee\n'), rec('four\n', 'stderr'), rec('five')];
  assert.equal(text(tailLines(rs, 1)), 'five');
  assert.equal(text(tailLines(rs, 2)), '!four\n|five');
  assert.equal(text(tailLines(rs, 3)), 'thr|ee\n|!four\n|five', 'a line split over two records is one line');
  assert.equal(text(tailLines(rs, 4)), 'two\n|thr|ee\n|!four\n|five');
  assert.equal(text(tailLines(rs, 5)), text(rs));
  assert.equal(text(tailLines(rs, 50)), text(rs));
  assert.deepEqual(tailLines(rs, 0), []);
  assert.equal(text(tailLines([rec('a\nb\n')], 1)), 'b\n', 'a final newline ends the last line, it does not start another');
  assert.deepEqual(tailLines([], 3), []);
});
