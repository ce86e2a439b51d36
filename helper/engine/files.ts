// File contents for the diff editor: a path as one version of a file system shows it (a layer's
// chain, a container, an image). Only paths inside store layers and upper dirs are ever read (see
// archive/read-file).
import { listMergedDir } from '../archive/list-dir';
import { readMergedFile } from '../archive/read-file';
import { readMergedFiles } from '../archive/read-files';
import type { DirEntry, FileContent, FileVersion } from '../protocol/types';
import type { EngineContext } from './context';
import { imageLayers } from './images';
import type { MethodTable } from './method-table';
import { readUpper } from './upper';

/** Files larger than this come back cut (truncated: true): a diff editor cannot show more anyway. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

function toContent(view: Awaited<ReturnType<typeof readMergedFile>>): FileContent {
  const { data, ...rest } = view;
  return { ...rest, ...(data ? { data: data.toString('base64') } : {}) };
}

/** The folders of an image's layers, top-most first (as overlayfs stacks them). */
function imageDirs(ctx: EngineContext, imageId: string): string[] {
  const config = ctx.store.images.get(imageId);
  return config ? imageLayers(ctx, config).reverse().map((l) => ctx.store.paths.layerFiles(l.id)) : [];
}

/** What one files.read answer holds: a file up to 1 MiB, 4 MiB in all (under the client's message sizes). */
export const BATCH_FILE_BYTES = 1024 * 1024;
export const BATCH_BYTES = 4 * 1024 * 1024;

/** The folders a version's files are read from, top-most first, given to `read` (moved uppers followed). */
function inVersion<T>(ctx: EngineContext, version: FileVersion, read: (dirs: string[]) => Promise<T>): Promise<T> {
  if ('layer' in version) {
    const layer = ctx.store.layers.resolve(version.layer);
    return read(ctx.store.layers.chain(layer.id).reverse().map((l) => ctx.store.paths.layerFiles(l.id)));
  }
  if ('image' in version) return read(imageDirs(ctx, ctx.store.images.resolve(version.image)));
  const rec = ctx.store.containers.resolve(version.container);
  const below = imageDirs(ctx, rec.imageId);
  return readUpper(ctx, rec.id, (upper) => read([upper, ...below]));
}

async function readFiles(ctx: EngineContext, version: FileVersion, paths: string[], maxBytes?: number): Promise<{ files: (FileContent | null)[] }> {
  const perFile = Math.min(maxBytes ?? BATCH_FILE_BYTES, BATCH_FILE_BYTES);
  const views = await inVersion(ctx, version, (dirs) => readMergedFiles(dirs, paths, { perFile, budget: BATCH_BYTES }));
  return { files: views.map((v) => (v ? toContent(v) : null)) };
}

function readFile(ctx: EngineContext, version: FileVersion, path: string): Promise<FileContent> {
  // A container's changes may move (a commit, a start, an rmi) while they are read: readUpper follows them.
  return inVersion(ctx, version, (dirs) => readMergedFile(dirs, path, MAX_FILE_BYTES).then(toContent));
}

/** What file.list gives when the client sets no limit: a folder a tree can show at once. */
export const LIST_LIMIT = 5000;

async function listDir(ctx: EngineContext, version: FileVersion, path: string, limit = LIST_LIMIT): Promise<{ entries: DirEntry[]; truncated: boolean }> {
  const all = await inVersion(ctx, version, (dirs) => listMergedDir(dirs, path));
  const entries = all.slice(0, limit).map((e) => ({
    name: e.name, kind: e.kind as DirEntry['kind'], size: e.size, mode: e.mode, mtime: e.mtimeSec, ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
  }));
  return { entries, truncated: all.length > limit };
}

export const fileMethods = {
  'file.read': { lock: 'none', run: (ctx, p) => readFile(ctx, p.version, p.path) },
  'files.read': { lock: 'none', run: (ctx, p) => readFiles(ctx, p.version, p.paths, p.maxBytes) },
  'file.list': { lock: 'none', run: (ctx, p) => listDir(ctx, p.version, p.path, p.limit) },
} satisfies MethodTable<'file.read' | 'files.read' | 'file.list'>;
