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
import { refused, withArena } from '../support/archive-hostile';
import { buildTar, END, rawData, rawHeader, rawPax, type TarSpec } from '../support/archive-tar';

/** A header claiming `size` bytes of data, then that data made lazily; counts what was pulled. */
function lazyHeader(typeflag: string, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  async function* gen(): AsyncGenerator<Buffer> {
    const h = rawHeader({ name: typeflag === 'L' || typeflag === 'K' ? '././@LongLink' : 'PaxHeader', typeflag, size });
    pulled += h.length;
    yield h;
    const chunk = Buffer.from(`${'9'.repeat(7)} path=${'a'.repeat(65400)}\n`.slice(0, 65536));
    for (let sent = 0; sent < size; sent += chunk.length) {
      pulled += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(gen(), { objectMode: false }), pulled: () => pulled };
}

test('row 10: a 10 MB PAX, GNU long-name or global header is refused from its header block, before being buffered', async () => {
  for (const [typeflag, label] of [['x', 'PAX extended'], ['g', 'PAX global'], ['L', 'GNU long-name'], ['K', 'GNU long-link']]) {
    await withArena(async ({ dest }) => {
      const { stream, pulled } = lazyHeader(typeflag, 10 * 1024 * 1024);
      await refused(stream, dest, new RegExp(`a ${label} header of 10\\.0 MiB at offset 0 exceeds the limit of 1\\.0 MiB`), ErrorCode.LimitExceeded);
      assert.ok(pulled() < 256 * 1024, `${label}: only ${pulled()} bytes were read`);
    });
  }
});

test('row 10: extended headers before one entry count together (many PAX headers in a row)', async () => {
  await withArena(async ({ dest }) => {
    const big: [string, string][] = [['comment', 'c'.repeat(400 * 1024)]];
    const tar = Buffer.concat([rawPax(big), rawPax(big), rawPax(big), rawHeader({ name: 'f', typeflag: '0' }), END]);
    await refused(tar, dest, /a PAX extended header of 400\.0 KiB at offset \d+ exceeds the limit of 1\.0 MiB/, ErrorCode.LimitExceeded);
  });
});

test('row 10: endless entries stop at maxEntries', async () => {
  await withArena(async ({ dest }) => {
    const specs: TarSpec[] = Array.from({ length: 101 }, (_, i) => ({ name: `d${i}/`, type: 'directory' }));
    await refused(await buildTar(specs), dest, /the layer has more than 100 entries \(at "d100\/"\)/, ErrorCode.LimitExceeded, { maxEntries: 100 });
  });
});

test('row 10: too deep and too long paths are refused (default limits)', async () => {
  await withArena(async ({ dest }) => {
    const deep = `${'a/'.repeat(200)}f`;
    await refused(await buildTar([{ name: deep, data: 'x' }]), dest, /path of 201 components exceeds the depth limit of 128/, ErrorCode.LimitExceeded);
  });
  await withArena(async ({ dest }) => {
    const long = `${'d'.repeat(200)}/`.repeat(20);
    await refused(await buildTar([{ name: `${long}f`, data: 'x' }]), dest, /path of 4021 bytes exceeds the limit of 3072/, ErrorCode.LimitExceeded);
  });
  await withArena(async ({ dest }) => {
    const target = 'x'.repeat(5000);
    await refused(await buildTar([{ name: 's', type: 'symlink', linkname: target }]), dest, /symlink target longer than 3072 bytes/, ErrorCode.LimitExceeded);
  });
});

test('row 10: a name the file system cannot hold (a 300-byte component) is refused by the writing tool as a limit, naming it', async () => {
  await withArena(async ({ dest }) => {
    const long = 'n'.repeat(300);
    const tar = await buildTar([{ name: 'ok', data: 'fine' }, { name: `dir/${long}`, data: 'x' }, { name: 'after', data: 'y' }]);
    await refused(tar, dest, new RegExp(`strata-fs: create dir/${long}: File name too long`), ErrorCode.LimitExceeded);
  });
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

test('row 11: random bytes, text, an empty input, xz data: "not a tar" with a reason', async () => {
  const junk = randomBytes(64 * 1024);
  junk[0] = 0x52; // never the gzip magic by chance
  const cases: [Buffer, RegExp][] = [
    [junk, /not a tar archive: bad header checksum/],
    [Buffer.from('hello, world\n'), /not a tar archive: the input is shorter than one tar header \(13 bytes\)/],
    [Buffer.alloc(0), /not a tar archive: the input is empty/],
    [Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(100)]), /the layer is xz-compressed; plain tar, gzip and zstd are supported/],
  ];
  for (const [input, error] of cases) await withArena(async ({ dest }) => void (await refused(input, dest, error)));
});

test('row 11: a truncated tar is refused wherever it is cut', async () => {
  const tar = await buildTar([{ name: 'a', data: 'x'.repeat(3000) }, { name: 'b', data: 'y' }]);
  const cases: [number, RegExp][] = [
    [512 + 1000, /"a": truncated: the data ends .* \(inside the file's data\)/],
    [512 + 3072 + 100, /truncated: the data ends 412 bytes short at offset 3684/],
    [512 + 3072 + 512 + 512, /truncated: the tar ends at offset 4608 without its end-of-archive blocks/],
    [tar.length - 512, /truncated: the tar ends after one of its two end-of-archive blocks/],
  ];
  for (const [cut, error] of cases) await withArena(async ({ dest }) => void (await refused(tar.subarray(0, cut), dest, error)));
  // A header whose checksum is wrong after valid entries.
  const corrupt = Buffer.from(tar);
  corrupt[512 + 3072 + 10] ^= 0xff;
  await withArena(async ({ dest }) => void (await refused(corrupt, dest, /bad tar header at offset 3584 \(after "a"\): bad header checksum/)));
});

test('row 11: a broken gzip is refused as bad gzip data', async () => {
  const tar = await buildTar([{ name: 'f', data: 'x'.repeat(10000) }]);
  const gz = gzipSync(tar);
  const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(2000)]);
  const badCrc = Buffer.from(gz);
  badCrc[gz.length - 8] ^= 0xff; // the CRC-32 in the gzip trailer
  for (const [input, error] of [
    [garbage, /bad gzip data/],
    [gz.subarray(0, gz.length - 10), /bad gzip data: unexpected end of file/],
    [badCrc, /bad gzip data: incorrect data check/],
  ] as const) {
    await withArena(async ({ dest }) => void (await refused(input, dest, error)));
  }
});

test('row 10: a PAX global header is ignored, not applied to the entries after it (moby TestTypeXGlobalHeaderDoesNotFail)', async () => {
  await withArena(async ({ dest }) => {
    const tar = Buffer.concat([
      rawPax([['path', '../victim/hello'], ['uid', '666'], ['mtime', '1'], ['SCHILY.xattr.trusted.overlay.opaque', 'y']], 'g'),
      rawHeader({ name: 'f', typeflag: '0', size: 2, mode: 0o644 }),
      rawData('ok'),
      rawPax([['comment', 'a global header at the very end']], 'g'),
      END,
    ]);
    const r = await extractLayer(streamOf(tar), dest);
    assert.deepEqual([r.entries, r.diffId], [1, sha256(tar)]);
    assert.equal(await fsp.readFile(join(dest, 'f'), 'utf8'), 'ok');
    const st = await fsp.lstat(join(dest, 'f'));
    assert.deepEqual([st.uid, Math.floor(st.mtimeMs / 1000)], [0, 1_700_000_000]);
  });
});

test('unsupported entry types (GNU sparse, volume labels) are refused by name', async () => {
  for (const [typeflag, pax] of [['S', null], ['V', null], ['0', [['GNU.sparse.major', '1'], ['GNU.sparse.name', 'f']] as [string, string][]]] as const) {
    await withArena(async ({ dest }) => {
      const tar = Buffer.concat([pax ? rawPax(pax) : Buffer.alloc(0), rawHeader({ name: 'f', typeflag, size: 0 }), END]);
      await refused(tar, dest, typeflag === '0' ? /"f": GNU sparse files are not supported/ : new RegExp(`"f": unsupported tar entry type '${typeflag}'`));
    });
  }
});

/** A tar of one file of `mib` MiB of zeros, gzipped: a few hundred KiB that expand 1000 times. */
async function zeroBomb(mib: number): Promise<Buffer> {
  return gzipSync(await buildTar([{ name: 'zeros', data: Buffer.alloc(mib * 1024 * 1024) }]));
}

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

test('an xattr value the kernel would refuse is a bad archive, said before writing (found by the fuzzer)', async () => {
  await withArena(async ({ dest }) => {
    const tar = await buildTar([{ name: 'ping', data: 'x', pax: { 'SCHILY.xattr.security.capability': 'Zm9v' } }]);
    await refused(tar, dest, /entry "ping": its security\.capability is not a file capability set \(4 bytes; revision 2 takes 20, revision 3 takes 24\)/);
  });
});
