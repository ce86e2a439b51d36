// The overlay under a container: this kernel takes the options that keep upper/ a faithful diff,
// an image of the maximum 125 layers runs (its lowerdir fits in a page thanks to the short links),
// one more is refused before anything starts, and leftover mounts can be cleaned up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { checkOverlaySupport, FAITHFUL_DIFF_OPTIONS, linkName, overlayMountData } from '../../helper/union';
import { cleanupContainerMounts, launch } from '../../helper/runtime';
import { mountsUnder } from '../../helper/runtime/mounts';
import { existingCgroupDirs } from '../../helper/runtime/cgroups';
import { ErrorCode } from '../../helper/protocol/errors';
import { makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
let layers: string[];
before(async () => {
  store = await makeRuntimeStore();
  layers = [store.layerDir];
  for (let i = 1; i < 126; i++) {
    const dir = join(store.root, 'graph', `layer-${String(i).padStart(3, '0')}`, 'layer');
    mkdirSync(join(dir, 'layers'), { recursive: true });
    writeFileSync(join(dir, 'layers', String(i)), '');
  }
});
after(() => store.dispose());

function layer(i: number): string {
  return i === 0 ? store.layerDir : join(store.root, 'graph', `layer-${String(i).padStart(3, '0')}`, 'layer');
}

test('overlayfs here takes redirect_dir=off,metacopy=off,index=off', async () => {
  await checkOverlaySupport();
  await checkOverlaySupport(store.root);
});

test('an image of 125 layers runs and sees every layer', async () => {
  layers = Array.from({ length: 125 }, (_, i) => layer(i));
  const r = await runToEnd(store.spec({ cmd: ['sh', '-c', 'ls /layers | wc -l; ls /layers | sort -n | tail -1'], layerDirs: layers }));
  assert.equal(r.stdout, '124\n124\n', r.stderr);
});

test('the container\'s root is the overlay whose options the helper built (store-relative, short lower links)', async () => {
  const spec = store.spec({ cmd: ['cat', '/proc/self/mountinfo'] });
  const r = await runToEnd(spec);
  const root = r.stdout.split('\n').find((l) => l.split(' ')[4] === '/');
  const c = `containers/${spec.id}`;
  const built = overlayMountData({ lower: `${c}/init:l/${linkName(store.layerDir)}`, upper: `${c}/upper`, work: `${c}/work` });
  // the kernel lists the dirs as given; of the other options it shows only what differs from its defaults
  const dirs = / - overlay overlay rw,(lowerdir=\S+?,upperdir=\S+?,workdir=\S+?),/.exec(root ?? '');
  assert.ok(dirs, `the root mount: ${root}`);
  assert.equal(dirs[1], built.slice(0, built.indexOf(`,${FAITHFUL_DIFF_OPTIONS}`)));
});

test('an image of 126 layers is refused before anything starts', async () => {
  const spec = store.spec({ layerDirs: Array.from({ length: 126 }, (_, i) => layer(i)) });
  await assert.rejects(launch(spec), (err: { code: number; message: string }) => {
    assert.equal(err.code, ErrorCode.LimitExceeded);
    assert.match(err.message, /image has 126 layers; an overlay mount takes at most 125/);
    return true;
  });
  assert.deepEqual(existingCgroupDirs(spec.id), []);
});

test('leftover mounts under a container dir are cleaned up', async () => {
  const spec = store.spec();
  const merged = join(spec.containerDir, 'merged');
  mkdirSync(join(merged), { recursive: true });
  await execa('mount', ['-t', 'tmpfs', 'strata-test', merged]);
  mkdirSync(join(merged, 'inner'));
  await execa('mount', ['-t', 'tmpfs', 'strata-test', join(merged, 'inner')]);
  assert.deepEqual(await mountsUnder(spec.containerDir), [join(merged, 'inner'), merged]);
  await cleanupContainerMounts(spec.containerDir);
  assert.deepEqual(await mountsUnder(spec.containerDir), []);
  await cleanupContainerMounts(spec.containerDir); // nothing left: a no-op
});
