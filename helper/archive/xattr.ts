// Which extended attributes a layer keeps, and the ones that say an upper dir is not a whole diff:
// the policy every path into or out of a layer applies (extract, copy, pack, changes, read-file).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { EntryKind, WalkEntry } from './native-fs';

export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/**
 * Which xattrs a layer may carry. An allowlist, not a denylist: trusted.overlay.* in a tar would
 * change what overlayfs shows (an opaque, redirect or metacopy forged by the image author; umoci
 * TestOverlayXattrFilter), user.overlay.* plays the same role when overlayfs runs with `userxattr`,
 * security.selinux is the host's label, not the image's, and anything else trusted.* is for root
 * daemons on the host. Kept: file capabilities (ping, etc.), POSIX ACLs and user.* (the kernel allows
 * user.* only on regular files and directories, so it is dropped elsewhere instead of failing).
 */
export function xattrAllowed(name: string, kind: EntryKind): boolean {
  if (name === 'security.capability') return kind === 'file';
  if (name === 'system.posix_acl_access') return kind === 'file' || kind === 'dir';
  if (name === 'system.posix_acl_default') return kind === 'dir';
  if (name.startsWith('user.')) return !name.startsWith('user.overlay.') && (kind === 'file' || kind === 'dir');
  return false;
}

/**
 * Why a kept xattr's value cannot be set, when that can be told before the kernel says EINVAL: a
 * file capability set is a vfs_cap_data of revision 2 (20 bytes) or 3 (24 bytes, with a root uid),
 * as the kernel's cap_convert_nscap requires (security/commoncap.c, validheader).
 */
export function xattrValueProblem(name: string, value: Buffer): string | undefined {
  if (name !== 'security.capability') return undefined;
  const revision = value.length >= 4 ? value.readUInt32LE(0) & 0xff000000 : -1;
  if ((value.length === 20 && revision === 0x02000000) || (value.length === 24 && revision === 0x03000000)) return undefined;
  return `its security.capability is not a file capability set (${value.length} bytes; revision 2 takes 20, revision 3 takes 24)`;
}

/**
 * An upper dir is the whole diff only when overlayfs ran with redirect_dir=off and metacopy=off
 * (docs/layers.md, "Commit"): a redirect or a metacopy-only file points into a lower layer, and copying or
 * packing the upper dir alone would lose what it points at. Refuse rather than write a wrong layer.
 */
/**
 * An opaque directory: overlayfs shows none of the same-named directories below it (its
 * trusted.overlay.opaque=y, what a tar's `.wh..wh..opq` becomes; docs/layers.md). The one test
 * for it, used by the change list, the merged-file reader and the packer.
 */
export function isOpaqueDir(e: WalkEntry): boolean {
  return e.kind === 'dir' && e.xattrs.size > 0 && e.xattrs.get(OPAQUE_XATTR)?.toString('latin1') === 'y';
}

export function checkFaithful(e: WalkEntry): void {
  for (const name of e.xattrs.keys()) {
    if (name === 'trusted.overlay.redirect' || name === 'trusted.overlay.metacopy') {
      throw new StrataError(
        ErrorCode.Internal,
        `"${Buffer.from(e.path, 'latin1').toString('utf8')}" carries ${name}: the layer is not a faithful diff (the overlay must be mounted with redirect_dir=off,metacopy=off)`,
      );
    }
  }
}
