// bin/strata, the command users run: it sets NODE_EXTRA_CA_CERTS aside (Node parses that bundle
// at every start-up, ~40 ms here, and the CLI never speaks TLS) and the helper it starts gets the
// variable back, for whatever it may fetch one day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestStore, repoRoot } from '../support/strata';

const run = promisify(execFile);
let store: TestStore;

before(() => { store = TestStore.create('launcher'); });
after(async () => { await store.close(); });

test('bin/strata runs the CLI without NODE_EXTRA_CA_CERTS, and the helper it starts has it back', async () => {
  const bin = join(repoRoot(), 'bin/strata');
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
  const { stdout } = await run(bin, ['--root', store.root, 'images'], { env });
  assert.match(stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  const version = await run(bin, ['--version'], { env });
  assert.match(version.stdout, /^strata version \d+\.\d+\.\d+$/m, 'the version, through the launcher');
  const helperEnv = readFileSync(`/proc/${store.helperPid()}/environ`, 'latin1').split('\0');
  assert.ok(helperEnv.includes('NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'), 'the helper has the variable');
  assert.ok(!helperEnv.some((e) => e.startsWith('STRATA_NODE_EXTRA_CA_CERTS=')), 'and not the set-aside copy');
});

test('the CLI itself starts without the variable (checked from inside: its own environment)', async () => {
  const bin = join(repoRoot(), 'bin/strata');
  // `strata` prints its environment nowhere; a node with the same launcher logic shows what it gets.
  const script = readFileSync(bin, 'utf8').replace(/exec node .*$/m, 'exec node -e "console.log(process.env.NODE_EXTRA_CA_CERTS ?? \'unset\', process.env.STRATA_NODE_EXTRA_CA_CERTS)"');
  const { stdout } = await run('sh', ['-c', script, 'strata'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '/x.pem' } });
  assert.equal(stdout.trim(), 'unset /x.pem');
});
