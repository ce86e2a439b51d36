// Scripts written for Docker work unchanged (issue 13): every case recorded from Docker 20.10
// (test/fixtures/docker/recorded.json, made by record.ts from cases.ts) is run through the real
// strata CLI after the same setup on the same busybox tar, and must print what Docker printed and
// exit as it exited: ids, times and paths normalised, column padding compared as "two or more
// spaces". The few cases where Strata differs on purpose are listed with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball, repoRoot } from '../support/strata';
import type { Recorded, Recording } from '../fixtures/docker/cases';

const recording: Recording = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/docker/recorded.json'), 'utf8'));

/** Where Strata exits otherwise than Docker, and why. */
const OTHER_EXIT: Record<string, string> = {
  'inspect-hello': 'Strata keeps no Parent image: the field is left out (nothing invented), so the template stops there',
};

/** Where Strata says something else than Docker, and why; compared by exit code only. */
const DIFFERENT: Record<string, string> = {
  'inspect-image': 'whole documents: docker-shapes.test.ts compares their keys and nesting',
  'inspect-container': 'whole documents: docker-shapes.test.ts compares their keys and nesting',
  'inspect-format-json': 'whole documents: docker-shapes.test.ts compares their keys and nesting',
  'inspect-graph': 'GraphDriver.Name is overlay (layers are plain folders for the kernel\'s overlayfs, not Docker\'s overlay2 driver)',
  'inspect-struct': 'GraphDriver.Name is overlay, as above',
  'inspect-env-null': 'Strata\'s import stores an empty Env ([]), Docker\'s none (null)',
  'stop-bad-value': 'the flag is -t, --time (Docker 20.10\'s name; Docker 28 calls it --timeout)',
  'inspect-type-bad': 'Strata has no volumes: volume is no type it knows',
  'inspect-type-unknown': 'the types Strata knows: container, image, layer',
  'inspect-type-image-nosuch': 'the engine\'s own not-found message',
  'stats-json': 'no NetIO and BlockIO: Strata does not count them; memory differs between engines',
  'df': 'no Local Volumes and Build Cache rows: Strata has neither',
  'df-json': 'no Local Volumes and Build Cache rows: Strata has neither',
  'df-format': 'no Local Volumes and Build Cache rows: Strata has neither',
  'run-name-conflict': 'the engine\'s conflict message; the exit code is Docker\'s',
  'create-name-conflict': 'the engine\'s conflict message; the exit code is Docker\'s',
  'image-prune': 'Strata gives back the bytes of the committed layer, Docker 20.10 said 0B',
  'container-prune': 'which bytes each engine counts a container to have written',
  'commit-dangling': 'an id',
};

function normalise(text: string): string {
  return text
    .replace(/\bdocker\b/g, 'strata')
    .replace(/\/tmp\/[^\s"]+/g, '<path>')
    .replace(/(sha256:)?[0-9a-f]{64}/g, '<id>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id12>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z| [+-]\d{4} \w+|[+-]\d\d:\d\d)?/g, '<time>')
    .replace(/(Less than a second|About a minute|\d+ seconds?|\d+ minutes)/g, '<duration>')
    // Each engine measures a layer its own way (1.98MB here, 1.99MB there): sizes are not compared.
    .replace(/\b\d+(\.\d+)?(B|kB|MB|GB|KiB|MiB|GiB)\b/g, '<size>')
    .replace(/ {2,}/g, '  ')
    .replace(/ +\n/g, '\n');
}

let store: TestStore;
const results = new Map<string, { code: number; stdout: string; stderr: string }>();

before(async () => {
  store = TestStore.create('format');
  await store.ok(['import', (await busyboxTarball(mkdtempSync(join(tmpdir(), 'strata-format-')))).tar, 'busybox']);
  for (const s of recording.setup) {
    const r = await store.cli(s.args, { input: s.input });
    assert.equal(r.code, s.code, `setup ${s.name}: strata ${s.args.join(' ')}\n${r.stderr}`);
  }
  for (const c of recording.cases) results.set(c.name, await store.cli(c.args, { input: c.input ?? '' }));
});
after(async () => { await store.close(); });

/** Images made in the same second are listed in either order (Docker sorts by whole seconds). */
const sameSecondOrder = (c: Recorded, text: string) => (c.args[0] === 'images' ? text.split('\n').sort().join('\n') : text);

function check(c: Recorded): void {
  const r = results.get(c.name)!;
  const shown = `strata ${c.args.join(' ')}\n--- strata (${r.code}):\n${r.stdout}${r.stderr}\n--- docker (${c.code}):\n${c.stdout}${c.stderr}`;
  if (c.name in OTHER_EXIT) return;
  assert.equal(r.code, c.code, `exit code of ${shown}`);
  if (c.name in DIFFERENT) return;
  assert.equal(sameSecondOrder(c, normalise(r.stdout)), sameSecondOrder(c, normalise(c.stdout)), `stdout of ${shown}`);
  assert.equal(normalise(r.stderr), normalise(c.stderr), `stderr of ${shown}`);
}

for (const c of recording.cases) test(`${c.name}: strata ${c.args.join(' ')}`, () => check(c));

test('the recording is Docker 20.10\'s, and every case is replayed', () => {
  assert.match(recording.versions.server, /^20\.10\./);
  assert.ok(recording.cases.length >= 80, `${recording.cases.length} cases`);
  for (const name of [...Object.keys(DIFFERENT), ...Object.keys(OTHER_EXIT)]) assert.ok(recording.cases.some((c) => c.name === name), `a listed difference names a case: ${name}`);
});
