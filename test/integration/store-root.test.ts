// --root as a user types it: a relative folder is the one under the current directory, and a folder
// other users use (/tmp-like, or a user's own) is refused with a reason instead of being taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, HELPER, requireRoot } from '../support/strata';

async function strata(args: string[], cwd: string) {
  const r = await execa(process.execPath, [CLI, ...args], { cwd, reject: false, env: { STRATA_IDLE_TIMEOUT: '5' }, timeout: 60_000 });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function stopHelperOf(root: string): Promise<void> {
  await strata(['--root', root, 'images'], tmpdir()); // (no-op if none runs)
  const pidFile = join(root, 'helper.pid');
  if (!existsSync(pidFile)) return;
  const { readFileSync } = await import('node:fs');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 200; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a relative --root is the folder under the current directory', async () => {
  requireRoot();
  const cwd = mkdtempSync(join(tmpdir(), 'strata-relroot-'));
  try {
    const r = await strata(['--root', 'store', 'images', '-q'], cwd);
    assert.deepEqual([r.code, r.stderr, r.stdout], [0, '', '']);
    assert.ok(statSync(join(cwd, 'store/helper.sock')).isSocket(), 'its helper serves <cwd>/store');
    assert.equal(statSync(join(cwd, 'store')).mode & 0o777, 0o700);
    await stopHelperOf(join(cwd, 'store'));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a folder others use is refused as a store root and left as it was: sticky and world-writable, or a user\'s own', async () => {
  requireRoot();
  const base = mkdtempSync(join(tmpdir(), 'strata-sharedroot-'));
  try {
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const r = await strata(['--root', shared, 'images'], base);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`refusing ${shared} as a store root: others may write to it \\(mode 1777\\).*give a folder of its own, e\\.g\\. ${shared}/strata`));
    assert.equal(statSync(shared).mode & 0o7777, 0o1777, 'its mode is untouched');
    assert.deepEqual(readdirSync(shared), [], 'nothing was made in it');
    // The helper itself refuses too, however it is started.
    const h = await execa(process.execPath, [HELPER, '--root', shared], { reject: false, timeout: 30_000 });
    assert.equal(h.exitCode, 1);
    assert.match(String(h.stderr), /^strata helper: refusing .* as a store root: others may write to it/);
    assert.equal(statSync(shared).mode & 0o7777, 0o1777);
    assert.deepEqual(readdirSync(shared), []);

    const users = join(base, 'users');
    mkdirSync(users, { mode: 0o755 });
    chownSync(users, 65534, 65534);
    const u = await strata(['--root', users, 'images'], base);
    assert.equal(u.code, 1, u.stderr);
    assert.match(u.stderr, /it belongs to uid 65534/);
    assert.equal(statSync(users).mode & 0o777, 0o755);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
