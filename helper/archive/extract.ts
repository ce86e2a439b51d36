// Safe extraction of one layer tar into an empty directory, in overlayfs upper-dir form.
//
// The helper runs as root and the tar is hostile until proven otherwise (notes/security.md,
// "Importing a tar"). The defences, in the order an entry meets them:
//  - input.ts: gzip by magic bytes; the uncompressed stream is hashed (diff_id) and capped.
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
//    TestUntarHardlinkToSymlink). The final metadata pass (whiteouts, fifos, device nodes, xattrs,
//    directory times) runs in strata-xattr, which opens every parent with
//    RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS.
// On any error the partial destDir is left for the caller to delete: the caller extracts into a
// directory under the store's tmp/ and renames it into place only on success.
import { constants as C, promises as fsp } from 'node:fs';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { layerPath, whiteoutOf } from './entry-name';
import { absPath, baseOf, quote, rootBytes } from './fspath';
import { ByteReader, cancelled, openInput } from './input';
import { badArchive, limitExceeded, resolveLimits, type ImportLimits } from './limits';
import { TarReader, type TarEntry } from './tar-reader';
import { WriteQueue } from './write-queue';
import { OpBatch, OPAQUE_XATTR, xattrAllowed, type EntryKind } from './xattr';

export interface ExtractResult {
  /** 'sha256:<hex>' of the uncompressed tar bytes exactly as streamed. */
  diffId: string;
  /** Sum of the sizes of the regular files written (a hard link counts once). */
  size: number;
  /** Entries in the tar (not counting PAX/GNU meta headers). */
  entries: number;
}

export interface ExtractOptions {
  limits?: Partial<ImportLimits>;
  signal?: AbortSignal;
  /** Bytes read from `input` so far (compressed bytes for a .tar.gz). */
  onProgress?: (bytesRead: number) => void;
}

// What this extraction has made, by path. Only directories have children; a file's xattrs live on
// its inode record so that hard links share them.
interface Inode {
  xattrs: Map<string, Buffer> | null;
}
type Node =
  | { kind: 'dir'; children: Map<string, Node>; opaque: boolean; mtime: [number, number] | null; xattrs: Map<string, Buffer> | null }
  | { kind: 'file'; inode: Inode }
  | { kind: 'symlink' }
  | { kind: 'whiteout' }
  | { kind: 'fifo'; mode: number; uid: number; gid: number; mtime: [number, number] }
  | { kind: 'device'; type: 'chardev' | 'blockdev'; major: number; minor: number; mode: number; uid: number; gid: number; mtime: [number, number] };
type DirNode = Extract<Node, { kind: 'dir' }>;

const PATH_MAX = 4096;
const SMALL_FILE = 1 << 20;
const XATTR_VALUE_MAX = 65536;
const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW; // libuv adds O_CLOEXEC

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

class Extractor {
  readonly root: DirNode = newDir();
  readonly queue = new WriteQueue();
  private readonly rootBuf: Buffer;
  size = 0;

  constructor(
    private readonly dest: string,
    private readonly limits: ImportLimits,
  ) {
    this.rootBuf = rootBytes(dest);
  }

