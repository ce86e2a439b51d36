// Whoever connects to the helper's socket is root-equivalent, so no other user may connect, not
// even for an instant while it starts (issue 14, defect 4): with `--socket PATH` the socket was
// created with the process umask and chmod'ed to 0660 after listen, and under `umask 000` a
// non-root user connected, and read images.list, on 15 of 15 starts. Here the helper starts
// under umask 000 while `nobody` tries to connect as fast as it can from before the path exists.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { CLI, HELPER, TestStore, requireRoot } from '../support/strata';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const UMASK_000 = ['-c', 'umask 000; exec "$@"', 'sh'];

// Runs as nobody: keeps eight connection attempts in flight until its stdin ends, and on a
// connection asks for images.list; then prints what each attempt met.
const PROBER = `
const net = require('net');
const path = process.argv[1];
const seen = { attempts: 0, ENOENT: 0, EACCES: 0, ECONNREFUSED: 0, other: 0, connected: 0, listed: 0 };
let stopping = false;
const body = '{"jsonrpc":"2.0","id":1,"method":"images.list","params":{}}';
function attempt() {
  if (stopping) return;
  seen.attempts++;
  const s = net.connect(path);
  s.on('connect', () => {
    seen.connected++;
    s.write('Content-Length: ' + body.length + '\\r\\n\\r\\n' + body);
    s.on('data', (d) => { if (String(d).includes('"result"')) seen.listed++; s.destroy(); });
    setImmediate(attempt);
  });
  s.on('error', (e) => { seen[e.code in seen ? e.code : 'other']++; setImmediate(attempt); });
}
for (let i = 0; i < 8; i++) attempt();
process.stdin.resume();
process.stdin.on('end', () => { stopping = true; setTimeout(() => { process.stdout.write(JSON.stringify(seen) + '\\n'); process.exit(0); }, 300); });
process.stdout.write('ready\\n');
`;

interface Seen { attempts: number; ENOENT: number; EACCES: number; ECONNREFUSED: number; other: number; connected: number; listed: number }

/** Starts the prober as nobody against `path`; `stop()` ends it and gives what it saw. */
async function probeAsNobody(path: string): Promise<{ stop: () => Promise<Seen> }> {
  const child = execa('setpriv', [...NOBODY, process.execPath, '-e', PROBER, path], { reject: false, stdin: 'pipe', buffer: false });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => { out += d; });
  for (let i = 0; i < 200 && !out.includes('ready\n'); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(out.includes('ready\n'), `the prober did not start as nobody: ${out}`);
  return {
    stop: async () => {
      child.stdin!.end();
      await child;
      return JSON.parse(out.split('\n').filter(Boolean).pop()!) as Seen;
    },
  };
}

/** Waits for `line` on the helper's stderr (it says when it serves), or for it to exit. */
async function serving(helper: ResultPromise): Promise<void> {
  let err = '';
  helper.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    helper.stderr!.on('data', (d: string) => { err += d; if (/ serving /.test(err)) resolve(); });
    helper.once('exit', () => reject(new Error(`the helper exited: ${err}`)));
  });
}

let dir: string;
before(() => {
  requireRoot();
  dir = mkdtempSync(join(tmpdir(), 'strata-socket-mode-'));
  chmodSync(dir, 0o755); // nobody can reach a socket here: only the socket's own mode keeps it out
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

test('--socket under umask 000: nobody never connects, on any of 5 starts, and the socket is 0660', async () => {
  const sock = join(dir, 'strata.sock');
  for (let start = 1; start <= 5; start++) {
    const prober = await probeAsNobody(sock);
    const helper = execa('sh', [...UMASK_000, process.execPath, HELPER, '--root', join(dir, 'root'), '--socket', sock], { reject: false, buffer: false });
    await serving(helper);
    const mode = statSync(sock).mode;
    await new Promise((r) => setTimeout(r, 200)); // still trying for a while after it serves
    const seen = await prober.stop();
    helper.kill('SIGTERM');
    await helper;
    assert.equal(seen.connected, 0, `start ${start}: nobody connected ${seen.connected} times and read images.list ${seen.listed} times`);
    assert.ok(seen.EACCES > 0, `start ${start}: the prober never reached the socket (${JSON.stringify(seen)})`);
    assert.ok((mode & 0o170000) === 0o140000, 'a socket');
    assert.equal((mode & 0o7777).toString(8), '660', `start ${start}: mode`);
    assert.equal(existsSync(sock), false, `start ${start}: the socket file goes when the helper stops`);
  }
});

let store: TestStore | undefined;
after(async () => { await store?.close(); });

test('the store\'s own helper.sock under umask 000: <root> 0700, helper.sock 0660, nobody never connects', async () => {
  store = TestStore.create('socket-mode');
  chmodSync(dirname(store.root), 0o755); // only <root>'s mode stands between nobody and the socket
  const sock = join(store.root, 'helper.sock');
  const prober = await probeAsNobody(sock);
  // The CLI starts the helper in the background, which keeps the CLI's umask.
  const r = await execa('sh', [...UMASK_000, process.execPath, CLI, '--root', store.root, 'images'], { reject: false, env: { STRATA_IDLE_TIMEOUT: '120' } });
  assert.equal(r.exitCode, 0, String(r.stderr));
  const seen = await prober.stop();
  assert.equal(seen.connected, 0, `nobody connected ${seen.connected} times`);
  assert.ok(seen.EACCES > 0, JSON.stringify(seen));
  assert.equal((statSync(store.root).mode & 0o7777).toString(8), '700');
  assert.equal((statSync(sock).mode & 0o7777).toString(8), '660');
});
