// The import's native reader (helper/archive/native-import.ts, native/import.c) against the
// helper's own (ByteReader): on every input, valid or mutated, fed in chunks of any size, both
// give the same outcome: the same refusal (code and message), or the same layer (diff_id, size,
// entries, every file's bytes, mode, owner, times and xattrs) and the same tar-split. And the
// guards that make a disagreement stop the import rather than misplace a byte: frames where the
// tar reader expects a header, held data of another size, a count that is not what was sent;
// the tool's writer taking held data only in whole entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { extractLayer } from '../../helper/archive';
import { nativeImportAvailable, NativeTarBytes, type NativeImportIo } from '../../helper/archive/native-import';
import { resolveLimits } from '../../helper/archive/limits';
import { readTarSplit } from '../../helper/archive/tar-split';
import { TarReader } from '../../helper/archive/tar-reader';
import { StrataError } from '../../helper/errors';
import { ErrorCode } from '../../helper/protocol/errors';
import { nativeTool } from '../../helper/native';
import { describeTree, makeTmp, removeTmp, streamOf } from '../support/archive-fs';
import { buildTar } from '../support/archive-tar';
import { corpus, fuzzInput, fuzzSettings, prng } from '../support/tar-fuzz';

const { seed: SEED, count: COUNT } = fuzzSettings(600);
const CHUNKS = [1, 7, 511, 512, 513, 4096, 65536];

/** The split's segments with adjacent raw ones joined (where raw segments break depends on chunk sizes). */
async function splitSegments(path: string): Promise<string[]> {
  const out: string[] = [];
  let raw: Buffer[] = [];
  const flush = () => {
    if (raw.length) out.push(`R ${Buffer.concat(raw).toString('hex')}`);
    raw = [];
  };
  for await (const seg of readTarSplit(path)) {
    if (seg.kind === 'raw') raw.push(seg.data);
    else {
      flush();
      out.push(seg.kind === 'file' ? `F ${seg.path} ${seg.size} ${seg.crc}` : `E ${seg.total} ${seg.digest}`);
    }
  }
  flush();
  return out;
}

/** What one reader makes of `tar`, fed in `chunk`-byte pieces: the layer and split, or the refusal. */
async function outcome(tar: Buffer, reader: 'native' | 'node', chunk: number): Promise<string[]> {
  const base = makeTmp('strata-native-import-');
  const dest = join(base, 'layer');
  const split = join(base, 'split');
  try {
    const r = await extractLayer(streamOf(tar, chunk), dest, { reader, tarSplit: split });
    return [
      `made ${r.diffId} size=${r.size} entries=${r.entries} ${r.unreproducible ?? 'reproducible'}`,
      // Directories the tar does not list keep the time they were made: left out of the comparison.
      ...(await describeTree(dest, { skipDirMtime: true })),
      ...(r.unreproducible ? [] : await splitSegments(split)),
    ];
  } catch (err) {
    if (!(err instanceof StrataError)) throw err;
    return [`refused ${err.code}: ${err.message}`];
  } finally {
    removeTmp(base);
  }
}

async function sameOutcome(tar: Buffer, chunk: number, what: string): Promise<string> {
  const native = await outcome(tar, 'native', chunk);
  const node = await outcome(tar, 'node', chunk);
  // Two refusals may name different faults when one is the writer's (a name the file system cannot
  // hold, say) and the other a later entry's: the writer runs behind the reader in both paths, and
  // which fault is met first is a race in either. Any other difference is a disagreement.
  const writerRace = native.length === 1 && node.length === 1 && native[0].startsWith('refused') && node[0].startsWith('refused') && [native[0], node[0]].some((r) => r.includes('strata-fs:'));
  if (!writerRace) assert.deepEqual(native, node, `${what}, in ${chunk}-byte chunks`);
  return native[0];
}

test('strata-fs import runs here (libcrypto and libdeflate): imports use the native reader', async () => {
  assert.equal(await nativeImportAvailable(), true, 'scripts/ensure.mjs installs libssl3 and libdeflate0');
});

test('valid tars of every entry kind, in chunks of 1 byte to 64 KiB: the same layer and tar-split from both readers', async () => {
  const bases = await corpus();
  const more = await buildTar([
    { name: 'big', data: Buffer.alloc(3 * 1024 * 1024 + 5, 7) },
    { name: 'd/', type: 'directory' },
    { name: 'd/small', data: 'x' },
    { name: 'd/exact', data: Buffer.alloc(1024, 1) },
    { name: 'd/.wh.gone', data: 'a whiteout with data' },
    { name: `p/${'q'.repeat(120)}`, data: 'pax path', pax: { 'SCHILY.xattr.user.a': 'b' } },
  ]);
  for (const [i, tar] of [...bases, more].entries()) {
    for (const chunk of CHUNKS) {
      if (chunk === 1 && tar.length > 64 * 1024) continue; // a byte at a time through Node: minutes
      assert.match(await sameOutcome(tar, chunk, `tar ${i}`), /^made /);
    }
  }
});

