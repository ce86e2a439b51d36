// The changes an upper-form layer makes to the view of the layers below it: what `docker diff`
// prints, for `strata diff CID` (a container's upper dir over its image's layers) and `strata diff
// --layer` (a layer over its parents, imported or committed). The extension's tree, its A/M/D
// marks and the diff editor all show this one list.
//
// Docker's rule. Since moby ac5d363e67 (2018: "The archive changes function is not implemented
// correctly to handle opaque directories") overlay2's Changes is the naive driver's: moby
// daemon/graphdriver/fsdiff.go mounts the layer and its parent and calls go-archive's
// ChangesDirs(new merged view, old merged view); the containerd image store does the same
// (daemon/containerd/image_changes.go). ChangesDirs (github.com/moby/go-archive changes.go,
// addChanges; statDifferent in changes_unix.go) compares the two trees:
//  - a path only in the new view: A, and so is everything under it
//  - a path in both: C when its mode (type and permissions), uid, gid, rdev or security.capability
//    differ, or, for a non-directory, its size or mtime (equal when the same, or the same second
//    with one side at 0 ns: tar keeps seconds). A directory's own size and mtime never count.
//    Nothing when all are the same (a directory only copied up; a file put back with its old mtime)
//  - a path only in the old view: D, and nothing for what was under it
//  - a directory (not /) holding any A, C or D below it and not listed itself: C
// So, shape by shape (what `docker diff` prints on overlay2):
//   file -> dir, symlink -> dir    C /p, and A for what p holds now
//   dir -> file, dir -> symlink    C /p, nothing for what the directory held
//   rm -rf /d; mkdir /d (opaque)   C /d, and D /d/x for each child /d had: its top level only (a
//                                  hidden subdirectory's children get no line). Nothing at all
//                                  when /d was empty and its mode and owner are the same
//   ... then new files in /d       also A /d/y, or C /d/x where the old /d had x too
//   rm /d/f                        C /d, D /d/f
//   rm f; recreate it              C /f, unless size, mtime, mode and owner all match the old one
//   a whiteout of what nothing below has (a layer tar can carry one): no line
//
// The two views come from the upper dir, not from two mounts. The old view is the lowers merged as
// overlayfs merges them (top-most first: the first layer that has a path decides, a whiteout hides
// it, a non-directory ends the merge, a directory merges with the same-named directories below
// until one is opaque). The new view is the upper dir over the old view, so its entries are the
// upper dir's. An upper directory that merges (neither opaque nor under an opaque one) also shows
// the old view's children, unchanged except what the upper dir whites out (D when the old view
// has it). One that does not merge shows only its own: each child the old view has there and the
// upper dir does not is D, so only those directories' listings are read from the lowers.
import { isUtf8 } from 'node:buffer';
import type { Change } from '../protocol/types';
import { compareBytes, displayPath, parentOf, quote } from './fspath';
import { KIND_ONLY, listDirs, walkWithLowers, type WalkEntry } from './native-fs';
import { isOpaqueDir } from './xattr';

export type { Change } from '../protocol/types';

const ASCII = /^[\x00-\x7f]*$/;

/** A path in the old view: the entry that shows there, and for a directory the layers it merges. */
interface Seen {
  entry: WalkEntry;
  layers: number[];
}

/** The merged view of the lowers, for the paths asked about (and their parents) only. */
class LowerView {
  private readonly memo = new Map<string, Seen | null>();
  /** Directory -> the paths listed in it (learn()). */
  private readonly listed = new Map<string, Set<string>>();

  /** `layers`: for each lower (top-most first), the entries it has at the paths asked about. */
  constructor(private readonly layers: Map<string, WalkEntry>[]) {}

  private at(layer: number, rel: string): WalkEntry | null {
    return this.layers[layer].get(rel) ?? null;
  }

  /** Merges the directory found first in layer `first` with the same dirs under it in `candidates`. */
  private mergeDirs(rel: string, first: number, candidates: number[]): number[] {
    const merged = [first];
    if (isOpaqueDir(this.at(first, rel)!)) return merged;
    for (const j of candidates) {
      if (j <= first) continue;
      const e = this.at(j, rel);
      if (e === null) continue;
      if (e.kind !== 'dir') break;
      merged.push(j);
      if (isOpaqueDir(e)) break;
    }
    return merged;
  }

