// The push's gzips: libdeflate's in strata-fs (distribution/native-gzip.ts) and Node's on every CPU
// (distribution/parallel-gzip.ts): blocks deflated apart and laid end to
// end must be one gzip stream that zlib and GNU gzip read back exactly, whatever the input's size
// and however it is cut into chunks; the same input gives the same bytes (a pushed layer's digest
// is remembered); a failing source fails the gzip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { nativeGzip, nativeGzipAvailable } from '../../helper/distribution/native-gzip';
import { parallelGzip } from '../../helper/distribution/parallel-gzip';

const MB = 1024 * 1024;

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function gzipOf(data: Buffer, chunk: number, parallel?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of parallelGzip(pieces(data, chunk), 1, parallel)) out.push(b);
  return Buffer.concat(out);
}

/** Compressible and incompressible stretches, as a root fs has (text, then binaries). */
function sample(n: number): Buffer {
  const text = Buffer.from('usr/share/doc/example/copyright: the same words again and again\n'.repeat(Math.ceil(n / 128)));
  return Buffer.concat([text.subarray(0, n >> 1), randomBytes(n - (n >> 1))]);
}

test('every size comes back exactly, through zlib and through GNU gzip', async () => {
  for (const n of [0, 1, 1000, MB - 1, MB, MB + 1, 3 * MB + 12345]) {
    const data = sample(n);
    const gz = await gzipOf(data, 64 * 1024);
    assert.equal(gz[0], 0x1f);
    assert.equal(gz[1], 0x8b);
    assert.ok(gunzipSync(gz).equals(data), `zlib reads back ${n} bytes`);
    const gnu = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 * MB });
    assert.equal(gnu.status, 0, `gzip -d of ${n} bytes: ${gnu.stderr}`);
    assert.ok(gnu.stdout.equals(data), `GNU gzip reads back ${n} bytes`);
  }
});

test('the same input gives the same bytes, however it arrives and however many blocks run at once', async () => {
  const data = sample(5 * MB + 777);
  const digests = new Set<string>();
  for (const [chunk, parallel] of [[4096, 1], [MB, 2], [3 * MB + 1, 4], [64 * 1024, 3]]) {
    digests.add(createHash('sha256').update(await gzipOf(data, chunk, parallel)).digest('hex'));
  }
  assert.equal(digests.size, 1);
});

test('a source that fails fails the gzip (no complete blob from a broken tar)', async () => {
  async function* broken(): AsyncGenerator<Buffer> {
    yield sample(2 * MB);
    throw new Error('the layer folder changed');
  }
  await assert.rejects(async () => {
    for await (const b of parallelGzip(broken(), 1)) void b;
  }, /the layer folder changed/);
});

// strata-fs gzip (libdeflate, members end to end), what a push uses when the system has libdeflate.
test('strata-fs gzip: there exactly when libdeflate is; what it makes reads back exactly, the same every time; a failing source fails it', async () => {
  const hasLib = spawnSync('sh', ['-c', 'ldconfig -p | grep -q "libdeflate.so.0 "']).status === 0;
  assert.equal(await nativeGzipAvailable(), hasLib, 'strata-fs gzip runs if and only if libdeflate.so.0 is installed');
  if (!hasLib) return; // the push then gzips with parallelGzip, tested above
  for (const n of [0, 1, MB, 2 * MB, 2 * MB + 1, 5 * MB + 3]) {
    const data = sample(n);
    const made: Buffer[] = [];
    for await (const b of nativeGzip(pieces(data, 100_000), 1)) made.push(b);
    const gz = Buffer.concat(made);
    assert.ok(gunzipSync(gz).equals(data), `zlib reads back ${n} bytes`);
    const gnu = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 * MB });
    assert.ok(gnu.stdout.equals(data), `GNU gzip reads back ${n} bytes`);
    const again: Buffer[] = [];
    for await (const b of nativeGzip(pieces(data, MB), 1)) again.push(b);
    assert.ok(Buffer.concat(again).equals(gz), `the same ${n} bytes give the same gzip`);
  }
  async function* broken(): AsyncGenerator<Buffer> {
    yield sample(3 * MB);
    throw new Error('the layer folder changed');
  }
  await assert.rejects(async () => {
    for await (const b of nativeGzip(broken(), 1)) void b;
  }, /the layer folder changed/, 'a source that fails fails it, with its own error');
});
