// Strata upgraded while its helper runs: the CLI finds a helper from another build. With no
// container running in it, it is replaced (an older helper may not speak this build's protocol);
// with containers running, it is kept (they live in it) and every command says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { StrataClient } from '../../helper/protocol';
import { BUILD_ID } from '../../helper/protocol/methods';
import { HELPER, TestStore, busyboxTarball, repoRoot } from '../support/strata';

let store: TestStore;
let oldHelper = '';

before(async () => {
  store = TestStore.create('upgrade');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-upgrade-')))).tar, 'bb']);
  // "Another build": this build's helper with another build id compiled in.
  const dir = mkdtempSync(join(tmpdir(), 'strata-old-build-'));
  oldHelper = join(dir, 'helper.js');
  const source = readFileSync(HELPER, 'utf8');
  assert.ok(source.includes(JSON.stringify(BUILD_ID)), 'the build id is compiled into the helper');
  writeFileSync(oldHelper, source.split(JSON.stringify(BUILD_ID)).join('"0ld0ld0ld0ld0ld0"'));
});
after(async () => { await store.close(); });

async function startOldHelper(): Promise<number> {
  await store.stopHelper();
  const log = openSync(join(store.root, 'helper.log'), 'a');
  const child = spawn(process.execPath, [oldHelper, '--root', store.root], {
    detached: true, stdio: ['ignore', log, log], env: { ...process.env, STRATA_NATIVE_DIR: join(repoRoot(), 'dist') },
  });
  child.unref();
  for (let i = 0; i < 400; i++) {
    if (store.helperPid() === child.pid && existsSync(join(store.root, 'helper.sock'))) {
      const info = await (await store.client()).request('store.info', {});
      assert.equal(info.build, '0ld0ld0ld0ld0ld0');
      return child.pid!;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the old-build helper did not start');
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('a helper from another build with no running container is replaced, silently', async () => {
  const old = await startOldHelper();
  const r = await store.cli(['images']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^bb\s+latest/m);
  assert.notEqual(store.helperPid(), old, 'a new helper serves the store');
  assert.equal(alive(old), false, 'the old one stopped');
  const info = await (await store.client()).request('store.info', {});
  assert.equal(info.build, BUILD_ID);
});

test('a helper from another build with a running container is kept, and each command says why', async () => {
  const old = await startOldHelper();
  const client = await store.client(); // no build check on this path: what an old client would do
  const { id } = await client.request('container.create', { image: 'bb', options: { cmd: ['sleep', '300'], env: [], tty: false, openStdin: false, network: 'none', autoRemove: false } });
  await client.request('container.start', { id });
  const r = await store.cli(['ps']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${id.slice(0, 12)}\\s+bb\\s+"sleep 300"`, 'm'));
  assert.match(r.stderr, new RegExp(`^strata: the helper serving .* \\(pid ${old}\\) was started from another build of Strata; it keeps serving while its 1 running container\\(s\\) live in it\\. Stop them \\(strata ps\\) and the next command starts this build's helper\\.\\n$`));
  assert.equal(store.helperPid(), old);
  await store.ok(['rm', '-f', id]);
  const after = await store.cli(['ps', '-a']);
  assert.equal(after.stderr, '', 'with nothing running, the next command replaced it');
  assert.notEqual(store.helperPid(), old);
});

test('the --connect relay (how the extension reaches a helper through sudo or pkexec) replaces it too', async () => {
  const old = await startOldHelper();
  const relay = spawn(process.execPath, [HELPER, '--root', store.root, '--connect'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const conn = createMessageConnection(new StreamMessageReader(relay.stdout!), new StreamMessageWriter(relay.stdin!));
  conn.listen();
  const client = new StrataClient(conn);
  try {
    const info = await client.request('store.info', {});
    assert.equal(info.build, BUILD_ID, 'the relay reached a helper of its own build');
    assert.notEqual(info.helperPid, old);
    assert.equal(alive(old), false);
  } finally {
    client.dispose();
    relay.kill();
  }
});
