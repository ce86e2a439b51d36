// A name can never stand for an image id (issue 14, defect 2): the names Docker refuses to create
// are refused with Docker's words, and a full id resolves to that image even when a name that
// looks like it was written before these rules existed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReference, parseReference } from '../../helper/store/reference';
import { Images } from '../../helper/store/images';
import { StorePaths } from '../../helper/store/paths';
import type { ImageConfig } from '../../helper/protocol/types';

const HEX = 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const AMBIGUOUS = /^refusing to create an ambiguous tag using digest algorithm as name$/;

function config(marker: string): ImageConfig {
  return { created: '2024-01-01T00:00:00Z', architecture: 'amd64', os: 'linux', config: { Cmd: [marker] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

async function storeWith(tags: (ids: { mine: string; theirs: string }) => Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'strata-reference-ids-'));
  mkdirSync(join(root, 'images'));
  const paths = new StorePaths(root);
  const seed = new Images(paths);
  const ids = { mine: await seed.add(config('mine')), theirs: await seed.add(config('theirs')) };
  writeFileSync(paths.repositories, JSON.stringify(tags(ids)));
  const images = new Images(paths);
  assert.deepEqual(await images.load(), []);
  return { images, paths, ...ids };
}

test('a name of 64 hex digits is refused with distribution/reference\'s words', () => {
  assert.throws(() => parseReference(HEX), { message: `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings` });
});

test('a name that is the digest algorithm is refused with the daemon\'s words, whatever its tag', () => {
  for (const name of [`sha256:${HEX}`, 'sha256:sometag', 'sha256', 'library/sha256:v1', 'docker.io/library/sha256:v1', 'index.docker.io/sha256']) {
    assert.throws(() => parseReference(name), { message: AMBIGUOUS }, name);
  }
});

test('what Docker still accepts stays accepted: hosts, ports, hex with a tag or a path, near misses', () => {
  const accepted: Record<string, string> = {
    'localhost:5000/x:tag': 'localhost:5000/x:tag',
    'localhost:5000/team/app': 'localhost:5000/team/app:latest',
    [`${HEX}:v1`]: `${HEX}:v1`,
    [`localhost:5000/${HEX}`]: `localhost:5000/${HEX}:latest`,
    [HEX.slice(0, 63)]: `${HEX.slice(0, 63)}:latest`,
    'sha512:abc': 'sha512:abc',
    'sha256x:1': 'sha256x:1',
    'team/sha256:1': 'team/sha256:1',
  };
  for (const [input, name] of Object.entries(accepted)) assert.equal(formatReference(parseReference(input)), name, input);
  assert.throws(() => parseReference(HEX.toUpperCase()), /invalid reference format: ".*": repository name must be lowercase/);
  assert.throws(() => parseReference(`x@sha256:${HEX}`), /invalid reference format/, 'a digest is not a name to create');
});

test('tag refuses both forms and repositories.json is left as it was', async () => {
  const { images, paths, mine, theirs } = await storeWith(({ mine }) => ({ 'busybox:latest': mine }));
  const before = readFileSync(paths.repositories, 'utf8');
  await assert.rejects(images.tag(theirs.slice(7), mine), { message: `invalid repository name (${theirs.slice(7)}), cannot specify 64-byte hexadecimal strings` });
  await assert.rejects(images.tag(theirs, mine), { message: AMBIGUOUS });
  assert.equal(readFileSync(paths.repositories, 'utf8'), before);
  assert.deepEqual(images.tagsOf(mine), ['busybox:latest']);
  assert.equal(await images.tag('localhost:5000/x:tag', mine), 'localhost:5000/x:tag');
  assert.equal(images.resolve('localhost:5000/x:tag'), mine);
});

test('a full id resolves to its own image, never through a name, even one a store already holds', async () => {
  // The names an attacker could create before the fix, as they sit in repositories.json.
  const { images, mine, theirs } = await storeWith(({ mine, theirs }) => ({
    [`sha256:${theirs.slice(7)}`]: mine,
    [`${theirs.slice(7)}:latest`]: mine,
    'busybox:latest': mine,
  }));
  assert.equal(images.resolve(theirs), theirs);
  assert.equal(images.resolve(theirs.slice(7)), theirs);
  assert.equal(images.resolve(theirs.slice(0, 19)), theirs, 'a short sha256: prefix is an id prefix, not a name');
  assert.equal(images.resolve(theirs.slice(7, 19)), theirs, 'a short prefix as today');
  assert.equal(images.resolve('busybox'), mine);
  assert.throws(() => images.resolve(`sha256:${HEX}`), { message: `No such image: sha256:${HEX}` });
  assert.throws(() => images.resolve(HEX), { message: `No such image: ${HEX}` });
});
