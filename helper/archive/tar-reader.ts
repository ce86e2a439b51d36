// Streams the entries of a tar: folds PAX and GNU long-name headers into the entry they describe,
// ignores PAX global headers, and refuses what Strata does not read. Every extended header is
// size-checked from its 512-byte header before a byte of it is buffered, so a 10 MB (or 10 GB) PAX
// header costs nothing (tar-stream would buffer up to 4 MiB of it per header, and any number of them).
import { badArchive, formatBytes, limitExceeded, type ImportLimits } from './limits';
import type { TarBytes } from './input';
import { quote } from './fspath';
import { BLOCK, decodeHeader, isZeroBlock, padding, parsePax, type EntryType, type Header } from './tar-format';

export interface TarEntry {
  /** Binary (latin1) name as in the archive, not yet normalised. */
  name: string;
  type: Exclude<EntryType, 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink'>;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data that follow (0 for every type but 'file'). */
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from SCHILY.xattr.* (GNU tar, Go) or LIBARCHIVE.xattr.* (bsdtar) records. */
  xattrs: Map<string, Buffer>;
}

// Types that carry no data whatever their size field says (as Go's archive/tar reads them).
const HEADER_ONLY = new Set(['link', 'symlink', 'chardev', 'blockdev', 'dir', 'fifo']);

// The extended headers, by type, as error messages name them.
const META_NAMES: Partial<Record<EntryType, string>> = {
  pax: 'PAX extended',
  'pax-global': 'PAX global',
  'gnu-longname': 'GNU long-name',
  'gnu-longlink': 'GNU long-link',
};

function decimal(value: Buffer, key: string, name: string): number {
  const s = value.toString('latin1');
  if (!/^\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) throw badArchive(`${name}: bad PAX ${key} "${s.slice(0, 40)}"`);
  return Number(s);
}

function paxTime(value: Buffer, name: string): [number, number] {
  const m = /^(-?\d{1,16})(?:\.(\d+))?$/.exec(value.toString('latin1'));
  if (!m) throw badArchive(`${name}: bad PAX mtime "${value.toString('latin1').slice(0, 40)}"`);
  const nsec = Number((m[2] ?? '').slice(0, 9).padEnd(9, '0'));
  return [Number(m[1]), nsec];
}

function xattrsFrom(pax: Map<string, Buffer>): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith('LIBARCHIVE.xattr.')) {
      const name = key.slice(17).replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      xattrs.set(name, Buffer.from(value.toString('latin1'), 'base64'));
    }
  }
  // SCHILY records hold the raw value; they win over libarchive's base64 copy of the same xattr.
  for (const [key, value] of pax) if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice(13), value);
  return xattrs;
}

/** What the extended headers before an entry said, folded together for that entry. */
interface Extended {
  pax: Map<string, Buffer> | null;
  longName: string | null;
  longLink: string | null;
  /** Bytes of extended header data read for this entry, capped by maxHeaderBytes. */
  bytes: number;
}

export class TarReader {
  private remaining = 0;
  private pad = 0;
  private entries = 0;
  private current = '';
  /** The last entry's data is held back by the native reader (native-import.ts), and taken or not. */
  private held = false;
  private heldTaken = false;

  /**
   * `dropHeld` is told of held data that nobody took (an entry whose data is skipped): the native
   * writer must drop it, in order.
   */
  constructor(
    private readonly bytes: TarBytes,
    private readonly limits: ImportLimits,
    private readonly dropHeld: (size: number, name: string) => void = () => {},
  ) {}

  /** Whether the data of the entry last returned is held back by the native reader: see takeHeld. */
  get dataHeld(): boolean {
    return this.held && !this.heldTaken;
  }

  /** The caller writes the held data (it has told the native writer to): it is not read here. */
  takeHeld(): void {
    if (!this.dataHeld) throw new Error('takeHeld: no held data');
    this.heldTaken = true;
  }

  /** Entries returned so far. */
  get count(): number {
    return this.entries;
  }

