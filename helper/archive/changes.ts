// The changes an upper-form layer makes to the view of the layers below it: `docker diff` for
// overlay2 (moby's OverlayChanges), used for `strata diff CID` (a container's upper dir over its
// image) and `strata diff --layer` (a layer over its parents).
//
//  - a whiteout (0/0 character device): D, as Docker prints it whether or not anything was below
//  - any other device node (kept in layers, inert: extract.ts) is an ordinary entry, like a file:
//    A, or C over something visible below, or D when a later layer whites it out
//  - an entry present in the upper dir and visible in the merged view of the lowers: C. That
//    includes directories that are only there because a child was copied up (`C /etc`).
//  - an opaque directory that is visible below: D. Docker and Podman print exactly that (the
//    directory was deleted and made again; what it holds now is listed after it, as A, or as C
//    where the same path exists below); they list no D for each hidden lower child, nor do we.
//  - anything else: A
// "Visible below" follows overlayfs's own lookup over the lowers (top-most first): the first layer
// that has the path decides; a whiteout hides it, a non-directory ends the merge, a directory merges
// with the same-named directories under it until one of them is opaque or a layer has a non-dir.
import { compareBytes, displayPath, parentOf } from './fspath';
import { statPaths, walkTree, type WalkEntry } from './native-fs';
import { OPAQUE_XATTR } from './xattr';

export interface Change {
  /** Absolute in the container, e.g. '/etc/motd'. */
  path: string;
  kind: 'A' | 'C' | 'D';
}

type Resolved = { kind: 'dir'; layers: number[] } | { kind: 'other' } | null;

function isOpaque(e: WalkEntry): boolean {
  return e.kind === 'dir' && e.xattrs.get(OPAQUE_XATTR)?.toString('latin1') === 'y';
}

/** The merged view of the lowers, for the paths asked about (and their parents) only. */
class LowerView {
  private readonly memo = new Map<string, Resolved>();

  constructor(private readonly layers: Map<string, WalkEntry | null>[]) {}

  private at(layer: number, rel: string): WalkEntry | null {
    return this.layers[layer].get(rel) ?? null;
  }

  /** Merges the directory found first in layer `first` with the same dirs under it in `candidates`. */
  private mergeDirs(rel: string, first: number, candidates: number[]): number[] {
    const merged = [first];
    if (isOpaque(this.at(first, rel)!)) return merged;
    for (const j of candidates) {
      if (j <= first) continue;
      const e = this.at(j, rel);
      if (e === null) continue;
      if (e.kind !== 'dir') break;
      merged.push(j);
      if (isOpaque(e)) break;
    }
    return merged;
  }

  resolve(rel: string): Resolved {
    const known = this.memo.get(rel);
    if (known !== undefined) return known;
    let result: Resolved = null;
    if (rel === '.') {
      const all = this.layers.map((_, i) => i);
      result = all.length ? { kind: 'dir', layers: this.mergeDirs('.', 0, all) } : null;
    } else {
      const parent = this.resolve(parentOf(rel));
      if (parent?.kind === 'dir') {
        for (const i of parent.layers) {
          const e = this.at(i, rel);
          if (e === null) continue;
          if (e.kind === 'whiteout') result = null;
          else if (e.kind === 'dir') result = { kind: 'dir', layers: this.mergeDirs(rel, i, parent.layers) };
          else result = { kind: 'other' };
          break;
        }
      }
    }
    this.memo.set(rel, result);
    return result;
  }
}

/** The changes `layerDir` makes over `lowerDirs` (the layers below it, top-most first), sorted by path. */
export async function layerChanges(layerDir: string, lowerDirs: string[]): Promise<Change[]> {
  const upper = (await walkTree(layerDir)).filter((e) => e.path !== '.');
  if (upper.length === 0) return [];
  // Every parent of an upper path is itself an upper path, so these are all the lookups needed.
  const paths = ['.', ...upper.map((e) => e.path)];
  const lowers = await Promise.all(lowerDirs.map((dir) => statPaths(dir, paths)));
  const view = new LowerView(lowers);
  upper.sort((a, b) => compareBytes(a.path, b.path));
  const changes: Change[] = [];
  for (const e of upper) {
    const visible = view.resolve(e.path) !== null;
    let kind: Change['kind'];
    if (e.kind === 'whiteout') kind = 'D';
    else if (visible) kind = isOpaque(e) ? 'D' : 'C';
    else kind = 'A';
    changes.push({ path: `/${displayPath(e.path)}`, kind });
  }
  return changes;
}
