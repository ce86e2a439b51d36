// How much one import may write: the user's cap (per import; 32 GiB unless they say), lowered to
// what the store's disk has free, less some room to spare, so that a tar that would fill the disk
// is refused as it streams, with a message saying how much room there was, rather than failing the
// helper's other writes (container records, logs) on a full disk. A layer on disk can take more
// than its tar (files round up to whole blocks): should the disk fill all the same, the import
// fails with ENOSPC and leaves the store as it was.
import { promises as fs } from 'node:fs';
import type { ImportLimits } from '../archive';
import { DEFAULT_LIMITS, formatBytes } from '../archive/limits';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

/** Room kept free on the store's disk: 5% of it, at most 512 MiB. */
export function spareRoom(diskBytes: number): number {
  return Math.min(512 * 1024 ** 2, Math.floor(diskBytes * 0.05));
}

export interface ImportRoom {
  limits: Partial<ImportLimits>;
  /** The message for a tar that passes the cap. */
  tooLarge: (cap: number) => string;
}

export async function importRoom(stageDir: string, asked: { maxBytes?: number; maxCompressionRatio?: number }): Promise<ImportRoom> {
  const st = await fs.statfs(stageDir);
  const free = st.bavail * st.bsize;
  const spare = spareRoom(st.blocks * st.bsize);
  const room = Math.max(0, free - spare);
  const userCap = asked.maxBytes ?? DEFAULT_LIMITS.maxTotalBytes;
  const cap = Math.max(1, Math.min(userCap, room));
  const byDisk = room < userCap;
  return {
    limits: { maxTotalBytes: cap, ...(asked.maxCompressionRatio === undefined ? {} : { maxCompressionRatio: asked.maxCompressionRatio }) },
    tooLarge: (n) => byDisk
      ? `the tar would write more than ${formatBytes(n)}, all the room on the store's disk (${formatBytes(free)} free, ${formatBytes(spare)} of it kept spare); free some space (strata system df shows where it is) and import again`
      : `the tar would write more than ${formatBytes(n)}, the limit for one import; import it with a larger --max-size if it is meant to be that big`,
  };
}

/** A write that found the disk full, said as such (the stage is removed by the caller: nothing stays). */
export function diskFull(err: unknown): StrataError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const m = /^(?:extract: )?strata-fs: \w+ (.+): No space left on device$/.exec(message);
  if (!m && (err as NodeJS.ErrnoException).code !== 'ENOSPC') return undefined;
  const where = m ? ` writing ${m[1]}` : '';
  return new StrataError(ErrorCode.LimitExceeded, `the store's disk filled up${where} (No space left on device: its files take more room than the tar, or it ran out of inodes); nothing was kept; free some space (strata system df shows where it is) and import again`, { cause: err });
}
