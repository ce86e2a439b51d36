// An exact copy of an upper-form directory, and the layer's diff_id in the same pass: what commit
// snapshots from a frozen container's upper dir into a new layer. Files, dirs, symlinks, hard links
// within the tree, 0/0 whiteouts, fifos, device nodes, modes (setuid included), owners, mtimes (to
// the nanosecond), the opaque mark and the allowlisted xattrs; nothing else: overlayfs bookkeeping
// (trusted.overlay.origin, impure, nlink...), security.selinux and anything off the allowlist stay
// behind, and so do sockets (a tar cannot hold one, so the canonical tar leaves them out).
//
// One `strata-fs copy` process does it all (native/main.c): it walks the upper dir and prints
// the walk; from it, this file builds the canonical tar's items (pack.ts: the one definition of a
// layer's tar and its order) and sends back the operations that make the copy, in tar order (those
// of unpack, as an import makes a layer, plus C: copy one file). The tool echoes each copied
// file's bytes, from which the tar is hashed as they arrive: the diff_id is that of the copy, with
// no second walk and no second read. Every path, in the source as in the copy, is resolved beneath
// its root with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: the upper dir is the container's,
// so hostile, and the tool refuses a file that is no longer the regular file of the size walked.
//
// Measured on this machine (2 shared CPUs) for an upper dir of 1000 new small files, medians of 9,
// interleaved in one run (main disk / a fresh ext4 with a journal):
//   cp -a alone                                               49 / 54 ms  (the file system's floor)
//   before: cp -a, walk (+ apply) to strip xattrs, then digestLayer (walk + cat): 4-5 processes,
//           two walks, every file read back                  121 / 107 ms
//   now: one strata-fs copy                                   75 /  71 ms
// and end to end (strata commit through the CLI, ~100 ms of it Node's start-up, against docker
// commit, interleaved, medians of 9): before 280 ms, now 199 ms, docker 172 ms. Creating 1000
// inodes costs ~50 ms on a quiet disk and up to ~0.5 s while other jobs create and delete many files
// (ext4 without a journal then rescans its recently deleted inodes on every creation), for cp -a,
// tar -x and dockerd alike.
//
// So a STOPPED container's commit creates no file at all: digestInPlace reads its upper dir where
// it is (strata-fs read: the walk, then each file's bytes; ~25-30 ms warm for 1000 files, about
// half of it this side's JavaScript) and engine/upper.ts renames the dir into the graph. End to end,
// same run, medians: strata commit of a stopped container 101-106 ms against docker commit 188-272
// ms (of Strata's, ~45 ms is the CLI's start-up, `strata --version` alone, and ~15 ms the syncfs
// that puts the container's unsynced files on disk before a layer claims them). A running
// container is still copied here: 133-149 ms against docker's 197-211 ms.
import { promises as fsp } from 'node:fs';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { OPAQUE_MARKER } from './entry-name';
import { baseOf, joinRel, parentOf } from './fspath';
import { ByteReader } from './input';
import { digestItems, layerItems, type Item } from './pack';
import { TreeCopier, TreeReader } from './op-stream';
import { parseWalk, type WalkEntry } from './native-fs';
import { OPAQUE_XATTR, xattrAllowed } from './xattr';

/** The xattrs a layer keeps of what the walk found: the opaque mark on a dir, and the allowlist. */
function keptXattrs(e: WalkEntry): [string, Buffer][] {
  const kept: [string, Buffer][] = [];
  for (const [name, value] of e.xattrs) {
    const keep = name === OPAQUE_XATTR ? e.kind === 'dir' && value.toString('latin1') === 'y' : xattrAllowed(name, e.kind);
    if (keep) kept.push([name, value]);
  }
  return kept;
}

/** The operations that make the copy, in tar order (parents first), directory times last. */
function sendCopyOps(out: TreeCopier, root: WalkEntry, items: Item[]): void {
  const setXattrs = (path: string, e: WalkEntry) => {
    for (const [name, value] of keptXattrs(e)) {
      out.op('X', path, name, value.length);
      out.data(value);
    }
  };
  const dirTimes: WalkEntry[] = [root];
  out.op('M', '.', root.mode & 0o7777, root.uid, root.gid);
  setXattrs('.', root);
  for (const item of items) {
    const e = item.source;
    if (e === null) {
      // A whiteout (.wh.name: a 0/0 character device at name), or an opaque marker (the dir's xattr).
      const base = baseOf(item.name);
      if (base !== OPAQUE_MARKER) out.op('W', joinRel(parentOf(item.name), base.slice(4)));
      continue;
    }
    const mode = e.mode & 0o7777;
    switch (item.typeflag) {
      case '5':
        out.op('D', e.path, mode, e.uid, e.gid);
        setXattrs(e.path, e);
        dirTimes.push(e);
        break;
      case '0':
        out.op('C', e.path, mode, e.uid, e.gid, e.mtimeSec, e.mtimeNsec, e.size);
        setXattrs(e.path, e);
        break;
      case '1':
        // A further name of a file copied earlier in tar order (the item's linkname).
        out.op('L', e.path, item.linkname);
        break;
      case '2':
        out.op('S', e.path, e.linkTarget, e.uid, e.gid, e.mtimeSec, e.mtimeNsec);
        break;
      case '6':
        out.op('P', e.path, mode, e.uid, e.gid);
        out.op('T', e.path, e.mtimeSec, e.mtimeNsec);
        break;
      case '3':
      case '4':
        out.op('N', e.path, item.typeflag === '3' ? 'c' : 'b', e.rdevMajor, e.rdevMinor, mode, e.uid, e.gid);
        out.op('T', e.path, e.mtimeSec, e.mtimeNsec);
        break;
      default:
        throw new StrataError(ErrorCode.Internal, `copy: unexpected tar item type ${item.typeflag}`);
    }
  }
  // Last, so that nothing created afterwards moves a directory's mtime.
  for (const e of dirTimes) out.op('T', e.path, e.mtimeSec, e.mtimeNsec);
}

