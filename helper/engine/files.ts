// File contents for the diff editor: a changed file in a layer or a container, and the same path
// as the layers below show it. Only paths inside store layers are ever read (see archive/read-file).
import { readMergedFile } from '../archive/read-file';
import type { FileContent } from '../protocol/types';
import type { EngineContext } from './context';
import type { MethodTable } from './method-table';
import { imageLayers } from './images';
import { readUpper } from './upper';

/** Files larger than this come back cut (truncated: true): a diff editor cannot show more anyway. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

function toContent(view: Awaited<ReturnType<typeof readMergedFile>>): FileContent {
  const { data, ...rest } = view;
  return { ...rest, ...(data ? { data: data.toString('base64') } : {}) };
}

async function readLayerFile(ctx: EngineContext, ref: string, path: string, side: 'layer' | 'below'): Promise<FileContent> {
  const layer = ctx.store.layers.resolve(ref);
  const chain = ctx.store.layers.chain(layer.id).reverse(); // top-most first
  const dirs = (side === 'layer' ? chain.slice(0, 1) : chain.slice(1)).map((l) => ctx.store.paths.layerFiles(l.id));
  return toContent(await readMergedFile(dirs, path, MAX_FILE_BYTES));
}

async function readContainerFile(ctx: EngineContext, ref: string, path: string, side: 'container' | 'image'): Promise<FileContent> {
  const rec = ctx.store.containers.resolve(ref);
  const config = ctx.store.images.get(rec.imageId);
  const imageDirs = config ? imageLayers(ctx, config).reverse().map((l) => ctx.store.paths.layerFiles(l.id)) : [];
  if (side === 'image') return toContent(await readMergedFile(imageDirs, path, MAX_FILE_BYTES));
  return toContent(await readUpper(ctx, rec.id, (upper) => readMergedFile([upper], path, MAX_FILE_BYTES)));
}

export const fileMethods = {
  'layer.readFile': { lock: 'none', run: (ctx, p) => readLayerFile(ctx, p.id, p.path, p.side) },
  'container.readFile': { lock: 'none', run: (ctx, p) => readContainerFile(ctx, p.id, p.path, p.side) },
} satisfies MethodTable<'layer.readFile' | 'container.readFile'>;
