// The overlay lowerdir builder: short links in <store>/l, top-most layer first, idempotent and
// self-repairing, at most 125 layers, and an option string that fits in one page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkName, MAX_LOWER_LAYERS, OVERLAY_OPTIONS_MAX, overlayLowerOption, overlayMountData } from '../../helper/union';
import { StrataError } from '../../helper/errors';
import { ErrorCode } from '../../helper/protocol/errors';

let root: string;
let layers: string[];
before(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-union-unit-'));
  layers = Array.from({ length: 130 }, (_, i) => {
    // long paths like a real store's graph/<64 hex>/layer
    const dir = join(root, 'graph', `${String(i).padStart(64, 'a')}`, 'layer');
    mkdirSync(dir, { recursive: true });
    return dir;
  });
});
after(() => rmSync(root, { recursive: true, force: true }));

test('lowerdir lists short links, top-most layer first, relative to the store root', () => {
  const { cwd, lower } = overlayLowerOption(root, layers.slice(0, 3)); // base first
  assert.equal(cwd, root);
  const parts = lower.split(':');
  assert.deepEqual(parts, [2, 1, 0].map((i) => `l/${linkName(layers[i])}`));
  for (const part of parts) assert.match(part, /^l\/[0-9a-f]{16}$/);
  for (const [i, part] of parts.entries()) assert.equal(readlinkSync(join(root, part)), layers[2 - i]);
});

test('building it again gives the same answer and keeps the links', () => {
  const first = overlayLowerOption(root, layers.slice(0, 5));
  const inodes = first.lower.split(':').map((part) => lstatSync(join(root, part)).ino);
  const second = overlayLowerOption(root, layers.slice(0, 5));
  assert.deepEqual(second, first);
  assert.deepEqual(second.lower.split(':').map((part) => lstatSync(join(root, part)).ino), inodes, 'the same links, not made again');
});

test('a link that points elsewhere is repaired; a directory in its place is an error', () => {
  const name = linkName(layers[7]);
  const path = join(root, 'l', name);
  mkdirSync(join(root, 'l'), { recursive: true });
  symlinkSync('/etc', path);
  overlayLowerOption(root, [layers[7]]);
  assert.equal(readlinkSync(path), layers[7]);
  unlinkSync(path);
  mkdirSync(path);
  assert.throws(() => overlayLowerOption(root, [layers[7]]), StrataError);
  rmSync(path, { recursive: true });
});

test('125 layers are taken, 126 refused with LimitExceeded as Docker does', () => {
  const { lower } = overlayLowerOption(root, layers.slice(0, MAX_LOWER_LAYERS));
  assert.equal(lower.split(':').length, 125);
  assert.equal(lower.length, 125 * 19 - 1); // "l/" + 16 hex, ':' between
  assert.throws(
    () => overlayLowerOption(root, layers.slice(0, 126)),
    (err: unknown) => err instanceof StrataError && err.code === ErrorCode.LimitExceeded && /image has 126 layers; an overlay mount takes at most 125/.test(err.message),
  );
});

test('with 125 layers, a store-relative upper and work still fit in one page', () => {
  const { lower } = overlayLowerOption(root, layers.slice(0, MAX_LOWER_LAYERS));
  const id = 'f'.repeat(64);
  const data = overlayMountData({ lower: `containers/${id}/init:${lower}`, upper: `containers/${id}/upper`, work: `containers/${id}/work` });
  assert.ok(Buffer.byteLength(data) <= OVERLAY_OPTIONS_MAX, `${data.length} bytes`);
  assert.match(data, /,redirect_dir=off,metacopy=off,index=off$/);
  // the long layer paths themselves would not have fitted
  assert.ok(layers.slice(0, MAX_LOWER_LAYERS).join(':').length > 4096);
});

test('an option string longer than a page is refused', () => {
  const longDir = `/${'x'.repeat(3000)}`;
  assert.throws(
    () => overlayMountData({ lower: 'l/0123456789abcdef', upper: `${longDir}/upper`, work: `${longDir}/work` }),
    (err: unknown) => err instanceof StrataError && err.code === ErrorCode.LimitExceeded,
  );
});

test('paths with option separators are refused', () => {
  assert.throws(() => overlayMountData({ lower: 'l/a', upper: '/x,y', work: '/w' }), (err: unknown) => err instanceof StrataError && err.code === ErrorCode.InvalidParams);
  assert.throws(() => overlayMountData({ lower: 'l/a::l/b', upper: '/u', work: '/w' }), StrataError);
});

test('a missing layer dir is NotFound', () => {
  assert.throws(() => overlayLowerOption(root, [join(root, 'nope')]), (err: unknown) => err instanceof StrataError && err.code === ErrorCode.NotFound);
});

test('no layers (an empty image) gives an empty lowerdir for the caller to complete', () => {
  assert.deepEqual(overlayLowerOption(root, []), { cwd: root, lower: '' });
  writeFileSync(join(root, 'not-a-dir'), '');
  assert.throws(() => overlayLowerOption(root, [join(root, 'not-a-dir')]), StrataError);
});
