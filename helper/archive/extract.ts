// Safe extraction of one layer tar into an empty directory, in overlayfs upper-dir form.
//
// The helper runs as root and the tar is hostile until proven otherwise (docs/security.md,
// "Importing a tar"). The defences, in the order an entry meets them:
//  - input.ts: gzip by magic bytes; the uncompressed stream is hashed (diff_id) and capped.
//  - native-import.ts: where `strata-fs import` runs (libcrypto and libdeflate), the uncompressed
//    tar goes to it, and it holds regular files' data back from this process; every header still
//    comes here and is read by tar-reader.ts, and each entry's held data must be exactly where and
//    as long as this reader says (docs/security.md, row 12), or the import stops.
//  - tar-reader.ts: extended headers are size-checked before they are read; PAX globals ignored;
//    entry count capped.
//  - entry-name.ts: no '..' component at all, depth and length caps, whiteout names validated.
//  - here: the layer is extracted into its own fresh, empty directory (never on top of another
//    layer: that is what made GNU tar CVE-2025-45582 a two-step escape), and every path is resolved
//    against an in-memory tree of what this extraction created, never against the disk. A parent
//    that is anything but a directory created by this extraction is refused, so a symlink is never
//    followed (moby TestUntarInvalidSymlink, umoci TestUnpackEntrySymlinkScoping), and there is no
//    separate "already created dirs" cache to go stale when a later entry replaces a directory with
//    a symlink (node-tar CVE-2021-32803): the tree is the only record and is updated with the disk.
//    Files are created with O_CREAT|O_EXCL|O_NOFOLLOW after any earlier entry of that name is
//    removed, so even a wrong tree could not make open() follow a link. Hard links must name a
//    regular file created earlier in this layer (moby TestUntarInvalidHardlink,
//    TestUntarHardlinkToSymlink).
//  - the writes themselves: one `strata-fs unpack` process (op-stream.ts) performs what this file
//    decided, in order, and refuses on its own (in the kernel) any path that would leave the layer
//    or pass through a symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS for every parent) and
//    any new entry over an existing one (O_EXCL and friends). The final metadata pass (whiteouts,
//    fifos, device nodes, xattrs, directory times) ends the same stream.
// On any error the partial destDir is left for the caller to delete: the caller extracts into a
// directory under the store's tmp/ and renames it into place only on success.
import { promises as fsp } from 'node:fs';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { layerPath, whiteoutOf } from './entry-name';
import { baseOf, quote, rootBytes } from './fspath';
import { ByteReader, cancelled, openInput, type TarBytes } from './input';
import { badArchive, limitExceeded, resolveLimits, type ImportLimits } from './limits';
import { TarReader, type TarEntry } from './tar-reader';
import { TarSplitRecorder } from './tar-split';
import { LayerImporter, LayerUnpacker } from './op-stream';
import { nativeImportAvailable, NativeTarBytes, type RawSocketSource } from './native-import';
import { compressionOfMagic, MAGIC_BYTES } from './decompress';
import type { EntryKind } from './native-fs';
import { OPAQUE_XATTR, xattrAllowed, xattrValueProblem } from './xattr';

export interface ExtractResult {
  /** 'sha256:<hex>' of the uncompressed tar bytes exactly as streamed. */
  diffId: string;
  /** Sum of the sizes of the regular files written (a hard link counts once). */
  size: number;
  /** Entries in the tar (not counting PAX/GNU meta headers). */
  entries: number;
  /**
   * With `tarSplit`: why the tar cannot be reproduced from the layer folder (its own entries
   * overwrite a file's data), in which case no split is kept; absent when the split was kept.
   */
  unreproducible?: string;
}

export interface ExtractOptions {
  limits?: Partial<ImportLimits>;
  /** What to say when the tar passes maxTotalBytes (the engine says why the cap is what it is). */
  tooLarge?: (cap: number) => string;
  signal?: AbortSignal;
  /** Bytes read from `input` so far (compressed bytes for a .tar.gz). */
  onProgress?: (bytesRead: number) => void;
  /** Where to write the tar-split that reproduces the tar (tar-split.ts): a new file beside destDir. */
  tarSplit?: string;
  /**
   * Who reads the tar's bytes: 'native' (`strata-fs import`, native-import.ts: file data never
   * enters the helper), or 'node' (ByteReader here). By default native wherever it runs.
   */
  reader?: 'native' | 'node';
  /**
   * The input's raw socket, when it is an upload's (engine/uploads.ts): if the tar is plain, the
   * native reader reads the socket itself, and `input` is not read at all.
   */
  rawSocket?: () => Promise<RawSocketSource | null>;
}

