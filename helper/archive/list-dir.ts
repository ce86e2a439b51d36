// One directory as a stack of upper-form layer dirs shows it (file.list: the VS Code extension's
// "Browse Files" tree of a container's whole file system). The merge rules are mergedStat's
// (read-file.ts, overlayfs's): the first layer that has a name decides, a whiteout hides it below,
// a non-directory or whiteout parent hides everything under it, an opaque directory ends the search.
//
// The path comes from a client and the layers are untrusted content read by root. Threats stopped:
// - a path that climbs out of the container's root ('..', NUL): layerRelative refuses it;
// - a planted symlink (a layer's /etc -> / or -> /proc/1/root) that would list the host's folders:
//   every lookup and listing goes through strata-fs, which opens each component with
//   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, and a symlink on the way is a non-directory here, so it
//   lists nothing (a client follows a link by asking for its target, itself checked the same way).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { listDirs, statPaths, type WalkEntry } from './native-fs';
import { layerRelative } from './read-file';
import { isOpaqueDir } from './xattr';

export interface ListedEntry {
  /** The name (UTF-8; names that are not show U+FFFD). */
  name: string;
  kind: WalkEntry['kind'];
  size: number;
  mode: number;
  mtimeSec: number;
  linkTarget?: string;
}

type Verdict = 'dir' | 'notdir' | 'stop' | 'next';

/** What one layer's stat answers say of the path: a directory to list, something else, hidden ('stop'), or not here ('next'). */
function decide(found: Map<string, WalkEntry | null>, prefixes: string[], hiddenBelow: { v: boolean }): Verdict {
  for (const prefix of prefixes.slice(0, -1)) {
    const e = found.get(prefix);
    if (!e) break;
    // A whiteout or a non-directory at a parent hides everything under it in lower layers.
    if (e.kind !== 'dir') return 'stop';
    if (isOpaqueDir(e)) hiddenBelow.v = true;
  }
  const self = found.get(prefixes[prefixes.length - 1]);
  if (!self) return hiddenBelow.v ? 'stop' : 'next';
  if (self.kind === 'whiteout') return 'stop';
  return self.kind === 'dir' ? 'dir' : 'notdir';
}

const text = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

/**
 * The entries directly in directory `path` ('/' or absolute) of the merged view of `dirs`
 * (TOP-MOST FIRST), by name; NotFound when it is missing or not a directory there.
 */
export async function listMergedDir(dirs: string[], path: string): Promise<ListedEntry[]> {
  const parts = path.replace(/\/+$/, '') === '' ? [] : layerRelative(path);
  const rel = parts.length ? parts.join('/') : '.';
  const prefixes = parts.length ? parts.map((_, i) => parts.slice(0, i + 1).join('/')) : ['.'];
  const seen = new Map<string, WalkEntry | null>();
  const hiddenBelow = { v: false };
  let isDir = false;
  for (const dir of dirs) {
    const found = await statPaths(dir, prefixes);
    const verdict = decide(found, prefixes, hiddenBelow);
    if (verdict === 'next') continue;
    if (verdict === 'notdir' && !isDir) throw new StrataError(ErrorCode.NotFound, `not a directory: ${path}`);
    if (verdict !== 'dir') break;
    isDir = true;
    for (const e of await listDirs(dir, [rel])) {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      if (!seen.has(name)) seen.set(name, e.kind === 'whiteout' ? null : e);
    }
    // An opaque parent in this layer hid the lower layers' path already.
    if (hiddenBelow.v) break;
    // An opaque directory hides the lower layers' entries (overlayfs ignores the mark on the root).
    const self = found.get(prefixes[prefixes.length - 1]);
    if (rel !== '.' && self && isOpaqueDir(self)) break;
  }
  if (!isDir) throw new StrataError(ErrorCode.NotFound, `no such directory: ${path}`);
  const out: ListedEntry[] = [];
  for (const [name, e] of seen) {
    if (!e) continue;
    const entry: ListedEntry = { name: text(name), kind: e.kind, size: e.size, mode: e.mode, mtimeSec: e.mtimeSec };
    if (e.kind === 'symlink') entry.linkTarget = text(e.linkTarget);
    out.push(entry);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
