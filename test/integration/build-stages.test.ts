// strata build: multi-stage builds (FROM an earlier stage, COPY --from a stage, an index or a store
// image), --target, .dockerignore with exceptions, ADD of a local tar, COPY --chown/--chmod.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import { makeContext } from '../support/build-context';

let store: TestStore;

before(async () => {
  store = TestStore.create('build-stages');
  await store.ok(['import', '-c', 'CMD ["/bin/sh"]', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-build-bb-')))).tar, 'busybox']);
});
after(async () => { await store.close(); });

const MULTI = [
  'FROM busybox AS builder',
  'RUN mkdir /out && echo artifact > /out/a && echo not-copied > /out/b',
  'FROM scratch AS data',
  'COPY data.txt /data.txt',
  'FROM builder AS extended',
  'RUN echo extended >> /out/a',
  'FROM busybox',
  'COPY --from=builder /out/a /from-builder',
  'COPY --from=1 /data.txt /from-index',
  'COPY --from=extended /out/a /from-extended',
  'COPY --from=busybox /bin/busybox /from-image',
  'RUN cat /from-builder /from-index /from-extended && test -x /from-image && ! test -e /out',
  '',
].join('\n');

test('multi-stage: FROM an earlier stage, COPY --from a stage by name or index and from a store image; only the last stage is tagged', async () => {
  const r = await store.cli(['build', '-t', 'multi', makeContext({ Dockerfile: MULTI, 'data.txt': 'data\n' })]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^artifact\ndata\nartifact\nextended\n/m);
  assert.match(r.stdout, /^Step 12\/12 : RUN cat/m);
  const images = await store.ok(['images']);
  assert.match(images, /^multi\s+latest/m);
  // The earlier stages stay as <none> images, as Docker's classic builder leaves them (they hold their
  // cache): three, of which `images` lists the two that no other image is built on, as Docker lists
  // dangling images (the builder stage's is the parent of the extended stage's).
  assert.equal((images.match(/^<none>/gm) ?? []).length, 2, images);
  const client = await store.client();
  const all = await client.request('images.list', {});
  client.dispose();
  assert.equal(all.filter((i) => i.repoTags.length === 0).length, 3, 'three untagged stage images in the store');
});

test('--target stops after the named stage: later stages do not run, and it is the image tagged', async () => {
  const r = await store.cli(['build', '--target', 'extended', '-t', 'only-extended', makeContext({ Dockerfile: MULTI, 'data.txt': 'data\n' })]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Step 6\/6 : RUN echo extended >> \/out\/a$/m);
  assert.doesNotMatch(r.stdout, /COPY --from/);
  assert.equal(await store.ok(['run', '--rm', 'only-extended', 'cat', '/out/a']), 'artifact\nextended\n');
  const missing = await store.cli(['build', '--target', 'nope', makeContext({ Dockerfile: MULTI })]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /failed to reach build target nope in Dockerfile/);
});

test('.dockerignore: Docker\'s patterns, the last match decides, ! exceptions re-include (also inside an excluded folder)', async () => {
  const ctx = makeContext({
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort\n',
    '.dockerignore': '# comment\n*.log\n!important.log\nsecret/\n**/*.tmp\nlogs\n!logs/keep.log\n',
    'a.txt': 'a', 'drop.log': 'x', 'important.log': 'i', 'secret/key': 'k', 'deep/er/x.tmp': 't', 'deep/er/y.txt': 'y',
    'logs/a.log': 'l', 'logs/keep.log': 'kept', 'logs/other.txt': 'o',
  });
  const r = await store.cli(['build', ctx]);
  assert.equal(r.code, 0, r.stderr);
  const files = r.stdout.split('\n').filter((l) => l.startsWith('./'));
  assert.deepEqual(files, ['./.dockerignore', './Dockerfile', './a.txt', './deep/er/y.txt', './important.log', './logs/keep.log']);
});

test('ADD unpacks a local tar (plain or gzip) into the destination; COPY copies it as a file', async () => {
  const dir = makeContext({ 'src/one.txt': 'one\n', 'src/sub/two.txt': 'two\n' });
  execFileSync('tar', ['-C', join(dir, 'src'), '-cf', join(dir, 'plain.tar'), '.']);
  execFileSync('tar', ['-C', join(dir, 'src'), '-czf', join(dir, 'zipped.tgz'), '.']);
  execFileSync('sh', ['-c', `printf 'FROM busybox\\nADD plain.tar /plain/\\nADD zipped.tgz /zipped\\nCOPY plain.tar /copied.tar\\n' > ${join(dir, 'Dockerfile')}`]);
  await store.ok(['build', '-t', 'added', dir]);
  assert.equal(await store.ok(['run', '--rm', 'added', 'cat', '/plain/one.txt', '/plain/sub/two.txt', '/zipped/sub/two.txt']), 'one\ntwo\ntwo\n');
  assert.match(await store.ok(['run', '--rm', 'added', 'ls', '-l', '/copied.tar']), /-rw.* \d+ .*\/copied\.tar/);
});

test('COPY --chown (ids, or names from the image\'s /etc/passwd) and --chmod; without --chown files are root\'s', async () => {
  const ctx = makeContext({
    Dockerfile: [
      'FROM busybox',
      'RUN echo "app:x:1234:2345::/home/app:/bin/sh" >> /etc/passwd && echo "grp:x:3456:" >> /etc/group',
      'COPY --chown=1001:1002 --chmod=640 f.txt /ids',
      'COPY --chown=app f.txt /by-name',
      'COPY --chown=app:grp f.txt /user-group',
      'COPY f.txt /plain',
      'RUN stat -c "%n %u %g %a" /ids /by-name /user-group /plain',
      '',
    ].join('\n'),
    'f.txt': 'f\n',
  });
  const r = await store.cli(['build', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/ids 1001 1002 640\n\/by-name 1234 2345 644\n\/user-group 1234 3456 644\n\/plain 0 0 644$/m);
  const bad = await store.cli(['build', makeContext({ Dockerfile: 'FROM busybox\nCOPY --chown=nobody-here f /f\n', f: 'f' })]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Dockerfile:2: .*no such user: nobody-here/);
});