// What this extraction has made, by path. Only directories have children; a file's xattrs live on
// its inode record so that hard links share them.
interface Inode {
  xattrs: Map<string, Buffer> | null;
}
type Node =
  | { kind: 'dir'; children: Map<string, Node>; opaque: boolean; mtime: [number, number] | null; xattrs: Map<string, Buffer> | null }
  // data: this name's entry carried the file's bytes (a tar-split reads them back from here)
  | { kind: 'file'; inode: Inode; data: boolean }
  | { kind: 'symlink' }
  | { kind: 'whiteout' }
  | { kind: 'fifo'; mode: number; uid: number; gid: number; mtime: [number, number] }
  | { kind: 'device'; type: 'chardev' | 'blockdev'; major: number; minor: number; mode: number; uid: number; gid: number; mtime: [number, number] };
type DirNode = Extract<Node, { kind: 'dir' }>;

const PATH_MAX = 4096;
const SMALL_FILE = 1 << 20;
const XATTR_VALUE_MAX = 65536;

function newDir(): DirNode {
  return { kind: 'dir', children: new Map(), opaque: false, mtime: null, xattrs: null };
}

const KIND_WORDS: Record<Node['kind'], string> = {
  dir: 'a directory',
  file: 'a regular file',
  symlink: 'a symlink',
  whiteout: 'a whiteout',
  fifo: 'a fifo',
  device: 'a device node',
};

// Linux's dev_t holds a 12-bit major and a 20-bit minor; mknod would silently mangle bigger ones.
const DEV_MAJOR_MAX = 0xfff;
const DEV_MINOR_MAX = 0xfffff;

// Owner ids an implicit parent keeps as made (root's, as tar and Docker make it).
const AS_MADE = -1;

/** Whether `node` is, or holds, a file whose data came from its own entry. */
function holdsData(node: Node): boolean {
  if (node.kind === 'file') return node.data;
  if (node.kind !== 'dir') return false;
  for (const child of node.children.values()) if (holdsData(child)) return true;
  return false;
}

class Extractor {
  readonly root: DirNode = newDir();
  private readonly rootLen: number;
  size = 0;
  /** Why the tar cannot be reproduced from the folder, once an entry overwrote a file's data. */
  unreproducible: string | null = null;

  constructor(
    dest: string,
    private readonly limits: ImportLimits,
    private readonly out: LayerUnpacker | LayerImporter,
    private split: TarSplitRecorder | null,
    private readonly dropSplit: () => void,
  ) {
    this.rootLen = rootBytes(dest).length;
  }

  /** rel, once its full path is known to fit PATH_MAX (rel is binary: one char per byte). */
  private fits(rel: string): string {
    if (this.rootLen + 1 + rel.length >= PATH_MAX) throw limitExceeded(`entry ${quote(rel.slice(0, 80))}...: the full path is longer than PATH_MAX (${PATH_MAX})`);
    return rel;
  }

  /** The node at rel, or undefined; every parent on the way must be a directory. */
  private lookup(rel: string): Node | undefined {
    if (rel === '.') return this.root;
    let node: Node | undefined = this.root;
    for (const part of rel.split('/')) {
      if (node?.kind !== 'dir') return undefined;
      node = node.children.get(part);
    }
    return node;
  }

  /** The directory that will hold rel, creating missing parents (0755, root) as tar does. */
  private parentDir(rel: string, name: string): DirNode {
    let dir = this.root;
    let slash = rel.indexOf('/');
    let start = 0;
    while (slash >= 0) {
      const part = rel.slice(start, slash);
      const next = dir.children.get(part);
      if (next === undefined) {
        this.mkdirImplicit(rel.slice(0, slash));
        const made = newDir();
        dir.children.set(part, made);
        dir = made;
      } else if (next.kind === 'dir') {
        dir = next;
      } else {
        // The heart of the symlink defence: never create anything through a non-directory.
        throw badArchive(`entry ${quote(name)}: its parent ${quote(rel.slice(0, slash))} is ${KIND_WORDS[next.kind]} in this layer; refusing to write through it`);
      }
      start = slash + 1;
      slash = rel.indexOf('/', start);
    }
    return dir;
  }

