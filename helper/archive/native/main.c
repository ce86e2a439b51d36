// strata-fs: the archive module's file-system tool. It walks, stats, reads, unpacks and copies
// trees beneath a root, for what Node cannot do itself (Node has no getxattr/setxattr and no mknod)
// or does slowly (a walk with lstat per entry, or reading a thousand small files, costs several
// times more through libuv's thread pool than in one process). One process serves a whole import
// or a whole tree walk, never one process per file.
//
//   strata-fs walk DIR       prints one record per entry under DIR (DIR itself first, as "."),
//                            never following a symlink:
//                              path \0 "mode uid gid size mtime_s mtime_ns nlink ino rdev_major rdev_minor nxattr" \0
//                              then, for a symlink, its target \0
//                              then nxattr times: name \0 hexvalue \0
//   strata-fs stat DIR       the same records for the NUL-terminated paths read from stdin, each
//                            resolved like unpack's (below); "path \0 - \0" when it does not exist
//   strata-fs list DIR       the walk records of the entries directly in each directory named on
//                            stdin (NUL-terminated, "." for DIR), resolved the same way; nothing for
//                            a path that is not a directory there
//   strata-fs changes UPPER  what a layer's or a container's changes need read, in one pass: UPPER's
//                            walk, and the records of its paths in each lower dir named on stdin
//                            (NUL-terminated, top-most first); see changes.c for the format
//   strata-fs serve          walk, stat, list, cat and syncfs on request, one forked child each (serve.c): what
//                            the helper asks often, without starting a process each time
//   strata-fs cat DIR        the contents of the regular files named by "path \0 size \0" records on
//                            stdin, back to back (what packing a layer reads, in one process)
//   strata-fs gzip LEVEL     stdin to stdout as gzip, on every CPU (gzip.c)
//   strata-fs tar-gzip DIR SIZE DIFFID LEVEL
//                            an imported layer's tar, made again from the plan its tar-split gives
//                            (on stdin), checked and gzip'd, for a push (tar-gzip.c)
//   strata-fs unpack DIR     writes a layer: reads a stream of operations from stdin, each an op
//                            letter and NUL-terminated fields (numbers in decimal), F and X followed
//                            by exactly `size` raw bytes, and performs them in order:
//                              D path mode uid gid    mkdir (made 0700, then owner and mode; uid/gid
//                                                     -1 keep the id it was made with)
//                              M path mode uid gid    owner and mode of an existing directory (. = DIR)
//                              F path mode uid gid sec nsec size <size bytes>
//                                                     a new regular file (O_CREAT|O_EXCL|O_NOFOLLOW),
//                                                     its data, owner, mode, times
//                              S path target uid gid sec nsec
//                                                     a symlink (target stored as is), owner, times
//                              L path target          a hard link to target, a regular file beneath DIR
//                              U path                 remove what is at path (a directory with its
//                                                     contents), never following a symlink
//                              W path                 a whiteout (0/0 character device)
//                              P path mode uid gid    a fifo
//                              N path type major minor mode uid gid
//                                                     a device node, type c (character) or b
//                                                     (block); a 0/0 character device is refused
//                                                     (that is a whiteout, made only by W)
//                              X path name size <size bytes>
//                                                     lsetxattr with a raw value
//                              T path sec nsec        set atime and mtime, not following a symlink
//                            A new entry never replaces an existing one (EEXIST): the caller removes
//                            it first with U. Stops at the first failure, naming the path.
//   strata-fs import DIR [MAX FD]
//                            unpack, with the tar read here (stdin) and its file data held back
//                            from the helper, which still parses every header and decides every
//                            entry (import.c has the frames and the two extra operations);
//                            `import check` exits 0 when libcrypto and libdeflate load, else 3
//   strata-fs copy SRC DEST
//                            prints the walk records of SRC (as walk does), preceded by their length
//                            in bytes (15 decimal digits and a newline); then performs unpack's
//                            operations from stdin in DEST, plus
//                              C path mode uid gid sec nsec size
//                                                     copy the regular file path of SRC (which must
//                                                     still be a regular file of that size) to a new
//                                                     file path in DEST with that metadata, its bytes
//                                                     also written to stdout
//                              R path size        write the regular file path of SRC (still a regular
//                                                 file of that size) to stdout only
//                            (what commit does: the caller hashes the layer's canonical tar from the
//                            walk and those bytes, in the same pass as the copy)
//   strata-fs read SRC       the walk records of SRC as copy prints them, then only R operations from
//                            stdin: what commit by move hashes, reading the upper dir in place
//   strata-fs send           the rest of the regular file on stdin into stdout with sendfile, then
//                            "sent N" on stderr: the CLI's upload of a file (send.c)
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
  if (argc == 3 && strcmp(argv[1], "list") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_list(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "cat") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_cat(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "changes") == 0) {
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    return cmd_changes(argv[2]);
  }
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return cmd_serve();
  if (argc == 3 && strcmp(argv[1], "unpack") == 0) return cmd_unpack(argv[2]);
  if (argc == 3 && strcmp(argv[1], "import") == 0) return strcmp(argv[2], "check") == 0 ? cmd_import_check() : cmd_import(argv[2], NULL, NULL);
  if (argc == 5 && strcmp(argv[1], "import") == 0) return cmd_import(argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp(argv[1], "copy") == 0) return cmd_copy(argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "read") == 0) return cmd_read(argv[2]);
  if (argc == 3 && strcmp(argv[1], "gzip") == 0) return cmd_gzip(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "tar-gzip") == 0) return cmd_tar_gzip(argc, argv);
  if (argc == 2 && strcmp(argv[1], "send") == 0) return cmd_send();
  fprintf(stderr, "usage: strata-fs walk DIR | stat DIR < paths | list DIR < dirs | changes DIR < lower dirs | serve < requests | cat DIR < path-size records | unpack DIR < operations | import DIR [MAX FD] < tar 3< operations | copy SRC DEST < operations | read SRC < operations | gzip LEVEL < data | tar-gzip DIR SIZE DIFFID LEVEL < plan | send < file > socket\n");
  return 2;
}
