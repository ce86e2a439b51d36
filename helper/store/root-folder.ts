// Which folders may be a store's root. Checked by the helper as it opens a store, and by the CLI
// before it starts a helper there (the helper's log would otherwise be made in the folder first).
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

/**
 * Why `root` cannot be a store root, or undefined when it can. A folder other users use (/tmp,
 * mode 1777, or one a user owns) is refused: making it 0700 would take it from them, and leaving it
 * open would let them into the store, where layers keep setuid files (moby CVE-2021-41091). A
 * relative root is refused too: overlay options and the short links are absolute paths.
 */
export function storeRootProblem(root: string): string | undefined {
  if (!isAbsolute(root)) return `the store root must be an absolute path: ${root}`;
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // made 0700 by the helper
    throw err;
  }
  if (!st.isDirectory()) return `the store root ${root} is not a folder`;
  const shared = (st.mode & 0o1002) !== 0; // sticky, or writable by others
  if (st.uid === 0 && !shared) return undefined;
  const why = st.uid !== 0 ? `it belongs to uid ${st.uid}` : `others may write to it (mode ${(st.mode & 0o7777).toString(8)})`;
  return `refusing ${root} as a store root: ${why}, and a store must be root's alone (0700); give a folder of its own, e.g. ${root.replace(/\/+$/, '')}/strata`;
}
