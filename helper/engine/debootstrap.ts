// image.debootstrap: Debian's debootstrap into the store's staging area, then that folder as a
// one-layer image, moved into the graph as it is (images.ts's imageOfFolder): its diff_id is that
// of its canonical tar (archive/pack.ts: entries sorted bytewise by path, parents before children,
// numeric owners, whole-second mtimes), read in place while the files are flushed to disk, as a
// stopped container's commit does. So no tar is written and the 200 MB are not copied: packed
// into the importer, they were (2026-12-04's bench: 1.13 x debootstrap and a tar | tar copy).
// The same folder always gives the same diff_id. The .debs stay in the store's cache
// (<root>/cache/debootstrap/<suite>-<arch>) for the next run of that suite.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ParamsOf, ResultOf } from '../protocol/methods';
import type { DebootstrapEvent } from '../sources/debootstrap-progress';
import { checkSuite, debootstrapCommand, dropDebs, ensureDebootstrap, executableInRoot, hostArchitecture, runDebootstrap } from '../sources/debootstrap';
import { parseReference } from '../store/reference';
import { type EngineContext, KeyedMutex } from './context';
import { imageOfFolder } from './images';
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
      report({ stage: 'importing', message: 'importing the root filesystem as a layer' });
      const imported = await imageOfFolder(ctx, rootfs, {
        name: p.name, message: '', createdBy: debootstrapCommand(p), changes, signal,
        progress: (message) => report({ stage: 'importing', message }),
      });
      return { ...imported, packages: run.packages, downloaded: run.downloaded };
    } catch (err) {
      if (signal.aborted) throw cancelled(p.suite);
      throw withContext(`debootstrap ${p.suite}`, err);
    } finally {
      await fs.rm(stage, { recursive: true, force: true });
    }
  });
}

export const debootstrapMethods = {
  // Long work: the import takes the store's mutex for its last step only.
  'image.debootstrap': { lock: 'none', run: (ctx, p, call) => debootstrapImage(ctx, p, call.signal) },
} satisfies MethodTable<'image.debootstrap'>;
