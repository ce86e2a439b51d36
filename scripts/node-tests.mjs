// Runs node:test files one at a time with the spec reporter on stdout and Strata's counting
// reporter into a file (scripts/count-reporter.mjs), for npm test and npm run test:interop.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './ensure.mjs';

/**
 * The files' counts: passed and failed (a run that printed no count is one failure), the exit
 * status, and a line for each failed test ("file > name: why").
 */
export function runNodeTests(files, { timeoutMs, countFile }) {
  rmSync(countFile, { force: true });
  const result = spawnSync(process.execPath, [
    '--test',
    '--test-concurrency=1',
    `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`,
    `--test-reporter-destination=${countFile}`,
    ...files,
  ], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  const text = existsSync(countFile) ? readFileSync(countFile, 'utf8') : '';
  const m = /^STRATA-COUNT (\d+) (\d+)$/m.exec(text);
  const failures = [...text.matchAll(/^STRATA-FAIL (.*)$/gm)].map((f) => f[1].replace(join(root, '/'), ''));
  if (!m) failures.push('the test run printed no count (it crashed or was killed)');
  return { passed: m ? Number(m[1]) : 0, failed: m ? Number(m[2]) : 1, status: result.status, failures };
}

/** Names the failed tests again just above the count line, where CI's tail of the output shows them. */
export function printFailures(failures) {
  if (!failures?.length) return;
  console.log(`failed tests (${failures.length}):`);
  for (const f of failures) console.log(`  ✖ ${f}`);
}
