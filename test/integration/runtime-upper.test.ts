// The container's writes land in its upper dir, which stays a faithful diff: the image layer is
// untouched, a delete is a whiteout, and the init layer's files (hostname, hosts, resolv.conf)
// never appear there, even when the container writes to them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { makeRuntimeStore, runToEnd, type RuntimeStore } from '../support/runtime-fixture';

let store: RuntimeStore;
before(async () => (store = await makeRuntimeStore()));
after(() => store.dispose());

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      out.push(relative(dir, p));
      if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

test('writes land in upper/, deletes are whiteouts, the image layer is untouched', async () => {
  const spec = store.spec({
    cmd: ['sh', '-c', 'echo hi > /root/new.txt && rm /etc/motd && echo more >> /etc/os-release && echo renamed > /etc/hostname && echo 10.0.0.1 x >> /etc/hosts && cat /etc/hostname'],
  });
  const r = await runToEnd(spec);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'renamed\n');
  const upper = join(spec.containerDir, 'upper');
  assert.deepEqual(tree(upper), ['etc', 'etc/motd', 'etc/os-release', 'root', 'root/new.txt']);
  const whiteout = lstatSync(join(upper, 'etc/motd'));
  assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'etc/motd is a 0/0 whiteout');
  assert.equal(readFileSync(join(upper, 'root/new.txt'), 'utf8'), 'hi\n');
  assert.match(readFileSync(join(upper, 'etc/os-release'), 'utf8'), /more\n$/);
  assert.ok(existsSync(join(store.layerDir, 'etc/motd')), 'the image layer keeps its file');
  assert.doesNotMatch(readFileSync(join(store.layerDir, 'etc/os-release'), 'utf8'), /more/);
  // the writes to /etc/hostname and /etc/hosts went to the container's own files, outside upper/
  assert.equal(readFileSync(join(spec.containerDir, 'hostname'), 'utf8'), 'renamed\n');
  assert.match(readFileSync(join(spec.containerDir, 'hosts'), 'utf8'), /10\.0\.0\.1 x/);
});

test('a copied-up /etc keeps the image\'s mode and owner, not the init layer\'s', async () => {
  const spec = store.spec({ cmd: ['sh', '-c', 'touch /etc/new'] });
  assert.equal((await runToEnd(spec)).code, 0);
  const image = statSync(join(store.layerDir, 'etc'));
  const copied = statSync(join(spec.containerDir, 'upper/etc'));
  assert.deepEqual([copied.mode, copied.uid, copied.gid], [image.mode, image.uid, image.gid]);
});

test('a container that only reads leaves upper/ empty', async () => {
  const spec = store.spec({ cmd: ['sh', '-c', 'cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null; ls -R / >/dev/null 2>&1; exit 0'] });
  assert.equal((await runToEnd(spec)).code, 0);
  assert.deepEqual(tree(join(spec.containerDir, 'upper')), []);
});

test('the same container starts again on its upper dir', async () => {
  const spec = store.spec({ cmd: ['sh', '-c', 'cat /root/count 2>/dev/null; echo x >> /root/count'] });
  assert.equal((await runToEnd(spec)).stdout, '');
  assert.equal((await runToEnd(spec)).stdout, 'x\n');
  assert.equal((await runToEnd(spec)).stdout, 'x\nx\n');
});
