// npm test: installs what the tests need, builds, type-checks, then runs every test file on the
// real kernel. Ends with the line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';

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

const filter = process.argv.slice(2);
let suites = ['unit', 'hostile', 'integration'].flatMap((d) => files(join(root, 'out/test', d)));
if (filter.length) suites = suites.filter((f) => filter.some((w) => f.includes(w)));

let typecheckFailed = 0;
if (!filter.length) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  typecheckFailed = tsc.status === 0 ? 0 : 1;
  console.log(typecheckFailed ? 'not ok - typecheck (tsc -p .)' : 'ok - typecheck (tsc -p .)');
}

const countFile = join(root, 'out/test-count.txt');
rmSync(countFile, { force: true });
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=1',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`,
    `--test-reporter-destination=${countFile}`,
    ...suites,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], cwd: root },
);
const m = /^STRATA-COUNT (\d+) (\d+)$/m.exec(existsSync(countFile) ? readFileSync(countFile, 'utf8') : '');
const passed = (m ? Number(m[1]) : 0) + (typecheckFailed || filter.length ? 0 : 1);
const failed = (m ? Number(m[2]) : 1) + typecheckFailed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && result.status === 0 ? 0 : 1);