  /** The next entry, or null after the end-of-archive blocks. Skips any unread data of the last. */
  async next(): Promise<TarEntry | null> {
    if (this.held) {
      if (!this.heldTaken) this.dropHeld(this.remaining, this.current);
      this.held = false;
      this.remaining = 0;
      try {
        await this.bytes.endHeld!();
      } catch (err) {
        throw withEntry(this.current, err);
      }
    }
    if (this.remaining + this.pad > 0) await this.bytes.skip(this.remaining + this.pad);
    this.remaining = this.pad = 0;
    const ext: Extended = { pax: null, longName: null, longLink: null, bytes: 0 };
    for (;;) {
      const at = this.bytes.offset;
      const block = await this.readBlock(at);
      if (isZeroBlock(block)) {
        await this.endOfArchive(at, ext);
        return null;
      }
      const h = this.decode(block, at);
      if (META_NAMES[h.type] === undefined) {
        const e = this.entry(h, ext);
        if (e.size > 0 && this.bytes.heldData) {
          this.held = await this.bytes.heldData(e.size);
          this.heldTaken = false;
        }
        return e;
      }
      await this.readExtended(h, at, ext);
    }
  }

  /** The header block at offset `at`; a tar that ends before its end-of-archive blocks is refused. */
  private async readBlock(at: number): Promise<Buffer> {
    const block = await this.bytes.readExact(BLOCK).catch((err: unknown) => {
      const short = at === 0 && err instanceof Error && err.message.startsWith('truncated');
      throw short ? badArchive(`not a tar archive: the input is shorter than one tar header (${this.bytes.total} bytes)`, err) : err;
    });
    if (block === null) {
      if (at === 0) throw badArchive('not a tar archive: the input is empty');
      throw badArchive(`truncated: the tar ends at offset ${at} without its end-of-archive blocks`);
    }
    return block;
  }

  /** After a zero block at `at`: the second one must follow, and no extended header may be pending. */
  private async endOfArchive(at: number, ext: Extended): Promise<void> {
    const second = await this.bytes.readExact(BLOCK);
    if (second === null) throw badArchive(`truncated: the tar ends after one of its two end-of-archive blocks`);
    if (!isZeroBlock(second)) throw badArchive(`a lone zero block at offset ${at} in the middle of the archive`);
    if (ext.pax || ext.longName !== null || ext.longLink !== null) throw badArchive('the tar ends with an extended header that describes no entry');
  }

  /** The header in `block`, of a type Strata reads; errors say where it is. */
  private decode(block: Buffer, at: number): Header & { type: EntryType } {
    let h;
    try {
      h = decodeHeader(block);
    } catch (err) {
      const what = at === 0 ? 'not a tar archive' : `bad tar header at offset ${at}${this.current ? ` (after ${quote(this.current)})` : ''}`;
      throw badArchive(`${what}: ${(err as Error).message}`, err);
    }
    if (h.type === null) {
      throw badArchive(`${quote(h.name)}: unsupported tar entry type '${h.typeflag.replace(/[^\x21-\x7e]/g, '?')}' (GNU sparse, multi-volume and vendor types are not accepted)`);
    }
    if (h.size < 0) throw badArchive(`${quote(h.name)}: negative size`);
    return h as Header & { type: EntryType };
  }

  /**
   * A PAX or GNU long-name/long-link header at `at`: its data, size-checked from the header alone
   * before any of it is read or buffered, folded into `ext` for the entry that follows.
   */
  private async readExtended(h: Header & { type: EntryType }, at: number, ext: Extended): Promise<void> {
    const meta = META_NAMES[h.type];
    ext.bytes += h.size;
    if (h.size > this.limits.maxHeaderBytes || ext.bytes > this.limits.maxHeaderBytes) {
      throw limitExceeded(`a ${meta} header of ${formatBytes(h.size)} at offset ${at} exceeds the limit of ${formatBytes(this.limits.maxHeaderBytes)}`);
    }
    const data = (await this.bytes.readExact(h.size)) ?? Buffer.alloc(0);
    if (data.length < h.size) throw badArchive(`truncated: the ${meta} header at offset ${at} is cut short`);
    await this.bytes.skip(padding(h.size));
    if (h.type === 'pax') {
      let records;
      try {
        records = parsePax(data);
      } catch (err) {
        throw badArchive(`bad PAX header at offset ${at}: ${(err as Error).message}`, err);
      }
      ext.pax ??= new Map();
      for (const [k, v] of records) ext.pax.set(k, v);
    } else if (h.type === 'gnu-longname' || h.type === 'gnu-longlink') {
      const nul = data.indexOf(0);
      const s = data.toString('latin1', 0, nul < 0 ? data.length : nul);
      if (h.type === 'gnu-longname') ext.longName = s;
      else ext.longLink = s;
    }
    // A PAX global header is ignored, not applied to the entries after it: the same as moby
    // (TestTypeXGlobalHeaderDoesNotFail) and containers/storage, so a layer reads the same.
  }

