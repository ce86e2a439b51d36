// strata check [--repair] (issue 14): each kind of damage, made by hand on the store of a stopped
// helper, is named by the check (exit 1); --repair fixes it without losing complete data (what it
// cannot place is in lost+found/, the images and containers that were whole still work), and a
// second check is clean (exit 0). A damaged layer a container needs is reported and left alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckFinding, StoreCheckReport } from '../../helper/protocol/types';
import { linkName } from '../../helper/union/overlay-links';
import { TestStore, busyboxTarball, sha256sum } from '../support/strata';
import { checkReport, containerId, imageIds, imageOf, layerDirs, tags, topLayer } from '../support/store-disk';

let store: TestStore;
let root: string;
const outside = mkdtempSync(join(tmpdir(), 'strata-check-outside-'));

before(async () => {
  store = TestStore.create('store-check');
  root = store.root;
  await store.ok(['busybox']);
});
after(async () => {
  await store.close();
  rmSync(outside, { recursive: true, force: true });
});

const hex = (id: string) => id.slice(7);
const diffLines = async (name: string) => (await store.ok(['diff', name])).trim().split('\n').sort();

function finding(report: StoreCheckReport, path: string, problem: RegExp): CheckFinding {
  const found = report.problems.find((p) => p.path === path && problem.test(p.problem));
  assert.ok(found, `the report names ${path}: ${problem}\n${JSON.stringify(report.problems, null, 1)}`);
  return found;
}

/** A stopped container that wrote one file, committed (by move) as `image`, then removed. */
async function committed(name: string, image: string, from = 'busybox'): Promise<string> {
  await store.ok(['run', '--name', name, from, 'sh', '-c', `echo ${name} > /${name}`]);
  await store.ok(['commit', name, image]);
  await store.ok(['rm', name]);
  return imageOf(root, image);
}

test('a whole store checks clean, an imported tar\'s layer verified through its tar-split; a file changed in it is damage', async () => {
  const tar = (await busyboxTarball(mkdtempSync(join(outside, 'tar-')))).tar;
  await store.ok(['import', tar, 'imported']);
  const r = await store.cli(['check']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Checked \S+: 2 layers \(2 verified\), 2 images, 2 tags, 0 containers\.\n/);
  assert.match(r.stdout, /No problems found\.\n$/);
  assert.deepEqual((await checkReport(store)).unverifiable, []);
  // Behind Strata's back: the imported layer's tar can no longer be made again.
  const layer = join(store.root, 'graph', sha256sum(tar).slice(7), 'layer');
  const passwd = readFileSync(join(layer, 'etc/passwd'));
  appendFileSync(join(layer, 'etc/passwd'), 'intruder:x:0:0::/:/bin/sh\n');
  const damaged = await store.cli(['check']);
  assert.equal(damaged.code, 1, damaged.stdout);
  assert.match(damaged.stdout, /etc\/passwd/);
  writeFileSync(join(layer, 'etc/passwd'), passwd);
  assert.equal((await store.cli(['check'])).code, 0, 'clean again once the file is as imported');
  await store.ok(['rmi', 'imported']);
});

