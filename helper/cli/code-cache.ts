// The CLI's V8 code cache (dist/cli-main.v8cache): the compiled form of dist/cli-main.js that the
// build saves, so that each `strata` command skips compiling the 350 KB bundle (test/bench/README.md,
// "The CLI"). A cache is used only when it was made from exactly the bundle's bytes and is whole:
// V8 itself refuses one of another V8 version, flags or source length (cachedDataRejected), but in
// release builds it does not checksum the rest, and a cache with a byte changed inside can make V8
// abort or run wrong code. So the file starts with a header of our own: the bundle's length and
// digest, and the V8 data's length and digest; anything that does not match means no cache, and
// the bundle is compiled as it would be without one.

const MAGIC = 'STRATAV8';
const FORMAT = 1;
const HEADER = 40; // magic 8, format 4, bundle length 4, data length 4, unused 4, bundle digest 8, data digest 8

/**
 * FNV-1a over 64-bit little-endian words, in WebAssembly: the same loop in JavaScript costs ~5 ms
 * on the bundle and cache (interpreted at start-up), this one ~0.3 ms. The module, as text:
 *   (func (export "h") (param $words i32) (result i64) (local $i i32) (local $h i64)
 *     $h = 0xcbf29ce484222325; while ($i < $words) { $h = ($h ^ i64.load($i * 8)) * 0x100000001b3; $i++ } $h)
 *   (memory (export "m") 0)
 */
const FNV_WASM = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 126, 3, 2, 1, 0, 5, 3, 1, 0, 0, 7, 9, 2, 1, 109, 2, 0, 1, 104, 0, 0,
  10, 65, 1, 63, 2, 1, 127, 1, 126, 66, 165, 198, 136, 161, 200, 156, 167, 249, 75, 33, 2, 2, 64, 3, 64, 32, 1, 32, 0, 79,
  13, 1, 32, 2, 32, 1, 65, 3, 116, 41, 3, 0, 133, 66, 179, 131, 128, 128, 128, 32, 126, 33, 2, 32, 1, 65, 1, 106, 33, 1,
  12, 0, 11, 11, 32, 2, 11,
]);

// The little of WebAssembly used here (this project's TypeScript libraries do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};
let fnv: { m: { buffer: ArrayBuffer; grow(pages: number): number }; h: (words: number) => bigint } | undefined;

/** The 64-bit FNV-1a digest of `bytes` (zero-padded to whole words). */
export function digest(bytes: Uint8Array): bigint {
  fnv ??= new WebAssembly.Instance(new WebAssembly.Module(FNV_WASM)).exports as unknown as typeof fnv;
  const { m, h } = fnv!;
  const words = Math.ceil(bytes.length / 8);
  const pages = Math.ceil((words * 8) / 65536) - m.buffer.byteLength / 65536;
  if (pages > 0) m.grow(pages);
  const memory = new Uint8Array(m.buffer);
  memory.set(bytes);
  memory.fill(0, bytes.length, words * 8);
  return h(words);
}

/** The cache file's bytes: our header, then V8's data for `bundle`. */
export function sealCodeCache(bundle: Uint8Array, v8Data: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(FORMAT, 8);
  header.writeUInt32LE(bundle.length, 12);
  header.writeUInt32LE(v8Data.length, 16);
  header.writeBigInt64LE(digest(bundle), 24);
  header.writeBigInt64LE(digest(v8Data), 32);
  return Buffer.concat([header, v8Data]);
}

/** V8's data in `file` when it is whole and was made from these very `bundle` bytes; else why not. */
export function openCodeCache(bundle: Uint8Array, file: Buffer): { data: Buffer } | { problem: string } {
  if (file.length < HEADER || file.toString('latin1', 0, 8) !== MAGIC) return { problem: 'not a Strata code cache' };
  if (file.readUInt32LE(8) !== FORMAT) return { problem: `format ${file.readUInt32LE(8)}, not ${FORMAT}` };
  const data = file.subarray(HEADER);
  if (file.readUInt32LE(16) !== data.length) return { problem: `truncated or extended (${data.length} bytes of V8 data, the header says ${file.readUInt32LE(16)})` };
  if (file.readUInt32LE(12) !== bundle.length || file.readBigInt64LE(24) !== digest(bundle)) return { problem: 'made from another build of the bundle' };
  if (file.readBigInt64LE(32) !== digest(data)) return { problem: 'its V8 data does not match its digest' };
  return { data };
}
