// The bridge to strata-xattr (helper/archive/native/, main.c): one process walks a whole tree
// with lstat + xattrs, or applies a whole batch of xattr/mknod/utimes operations. Node has no xattr
// or mknod API, and one process per file would cost milliseconds each.
import { execa } from 'execa';
import { nativeTool } from '../native';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'whiteout' | 'fifo' | 'chardev' | 'blockdev' | 'socket';

/**
 * Which xattrs a layer may carry. An allowlist, not a denylist: trusted.overlay.* in a tar would
 * change what overlayfs shows (an opaque, redirect or metacopy forged by the image author; umoci
 * TestOverlayXattrFilter), user.overlay.* plays the same role when overlayfs runs with `userxattr`,
 * security.selinux is the host's label, not the image's, and anything else trusted.* is for root
 * daemons on the host. Kept: file capabilities (ping, etc.), POSIX ACLs and user.* (the kernel allows
 * user.* only on regular files and directories, so it is dropped elsewhere instead of failing).
 */
export function xattrAllowed(name: string, kind: EntryKind): boolean {
  if (name === 'security.capability') return kind === 'file';
  if (name === 'system.posix_acl_access') return kind === 'file' || kind === 'dir';
  if (name === 'system.posix_acl_default') return kind === 'dir';
  if (name.startsWith('user.')) return !name.startsWith('user.overlay.') && (kind === 'file' || kind === 'dir');
  return false;
}

/**
 * An upper dir is the whole diff only when overlayfs ran with redirect_dir=off and metacopy=off
 * (docs/layers.md, "Commit"): a redirect or a metacopy-only file points into a lower layer, and copying or
 * packing the upper dir alone would lose what it points at. Refuse rather than write a wrong layer.
 */
export function checkFaithful(e: WalkEntry): void {
  for (const name of e.xattrs.keys()) {
    if (name === 'trusted.overlay.redirect' || name === 'trusted.overlay.metacopy') {
      throw new StrataError(
        ErrorCode.Internal,
        `"${Buffer.from(e.path, 'latin1').toString('utf8')}" carries ${name}: the layer is not a faithful diff (the overlay must be mounted with redirect_dir=off,metacopy=off)`,
      );
    }
  }
}

/**
 * An opaque directory: overlayfs shows none of the same-named directories below it (its
 * trusted.overlay.opaque=y, what a tar's `.wh..wh..opq` becomes; notes/layers.md). The one test
 * for it, used by the change list, the merged-file reader and the packer.
 */
export function isOpaqueDir(e: WalkEntry): boolean {
  return e.kind === 'dir' && e.xattrs.size > 0 && e.xattrs.get(OPAQUE_XATTR)?.toString('latin1') === 'y';
}

export function kindOfMode(mode: number, rdevMajor: number, rdevMinor: number): EntryKind {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return rdevMajor === 0 && rdevMinor === 0 ? 'whiteout' : 'chardev';
    case 0o060000:
      return 'blockdev';
    case 0o010000:
      return 'fifo';
    default:
      return 'socket';
  }
}

export interface WalkEntry {
  /** Binary (latin1) path relative to the walked dir; '.' is the dir itself. */
  path: string;
  kind: EntryKind;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  nlink: number;
  ino: number;
  /** A device node's major and minor numbers (0 for anything else). */
  rdevMajor: number;
  rdevMinor: number;
  /** A symlink's target (binary string); '' for anything else. */
  linkTarget: string;
  /** Every xattr on the entry, unfiltered (name -> raw value). */
  xattrs: Map<string, Buffer>;
}

function toolError(what: string, err: unknown): StrataError {
  const stderr = (err as { stderr?: unknown }).stderr;
  const detail = stderr instanceof Uint8Array ? Buffer.from(stderr).toString('utf8').trim() : '';
  const msg = detail || (err instanceof Error ? err.message : String(err));
  if ((err as { isCanceled?: boolean }).isCanceled) return new StrataError(ErrorCode.Cancelled, `${what}: cancelled`, { cause: err });
  return new StrataError(ErrorCode.Internal, `${what}: ${msg}`, { cause: err });
}

/** The bytes of the regular files under `dir` (each inode once: hard links are one file). */
export async function filesSize(dir: string): Promise<number> {
  const seen = new Set<number>();
  let size = 0;
  for (const e of await walkTree(dir)) {
    if (e.kind !== 'file' || (e.nlink > 1 && seen.has(e.ino))) continue;
    seen.add(e.ino);
    size += e.size;
  }
  return size;
}

/** Every entry under `dir` (dir itself first as '.'), in directory order, symlinks not followed. */
export async function walkTree(dir: string, signal?: AbortSignal): Promise<WalkEntry[]> {
  let out: Buffer;
  try {
    const r = await execa(nativeTool('strata-xattr'), ['walk', dir], {
      encoding: 'buffer',
      maxBuffer: 2 ** 31 - 1,
      stripFinalNewline: false,
      cancelSignal: signal,
    });
    out = Buffer.from(r.stdout);
  } catch (err) {
    throw toolError(`reading ${dir}`, err);
  }
  return parseWalk(out) as WalkEntry[];
}

/**
 * The entries at `paths` (binary, relative to `dir`), as walkTree would report them; null where
 * nothing is there, or where a parent is missing or is not a directory (a symlink parent is not
 * followed). One process for all the paths.
 */
