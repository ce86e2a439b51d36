// npm run test:interop: Strata against Docker and Podman themselves, not against recordings.
// Installs Debian's docker.io and podman when missing (as root), builds, then runs
// out/test/interop/*.test.js; each file starts the peers it needs in temporary folders
// (test/support/peers.ts: no bridge, no iptables, no forwarding) and removes them afterwards.
// Not part of npm test: it needs two more engines and several minutes.
// Usage: node scripts/interop.mjs [WORD...]   only the files whose path has a WORD.
// Ends with the line "N passed, N failed".
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt, requireRoot } from './ensure.mjs';
import { runNodeTests, printFailures } from './node-tests.mjs';

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

const { passed, failed, status, failures } = runNodeTests(suites, { timeoutMs: 900000, countFile: join(root, 'out/interop-count.txt') });
printFailures(failures);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && status === 0 ? 0 : 1);
