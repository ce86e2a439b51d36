// One writer per store. Node has no flock, so the helper claims the store with a pid file made
// atomically by link(2) (it fails if the name exists) and treats a file whose pid is gone as stale.
// Two VS Code windows or two CLIs racing to start a helper therefore get exactly one.
import { promises as fs, readFileSync } from 'node:fs';
import { parsePidFile } from '../protocol/endpoint';
import { randomBytes } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A recycled pid that is not a Strata helper does not hold the store.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('helper');
  } catch {
    return false;
  }
}

/** The pid the store's lock file names (the helper that holds the store), if any. */
export function lockHolder(pidFile: string): number | undefined {
  try {
    return parsePidFile(readFileSync(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface StoreLock {
  release(): Promise<void>;
}

export async function lockStore(pidFile: string, root: string): Promise<StoreLock> {
  const tmp = `${pidFile}.${randomBytes(6).toString('hex')}`;
  await fs.writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.link(tmp, pidFile);
        return {
          release: async () => {
            const owner = await fs.readFile(pidFile, 'utf8').catch(() => '');
            if (Number(owner) === process.pid) await fs.rm(pidFile, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = lockHolder(pidFile);
      if (holder && holder !== process.pid && alive(holder)) {
        throw new StrataError(ErrorCode.StoreBusy, `another Strata helper (pid ${holder}) already serves the store ${root}; use it, or stop it first`);
      }
      await fs.rm(pidFile, { force: true }); // stale: its helper is gone
    }
    throw new StrataError(ErrorCode.StoreBusy, `could not claim the store ${root}: its pid file ${pidFile} keeps changing`);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
