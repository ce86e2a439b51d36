// File-system helpers for the archive tests: temp dirs, streams from buffers, and a full description
// of a tree (type, mode, owner, size, mtime, content digest, link target, hard-link group, xattrs)
// to compare two trees with.
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { walkTree } from '../../helper/archive/native-fs';
import { op, unpack } from './archive-ops';

export function makeTmp(prefix = 'strata-archive-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTmp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function streamOf(buf: Buffer, chunk = 65536): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

export async function sha256sumCli(file: string): Promise<string> {
  const { stdout } = await execa('sha256sum', [file]);
  return `sha256:${stdout.split(' ')[0]}`;
}

export interface TreeOptions {
  /** Leave out the root's own metadata (its mode and mtime belong to whoever made the dir). */
  skipRoot?: boolean;
  /** Leave out directory mtimes (e.g. after an operation that may touch them). */
  skipDirMtime?: boolean;
  /** Whole seconds only (tar keeps seconds). */
  seconds?: boolean;
  /** Leave out xattrs. */
  noXattrs?: boolean;
}

/**
 * One line per entry, sorted by path: everything that makes a layer what it is. Paths are binary
 * strings (one char per byte) so non-UTF-8 names compare exactly. The list of entries and their
 * xattrs come from strata-fs's walk (Node cannot read xattrs); the rest from Node's lstat.
 */
export async function describeTree(root: string, opts: TreeOptions = {}): Promise<string[]> {
  const lines: string[] = [];
  const inodes = new Map<bigint, string>();
  const entries = (await walkTree(root)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of entries) {
    if (e.path === '.' && opts.skipRoot) continue;
    const abs = e.path === '.' ? Buffer.from(root) : Buffer.concat([Buffer.from(root), Buffer.from('/'), Buffer.from(e.path, 'latin1')]);
    const st = await fsp.lstat(abs, { bigint: true });
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? `chr(${st.rdev})` : st.isBlockDevice() ? `blk(${st.rdev})` : 'other';
    const mtime = opts.seconds ? `${st.mtimeNs / 1_000_000_000n}` : `${st.mtimeNs}`;
    let extra = '';
    if (st.isFile()) {
      extra = sha256(await fsp.readFile(abs)).slice(7, 19);
      if (st.nlink > 1n) {
        const first = inodes.get(st.ino);
        if (first !== undefined) extra += ` link=${first}`;
        else inodes.set(st.ino, e.path);
      }
    }
    if (st.isSymbolicLink()) extra = `-> ${(await fsp.readlink(abs, { encoding: 'buffer' })).toString('latin1')}`;
    // A whiteout (0/0 character device) has no time of its own in a layer; device nodes do.
    const showMtime = !(st.isDirectory() && opts.skipDirMtime) && !(st.isCharacterDevice() && st.rdev === 0n);
    const xattrs = opts.noXattrs ? '' : [...e.xattrs].map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(',');
    const size = st.isFile() ? `${st.size}` : '-';
    lines.push(`${e.path} ${type} ${(Number(st.mode) & 0o7777).toString(8)} ${st.uid}:${st.gid} size=${size} ${showMtime ? mtime : '-'} ${extra} ${xattrs}`);
  }
  return lines;
}

/** Runs `ops` with strata-fs unpack in root (as an import writes a layer); throws its error. */
async function unpackOps(root: string, ops: Buffer[]): Promise<void> {
  const r = await unpack(root, ops);
  if (r.code !== 0) throw new Error(`strata-fs unpack in ${root}: ${r.stderr.trim()}`);
}

/** Sets xattrs (name -> value) on paths under root, through strata-fs. */
export async function setXattrs(root: string, xattrs: [path: string, name: string, value: Buffer | string][]): Promise<void> {
  await unpackOps(
    root,
    xattrs.flatMap(([path, name, value]) => {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      return [op('X', path, name, bytes.length), bytes];
    }),
  );
}

/** Makes 0/0 character devices (overlayfs whiteouts) at paths under root. */
export async function makeWhiteouts(root: string, paths: string[]): Promise<void> {
  await unpackOps(root, paths.map((p) => op('W', p)));
}

/** Device nodes under root, made as the importer makes them (never 0/0 character: see makeWhiteouts). */
export async function makeDevices(root: string, devices: [path: string, type: 'chardev' | 'blockdev', major: number, minor: number, mode: number][]): Promise<void> {
  await unpackOps(root, devices.map(([path, type, major, minor, mode]) => op('N', path, type === 'chardev' ? 'c' : 'b', major, minor, mode, 0, 0)));
}

/** A fifo at path under root. */
export async function makeFifo(root: string, path: string, mode: number): Promise<void> {
  await unpackOps(root, [op('P', path, mode, 0, 0)]);
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
