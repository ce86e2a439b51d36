// The CANONICAL tar of an upper-form layer directory. For a layer Strata makes (commit, the built-in
// image, later save/push) diff_id is defined as the sha256 of exactly these bytes: the same
// directory always gives the same bytes, so the same change on the same parent gives the same layer
// id. (An imported layer keeps the sha256 of the bytes it was imported from instead, and its
// tar-split to make them again: tar-split.ts, reproduce.ts; re-packing it gives a different,
// equally valid tar, as re-tarring does in Docker.)
//
// The fixed choices:
//  - entries sorted bytewise by path (parent before child); an opaque directory's `.wh..wh..opq`
//    right after the directory; no entry for the root itself; names without './', dirs end in '/'
//  - POSIX ustar headers, numeric uid/gid with empty uname/gname, mode & 07777, mtime in whole
//    seconds from disk (truncated, as Docker does); zero-filled octal fields
//  - PAX records (sorted by key) only when needed: a name or link target over 100 bytes, an
//    id/size/mtime the octal field cannot hold, and allowlisted xattrs as SCHILY.xattr.<name>
//  - a 0/0 character device becomes `.wh.<name>`: an empty regular file, mode 0, 0:0, mtime 0;
//    `.wh..wh..opq` likewise (Docker stamps these with the current time, which makes its tars
//    irreproducible; docs/layers.md, "Canonical tar")
//  - regular files with several names inside the layer: the first by path is the file, the others
//    are hard links to it. Whiteouts are never treated as links: on this kernel all 0/0 whiteouts of
//    an upper dir can share one inode.
//  - character and block device nodes (other than 0/0 whiteouts) are typeflag 3 and 4 entries with
//    their devmajor/devminor, mode, uid, gid and mtime, like any other entry: device nodes are kept,
//    inert (the policy is in extract.ts); every other entry has zero devmajor/devminor fields
//  - sockets are left out (tar cannot hold one; Docker skips them too)
//  - the two zero end blocks, and nothing after them
import { createHash } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './entry-name';
import { baseOf, compareBytes, joinRel, parentOf, quote } from './fspath';
import { ByteReader } from './input';
import { BLOCK, MAX_OCTAL_11, MAX_OCTAL_7, encodeHeaderInto, type HeaderFields, padding, paxRecord } from './tar-format';
import { catFiles, walkTree, type WalkEntry } from './native-fs';
import { checkFaithful, isOpaqueDir, xattrAllowed } from './xattr';

export interface Item {
  /** Sort key: the tar name without a trailing '/' (an opaque marker: its dir + '\0'). */
  key: string;
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** The walk entry whose data or xattrs the item carries (none for whiteouts and markers). */
  source: WalkEntry | null;
}

function marker(key: string, name: string): Item {
  return { key, name, typeflag: '0', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, source: null };
}

/** An entry's item (one object shape for all, built without spreads: commit runs this cold). */
function itemOf(e: WalkEntry, name: string, typeflag: string, size = 0, linkname = '', devmajor = 0, devminor = 0): Item {
  return { key: e.path, name, typeflag, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size, mtime: e.mtimeSec, linkname, devmajor, devminor, source: e };
}

/** The layer's entries as canonical tar items, in tar order. */
export function layerItems(entries: WalkEntry[]): Item[] {
  const items: Item[] = [];
  for (const e of entries) {
    checkFaithful(e);
    const opaque = isOpaqueDir(e);
    if (e.path === '.') {
      if (opaque) items.push(marker('\0', OPAQUE_MARKER));
      continue;
    }
    if (e.kind !== 'whiteout' && baseOf(e.path).startsWith(WHITEOUT_PREFIX)) {
      // In a tar this name would read back as a deletion (a container could otherwise make a
      // committed image delete files by creating ".wh.<name>"), so it cannot be stored.
      throw new StrataError(ErrorCode.BadArchive, `${quote(e.path)}: names starting with ${WHITEOUT_PREFIX} are reserved for whiteouts and cannot be stored in a layer`);
    }
    switch (e.kind) {
      case 'whiteout': {
        const name = joinRel(parentOf(e.path), WHITEOUT_PREFIX + baseOf(e.path));
        items.push(marker(name, name));
        break;
      }
      case 'dir':
        items.push(itemOf(e, `${e.path}/`, '5'));
        if (opaque) items.push(marker(`${e.path}\0`, `${e.path}/${OPAQUE_MARKER}`));
        break;
      case 'file':
        items.push(itemOf(e, e.path, '0', e.size));
        break;
      case 'symlink':
        items.push(itemOf(e, e.path, '2', 0, e.linkTarget));
        break;
      case 'fifo':
        items.push(itemOf(e, e.path, '6'));
        break;
      case 'chardev':
      case 'blockdev':
        items.push(itemOf(e, e.path, e.kind === 'chardev' ? '3' : '4', 0, '', e.rdevMajor, e.rdevMinor));
        break;
      case 'socket':
        break;
    }
  }
  items.sort((a, b) => compareBytes(a.key, b.key));
  // Hard links: the first name of an inode (in tar order) carries the data.
  const firstName = new Map<number, string>();
  for (const item of items) {
    const e = item.source;
    if (!e || e.kind !== 'file' || e.nlink < 2) continue;
    const first = firstName.get(e.ino);
    if (first === undefined) firstName.set(e.ino, item.name);
    else {
      item.typeflag = '1';
      item.size = 0;
      item.linkname = first;
    }
  }
  return items;
}

