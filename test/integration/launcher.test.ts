// bin/strata, the command users run: it sets NODE_EXTRA_CA_CERTS aside (Node parses that bundle
// at every start-up, ~40 ms here, and the CLI never speaks TLS) and the helper it starts gets the
// variable back, for whatever it may fetch one day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('bin/strata finds its checkout however it is run: by path, relative, through links, by PATH, by sh', async () => {
  const bin = join(repoRoot(), 'bin');
  const links = mkdtempSync(join(tmpdir(), 'strata-launcher-'));
  try {
    symlinkSync(join(bin, 'strata'), join(links, 'strata')); // as `npm install -g` links the command
    symlinkSync(bin, join(links, 'bin')); // a link to the folder: "bin/.." by its letters is `links`
    const ways: [string, string[], string][] = [
      ['by its absolute path', [join(bin, 'strata')], repoRoot()],
      ['relative to the working directory', ['bin/strata'], repoRoot()],
      ['as ./strata', ['./strata'], bin],
      ['as `sh strata`', ['sh', 'strata'], bin],
      ['through a symlink to the script', [join(links, 'strata')], tmpdir()],
      ['through a symlink to its folder', [join(links, 'bin', 'strata')], tmpdir()],
      ['through a symlink to its folder, with a doubled slash', [`${links}/bin//strata`], tmpdir()],
      ['with a ".." in its path', [join(bin, '..', 'bin', 'strata')], tmpdir()],
    ];
    for (const [way, [file, ...args], cwd] of ways) {
      const { stdout } = await run(file, [...args, '--version'], { cwd });
      assert.match(stdout, /^strata version \d+\.\d+\.\d+$/m, way);
    }
    const viaPath = await run('strata', ['--version'], { cwd: tmpdir(), env: { ...process.env, PATH: `${links}:${process.env.PATH}` } });
    assert.match(viaPath.stdout, /^strata version \d+\.\d+\.\d+$/m, 'found on PATH (a link there)');
  } finally {
    rmSync(links, { recursive: true, force: true });
  }
});
