// Hostile tars, docs/security.md "Importing a tar": tar bombs (huge extended headers, endless entries,
// deep and long paths, endless bytes), input that is not a tar or is cut short, broken gzip, and the
// PAX global header that must be ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { extractLayer } from '../../helper/archive';
import { ErrorCode } from '../../helper/protocol/errors';
import { sha256, streamOf } from '../support/archive-fs';
import { refused, refusesEach, withArena } from '../support/archive-hostile';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { bombTars, caseOf, HUGE_HEADERS, hugeHeader, zeroBomb } from '../support/tar-corpus';

/** hugeHeader's bytes as a stream; counts what was pulled. */
function lazyHeader(typeflag: string, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const b of hugeHeader(typeflag, size)) {
      pulled += b.length;
      yield b;
    }
  }
  return { stream: Readable.from(counted(), { objectMode: false }), pulled: () => pulled };
}

test('row 10: a 10 MB PAX, GNU long-name or global header is refused from its header block, before being buffered', async () => {
  for (const [typeflag, label] of HUGE_HEADERS) {
    await withArena(async ({ dest }) => {
      const { stream, pulled } = lazyHeader(typeflag, 10 * 1024 * 1024);
      await refused(stream, dest, new RegExp(`a ${label} header of 10\\.0 MiB at offset 0 exceeds the limit of 1\\.0 MiB`), ErrorCode.LimitExceeded);
      // What was read is the import's read-ahead, not the header: the native reader (strata-fs
      // import) reads ahead of the helper by at most its buffers and the pipes between them
      // (~0.4 MB measured), so a 10 MB (or 10 GB) header is never read whole, let alone buffered.
      assert.ok(pulled() < 4 * 1024 * 1024, `${label}: only ${pulled()} bytes were read`);
    });
  }
});

test('row 10: endless entries stop at maxEntries', async () => {
  await withArena(async ({ dest }) => {
    const specs: TarSpec[] = Array.from({ length: 101 }, (_, i) => ({ name: `d${i}/`, type: 'directory' }));
    await refused(await buildTar(specs), dest, /the layer has more than 100 entries \(at "d100\/"\)/, ErrorCode.LimitExceeded, { maxEntries: 100 });
  });
});

test('row 10: many PAX headers before one entry count together; too deep and too long paths, a name the file system cannot hold (refused by the writing tool as a limit, naming it)', async () => {
  const cases = (await bombTars()).filter((c) => c.row === 'row 10' && !/10 MB|gzip|global|sparse|entry type/.test(c.label));
  assert.equal(cases.length, 5);
  await refusesEach(cases);
});

test('row 10: total bytes are capped, padding and junk after the end blocks included (a gzip bomb stops)', async () => {
  await withArena(async ({ dest }) => {
    await refused(await buildTar([{ name: 'big', data: Buffer.alloc(2 * 1024 * 1024) }]), dest, /larger than the limit of 1\.0 MiB uncompressed/, ErrorCode.LimitExceeded, { maxTotalBytes: 1024 * 1024 });
  });
  await withArena(async ({ dest }) => {
    const tar = await buildTar([{ name: 'f', data: 'x' }]);
    const bomb = gzipSync(Buffer.concat([tar, Buffer.alloc(64 * 1024 * 1024)]));
    assert.ok(bomb.length < 200 * 1024);
    await refused(bomb, dest, /larger than the limit of 8\.0 MiB/, ErrorCode.LimitExceeded, { maxTotalBytes: 8 * 1024 * 1024 });
  });
});

test('row 11: random bytes, text, an empty input, xz data: "not a tar" with a reason; a tar cut short wherever it is cut; a broken gzip is bad gzip data', async () => {
  const cases = (await bombTars()).filter((c) => c.row === 'row 11');
  assert.equal(cases.length, 12);
  await refusesEach(cases);
});

test('row 10: a PAX global header is ignored, not applied to the entries after it (moby TestTypeXGlobalHeaderDoesNotFail)', async () => {
  await withArena(async ({ dest }) => {
    const { tar } = caseOf(await bombTars(), 'row 10', 'a PAX global header, ignored');
    const r = await extractLayer(streamOf(tar), dest);
    assert.deepEqual([r.entries, r.diffId], [1, sha256(tar)]);
    assert.equal(await fsp.readFile(join(dest, 'f'), 'utf8'), 'ok');
    const st = await fsp.lstat(join(dest, 'f'));
    assert.deepEqual([st.uid, Math.floor(st.mtimeMs / 1000)], [0, 1_700_000_000]);
  });
});

test('unsupported entry types (GNU sparse, volume labels) are refused by name', async () => {
  await refusesEach((await bombTars()).filter((c) => /sparse|entry type/.test(c.label)));
});

test('a gzip that expands more than 100 times is refused as it streams, with the figures; the user can allow it', async () => {
  const bomb = await zeroBomb(200);
  assert.ok(bomb.length < 400 * 1024, `${bomb.length} bytes`);
  await withArena(async ({ dest }) => {
    const err = await refused(bomb, dest, /the gzip stream expands more than 100 times \(\d+\.\d KiB became \d+\.\d MiB so far\), as a decompression bomb does; .*--max-compression-ratio 0/, ErrorCode.LimitExceeded);
    assert.ok(!/became (1\d\d|200)\.\d MiB/.test(err.message), `stopped early: ${err.message}`);
  });
  await withArena(async ({ dest }) => {
    const r = await extractLayer(streamOf(bomb), dest, { limits: { maxCompressionRatio: 0 } });
    assert.equal((await fsp.stat(join(dest, 'zeros'))).size, 200 * 1024 * 1024, 'with the limit off it imports');
    assert.match(r.diffId, /^sha256:/);
  });
});

test('a small tar that compresses well is no bomb: the ratio is judged past 64 MiB only', async () => {
  await withArena(async ({ dest }) => {
    await extractLayer(streamOf(await zeroBomb(32)), dest);
    assert.equal((await fsp.stat(join(dest, 'zeros'))).size, 32 * 1024 * 1024);
  });
});
