// The bad-tar corpus through `strata load` (issue 14), half 1 of 2 (every other named case of
// test/support/tar-corpus.ts): each case as
// the one layer of an image archive, a docker-archive and an OCI layout in turn. Each: refused with
// its message and the store byte for byte as it was, or a safe result, taken away again; tmp/ empty,
// the victim beside the store untouched (test/support/load-add.ts).
import { namedCasesThrough } from '../support/load-add';

namedCasesThrough('load', 0);
