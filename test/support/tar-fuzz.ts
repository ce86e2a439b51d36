// A seeded mutation fuzzer over valid tars (issue 14, "bad-tar corpus and fuzzer"): each input is
// a valid tar from a small corpus with a few mutations of its header fields, sizes, names, links
// and PAX records, sometimes cut short, sometimes gzipped. The same seed gives the same inputs, so
// a failure replays with STRATA_FUZZ_SEED (and STRATA_FUZZ_ONLY for the one input).
import { randomInt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildTar, END, paxData, rawHeader, type TarSpec } from './archive-tar';

/** Where an absolute-path escape in the corpus would land on the host. */
export const HOST_MARKERS = ['/etc/strata-fuzz', '/x'];

/**
 * A run's seed (STRATA_FUZZ_SEED, else a random one, printed by the test), its count
 * (STRATA_FUZZ_COUNT, else `count`) and the one input to replay (STRATA_FUZZ_ONLY).
 */
export function fuzzSettings(count: number): { seed: number; count: number; only?: number } {
  const env = process.env;
  return {
    seed: env.STRATA_FUZZ_SEED ? Number(env.STRATA_FUZZ_SEED) : randomInt(2 ** 31),
    count: Number(env.STRATA_FUZZ_COUNT ?? count),
    only: env.STRATA_FUZZ_ONLY === undefined ? undefined : Number(env.STRATA_FUZZ_ONLY),
  };
}

/** mulberry32: small, fast, and the same numbers on every machine for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Names an attacker tries: traversal, absolute, whiteout forms, separators, NUL, the victim. */
const HOSTILE_NAMES = [
  '../x', '../victim/hello', '/etc/strata-fuzz', 'a/../../x', '.', './', '', '..', 'a/..', '.wh.', '.wh..', '.wh...',
  '.wh..wh..opq', 'd/.wh..wh..opq', 'd/.wh.f', '.wh.../x', 'a\\..\\..\\x', 'a\0b', 'l/x', 'l/../../x', 'x'.repeat(99),
  `${'d/'.repeat(70)}f`, 'é/ü', '\x1b]0;title\x07', 'dev/null', 'proc/self', 'f/', 'd', 'l',
];
const HOSTILE_LINKS = ['/', '..', '../victim', '../victim/hello', '/etc/passwd', 'f', 'd', 'l', 'l/x', '', 'missing', '../../../../x'];
const TYPEFLAGS = [...'0123456789LKxgSVDAMN\0 '];
const PAX_KEYS = [
  'path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'uname', 'gname', 'SCHILY.xattr.trusted.overlay.opaque',
  'SCHILY.xattr.trusted.overlay.redirect', 'SCHILY.xattr.security.capability', 'SCHILY.xattr.user.x', 'LIBARCHIVE.xattr.user.y',
  'GNU.sparse.size', 'GNU.sparse.major', 'comment', 'hdrcharset', 'SCHILY.devmajor',
];
const PAX_VALUES = ['../x', '/', 'y', '0', '-1', '99999999999999999999', '1e9', '', 'a'.repeat(300), '\0', 'Zm9v', '0.5', '18446744073709551616'];

