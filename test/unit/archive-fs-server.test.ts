// strata-fs serve (helper/archive/fs-server.ts, native/serve.c): the walks, stats and listings the
// helper asks for often, answered by a kept process that forks a child per request. It must answer
// exactly what `strata-fs walk|stat|list` answers, survive a request that fails, answer many at
// once, and give up a request whose caller aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { fsRequest, FsCommandError, stopFsServers } from '../../helper/archive/fs-server';
import { nativeTool } from '../../helper/native';
import { makeTmp, removeTmp } from '../support/archive-fs';

async function tree(): Promise<string> {
  const tmp = makeTmp();
  await fsp.mkdir(join(tmp, 'd/e'), { recursive: true });
  for (let i = 0; i < 50; i++) await fsp.writeFile(join(tmp, `d/f${i}`), `${i}`);
  await fsp.symlink('/etc', join(tmp, 'link'));
  return tmp;
}

/** What the one-shot tool prints for the same command and input. */
function oneShot(command: string, dir: string, input = Buffer.alloc(0)): Buffer {
  const r = spawnSync(nativeTool('strata-fs'), [command, dir], { input });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

test('a served walk, stat and list answer byte for byte what the one-shot tool prints', async () => {
  const tmp = await tree();
  try {
    const paths = Buffer.from('d\0d/f3\0missing\0link/passwd\0');
    assert.deepEqual(await fsRequest('walk', tmp, Buffer.alloc(0)), oneShot('walk', tmp));
    assert.deepEqual(await fsRequest('stat', tmp, paths), oneShot('stat', tmp, paths));
    assert.deepEqual(await fsRequest('list', tmp, Buffer.from('.\0d\0')), oneShot('list', tmp, Buffer.from('.\0d\0')));
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});

test('a request that fails answers with the tool\'s message, and the next one is served', async () => {
  const tmp = await tree();
  try {
    await assert.rejects(fsRequest('walk', join(tmp, 'nowhere'), Buffer.alloc(0)), (err: Error) => {
      assert.ok(err instanceof FsCommandError, String(err));
      assert.match(err.message, /strata-fs: open .*nowhere: No such file or directory/);
      return true;
    });
    assert.deepEqual(await fsRequest('walk', tmp, Buffer.alloc(0)), oneShot('walk', tmp));
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});

test('many requests at once are each answered with their own result', async () => {
  const tmp = await tree();
  try {
    const asks = Array.from({ length: 20 }, (_, i) => Buffer.from(`d/f${i}\0`));
    const answers = await Promise.all(asks.map((a) => fsRequest('stat', tmp, a)));
    answers.forEach((got, i) => assert.deepEqual(got, oneShot('stat', tmp, asks[i]), `request ${i}`));
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});

test('an aborted request rejects with the abort, and later requests are served', async () => {
  const tmp = await tree();
  try {
    const aborted = new AbortController();
    aborted.abort(new Error('the caller went away'));
    await assert.rejects(fsRequest('walk', tmp, Buffer.alloc(0), aborted.signal), /the caller went away/);
    const midway = new AbortController();
    const asked = fsRequest('walk', tmp, Buffer.alloc(0), midway.signal);
    midway.abort(new Error('cancelled midway'));
    // Either it was answered before the abort landed, or it rejects with the abort: never a hang.
    await asked.then((out) => assert.deepEqual(out, oneShot('walk', tmp)), (err: Error) => assert.match(err.message, /cancelled midway/));
    assert.deepEqual(await fsRequest('walk', tmp, Buffer.alloc(0)), oneShot('walk', tmp));
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});

test('syncfs flushes the file system of a folder, and names a folder that is not there', async () => {
  const tmp = await tree();
  try {
    assert.equal((await fsRequest('syncfs', tmp, Buffer.alloc(0))).length, 0);
    await assert.rejects(fsRequest('syncfs', join(tmp, 'gone'), Buffer.alloc(0)), /strata-fs: open .*gone: No such file or directory/);
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});

test('a served cat answers the files back to back, and fails naming a file whose size changed', async () => {
  const tmp = await tree();
  try {
    const ask = Buffer.from('d/f1\x001\x00d/f12\x002\x00');
    assert.deepEqual(await fsRequest('cat', tmp, ask), oneShot('cat', tmp, ask));
    assert.equal((await fsRequest('cat', tmp, ask)).toString(), '112');
    await assert.rejects(fsRequest('cat', tmp, Buffer.from('d/f12\x005\x00')), /d\/f12/);
  } finally {
    stopFsServers();
    removeTmp(tmp);
  }
});
