// Docker's verbs about what the store holds: prune of containers and images, the management
// forms (container ls, image rm), system df, and diff's names on a terminal.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, TestStore, busyboxTarball } from '../support/strata';
import { PtySession } from '../support/pty';

let store: TestStore;

before(async () => {
  store = TestStore.create('store-verbs');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-store-verbs-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

test('container prune and image prune remove what nothing needs; the management forms name the same verbs', async () => {
  const root = TestStore.create('prune');
  try {
    await root.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-prune-')))).tar, 'bb']);
    await root.ok(['run', '--name', 'done1', 'bb', 'true']);
    await root.ok(['run', '--name', 'done2', 'bb', 'sh', '-c', 'echo x > /x']);
    await root.ok(['run', '-d', '--name', 'alive', 'bb', 'sleep', '300']);
    const named = (await root.ok(['commit', 'done2', 'kept:1'])).trim();
    await root.ok(['tag', 'kept:1', 'kept:2']);
    const dangling = (await root.ok(['commit', 'done1'])).trim();
    await root.ok(['run', '--name', 'on-named', 'kept:1', 'true']); // stopped: pruned, and kept:1 with it under -a
    // Without -f it asks, and anything but y keeps everything.
    const asked = await root.cli(['container', 'prune'], { input: 'n\n' });
    assert.equal(asked.code, 0);
    assert.match(asked.stdout, /WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
    assert.equal((await root.ok(['container', 'ls', '-a', '-q'])).trim().split('\n').length, 4);
    const pruned = await root.ok(['container', 'prune'], { input: 'y\n' });
    assert.match(pruned, /Deleted Containers:\n([0-9a-f]{64}\n){3}\nTotal reclaimed space: \d+(\.\d+)?k?B\n$/);
    assert.deepEqual((await root.ok(['container', 'ls', '-a', '--format', 'json'])).match(/"Names":"[^"]+"/g), ['"Names":"alive"']);
    // Dangling only: the untagged commit; -a: every image no container uses (bb stays: alive runs it).
    assert.match(await root.ok(['image', 'prune', '-f']), new RegExp(`Deleted Images:\\ndeleted: ${dangling}\\n`));
    assert.ok((await root.ok(['image', 'ls', '-q'])).includes(named.slice(7, 19)));
    const all = await root.ok(['image', 'prune', '-a', '-f']);
    assert.match(all, /untagged: kept:1\nuntagged: kept:2\ndeleted: sha256:/);
    assert.deepEqual((await root.ok(['image', 'ls', '--format', 'json'])).trim().split('\n').map((l) => JSON.parse(l)).map((i) => `${i.Repository}:${i.Tag}`), ['bb:latest']);
    assert.equal((await root.ok(['image', 'ls', '-q'])).trim().split('\n').length, 1);
    assert.equal(await root.ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n', 'nothing left to prune: nothing removed');
    // --filter, as scripts use it: a status filter looks at every container, not only running ones.
    assert.equal((await root.ok(['ps', '-q', '-f', 'status=running'])).trim().split('\n').length, 1);
    assert.equal(await root.ok(['ps', '-q', '-f', 'status=exited']), '', 'pruned');
    assert.equal(await root.ok(['images', '-q', '-f', 'dangling=true']), '');
    const unknown = await root.cli(['container', 'frob']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /'container frob' is not a strata command/);
  } finally {
    await root.close();
  }
});

test('system df: shared layers counted once, each image\'s shared and unique size, what containers wrote', async () => {
  const root = TestStore.create('df');
  try {
    await root.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-df-')))).tar, 'bb']);
    await root.ok(['run', '--name', 'writer', 'bb', 'sh', '-c', 'head -c 5000 /dev/zero > /five-k; ln /five-k /same-inode']);
    await root.ok(['run', '-d', '--name', 'idle', 'bb', 'sleep', '300']);
    type Df = { images: { repoTags: string[]; size: number; sharedSize: number; uniqueSize: number; containers: number }[]; containers: { name: string; size: number; changesInLayer: string | null }[]; totals: Record<string, { count: number; active: number; size: number; reclaimable: number }> };
    const client = await root.client();
    const df = async (): Promise<Df> => client.request('system.df', {});
    let d = await df();
    const base = d.images[0].size;
    assert.equal(d.containers.find((c) => c.name === 'writer')!.size, 5000, 'the bytes it wrote, a hard link counted once');
    assert.deepEqual(d.totals.containers, { count: 2, active: 1, size: 5000, reclaimable: 5000 });
    await root.ok(['commit', 'writer', 'written']);
    d = await df();
    const written = d.images.find((i) => i.repoTags.includes('written:latest'))!;
    assert.deepEqual([written.size, written.sharedSize, written.uniqueSize], [base + 5000, base, 5000], 'bb\'s layer is shared, the new one is its own');
    assert.equal(d.totals.images.size, base + 5000, 'the shared layer is on disk once');
    assert.equal(d.totals.images.reclaimable, 0, 'bb is used by a running container; the new layer holds the writer\'s moved changes');
    const writer = d.containers.find((c) => c.name === 'writer')!;
    assert.equal(writer.size, 0);
    assert.match(String(writer.changesInLayer), /^sha256:[0-9a-f]{64}$/);
    const table = await root.ok(['system', 'df', '-v']);
    client.dispose();
    assert.match(table, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+2\s+1\s+\S+\s+0B \(0%\)\nContainers\s+2\s+1\s+0B\s+0B\n/);
    assert.match(table, /written\s+latest\s+[0-9a-f]{12}\s+.*\s5kB\s+0\n/);
    assert.match(table, /0B \(changes in layer [0-9a-f]{12}\)\s.*writer/);
  } finally {
    await root.close();
  }
});

test('piped diff gives a file name that is not UTF-8 byte for byte; --format json carries its bytes too', async () => {
  await store.ok(['run', '--name', 'latin', 'bb', 'sh', '-c', 'touch "/caf$(printf \'\\351\')"']);
  try {
    const r = await execa(process.execPath, [CLI, '--root', store.root, 'diff', 'latin'], { encoding: 'buffer', stripFinalNewline: false });
    assert.deepEqual(Buffer.from(r.stdout), Buffer.concat([Buffer.from('A /caf'), Buffer.from([0xe9]), Buffer.from('\n')]), 'the name\'s own bytes (0xe9), not U+FFFD');
    const [change] = JSON.parse(await store.ok(['diff', '--format', 'json', 'latin'])) as { path: string; pathBytes?: string }[];
    assert.equal(change.path, '/caf\ufffd', 'the text form, for people');
    assert.deepEqual(Buffer.from(change.pathBytes!, 'base64'), Buffer.from([0x2f, 0x63, 0x61, 0x66, 0xe9]));
  } finally {
    await store.cli(['rm', 'latin']);
  }
});

test('diff on a terminal shows control characters in a container\'s file names as ?, and piped gives them as they are', async () => {
  await store.ok(['run', '--name', 'escaper', 'bb', 'sh', '-c', 'touch "/evil$(printf \'\\033]0;pwned\\007\')"']);
  try {
    assert.equal(await store.ok(['diff', 'escaper']), 'A /evil\x1b]0;pwned\x07\n', 'piped: the exact name, for scripts');
    const term = new PtySession(process.execPath, [CLI, '--root', store.root, 'diff', 'escaper'], { cols: 80, rows: 24 });
    assert.equal(await term.exited, 0);
    assert.match(term.output, /A \/evil\?\]0;pwned\?/);
    assert.doesNotMatch(term.output, /\x07/, 'no escape sequence reached the terminal');
  } finally {
    await store.cli(['rm', 'escaper']);
  }
});
