// image.debootstrap: Debian's debootstrap into the store's staging area, then that folder as a
// one-layer image through the same importer as `import`, streamed: the folder is packed as the
// canonical tar (archive/pack.ts: entries sorted bytewise by path, parents before children,
// numeric owners, whole-second mtimes) straight into importImage, so no 200 MB tar is ever
// written, and the same folder always gives the same diff_id. The .debs stay in the store's
// cache (<root>/cache/debootstrap/<suite>-<arch>) for the next run of that suite.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { packLayer } from '../archive';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ParamsOf, ResultOf } from '../protocol/methods';
import type { DebootstrapEvent } from '../sources/debootstrap-progress';
import { checkSuite, debootstrapCommand, dropDebs, ensureDebootstrap, executableInRoot, hostArchitecture, runDebootstrap } from '../sources/debootstrap';
import { parseReference } from '../store/reference';
import { type EngineContext, KeyedMutex } from './context';
import { importImage } from './images';
import type { MethodTable } from './method-table';

type Params = ParamsOf<'image.debootstrap'>;
type Result = ResultOf<'image.debootstrap'>;

/**
 * One debootstrap at a time per cache folder: two would write the same .deb files at once. Keyed
 * by the folder's path, which names the store, so stores do not wait for each other.
 */
const cacheLocks = new KeyedMutex();

export function debootstrapCacheDir(ctx: EngineContext, suite: string, arch: string): string {
  return join(ctx.store.paths.root, 'cache', 'debootstrap', `${suite}-${arch}`);
}

function cancelled(suite: string): StrataError {
  return new StrataError(ErrorCode.Cancelled, `debootstrap ${suite}: cancelled; nothing was kept`);
}

async function debootstrapImage(ctx: EngineContext, params: Params, signal: AbortSignal): Promise<Result> {
  const p = { ...params, variant: params.variant ?? 'minbase' }; // the article's, and the smallest
  if (p.name) parseReference(p.name); // a bad name is refused before any work
  if (p.variant === 'fakechroot') {
    // That variant is debootstrap's way to build without root, under fakechroot and fakeroot: its
    // /dev is a link to the host's /dev and the owners dpkg sets live only in fakeroot's memory.
    throw new StrataError(ErrorCode.BadRequest, 'the fakechroot variant makes a root fs for fakechroot (its /dev links to the host, file owners are lost), not for a container; the helper runs debootstrap as root: use minbase (the default), buildd or - (the default set)');
  }
  const token = p.progressToken;
  const report = (e: DebootstrapEvent) => { if (token) ctx.events.emit('progress', { token, ...e }); };
  await ensureDebootstrap((message) => report({ stage: 'setup', message }));
  checkSuite(p.suite);
  const cacheDir = debootstrapCacheDir(ctx, p.suite, await hostArchitecture());
  await fs.mkdir(cacheDir, { recursive: true, mode: 0o700 });
  return cacheLocks.run(cacheDir, async () => {
    if (signal.aborted) throw cancelled(p.suite);
    const stage = await ctx.store.stage();
    try {
      const rootfs = join(stage, 'rootfs');
      report({ stage: 'setup', message: debootstrapCommand(p) });
      const run = await runDebootstrap({ ...p, target: rootfs, cacheDir, signal, onEvent: report });
      if (!p.keepCache) await dropDebs(rootfs);
      const changes = (await executableInRoot(rootfs, '/bin/bash')) ? ['CMD ["/bin/bash"]'] : [];
      const imported = await importFolder(ctx, rootfs, { name: p.name, createdBy: debootstrapCommand(p), changes, signal, report });
      return { ...imported, packages: run.packages, downloaded: run.downloaded };
    } catch (err) {
      if (signal.aborted) throw cancelled(p.suite);
      throw withContext(`debootstrap ${p.suite}`, err);
    } finally {
      await fs.rm(stage, { recursive: true, force: true });
    }
  });
}

interface FolderImport {
  name?: string;
  createdBy: string;
  changes: string[];
  signal: AbortSignal;
  report: (e: DebootstrapEvent) => void;
}

/** The folder's canonical tar, streamed into importImage; both sides end before this returns. */
async function importFolder(ctx: EngineContext, dir: string, o: FolderImport): Promise<{ id: string; layer: string; diffId: string }> {
  o.report({ stage: 'importing', message: 'importing the root filesystem as a layer' });
  const tar = new PassThrough();
  const packing = packLayer(dir, tar);
  const importing = importImage(ctx, tar, {
    name: o.name, message: '', createdBy: o.createdBy, changes: o.changes, signal: o.signal,
    progress: (message) => o.report({ stage: 'importing', message }),
  });
  // An import that stops reading would leave the packer waiting on a full stream forever.
  importing.catch((err: unknown) => tar.destroy(err instanceof Error ? err : new Error(String(err))));
  const [imported, packed] = await Promise.allSettled([importing, packing]);
  if (imported.status === 'rejected') throw imported.reason;
  if (packed.status === 'rejected') throw packed.reason;
  return imported.value;
}

export const debootstrapMethods = {
  // Long work: the import takes the store's mutex for its last step only.
  'image.debootstrap': { lock: 'none', run: (ctx, p, call) => debootstrapImage(ctx, p, call.signal) },
} satisfies MethodTable<'image.debootstrap'>;
