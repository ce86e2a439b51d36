// The built-in image's root fs (helper/sources/busybox.ts) is built inside the helper, which must
// go on answering other requests meanwhile: nothing in it may block the event loop (issue 8 item 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_BINARY, buildBusyboxRootfs } from '../../helper/sources/busybox';
import { makeTmp, removeTmp } from '../support/archive-fs';

/** Counts the event loop's turns (one setImmediate per turn) until stop() is called. */
function countTurns(): { stop: () => number } {
  let turns = 0;
  let timer = setImmediate(function tick() {
    turns++;
    timer = setImmediate(tick);
  });
  return {
    stop: () => {
      clearImmediate(timer);
      return turns;
    },
  };
}

test('building the busybox root fs leaves the event loop free: other work runs while it is built', async () => {
  const tmp = makeTmp('strata-busybox-');
  try {
    const turns = countTurns();
    await buildBusyboxRootfs(join(tmp, 'rootfs'));
    assert.ok(turns.stop() > 0, 'the event loop turned while the root fs was built (a synchronous build holds it from start to end)');
  } finally {
    removeTmp(tmp);
  }
});

test('the busybox root fs: applets linked to the one binary, bash as ash, every time the binary\'s', async () => {
  const tmp = makeTmp('strata-busybox-');
  try {
    const root = join(tmp, 'rootfs');
    await buildBusyboxRootfs(root);
    assert.equal(await fsp.readlink(join(root, 'bin/sh')), 'busybox');
    assert.equal(await fsp.readlink(join(root, 'usr/bin/env')), '../../bin/busybox');
    assert.match(await fsp.readFile(join(root, 'bin/bash'), 'utf8'), /^#!\/bin\/busybox sh\n[\s\S]*exec \/bin\/busybox sh "\$@"\n$/);
    assert.match(await fsp.readFile(join(root, 'etc/passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh\n/);
    assert.equal((await fsp.stat(join(root, 'tmp'))).mode & 0o7777, 0o1777);
    assert.equal((await fsp.stat(join(root, 'root'))).mode & 0o7777, 0o700);
    const when = (await fsp.stat(BUSYBOX_BINARY)).mtimeMs;
    for (const p of ['.', 'bin', 'bin/busybox', 'bin/sh', 'bin/bash', 'etc/motd', 'var/log']) {
      assert.equal((await fsp.lstat(join(root, p))).mtimeMs, when, `${p} has the busybox binary's mtime`);
    }
  } finally {
    removeTmp(tmp);
  }
});
