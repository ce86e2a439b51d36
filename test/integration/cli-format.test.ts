// Scripts written for Docker work unchanged (issue 13): every case recorded from Docker 20.10
// (test/fixtures/docker/recorded.json, made by record.ts from cases.ts) is run through the real
// strata CLI after the same setup on the same busybox tar, and classified by the same rules as the
// live comparison (test/fixtures/docker/compare.ts): each case must be SAME or COMPATIBLE, or be one
// of the DECISIONS where Strata differs on purpose, with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball, repoRoot } from '../support/strata';
import { argsOf, type Recorded, type Recording } from '../fixtures/docker/cases';
import { classify, DECISIONS, judge, summary, type Row } from '../fixtures/docker/compare';

const recording: Recording = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/docker/recorded.json'), 'utf8'));

let store: TestStore;
let tmp: string;
const results = new Map<string, { code: number; stdout: string; stderr: string }>();

before(async () => {
  store = TestStore.create('format');
  tmp = mkdtempSync(join(tmpdir(), 'strata-format-'));
  await store.ok(['import', (await busyboxTarball(tmp)).tar, 'busybox']);
  for (const s of recording.setup) {
    const r = await store.cli(argsOf(s, tmp), { input: s.input });
    assert.equal(r.code, s.code, `setup ${s.name}: strata ${s.args.join(' ')}\n${r.stderr}`);
  }
  for (const c of recording.cases) results.set(c.name, await store.cli(argsOf(c, tmp), { input: c.input ?? '' }));
});
after(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

const rows: Row[] = [];

function check(c: Recorded): void {
  const r = results.get(c.name)!;
  const verdict = classify(c, r, c);
  rows.push({ name: c.name, args: c.args, ...verdict });
  const failure = judge(c.name, verdict, r, c);
  assert.equal(failure, undefined, `${failure}\nstrata ${c.args.join(' ')}\n--- strata (${r.code}):\n${r.stdout}${r.stderr}\n--- docker (${c.code}):\n${c.stdout}${c.stderr}`);
}

for (const c of recording.cases) test(`${c.name}: strata ${c.args.join(' ')}`, () => check(c));

test('the recording is Docker 20.10\'s, and every case is replayed', () => {
  assert.match(recording.versions.server, /^20\.10\./);
  assert.ok(recording.cases.length >= 100, `${recording.cases.length} cases`);
  for (const name of Object.keys(DECISIONS)) assert.ok(recording.cases.some((c) => c.name === name), `a decision names a case: ${name}`);
  console.log(summary(rows, `strata against Docker ${recording.versions.server}'s recorded outputs`));
});
