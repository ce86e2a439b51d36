// The product's headline use: `sudo debootstrap --variant=minbase bookworm dir; sudo tar -C dir -c .
// | sudo strata import - bookworm64`. A real debootstrap root fs has eight device nodes in /dev
// (full null ptmx random tty urandom zero console); they are kept in the layer, as Docker keeps
// them, and the container still gets the runtime's own /dev. Here: the busybox root fs as GNU tar
// makes it, plus those eight nodes exactly as debootstrap's tar has them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import { appendToTar, DEBOOTSTRAP_DEV, deviceHeader } from '../support/archive-tar';

let store: TestStore;
let tmp: string;
let layerId: string;

before(async () => {
  store = TestStore.create('devices');
  tmp = mkdtempSync(join(tmpdir(), 'strata-devices-'));
  const input = appendToTar(readFileSync((await busyboxTarball(tmp)).tar), DEBOOTSTRAP_DEV.map(([name, major, minor]) => deviceHeader(name, 'c', major, minor)));
  const id = (await store.ok(['import', '-', 'bookworm64'], { input })).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  layerId = JSON.parse(await store.ok(['inspect', 'bookworm64']))[0].Strata.Layers[0].Id;
});
after(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a root fs with a debootstrap /dev imports, and the layer keeps all eight nodes as they came', async () => {
  for (const [name, major, minor] of DEBOOTSTRAP_DEV) {
    const st = lstatSync(join(store.root, 'graph', layerId.replace(/^sha256:/, ''), 'layer', name)); // graph/<hex>/layer
    assert.ok(st.isCharacterDevice(), name);
    assert.deepEqual([st.rdev, st.mode & 0o7777, st.uid, st.gid], [(major << 8) | minor, 0o666, 0, 0], name);
  }
  const diff = (await store.ok(['diff', '--layer', layerId])).split('\n');
  for (const [name] of DEBOOTSTRAP_DEV) assert.ok(diff.includes(`A ${name.slice(1)}`), `${name} in strata diff --layer`);
});

test('a container runs on it: cat /etc/os-release', async () => {
  assert.equal(await store.ok(['run', '--rm', 'bookworm64', 'cat', '/etc/os-release']), 'NAME="Strata busybox"\nID=busybox\n');
});

test("the container's /dev is the runtime's tmpfs, not the layer's: its devices work, the layer's extras are not there", async () => {
  const script = [
    'stat -f -c %T /dev',
    'echo discarded > /dev/null && echo null-ok',
    'head -c 5 /dev/zero | wc -c',
    'ls -l /dev/ptmx',
    'test -e /dev/console && echo console-present || echo no-console',
  ].join('; ');
  const out = await store.ok(['run', '--rm', 'bookworm64', '/bin/sh', '-c', `(${script}) 2>&1`]);
  assert.match(out, /^tmpfs\nnull-ok\n5\n/);
  assert.match(out, /\/dev\/ptmx -> pts\/ptmx\n/, 'ptmx is the runtime symlink to its own devpts, not the layer node 5:2');
  assert.match(out, /no-console\n$/);
});
