// The bad-tar corpus through `strata load` (issue 14), half 1 of 2 (every other named case of
// test/support/tar-corpus.ts): each case as
// the one layer of an image archive, a docker-archive and an OCI layout in turn. Each: refused with
// its message and the store byte for byte as it was, or a safe result, taken away again; tmp/ empty,
// the victim beside the store untouched (test/support/load-add.ts).
import { after, before, test } from 'node:test';
import { HostileStore, loadEach, namedHalf } from '../support/load-add';

let h: HostileStore;
before(async () => { h = await HostileStore.create('load-corpus-1'); });
after(async () => { await h.close(); });

test('named bad tars (half 1 of 2) as the layer of an image archive, through strata load', async (t) => {
  const cases = await namedHalf(0);
  await loadEach(h, cases);
  t.diagnostic(`${cases.length} named cases through load, ${h.counts.loadRefused} refused`);
});
