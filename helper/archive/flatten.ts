// A container's file system as one tree, what `docker export` gives: its changes over its image's
// layers, merged by overlayfs's rules without mounting anything. Read top-most first: an upper
// entry hides the same path below; a whiteout hides its path and everything under it below; an
// opaque directory hides what lower layers have inside it; a non-directory hides any lower tree
// under its name. Whiteouts and opaque marks themselves do not appear: the result is a plain tree,
// packed canonically (pack.ts), with each file's data read from the layer that shows it.
import { join } from 'node:path';
import { layerItems, packItems } from './pack';
import { walkTree, type WalkEntry } from './native-fs';
import { OPAQUE_XATTR, isOpaqueDir } from './xattr';

type Cover = 'below' | 'all';

/** The proper ancestors of a layer-relative path ('a/b/c' -> 'a', 'a/b'). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/**
 * The merged view of `dirs` (store-relative, TOP-MOST FIRST, all beneath `root`): its entries
 * (the top layer's root first) and, for each, the store-relative path its data is read from.
 */
export async function mergeLayers(root: string, dirs: string[], signal?: AbortSignal): Promise<{ entries: WalkEntry[]; source: Map<WalkEntry, string> }> {
  const chosen = new Map<string, WalkEntry>();
  const source = new Map<WalkEntry, string>();
  // What the layers above the current one hide: 'all' = the path and its subtree, 'below' = its subtree.
  const covered = new Map<string, Cover>();
  for (const dir of dirs) {
    const pending: [string, Cover][] = [];
    for (const e of await walkTree(join(root, dir), signal)) {
      // (An opaque root, '.', hides every lower entry.)
      if (e.path !== '.' && (covered.get(e.path) === 'all' || covered.has('.') || ancestors(e.path).some((a) => covered.has(a)))) continue;
      if (e.kind === 'whiteout') {
        pending.push([e.path, 'all']);
        continue;
      }
      if (chosen.has(e.path)) continue; // a directory above merges with this one, and wins its metadata
      // No opaque mark in a plain tree (pack.ts would write it as .wh..wh..opq).
      const kept: WalkEntry = { ...e, xattrs: new Map([...e.xattrs].filter(([name]) => name !== OPAQUE_XATTR)) };
      chosen.set(e.path, kept);
      source.set(kept, e.path === '.' ? dir : `${dir}/${e.path}`);
      if (e.kind !== 'dir') pending.push([e.path, 'all']);
      else if (isOpaqueDir(e)) pending.push([e.path, 'below']);
    }
    for (const [path, cover] of pending) if (covered.get(path) !== 'all') covered.set(path, cover);
  }
  return { entries: [...chosen.values()], source };
}

/** The flattened tree of `dirs` (as mergeLayers) as a canonical tar into `out`, which it ends. */
export async function packMerged(root: string, dirs: string[], out: NodeJS.WritableStream, signal?: AbortSignal): Promise<{ size: number }> {
  const { entries, source } = await mergeLayers(root, dirs, signal);
  const { size } = await packItems(layerItems(entries), root, (e) => source.get(e)!, out);
  return { size };
}
