// The bad-tar fuzzer (issue 14): thousands of mutated tars (test/support/tar-fuzz.ts), each either
// refused with a clear error (a StrataError with a code that names the kind of problem, never an
// internal one) or made into a layer that stays inside its folder: the victim beside it untouched,
// nothing written next to it or on the host. A sample goes the whole way (strata import -> helper):
// refused ones leave the store byte for byte as it was and tmp/ empty, and the helper answers on.
// The seed is printed; STRATA_FUZZ_SEED=N replays a run, STRATA_FUZZ_ONLY=I one input of it,
// STRATA_FUZZ_COUNT=N (or `npm run fuzz -- --count N`) runs longer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { extractLayer } from '../../helper/archive';
import { StrataError } from '../../helper/errors';
import { ErrorCode } from '../../helper/protocol/errors';
import { streamOf } from '../support/archive-fs';
import { withArena } from '../support/archive-hostile';
import { corpus, fuzzInput, fuzzSettings, HOST_MARKERS, type FuzzInput } from '../support/tar-fuzz';
import { TestStore, treeSnapshot } from '../support/strata';
import { besideStore, guardedRun, type Guarded } from '../support/store-guard';

const { seed: SEED, count: COUNT, only: ONLY } = fuzzSettings(2000);
const THROUGH_HELPER = Math.min(40, COUNT);

const replay = (i: number) => `replay: STRATA_FUZZ_SEED=${SEED} STRATA_FUZZ_ONLY=${i} node scripts/test.mjs tar-fuzz`;

/** Undefined when `err` is a clear refusal; else why it is not. */
function unclear(err: unknown): string | undefined {
  if (!(err instanceof StrataError)) return `not a StrataError: ${err instanceof Error ? err.stack : String(err)}`;
  if (err.code === ErrorCode.Internal) return `an internal error: ${err.message}`;
  if (!err.message.trim()) return 'an empty message';
  return undefined;
}

let bases: Buffer[];
let store: TestStore;
let guarded: Guarded;
before(async () => {
  bases = await corpus();
  for (const m of HOST_MARKERS) assert.ok(!existsSync(m), `${m} exists before the run: remove it`);
  store = TestStore.create('tar-fuzz');
  await store.ok(['import', '-', 'good'], { input: bases[0] });
  guarded = besideStore(store);
});
after(async () => { await store.close(); });

test(`mutated tars, extracted: each a clear refusal or a layer that stays in its folder (seed printed)`, async (t) => {
  t.diagnostic(`seed ${SEED}, ${COUNT} inputs (${replay(0).replace(/ STRATA_FUZZ_ONLY=0/, '')})`);
  const codes = new Map<string, number>();
  let made = 0;
  const indexes = ONLY === undefined ? Array.from({ length: COUNT }, (_, i) => i) : [ONLY];
  for (const i of indexes) {
    const input = fuzzInput(SEED, i, bases);
    await withArena(async ({ dest }) => {
      try {
        await extractLayer(streamOf(input.bytes), dest);
        made++;
      } catch (err) {
        const why = unclear(err);
        assert.equal(why, undefined, `input ${i} (${input.recipe}): ${why}\n${replay(i)}`);
        const code = String((err as StrataError).code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }, HOST_MARKERS).catch((err: unknown) => {
      throw new Error(`input ${i} (${input.recipe}): ${err instanceof Error ? err.message : String(err)}\n${replay(i)}`, { cause: err });
    });
  }
  t.diagnostic(`${made} made a layer; refused by code: ${[...codes].map(([c, n]) => `${c}: ${n}`).join(', ')}`);
  if (ONLY === undefined) assert.ok(made > 0 && made < COUNT, `the mutations reach both outcomes (${made} of ${COUNT} made a layer)`);
});

test('a sample of them through strata import: refused ones leave the store byte for byte as it was; the helper answers on', async (t) => {
  let refused = 0;
  for (let i = 0; i < THROUGH_HELPER; i++) {
    const input: FuzzInput = fuzzInput(SEED, i, bases);
    const where = `input ${i} (${input.recipe}); ${replay(i)}`;
    const r = await guardedRun(guarded, where, () => store.cli(['import', '-', 'fuzzed'], { input: input.bytes }), HOST_MARKERS);
    if (r.code === 0) {
      await store.ok(['rmi', 'fuzzed']); // it made an image: take it away again
      assert.deepEqual(treeSnapshot(store.root), r.before, `${where}: the store is as it was`);
    } else {
      refused++;
      assert.match(r.stderr, /^Error response from daemon: import: \S/, `${where}: a message that says why\n${r.stderr}`);
    }
  }
  assert.match(await store.ok(['images']), /^good\s+latest\s/m, 'the image made before is still there');
  t.diagnostic(`${THROUGH_HELPER} through the helper, ${refused} refused`);
});
