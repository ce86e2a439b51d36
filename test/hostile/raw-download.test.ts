// The raw download channel on the real helper (protocol/raw-download.ts): a download goes only to a
// connection that presents its token, once; a garbage header or an unknown token is closed; a
// client that goes away mid-download stops the save (its request fails, the helper serves on); a
// save that fails before its first byte (no such image) reaches the client as that error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawDownloadHeader, StrataRequestError } from '../../helper/protocol';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;

const helperLog = () => readFileSync(join(store.root, 'helper.log'), 'utf8');

async function rawSocket(): Promise<net.Socket> {
  const sock = net.connect(join(store.root, 'helper.sock'));
  sock.on('error', () => undefined);
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  return sock;
}

/** Everything the helper sends on `sock` until it closes it. */
async function readAll(sock: net.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of sock) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function waitForLog(pattern: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !pattern.test(helperLog()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(helperLog(), pattern);
}

before(async () => {
  store = TestStore.create('hostile-raw-download');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-raw-download-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

test('a garbage header and an unknown token get nothing and are closed', async () => {
  const garbage = await rawSocket();
  garbage.write('STRATA-DOWNLOAD ../../etc/passwd\n');
  assert.equal((await readAll(garbage)).length, 0);
  const unknown = await rawSocket();
  unknown.write(rawDownloadHeader('0'.repeat(32)));
  assert.equal((await readAll(unknown)).length, 0);
  await waitForLog(/raw download refused: download 00000000…: no such download/);
});

test('the download goes to the connection with its token, once; a second one is refused', async () => {
  const c = await store.client();
  try {
    const { token } = await c.request('download.begin', {});
    const saving = c.request('image.save', { token, refs: ['bb'], format: 'docker' });
    const first = await rawSocket();
    first.write(rawDownloadHeader(token));
    const got = readAll(first);
    await new Promise((r) => setTimeout(r, 100));
    const second = await rawSocket();
    second.write(rawDownloadHeader(token));
    assert.equal((await readAll(second)).length, 0, 'nothing for a second reader');
    const [{ size }, bytes] = await Promise.all([saving, got]);
    assert.equal(bytes.length, size);
    assert.equal(bytes.subarray(bytes.length - 1024).every((b) => b === 0), true, 'a whole tar, with its end blocks');
  } finally {
    c.dispose();
  }
});

test('a client that goes away mid-download stops the save; a save with nothing to save fails before any byte', async () => {
  const c = await store.client();
  try {
    const { token } = await c.request('download.begin', {});
    const saving = c.request('image.save', { token, refs: ['bb'], format: 'oci' });
    const sock = await rawSocket();
    sock.write(rawDownloadHeader(token));
    await new Promise<void>((resolve) => sock.once('data', () => resolve()));
    sock.destroy();
    await assert.rejects(saving, (err: StrataRequestError) => /download aborted: the download connection closed before its end/.test(err.message));

    const other = await c.request('download.begin', {});
    await assert.rejects(c.request('image.save', { token: other.token, refs: ['nothing-here'], format: 'docker' }), /No such image: nothing-here/);
    assert.match(await store.ok(['images']), /bb/, 'the helper serves on');
  } finally {
    c.dispose();
  }
});