/** The corpus: valid tars with every kind of entry the importer takes. */
export async function corpus(): Promise<Buffer[]> {
  const specs: TarSpec[][] = [
    [{ name: 'd/', type: 'directory' }, { name: 'd/f', data: 'hello\n' }, { name: 'l', type: 'symlink', linkname: 'd/f' }, { name: 'h', type: 'link', linkname: 'd/f' }],
    [{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.motd', data: '' }, { name: 'opt/', type: 'directory' }, { name: 'opt/.wh..wh..opq', data: '' }, { name: 'opt/new', data: 'x'.repeat(700) }],
    [{ name: `long/${'n'.repeat(150)}/file`, data: 'long name\n', pax: { 'SCHILY.xattr.user.note': 'v' } }, { name: 'fifo', type: 'fifo' }],
    [{ name: 'bin/', type: 'directory', mode: 0o755 }, { name: 'bin/suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 1000 }, { name: 'empty', data: '' }],
  ];
  return Promise.all(specs.map((s) => buildTar(s)));
}

/** Offsets of the header blocks of a well-formed tar (stops at the end blocks or a bad size). */
function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    out.push(off);
    const size = parseInt(block.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) break;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function writeField(block: Buffer, off: number, width: number, text: string): void {
  block.fill(0, off, off + width);
  block.write(text, off, width, 'latin1');
}

function fixChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}

/** One mutation of `tar` (a copy). */
function mutate(r: Rand, tar: Buffer): Buffer {
  const out = Buffer.from(tar);
  const heads = headerOffsets(out);
  const at = heads.length ? pick(r, heads) : 0;
  // An input already cut short may have no whole header left: then it is only cut or grown.
  if (out.length < at + 512) return r() < 0.5 ? out.subarray(0, int(r, out.length + 1)) : Buffer.concat([out, rawHeader({ name: pick(r, HOSTILE_NAMES), typeflag: '0' })]);
  const block = out.subarray(at, at + 512);
  const keepSum = r() < 0.85; // most inputs pass the checksum, to reach the logic behind it
  switch (int(r, 11)) {
    case 0: for (let i = 0, n = 1 + int(r, 6); i < n; i++) block[int(r, 512)] = int(r, 256); break;
    case 1: writeField(block, 0, 100, pick(r, HOSTILE_NAMES)); break;
    case 2: writeField(block, 156, 1, pick(r, TYPEFLAGS)); break;
    case 3: writeField(block, 124, 12, pick(r, ['77777777777', '0', '00000001000', 'zzzz', '-1', '\x80\0\0\0\0\0\0\0\0\0\x10\0', String(int(r, 1 << 20).toString(8))])); break;
    case 4: writeField(block, 157, 100, pick(r, HOSTILE_LINKS)); break;
    case 5: writeField(block, 100, 8, pick(r, ['7777', '4755', '0', '1777', '0000644', 'x'])); break;
    case 6: writeField(block, 108, 8, pick(r, ['7777777', '0', '1750', '-1'])); break;
    case 7: return out.subarray(0, int(r, out.length)); // cut short anywhere
    case 8: { // a header or random block inserted before another
      const extra = r() < 0.5 ? rawHeader({ name: pick(r, HOSTILE_NAMES), typeflag: pick(r, [...'0125L']), linkname: pick(r, HOSTILE_LINKS), size: int(r, 2) * 512 }) : Buffer.from(Array.from({ length: 512 }, () => int(r, 256)));
      return Buffer.concat([out.subarray(0, at), extra, out.subarray(at)]);
    }
    case 9: { // a PAX header with hostile records before an entry
      const records: [string, string][] = Array.from({ length: 1 + int(r, 3) }, () => [pick(r, PAX_KEYS), pick(r, PAX_VALUES)]);
      const data = r() < 0.15 ? Buffer.from(`${int(r, 999)} ${pick(r, PAX_KEYS)}`) : paxData(records);
      const head = rawHeader({ name: 'PaxHeader', typeflag: r() < 0.9 ? 'x' : 'g', size: data.length });
      return Buffer.concat([out.subarray(0, at), head, data, Buffer.alloc((512 - (data.length % 512)) % 512), out.subarray(at)]);
    }
    default: writeField(block, 257, 8, pick(r, ['ustar\x0000', 'ustar  \0', 'GNUtar ', '\0\0\0\0\0\0\0\0'])); break;
  }
  if (keepSum) fixChecksum(block);
  return out;
}

export interface FuzzInput {
  index: number;
  bytes: Buffer;
  /** What was done, for the failure message. */
  recipe: string;
}

/** The `index`-th input for `seed`: independent of the others, so one can be replayed alone. */
export function fuzzInput(seed: number, index: number, bases: Buffer[]): FuzzInput {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const base = int(r, bases.length);
  let bytes = bases[base];
  const rounds = 1 + int(r, 3);
  for (let i = 0; i < rounds; i++) bytes = mutate(r, bytes);
  if (r() < 0.3) bytes = Buffer.concat([bytes, r() < 0.5 ? END : Buffer.alloc(0)]);
  const gz = r() < 0.15;
  if (gz) bytes = gzipSync(bytes);
  return { index, bytes, recipe: `base ${base}, ${rounds} mutation(s)${gz ? ', gzipped' : ''}` };
}
