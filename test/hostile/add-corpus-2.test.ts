// The bad-tar corpus through a build's `ADD local.tar /dst/` (issue 14; ADD unpacks a local tar),
// half 2 of 2 (every other named case of test/support/tar-corpus.ts). Each: refused with the
// importer's message (or ADD's own rule: files, directories and symlinks only) and the store byte
// for byte as it was, or a safe result, taken away again; tmp/ empty, the victim beside the store
// untouched (test/support/load-add.ts).
import { after, before, test } from 'node:test';
import { addEach, HostileStore, namedHalf } from '../support/load-add';

let h: HostileStore;
before(async () => { h = await HostileStore.create('add-corpus-2'); });
after(async () => { await h.close(); });

test('named bad tars (half 2 of 2) as the local tar of ADD, through strata build', async (t) => {
  const cases = await namedHalf(1);
  await addEach(h, cases);
  t.diagnostic(`${cases.length} named cases through ADD, ${h.counts.addRefused} refused`);
});
