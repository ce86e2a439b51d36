// strata-xattr: the archive module's batch tool for what Node cannot do itself (Node has no
// getxattr/setxattr and no mknod) or does slowly (a walk with lstat per entry, or reading a thousand
// small files, costs several times more through libuv's thread pool than in one process). One
// process serves a whole import or a whole tree walk, never one process per file.
//
//   strata-xattr walk DIR    prints one record per entry under DIR (DIR itself first, as "."),
//                            never following a symlink:
//                              path \0 "mode uid gid size mtime_s mtime_ns nlink ino rdev_major rdev_minor nxattr" \0
//                              then, for a symlink, its target \0
//                              then nxattr times: name \0 hexvalue \0
//   strata-xattr stat DIR    the same records for the NUL-terminated paths read from stdin, each
//                            resolved like apply's (below); "path \0 - \0" when it does not exist
//   strata-xattr cat DIR     the contents of the regular files named by "path \0 size \0" records on
//                            stdin, back to back (what packing a layer reads, in one process)
//   strata-xattr apply DIR   reads operations from stdin, each a letter and NUL-terminated fields:
//                              x path name hexvalue   lsetxattr
//                              r path name            lremovexattr (absent is fine)
//                              w path                 mknod a 0/0 character device (an overlayfs whiteout)
//                              f path mode uid gid    mkfifo, then chown and chmod
//                              d path type major minor mode uid gid
//                                                     mknod a device node, type c (character) or b
//                                                     (block), then chown and chmod; a 0/0
//                                                     character device is refused (that is a
//                                                     whiteout, made only by w)
//                              t path sec nsec        set atime and mtime, not following a symlink
//
// Paths are relative to DIR and are raw bytes. Every parent directory is opened with openat2
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so the kernel refuses any path that would leave DIR or pass
// through a symlink, whatever the caller sends (the CVE-2018-15664 / CVE-2025-45582 family: a
// symlink planted in a parent path must never be followed by a root process). The leaf is then
// reached through /proc/self/fd/<parent>/<leaf> with the l-variants (no final symlink follow).
#include "common.h"

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "walk") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_walk(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "stat") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_stat(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "cat") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_cat(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "apply") == 0) return cmd_apply(argv[2]);
  fprintf(stderr, "usage: strata-xattr walk DIR | stat DIR < paths | cat DIR < path-size records | apply DIR < operations\n");
  return 2;
}
