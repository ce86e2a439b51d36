// The tar header block (POSIX ustar, with the GNU and PAX extensions layer tars use), both ways.
// Strata reads and writes tar itself rather than through tar-stream: tar-stream buffers PAX and GNU
// long-name headers whole and decodes PAX values as UTF-8, which corrupts binary xattr values such
// as security.capability (a file capability would silently change on import).
// Strings here are binary strings (one char per byte; see fspath.ts).

export const BLOCK = 512;

export type EntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'chardev'
  | 'blockdev'
  | 'dir'
  | 'fifo'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink';

export interface Header {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** The raw typeflag character, kept for error messages. */
  typeflag: string;
  type: EntryType | null;
  linkname: string;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'link',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'dir',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function str(block: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && block[end] !== 0) end++;
  return block.toString('latin1', off, end);
}

/** An octal field (spaces or NULs around it) or a GNU base-256 field (high bit set). */
function num(block: Buffer, off: number, len: number, field: string): number {
  if (block[off] & 0x80) {
    const negative = block[off] === 0xff;
    let v = 0;
    for (let i = off; i < off + len; i++) {
      const byte = i === off && !negative ? block[i] & 0x7f : block[i];
      v = v * 256 + (negative ? 0xff - byte : byte);
    }
    if (negative) v = -(v + 1);
    if (!Number.isSafeInteger(v)) throw new Error(`${field} out of range`);
    return v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end && block[i] !== 0x20 && block[i] !== 0; i++, digits++) {
    const d = block[i] - 0x30;
    if (d < 0 || d > 7) throw new Error(`${field} field is not an octal number`);
    v = v * 8 + d;
  }
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) throw new Error(`${field} field is not an octal number`);
  return digits === 0 ? 0 : v;
}

function checksumOk(block: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  let stored: number;
  try {
    stored = num(block, 148, 8, 'checksum');
  } catch {
    return false;
  }
  // Historic tars summed signed chars; both are accepted, as GNU tar and Go do.
  return stored === unsigned || stored === signed;
}

/** Decodes one header block; throws a plain Error saying what is wrong (the caller adds context). */
export function decodeHeader(block: Buffer): Header {
  if (!checksumOk(block)) throw new Error('bad header checksum (not a tar, or corrupted)');
  const magic = block.toString('latin1', 257, 263);
  const ustar = magic === 'ustar\0';
  if (!ustar && magic !== 'ustar ' && magic !== '\0\0\0\0\0\0') throw new Error('unknown tar format (bad magic)');
  let name = str(block, 0, 100);
  // The prefix field exists only in POSIX ustar; GNU keeps atime/ctime there.
  if (ustar && block[345] !== 0) name = `${str(block, 345, 155)}/${name}`;
  const typeflag = String.fromCharCode(block[156]);
  // (A pre-POSIX '\0' entry whose name ends in '/' is a directory; the reader decides that on the
  // full name, since a GNU long name's truncated copy here may happen to end in '/'.)
  const type: EntryType | null = TYPES[typeflag] ?? null;
  return {
    name,
    mode: num(block, 100, 8, 'mode'),
    uid: num(block, 108, 8, 'uid'),
    gid: num(block, 116, 8, 'gid'),
    size: num(block, 124, 12, 'size'),
    mtime: num(block, 136, 12, 'mtime'),
    typeflag,
    type,
    linkname: str(block, 157, 100),
    devmajor: num(block, 329, 8, 'devmajor'),
    devminor: num(block, 337, 8, 'devminor'),
  };
}

/** PAX extended header records ("LEN key=value\n"), values kept as raw bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    // Some writers pad the data with NULs; nothing after that is a record.
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw new Error('malformed PAX record (no length)');
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new Error('malformed PAX record (bad length)');
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= pos + len - 1) throw new Error('malformed PAX record (no "=")');
    records.set(data.toString('latin1', space + 1, eq), data.subarray(eq + 1, pos + len - 1));
    pos += len;
  }
  return records;
}

// ------------------------------------------------------------------------------------- writing

/** What encodeHeaderInto writes: a header's fields as decodeHeader gives them, without the decoded
 *  type; `name` and `linkname` at most 100 bytes (longer ones go in PAX records). */
export type HeaderFields = Omit<Header, 'type'>;

// Largest values the fixed-width octal fields hold; bigger ones go in PAX records.
export const MAX_OCTAL_7 = 0o7777777;
export const MAX_OCTAL_11 = 0o77777777777;

/** `width` zero-filled octal digits and a NUL (v fits: the caller moves bigger values to PAX). */
function octal(block: Buffer, off: number, width: number, v: number): void {
  for (let i = off + width - 1; i >= off; i--) {
    block[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  block[off + width] = 0;
}

/**
 * A POSIX ustar header block, written into `block` (512 bytes, all zero), which it returns: fixed
 * field choices so that the same entry is always the same bytes.
 */
export function encodeHeaderInto(block: Buffer, h: HeaderFields): Buffer {
  block.write(h.name, 0, 100, 'latin1');
  octal(block, 100, 7, h.mode & 0o7777);
  octal(block, 108, 7, h.uid);
  octal(block, 116, 7, h.gid);
  octal(block, 124, 11, h.size);
  octal(block, 136, 11, h.mtime);
  block.write(h.typeflag, 156, 1, 'latin1');
  block.write(h.linkname, 157, 100, 'latin1');
  block.write('ustar\x0000', 257, 8, 'latin1');
  octal(block, 329, 7, h.devmajor);
  octal(block, 337, 7, h.devminor);
  // The checksum counts its own field as spaces; the block is zero past devminor (345).
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i];
  for (let i = 156; i < 345; i++) sum += block[i];
  octal(block, 148, 6, sum);
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

/** One PAX record; its length prefix counts its own digits. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const base = 1 + Buffer.byteLength(key, 'latin1') + 1 + value.length + 1;
  let len = base + String(base).length;
  if (String(len).length !== String(base).length) len = base + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'latin1'), value, Buffer.from('\n')]);
}

/** Zero bytes that pad `size` bytes of data up to a whole block. */
export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}
