// Building tars for the archive tests: tar-stream's pack (an implementation independent of
// Strata's own reader and writer) for ordinary entries, and header bytes written by hand for what
// tar-stream will not produce (oversized PAX size fields, global headers, odd typeflags).
import { pack, type Header } from 'tar-stream';

export interface TarSpec {
  name: string;
  type?: Header['type'];
  data?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (default: 1700000000). */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records (tar-stream writes them as UTF-8 text). */
  pax?: Record<string, string>;
}

export const MTIME = 1_700_000_000;

/** A complete tar (with its two end blocks) made by tar-stream. */
export async function buildTar(specs: TarSpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const s of specs) {
    const type = s.type ?? 'file';
    const header = {
      name: s.name,
      type,
      mode: s.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
      mtime: new Date((s.mtime ?? MTIME) * 1000),
      linkname: s.linkname,
      devmajor: s.devmajor,
      devminor: s.devminor,
      pax: s.pax,
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file' || type === 'contiguous-file') p.entry(header, s.data ?? '', (err) => (err ? reject(err) : resolve()));
      else p.entry(header, (err) => (err ? reject(err) : resolve())); // header-only: no body to end
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface RawHeader {
  name: string;
  typeflag: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Write `size` in this field as given, e.g. a huge size with no data behind it. */
  magic?: 'ustar' | 'gnu';
}

function oct(buf: Buffer, off: number, width: number, v: number): void {
  buf.write(v.toString(8).padStart(width - 1, '0') + '\0', off, width, 'latin1');
}

/** One 512-byte header block, written field by field (POSIX ustar layout). */
export function rawHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'latin1');
  oct(b, 100, 8, h.mode ?? 0o644);
  oct(b, 108, 8, h.uid ?? 0);
  oct(b, 116, 8, h.gid ?? 0);
  oct(b, 124, 12, h.size ?? 0);
  oct(b, 136, 12, h.mtime ?? MTIME);
  b.write(h.typeflag, 156, 1, 'latin1');
  b.write(h.linkname ?? '', 157, 100, 'latin1');
  b.write(h.magic === 'gnu' ? 'ustar  \0' : 'ustar\x0000', 257, 8, 'latin1');
  oct(b, 329, 8, h.devmajor ?? 0);
  oct(b, 337, 8, h.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** The data of an entry, padded to whole blocks. */
export function rawData(data: Buffer | string): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([d, Buffer.alloc((512 - (d.length % 512)) % 512)]);
}

/** PAX records ("LEN key=value\n") from raw values. */
export function paxData(records: [string, Buffer | string][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const value = typeof v === 'string' ? Buffer.from(v) : v;
      const base = 3 + Buffer.byteLength(k) + value.length;
      let len = base + String(base).length;
      if (String(len).length !== String(base).length) len = base + String(len).length;
      return Buffer.concat([Buffer.from(`${len} ${k}=`), value, Buffer.from('\n')]);
    }),
  );
}

/** A raw PAX 'x' (or 'g') header and its data. */
export function rawPax(records: [string, Buffer | string][], typeflag = 'x'): Buffer {
  const data = paxData(records);
  return Buffer.concat([rawHeader({ name: 'PaxHeader', typeflag, size: data.length }), rawData(data)]);
}

export const END = Buffer.alloc(1024);

/**
 * `tar` with `entries` (whole header blocks and data, e.g. from rawHeader) added after its last
 * entry, and fresh end blocks: a tar made by GNU tar from a folder, plus entries a test cannot (or
 * should not) make on the host, such as device nodes.
 */
export function appendToTar(tar: Buffer, entries: Buffer[]): Buffer {
  let off = 0;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.toString('latin1', 124, 136).replace(/[\0 ]+$/, '') || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return Buffer.concat([tar.subarray(0, off), ...entries, END]);
}

/** A device node's header: `type` 'c' (typeflag 3) or 'b' (typeflag 4). */
export function deviceHeader(name: string, type: 'c' | 'b', devmajor: number, devminor: number, mode = 0o666, uid = 0, gid = 0): Buffer {
  return rawHeader({ name, typeflag: type === 'c' ? '3' : '4', mode, uid, gid, devmajor, devminor });
}

/** The eight device nodes of a debootstrap root fs's /dev (bookworm minbase), in its tar's order:
 * character devices, 0666, owned 0:0. */
export const DEBOOTSTRAP_DEV: [name: string, major: number, minor: number][] = [
  ['./dev/full', 1, 7],
  ['./dev/random', 1, 8],
  ['./dev/zero', 1, 5],
  ['./dev/ptmx', 5, 2],
  ['./dev/urandom', 1, 9],
  ['./dev/null', 1, 3],
  ['./dev/tty', 5, 0],
  ['./dev/console', 5, 1],
];
