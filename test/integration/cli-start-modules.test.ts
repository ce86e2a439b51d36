// What a `strata` command loads of Node before it answers: every module is start-up time paid by
// every command (test/bench/README.md, "The CLI"). --version asks no helper: no socket, no
// JSON-RPC, no child process. A command that asks a running helper needs net, and nothing that
// only starting a helper (child_process) or naming IPC pipes (vscode-jsonrpc's Node entry, which
// loads node:crypto and node:os) would need.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestStore, repoRoot } from '../support/strata';

const run = promisify(execFile);
let store: TestStore;
let dir: string;

before(() => {
  store = TestStore.create('cli-start');
  dir = mkdtempSync(join(tmpdir(), 'strata-modules-'));
  // Preloaded by Node before the CLI (NODE_OPTIONS): writes the modules Node loaded at exit.
  writeFileSync(join(dir, 'record.js'), "process.on('exit', () => require('fs').writeFileSync(process.env.STRATA_TEST_MODULES, process.moduleLoadList.join('\\n')));\n");
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function modulesOf(args: string[]): Promise<Set<string>> {
  const list = join(dir, 'modules.txt');
  rmSync(list, { force: true });
  // Output to a file: a pipe or a terminal as stdout is a net.Socket in Node, which loads net.
  const out = openSync(join(dir, 'stdout.txt'), 'w');
  try {
    const done = spawnSync(join(repoRoot(), 'bin/strata'), ['--root', store.root, ...args], {
      env: { ...process.env, NODE_OPTIONS: `--require ${join(dir, 'record.js')}`, STRATA_TEST_MODULES: list },
      stdio: ['ignore', out, 'pipe'],
      encoding: 'utf8',
    });
    assert.equal(done.status, 0, `strata ${args.join(' ')}: ${done.stderr}`);
  } finally {
    closeSync(out);
  }
  return new Set(readFileSync(list, 'utf8').split('\n').map((line) => line.replace(/^NativeModule /, '')));
}

test('--version loads no socket, no JSON-RPC, no child process', async () => {
  const loaded = await modulesOf(['--version']);
  for (const name of ['net', 'crypto', 'os', 'child_process']) assert.ok(!loaded.has(name), `--version loaded ${name}`);
});

test('images -q with the helper running loads net, and neither crypto, os nor child_process', async () => {
  await run(join(repoRoot(), 'bin/strata'), ['--root', store.root, 'images', '-q']); // the helper is started
  const loaded = await modulesOf(['images', '-q']);
  assert.ok(loaded.has('net'), 'the command spoke to its helper');
  for (const name of ['crypto', 'os', 'child_process']) assert.ok(!loaded.has(name), `images -q loaded ${name}`);
});
