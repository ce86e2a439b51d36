// Leftover mounts under a container's dir. There should be none: the container's mounts live in
// its own mount namespace and vanish with it. This is for repair, e.g. after someone mounted
// merged/ by hand to look inside.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nativeTool } from '../native';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { parseMountinfo } from './cgroup-layout';

export async function mountsUnder(dir: string): Promise<string[]> {
  const base = resolve(dir);
  const info = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  const under = info.map((m) => m.mountPoint).filter((p) => p === base || p.startsWith(`${base}/`));
  return [...new Set(under)].sort((a, b) => b.length - a.length); // deepest first
}

export async function cleanupContainerMounts(containerDir: string): Promise<void> {
  for (let round = 0; round < 8; round++) {
    const left = await mountsUnder(containerDir);
    if (left.length === 0) return;
    for (const path of left) {
      const res = await execa(nativeTool('strata-shim'), ['umount', path], { reject: false, all: true, stdin: 'ignore' });
      if (res.exitCode !== 0 && round === 7) {
        throw new StrataError(ErrorCode.RuntimeFailed, `unmount ${path}: ${String(res.all ?? '').trim()}`);
      }
    }
  }
  const still = await mountsUnder(containerDir);
  if (still.length) throw new StrataError(ErrorCode.RuntimeFailed, `still mounted: ${still.join(', ')}`);
}
