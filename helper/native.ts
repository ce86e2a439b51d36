// Finds Strata's native tools (built from helper/*/native/*.c by scripts/build.mjs into dist/).
// Bundles live in dist/ (product) or out/test/... (tests), so look upward for dist/<name>.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type NativeTool = 'strata-shim' | 'strata-fs';

export function nativeTool(name: NativeTool): string {
  const fromEnv = process.env.STRATA_NATIVE_DIR;
  if (fromEnv) return join(fromEnv, name);
  let dir = __dirname;
  for (;;) {
    for (const candidate of [join(dir, name), join(dir, 'dist', name)]) if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${name} not found near ${__dirname}: run npm run build`);
    dir = up;
  }
}