  resolve(rel: string): Seen | null {
    const known = this.memo.get(rel);
    if (known !== undefined) return known;
    let result: Seen | null = null;
    if (rel === '.') {
      // Every layer's root merges: overlayfs ignores an opaque mark on a layer's root (a tar's
      // top-level .wh..wh..opq), as lower and as upper alike.
      result = this.layers.length ? { entry: this.at(0, '.')!, layers: this.layers.map((_, i) => i) } : null;
    } else {
      const parent = this.resolve(parentOf(rel));
      for (const i of parent?.entry.kind === 'dir' ? parent.layers : []) {
        const e = this.at(i, rel);
        if (e === null) continue;
        if (e.kind !== 'whiteout') result = { entry: e, layers: e.kind === 'dir' ? this.mergeDirs(rel, i, parent!.layers) : [] };
        break;
      }
    }
    this.memo.set(rel, result);
    return result;
  }

  /**
   * Adds what listing a directory in `layer` found. Paths already looked up keep what the lookup
   * found (the lowers do not change, and a listing resolves a directory as the lookup did), so no
   * resolution made before changes.
   */
  learn(layer: number, entries: WalkEntry[]): void {
    for (const e of entries) {
      if (!this.layers[layer].has(e.path)) this.layers[layer].set(e.path, e);
      const dir = parentOf(e.path);
      let names = this.listed.get(dir);
      if (!names) this.listed.set(dir, (names = new Set()));
      names.add(e.path);
    }
  }

  /** The paths learn() found directly in `dir`, in any of its layers. */
  children(dir: string): Iterable<string> {
    return this.listed.get(dir) ?? [];
  }
}

/** go-archive's sameFsTime: equal, or the same second with either side at 0 ns. */
function sameTime(a: WalkEntry, b: WalkEntry): boolean {
  return a.mtimeSec === b.mtimeSec && (a.mtimeNsec === b.mtimeNsec || a.mtimeNsec === 0 || b.mtimeNsec === 0);
}

const NO_CAPABILITY = Buffer.alloc(0);

/** Whether ChangesDirs calls a path in both views changed (statDifferent, and the capability). */
function differs(old: WalkEntry, now: WalkEntry): boolean {
  if (old.mode !== now.mode || old.uid !== now.uid || old.gid !== now.gid) return true;
  if (old.rdevMajor !== now.rdevMajor || old.rdevMinor !== now.rdevMinor) return true;
  if (old.kind !== 'dir' && (old.size !== now.size || !sameTime(old, now))) return true;
  const cap = (e: WalkEntry) => e.xattrs.get('security.capability') ?? NO_CAPABILITY;
  return !cap(old).equals(cap(now));
}

/**
 * The upper directories whose view does not merge with the lowers: opaque, or under an opaque one
 * (never the root: see resolve). `entries` is in walk order, a directory before what it holds.
 */
function unmerged(entries: WalkEntry[]): Set<string> {
  const out = new Set<string>();
  for (const e of entries) {
    if (e.kind !== 'dir' || e.path === '.') continue;
    if (isOpaqueDir(e) || out.has(parentOf(e.path))) out.add(e.path);
  }
  return out;
}

/** What a path's change is, in the compact tables below (0: none). */
const KINDS: readonly (Change['kind'] | undefined)[] = [undefined, 'A', 'C', 'D'];
const A = 1;
const C = 2;
const D = 3;

/** The changes found, sorted: `each` gives them in path order, without an object for each. */
interface Found {
  count: number;
  each(visit: (rel: string, kind: Change['kind'], dir: boolean) => void): void;
}

/** The changes `layerDir` makes over `lowerDirs` (the layers below it, top-most first), sorted by path. */
export async function layerChanges(layerDir: string, lowerDirs: string[]): Promise<Change[]> {
  const found = await findChanges(layerDir, lowerDirs);
  const changes = new Array<Change>(found.count);
  let k = 0;
  found.each((rel, kind, dir) => { changes[k++] = changeOf(rel, kind, dir); });
  return changes;
}