  abs(rel: string): Buffer {
    const p = absPath(this.rootBuf, rel);
    if (p.length >= PATH_MAX) throw limitExceeded(`entry ${quote(rel.slice(0, 80))}...: the full path is longer than PATH_MAX (${PATH_MAX})`);
    return p;
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
  private async parentDir(rel: string, name: string): Promise<DirNode> {
    let dir = this.root;
    const parts = rel.split('/');
    let path = '.';
    for (let i = 0; i < parts.length - 1; i++) {
      path = i === 0 ? parts[0] : `${path}/${parts[i]}`;
      const next = dir.children.get(parts[i]);
      if (next === undefined) {
        await this.mkdirImplicit(path);
        const made = newDir();
        dir.children.set(parts[i], made);
        dir = made;
      } else if (next.kind === 'dir') {
        dir = next;
      } else {
        // The heart of the symlink defence: never create anything through a non-directory.
        throw badArchive(`entry ${quote(name)}: its parent ${quote(path)} is ${KIND_WORDS[next.kind]} in this layer; refusing to write through it`);
      }
    }
    return dir;
  }

  /** Removes whatever an earlier entry put at rel (later duplicates replace earlier ones). */
  private async clear(dir: DirNode, rel: string): Promise<void> {
    const old = dir.children.get(baseOf(rel));
    if (old === undefined) return;
    dir.children.delete(baseOf(rel));
    // Whiteouts, fifos and device nodes are only made at the end, so there is nothing on disk yet.
    // Background writes finish first: the one at this path, or all of them before a directory goes.
    if (old.kind === 'dir') {
      await this.queue.drain();
      await fsp.rm(this.abs(rel), { recursive: true });
    } else if (old.kind === 'file' || old.kind === 'symlink') {
      await this.queue.settle(rel);
      await fsp.unlink(this.abs(rel));
    }
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
        // entry comes later (notes/layers.md).
        const dir = whiteout.dir === '.' ? this.root : await this.ensureDir(whiteout.dir, e.name);
        dir.opaque = true;
      } else {
        const parent = await this.parentDir(whiteout.target, e.name);
        await this.clear(parent, whiteout.target);
        parent.children.set(baseOf(whiteout.target), { kind: 'whiteout' });
      }
      return;
    }
    const parent = await this.parentDir(rel, e.name);
    const name = baseOf(rel);
    switch (e.type) {
      case 'dir': {
        const old = parent.children.get(name);
        let node: DirNode;
        if (old?.kind === 'dir') {
          node = old; // a repeated directory keeps its contents; its metadata is replaced
        } else {
          await this.clear(parent, rel);
          await fsp.mkdir(this.abs(rel), { mode: 0o700 });
          node = newDir();
          parent.children.set(name, node);
        }
        await fsp.lchown(this.abs(rel), e.uid, e.gid);
        await fsp.chmod(this.abs(rel), e.mode & 0o7777);
        node.mtime = [e.mtimeSec, e.mtimeNsec];
        node.xattrs = this.xattrs(e, 'dir');
        return;
      }
      case 'file':
        await this.clear(parent, rel);
        await this.writeFile(rel, e, reader);
        parent.children.set(name, { kind: 'file', inode: { xattrs: this.xattrs(e, 'file') } });
        return;
      case 'link':
        return this.hardLink(parent, rel, e);
      case 'symlink': {
        if (e.linkname === '') throw badArchive(`entry ${quote(e.name)}: symlink with an empty target`);
        if (e.linkname.length > this.limits.maxPathBytes) throw limitExceeded(`entry ${quote(e.name)}: symlink target longer than ${this.limits.maxPathBytes} bytes`);
        await this.clear(parent, rel);
        const p = this.abs(rel);
        parent.children.set(name, { kind: 'symlink' });
        // The target is stored, never resolved: what it points at only matters inside the container.
        return this.queue.add(rel, 0, async () => {
          try {
            await fsp.symlink(Buffer.from(e.linkname, 'latin1'), p);
            await fsp.lchown(p, e.uid, e.gid);
            await fsp.lutimes(p, time(e), time(e));
          } catch (err) {
            throw fsError(e, err);
          }
        });
      }
      case 'fifo':
        // Policy: a fifo is kept. It is harmless (a rendezvous point with no access to anything)
        // and some packages ship one. It is made in the final pass, by strata-xattr (Node has no mkfifo).
        await this.clear(parent, rel);
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
        // say .wh.name. Made in the final pass, by strata-xattr (Node has no mknod).
        if (e.type === 'chardev' && e.devmajor === 0 && e.devminor === 0) {
          throw badArchive(`entry ${quote(e.name)}: a raw 0/0 character device (an overlayfs whiteout) is not allowed in a tar; layers mark deletions with .wh. entries`);
        }
        if (e.devmajor < 0 || e.devminor < 0 || e.devmajor > DEV_MAJOR_MAX || e.devminor > DEV_MINOR_MAX) {
          throw badArchive(`entry ${quote(e.name)}: device number ${e.devmajor}:${e.devminor} is out of range (major 0-${DEV_MAJOR_MAX}, minor 0-${DEV_MINOR_MAX})`);
        }
        await this.clear(parent, rel);
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

  private async ensureDir(rel: string, name: string): Promise<DirNode> {
    const parent = await this.parentDir(rel, name);
    const node = parent.children.get(baseOf(rel));
    if (node?.kind === 'dir') return node;
    if (node !== undefined) throw badArchive(`entry ${quote(name)}: ${quote(rel)} is ${KIND_WORDS[node.kind]}, not a directory`);
    await this.mkdirImplicit(rel);
    const made = newDir();
    parent.children.set(baseOf(rel), made);
    return made;
  }

  /** A parent the tar did not list: root-owned 0755 (whatever the umask), as tar and Docker make it. */
  private async mkdirImplicit(rel: string): Promise<void> {
    await fsp.mkdir(this.abs(rel));
    await fsp.chmod(this.abs(rel), 0o755);
  }

  private async rootEntry(e: TarEntry): Promise<void> {
    // umoci: "refusing to change type of root". A file or link named '.' or '/' would replace the
    // layer directory itself.
    if (e.type !== 'dir') throw badArchive(`entry ${quote(e.name)}: refusing to change the type of the layer root (a ${e.type} named '.')`);
    await fsp.chown(this.rootBuf, e.uid, e.gid);
    await fsp.chmod(this.rootBuf, e.mode & 0o7777);
    this.root.mtime = [e.mtimeSec, e.mtimeNsec];
    this.root.xattrs = this.xattrs(e, 'dir');
  }

  private async writeFile(rel: string, e: TarEntry, reader: TarReader): Promise<void> {
    const p = this.abs(rel);
    this.size += e.size;
    if (e.size <= SMALL_FILE) {
      const data = await reader.readBody();
      return this.queue.add(rel, data.length, () => createFile(p, e, async (fh) => writeAll(fh, data)).catch((err) => Promise.reject(fsError(e, err))));
    }
    // A big file is written in the foreground, each chunk while the next is read and hashed.
    await createFile(p, e, async (fh) => {
      let previous: Promise<void> = Promise.resolve();
      for await (const chunk of reader.body()) {
        await previous;
        previous = writeAll(fh, chunk);
      }
      await previous;
    });
  }

  private async hardLink(parent: DirNode, rel: string, e: TarEntry): Promise<void> {
    const target = layerPath(e.linkname, this.limits, `hard link ${quote(e.name)} ->`);
    const node = target === '.' ? this.root : this.lookup(target);
    const what = `hard link ${quote(e.name)} -> ${quote(e.linkname)}`;
    if (node === undefined) throw badArchive(`${what}: the target is not a file extracted earlier in this layer`);
    if (node.kind !== 'file') throw badArchive(`${what}: the target is ${KIND_WORDS[node.kind]}; hard links may only name regular files`);
    if (target === rel || target.startsWith(`${rel}/`)) throw badArchive(`${what}: the target is the entry itself, or inside what it replaces`);
    await this.queue.settle(target);
    await this.clear(parent, rel);
    await fsp.link(this.abs(target), this.abs(rel));
    parent.children.set(baseOf(rel), { kind: 'file', inode: node.inode });
  }

  private xattrs(e: TarEntry, kind: EntryKind): Map<string, Buffer> | null {
    let kept: Map<string, Buffer> | null = null;
    for (const [name, value] of e.xattrs) {
      if (!xattrAllowed(name, kind)) continue; // trusted.overlay.*, security.selinux, ... dropped
      if (name.length > 255 || value.length > XATTR_VALUE_MAX) throw badArchive(`entry ${quote(e.name)}: xattr ${quote(name.slice(0, 60))} is too large`);
      (kept ??= new Map()).set(name, value);
    }
    return kept;
  }

  /** The final pass, in one strata-xattr process: whiteouts, fifos and devices, xattrs, then directory times. */
  finalOps(): OpBatch {
    const batch = new OpBatch();
    const times: [string, [number, number]][] = [];
    const seen = new Set<Inode>();
    const visit = (dir: DirNode, path: string) => {
      for (const [name, node] of dir.children) {
        const rel = path === '.' ? name : `${path}/${name}`;
        if (node.kind === 'whiteout') batch.whiteout(rel);
        else if (node.kind === 'fifo') {
          batch.fifo(rel, node.mode, node.uid, node.gid);
          batch.times(rel, ...node.mtime);
        } else if (node.kind === 'device') {
          batch.device(rel, node.type, node.major, node.minor, node.mode, node.uid, node.gid);
          batch.times(rel, ...node.mtime);
        } else if (node.kind === 'file' && node.inode.xattrs && !seen.has(node.inode)) {
          seen.add(node.inode);
          for (const [k, v] of node.inode.xattrs) batch.setXattr(rel, k, v);
        } else if (node.kind === 'dir') visit(node, rel);
      }
      if (dir.opaque) batch.setXattr(path, OPAQUE_XATTR, Buffer.from('y'));
      for (const [k, v] of dir.xattrs ?? []) batch.setXattr(path, k, v);
      // Last of all, so that nothing created afterwards moves a directory's mtime.
      if (dir.mtime) times.push([path, dir.mtime]);
    };
    visit(this.root, '.');
    for (const [rel, t] of times) batch.times(rel, ...t);
    return batch;
  }
}

/** Creates a regular file (never through a symlink, never over an existing entry) and sets its metadata. */
async function createFile(path: Buffer, e: TarEntry, write: (fh: fsp.FileHandle) => Promise<void>): Promise<void> {
  const fh = await fsp.open(path, CREATE_FLAGS, 0o600);
  try {
    await write(fh);
    // chown before chmod: chown clears the setuid and setgid bits.
    await fh.chown(e.uid, e.gid);
    await fh.chmod(e.mode & 0o7777);
    await fh.utimes(time(e), time(e));
  } finally {
    await fh.close();
  }
}

function time(e: TarEntry): number {
  return e.mtimeSec + e.mtimeNsec / 1e9;
}

async function writeAll(fh: fsp.FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
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

function fsError(e: TarEntry | null, err: unknown): unknown {
  if (err instanceof StrataError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const where = e ? `entry ${quote(e.name)}` : 'finishing the layer';
  if (code === 'ENAMETOOLONG') return limitExceeded(`${where}: name too long for the file system`);
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
  let bytes: ByteReader | null = null;
  let current: TarEntry | null = null;
  let x: Extractor | null = null;
  try {
    if (signal?.aborted) throw cancelled();
    bytes = new ByteReader(await openInput(input, opts.onProgress, signal), limits.maxTotalBytes, signal);
    const reader = new TarReader(bytes, limits);
    x = new Extractor(destDir, limits);
    while ((current = await reader.next())) {
      if (signal?.aborted) throw cancelled();
      x.queue.check();
      await x.entry(current, reader);
    }
    current = null;
    await bytes.drain(); // padding after the end blocks is part of the stream, and of its digest
    await x.queue.drain();
    await x.finalOps().run(destDir, signal);
    return { diffId: bytes.digest(), size: x.size, entries: reader.count };
  } catch (err) {
    // Nothing may still be writing when the caller gets the error and removes destDir.
    await x?.queue.quiesce();
    bytes?.close();
    (input as { destroy?: () => void }).destroy?.();
    if (signal?.aborted) throw cancelled();
    throw fsError(current, err);
  }
}