/** The PAX records an item needs (sorted by key), or null. */
function paxFor(item: Item): Buffer | null {
  const records: [string, Buffer][] = [];
  const text = (k: string, v: string) => records.push([k, Buffer.from(v, 'latin1')]);
  if (item.name.length > 100) text('path', item.name);
  if (item.linkname.length > 100) text('linkpath', item.linkname);
  if (item.uid > MAX_OCTAL_7) text('uid', String(item.uid));
  if (item.gid > MAX_OCTAL_7) text('gid', String(item.gid));
  if (item.size > MAX_OCTAL_11) text('size', String(item.size));
  if (item.mtime < 0 || item.mtime > MAX_OCTAL_11) text('mtime', String(item.mtime));
  const e = item.source;
  if (e && item.typeflag !== '1') {
    for (const [name, value] of e.xattrs) if (xattrAllowed(name, e.kind)) records.push([`SCHILY.xattr.${name}`, value]);
  }
  if (records.length === 0) return null;
  records.sort((a, b) => compareBytes(a[0], b[0]));
  return Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
}

/** The header fields of an item's main block (what does not fit is in its PAX records). */
function mainHeader(item: Item): HeaderFields {
  return {
    name: item.name.slice(0, 100),
    mode: item.mode,
    uid: item.uid > MAX_OCTAL_7 ? 0 : item.uid,
    gid: item.gid > MAX_OCTAL_7 ? 0 : item.gid,
    size: item.size > MAX_OCTAL_11 ? 0 : item.size,
    mtime: item.mtime < 0 || item.mtime > MAX_OCTAL_11 ? 0 : item.mtime,
    typeflag: item.typeflag,
    linkname: item.linkname.slice(0, 100),
    devmajor: item.devmajor,
    devminor: item.devminor,
  };
}

const STAGE = 1 << 16;

/**
 * Writes a tar to a stream with backpressure (or nowhere), hashing exactly what is written. Headers
 * are encoded, and small pieces copied, into one staging buffer that is hashed (and written) when
 * full: a commit's 1000 small files are ~3000 pieces, each of which cost an allocation, a hash
 * update and an await before. A method returns a promise only when it had to flush (await it).
 */
class HashingSink {
  private readonly hash = createHash('sha256');
  private stage = Buffer.allocUnsafe(STAGE);
  private used = 0;
  private error: Error | null = null;

  constructor(private readonly out: NodeJS.WritableStream | null) {
    out?.on('error', (err: Error) => (this.error ??= err));
  }

  /** A header block, encoded in place. */
  header(h: HeaderFields): Promise<void> | undefined {
    return this.staged(BLOCK, (at) => encodeHeaderInto(this.stage.fill(0, at, at + BLOCK).subarray(at, at + BLOCK), h));
  }

  /** `n` zero bytes (padding, the end blocks). */
  zeros(n: number): Promise<void> | undefined {
    return this.write(n <= ZERO_BLOCKS.length ? ZERO_BLOCKS.subarray(0, n) : Buffer.alloc(n));
  }

  write(buf: Buffer): Promise<void> | undefined {
    if (buf.length === 0) return undefined;
    if (buf.length >= STAGE / 2) {
      // Big data goes as it is, after what is staged.
      return (async () => {
        await this.flush();
        await this.emit(buf);
      })();
    }
    return this.staged(buf.length, (at) => buf.copy(this.stage, at));
  }

  /** Runs `put` on `n` staged bytes from its offset, after a flush when they do not fit (then the promise). */
  private staged(n: number, put: (at: number) => void): Promise<void> | undefined {
    const fill = () => {
      put(this.used);
      this.used += n;
    };
    const full = this.used + n > STAGE ? this.flush() : undefined;
    if (full) return full.then(fill);
    fill();
    return undefined;
  }

  async end(): Promise<string> {
    await this.flush();
    if (this.out) {
      this.out.end();
      await this.settle('finish');
    }
    return `sha256:${this.hash.digest('hex')}`;
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.stage.subarray(0, this.used);
    // A stream keeps what it was given: it gets this buffer, and staging goes on in a new one.
    if (this.out) this.stage = Buffer.allocUnsafe(STAGE);
    this.used = 0;
    await this.emit(chunk);
  }

  private async emit(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    this.hash.update(chunk);
    if (this.out && !this.out.write(chunk)) await this.settle('drain');
  }

