// Crash-safe writes: a file or a folder becomes visible under its final name only when complete.
// write to a temp name in the same dir -> fsync -> rename -> fsync the dir (so the rename lasts).
import { randomBytes } from 'node:crypto';
import { promises as fs, constants } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fsRequest } from '../archive/fs-server';
import { type FaultPoint, faultPoint } from './faults';

/** writeFileAtomic's temp names: `.<name>.<12 hex>.tmp` (a write cut short leaves one). */
export const HALF_WRITTEN = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** removeTree's name for a store folder (named by a 64-hex id) being removed. */
export const BEING_REMOVED = /^[0-9a-f]{64}-removing$/;

export async function fsyncPath(path: string): Promise<void> {
  const fh = await fs.open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Where a write may be killed (store/faults.ts): its temp file written; renamed, not yet fsynced; done. */
export interface WriteFaults { temp: FaultPoint; renamed: FaultPoint; written: FaultPoint }

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600, faults?: WriteFaults): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (faults) faultPoint(faults.temp);
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (faults) faultPoint(faults.renamed);
  await fsyncPath(dirname(path));
  if (faults) faultPoint(faults.written);
}

/**
 * Flushes a whole tree built in staging: one syncfs(2) of its file system instead of an fsync per
 * file, by a strata-fs server (no process started for it: `sync -f` cost a spawn and a PATH search).
 */
export async function syncTree(path: string): Promise<void> {
  try {
    await fsRequest('syncfs', path, Buffer.alloc(0));
  } catch (err) {
    throw new Error(`flushing ${path} to disk: ${(err as Error).message}`, { cause: err });
  }
}

/** Where a removal may be killed (store/faults.ts): renamed aside; that rename fsynced; deleted. */
export interface RemoveFaults { renamed: FaultPoint; synced: FaultPoint; deleted: FaultPoint }

/** Removes a folder so that a crash midway leaves a name that start-up recognises and finishes. */
export async function removeTree(path: string, removingName: string, faults?: RemoveFaults): Promise<void> {
  try {
    await fs.rename(path, removingName);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (faults) faultPoint(faults.renamed);
  await fsyncPath(dirname(path));
  if (faults) faultPoint(faults.synced);
  await fs.rm(removingName, { recursive: true, force: true });
  if (faults) faultPoint(faults.deleted);
}
