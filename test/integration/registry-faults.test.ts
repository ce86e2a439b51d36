// What goes wrong between Strata and a registry: a corrupted blob in the registry's storage makes
// the pull fail with nothing kept (the store as it was, tmp/ empty); a pull cut short (cancelled,
// or its helper killed) runs again to the end, and after a cancel the layers it had verified are
// not fetched again; a push cancelled before its manifest runs again without sending a layer
// again; a host that is not loopback gets no plain http without --insecure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readdirSync, writeSync, closeSync, statSync } from 'node:fs';
import http from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, TestStore, treeSnapshot } from '../support/strata';
import { freePort, type Proxy, type Registry } from '../support/registry';
import { type RegistryFixture, type RegistryStores, startRegistryFixture } from '../support/registry-stores';

let registry: Registry;
let proxy: Proxy;
let a: TestStore;
let reg: RegistryStores;
let fixture: RegistryFixture | undefined;
let layers: { digest: string; size: number }[] = [];



/** The store's folders that hold images and layers (the helper's pid, socket and log left out). */
function storeListing(store: TestStore): string[] {
  return treeSnapshot(store.root).filter((l) => !l.startsWith('tmp') && !l.startsWith('cache'));
}

before(async () => {
  fixture = await startRegistryFixture('registry-faults');
  ({ registry, proxy, reg } = fixture);
  a = await reg.freshWithBusybox('push');
  // Three layers, the top two with a few MB each, so that a pull can be caught between them.
  await reg.ok(a, ['run', '--name', 'l2', 'bb:imported', 'sh', '-c', 'dd if=/dev/urandom of=/big2 bs=1M count=4 2>/dev/null']);
  await reg.ok(a, ['commit', 'l2', 'bb:l2']);
  await reg.ok(a, ['run', '--name', 'l3', 'bb:l2', 'sh', '-c', 'dd if=/dev/urandom of=/big3 bs=1M count=4 2>/dev/null']);
  await reg.ok(a, ['commit', 'l3', `${registry.host}/three:1`]);
  await reg.ok(a, ['push', `${registry.host}/three:1`]);
  const manifest = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/three:1`])).stdout);
  layers = manifest.layers;
  assert.equal(layers.length, 3);
});
after(() => fixture?.stop());

test('a pull cancelled mid-way runs again to the end, and does not fetch again the layers it had verified', async () => {
  const b = reg.fresh('cancelled');
  await reg.ok(b, ['images']);
  const blobGets = (d: string) => proxy.count('GET', new RegExp(`/blobs/${d}$`));
  proxy.hold = (s) => s.method === 'GET' && s.path.endsWith(`/blobs/${layers[2].digest}`);
  const cli = execa(process.execPath, [CLI, '--root', b.root, 'pull', `${proxy.host}/three:1`], { reject: false, env: reg.env });
  await proxy.waitHeld();
  // Layers 1 and 2 are verified and moved in before 3 arrives: wait for them, then Ctrl-C.
  for (let i = 0; i < 200 && readdirSync(join(b.root, 'graph')).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  cli.kill('SIGINT');
  const r = await cli;
  proxy.release();
  assert.equal(r.exitCode, 130, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /cancelled/);
  assert.equal(readdirSync(join(b.root, 'images')).length, 0, 'no image from a cancelled pull');
  const gets = layers.map((l) => blobGets(l.digest));
  const again = await reg.ok(b, ['pull', `${proxy.host}/three:1`]);
  assert.equal((again.match(/: Already exists\n/g) ?? []).length, 2, again);
  assert.deepEqual(layers.map((l) => blobGets(l.digest)), [gets[0], gets[1], gets[2] + 1], 'only the missing layer was fetched again');
  const ref = `${proxy.host}/three:1`;
  assert.equal((await reg.ok(b, ['images', '-q', '--no-trunc', ref])).trim(), (await reg.ok(a, ['images', '-q', '--no-trunc', `${registry.host}/three:1`])).trim());
  assert.deepEqual(readdirSync(join(b.root, 'tmp')), []);
});

test('a pull whose helper is killed mid-way runs again to the end', async () => {
  const b = reg.fresh('killed');
  await reg.ok(b, ['images']);
  proxy.hold = (s) => s.method === 'GET' && s.path.endsWith(`/blobs/${layers[1].digest}`);
  const cli = execa(process.execPath, [CLI, '--root', b.root, 'pull', `${proxy.host}/three:1`], { reject: false, env: reg.env });
  await proxy.waitHeld();
  await b.stopHelper('SIGKILL');
  const r = await cli;
  proxy.release();
  assert.notEqual(r.exitCode, 0);
  await reg.ok(b, ['pull', `${proxy.host}/three:1`]);
  assert.equal((await reg.ok(b, ['images', '-q', '--no-trunc', `${proxy.host}/three:1`])).trim(), (await reg.ok(a, ['images', '-q', '--no-trunc', `${registry.host}/three:1`])).trim());
  assert.equal((await reg.ok(b, ['run', '--rm', `${proxy.host}/three:1`, 'ls', '/big2', '/big3'])).trim(), '/big2\n/big3');
});

test('a push cancelled before its manifest runs again and sends only what the registry lacks', async () => {
  const ref = `${proxy.host}/three-again:1`;
  await reg.ok(a, ['tag', `${registry.host}/three:1`, ref]);
  // Held: the manifest's PUT, once every layer went up (or was mounted).
  proxy.hold = (s) => s.method === 'PUT' && /\/manifests\//.test(s.path);
  const cli = execa(process.execPath, [CLI, '--root', a.root, 'push', ref], { reject: false, env: reg.env });
  await proxy.waitHeld();
  cli.kill('SIGINT');
  const r = await cli;
  proxy.release();
  assert.equal(r.exitCode, 130, `${r.stdout}\n${r.stderr}`);
  const uploadsBefore = proxy.count('POST', /\/blobs\/uploads\/$/) + proxy.count('PATCH', /./);
  const again = await reg.ok(a, ['push', ref]);
  assert.equal((again.match(/: Layer already exists\n/g) ?? []).length, 3, again);
  assert.equal(proxy.count('POST', /\/blobs\/uploads\/$/) + proxy.count('PATCH', /./), uploadsBefore, 'nothing uploaded again');
  const digest = /1: digest: (sha256:[a-f0-9]{64})/.exec(again)![1];
  const b = reg.fresh('after-push-cancel');
  await reg.ok(b, ['pull', `${proxy.host}/three-again@${digest}`]);
});

test('a corrupted blob in the registry: the pull fails, nothing is kept, tmp/ is empty', async () => {
  const b = reg.fresh('corrupt');
  await reg.ok(b, ['images']);
  const before = storeListing(b);
  // The top layer's bytes, changed in place in the registry's storage (same size).
  const file = registry.blobFile(layers[2].digest);
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('corrupted by the test'), 0, 21, Math.floor(size / 2));
  closeSync(fd);
  const r = await b.cli(['pull', `${registry.host}/three:1`], { env: reg.env });
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /refused, nothing was kept/);
  assert.match(r.stderr, new RegExp(`${layers[2].digest}.*corrupted|bad gzip|corrupted`));
  assert.deepEqual(storeListing(b), before, 'the store as it was');
  assert.deepEqual(readdirSync(join(b.root, 'tmp')), [], 'nothing left in tmp/');
});

/** An address of this machine that is not loopback. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (!i.internal && i.family === 'IPv4') return i.address;
  return undefined;
}

test('a host that is not loopback: no plain http without --insecure, and a message that says so', async () => {
  const address = outsideAddress();
  assert.ok(address, 'this machine has no non-loopback IPv4 address to test with');
  const port = await freePort();
  const requests: string[] = [];
  const server = http.createServer((req, res) => { requests.push(`${req.method} ${req.url}`); res.writeHead(404); res.end(); });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(port, address, () => r()));
  try {
    const b = reg.fresh('insecure');
    const r = await b.cli(['pull', `${address}:${port}/x:1`], { env: reg.env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /https failed.*--insecure/);
    assert.equal(requests.length, 0, `no plain-http request reached the server: ${requests.join(', ')}`);
    const insecure = await b.cli(['pull', '--insecure', `${address}:${port}/x:1`], { env: reg.env });
    assert.notEqual(insecure.code, 0);
    assert.ok(requests.includes('GET /v2/'), `with --insecure it spoke http: ${requests.join(', ')}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
