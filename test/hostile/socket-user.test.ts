// What a user of the helper's socket can do (SECURITY.md, "Trust model"), measured as that user:
// the helper runs as a service (`--socket PATH`), the socket is made group-accessible to nogroup,
// and every request below travels through a relay running as nobody:nogroup. Docker's socket hands
// its users the host through bind mounts; Strata's helper never opens a host path on a client's
// behalf, so this user runs containers (as root inside them) but reads and writes no host file:
// not through a tar (../ names, absolute symlinks and hard links), a working directory, file.read's
// paths, or a field the protocol does not have (binds, devices, privileged). The stated limit,
// --network host, is measured too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { StrataClient, StrataRequestError } from '../../helper/protocol';
import { ErrorCode } from '../../helper/protocol/errors';
import { buildTar, type TarSpec } from '../support/archive-tar';
import { HELPER, requireRoot, treeSnapshot } from '../support/strata';

const NOGROUP = 65534;
// Runs as nobody: says who it is, then relays stdio to the socket (as `helper.js --connect` does).
const RELAY = `
const s = require('net').connect(process.argv[1]);
s.on('connect', () => { process.stderr.write('connected as ' + process.getuid() + ':' + process.getgid() + ' groups ' + process.getgroups().join(',') + '\\n'); process.stdin.pipe(s); s.pipe(process.stdout); });
s.on('error', (e) => { process.stderr.write('relay: ' + e.code + '\\n'); process.exit(3); });
s.on('close', () => process.exit(0));
`;

let dir: string;
let victim: string;
let helper: ResultPromise;
let relay: ResultPromise;
let client: StrataClient;
let victimBefore: string[];
const shadowHash = () => createHash('sha256').update(readFileSync('/etc/shadow')).digest('hex');
let shadowBefore: string;
const SECRET = 'host secret, for root only';

before(async () => {
  requireRoot();
  dir = mkdtempSync(join(tmpdir(), 'strata-socket-user-'));
  chmodSync(dir, 0o755);
  victim = join(dir, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'secret'), SECRET, { mode: 0o600 });
  victimBefore = treeSnapshot(victim);
  shadowBefore = shadowHash();
  const sock = join(dir, 'strata.sock');
  helper = execa(process.execPath, [HELPER, '--root', join(dir, 'root'), '--socket', sock], { reject: false, buffer: false });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    helper.stderr!.on('data', (d: Buffer) => { err += d; if (/ serving /.test(err)) resolve(); });
    helper.once('exit', () => reject(new Error(`the helper exited: ${err}`)));
  });
  chownSync(sock, 0, NOGROUP); // the service's group: README "A helper run as a service"
  relay = execa('setpriv', [`--reuid=${NOGROUP}`, `--regid=${NOGROUP}`, '--clear-groups', process.execPath, '-e', RELAY, sock], { reject: false, buffer: false, stdin: 'pipe' });
  const who = await new Promise<string>((resolve) => relay.stderr!.once('data', (d: Buffer) => resolve(String(d))));
  assert.match(who, /^connected as 65534:65534 groups 65534\n/, 'the relay is nobody, in nogroup only');
  const conn = createMessageConnection(new StreamMessageReader(relay.stdout!), new StreamMessageWriter(relay.stdin!));
  conn.listen();
  client = new StrataClient(conn);
});

after(async () => {
  relay?.stdin?.end();
  await relay;
  helper?.kill('SIGTERM');
  await helper;
  rmSync(dir, { recursive: true, force: true });
});

/** No host file changed, and nothing a client got back holds the host's secrets. */
function assertHostUntouched(seen: string[]): void {
  assert.deepEqual(treeSnapshot(victim), victimBefore, 'the victim folder is as it was');
  assert.equal(shadowHash(), shadowBefore, '/etc/shadow is as it was');
  const shadow = readFileSync('/etc/shadow', 'utf8');
  for (const s of seen) {
    assert.ok(!s.includes(SECRET), `a reply held the victim's secret: ${s.slice(0, 200)}`);
    assert.ok(!s.includes(shadow.split('\n')[0]), `a reply held the host's /etc/shadow: ${s.slice(0, 200)}`);
  }
}

async function importTar(specs: TarSpec[], name: string): Promise<{ id?: string; error?: string }> {
  const { token } = await client.request('upload.begin', {});
  const result = client.request('image.import', { token, name });
  const sent = client.upload(token, (async function* () { yield await buildTar(specs); })());
  const [imported] = await Promise.allSettled([result, sent]);
  return imported.status === 'fulfilled' ? { id: imported.value.id } : { error: String((imported.reason as Error).message) };
}

const options = (over: Record<string, unknown>) => ({ tty: false, openStdin: false, env: [], network: 'none' as const, autoRemove: false, ...over });

/** Creates, starts and waits for a container; gives its exit code and id. */
async function run(image: string, over: Record<string, unknown>): Promise<{ id: string; exitCode: number }> {
  const { id } = await client.request('container.create', { image, options: options(over) });
  await client.request('container.start', { id });
  return { id, exitCode: (await client.request('container.wait', { id })).exitCode };
}

