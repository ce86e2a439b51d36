// The bad-tar corpus through `strata load` (issue 14), half 2 of 2 (every other named case of
// test/support/tar-corpus.ts, and the two-step escape as two layers of one image): each case as
// the one layer of an image archive, a docker-archive and an OCI layout in turn. Each: refused with
// its message and the store byte for byte as it was, or a safe result, taken away again; tmp/ empty,
// the victim beside the store untouched (test/support/load-add.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { twoStepLayers } from '../support/tar-corpus';
import { archiveOf, namedCasesThrough } from '../support/load-add';

const store = namedCasesThrough('load', 1);

test('row 4 through load: the two-step escape across two layers of one image stays in the store', async () => {
  const h = store();
  const layers = await twoStepLayers(h.guarded.victim);
  for (const format of ['docker', 'oci'] as const) await h.load(`two-step escape (${format})`, await archiveOf(format, [{ layers, tags: ['hostile:latest'] }]), null);
  assert.equal(readFileSync(join(h.guarded.victim, 'keep'), 'utf8'), 'untouched');
});
