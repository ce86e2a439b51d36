// npm run test:interop: Strata against Docker and Podman themselves, not against recordings.
// Installs Debian's docker.io and podman when missing (as root), builds, then runs
// out/test/interop/*.test.js; each file starts the peers it needs in temporary folders
// (test/support/peers.ts: no bridge, no iptables, no forwarding) and removes them afterwards.
// Not part of npm test: it needs two more engines and several minutes.
// Usage: node scripts/interop.mjs [WORD...]   only the files whose path has a WORD.
// Ends with the line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';

requireRoot('npm run test:interop');
ensureDebianPackages({ 'docker.io': '/usr/sbin/dockerd', podman: '/usr/bin/podman' });
ensureNodeModules();
ensureBuilt(['--tests']);

const dir = join(root, 'out/test/interop');
const words = process.argv.slice(2);
let suites = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(dir, f)) : [];
if (words.length) suites = suites.filter((f) => words.some((w) => f.includes(w)));
if (!suites.length) {
  console.log('not ok - no interop test files to run');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const countFile = join(root, 'out/interop-count.txt');
rmSync(countFile, { force: true });
const result = spawnSync(process.execPath, [
  '--test', '--test-concurrency=1', '--test-timeout=900000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${countFile}`,
  ...suites,
], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
const m = /^STRATA-COUNT (\d+) (\d+)$/m.exec(existsSync(countFile) ? readFileSync(countFile, 'utf8') : '');
const passed = m ? Number(m[1]) : 0;
const failed = m ? Number(m[2]) : 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && result.status === 0 ? 0 : 1);