  /** Removes whatever an earlier entry put at rel (later duplicates replace earlier ones). */
  private clear(dir: DirNode, rel: string, by: string): void {
    const old = dir.children.get(baseOf(rel));
    if (old === undefined) return;
    dir.children.delete(baseOf(rel));
    if (this.split && holdsData(old)) {
      // The folder keeps only the last of the two, so the earlier data cannot be read back from it
      // (tar-split's asm README: clobbering entries are not supported). The import goes on; the
      // layer is recorded as one whose tar cannot be reproduced, and why.
      this.unreproducible = `entry ${quote(by)} overwrites ${quote(rel)}, whose file data came earlier in the same tar: the layer folder keeps only the last, so the tar cannot be reproduced from it`;
      this.split = null;
      this.dropSplit();
    }
    // Whiteouts, fifos and device nodes are only made at the end, so there is nothing on disk yet.
    if (old.kind === 'dir' || old.kind === 'file' || old.kind === 'symlink') this.out.op('U', this.fits(rel));
  }

  async entry(e: TarEntry, reader: TarReader): Promise<void> {
    const rel = layerPath(e.name, this.limits);
    if (e.uid < 0 || e.gid < 0 || e.uid >= 0xffffffff || e.gid >= 0xffffffff) throw badArchive(`entry ${quote(e.name)}: invalid owner ${e.uid}:${e.gid}`);
    if (rel === '.') return this.rootEntry(e);
    const whiteout = whiteoutOf(rel, e.name);
    if (whiteout) {
      if (e.type !== 'file') throw badArchive(`entry ${quote(e.name)}: a whiteout must be a regular file, not a ${e.type}`);
      if (whiteout.kind === 'opaque') {
        // Applies whatever its position in the tar: the directory keeps the mark even if its own
        // entry comes later (docs/layers.md, "Whiteouts").
        const dir = whiteout.dir === '.' ? this.root : this.ensureDir(whiteout.dir, e.name);
        dir.opaque = true;
      } else {
        const parent = this.parentDir(whiteout.target, e.name);
        this.clear(parent, whiteout.target, e.name);
        parent.children.set(baseOf(whiteout.target), { kind: 'whiteout' });
      }
      return;
    }
    const parent = this.parentDir(rel, e.name);
    const name = baseOf(rel);
    switch (e.type) {
      case 'dir': {
        const old = parent.children.get(name);
        let node: DirNode;
        if (old?.kind === 'dir') {
          node = old; // a repeated directory keeps its contents; its metadata is replaced
          this.out.op('M', this.fits(rel), e.mode & 0o7777, e.uid, e.gid);
        } else {
          this.clear(parent, rel, e.name);
          this.out.op('D', this.fits(rel), e.mode & 0o7777, e.uid, e.gid);
          node = newDir();
          parent.children.set(name, node);
        }
        node.mtime = [e.mtimeSec, e.mtimeNsec];
        node.xattrs = this.xattrs(e, 'dir');
        return;
      }
      case 'file': {
        const xattrs = this.xattrs(e, 'file');
        this.clear(parent, rel, e.name);
        await this.writeFile(rel, e, reader);
        parent.children.set(name, { kind: 'file', inode: { xattrs }, data: e.size > 0 });
        return;
      }
      case 'link':
        return this.hardLink(parent, rel, e);
      case 'symlink': {
        if (e.linkname === '') throw badArchive(`entry ${quote(e.name)}: symlink with an empty target`);
        if (e.linkname.length > this.limits.maxPathBytes) throw limitExceeded(`entry ${quote(e.name)}: symlink target longer than ${this.limits.maxPathBytes} bytes`);
        this.clear(parent, rel, e.name);
        // The target is stored, never resolved: what it points at only matters inside the container.
        this.out.op('S', this.fits(rel), e.linkname, e.uid, e.gid, e.mtimeSec, e.mtimeNsec);
        parent.children.set(name, { kind: 'symlink' });
        return;
      }
      case 'fifo':
        // Policy: a fifo is kept. It is harmless (a rendezvous point with no access to anything)
        // and some packages ship one. It is made in the final pass.
        this.clear(parent, rel, e.name);
        parent.children.set(name, { kind: 'fifo', mode: e.mode, uid: e.uid, gid: e.gid, mtime: [e.mtimeSec, e.mtimeNsec] });
        return;
      case 'chardev':
      case 'blockdev':
        // Policy: device nodes are kept, inert. A layer's character and block device nodes are
        // stored as they came (mode, owner, major:minor), so the root fs is faithful (a debootstrap
        // root has /dev/null, /dev/zero, /dev/ptmx, ...; Docker keeps them too), and they cannot
        // open anything: the store root is 0700, so no host user reaches them through the store's
        // files (moby CVE-2021-41091); the container's root fs is an overlay mounted nodev
        // (helper/runtime/native/rootfs.c), so opening one inside a container fails; the
        // container's /dev is a fresh tmpfs that the runtime fills itself, over the layer's /dev;
        // and containers have no CAP_MKNOD, so they cannot make others. A raw 0/0 character device
        // is still refused: overlayfs would read it as a whiteout (whiteout spoofing); a tar must
        // say .wh.name. Made in the final pass (the tool refuses a 0/0 device op too).
        if (e.type === 'chardev' && e.devmajor === 0 && e.devminor === 0) {
          throw badArchive(`entry ${quote(e.name)}: a raw 0/0 character device (an overlayfs whiteout) is not allowed in a tar; layers mark deletions with .wh. entries`);
        }
        if (e.devmajor < 0 || e.devminor < 0 || e.devmajor > DEV_MAJOR_MAX || e.devminor > DEV_MINOR_MAX) {
          throw badArchive(`entry ${quote(e.name)}: device number ${e.devmajor}:${e.devminor} is out of range (major 0-${DEV_MAJOR_MAX}, minor 0-${DEV_MINOR_MAX})`);
        }
        this.clear(parent, rel, e.name);
        parent.children.set(name, {
          kind: 'device',
          type: e.type,
          major: e.devmajor,
          minor: e.devminor,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: [e.mtimeSec, e.mtimeNsec],
        });
        return;
    }
  }

