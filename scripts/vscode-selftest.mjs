// The harness checking itself: builds the fixture extension (test/vscode/fixture-extension: one
// command, one tree view) and its tests with esbuild, then runs them in real VS Code through
// scripts/vscode-run.mjs. Ends with "N passed, N failed" and the suite's exit code.
// Usage: node scripts/vscode-selftest.mjs [--setup] [extra vscode-run flags…]
//   --setup  run scripts/vscode-setup.mjs first (installs code-server and chromium when missing)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureVSCode, root } from './vscode-setup.mjs';

const args = process.argv.slice(2);
if (args.includes('--setup')) ensureVSCode();
const passOn = args.filter((a) => a !== '--setup');

const fixture = join(root, 'test/vscode/fixture-extension');
const out = join(fixture, 'out'); // git-ignored (out/)
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['vscode', 'mocha'],
};
const t = Date.now();
rmSync(out, { recursive: true, force: true });
await build({ ...common, entryPoints: [join(fixture, 'extension.ts')], outfile: join(out, 'extension.js') });
const tests = readdirSync(join(fixture, 'tests')).filter((f) => f.endsWith('.test.ts'));
await build({
  ...common,
  entryPoints: [
    { in: join(root, 'test/vscode/support/suite-index.ts'), out: 'index' },
    ...tests.map((f) => ({ in: join(fixture, 'tests', f), out: f.replace(/\.ts$/, '') })),
  ],
  outdir: join(out, 'test'),
});
console.log(`vscode-selftest: built the fixture and ${tests.length} test files (${Date.now() - t} ms)`);

const run = spawnSync(
  process.execPath,
  [
    join(root, 'scripts/vscode-run.mjs'),
    '--extension', fixture,
    '--tests', join(out, 'test/index.js'),
    '--workspace', fixture,
    '--env', 'STRATA_FIXTURE_GREETING=hello from --env',
    ...passOn,
  ],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
