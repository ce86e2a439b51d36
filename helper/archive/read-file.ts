// One file as a stack of upper-form layer dirs shows it, for the diff editor: the left side of a
// layer's change is the file as the layers below see it, the right side the file in the layer.
// Layers are untrusted content read by root: every lookup goes through strata-fs, which opens
// each path component with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so a planted symlink is never
// followed out of the layer (the CVE-2018-15664 family).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { catFiles, readSmallFiles, SMALL_READ_MAX, statPaths, type EntryKind, type WalkEntry } from './native-fs';
import { isOpaqueDir } from './xattr';

export interface FileView {
  /** 'missing' when no layer of the stack has it (or a whiteout hides it). */
  kind: EntryKind | 'missing';
  size: number;
  mode: number;
  linkTarget?: string;
  /** Regular files: the bytes, at most maxBytes of them. */
  data?: Buffer;
  truncated: boolean;
}

const MISSING: FileView = { kind: 'missing', size: 0, mode: 0, truncated: false };

/** A container path ('/etc/motd') as layer-relative binary components; refuses '..' and NUL. */
export function layerRelative(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..') || path.includes('\0')) {
    throw new StrataError(ErrorCode.InvalidParams, `not a file path inside a layer: ${JSON.stringify(path)}`);
  }
  return parts.map((p) => Buffer.from(p, 'utf8').toString('latin1'));
}

async function readData(dir: string, rel: string, size: number, maxBytes: number): Promise<{ data: Buffer; truncated: boolean }> {
  if (size <= maxBytes && size <= SMALL_READ_MAX) return { data: await readSmallFiles(dir, [{ path: rel, size }]), truncated: false };
  const cat = catFiles(dir, [{ path: rel, size }]);
  const parts: Buffer[] = [];
  let got = 0;
  for (let r = await cat.chunks.next(); !r.done && got < maxBytes; r = await cat.chunks.next()) {
    parts.push(r.value);
    got += r.value.length;
  }
  if (got >= maxBytes && got < size) cat.stop();
  else await cat.done;
  const data = Buffer.concat(parts).subarray(0, maxBytes);
  return { data, truncated: data.length < size };
}

/** An entry of a merged view, and the layer folder that holds it. */
export interface MergedEntry { entry: WalkEntry; dir: string }

/**
 * The entry at `rel` (layer-relative; '.' is the root) as the merged view of `dirs` (TOP-MOST
 * FIRST) shows it, by overlayfs's rules; null when it is missing or hidden. The one lookup of a
 * path through layers: the diff editor's reads and the build's COPY both use it.
 */
export async function mergedStat(dirs: string[], rel: string): Promise<MergedEntry | null> {
  const parts = rel === '.' ? [] : rel.split('/');
  const prefixes = parts.length ? parts.map((_, i) => parts.slice(0, i + 1).join('/')) : ['.'];
  const full = prefixes[prefixes.length - 1];
  for (const dir of dirs) {
    const found = await statPaths(dir, prefixes);
    let hiddenBelow = false;
    for (const prefix of prefixes.slice(0, -1)) {
      const e = found.get(prefix);
      if (!e) break;
      // A whiteout or a non-directory at a parent hides everything under it in lower layers.
      if (e.kind !== 'dir') return null;
      if (isOpaqueDir(e)) hiddenBelow = true;
    }
    const e = found.get(full);
    if (e) return e.kind === 'whiteout' ? null : { entry: e, dir };
    if (hiddenBelow) return null;
  }
  return null;
}

/** The file at `path` as the merged view of `dirs` (TOP-MOST FIRST) shows it, overlayfs's rules. */
export async function readMergedFile(dirs: string[], path: string, maxBytes: number): Promise<FileView> {
  const parts = layerRelative(path);
  if (parts.length === 0) return MISSING;
  const full = parts.join('/');
  const hit = await mergedStat(dirs, full);
  if (!hit) return MISSING;
  const { entry: e, dir } = hit;
  const view: FileView = { kind: e.kind, size: e.size, mode: e.mode, truncated: false };
  if (e.kind === 'symlink') view.linkTarget = e.linkTarget;
  if (e.kind === 'file') Object.assign(view, await readData(dir, full, e.size, maxBytes));
  return view;
}
