// file.list, one directory of a version's merged file system (VS Code's Browse Files): the same
// names the running container itself sees (`ls -a` inside it), across deletions, a directory
// replaced by another (opaque) and a file replaced by a directory; and, as paths come from a client
// and layers are untrusted, no way out of the container's root: '..' is refused, and a planted
// symlink to / (or a path through one) lists nothing of the host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, StrataRequestError, type StrataClient } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let client: StrataClient;

before(async () => {
  store = TestStore.create('file-list');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-file-list-')))).tar, 'bb']);
  // A lower layer with a folder that the container then replaces, one it trims, and a file it turns into a folder.
  await store.ok(['run', '--name', 'base', 'bb', 'sh', '-c',
    'mkdir -p /data/old /data/keep && echo a > /data/old/a && echo k > /data/keep/k && echo f > /data/thing && echo x > /data/gone']);
  await store.ok(['commit', 'base', 'based']);
  await store.ok(['run', '-d', '--name', 'live', 'based', 'sh', '-c',
    'rm -rf /data/old && mkdir /data/old && echo new > /data/old/new && rm /data/gone /data/thing && mkdir /data/thing && echo in > /data/thing/in'
    + ' && ln -s / /escape && ln -s /etc /data/etc-link && echo done > /ready && sleep 300']);
  client = await store.client();
  for (let i = 0; i < 100; i++) {
    if ((await client.request('file.read', { version: { container: 'live' }, path: '/ready' })).kind === 'file') break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { client.dispose(); await store.close(); });

const names = async (path: string, container = 'live') => (await client.request('file.list', { version: { container }, path })).entries.map((e) => e.name);
const inside = async (path: string) => (await store.ok(['exec', 'live', 'ls', '-a', path])).split('\n').filter((n) => n && n !== '.' && n !== '..').sort();

test('each folder lists what the running container itself sees', async () => {
  // /etc/hostname and /etc/resolv.conf are the runtime's bind mounts (as Docker's), in no layer.
  const mounted = (path: string, n: string) => path === '/etc' && (n === 'hostname' || n === 'resolv.conf');
  for (const path of ['/', '/data', '/data/old', '/data/keep', '/data/thing', '/etc', '/bin']) {
    assert.deepEqual(await names(path), (await inside(path)).filter((n) => !mounted(path, n)), path);
  }
  assert.deepEqual(await names('/data/old'), ['new'], 'a folder removed then made again hides the old one');
  assert.ok(!(await names('/data')).includes('gone'), 'a deleted file is not listed');
});

test('entries say what they are: kind, size, link target', async () => {
  const { entries, truncated } = await client.request('file.list', { version: { container: 'live' }, path: '/data' });
  assert.equal(truncated, false);
  const by = new Map(entries.map((e) => [e.name, e]));
  assert.equal(by.get('thing')?.kind, 'dir');
  assert.equal(by.get('etc-link')?.kind, 'symlink');
  assert.equal(by.get('etc-link')?.linkTarget, '/etc');
  const old = (await client.request('file.list', { version: { container: 'live' }, path: '/data/old' })).entries[0];
  assert.equal(old.kind, 'file');
  assert.equal(old.size, 4);
});

test('an image and a layer\'s chain list too; limit cuts and says so', async () => {
  assert.deepEqual((await client.request('file.list', { version: { image: 'based' }, path: '/data' })).entries.map((e) => e.name), ['gone', 'keep', 'old', 'thing']);
  const { entries, truncated } = await client.request('file.list', { version: { image: 'bb' }, path: '/bin', limit: 3 });
  assert.equal(entries.length, 3);
  assert.equal(truncated, true);
});

test('a missing path or a file is NotFound', async () => {
  for (const path of ['/nothing', '/data/gone', '/ready']) {
    await assert.rejects(client.request('file.list', { version: { container: 'live' }, path }), (e: unknown) => e instanceof StrataRequestError && e.code === ErrorCode.NotFound, path);
  }
});

// Threat: a client (or a layer's planted symlink) making root list the host's folders.
test('hostile paths: .. is refused, and a symlink to / (or a path through it) lists nothing of the host', async () => {
  for (const path of ['/..', '/../..', '/etc/../../root', '/data/../../../etc']) {
    await assert.rejects(client.request('file.list', { version: { container: 'live' }, path }), (e: unknown) => e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams, path);
  }
  await assert.rejects(client.request('file.list', { version: { container: 'live' }, path: 'etc' }), (e: unknown) => e instanceof StrataRequestError && e.code === ErrorCode.InvalidParams, 'a relative path');
  for (const path of ['/escape', '/escape/', '/escape/root', '/escape/etc', '/data/etc-link', '/data/etc-link/']) {
    await assert.rejects(client.request('file.list', { version: { container: 'live' }, path }), (e: unknown) => e instanceof StrataRequestError && e.code === ErrorCode.NotFound, `${path} is a link, not a folder`);
  }
  await assert.rejects(client.request('file.list', { version: { container: 'live' }, path: '/etc\0/x' }), (e: unknown) => e instanceof StrataRequestError);
});
