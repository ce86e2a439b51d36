// The bad-tar corpus through a build's `ADD local.tar /dst/` (issue 14; ADD unpacks a local tar),
// half 2 of 2 (every other named case of test/support/tar-corpus.ts). Each: refused with the
// importer's message (or ADD's own rule: files, directories and symlinks only) and the store byte
// for byte as it was, or a safe result, taken away again; tmp/ empty, the victim beside the store
// untouched (test/support/load-add.ts).
import { namedCasesThrough } from '../support/load-add';

namedCasesThrough('ADD', 1);