export async function statPaths(dir: string, paths: string[], signal?: AbortSignal): Promise<Map<string, WalkEntry | null>> {
  const found = new Map<string, WalkEntry | null>();
  if (paths.length === 0) return found;
  let out: Buffer;
  try {
    const input = Buffer.concat(paths.flatMap((p) => [Buffer.from(p, 'latin1'), ZERO]));
    const r = await execa(nativeTool('strata-xattr'), ['stat', dir], { input, encoding: 'buffer', maxBuffer: 2 ** 31 - 1, stripFinalNewline: false, cancelSignal: signal });
    out = Buffer.from(r.stdout);
  } catch (err) {
    throw toolError(`reading ${dir}`, err);
  }
  for (const e of parseWalk(out, true)) found.set(e.path, e.kind === null ? null : (e as WalkEntry));
  return found;
}

/**
 * The entries directly in each directory of `dirs` (binary, relative to `dir`; '.' is `dir`), as
 * walkTree reports them; nothing for a path that is not a directory there (missing, another kind,
 * or reached through a symlink). One process for all the directories.
 */
export async function listDirs(dir: string, dirs: string[], signal?: AbortSignal): Promise<WalkEntry[]> {
  if (dirs.length === 0) return [];
  let out: Buffer;
  try {
    const input = Buffer.concat(dirs.flatMap((p) => [Buffer.from(p, 'latin1'), ZERO]));
    const r = await execa(nativeTool('strata-xattr'), ['list', dir], { input, encoding: 'buffer', maxBuffer: 2 ** 31 - 1, stripFinalNewline: false, cancelSignal: signal });
    out = Buffer.from(r.stdout);
  } catch (err) {
    throw toolError(`reading ${dir}`, err);
  }
  return parseWalk(out) as WalkEntry[];
}

export function parseWalk(out: Buffer, allowMissing = false): (WalkEntry | { path: string; kind: null })[] {
  const entries: (WalkEntry | { path: string; kind: null })[] = [];
  let pos = 0;
  const field = (): string => {
    const end = out.indexOf(0, pos);
    if (end < 0) throw new StrataError(ErrorCode.Internal, 'strata-xattr walk: truncated output');
    const s = out.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  while (pos < out.length) {
    const path = field();
    const fields = field();
    if (allowMissing && fields === '-') {
      entries.push({ path, kind: null });
      continue;
    }
    const n = fields.split(' ').map(Number);
    const [mode, uid, gid, size, mtimeSec, mtimeNsec, nlink, ino, major, minor, count] = n;
    const kind = kindOfMode(mode, major, minor);
    const linkTarget = kind === 'symlink' ? field() : '';
    const xattrs = new Map<string, Buffer>();
    for (let i = 0; i < count; i++) {
      const name = field();
      xattrs.set(name, Buffer.from(field(), 'hex'));
    }
    entries.push({ path, kind, linkTarget, mode, uid, gid, size, mtimeSec, mtimeNsec, nlink, ino, rdevMajor: major, rdevMinor: minor, xattrs });
  }
  return entries;
}

/**
 * The contents of the given regular files, back to back, read by one strata-xattr process. Each
 * must still be a regular file of the given size, or the tool fails naming it (`done` rejects).
 */
export function catFiles(dir: string, files: { path: string; size: number }[]): { chunks: AsyncIterator<Buffer>; done: Promise<void>; stop: () => void } {
  const input = Buffer.concat(files.flatMap((f) => [Buffer.from(f.path, 'latin1'), ZERO, Buffer.from(String(f.size)), ZERO]));
  const proc = execa(nativeTool('strata-xattr'), ['cat', dir], { input, buffer: { stdout: false, stderr: true }, encoding: 'buffer', stripFinalNewline: false });
  const done = proc.then(
    () => undefined,
    (err: unknown) => {
      throw toolError(`reading ${dir}`, err);
    },
  );
  done.catch(() => undefined); // observed by the caller; never an unhandled rejection
  const stream = proc.stdout as NodeJS.ReadableStream;
  return { chunks: stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, done, stop: () => proc.kill() };
}

/**
 * Operations collected while extracting or copying, run by one strata-xattr process at the end.
 * Paths are binary layer-relative paths; the tool resolves them beneath the root with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so even a wrong path here cannot reach outside it.
 */
export class OpBatch {
  private readonly parts: Buffer[] = [];
  private count = 0;

  private push(...fields: (string | Buffer)[]): void {
    for (const f of fields) this.parts.push(typeof f === 'string' ? Buffer.from(f, 'latin1') : f, ZERO);
    this.count++;
  }

  setXattr(path: string, name: string, value: Buffer): void {
    this.push('x', path, name, value.toString('hex'));
  }

  removeXattr(path: string, name: string): void {
    this.push('r', path, name);
  }

  /** A 0/0 character device: an overlayfs whiteout. */
  whiteout(path: string): void {
    this.push('w', path);
  }

  fifo(path: string, mode: number, uid: number, gid: number): void {
    this.push('f', path, String(mode & 0o7777), String(uid), String(gid));
  }

  /** A character or block device node (never 0/0 character: that is whiteout(); the tool refuses it). */
  device(path: string, type: 'chardev' | 'blockdev', major: number, minor: number, mode: number, uid: number, gid: number): void {
    this.push('d', path, type === 'chardev' ? 'c' : 'b', String(major), String(minor), String(mode & 0o7777), String(uid), String(gid));
  }

  times(path: string, sec: number, nsec: number): void {
    this.push('t', path, String(sec), String(nsec));
  }

  get size(): number {
    return this.count;
  }

  async run(dir: string, signal?: AbortSignal): Promise<void> {
    if (this.count === 0) return;
    try {
      await execa(nativeTool('strata-xattr'), ['apply', dir], { input: Buffer.concat(this.parts), cancelSignal: signal });
    } catch (err) {
      throw toolError(`writing metadata in ${dir}`, err);
    }
  }
}

const ZERO = Buffer.alloc(1);
