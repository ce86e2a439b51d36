// The bridge to strata-fs (helper/archive/native/): one process walks a whole tree with lstat and
// xattrs, stats a batch of paths, or reads a batch of files, each resolved beneath the tree's root
// with openat2 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). Node has no xattr API, and one process per
// file would cost milliseconds each. (What the tool writes, it is told through op-stream.ts.)
import { execa } from 'execa';
import { nativeTool } from '../native';
import { fsRequest, type FsCommand } from './fs-server';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'whiteout' | 'fifo' | 'chardev' | 'blockdev' | 'socket';

function kindOfMode(mode: number, rdevMajor: number, rdevMinor: number): EntryKind {
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
  xattrs: ReadonlyMap<string, Buffer>;
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
  return parseWalk(await served('walk', dir, Buffer.alloc(0), signal)) as WalkEntry[];
}

/** A walk, stat or list by a `strata-fs serve` process (fs-server.ts), its errors made Strata's. */
async function served(command: FsCommand, dir: string, payload: Buffer, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await fsRequest(command, dir, payload, signal);
  } catch (err) {
    if (signal?.aborted) throw new StrataError(ErrorCode.Cancelled, `reading ${dir}: cancelled`, { cause: err });
    throw new StrataError(ErrorCode.Internal, `reading ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The entries at `paths` (binary, relative to `dir`), as walkTree would report them; null where
 * nothing is there, or where a parent is missing or is not a directory (a symlink parent is not
 * followed). One process for all the paths.
 */
export async function statPaths(dir: string, paths: string[], signal?: AbortSignal): Promise<Map<string, WalkEntry | null>> {
  const found = new Map<string, WalkEntry | null>();
  if (paths.length === 0) return found;
  for (const e of parseWalk(await runOnPaths('stat', dir, paths, signal), true)) found.set(e.path, e.kind === null ? null : (e as WalkEntry));
  return found;
}

/**
 * The entries directly in each directory of `dirs` (binary, relative to `dir`; '.' is `dir`), as
 * walkTree reports them; nothing for a path that is not a directory there (missing, another kind,
 * or reached through a symlink). One process for all the directories.
 */
export async function listDirs(dir: string, dirs: string[], signal?: AbortSignal): Promise<WalkEntry[]> {
  if (dirs.length === 0) return [];
  return parseWalk(await runOnPaths('list', dir, dirs, signal)) as WalkEntry[];
}

/** `strata-fs COMMAND DIR` fed the NUL-terminated paths; its output. */
function runOnPaths(command: 'stat' | 'list', dir: string, paths: string[], signal?: AbortSignal): Promise<Buffer> {
  return served(command, dir, Buffer.concat(paths.flatMap((p) => [Buffer.from(p, 'latin1'), ZERO])), signal);
}

/**
 * What a layer's changes read (`strata-fs changes`, native/changes.c): the walk of `upper`, and for
 * each of `lowers` (top-most first) the entries it has at the upper's paths, as statPaths finds
 * them (a path missing there is not in its map). An upper entry that no lower has, and that is not
 * a directory or a character device, is known only by its kind (KIND_ONLY): it can only be added.
 */
export async function walkWithLowers(upper: string, lowers: string[]): Promise<{ upper: WalkEntry[]; lowers: Map<string, WalkEntry>[] }> {
  const out = await served('changes', upper, Buffer.concat(lowers.flatMap((p) => [Buffer.from(p, 'latin1'), ZERO])));
  let pos = 0;
  const next = (): number => {
    const end = out.indexOf(0, pos);
    if (end < 0) throw new StrataError(ErrorCode.Internal, 'strata-fs changes: truncated output');
    const n = Number(out.toString('latin1', pos, end));
    pos = end + 1;
    return n;
  };
  const count = next();
  if (count !== lowers.length + 1) throw new StrataError(ErrorCode.Internal, `strata-fs changes: ${count} blocks for ${lowers.length + 1} trees`);
  const lengths = Array.from({ length: count }, next);
  const blocks = lengths.map((n) => out.subarray(pos, (pos += n)));
  if (pos !== out.length) throw new StrataError(ErrorCode.Internal, 'strata-fs changes: an answer of the wrong length');
  return {
    upper: parseWalk(blocks[0]) as WalkEntry[],
    lowers: blocks.slice(1).map((b) => new Map((parseWalk(b) as WalkEntry[]).map((e) => [e.path, e]))),
  };
}

/** An entry read by kind only (walkWithLowers): its metadata is not known; only its kind, path and mode's type bits are. */
export const KIND_ONLY = -1;
const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();

const TYPE_BITS: Record<EntryKind, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000, whiteout: 0o020000, chardev: 0o020000, blockdev: 0o060000, fifo: 0o010000, socket: 0o140000 };

/**
 * A WalkEntry read by kind only: its path and kind are its own, everything else (KIND_ONLY) is on
 * the prototype. Nearly every entry of a large new layer is one: 100,000 of them took 17 MB as
 * fourteen-field objects, 4 MB as two-field ones.
 */
class KindOnlyEntry {
  declare readonly uid: number;
  declare readonly gid: number;
  declare readonly size: number;
  declare readonly mtimeSec: number;
  declare readonly mtimeNsec: number;
  declare readonly nlink: number;
  declare readonly ino: number;
  declare readonly rdevMajor: number;
  declare readonly rdevMinor: number;
  declare readonly linkTarget: string;
  declare readonly xattrs: ReadonlyMap<string, Buffer>;
  constructor(readonly path: string, readonly kind: EntryKind) {}
  get mode(): number {
    return TYPE_BITS[this.kind];
  }
}
Object.assign(KindOnlyEntry.prototype, { uid: KIND_ONLY, gid: KIND_ONLY, size: KIND_ONLY, mtimeSec: KIND_ONLY, mtimeNsec: KIND_ONLY, nlink: KIND_ONLY, ino: KIND_ONLY, rdevMajor: 0, rdevMinor: 0, linkTarget: '', xattrs: NO_XATTRS });

export function parseWalk(out: Buffer, allowMissing = false): (WalkEntry | { path: string; kind: null })[] {
  const entries: (WalkEntry | { path: string; kind: null })[] = [];
  let pos = 0;
  const field = (): string => {
    const end = out.indexOf(0, pos);
    if (end < 0) throw new StrataError(ErrorCode.Internal, 'strata-fs walk: truncated output');
    const s = out.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  /** The record's eleven decimal numbers, read in place (a 100,000-entry walk made 1.1 million
   *  strings and arrays with toString, split and map: a fifth of the walk's time, and its GC). */
  const numbers = new Array<number>(11);
  const readNumbers = (): boolean => {
    if (out[pos] === 0x2d /* '-' */ && out[pos + 1] === 0) {
      pos += 2;
      return false;
    }
    let i = 0;
    let v = 0;
    for (;;) {
      const c = out[pos++];
      if (c === 0x20 || c === 0) {
        numbers[i++] = v;
        v = 0;
        if (c === 0) break;
      } else if (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
      } else {
        throw new StrataError(ErrorCode.Internal, 'strata-fs walk: a record that is not numbers');
      }
    }
    if (i !== 11) throw new StrataError(ErrorCode.Internal, 'strata-fs walk: a record without its 11 numbers');
    return true;
  };
  /** A kind-only record's mode, read in place (no string for each of 100,000 entries). */
  const readMode = (): number => {
    let v = 0;
    for (let c = out[pos++]; c !== 0; c = out[pos++]) {
      if (c === undefined || c < 0x30 || c > 0x39) throw new StrataError(ErrorCode.Internal, 'strata-fs walk: a mode that is not a number');
      v = v * 10 + (c - 0x30);
    }
    return v;
  };
  while (pos < out.length) {
    const path = field();
    if (out[pos] === 0x2b /* '+': known by kind only */) {
      pos++;
      entries.push(new KindOnlyEntry(path, kindOfMode(readMode(), 0, 0)));
      continue;
    }
    if (!readNumbers()) {
      if (!allowMissing) throw new StrataError(ErrorCode.Internal, 'strata-fs walk: an entry that is not there');
      entries.push({ path, kind: null });
      continue;
    }
    const [mode, uid, gid, size, mtimeSec, mtimeNsec, nlink, ino, major, minor, count] = numbers;
    const kind = kindOfMode(mode, major, minor);
    const linkTarget = kind === 'symlink' ? field() : '';
    // Most entries have no xattr: they share one empty map (a map each was a third of the memory).
    let xattrs: ReadonlyMap<string, Buffer> = NO_XATTRS;
    if (count > 0) {
      const own = new Map<string, Buffer>();
      for (let i = 0; i < count; i++) {
        const name = field();
        own.set(name, Buffer.from(field(), 'hex'));
      }
      xattrs = own;
    }
    entries.push({ path, kind, linkTarget, mode, uid, gid, size, mtimeSec, mtimeNsec, nlink, ino, rdevMajor: major, rdevMinor: minor, xattrs });
  }
  return entries;
}

/** The most bytes readSmallFiles asks a server for: an answer is held whole in memory (twice). */
export const SMALL_READ_MAX = 8 * 1024 * 1024;

/**
 * The contents of the given regular files (SMALL_READ_MAX bytes in all at most), back to back, read
 * by a strata-fs server (no process started: the diff editor reads two small files per click).
 * Each must still be a regular file of the given size, or it fails naming it, as catFiles does.
 */
export async function readSmallFiles(dir: string, files: { path: string; size: number }[]): Promise<Buffer> {
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > SMALL_READ_MAX) throw new StrataError(ErrorCode.Internal, `readSmallFiles: ${total} bytes is more than ${SMALL_READ_MAX}`);
  const out = await served('cat', dir, Buffer.concat(files.flatMap((f) => [Buffer.from(f.path, 'latin1'), ZERO, Buffer.from(String(f.size)), ZERO])));
  if (out.length !== total) throw new StrataError(ErrorCode.Internal, `reading ${dir}: ${out.length} bytes where ${total} were asked for`);
  return out;
}

/**
 * The contents of the given regular files, back to back, read by one strata-fs process. Each
 * must still be a regular file of the given size, or the tool fails naming it (`done` rejects).
 * `stop` ends it early; `done` then resolves unless the tool had already failed by itself (once
 * its output has ended, it has: its exit status can no longer be a kill's).
 */
export function catFiles(dir: string, files: { path: string; size: number }[]): { chunks: AsyncIterator<Buffer>; done: Promise<void>; stop: () => void } {
  const input = Buffer.concat(files.flatMap((f) => [Buffer.from(f.path, 'latin1'), ZERO, Buffer.from(String(f.size)), ZERO]));
  const proc = execa(nativeTool('strata-fs'), ['cat', dir], { input, buffer: { stdout: false, stderr: true }, encoding: 'buffer', stripFinalNewline: false });
  let stopped = false;
  const done = proc.then(
    () => undefined,
    (err: unknown) => {
      // Ended by stop(): whatever made the caller stop is the failure, not the kill.
      if (stopped && (err as { isTerminated?: boolean }).isTerminated) return;
      throw toolError(`reading ${dir}`, err);
    },
  );
  done.catch(() => undefined); // observed by the caller; never an unhandled rejection
  const stream = proc.stdout as NodeJS.ReadableStream & { destroy(): void };
  // Killed, and its output let go: execa settles `done` only once stdout has ended, which output
  // that nobody will read never does (a save whose client went away waited on it for good).
  const stop = () => {
    stopped = true;
    proc.kill();
    stream.destroy();
  };
  return { chunks: stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, done, stop };
}

const ZERO = Buffer.alloc(1);