  /** Waits for `event`, or fails if the stream errors or closes first. */
  private settle(event: string): Promise<void> {
    const out = this.out!;
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        out.off(event, ok);
        out.off('error', fail);
        out.off('close', closed);
        if (err) reject(err);
        else resolve();
      };
      const ok = () => done();
      const fail = (err: Error) => done(err);
      const closed = () => done(event === 'finish' ? undefined : new Error('the output stream closed'));
      out.once(event, ok);
      out.once('error', fail);
      out.once('close', closed);
    });
  }
}

const ZERO_BLOCKS = Buffer.alloc(2 * BLOCK);

/**
 * The canonical tar of `items` (from layerItems) into `sink`, the data of each regular file read
 * in turn from `data` (the files' contents back to back, in tar order). Returns the bytes of
 * regular-file data (the layer's size). The one writer of canonical tars: packLayer and copyLayer
 * (copy.ts) both go through it, so a layer's diff_id is the same whichever made it.
 */
async function writeItems(items: Item[], sink: HashingSink, data: ByteReader | null): Promise<number> {
  let size = 0;
  let wait: Promise<void> | undefined;
  for (const item of items) {
    const pax = paxFor(item);
    if (pax) {
      const paxName = `PaxHeaders/${baseOf(item.name.replace(/\/$/, ''))}`.slice(0, 100);
      if ((wait = sink.header({ name: paxName, mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: 0, typeflag: 'x', linkname: '', devmajor: 0, devminor: 0 }))) await wait;
      if ((wait = sink.write(pax))) await wait;
      if ((wait = sink.zeros(padding(pax.length)))) await wait;
    }
    if ((wait = sink.header(mainHeader(item)))) await wait;
    if (item.typeflag !== '0' || item.size === 0) continue;
    size += item.size;
    for (let left = item.size; left > 0; ) {
      const chunk = await data!.readSome(Math.min(left, 1 << 20));
      if ((wait = sink.write(chunk))) await wait;
      left -= chunk.length;
    }
    if ((wait = sink.zeros(padding(item.size)))) await wait;
  }
  if ((wait = sink.zeros(2 * BLOCK))) await wait;
  return size;
}

/** The sha256 (diff_id) and data size of the canonical tar of `items`, file data read from `data`. */
export async function digestItems(items: Item[], data: ByteReader | null): Promise<{ diffId: string; size: number }> {
  const sink = new HashingSink(null);
  const size = await writeItems(items, sink, data);
  return { diffId: await sink.end(), size };
}

/**
 * The length of the canonical tar of `layerDir`, from its walk alone (no file is read): a layer's
 * tar goes into an archive (save) behind a header that must give its size first.
 */
export async function canonicalTarLength(layerDir: string): Promise<number> {
  let n = 2 * BLOCK;
  for (const item of layerItems(await walkTree(layerDir))) {
    const pax = paxFor(item);
    if (pax) n += BLOCK + pax.length + padding(pax.length);
    n += BLOCK;
    if (item.typeflag === '0') n += item.size + padding(item.size);
  }
  return n;
}

/** Writes the canonical tar of `layerDir` to `out` (and ends it); diffId is the sha256 of those bytes. */
export function packLayer(layerDir: string, out: NodeJS.WritableStream): Promise<{ diffId: string; size: number }> {
  return packTo(layerDir, out);
}

/**
 * The canonical diff_id and size of a layer directory, without keeping the tar: packLayer's walk
 * and reads (a second process for the data), so it checks copy.ts's digestInPlace, which commit
 * uses, by another way.
 */
export function digestLayer(layerDir: string): Promise<{ diffId: string; size: number }> {
  return packTo(layerDir, null);
}

async function packTo(layerDir: string, out: NodeJS.WritableStream | null): Promise<{ diffId: string; size: number }> {
  return packItems(layerItems(await walkTree(layerDir)), layerDir, (e) => e.path, out);
}

/**
 * The canonical tar of `items` into `out` (or nowhere), each regular file's data read beneath
 * `root` at `dataPath(its walk entry)`: a layer's own folder, or for a container's flattened file
 * system (export) the store, each file from the layer that shows it.
 */
export async function packItems(items: Item[], root: string, dataPath: (e: WalkEntry) => string, out: NodeJS.WritableStream | null): Promise<{ diffId: string; size: number }> {
  const sink = new HashingSink(out);
  const withData = items.filter((it) => it.typeflag === '0' && it.size > 0);
  // All file contents come from one strata-fs process, in tar order.
  const cat = withData.length ? catFiles(root, withData.map((it) => ({ path: dataPath(it.source!), size: it.size }))) : null;
  const data = cat ? new ByteReader(cat.chunks, Number.MAX_SAFE_INTEGER, undefined, false) : null;
  try {
    const size = await writeItems(items, sink, data);
    await cat?.done;
    return { diffId: await sink.end(), size };
  } catch (err) {
    cat?.stop();
    // A short read usually means the tool stopped; its own message names the file.
    throw (cat && (await cat.done.then(() => null, (e: unknown) => e))) ?? err;
  }
}