  private ensureDir(rel: string, name: string): DirNode {
    const parent = this.parentDir(rel, name);
    const node = parent.children.get(baseOf(rel));
    if (node?.kind === 'dir') return node;
    if (node !== undefined) throw badArchive(`entry ${quote(name)}: ${quote(rel)} is ${KIND_WORDS[node.kind]}, not a directory`);
    this.mkdirImplicit(rel);
    const made = newDir();
    parent.children.set(baseOf(rel), made);
    return made;
  }

  /** A parent the tar did not list: root-owned 0755 (whatever the umask), as tar and Docker make it. */
  private mkdirImplicit(rel: string): void {
    this.out.op('D', this.fits(rel), 0o755, AS_MADE, AS_MADE);
  }

  private rootEntry(e: TarEntry): void {
    // umoci: "refusing to change type of root". A file or link named '.' or '/' would replace the
    // layer directory itself.
    if (e.type !== 'dir') throw badArchive(`entry ${quote(e.name)}: refusing to change the type of the layer root (a ${e.type} named '.')`);
    this.out.op('M', '.', e.mode & 0o7777, e.uid, e.gid);
    this.root.mtime = [e.mtimeSec, e.mtimeNsec];
    this.root.xattrs = this.xattrs(e, 'dir');
  }

  private async writeFile(rel: string, e: TarEntry, reader: TarReader): Promise<void> {
    this.size += e.size;
    // The file's bytes are the next ones the reader hands out: the split refers to them by name.
    if (this.split && e.size > 0) this.split.beginFile(rel, e.size);
    if (reader.dataHeld) {
      // The native reader holds the data: its writer takes it, in order, without it coming here.
      reader.takeHeld();
      this.out.op('H', this.fits(rel), e.mode & 0o7777, e.uid, e.gid, e.mtimeSec, e.mtimeNsec, e.size);
      return;
    }
    this.out.op('F', this.fits(rel), e.mode & 0o7777, e.uid, e.gid, e.mtimeSec, e.mtimeNsec, e.size);
    if (e.size <= SMALL_FILE) {
      for (const part of await reader.readBody()) this.out.data(part);
      return;
    }
    // A big file streams through, each chunk written while the next is read and hashed.
    for await (const chunk of reader.body()) {
      this.out.data(chunk);
      await this.out.pace();
    }
  }

  private hardLink(parent: DirNode, rel: string, e: TarEntry): void {
    const target = layerPath(e.linkname, this.limits, `hard link ${quote(e.name)} ->`);
    const node = target === '.' ? this.root : this.lookup(target);
    const what = `hard link ${quote(e.name)} -> ${quote(e.linkname)}`;
    if (node === undefined) throw badArchive(`${what}: the target is not a file extracted earlier in this layer`);
    if (node.kind !== 'file') throw badArchive(`${what}: the target is ${KIND_WORDS[node.kind]}; hard links may only name regular files`);
    if (target === rel || target.startsWith(`${rel}/`)) throw badArchive(`${what}: the target is the entry itself, or inside what it replaces`);
    this.fits(target);
    this.clear(parent, rel, e.name);
    this.out.op('L', this.fits(rel), target);
    parent.children.set(baseOf(rel), { kind: 'file', inode: node.inode, data: false });
  }