/** The walk the tool prints first (its length, then the records), as the layer's tar items. */
async function readWalk(src: string, bytes: ByteReader): Promise<{ root: WalkEntry; items: Item[] }> {
  const head = await bytes.readExact(16);
  const walked = head && /^\d{15}\n$/.test(head.toString('latin1')) ? await bytes.readExact(Number(head.toString('latin1', 0, 15))) : null;
  if (walked === null) throw new StrataError(ErrorCode.Internal, `copy: strata-fs printed no walk of ${src}`);
  const entries = parseWalk(walked) as WalkEntry[];
  const root = entries.find((e) => e.path === '.');
  if (!root) throw new StrataError(ErrorCode.Internal, `copy: the walk of ${src} has no root entry`);
  return { root, items: layerItems(entries) }; // refuses an upper dir that is not a faithful diff
}

/**
 * Drives `proc` (a copy or a read of src): reads its walk, sends the operations `send` makes from
 * it, then gives the tool's output (the bytes of each file copied or read, in tar order) to
 * `consume`, and waits for the tool to finish.
 */
async function walkThenSend<P extends TreeCopier | TreeReader, R>(
  proc: P,
  src: string,
  send: (proc: P, root: WalkEntry, items: Item[]) => void,
  consume: (items: Item[], bytes: ByteReader) => Promise<R>,
): Promise<R> {
  const bytes = new ByteReader(proc.output[Symbol.asyncIterator]() as AsyncIterator<Buffer>, Number.MAX_SAFE_INTEGER, undefined, false);
  try {
    const { root, items } = await readWalk(src, bytes);
    send(proc, root, items);
    proc.end();
    const result = await consume(items, bytes);
    await bytes.drain(); // to the end of its output, which is also where the tool exits
    await proc.finish();
    return result;
  } catch (err) {
    // Nothing may still be writing when the caller gets the error and removes dest. A short read
    // usually means the tool stopped: its own message names the file.
    throw (await proc.abort()) ?? err;
  }
}

/** src must be a directory; dest must not exist, or be an empty directory (made if missing). */
async function checkCopyArgs(src: string, dest: string): Promise<void> {
  const st = await fsp.lstat(src);
  if (!st.isDirectory()) throw new StrataError(ErrorCode.InvalidParams, `copy: ${src} is not a directory`);
  const existing = await fsp.readdir(dest).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && existing.length > 0) throw new StrataError(ErrorCode.InvalidParams, `copy: ${dest} is not empty`);
  if (existing === null) await fsp.mkdir(dest, { mode: 0o700 });
}

/**
 * Copies src to dest (which must not exist, or be an empty directory) and returns the copy's
 * canonical diff_id and size, exactly what digestLayer(dest) gives.
 */
export async function copyLayer(src: string, dest: string): Promise<{ diffId: string; size: number }> {
  await checkCopyArgs(src, dest);
  return walkThenSend(new TreeCopier(src, dest), src, sendCopyOps, digestItems);
}

/**
 * The diff_id and size that copyLayer(dir, ...) would give, read in place: one walk and one read
 * of each file with data, in one process (commit by move hashes the upper dir so, and keeps it).
 * Refuses, like copyLayer, a dir that is not a faithful diff or that changes while it is read.
 */
export async function digestInPlace(dir: string): Promise<{ diffId: string; size: number }> {
  const st = await fsp.lstat(dir);
  if (!st.isDirectory()) throw new StrataError(ErrorCode.InvalidParams, `digest: ${dir} is not a directory`);
  const readFiles = (proc: TreeReader, _root: WalkEntry, items: Item[]) => {
    for (const item of items) if (item.typeflag === '0' && item.size > 0) proc.readFile(item.source!.path, item.size);
  };
  return walkThenSend(new TreeReader(dir), dir, readFiles, digestItems);
}

/**
 * Copies src to dest (which must not exist, or be an empty directory), as copyLayer does, for a
 * caller that needs no diff_id (a container taking its changes back from a layer): the bytes the
 * tool echoes are drained, not hashed into a tar.
 */
export async function copyTree(src: string, dest: string): Promise<void> {
  await checkCopyArgs(src, dest);
  await walkThenSend(new TreeCopier(src, dest), src, sendCopyOps, async () => undefined);
}
