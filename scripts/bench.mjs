// npm run bench: Strata against Docker and Podman, engine against engine (JSON-RPC against their
// Engine APIs over unix sockets, persistent clients), command against command (the CLIs), and
// against the floors (the kernel, tar, find, sync), side by side in one run (test/bench/main.ts),
// then the VS Code figures measured in real VS Code (bench-vscode.mjs). test/bench/README.md.
// Usage: npm run bench [-- --peers docker,podman|none] [-- --runs N] [-- --quick] [-- --only ID,...]
//        [-- --no-vscode] [-- --only-vscode] [-- --vscode-runs N (default 3)]
// Writes test-output/bench.json (every row, and the VS Code figures).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';
import { benchVSCode } from './bench-vscode.mjs';

requireRoot('npm run bench');
ensureDebianPackages();
ensureNodeModules();
ensureBuilt(['--tests']);

const argv = process.argv.slice(2);
const valueOf = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const vscodeRuns = argv.includes('--no-vscode') || quick ? 0 : Number(valueOf('--vscode-runs')) || 3;
const results = {};

let status = 0;
if (!argv.includes('--only-vscode')) {
  const engineArgs = argv.filter((a, i) => !['--no-vscode', '--vscode-runs'].includes(a) && argv[i - 1] !== '--vscode-runs');
  const r = spawnSync(process.execPath, [join(root, 'out/test/bench/main.js'), ...engineArgs], { stdio: 'inherit', cwd: root });
  status = r.status ?? 1;
  const file = join(root, 'test-output/bench-engine.json');
  if (existsSync(file)) Object.assign(results, JSON.parse(readFileSync(file, 'utf8')));
}
if (vscodeRuns) results.vscode = benchVSCode(root, vscodeRuns);
mkdirSync(join(root, 'test-output'), { recursive: true });
writeFileSync(join(root, 'test-output/bench.json'), JSON.stringify(results, null, 2) + '\n');
process.exit(status);
