// files.read, many paths of one version in one request (what Open Changes asks for), answers each
// path exactly as file.read does: the same kind, bytes, link target and missing paths, across a
// container, an image and a layer's chain; files that do not fit the answer come back as null.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, StrataRequestError, type FileVersion, type StrataClient } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let client: StrataClient;

const PATHS = ['/etc/motd', '/hello', '/etc/os-release', '/escape', '/escape/etc/shadow', '/bin', '/etc/passwd', '/nothing/here', '/big', '/empty'];

before(async () => {
  store = TestStore.create('read-files');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-read-files-')))).tar, 'bb']);
  await store.ok(['run', '--name', 'batch', 'bb', 'sh', '-c',
    'echo new motd > /etc/motd; echo hello > /hello; rm /etc/os-release; ln -s / /escape; head -c 1100000 /dev/zero > /big; : > /empty']);
  client = await store.client();
});
after(async () => { client.dispose(); await store.close(); });

async function sameAsOneByOne(version: FileVersion): Promise<void> {
  const { files } = await client.request('files.read', { version, paths: PATHS });
  assert.equal(files.length, PATHS.length);
  for (const [i, path] of PATHS.entries()) {
    const one = await client.request('file.read', { version, path });
    if (path === '/big' && one.kind === 'file') {
      assert.equal(files[i], null, 'a file over 1 MiB is left for file.read');
      continue;
    }
    assert.deepEqual(files[i], one, `${path} in ${JSON.stringify(version)}`);
  }
}

test('a container\'s paths, as file.read gives each of them', async () => {
  await sameAsOneByOne({ container: 'batch' });
});

test('an image\'s paths and a committed layer\'s chain and its parent\'s, as file.read gives each', async () => {
  await sameAsOneByOne({ image: 'bb' });
  const { layer } = await client.request('container.commit', { id: 'batch', ref: 'batched' });
  const { parent } = await client.request('layer.inspect', { id: layer });
  await sameAsOneByOne({ layer });
  await sameAsOneByOne({ layer: parent! });
});

test('maxBytes 0: what is there and its kind, no bytes (how a shell is looked for)', async () => {
  const { files } = await client.request('files.read', { version: { image: 'bb' }, paths: ['/bin/sh', '/bin/zsh', '/etc/motd'], maxBytes: 0 });
  assert.deepEqual(files.map((f) => f?.kind), ['symlink', 'missing', 'file']);
  assert.equal(files[2]?.data, undefined);
  assert.equal(files[2]?.truncated, true);
});

test('.. in any path refuses the whole request', async () => {
  await assert.rejects(client.request('files.read', { version: { image: 'bb' }, paths: ['/etc/motd', '/../../etc/shadow'] }), (e: unknown) =>
    e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams);
});