test('a tar made by GNU tar from a real tree (long names, hard links, symlinks, xattrs): the same from both readers', async () => {
  const base = makeTmp('strata-native-import-gnu-');
  try {
    const src = join(base, 'src');
    mkdirSync(join(src, 'deep', 'n'.repeat(200)), { recursive: true });
    writeFileSync(join(src, 'deep', 'n'.repeat(200), 'file'), 'deep\n'.repeat(5000));
    execFileSync('cp', ['-a', '/usr/share/doc/bash', join(src, 'doc')]);
    execFileSync('cp', ['-a', '/usr/bin/bash', join(src, 'sh')]);
    execFileSync('ln', [join(src, 'sh'), join(src, 'sh.hard')]);
    execFileSync('ln', ['-s', 'sh', join(src, 'sh.sym')]);
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'hello', join(src, 'sh')]);
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync('tar', ['-C', src, `--format=${format}`, '--xattrs', '-cf', '-', '.'], { maxBuffer: 64 << 20 });
      for (const chunk of [513, 65536]) assert.match(await sameOutcome(tar, chunk, `GNU tar --format=${format}`), /^made /);
    }
  } finally {
    removeTmp(base);
  }
});

test('more data than the tool holds back at once (16 MiB): one 40 MiB file, then 24 of 1 MiB among small ones: the same from both readers', { timeout: 300_000 }, async () => {
  // The tool sends its frames in batches (once 1 MiB of the tar is read, and before any wait); its
  // reader waits for the writer beyond 16 MiB held, and the writer for the operations the helper
  // decides from those frames: a batch kept back there would stop both for good (the timeout).
  const entries = [
    { name: 'first', data: 'a small one before' },
    { name: 'big', data: Buffer.alloc(40 * 1024 * 1024, 3) },
    ...Array.from({ length: 24 }, (_, i) => [
      { name: `m/${i}`, data: Buffer.alloc(1024 * 1024, i) },
      { name: `s/${i}`, data: `small ${i}` },
    ]).flat(),
  ];
  const tar = await buildTar(entries);
  for (const chunk of [65536, tar.length]) assert.match(await sameOutcome(tar, chunk, 'more than 16 MiB held'), /^made /);
});

test(`mutated tars: both readers refuse each the same way or make the same layer (seed ${SEED}, ${COUNT} inputs)`, async (t) => {
  const bases = await corpus();
  const r = prng(SEED);
  let made = 0;
  for (let i = 0; i < COUNT; i++) {
    const input = fuzzInput(SEED, i, bases);
    const chunk = CHUNKS[Math.floor(r() * CHUNKS.length)];
    const first = await sameOutcome(input.bytes, chunk, `input ${i} (${input.recipe}); replay: STRATA_FUZZ_SEED=${SEED} node scripts/test.mjs archive-native-import`);
    if (first.startsWith('made ')) made++;
  }
  t.diagnostic(`${made} of ${COUNT} made a layer`);
  assert.ok(made > 0 && made < COUNT, 'the inputs reach both outcomes');
});

/** A NativeTarBytes over hand-made frames (no tool): what the helper does when the frames are wrong. */
function overFrames(frames: Buffer, sent: Buffer): NativeTarBytes {
  const io: NativeImportIo = {
    tarIn: new PassThrough().resume(),
    frames: Readable.from([frames]),
    failure: async () => new Error('the tool stopped'),
    flush: () => {},
  };
  return new NativeTarBytes({ kind: 'pump', chunks: Readable.from([sent])[Symbol.asyncIterator]() }, io, Number.MAX_SAFE_INTEGER);
}

const frame = {
  m: (data: Buffer) => Buffer.concat([Buffer.from('M'), u32(data.length), data]),
  b: (size: number) => Buffer.concat([Buffer.from('B'), u64(size)]),
  c: (crc: number) => Buffer.concat([Buffer.from('C'), u32(crc)]),
  t: (got: number) => Buffer.concat([Buffer.from('T'), u64(got)]),
  e: (total: number) => Buffer.concat([Buffer.from('E'), u64(total), Buffer.alloc(32)]),
};
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

async function readAll(bytes: NativeTarBytes): Promise<string[]> {
  const reader = new TarReader(bytes, resolveLimits());
  const names: string[] = [];
  for (let e; (e = await reader.next()); ) names.push(e.name);
  await bytes.drain();
  return names;
}

