// The upper dir is writable by the container, so on its next start any mount target may have
// become a symlink to the host. Mounting through it would put /proc or a bind on a host path
// (CVE-2019-19921 and runc's "mount target is a symlink" family). The start must refuse instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, prepareContainerDirs, ContainerStartError } from '../../helper/runtime';
import { existingCgroupDirs } from '../../helper/runtime/cgroups';
import { makeRuntimeStore, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
let hostDir: string;
before(async () => {
  store = await makeRuntimeStore();
  hostDir = join(store.root, 'host-side');
  mkdirSync(hostDir);
  writeFileSync(join(hostDir, 'precious'), 'keep me');
});
after(() => store.dispose());

async function plantAndStart(path: string, makeLink: (upperPath: string) => void) {
  const spec = store.spec({ cmd: ['true'] });
  await prepareContainerDirs({ ...spec, hostname: '' });
  const upperPath = join(spec.containerDir, 'upper', path);
  mkdirSync(join(upperPath, '..'), { recursive: true });
  makeLink(upperPath);
  await assert.rejects(launch(spec), (err: unknown) => {
    assert.ok(err instanceof ContainerStartError);
    assert.equal(err.exitCode, 125);
    assert.match(err.message, /symlink|real directory|must exist/);
    return true;
  });
  assert.deepEqual(existingCgroupDirs(spec.id), [], 'a failed start leaves no cgroups');
}

test('/proc replaced by a symlink to a host dir is refused', async () => {
  await plantAndStart('proc', (p) => symlinkSync(hostDir, p));
  assert.equal(readFileSync(join(hostDir, 'precious'), 'utf8'), 'keep me');
});

test('/dev and /sys replaced by symlinks are refused', async () => {
  await plantAndStart('dev', (p) => symlinkSync(hostDir, p));
  await plantAndStart('sys', (p) => symlinkSync(hostDir, p));
});

test('/etc/hostname replaced by a symlink to a host file is refused', async () => {
  await plantAndStart('etc/hostname', (p) => symlinkSync(join(hostDir, 'precious'), p));
  await plantAndStart('etc', (p) => symlinkSync(hostDir, p));
  assert.equal(readFileSync(join(hostDir, 'precious'), 'utf8'), 'keep me');
  assert.ok(!existsSync(join(hostDir, 'hostname')));
});