  /** The entry `h` describes, with what its extended headers say instead; counted against the cap. */
  private entry(h: Header & { type: EntryType }, ext: Extended): TarEntry {
    const { pax } = ext;
    const name = nonEmpty(pax?.get('path')) ?? ext.longName ?? h.name;
    const linkname = nonEmpty(pax?.get('linkpath')) ?? ext.longLink ?? h.linkname;
    this.current = name;
    // Only PAX records can smuggle a NUL into a name; no file system name can hold one.
    if (name.includes('\0') || linkname.includes('\0')) throw badArchive(`${quote(name.replace(/\0/g, '\\0'))}: a NUL byte in a name or link target`);
    for (const key of pax?.keys() ?? []) {
      if (key.startsWith('GNU.sparse.')) throw badArchive(`${quote(name)}: GNU sparse files are not supported`);
    }
    const size = pax?.has('size') ? decimal(pax.get('size')!, 'size', name) : h.size;
    let mtimeSec = h.mtime;
    let mtimeNsec = 0;
    if (pax?.has('mtime')) [mtimeSec, mtimeNsec] = paxTime(pax.get('mtime')!, name);
    // Pre-POSIX tars mark a directory only by a trailing slash on a '\0' entry (as Go reads it).
    const type = h.typeflag === '\0' && name.endsWith('/') ? 'dir' : (h.type as TarEntry['type']);
    const entry: TarEntry = {
      name,
      type,
      mode: h.mode,
      uid: pax?.has('uid') ? decimal(pax.get('uid')!, 'uid', name) : h.uid,
      gid: pax?.has('gid') ? decimal(pax.get('gid')!, 'gid', name) : h.gid,
      size: HEADER_ONLY.has(type) ? 0 : size,
      mtimeSec,
      mtimeNsec,
      linkname,
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs: pax ? xattrsFrom(pax) : new Map(),
    };
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw limitExceeded(`the layer has more than ${this.limits.maxEntries} entries (at ${quote(name)})`);
    }
    this.remaining = entry.size;
    this.pad = padding(entry.size);
    return entry;
  }

  /** The data of the entry last returned, in chunks of at most `max` bytes. */
  async *body(max = 1 << 20): AsyncGenerator<Buffer> {
    if (this.held) throw new Error('body: the data is held back by the native reader');
    while (this.remaining > 0) {
      let chunk: Buffer;
      try {
        chunk = await this.bytes.readSome(Math.min(max, this.remaining));
      } catch (err) {
        throw withEntry(this.current, err);
      }
      this.remaining -= chunk.length;
      yield chunk;
    }
    await this.bytes.skip(this.pad);
    this.pad = 0;
  }

  /**
   * The whole data of the entry last returned (for small files), as the pieces it arrived in: no
   * copy into one buffer (a file across two 64 KiB socket reads would otherwise be copied whole).
   */
  async readBody(): Promise<Buffer[]> {
    if (this.held) throw new Error('readBody: the data is held back by the native reader');
    const parts: Buffer[] = [];
    try {
      while (this.remaining > 0) {
        const chunk = await this.bytes.readSome(this.remaining);
        this.remaining -= chunk.length;
        parts.push(chunk);
      }
    } catch (err) {
      throw withEntry(this.current, err);
    }
    await this.bytes.skip(this.pad);
    this.pad = 0;
    return parts;
  }
}

function nonEmpty(v: Buffer | undefined): string | null {
  return v && v.length ? v.toString('latin1') : null;
}

function withEntry(name: string, err: unknown): unknown {
  if (err instanceof Error && /^truncated/.test(err.message)) {
    return badArchive(`${quote(name)}: ${err.message} (inside the file's data)`, err);
  }
  return err;
}
