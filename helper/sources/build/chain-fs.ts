// Reading an image's file system as its container would see it, from its layer folders (top-most
// first) by overlayfs's rules, without mounting: what COPY needs of the image it writes into
// (where the destination is, which directories exist, /etc/passwd for --chown) and of the image
// or context it copies from. Layers are untrusted content read by root: every look-up goes
// through strata-xattr (archive/xattr.ts), which opens each path component with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS, so a planted symlink is never followed out of a layer (CVE-2018-15664).
import { posix } from 'node:path';
import { listDirs, statPaths, walkTree, type WalkEntry } from '../../archive/native-fs';
import { isOpaqueDir } from '../../archive/xattr';
import { absPath, compareBytes, joinRel, rootBytes } from '../../archive/fspath';
import { mergedStat, type MergedEntry } from '../../archive/read-file';

/** An entry of the merged view, and the layer folder that holds it. */
export { mergedStat, type MergedEntry } from '../../archive/read-file';

/** The components of a binary (latin1) path, normalized: '..' cannot climb above the root. */
function normParts(latin1: string): string[] {
  return posix.normalize(`/${latin1}`).split('/').filter((p) => p !== '');
}

/** Latin1 (binary) layer-relative components of an absolute or relative path given as text. */
export function relParts(path: string): string[] {
  return normParts(Buffer.from(path, 'utf8').toString('latin1'));
}

/**
 * Resolves `path` in the stack, following symlinks (also in the last component when `followLast`)
 * inside the stack's own root, as Docker resolves COPY paths in scope (FollowSymlinkInScope).
 * Returns the layer-relative path it leads to ('.' for the root).
 */
export async function resolveInScope(dirs: string[], path: string, followLast: boolean): Promise<string> {
  let parts = relParts(path);
  let hops = 0;
  for (let i = 0; i < parts.length; ) {
    if (i === parts.length - 1 && !followLast) break;
    const found = await mergedStat(dirs, parts.slice(0, i + 1).join('/'));
    if (found?.entry.kind !== 'symlink') { i++; continue; }
    if (++hops > 255) throw new Error(`too many levels of symbolic links resolving ${path}`);
    const target = found.entry.linkTarget;
    const base = target.startsWith('/') ? '' : parts.slice(0, i).join('/');
    parts = normParts(`${base}/${target}/${parts.slice(i + 1).join('/')}`);
    i = 0;
  }
  return parts.length ? parts.join('/') : '.';
}

/** The entries directly in directory `rel` of the stack, by name (hidden ones left out). */
export async function mergedList(dirs: string[], rel: string): Promise<Map<string, MergedEntry>> {
  const seen = new Map<string, MergedEntry | null>();
  for (const dir of dirs) {
    const here = await statPaths(dir, [rel]);
    const self = here.get(rel);
    if (rel !== '.' && !self) continue;
    if (self && self.kind !== 'dir') break; // a file or whiteout here hides the lower dirs
    for (const e of await listDirs(dir, [rel])) {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      if (!seen.has(name)) seen.set(name, e.kind === 'whiteout' ? null : { entry: e, dir });
    }
    if (self && isOpaqueDir(self)) break;
  }
  const out = new Map<string, MergedEntry>();
  for (const [name, m] of seen) if (m) out.set(name, m);
  return out;
}

/** Every entry under `rel` (itself first), parents before children, in name order. */
export async function mergedWalk(dirs: string[], rel: string): Promise<{ rel: string; m: MergedEntry }[]> {
  const root = await mergedStat(dirs, rel);
  if (!root) return [];
  const out = [{ rel, m: root }];
  if (root.entry.kind !== 'dir') return out;
  if (dirs.length === 1) {
    // One folder (the build context): one walk of it, not a look-up per directory.
    const base = absPath(rootBytes(root.dir), rel).toString('utf8');
    const below = (await walkTree(base)).filter((e) => e.path !== '.').sort((a, b) => compareBytes(a.path, b.path));
    return [...out, ...below.map((e) => ({ rel: joinRel(rel, e.path), m: { entry: { ...e, path: joinRel(rel, e.path) }, dir: root.dir } }))];
  }
  const children = await mergedList(dirs, rel);
  for (const name of [...children.keys()].sort()) out.push(...(await mergedWalk(dirs, joinRel(rel, name))));
  return out;
}
