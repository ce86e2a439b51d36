// The shim reads the container's /etc/passwd and /etc/group itself (helper/runtime/native/user.c).
// A read error must stop the container with a clear error: read as an empty or cut file, it would
// start the process with the wrong groups or home, or misreport a user as missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/strata';

let dir: string;
let harness: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-user-db-'));
  harness = join(dir, 'user-db-harness');
  const src = (f: string) => join(repoRoot(), f);
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-std=gnu11', '-U_FORTIFY_SOURCE', '-Wl,--wrap=read', '-o', harness,
    src('test/support/user-db-harness.c'), src('helper/runtime/native/user.c')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const resolve = (spec: string) => execFileSync(harness, [spec], { encoding: 'utf8' });

test('a read error on /etc/passwd refuses the user, by name or by id, naming the error', () => {
  for (const spec of ['nobody', '0', '1000:1000']) {
    assert.equal(resolve(spec), 'fail 125 unable to read the container\'s /etc/passwd: Input/output error\n', spec);
  }
});
