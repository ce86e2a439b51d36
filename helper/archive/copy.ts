// An exact copy of an upper-form directory: what commit snapshots from a frozen container's upper
// dir into a new layer. Files, dirs, symlinks, hard links within the tree, 0/0 whiteouts, fifos,
// device nodes, modes (setuid included), owners, mtimes, the opaque mark and the allowlisted xattrs.
//
// Speed matters here (the container is frozen while it runs). Measured on this machine (ext4, 2
// CPUs, a disk shared with other jobs) for an upper dir of 1000 new small files, median of 7 runs:
//   cp -a                                                    ~ 55-80 ms  (40-50 ms alone in a shell)
//   Node: strata-xattr walk, parallel async copyFile/chown/
//         chmod/utimes (32 in flight), one strata-xattr batch  ~ 80-150 ms
// and both ~650 ms while another job hammers the disk (file creation then costs ~0.6 ms, and
// ext4 serialises creations in one directory, so parallel requests do not help).
// so it is `cp -a` (coreutils: one process, no per-file round trips through libuv's thread pool),
// followed by one walk that removes what a layer must not carry: trusted.overlay.* other than the
// opaque mark (origin, impure, nlink... overlayfs bookkeeping for the old mount) and any xattr off
// the allowlist (security.selinux and the like). cp keeps hard links (and so whiteouts that share
// one inode keep sharing it, which overlayfs accepts), copies fifos, device nodes and 0/0 whiteouts with mknod, and
// never follows a symlink inside the tree.
import { promises as fsp } from 'node:fs';
import { execa } from 'execa';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { checkFaithful, OpBatch, OPAQUE_XATTR, walkTree, xattrAllowed } from './xattr';

/** Copies src to dest (which must not exist, or be an empty directory). */
export async function copyTree(src: string, dest: string): Promise<void> {
  const st = await fsp.lstat(src);
  if (!st.isDirectory()) throw new StrataError(ErrorCode.InvalidParams, `copy: ${src} is not a directory`);
  const existing = await fsp.readdir(dest).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && existing.length > 0) throw new StrataError(ErrorCode.InvalidParams, `copy: ${dest} is not empty`);
  try {
    // -T: dest is the copy itself, never a directory to copy into. --preserve=all with
    // --no-preserve=context: the host's SELinux label is not part of a layer.
    // setpriv --pdeathsig KILL: if the helper is killed mid-commit, cp dies with it instead of
    // writing on into a staging dir that the next helper's start-up repair is removing.
    await execa('setpriv', ['--pdeathsig', 'KILL', '--', 'cp', '-dR', '--preserve=all', '--no-preserve=context', '-T', '--', src, dest]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new StrataError(ErrorCode.Internal, `copy ${src} -> ${dest}: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
  const batch = new OpBatch();
  for (const e of await walkTree(dest)) {
    checkFaithful(e);
    for (const [name, value] of e.xattrs) {
      const keep = name === OPAQUE_XATTR ? e.kind === 'dir' && value.toString('latin1') === 'y' : xattrAllowed(name, e.kind);
      if (!keep) batch.removeXattr(e.path, name);
    }
  }
  await batch.run(dest);
}
