// `strata diff` through the real CLI prints what `docker diff` prints for every way a path can be
// replaced or made again (the rule, with its moby reference, is in helper/archive/changes.ts):
// for a container, for the layer its commit makes, and for layers that delete a directory and
// make it again. And a diff of a container that creates and deletes files meanwhile never fails
// (audit defect 6: 6 of 100 failed with lgetxattr ENOENT).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';

let store: TestStore;

before(async () => {
  store = TestStore.create('diff-shapes');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-shapes-')))).tar, 'bb']);
});
after(async () => { await store.close(); });

const lines = (out: string) => out.trim().split('\n').filter((l) => l !== '');
const diff = async (...args: string[]) => lines(await store.ok(['diff', ...args]));
const topLayer = async (image: string): Promise<string> => {
  const layers = JSON.parse(await store.ok(['inspect', '--type', 'image', image]))[0].Strata.Layers as { Id: string }[];
  return layers[layers.length - 1].Id;
};
/** Runs `script` in a new container `name` on `image`, to its end; with `commitAs`, commits it. */
async function step(name: string, image: string, script: string, commitAs?: string): Promise<void> {
  await store.ok(['run', '--name', name, image, 'sh', '-e', '-c', script]);
  if (commitAs) await store.ok(['commit', name, commitAs]);
}

const OLD_TIME = '2020-01-01 00:00:00';

test('every replace/recreate shape: the lines docker diff prints, for the container and for its committed layer', async () => {
  await step('prep', 'bb', [
    'mkdir -p /opt/repl/sub/deep /opt/refill /opt/keep /opt/empty /d2f /d2l',
    'echo x > /opt/repl/x; echo f > /opt/repl/sub/deep/f; echo x > /opt/refill/x; echo y > /opt/refill/y',
    'echo g > /opt/keep/gone; echo s > /opt/keep/stay; echo f > /f2d; echo c > /d2f/c; echo c > /d2l/c; ln -s /f2d /l2d',
    `echo same > /same; touch -d '${OLD_TIME}' /same; echo other > /other`,
  ].join('\n'), 'shapes');
  await step('shaper', 'shapes', [
    'rm /f2d; mkdir /f2d; echo in > /f2d/in', // file -> dir
    'rm -rf /d2f; echo file > /d2f', // dir -> file
    'rm -rf /d2l; ln -s /etc /d2l', // dir -> symlink
    'rm /l2d; mkdir /l2d; echo in > /l2d/in', // symlink -> dir
    'rm -rf /opt/repl && mkdir /opt/repl', // the issue's own case: an opaque dir
    'rm -rf /opt/refill && mkdir /opt/refill && echo x2 > /opt/refill/x && echo z > /opt/refill/z',
    'rm -rf /opt/empty && mkdir /opt/empty', // held nothing: nothing to see
    'rm /opt/keep/gone', // deleted in a dir that stays
    `rm /same; echo same > /same; touch -d '${OLD_TIME}' /same`, // recreated identical
    'rm /other; echo different > /other', // recreated different
  ].join('\n'));
  const expected = [
    'C /d2f',
    'C /d2l',
    'C /f2d',
    'A /f2d/in',
    'C /l2d',
    'A /l2d/in',
    'C /opt',
    'C /opt/keep',
    'D /opt/keep/gone',
    'C /opt/refill',
    'C /opt/refill/x',
    'D /opt/refill/y',
    'A /opt/refill/z',
    'C /opt/repl', // not D: the folder exists
    'D /opt/repl/sub', // what it hid, its top level only
    'D /opt/repl/x',
    'C /other',
  ];
  assert.deepEqual(await diff('shaper'), expected);
  await store.ok(['commit', 'shaper', 'shaped']);
  assert.deepEqual(await diff('--layer', await topLayer('shaped')), expected, 'the committed layer shows the same changes');
  assert.deepEqual(await diff('shaper'), expected, 'and so does the container, reading its changes from that layer');
});

test('a dir deleted in one layer and made again in the next: D, then A, and nothing for a container above', async () => {
  await step('planter', 'bb', 'mkdir -p /opt/life/sub; echo x > /opt/life/x; echo y > /opt/life/sub/y', 'planted');
  await step('killer', 'planted', 'rm -rf /opt/life', 'killed');
  await step('reborn', 'killed', 'mkdir /opt/life; echo n > /opt/life/n', 'reborn');
  await step('above', 'reborn', 'cat /opt/life/n > /dev/null');
  assert.deepEqual(await diff('--layer', await topLayer('killed')), ['C /opt', 'D /opt/life']);
  assert.deepEqual(await diff('--layer', await topLayer('reborn')), ['C /opt', 'A /opt/life', 'A /opt/life/n']);
  assert.deepEqual(await diff('above'), []);
});

test('diff of a container creating and deleting files meanwhile succeeds every time, 100 times', async () => {
  await store.ok(['run', '-d', '--name', 'churn', 'bb', 'sh', '-c', [
    'mkdir -p /w; i=0',
    'while true; do i=$((i+1)); for j in 1 2 3 4 5 6 7 8; do echo $i > /w/f$j; mkdir -p /w/d$j/e; echo x > /w/d$j/e/g; ln -sf /w/f$j /w/l$j; done; rm -rf /w/f* /w/d* /w/l*; done',
  ].join('\n')]);
  try {
    const failures: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await store.cli(['diff', 'churn']);
      if (r.code !== 0) failures.push(`run ${i + 1}: exit ${r.code}: ${r.stderr.trim()}`);
      else assert.ok(lines(r.stdout).every((l) => /^[ACD] \/w(\/|$)/.test(l)), r.stdout);
    }
    assert.deepEqual(failures, []);
  } finally {
    await store.ok(['rm', '-f', 'churn']);
  }
});
