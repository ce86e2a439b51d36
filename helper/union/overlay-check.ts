// Checks once that this kernel's overlayfs takes redirect_dir=off,metacopy=off,index=off on the
// store's file system. Without them the upper dir is not a faithful diff and commits would lose
// renames and chmods, so the helper should refuse to start rather than commit wrong layers.
// The test mount is made by the shim in a private mount namespace: it vanishes with the process.
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeTool } from '../native';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { FAITHFUL_DIFF_OPTIONS, overlayMountData } from './overlay-options';

const checked = new Map<string, Promise<void>>();

/** Resolves when overlayfs accepts Strata's options in `parentDir` (default: the OS temp dir;
 *  pass the store's tmp/ to test the store's own file system). Cached per directory. */
export function checkOverlaySupport(parentDir: string = tmpdir()): Promise<void> {
  let result = checked.get(parentDir);
  if (!result) {
    result = runCheck(parentDir);
    checked.set(parentDir, result);
    result.catch(() => checked.delete(parentDir)); // a failure may be fixed (modprobe overlay)
  }
  return result;
}

async function runCheck(parentDir: string): Promise<void> {
  const dir = await mkdtemp(join(parentDir, 'strata-overlay-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d), { mode: 0o700 });
    await writeFile(join(dir, 'lower', 'file'), 'x');
    const res = await execa(
      nativeTool('strata-shim'),
      ['overlay-check', '--store-links', dir, '--overlay-data', overlayMountData({ lower: 'lower', upper: 'upper', work: 'work' }), '--rootfs', join(dir, 'merged')],
      { reject: false, stdin: 'ignore', all: true },
    );
    if (res.exitCode !== 0) {
      throw new StrataError(
        ErrorCode.RuntimeFailed,
        `overlayfs here does not take ${FAITHFUL_DIFF_OPTIONS}, which Strata needs so that a container's upper dir is an exact diff: ${String(res.all ?? res.message).trim()}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