  private xattrs(e: TarEntry, kind: EntryKind): Map<string, Buffer> | null {
    let kept: Map<string, Buffer> | null = null;
    for (const [name, value] of e.xattrs) {
      if (!xattrAllowed(name, kind)) continue; // trusted.overlay.*, security.selinux, ... dropped
      if (name.length > 255 || value.length > XATTR_VALUE_MAX) throw badArchive(`entry ${quote(e.name)}: xattr ${quote(name.slice(0, 60))} is too large`);
      if (name.includes('\0')) throw badArchive(`entry ${quote(e.name)}: a NUL byte in the name of xattr ${quote(name.replace(/\0/g, '\\0').slice(0, 60))}`);
      const problem = xattrValueProblem(name, value);
      if (problem) throw badArchive(`entry ${quote(e.name)}: ${problem}`);
      (kept ??= new Map()).set(name, value);
    }
    return kept;
  }

  /** The final pass, at the end of the same stream: whiteouts, fifos and devices, xattrs, then directory times. */
  finalOps(): void {
    const out = this.out;
    const setXattr = (rel: string, name: string, value: Buffer) => {
      out.op('X', rel, name, value.length);
      out.data(value);
    };
    const times: [string, [number, number]][] = [];
    const seen = new Set<Inode>();
    const visit = (dir: DirNode, path: string) => {
      for (const [name, node] of dir.children) {
        const rel = path === '.' ? name : `${path}/${name}`;
        if (node.kind === 'whiteout') out.op('W', rel);
        else if (node.kind === 'fifo') {
          out.op('P', rel, node.mode & 0o7777, node.uid, node.gid);
          out.op('T', rel, ...node.mtime);
        } else if (node.kind === 'device') {
          out.op('N', rel, node.type === 'chardev' ? 'c' : 'b', node.major, node.minor, node.mode & 0o7777, node.uid, node.gid);
          out.op('T', rel, ...node.mtime);
        } else if (node.kind === 'file' && node.inode.xattrs && !seen.has(node.inode)) {
          seen.add(node.inode);
          for (const [k, v] of node.inode.xattrs) setXattr(rel, k, v);
        } else if (node.kind === 'dir') visit(node, rel);
      }
      if (dir.opaque) setXattr(path, OPAQUE_XATTR, Buffer.from('y'));
      for (const [k, v] of dir.xattrs ?? []) setXattr(path, k, v);
      // Last of all, so that nothing created afterwards moves a directory's mtime.
      if (dir.mtime) times.push([path, dir.mtime]);
    };
    visit(this.root, '.');
    for (const [rel, t] of times) out.op('T', rel, ...t);
  }
}

/**
 * Who reads the tar and who writes the files: the native reader and writer (`strata-fs import`)
 * wherever it runs, reading an upload's raw socket itself when the tar is plain; else this
 * process's ByteReader and `strata-fs unpack`.
 */
async function openReader(input: NodeJS.ReadableStream, destDir: string, limits: ImportLimits, opts: ExtractOptions): Promise<{ bytes: TarBytes; out: LayerUnpacker | LayerImporter }> {
  const { signal } = opts;
  const native = (opts.reader ?? 'native') === 'native' && (await nativeImportAvailable());
  const socket = native && opts.rawSocket ? await opts.rawSocket() : null;
  if (socket && plainTar(socket.head)) {
    const { fd, more } = socket.take();
    const out = new LayerImporter(destDir, signal, { fd, max: limits.maxTotalBytes });
    const source = { kind: 'socket' as const, first: Buffer.concat([socket.head, more]), aborted: socket.aborted, ended: (total: number) => socket.ended(total), onProgress: opts.onProgress };
    return { out, bytes: new NativeTarBytes(source, out.io, limits.maxTotalBytes, signal, opts.tooLarge) };
  }
  socket?.giveBack();
  const chunks = await openInput(input, opts.onProgress, signal, limits.maxCompressionRatio);
  if (native) {
    const out = new LayerImporter(destDir, signal);
    return { out, bytes: new NativeTarBytes({ kind: 'pump', chunks }, out.io, limits.maxTotalBytes, signal, opts.tooLarge) };
  }
  return { out: new LayerUnpacker(destDir, signal), bytes: new ByteReader(chunks, limits.maxTotalBytes, signal, true, opts.tooLarge) };
}

