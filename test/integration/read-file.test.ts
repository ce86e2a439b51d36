// What the diff editor shows: a changed file as the container or layer has it, and as the layers
// below see it, read by the root helper without ever following a path out of the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, StrataRequestError, type FileContent, type StrataClient } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let client: StrataClient;
const text = (f: FileContent) => (f.data === undefined ? undefined : Buffer.from(f.data, 'base64').toString('utf8'));

before(async () => {
  store = TestStore.create('read-file');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-read-')))).tar, 'bb']);
  await store.ok(['run', '--name', 'changer', 'bb', 'sh', '-c', 'echo new motd > /etc/motd; echo hello > /hello; rm /etc/os-release; ln -s / /escape']);
  client = await store.client();
});
after(async () => { client.dispose(); await store.close(); });

test('a container\'s changed file, and the same path as its image has it', async () => {
  const mine = await client.request('container.readFile', { id: 'changer', path: '/etc/motd', side: 'container' });
  assert.equal(mine.kind, 'file');
  assert.equal(text(mine), 'new motd\n');
  assert.equal(text(await client.request('container.readFile', { id: 'changer', path: '/etc/motd', side: 'image' })), 'Welcome to a Strata busybox container.\n');
  assert.equal((await client.request('container.readFile', { id: 'changer', path: '/hello', side: 'image' })).kind, 'missing', 'an added file has nothing below');
  assert.equal((await client.request('container.readFile', { id: 'changer', path: '/etc/os-release', side: 'container' })).kind, 'missing', 'a deleted file has nothing above');
  assert.equal((await client.request('container.readFile', { id: 'changer', path: '/escape', side: 'container' })).linkTarget, '/');
});

test('after commit: the file in the layer, and as the layers below see it', async () => {
  const { layer } = await client.request('container.commit', { id: 'changer', ref: 'changed' });
  assert.equal(text(await client.request('layer.readFile', { id: layer, path: '/etc/motd', side: 'layer' })), 'new motd\n');
  assert.equal(text(await client.request('layer.readFile', { id: layer, path: '/etc/motd', side: 'below' })), 'Welcome to a Strata busybox container.\n');
  assert.equal((await client.request('layer.readFile', { id: layer, path: '/etc/os-release', side: 'layer' })).kind, 'missing');
  assert.equal(text(await client.request('layer.readFile', { id: layer, path: '/etc/os-release', side: 'below' })), 'NAME="Strata busybox"\nID=busybox\n');
});

test('a symlink planted in a layer is never followed out of it, and .. is refused', async () => {
  const through = await client.request('container.readFile', { id: 'changer', path: '/escape/etc/shadow', side: 'container' });
  assert.equal(through.kind, 'missing', 'the host\'s /etc/shadow is not reachable through /escape -> /');
  await assert.rejects(client.request('container.readFile', { id: 'changer', path: '/../../etc/shadow', side: 'image' }), (e: unknown) =>
    e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams && /not a file path inside a layer/.test(e.message));
});
