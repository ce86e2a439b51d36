// Every bad tar from shared/notes/security.md, through the whole path a user takes
// (strata import -> helper -> engine): refused with a clear error, the store exactly as before
// (no layer, no image, no tag, nothing left in tmp/), and nothing written outside the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { TestStore } from '../support/strata';
import { buildTar as makeTar } from '../support/archive-tar';

let store: TestStore;
let victim: string;

function snapshot(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = p.slice(base.length + 1);
    if (/^helper\.(pid|sock|log)$/.test(rel)) continue;
    const st = lstatSync(p);
    out.push(`${rel} ${st.mode.toString(8)} ${st.isFile() ? readFileSync(p).toString('base64').slice(0, 64) : ''}`);
    if (st.isDirectory()) out.push(...snapshot(p, base));
  }
  return out;
}

before(async () => {
  store = TestStore.create('hostile-import');
  // A valid image first, so "unchanged" covers a store with content.
  await store.ok(['import', '-', 'good'], { input: await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/os-release', data: 'ok\n' }]) });
  victim = join(dirname(store.root), 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep'), 'untouched');
});
after(async () => { await store.close(); });

async function refused(tarBytes: Buffer, expected: RegExp) {
  const before = snapshot(store.root);
  const victimBefore = snapshot(victim);
  const r = await store.cli(['import', '-', 'bad'], { input: tarBytes });
  assert.notEqual(r.code, 0, `import should fail; stdout: ${r.stdout}`);
  assert.match(r.stderr, expected);
  assert.deepEqual(snapshot(store.root), before, 'the store is exactly as before');
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), [], 'nothing left in tmp/');
  assert.deepEqual(snapshot(victim), victimBefore, 'nothing written outside the store');
  assert.deepEqual(readdirSync(dirname(store.root)).sort(), ['root', 'victim']);
}

test('a name with .. that climbs out', async () => {
  await refused(await makeTar([{ name: '../victim/pwned', data: 'x' }]), /\.\./);
});

test('a name that climbs out after a folder: a/../../x', async () => {
  await refused(await makeTar([{ name: 'a/../../victim/pwned', data: 'x' }]), /\.\./);
});

test('a symlink then a write through it', async () => {
  await refused(await makeTar([{ name: 'l', type: 'symlink', linkname: '../../victim' }, { name: 'l/pwned', data: 'x' }]), /symlink|symbolic link/i);
});

test('a hard link to a file outside', async () => {
  await refused(await makeTar([{ name: 'h', type: 'link', linkname: '../victim/keep' }]), /link/i);
});

test('a block device', async () => {
  await refused(await makeTar([{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]), /device/i);
});

test('a raw 0/0 character device (a spoofed whiteout)', async () => {
  await refused(await makeTar([{ name: 'fake', type: 'character-device', devmajor: 0, devminor: 0 }]), /device|whiteout/i);
});

test('an invalid whiteout name', async () => {
  await refused(await makeTar([{ name: 'etc/.wh..wh.', data: '' }]), /whiteout/i);
});

test('random bytes, a cut tar, and a broken gzip', async () => {
  await refused(randomBytes(4096), /tar|header|archive/i);
  const good = await makeTar([{ name: 'a', data: 'x'.repeat(5000) }]);
  await refused(good.subarray(0, 1500), /truncated|unexpected end|incomplete/i);
  await refused(gzipSync(good).subarray(0, 40), /gzip|truncated|unexpected end|incomplete/i);
});

test('the store still serves its good image after all that, and knows no "bad" one', async () => {
  const images = await store.ok(['images']);
  assert.match(images, /^good\s+latest\s/m);
  assert.doesNotMatch(images, /^bad\s/m);
  assert.match(await store.ok(['diff', '--layer', JSON.parse(await store.ok(['inspect', 'good']))[0].layers[0].id]), /^A \/etc\/os-release$/m);
});
