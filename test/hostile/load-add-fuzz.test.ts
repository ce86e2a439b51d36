// The bad-tar fuzzer's inputs (test/support/tar-fuzz.ts) through `strata load` (as an image's layer,
// docker-archive and OCI layout in turn) and a build's `ADD local.tar` (issue 14): each refused with
// a message and the store byte for byte as it was, or a safe result, taken away again
// (test/support/load-add.ts). The seed is printed: STRATA_FUZZ_SEED=N replays a run;
// STRATA_FUZZ_LOAD_COUNT=N runs more inputs (npm run fuzz does).
import { after, before, test } from 'node:test';
import { archiveOf, HostileStore } from '../support/load-add';
import { corpus, fuzzInput, fuzzSettings } from '../support/tar-fuzz';

const { seed: SEED } = fuzzSettings(0);
const COUNT = Number(process.env.STRATA_FUZZ_LOAD_COUNT ?? 50);
const replay = `STRATA_FUZZ_SEED=${SEED} node scripts/test.mjs load-add-fuzz`;

let h: HostileStore;
before(async () => { h = await HostileStore.create('load-add-fuzz'); });
after(async () => { await h.close(); });

test(`mutated tars through load and ADD (seed ${SEED}, ${COUNT} inputs each way)`, async (t) => {
  const bases = await corpus();
  for (let i = 0; i < COUNT; i++) {
    const input = fuzzInput(SEED, i, bases);
    const what = `input ${i} (${input.recipe}); replay: ${replay}`;
    await h.load(`${what} (load)`, await archiveOf(i % 2 ? 'oci' : 'docker', [{ layers: [input.bytes], tags: ['hostile:latest'] }]), undefined);
    await h.add(`${what} (ADD)`, input.bytes, undefined);
  }
  t.diagnostic(`seed ${SEED}: ${h.counts.load} through load (${h.counts.loadRefused} refused), ${h.counts.add} through ADD (${h.counts.addRefused} refused)`);
});