/** Whether `head`, an upload's first bytes, starts a plain tar (not gzip or zstd, nor too short to tell). */
function plainTar(head: Buffer): boolean {
  if (head.length < MAGIC_BYTES) return false;
  try {
    return compressionOfMagic(head) === 'none';
  } catch {
    return false; // xz, bzip2: the stream path says what they are
  }
}

/** destDir must be an empty directory; if it does not exist yet it is made (its parent must exist). */
async function checkEmptyDir(dir: string): Promise<void> {
  let st = await fsp.lstat(dir).catch(() => null);
  if (st === null) {
    await fsp.mkdir(dir, { mode: 0o755 });
    st = await fsp.lstat(dir);
  }
  if (!st.isDirectory()) throw new StrataError(ErrorCode.InvalidParams, `extract: ${dir} is not a directory`);
  if ((await fsp.readdir(dir)).length) throw new StrataError(ErrorCode.InvalidParams, `extract: ${dir} is not empty (a layer is always extracted into its own empty directory)`);
}

/** An error that is not already Strata's (a failing input stream), with the entry it stopped at. */
function extractError(e: TarEntry | null, err: unknown): unknown {
  if (err instanceof StrataError) return err;
  const where = e ? `entry ${quote(e.name)}` : 'finishing the layer';
  return new StrataError(ErrorCode.Internal, `extract ${where}: ${(err as Error).message}`, { cause: err });
}

/**
 * Extracts a layer tar (plain or gzip) into `destDir`, which must exist and be empty, in overlayfs
 * upper-dir form: `.wh.name` becomes a 0/0 character device, `.wh..wh..opq` the opaque xattr.
 */
export async function extractLayer(input: NodeJS.ReadableStream, destDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const limits = resolveLimits(opts.limits);
  const { signal } = opts;
  await checkEmptyDir(destDir);
  let bytes: TarBytes | null = null;
  let current: TarEntry | null = null;
  let out: LayerUnpacker | LayerImporter | null = null;
  let split: TarSplitRecorder | null = null;
  let splitClosed: Promise<void> = Promise.resolve();
  const dropSplit = () => {
    if (bytes) bytes.tap = null;
    if (bytes instanceof NativeTarBytes) bytes.tapHeld = null;
    if (split) splitClosed = split.abort();
    split = null;
  };
  try {
    if (signal?.aborted) throw cancelled();
    ({ bytes, out } = await openReader(input, destDir, limits, opts));
    if (opts.tarSplit) {
      split = new TarSplitRecorder(opts.tarSplit);
      bytes.tap = split.tap;
      if (bytes instanceof NativeTarBytes) bytes.tapHeld = split.tapHeld;
    }
    const writer = out;
    // Held data nobody takes (a skipped entry's) is dropped by the tool's writer, in its turn.
    const reader = new TarReader(bytes, limits, (size, name) => writer.op('K', name, size));
    const x = new Extractor(destDir, limits, out, split, dropSplit);
    while ((current = await reader.next())) {
      if (signal?.aborted) throw cancelled();
      await x.entry(current, reader);
      await out.pace();
      await split?.pace();
    }
    current = null;
    await bytes.drain(); // padding after the end blocks is part of the stream, and of its digest
    x.finalOps();
    await out.finish();
    const diffId = bytes.digest();
    const result: ExtractResult = { diffId, size: x.size, entries: reader.count };
    if (!opts.tarSplit) return result;
    const uncovered = split ? await split.finish(bytes.total, diffId) : null;
    const unreproducible = x.unreproducible ?? (uncovered && `internal: ${uncovered}`);
    if (unreproducible) {
      dropSplit();
      await splitClosed;
      await fsp.rm(opts.tarSplit, { force: true });
      result.unreproducible = unreproducible;
    }
    return result;
  } catch (err) {
    // Nothing may still be writing when the caller gets the error and removes destDir.
    const toolFailure = await out?.abort();
    dropSplit();
    await splitClosed;
    bytes?.close();
    (input as { destroy?: () => void }).destroy?.();
    if (signal?.aborted) throw cancelled();
    throw toolFailure ?? extractError(current, err);
  }
}