test('held data where the tar reader expects a header, or of another size, or a count not sent: an internal error, nothing read on', async () => {
  const tar = await buildTar([{ name: 'a', data: 'hello' }, { name: 'b', data: 'world!' }]);
  const header = (i: number) => tar.subarray(i * 1024, i * 1024 + 512);
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  const end = tar.subarray(2048);
  const good = Buffer.concat([
    frame.m(header(0)), frame.b(5), frame.c(0), frame.m(pad(5)),
    frame.m(header(1)), frame.b(6), frame.c(0), frame.m(Buffer.concat([pad(6), end])), frame.e(tar.length),
  ]);
  assert.deepEqual(await readAll(overFrames(good, tar)), ['a', 'b'], 'well-formed frames read as the tar');
  const cases: [string, Buffer, RegExp][] = [
    ['held data where padding is', Buffer.concat([frame.m(header(0)), frame.b(5), frame.c(0), frame.b(507)]), /held back data at offset 517, where a tar header or padding is/],
    ['held data of another size', Buffer.concat([frame.m(header(0)), frame.b(4)]), /held back 4 bytes of data where the entry at offset 0 has 5/],
    ['a header frame inside held data', Buffer.concat([frame.m(header(0)), frame.b(5), frame.m(pad(5))]), /a M frame inside held data/],
    ['a count that is not what was sent', Buffer.concat([frame.m(tar.subarray(0, 1024)), frame.m(tar.subarray(1024)), frame.e(tar.length - 1)]), /it read 3071 bytes of the 3072 sent/],
    ['an unknown frame', Buffer.from('Qqqqq'), /unknown frame type 0x51/],
    ['a socket end frame when the tar was sent through the pipe', Buffer.concat([frame.m(header(0)), Buffer.from('Z'), u64(512)]), /a socket end frame with no socket/],
  ];
  for (const [what, frames, message] of cases) {
    await assert.rejects(readAll(overFrames(frames, tar)), (err: unknown) => {
      assert.ok(err instanceof StrataError, what);
      assert.equal(err.code, ErrorCode.Internal, `${what}: ${err.message}`);
      assert.match(err.message, /the native tar reader and the helper's disagree/, what);
      assert.match(err.message, message, what);
      return true;
    });
  }
  await assert.rejects(readAll(overFrames(Buffer.concat([frame.m(header(0)), frame.b(5), frame.t(3), frame.e(515)]), tar.subarray(0, 515))),
    /"a": truncated: the data ends at offset 515 \(inside the file's data\)/, 'an input cut inside held data is a truncated tar, named');
  await assert.rejects(readAll(overFrames(frame.m(header(0)), tar)), /the tool stopped/, 'frames that end without their end frame: the tool\'s failure');
});

/** `strata-fs import DIR` with `tar` on stdin and `ops` on fd 3: its exit code and stderr. */
function runImport(dir: string, tar: Buffer, ops: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(nativeTool('strata-fs'), ['import', dir], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (b: Buffer) => { stderr += b; });
    p.stdout!.resume();
    p.stdin!.end(tar);
    (p.stdio[3] as NodeJS.WritableStream).end(Buffer.from(ops, 'latin1'));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

test('the tool\'s writer takes held data only in whole entries, in order, and all of it', async () => {
  const tar = await buildTar([{ name: 'a', data: 'hello' }, { name: 'b', data: 'world!' }]);
  const base = makeTmp('strata-native-import-ops-');
  try {
    const ok = join(base, 'ok');
    mkdirSync(ok);
    const file = (name: string, size: number) => `H\0${name}\0${0o644}\0${0}\0${0}\0${1}\0${0}\0${size}\0`;
    assert.deepEqual(await runImport(ok, tar, file('a', 5) + `K\0b\0${6}\0`), { code: 0, stderr: '' });
    assert.deepEqual((await describeTree(ok, { skipRoot: true })).map((l) => l.split(' ').slice(0, 4).join(' ')), ['a file 644 0:0']);
    const cases: [string, string, RegExp][] = [
      ['more than one entry\'s data', file('a', 11), /the held data is not the size the operation says/],
      ['part of an entry\'s data', file('a', 3), /the held data is not the size the operation says/],
      ['held data left unwritten', file('a', 5), /held data was left unwritten when the operations ended/],
    ];
    for (const [what, ops, message] of cases) {
      const dir = join(base, what.replace(/\W/g, '-'));
      mkdirSync(dir);
      const r = await runImport(dir, tar, ops);
      assert.equal(r.code, 1, what);
      assert.match(r.stderr, message, what);
    }
  } finally {
    removeTmp(base);
  }
});
