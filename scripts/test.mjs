// npm test: installs what the tests need, builds, type-checks, then runs every test file on the
// real kernel, then the VS Code suite in real VS Code (code-server, test/vscode/README.md).
// Ends with the line "N passed, N failed".
// Usage: node scripts/test.mjs [WORD...]   only the node:test files whose path has a WORD;
//        node scripts/test.mjs vscode      only the VS Code suite (STRATA_VSCODE_GREP=text narrows it)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';
import { ensureVSCode } from './vscode-setup.mjs';
import { runNodeTests as runFiles, printFailures } from './node-tests.mjs';

requireRoot('npm test');
ensureDebianPackages();
ensureNodeModules();
ensureBuilt(['--tests']);

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const words = process.argv.slice(2);
const runVSCode = words.length === 0 || words.includes('vscode');
const filter = words.filter((w) => w !== 'vscode');
const runNodeTests = words.length === 0 || filter.length > 0;
let suites = ['unit', 'hostile', 'integration'].flatMap((d) => files(join(root, 'out/test', d)));
if (filter.length) suites = suites.filter((f) => filter.some((w) => f.includes(w)));

let typecheckFailed = 0;
if (!words.length) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  typecheckFailed = tsc.status === 0 ? 0 : 1;
  console.log(typecheckFailed ? 'not ok - typecheck (tsc -p .)' : 'ok - typecheck (tsc -p .)');
}

const counts = runNodeTests ? runFiles(suites, { timeoutMs: 300000, countFile: join(root, 'out/test-count.txt') }) : { passed: 0, failed: 0, status: 0, failures: [] };
let passed = counts.passed + (typecheckFailed || words.length ? 0 : 1);
let failed = counts.failed + typecheckFailed;
let status = counts.status;

if (runVSCode) {
  const vs = await runVSCodeSuite();
  passed += vs.passed;
  failed += vs.failed;
  if (vs.status !== 0) status = vs.status || 1;
}
printFailures([...counts.failures, ...(typecheckFailed ? ['typecheck (tsc -p .)'] : [])]);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && status === 0 ? 0 : 1);

/**
 * The VS Code suite (out/test/vscode, built by build.mjs --tests) in code-server, against a
 * store of its own: a fresh root given to the extension host as STRATA_ROOT. Its helper daemon
 * is stopped and the store removed afterwards. Returns the runner's counts.
 */
async function runVSCodeSuite() {
  ensureVSCode();
  const store = mkdtempSync(join(tmpdir(), 'strata-vscode-store-'));
  const workspace = mkdtempSync(join(tmpdir(), 'strata-vscode-ws-'));
  let out = '';
  const status = await new Promise((resolve) => {
    const child = spawn(process.execPath, [
      join(root, 'scripts/vscode-run.mjs'),
      '--extension', root,
      '--tests', join(root, 'out/test/vscode/index.js'),
      '--workspace', workspace,
      '--screenshots', join(root, 'test-output/vscode-screenshots'),
      '--env', `STRATA_ROOT=${store}`,
      // A real debootstrap runs in 6-debootstrap (a minute or two): more than the runner's 300 s default.
      '--timeout', process.env.STRATA_VSCODE_TIMEOUT || '1500',
    ], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    // Passed on line by line, except that the runner's own count line is renamed: the counts
    // line of npm test is the one total at the very end.
    let partial = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) console.log(/^\d+ passed, \d+ failed$/.test(line) ? `VS Code suite: ${line}` : line);
    });
    child.stdout.on('end', () => { if (partial) console.log(partial); });
    child.on('close', (code) => resolve(code ?? 1));
  });
  await stopHelper(store);
  rmSync(workspace, { recursive: true, force: true });
  const counts = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
  if (!counts) console.log('not ok - the VS Code suite printed no "N passed, N failed" line');
  return { passed: counts ? Number(counts[1]) : 0, failed: counts ? Number(counts[2]) : 1, status };
}

/** SIGTERM to the store's helper (it stops its containers and unmounts), then the store goes. */
async function stopHelper(store) {
  const pidFile = join(store, 'helper.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  if (pid > 0 && alive()) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
  }
  // Never remove through a mount that is still there (an overlay would take the removal as a write).
  const mounted = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => (l.split(' ')[1] ?? '').startsWith(`${store}/`));
  if (mounted) console.log(`warning: mounts remain under ${store}; not removing it`);
  else rmSync(store, { recursive: true, force: true });
}
