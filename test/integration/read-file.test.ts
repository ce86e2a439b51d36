// What the diff editor shows: a path as one version of a file system has it (a container, a layer's
// chain, an image), read by the root helper without ever following a path out of the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, StrataRequestError, type FileContent, type FileVersion, type StrataClient } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let client: StrataClient;
const read = (version: FileVersion, path: string) => client.request('file.read', { version, path });
const text = (f: FileContent) => (f.data === undefined ? undefined : Buffer.from(f.data, 'base64').toString('utf8'));

before(async () => {
  store = TestStore.create('read-file');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-read-')))).tar, 'bb']);
  await store.ok(['run', '--name', 'changer', 'bb', 'sh', '-c', 'echo new motd > /etc/motd; echo hello > /hello; rm /etc/os-release; ln -s / /escape']);
  client = await store.client();
});
after(async () => { client.dispose(); await store.close(); });

test('a container\'s changed file, and the same path as its image has it; an unchanged file reads through', async () => {
  const mine = await read({ container: 'changer' }, '/etc/motd');
  assert.equal(mine.kind, 'file');
  assert.equal(text(mine), 'new motd\n');
  assert.equal(text(await read({ image: 'bb' }, '/etc/motd')), 'Welcome to a Strata busybox container.\n');
  assert.equal((await read({ image: 'bb' }, '/hello')).kind, 'missing', 'an added file has nothing below');
  assert.equal((await read({ container: 'changer' }, '/etc/os-release')).kind, 'missing', 'a deleted file has nothing above');
  assert.equal((await read({ container: 'changer' }, '/escape')).linkTarget, '/');
  // A version is a whole file system: what the container did not change reads as its image has it.
  assert.equal(text(await read({ container: 'changer' }, '/etc/passwd')), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
});

test('a version names exactly one of layer, container and image, each in its exact form', async () => {
  for (const version of [{}, { layer: 'abcd', image: 'bb' }, { volume: 'x' }, { layer: '../x' }, { container: '/etc' }]) {
    await assert.rejects(client.request('file.read', { version, path: '/etc/motd' } as never), (e: unknown) =>
      e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams, JSON.stringify(version));
  }
});

test('after commit: the path in the new layer\'s chain, and in its parent\'s (the two sides of its diff)', async () => {
  const { layer } = await client.request('container.commit', { id: 'changer', ref: 'changed' });
  const { parent } = await client.request('layer.inspect', { id: layer });
  assert.ok(parent, 'the committed layer sits on the image\'s layer');
  assert.equal(text(await read({ layer }, '/etc/motd')), 'new motd\n');
  assert.equal(text(await read({ layer: parent }, '/etc/motd')), 'Welcome to a Strata busybox container.\n');
  assert.equal((await read({ layer }, '/etc/os-release')).kind, 'missing');
  assert.equal(text(await read({ layer: parent }, '/etc/os-release')), 'NAME="Strata busybox"\nID=busybox\n');
});

test('a symlink planted in a layer is never followed out of it, and .. is refused', async () => {
  const through = await read({ container: 'changer' }, '/escape/etc/shadow');
  assert.equal(through.kind, 'missing', 'the host\'s /etc/shadow is not reachable through /escape -> /');
  await assert.rejects(read({ image: 'bb' }, '/../../etc/shadow'), (e: unknown) =>
    e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams && /not a file path inside a layer/.test(e.message));
});