/**
 * The same changes as JSON text (UTF-8), byte for byte what JSON.stringify(await layerChanges())
 * gives, written straight from the walk's paths: for 100,000 changes, no 100,000 objects and path
 * strings, and no 3-4 MB string before the bytes. Living through the request, they were promoted
 * to V8's old generation and stayed there as garbage after it: each answer left the helper larger
 * (test/bench/README.md, layers.memory).
 */
export async function layerChangesJson(layerDir: string, lowerDirs: string[]): Promise<Buffer> {
  const found = await findChanges(layerDir, lowerDirs);
  // Two passes: the length, then the bytes. A path that JSON would escape, or that is not ASCII,
  // is written as JSON.stringify writes its change (rare: kept from the first pass).
  const odd = new Map<number, string>();
  let length = 2 + Math.max(0, found.count - 1);
  let k = 0;
  found.each((rel, kind, dir) => {
    if (PLAIN_JSON.test(rel)) length += PLAIN_FIXED + rel.length + (dir ? DIR_JSON.length : 0);
    else {
      const text = JSON.stringify(changeOf(rel, kind, dir));
      odd.set(k, text);
      length += Buffer.byteLength(text, 'utf8');
    }
    k++;
  });
  const out = Buffer.allocUnsafe(length);
  let pos = 0;
  const put = (text: string) => {
    for (let i = 0; i < text.length; i++) out[pos++] = text.charCodeAt(i);
  };
  out[pos++] = 0x5b; // [
  k = 0;
  found.each((rel, kind, dir) => {
    if (k > 0) out[pos++] = 0x2c; // ,
    const text = odd.get(k++);
    if (text !== undefined) {
      pos += out.write(text, pos, 'utf8');
      return;
    }
    put(PATH_JSON);
    put(rel);
    put(KIND_JSON);
    put(kind);
    out[pos++] = 0x22; // "
    if (dir) put(DIR_JSON);
    out[pos++] = 0x7d; // }
  });
  out[pos++] = 0x5d; // ]
  if (pos !== length) throw new Error(`layer changes: ${pos} bytes of JSON written where ${length} were counted`);
  return out;
}

/** A path JSON.stringify writes as it is (printable ASCII but for " and \\) and that is its own display form. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PATH_JSON = '{"path":"/';
const KIND_JSON = '","kind":"';
const DIR_JSON = ',"dir":true';
/** A plain change's bytes but its path's and DIR_JSON: the two parts above, the kind, `"}`. */
const PLAIN_FIXED = PATH_JSON.length + KIND_JSON.length + 1 + 2;