async function read(version: { image: string } | { container: string }, path: string): Promise<string> {
  try {
    const r = await client.request('file.read', { version, path });
    return `${r.kind} ${r.linkTarget ?? ''} ${r.data ? Buffer.from(r.data, 'base64').toString('utf8') : ''}`;
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

test('nobody, through the group-accessible socket, uses the engine: lists images, runs a container (root inside it)', async () => {
  assert.ok(Array.isArray(await client.request('images.list', {})));
  await client.request('image.busybox', {});
  const r = await run('busybox', { cmd: ['sh', '-c', 'id -u > /whoami'] });
  assert.equal(r.exitCode, 0);
  assert.equal(await read({ container: r.id }, '/whoami'), 'file  0\n');
});

test('a tar cannot reach host files: ../ names, a symlink then a write through it, hard links to host files', async () => {
  const attempts: [string, TarSpec[]][] = [
    ['dotdot', [{ name: `../../../../../..${victim}/evil`, data: 'pwned' }]],
    ['symlink-then-write', [{ name: 'lnk', type: 'symlink', linkname: victim }, { name: 'lnk/evil', data: 'pwned' }]],
    ['hardlink-absolute', [{ name: 'h', type: 'link', linkname: '/etc/shadow' }]],
    ['hardlink-dotdot', [{ name: 'h', type: 'link', linkname: `../../../../../..${victim}/secret` }]],
  ];
  const seen: string[] = [];
  for (const [name, specs] of attempts) {
    const r = await importTar(specs, `hostile-${name}`);
    seen.push(JSON.stringify(r));
    assert.ok(r.error, `${name}: refused (it was imported as ${r.id})`);
  }
  // A symlink to a host path is data: it imports, and reading it gives the link, not the host file.
  const ok = await importTar([{ name: 's', type: 'symlink', linkname: '/etc/shadow' }, { name: 'v', type: 'symlink', linkname: `${victim}/secret` }], 'links');
  assert.ok(ok.id, ok.error);
  for (const p of ['/s', '/v']) seen.push(await read({ image: 'links' }, p));
  assert.deepEqual(seen.slice(-2), ['symlink /etc/shadow ', `symlink ${victim}/secret `]);
  assertHostUntouched(seen);
});

test('odd working directories stay inside the container: above /, and through an absolute symlink to a host folder', async () => {
  // An image whose /w is a symlink to the host's victim folder (made in a container, then committed).
  const planter = await run('busybox', { cmd: ['ln', '-s', victim, '/w'] });
  await client.request('container.commit', { id: planter.id, ref: 'planted' });
  const seen: string[] = [];
  // Above /: the path is taken inside the container's root, made there, and the command writes there.
  const workdir = `/../../../../..${victim}`;
  const r = await run('planted', { cmd: ['sh', '-c', 'echo pwned > evil; cat secret; pwd'], workdir });
  seen.push(await read({ container: r.id }, `${victim}/evil`));
  assert.match(seen[0], /^file {2}pwned\n$/, `${workdir}: the file was written inside the container`);
  // Through /w: resolved inside the container's root, where the host folder it names does not exist.
  const { id } = await client.request('container.create', { image: 'planted', options: options({ cmd: ['sh', '-c', 'echo pwned > evil'], workdir: '/w' }) });
  await assert.rejects(client.request('container.start', { id }), /chdir to cwd \("\/w"\): No such file or directory/);
  assertHostUntouched(seen);
});

test('file.read cannot climb out: .., /proc/*/root and symlinks to host paths', async (t) => {
  const { id } = await run('busybox', { cmd: ['true'] });
  const paths = ['/../../../../etc/shadow', `/../../../..${victim}/secret`, '/proc/1/root/etc/shadow', `/proc/self/root${victim}/secret`, '/proc/self/cwd/etc/shadow'];
  const seen: string[] = [];
  for (const version of [{ image: 'busybox' }, { container: id }, { image: 'links' }]) {
    for (const p of [...paths, '/s/', '/v/']) seen.push(`${JSON.stringify(version)} ${p}: ${await read(version, p)}`);
  }
  t.diagnostic(seen.join('\n'));
  assertHostUntouched(seen);
});

test('the protocol has no host path to give: binds, mounts, devices, privileged and a host path to import are unknown fields; capAdd of SYS_ADMIN is refused', async () => {
  // capAdd is a field since issue 13: the engine refuses the capabilities that hand over the host
  await assert.rejects(client.request('container.create', { image: 'busybox', options: options({ cmd: ['true'], capAdd: ['SYS_ADMIN'] }) } as never),
    (err) => err instanceof StrataRequestError && err.code === ErrorCode.InvalidParams && /SYS_ADMIN is refused/.test(err.message));
  for (const field of [{ binds: ['/:/host'] }, { mounts: [{ source: '/', target: '/host' }] }, { devices: ['/dev/sda'] }, { privileged: true }, { volumes: { '/host': {} } }]) {
    await assert.rejects(client.request('container.create', { image: 'busybox', options: options({ cmd: ['true'], ...field }) } as never),
      (err) => err instanceof StrataRequestError && err.code === ErrorCode.InvalidParams && /unknown field/.test(err.message), JSON.stringify(field));
  }
  await assert.rejects(client.request('image.import', { token: '0'.repeat(32), path: '/etc' } as never), (err) => err instanceof StrataRequestError && err.code === ErrorCode.InvalidParams);
  assertHostUntouched([]);
});

test('limit, as SECURITY.md states it: with --network host a container reaches the host\'s loopback services; with none it does not', async () => {
  const server: Server = createServer((s) => s.end('HTTP/1.0 200 OK\r\n\r\nhost-only service\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const fetch = `wget -q -O /got http://127.0.0.1:${port}/ ; echo rc=$? >> /got`;
    const host = await run('busybox', { cmd: ['sh', '-c', fetch], network: 'host' });
    assert.match(await read({ container: host.id }, '/got'), /host-only service\nrc=0\n$/);
    const none = await run('busybox', { cmd: ['sh', '-c', fetch], network: 'none' });
    assert.doesNotMatch(await read({ container: none.id }, '/got'), /host-only service/);
  } finally {
    server.close();
  }
});
