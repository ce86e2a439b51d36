// File contents for the diff editor: a path as one version of a file system shows it (a layer's
// chain, a container, an image). Only paths inside store layers and upper dirs are ever read (see
// archive/read-file).
import { readMergedFile } from '../archive/read-file';
import type { FileContent, FileVersion } from '../protocol/types';
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

async function readFile(ctx: EngineContext, version: FileVersion, path: string): Promise<FileContent> {
  const read = (dirs: string[]) => readMergedFile(dirs, path, MAX_FILE_BYTES).then(toContent);
  if ('layer' in version) {
    const layer = ctx.store.layers.resolve(version.layer);
    return read(ctx.store.layers.chain(layer.id).reverse().map((l) => ctx.store.paths.layerFiles(l.id)));
  }
  if ('image' in version) return read(imageDirs(ctx, ctx.store.images.resolve(version.image)));
  const rec = ctx.store.containers.resolve(version.container);
  const below = imageDirs(ctx, rec.imageId);
  // Its changes may move (a commit, a start, an rmi) while they are read: readUpper follows them.
  return readUpper(ctx, rec.id, (upper) => read([upper, ...below]));
}

export const fileMethods = {
  'file.read': { lock: 'none', run: (ctx, p) => readFile(ctx, p.version, p.path) },
} satisfies MethodTable<'file.read'>;
