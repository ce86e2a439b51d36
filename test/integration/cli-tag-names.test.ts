// Issue 14, defect 2: a name must not take over an image id. Every verb that creates a name (tag,
// import, commit) refuses a name that is an id with Docker's words and exit code, and
// `strata run sha256:<id>` runs that image whatever names were tried or already exist.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;
let tar: string;
let busybox: string; // the image the attacker names
let victim: string; // the image whose id the attacker wants: sha256:<hex>

const HEX_REFUSED = (hex: string) => `Error response from daemon: invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings\n`;
const AMBIGUOUS = 'Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name\n';

before(async () => {
  store = TestStore.create('tag-names');
  tar = (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-tag-names-')))).tar;
  busybox = (await store.ok(['import', tar, 'busybox'])).trim();
  await store.ok(['run', '--name', 'maker', 'busybox', 'sh', '-c', 'echo victim > /who']);
  victim = (await store.ok(['commit', 'maker', 'victim'])).trim();
  assert.match(victim, /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(victim, busybox);
});
after(async () => { await store.close(); });

async function imageIds(): Promise<string> {
  return (await store.ok(['images', '-q'])).split('\n').sort().join('\n');
}

/** What `strata run IMAGE cat /who` prints: "victim" from the victim image, nothing from busybox. */
async function who(ref: string): Promise<string> {
  const r = await store.cli(['run', '--rm', ref, 'sh', '-c', 'cat /who 2>/dev/null || echo busybox']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('tag refuses another image\'s id as the new name, in both forms, with Docker\'s words and exit 1', async () => {
  const hex = victim.slice(7);
  const ids = await imageIds();
  const digestForm = await store.cli(['tag', 'busybox', victim]);
  assert.deepEqual([digestForm.code, digestForm.stderr, digestForm.stdout], [1, AMBIGUOUS, '']);
  const hexForm = await store.cli(['tag', 'busybox', hex]);
  assert.deepEqual([hexForm.code, hexForm.stderr, hexForm.stdout], [1, HEX_REFUSED(hex), '']);
  assert.equal(await imageIds(), ids);
  assert.doesNotMatch(await store.ok(['images']), /^sha256\s|^[0-9a-f]{64}\s/m, 'no such name was made');
  assert.equal(await who(victim), 'victim\n', 'run sha256:<id> runs that image');
  assert.equal(await who(hex), 'victim\n', 'and so does run <64 hex>');
});

test('import and commit refuse such a name before making anything', async () => {
  const hex = victim.slice(7);
  const ids = await imageIds();
  const imported = await store.cli(['import', '-', hex], { input: readFileSync(tar) });
  assert.deepEqual([imported.code, imported.stderr, imported.stdout], [1, HEX_REFUSED(hex), '']);
  const importedDigest = await store.cli(['import', tar, victim]);
  assert.deepEqual([importedDigest.code, importedDigest.stderr], [1, AMBIGUOUS]);
  await store.ok(['run', '--name', 'attacker', 'busybox', 'sh', '-c', 'echo attacker > /who']);
  const committed = await store.cli(['commit', 'attacker', victim]);
  assert.deepEqual([committed.code, committed.stderr, committed.stdout], [1, AMBIGUOUS, '']);
  const committedHex = await store.cli(['commit', 'attacker', hex]);
  assert.deepEqual([committedHex.code, committedHex.stderr], [1, HEX_REFUSED(hex)]);
  assert.equal(await imageIds(), ids, 'no image, named or dangling, was left behind');
  assert.equal(await who(victim), 'victim\n');
  await store.ok(['rm', 'attacker']);
});

test('a store that already holds such names (made before the fix): the id still wins', async () => {
  const hex = victim.slice(7);
  await store.stopHelper();
  const repositories = join(store.root, 'repositories.json');
  const tags = JSON.parse(readFileSync(repositories, 'utf8')) as Record<string, string>;
  writeFileSync(repositories, JSON.stringify({ ...tags, [`sha256:${hex}`]: busybox, [`${hex}:latest`]: busybox }));
  assert.equal(await who(victim), 'victim\n');
  assert.equal(await who(hex), 'victim\n');
  assert.match(await store.ok(['inspect', victim]), new RegExp(`"Id": "${victim}"`));
  assert.equal(await who('busybox'), 'busybox\n', 'names still resolve as names');
});

test('names with a registry host and port, and hex with a tag, work as before', async () => {
  await store.ok(['tag', 'victim', 'localhost:5000/team/x:v1']);
  assert.equal(await who('localhost:5000/team/x:v1'), 'victim\n');
  assert.match(await store.ok(['images']), /^localhost:5000\/team\/x\s+v1\s/m);
  assert.equal(await store.ok(['rmi', 'localhost:5000/team/x:v1']), 'Untagged: localhost:5000/team/x:v1\n');
  // Docker refuses only a name that is 64 hex digits whole: with a tag it is a name like any other.
  const hex = victim.slice(7);
  await store.ok(['tag', 'busybox', `${hex}:v1`]);
  assert.equal(await who(`${hex}:v1`), 'busybox\n');
  assert.equal(await who(hex), 'victim\n');
  const digest = await store.cli(['tag', 'victim', `x@${victim}`]);
  assert.equal(digest.code, 1);
  assert.match(digest.stderr, /^Error response from daemon: invalid reference format: /, 'a digest is not a name to create, as before');
});

test('busybox NAME looks NAME up as a name: another image\'s id is refused, never answered with that image', async () => {
  const hex = victim.slice(7);
  const ids = await imageIds();
  const byHex = await store.cli(['busybox', hex]);
  assert.deepEqual([byHex.code, byHex.stderr, byHex.stdout], [1, HEX_REFUSED(hex), '']);
  const byDigest = await store.cli(['busybox', victim]);
  assert.deepEqual([byDigest.code, byDigest.stderr, byDigest.stdout], [1, AMBIGUOUS, '']);
  assert.equal(await imageIds(), ids);
});
