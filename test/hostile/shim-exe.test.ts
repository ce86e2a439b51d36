// CVE-2019-5736 against Strata: a container must not be able to reach the host's shim binary and
// overwrite it (the next `strata run` would then run the attacker's code as root on the host).
// The attack is the original one: the image's /victim starts with "#!/proc/self/exe", so when the
// runtime execs it the kernel loads the runtime's own binary in the container; the image's loader
// (exe-grab) opens that through /proc/self/exe and a process of the container keeps it until the
// shim that ran it has exited, then reopens it for writing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constants as os } from 'node:os';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execIn, type ContainerProcess, type LaunchSpec } from '../../helper/runtime';
import { nativeTool } from '../../helper/native';
import { DEFAULT_PATH, eventually, finish, makeRuntimeStore, type RuntimeStore } from '../support/runtime-fixture';
import { plantExeProbes } from '../support/exe-probe';

let store: RuntimeStore;
let spec: LaunchSpec;
let init: ContainerProcess;
let tools: string;
let shim: string;
before(async () => {
  // A copy of the native tools for this test to run: should the attack succeed, it damages the
  // copy, not the build that the other tests use.
  tools = mkdtempSync('/tmp/strata-shim-exe-');
  for (const name of ['strata-shim', 'strata-fs'] as const) copyFileSync(nativeTool(name), join(tools, name));
  process.env.STRATA_NATIVE_DIR = tools;
  shim = join(tools, 'strata-shim');
  store = await makeRuntimeStore();
  plantExeProbes(store.layerDir, shim, join(tools, 'build'));
  ({ spec, init } = await store.sleeper());
});
after(async () => {
  await store.dispose();
  delete process.env.STRATA_NATIVE_DIR;
  rmSync(tools, { recursive: true, force: true });
});

const base = { env: [DEFAULT_PATH], cwd: '/', user: '', tty: false, openStdin: false };

async function exec(cmd: string[]) {
  return finish(await execIn({ pid: init.pid, id: spec.id }, { ...base, cmd }));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Runs the attack once: /victim grabs the binary that execs it; once that exec (and its shim) has
 *  ended, the process holding it reopens it for writing and writes. Its report is read from the
 *  container's upper dir: an exec to read it would run the shim binary again and keep it busy. */
async function attack(): Promise<{ held: string; open: number; write: number }> {
  assert.equal((await exec(['rm', '-f', '/result'])).code, 0); // the previous attack's
  const grabbed = await exec(['/victim']);
  const held = /^held (\d+ \d+)\n$/.exec(grabbed.stdout);
  assert.ok(held, `the probe got hold of the binary that ran /victim: ${JSON.stringify(grabbed)}`);
  const report = join(spec.containerDir, 'upper', 'result');
  const result = await eventually('the probe\'s write attempt', () => (existsSync(report) ? readFileSync(report, 'utf8') : undefined));
  const [, open, write] = /^open=(-?\d+) write=(-?\d+)\n$/.exec(result)!.map(Number);
  return { held: held[1], open, write };
}

function assertRefused(got: { held: string; open: number; write: number }, host: { dev: bigint; ino: bigint }): void {
  const what = `(reopened for writing: open=${got.open} write=${got.write})`;
  assert.notEqual(got.held, `${host.dev} ${host.ino}`, `the container holds the host's shim file itself ${what}`);
  const refused = [os.errno.EPERM, os.errno.EROFS];
  assert.ok(refused.includes(got.open) || (got.open === 0 && refused.includes(got.write)), `writing must fail with EPERM or EROFS, not only while a shim runs ${what}`);
}

test('a container that grabs the shim through /proc/self/exe cannot write to it (CVE-2019-5736)', async () => {
  const before = sha256(shim);
  assertRefused(await attack(), statSync(shim, { bigint: true }));
  assert.equal(sha256(shim), before, 'the host\'s shim binary is unchanged');
});

test('nor after an upgrade, when no running shim keeps the new binary busy (ETXTBSY is no defence)', async () => {
  // An upgrade writes a new file in place of the old: the running container's shim keeps the old
  // inode, and the exec that runs /victim is the only user of the new one.
  copyFileSync(shim, `${shim}.new`);
  renameSync(`${shim}.new`, shim);
  const before = sha256(shim);
  assertRefused(await attack(), statSync(shim, { bigint: true }));
  assert.equal(sha256(shim), before, 'the host\'s shim binary is unchanged');
});