test('each kind of damage by hand is named; --repair fixes it without losing complete data; a second check is clean', async () => {
  // What is whole and must stay so: a stopped container committed by move (its changes live in
  // the layer of kept:1) and that image.
  await store.ok(['run', '--name', 'keeper', 'busybox', 'sh', '-c', 'echo keep > /keep; rm /etc/motd']);
  await store.ok(['commit', 'keeper', 'kept:1']);
  const keeperDiff = await diffLines('keeper');
  // The damage to come, each on its own things.
  const damaged = await committed('d', 'damaged');
  const orphan = await committed('o', 'orphan');
  const mid = await committed('m', 'mid');
  const top = await committed('t', 'top', 'mid');
  const changed = await committed('cf', 'changed');
  const gone = await committed('w', 'wimg');
  await store.ok(['create', '--name', 'onw', 'wimg']);
  await store.ok(['run', '--name', 'noupper', 'busybox', 'sh', '-c', 'echo x > /x']);
  await store.ok(['run', '--name', 'norec', 'busybox', 'sh', '-c', 'echo r > /r']);
  const [onw, noupper, norec] = ['onw', 'noupper', 'norec'].map((n) => containerId(root, n));
  const [dLayer, oLayer, midLayer, topLayerId, cfLayer, wLayer] = [damaged, orphan, mid, top, changed, gone].map((i) => topLayer(root, i));
  const midLink = linkName(join(root, 'graph', hex(midLayer), 'layer')); // t ran on mid: its short link exists
  const noJson = 'f'.repeat(64);
  const link = 'deadbeefdeadbeef';

  await store.stopHelper();
  appendFileSync(join(root, 'graph', hex(dLayer), 'layer', 'd'), 'changed by hand\n');
  rmSync(join(root, 'images', `${hex(orphan)}.json`));
  writeFileSync(join(root, 'repositories.json'), JSON.stringify({ ...tags(root), 'orphan:latest': undefined, 'ghost:latest': `sha256:${'0'.repeat(64)}` }));
  renameSync(join(root, 'graph', hex(midLayer)), join(outside, 'lost-layer'));
  appendFileSync(join(root, 'images', `${hex(changed)}.json`), ' ');
  rmSync(join(root, 'images', `${hex(gone)}.json`));
  rmSync(join(root, 'containers', noupper, 'upper'), { recursive: true });
  rmSync(join(root, 'containers', norec, 'config.json'));
  mkdirSync(join(root, 'graph', noJson, 'layer'), { recursive: true });
  writeFileSync(join(root, 'graph', noJson, 'layer', 'file'), 'data\n');
  mkdirSync(join(root, 'graph', 'junk'));
  writeFileSync(join(root, 'images', 'notes.txt'), 'notes\n');
  mkdirSync(join(root, 'containers', 'junk'));
  symlinkSync(join(root, 'graph', 'a'.repeat(64), 'layer'), join(root, 'l', link));
  await store.ok(['images']); // a helper starts (start-up repair leaves all of this alone) ...
  mkdirSync(join(root, 'tmp', 'leftover')); // ... and tmp/ is only ever left over while one runs

  const expected: [string, RegExp][] = [
    [`graph/${hex(dLayer)}`, /^its files hash to sha256:[0-9a-f]{64}, not to its diff_id sha256:[0-9a-f]{64}: they were changed \(images on it: [0-9a-f]{12}\)$/],
    [`graph/${hex(oLayer)}`, /^no image or container uses it$/],
    [`graph/${hex(cfLayer)}`, /^no image or container uses it$/],
    [`graph/${hex(wLayer)}`, /^no image or container uses it$/],
    [`graph/${hex(topLayerId)}`, new RegExp(`^its parent ${midLayer} is missing: it cannot be mounted$`)],
    [`images/${hex(mid)}.json`, /^its layer 2 of 2, sha256:[0-9a-f]{64}, is missing$/],
    [`images/${hex(top)}.json`, /^its layer 2 of 3, sha256:[0-9a-f]{64}, is missing$/],
    [`images/${hex(changed)}.json`, /^its sha256 is sha256:[0-9a-f]{64}, not its id: the config was changed$/],
    ['repositories.json', /^tag ghost:latest points at sha256:0{64}, which is not an image here$/],
    ['repositories.json', /^tag mid:latest points at sha256:[0-9a-f]{64}, which is broken$/],
    ['repositories.json', /^tag top:latest points at sha256:[0-9a-f]{64}, which is broken$/],
    ['repositories.json', /^tag changed:latest points at sha256:[0-9a-f]{64}, which is not an image here$/],
    ['repositories.json', /^tag wimg:latest points at sha256:[0-9a-f]{64}, which is not an image here$/],
    [`containers/${onw}`, new RegExp(`^container onw: its image ${gone} is gone$`)],
    [`containers/${noupper}`, /^container noupper: its upper dir is gone: what it wrote is lost$/],
    [`containers/${norec}`, /^a container folder without a readable record/],
    [`graph/${noJson}`, /^not a complete layer: its json cannot be read/],
    ['graph/junk', /^not a layer: graph\/ holds folders named by a 64-hex chain id$/],
    ['images/notes.txt', /^not an image config/],
    ['containers/junk', /^not a container/],
    [`l/${link}`, new RegExp(`^a link to layer sha256:${'a'.repeat(64)}, which is gone$`)],
    [`l/${midLink}`, new RegExp(`^a link to layer ${midLayer}, which is gone$`)],
    ['tmp/leftover', /^left over from work that did not finish$/],
  ];
  const first = await store.cli(['check']);
  assert.equal(first.code, 1, 'problems: exit 1');
  assert.match(first.stdout, /\d+ problems found\. Run strata check --repair/);
  const report = await checkReport(store);
  for (const [path, problem] of expected) assert.equal(finding(report, path, problem).repaired, undefined, `${path}: not repaired by a check`);
  assert.equal(report.problems.length, expected.length, JSON.stringify(report.problems, null, 1));
  assert.equal(existsSync(join(root, 'lost+found')), false, 'a check changes nothing');

  const repair = await store.cli(['check', '--repair']);
  assert.equal(repair.code, 0, repair.stdout);
  assert.match(repair.stdout, /(\d+) problems found: \1 repaired, 0 remain\.\nWhat could not be placed was moved to \S+\/lost\+found\/\S+\.\n$/);
  for (const [path, problem] of expected) {
    const line = `${path}: ${problem.source.replace(/^\^|\$$/g, '')}`;
    assert.match(repair.stdout, new RegExp(`${line}[^\\n]*\\n {2}repaired: `), `${path} repaired`);
  }
  const lost = join(root, 'lost+found', readdirSync(join(root, 'lost+found'))[0]);
  assert.equal(readFileSync(join(lost, 'containers', norec, 'upper', 'r'), 'utf8'), 'r\n', 'the record-less container\'s changes are kept');
  assert.equal(readFileSync(join(lost, 'graph', noJson, 'layer', 'file'), 'utf8'), 'data\n');
  assert.match(readFileSync(join(lost, 'graph', hex(dLayer), 'layer', 'd'), 'utf8'), /changed by hand/);
  assert.ok(existsSync(join(lost, 'containers', onw, 'config.json')), 'the container whose image is gone is kept whole');
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(lost, 'tags.json'), 'utf8'))).sort(), ['changed:latest', 'damaged:latest', 'ghost:latest', 'mid:latest', 'top:latest', 'wimg:latest']);

  const second = await store.cli(['check']);
  assert.equal(second.code, 0, second.stdout);
  assert.match(second.stdout, /No problems found\.\n$/);
  // What was whole is there and works.
  assert.deepEqual(Object.keys(tags(root)).sort(), ['busybox:latest', 'kept:1']);
  assert.deepEqual(imageIds(root), [imageOf(root, 'busybox'), imageOf(root, 'kept:1')].sort());
  assert.deepEqual(layerDirs(root).sort(), [...new Set([topLayer(root, 'busybox'), topLayer(root, 'kept:1')].map(hex))].sort());
  assert.deepEqual(await diffLines('keeper'), keeperDiff);
  assert.equal(await store.ok(['run', '--rm', 'kept:1', 'cat', '/keep']), 'keep\n');
  assert.match(await store.ok(['ps', '-a']), /noupper/);
  assert.equal(await store.ok(['start', '-a', 'noupper']), '', 'noupper runs again, from its image');
  rmSync(lost, { recursive: true });
});

test('a damaged layer that a container needs is named and left as it is: check --repair exits 1', async () => {
  const image = await committed('dd', 'needed');
  await store.ok(['create', '--name', 'user', 'needed']);
  const layer = topLayer(root, image);
  appendFileSync(join(root, 'graph', hex(layer), 'layer', 'dd'), 'changed while it ran\n');
  const r = await store.cli(['check', '--repair']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, new RegExp(`graph/${hex(layer)}: its files hash to .* not repaired: container\\(s\\) user need it \\(remove them, then check --repair again\\)\\n`));
  assert.match(r.stdout, /1 problem found: 0 repaired, 1 remain\.\n$/);
  assert.ok(existsSync(join(root, 'graph', hex(layer), 'json')), 'the layer stays');
  assert.equal(imageOf(root, 'needed'), image, 'its image and tag stay');
  await store.ok(['rm', 'user']);
  await store.ok(['rmi', 'needed']);
  assert.equal((await store.cli(['check'])).code, 0);
});
