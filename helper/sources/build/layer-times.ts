// Deterministic layers: every entry of a layer a build makes gets one fixed time, so the same
// Dockerfile and context built twice give the same diff_ids when the commands are deterministic
// (the canonical tar, archive/pack.ts, takes mtimes from disk). The time is SOURCE_DATE_EPOCH
// when the build is given one (reproducible-builds.org's convention, as BuildKit's
// rewrite-timestamp uses it), else 0 (1970-01-01): README, Decisions.
import { promises as fs } from 'node:fs';
import { walkTree } from '../../archive/native-fs';
import { LayerUnpacker } from '../../archive/op-stream';

/** Seconds since the epoch that a build's layer entries and history get (null: the history gets the real time). */
export function sourceDateEpoch(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  if (!/^\d{1,12}$/.test(value)) throw new Error(`SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * Sets every entry under `dir` (an upper dir: the container stopped, or a folder of ours) to
 * `seconds`. Through strata-fs's T operation, which resolves each path beneath `dir` without
 * following a symlink (the upper dir of a RUN is the container's, hostile) and sets a symlink's own
 * time.
 */
export async function fixLayerTimes(dir: string, seconds: number): Promise<void> {
  const out = new LayerUnpacker(dir);
  for (const e of await walkTree(dir)) if (e.path !== '.') out.op('T', e.path, seconds, 0);
  await out.finish();
  await fs.utimes(dir, seconds, seconds);
}
