// Short names for overlay lower dirs. overlayfs takes its options as one page (4096 bytes), so a
// chain of long /var/lib/strata/graph/<64 hex>/layer paths would stop fitting after ~50 layers.
// Like Docker's overlay2 we give each layer dir a short symlink <store>/l/<16 hex> and mount with the
// store as the working directory, so each lower costs 19 bytes ("l/" + 16 + ":").
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, lstatSync, mkdirSync, readlinkSync, renameSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

/** Docker's cap on an overlay chain (moby daemon/graphdriver/overlay2: maxDepth = 128 - 3). */
export const MAX_LOWER_LAYERS = 125;

export const LINKS_DIR = 'l';

/** The short link name of a layer dir: the first 16 hex digits of sha256(its absolute path). */
export function linkName(layerDir: string): string {
  return createHash('sha256').update(resolve(layerDir)).digest('hex').slice(0, 16);
}

/** Makes `<linksDir>/<name>` a symlink to `target`, or leaves it if it already is one. A file or a
 *  link pointing anywhere else (left by a crash, or planted) is replaced atomically by rename. */
function ensureLink(linksDir: string, name: string, target: string): void {
  const path = join(linksDir, name);
  try {
    symlinkSync(target, path);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (lstatSync(path).isSymbolicLink() && readlinkSync(path) === target) return;
  const temp = join(linksDir, `.${name}.${randomBytes(6).toString('hex')}`);
  symlinkSync(target, temp);
  try {
    renameSync(temp, path); // a directory at `path` makes this fail, which is what we want
  } catch (err) {
    unlinkSync(temp);
    throw new StrataError(ErrorCode.RuntimeFailed, `overlay link ${path} exists and is not a link to ${target}`, { cause: err });
  }
}

/**
 * Returns the overlay `lowerdir=` value for an image's layers and the directory it is relative to.
 * `layerDirs` is BASE FIRST (lowest first), as images list their layers; the result is top-most
 * first, as overlayfs wants it. Creates the short links (idempotent).
 */
export function overlayLowerOption(storeRoot: string, layerDirs: string[]): { cwd: string; lower: string } {
  if (layerDirs.length > MAX_LOWER_LAYERS) {
    throw new StrataError(
      ErrorCode.LimitExceeded,
      `image has ${layerDirs.length} layers; an overlay mount takes at most ${MAX_LOWER_LAYERS} (squash some layers)`,
    );
  }
  if (!isAbsolute(storeRoot)) throw new StrataError(ErrorCode.InvalidParams, `store root must be absolute: ${storeRoot}`);
  const linksDir = join(storeRoot, LINKS_DIR);
  mkdirSync(linksDir, { recursive: true, mode: 0o700 });
  const names: string[] = [];
  for (const dir of layerDirs) {
    const target = resolve(dir);
    if (!statSync(target, { throwIfNoEntry: false })?.isDirectory()) {
      throw new StrataError(ErrorCode.NotFound, `layer directory ${target} does not exist`);
    }
    const name = linkName(target);
    ensureLink(linksDir, name, target);
    names.push(`${LINKS_DIR}/${name}`);
  }
  return { cwd: storeRoot, lower: names.reverse().join(':') };
}

/** A removed layer's short link goes with it. */
export async function dropLayerLink(storeRoot: string, layerDir: string): Promise<void> {
  await fs.rm(join(storeRoot, LINKS_DIR, linkName(layerDir)), { force: true });
}

/**
 * Start-up: links whose layer is gone (a crash between a layer's removal and its link's, or a
 * layer that start-up repair removed) are dropped. Returns what it did, for the log.
 */
export async function pruneDanglingLinks(storeRoot: string): Promise<string[]> {
  const linksDir = join(storeRoot, LINKS_DIR);
  const names = await fs.readdir(linksDir).catch(() => [] as string[]);
  const done: string[] = [];
  for (const name of names) {
    const path = join(linksDir, name);
    if (await fs.stat(path).then(() => true, () => false)) continue;
    await fs.rm(path, { force: true });
    done.push(`removed the short link ${LINKS_DIR}/${name}: its layer is gone`);
  }
  return done;
}
