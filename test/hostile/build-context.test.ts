// strata build with hostile input: a context's symlinks are followed only inside the context (never
// to the host's files, CVE-2018-15664's family), and the Dockerfile path a client names can neither
// climb out of the context nor make the helper remove anything but a file at its top.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import { makeContext } from '../support/build-context';

let store: TestStore;

before(async () => {
  store = TestStore.create('build-hostile');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-build-bb-')))).tar, 'busybox']);
});
after(async () => { await store.close(); });

test('a symlink in the context leads only within the context: the host\'s /etc is never copied', async () => {
  const ctx = makeContext({ Dockerfile: 'FROM busybox\nCOPY evil /x\n', 'etc/hostname': 'the context\'s own\n' });
  symlinkSync('/etc/hostname', join(ctx, 'evil'));
  symlinkSync('/etc', join(ctx, 'etcdir'));
  const r = await store.cli(['build', '-t', 'scoped', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await store.ok(['run', '--rm', 'scoped', 'cat', '/x']), 'the context\'s own\n', '/etc/hostname resolved inside the context');
  const through = await store.cli(['build', makeContext({ Dockerfile: 'FROM busybox\nCOPY etcdir/passwd /p\n' })]);
  assert.equal(through.code, 1);
  assert.match(through.stderr, /file not found in build context/);
});

test('the Dockerfile path is checked: no .., no absolute path, and "outside the context" only at its top', async () => {
  const client = await store.client();
  try {
    const base = { tags: [], buildArgs: [], noCache: false, remove: true, forceRemove: false, network: 'none' as const, session: 'a'.repeat(64) };
    for (const dockerfile of ['../../etc/passwd', 'a/../../b', '/etc/passwd']) {
      const { token } = await client.request('upload.begin', {});
      await assert.rejects(client.request('image.build', { ...base, token, dockerfile, dockerfileOutsideContext: true }), /invalid parameters: .*dockerfile/);
      await client.request('upload.abort', { token });
    }
  } finally {
    client.dispose();
  }
});
