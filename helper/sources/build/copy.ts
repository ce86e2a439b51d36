// COPY and ADD: which files go where (Docker's rules for sources, wildcards and destinations), the
// hash of their content and metadata that names them in history and keys the cache
// (`COPY file:<sha256> in /dst `), and the new layer that holds them, written into a fresh folder
// of ours. Sources are read from a stack of folders (the build context, or an image's layers for
// COPY --from) through chain-fs.ts, never through a symlink out of it.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { posix } from 'node:path';
import { absPath, baseOf, parentOf, rootBytes } from '../../archive/fspath';
import type { WalkEntry } from '../../archive/native-fs';
import { mergedStat, mergedWalk, relParts, resolveInScope, type MergedEntry } from './chain-fs';
import type { Owner } from './owners';

export class CopyError extends Error {}

/** One thing the new layer will hold: at `dest` (layer-relative), made from `from` (or a directory of ours). */
export interface CopyItem {
  dest: string;
  kind: 'dir' | 'file' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** The folder and path the bytes come from (files), the target (symlinks). */
  from?: { dir: string; rel: string; size: number };
  linkTarget?: string;
}

export interface CopyRequest {
  keyword: 'COPY' | 'ADD';
  sources: string[];
  /** Expanded, as written (a trailing / means a directory). */
  dest: string;
  workdir: string;
  /** The stack the sources are read from, top first (the context: one folder). */
  fromDirs: string[];
  fromContext: boolean;
  /** The image written into, top first. */
  destDirs: string[];
  owner: Owner | null;
  chmod: number | null;
}

export interface CopyPlan {
  items: CopyItem[];
  /** `file:<hex>`, `dir:<hex>` or `multi:<hex>`, as Docker names the sources in history. */
  sourceHash: string;
  /** The destination as history prints it. */
  dest: string;
  /** Local tar archives that ADD unpacks at `dest` (a directory). */
  archives: { from: MergedEntry; dest: string }[];
}

const GLOB = /[*?[]/;

/** Go's filepath.Match pattern of one path component, as a RegExp. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new CopyError(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `!${cls.slice(1)}`;
      re += `[${cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** The context paths a source names: itself, or what its wildcards match (COPY from the context only). */
async function expandSource(req: CopyRequest, source: string): Promise<string[]> {
  if (!req.fromContext || !GLOB.test(source)) return [source];
  const parts = relParts(source);
  let found = ['.'];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      if (!GLOB.test(part)) { next.push(dir === '.' ? part : `${dir}/${part}`); continue; }
      const re = globRegExp(part);
      const listing = await mergedWalk(req.fromDirs, dir).then((all) => all.filter((e) => parentOf(e.rel) === dir && e.rel !== dir));
      for (const e of listing) if (re.test(baseOf(e.rel))) next.push(e.rel);
    }
    found = next;
  }
  return found.map((rel) => Buffer.from(rel, 'latin1').toString('utf8'));
}

