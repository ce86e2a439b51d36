// Builds strata-shim as scripts/build.mjs does, with extra -D flags, into a folder of a test's own
// (strata-fs copied beside it), for the test to point STRATA_NATIVE_DIR at.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nativeTool } from '../../helper/native';
import { repoRoot } from './strata';

export function buildShimVariant(dir: string, defines: string[]): void {
  mkdirSync(dir, { recursive: true });
  const src = join(repoRoot(), 'helper/runtime/native');
  const sources = readdirSync(src).filter((f) => f.endsWith('.c')).map((f) => join(src, f));
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', ...defines.map((d) => `-D${d}`)];
  execFileSync('gcc', [...flags, '-o', join(dir, 'strata-shim'), ...sources]);
  copyFileSync(nativeTool('strata-fs'), join(dir, 'strata-fs'));
}