async function findChanges(layerDir: string, lowerDirs: string[]): Promise<Found> {
  // One pass reads the upper dir and, beside it, each lower at the upper's paths (every parent of
  // an upper path is itself an upper path, so these are all the lookups needed). An upper entry no
  // lower has comes by its kind only, unless it is a directory or a character device: it is an A
  // (or a whiteout of nothing), whatever its metadata.
  const { upper: walked, lowers } = await walkWithLowers(layerDir, lowerDirs);
  // The walk starts with the layer's root ('.'), which is never a change: the loops start at 1.
  if (walked[0]?.path !== '.') throw new Error(`layer changes: the walk of ${layerDir} does not start with its root`);
  const view = new LowerView(lowers);
  const alone = unmerged(walked);
  // An unmerged directory over a directory below: its children there are needed for the D lines.
  const toList = lowerDirs.map(() => [] as string[]);
  for (const dir of alone) {
    const old = view.resolve(dir);
    if (old?.entry.kind === 'dir') for (const i of old.layers) toList[i].push(dir);
  }
  const listings = await Promise.all(lowerDirs.map((dir, i) => listDirs(dir, toList[i])));
  listings.forEach((entries, i) => view.learn(i, entries));

  // The changes are kept by the walk's index, a byte each (kind, and whether it is a directory),
  // not in a map of path to kind and a set of directories: a 100,000-file layer made 100,000 map
  // entries, pairs and sorted copies of each, a quarter of what answering it took. Each upper path
  // gets at most one change from the walk; the D lines of unmerged directories are paths the walk
  // does not have (or has as whiteouts, which it skips there), so they come once each, after it.
  const kind = new Uint8Array(walked.length);
  const isDir = new Uint8Array(walked.length);
  const extraPaths: string[] = [];
  const extraDir: boolean[] = [];
  const dirIndex = new Map<string, number>();
  const wasDir = (rel: string) => view.resolve(rel)?.entry.kind === 'dir';
  for (let i = 1; i < walked.length; i++) {
    const e = walked[i];
    const rel = e.path;
    if (e.kind === 'whiteout') {
      if (!alone.has(parentOf(rel)) && view.resolve(rel) !== null) {
        kind[i] = D;
        isDir[i] = wasDir(rel) ? 1 : 0;
      }
      continue;
    }
    if (e.kind === 'dir') {
      isDir[i] = 1;
      dirIndex.set(rel, i);
    }
    // Read by kind only: no lower has it, so nothing in the old view does (1000 new files need no
    // lookup of their own).
    const old = e.uid === KIND_ONLY ? null : view.resolve(rel);
    if (old === null) kind[i] = A;
    else if (differs(old.entry, e)) kind[i] = C;
  }
  if (alone.size) {
    const upperAt = new Map<string, WalkEntry>();
    for (let i = 1; i < walked.length; i++) if (alone.has(parentOf(walked[i].path))) upperAt.set(walked[i].path, walked[i]);
    for (const dir of alone) {
      for (const rel of view.children(dir)) {
        const now = upperAt.get(rel);
        if ((now === undefined || now.kind === 'whiteout') && view.resolve(rel) !== null) {
          extraPaths.push(rel);
          extraDir.push(wasDir(rel));
        }
      }
    }
  }
  // A directory holding a change is changed, up to (not including) the root. Each such directory
  // is an upper one: the walk reached every upper path through its parents, and an unmerged
  // directory's D lines are under that (upper) directory.
  const marked = new Set<string>();
  let lastParent = '';
  const mark = (rel: string) => {
    // The walk lists a folder's entries together: a path in the folder just marked needs no
    // parent string made and looked up.
    const cut = rel.lastIndexOf('/');
    if (cut > 0 && cut === lastParent.length && rel.startsWith(lastParent)) return;
    if (cut > 0) lastParent = rel.slice(0, cut);
    for (let dir = parentOf(rel); dir !== '.' && !marked.has(dir); dir = parentOf(dir)) {
      marked.add(dir);
      const at = dirIndex.get(dir);
      if (at === undefined) throw new Error(`layer changes: ${quote(dir)} holds a change but is not in the walk`);
      if (kind[at] === 0) kind[at] = C;
    }
  };
  for (let i = 1; i < walked.length; i++) if (kind[i] !== 0) mark(walked[i].path);
  for (const rel of extraPaths) mark(rel);

  // Sorted as indices (the walk's, then the extra D lines' after them): no pair per change.
  const pathAt = (n: number) => (n < walked.length ? walked[n].path : extraPaths[n - walked.length]);
  const order: number[] = [];
  for (let i = 1; i < walked.length; i++) if (kind[i] !== 0) order.push(i);
  for (let j = 0; j < extraPaths.length; j++) order.push(walked.length + j);
  order.sort((a, b) => compareBytes(pathAt(a), pathAt(b)));
  return {
    count: order.length,
    each(visit) {
      for (const n of order) {
        if (n < walked.length) visit(walked[n].path, KINDS[kind[n]]!, isDir[n] === 1);
        else visit(extraPaths[n - walked.length], 'D', extraDir[n - walked.length]);
      }
    },
  };
}

/**
 * A change as the protocol carries it: the path for people, its bytes when UTF-8 cannot hold them,
 * and whether it is a directory (in the new view; for D, in the old one).
 */
function changeOf(rel: string, kind: Change['kind'], dir: boolean): Change {
  // An ASCII name (nearly all) is its own display form: no buffer, no decoding.
  if (ASCII.test(rel)) return dir ? { path: `/${rel}`, kind, dir: true } : { path: `/${rel}`, kind };
  const bytes = Buffer.from(`/${rel}`, 'latin1');
  return { path: `/${displayPath(rel)}`, kind, ...(isUtf8(bytes) ? {} : { pathBytes: bytes.toString('base64') }), ...(dir ? { dir: true as const } : {}) };}