function isTarHead(head: Buffer): boolean {
  return (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) || (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar');
}

async function isArchive(m: MergedEntry): Promise<boolean> {
  if (m.entry.kind !== 'file' || m.entry.size < 2) return false;
  const fh = await fs.open(absPath(rootBytes(m.dir), m.entry.path), 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    return isTarHead(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

function itemOf(m: MergedEntry, dest: string, req: CopyRequest): CopyItem {
  const e: WalkEntry = m.entry;
  const owner = req.owner ?? { uid: 0, gid: 0 };
  const mode = req.chmod ?? e.mode & 0o7777;
  if (e.kind === 'dir') return { dest, kind: 'dir', mode, ...owner };
  if (e.kind === 'file') return { dest, kind: 'file', mode, ...owner, from: { dir: m.dir, rel: e.path, size: e.size } };
  if (e.kind === 'symlink') return { dest, kind: 'symlink', mode: 0o777, ...owner, linkTarget: e.linkTarget };
  throw new CopyError(`${req.keyword}: ${Buffer.from(e.path, 'latin1').toString('utf8')} is a ${e.kind}: only files, directories and symlinks can be copied`);
}

/** Which files go where: Docker's rules for one destination and its sources. */
export async function planCopy(req: CopyRequest): Promise<CopyPlan> {
  const sources: string[] = [];
  for (const s of req.sources) {
    const matched = await expandSource(req, s);
    if (matched.length === 0) throw new CopyError(`${req.keyword} failed: no source files were specified (no file in the build context matches ${s})`);
    sources.push(...matched);
  }
  const destAbs = posix.isAbsolute(req.dest) ? req.dest : posix.join(req.workdir || '/', req.dest);
  const wantsDir = req.dest.endsWith('/') || req.dest === '.' || req.dest.endsWith('/.');
  if (sources.length > 1 && !wantsDir) throw new CopyError(`When using ${req.keyword} with more than one source file, the destination must be a directory and end with a /`);
  const destResolved = await resolveInScope(req.destDirs, destAbs, true);
  const destExisting = destResolved === '.' ? { entry: { kind: 'dir' } } : await mergedStat(req.destDirs, destResolved);
  const destIsDir = wantsDir || destExisting?.entry.kind === 'dir';
  const items: CopyItem[] = [];
  const archives: CopyPlan['archives'] = [];
  const hashes: string[] = [];
  for (const source of sources) {
    const rel = await resolveInScope(req.fromDirs, source, true);
    const m = rel === '.' ? await mergedStat(req.fromDirs, '.') : await mergedStat(req.fromDirs, rel);
    if (!m || m.entry.kind === 'whiteout') {
      const where = req.fromContext ? 'in build context or excluded by .dockerignore' : 'in the source image';
      throw new CopyError(`${req.keyword} failed: file not found ${where}: stat ${source}: file does not exist`);
    }
    if (req.keyword === 'ADD' && req.fromContext && (await isArchive(m))) {
      archives.push({ from: m, dest: destResolved });
      // Docker names an unpacked archive as any single file: `ADD file:<hash> in <dest>`.
      hashes.push(`file:${await hashItems([itemOf(m, baseOf(rel), req)])}`);
      continue;
    }
    if (m.entry.kind === 'dir') {
      const below = (await mergedWalk(req.fromDirs, rel)).slice(1);
      const mine = below.map((b) => itemOf(b.m, joinDest(destResolved, b.rel.slice(rel === '.' ? 0 : rel.length + 1)), req));
      items.push(itemOf(m, destResolved, req), ...mine);
      hashes.push(`dir:${await hashItems(mine, destResolved)}`);
    } else {
      const target = destIsDir ? joinDest(destResolved, baseOf(rel)) : destResolved;
      const item = itemOf(m, target, req);
      items.push(item);
      hashes.push(`file:${await hashItems([item], parentOf(target))}`);
    }
  }
  const sourceHash = hashes.length === 1 ? hashes[0] : `multi:${createHash('sha256').update(hashes.join(',')).digest('hex')}`;
  // History names the destination as written (moby's copyInstruction.dest), not as resolved.
  return { items, sourceHash, dest: req.dest, archives };
}

function joinDest(dir: string, rel: string): string {
  if (!rel) return dir;
  return dir === '.' ? rel : `${dir}/${rel}`;
}

async function fileSha(dir: string, rel: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absPath(rootBytes(dir), rel))) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of the items' names (below `base`), kinds, modes, owners, link targets and bytes: what the cache compares. */
async function hashItems(items: CopyItem[], base = '.'): Promise<string> {
  const hash = createHash('sha256');
  for (const it of items) {
    const name = base === '.' || !it.dest.startsWith(`${base}/`) ? it.dest : it.dest.slice(base.length + 1);
    const content = it.from ? await fileSha(it.from.dir, it.from.rel) : '';
    hash.update([name, it.kind, it.mode.toString(8), it.uid, it.gid, it.linkTarget ?? '', content].join('\0')).update('\n');
  }
  return hash.digest('hex');
}
