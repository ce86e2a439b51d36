// Shared by the strata-fs sources (see main.c for what the tool does and why).
#ifndef STRATA_FS_COMMON_H
#define STRATA_FS_COMMON_H
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

void die(const char *what, const char *path) __attribute__((noreturn));
void fail(const char *why, const char *path) __attribute__((noreturn));
void *xrealloc(void *p, size_t n);
char *read_all_stdin(size_t *len);
long long number(const char *s, const char *path);

// The root every path is resolved beneath (opened by the command), and the resolver.
extern int root_fd;
// A tree paths are resolved beneath: its root fd, and the last parent opened in it.
struct tree {
  int *root;
  int parent_fd;
  char *parent_path;
};
int tree_parent(struct tree *t, const char *path, const char **leaf);
int try_open_parent(const char *path, const char **leaf);
int open_parent(const char *path, const char **leaf);
// The regular file at `path` beneath t's root (NULL: the command's root, as try_open_parent),
// opened for reading, if it is still a regular file of `size` bytes: what cat, copy's reads and
// tar-gzip read. O_NOFOLLOW: never through a symlink in the file's place; O_NONBLOCK: a FIFO put
// in its place (a container's process can swap one in between the walk that named the file and
// this open) must not hang the open waiting for a writer. Returns the fd, or OPEN_NO_PARENT /
// OPEN_FAILED (errno says why) / OPEN_CHANGED (another kind or size now).
enum { OPEN_NO_PARENT = -1, OPEN_FAILED = -2, OPEN_CHANGED = -3 };
int open_regular(struct tree *t, const char *path, long long size);
void forget_parent(void);

// The metadata operations of unpack and copy (ops.c); each dies naming `path` on failure.
void op_setxattr(int pfd, const char *leaf, const char *path, const char *name, const void *value, size_t n);
void op_whiteout(int pfd, const char *leaf, const char *path);
void op_fifo(int pfd, const char *leaf, const char *path, long long mode, long long uid, long long gid);
void op_device(int pfd, const char *leaf, const char *path, const char *type, long long maj, long long min, long long mode,
               long long uid, long long gid);
void op_times(int pfd, const char *leaf, const char *path, long long sec, long long nsec);

int cmd_walk(const char *root);
int cmd_stat(const char *root);
int cmd_list(const char *root);
int cmd_cat(const char *root);
int cmd_unpack(const char *root);
int cmd_import(const char *root, const char *max, const char *fd);
int cmd_import_check(void);
// import: unpack's operations read from fd, and the held data they take (import.c): `size` bytes,
// exactly the next held data, into fd (dropped when fd < 0).
int unpack_from(const char *root, int fd);
void held_take(int fd, long long size, const char *path);
// All of p to fd, or die naming path.
void write_out(int fd, const unsigned char *p, size_t n, const char *path);
int cmd_copy(const char *src, const char *dest);
int cmd_read(const char *src);
int cmd_serve(void);
int cmd_gzip(const char *level);
int cmd_tar_gzip(int argc, char **argv);
int cmd_send(void);

// gzip.c's pipeline: 1 MiB blocks, each a gzip member, compressed on every CPU and written to
// stdout in order. gz_start says why and returns an exit code when it cannot (3: no libdeflate);
// gz_block waits for the next block's buffer (GZIP_BLOCK bytes), gz_filled hands it over with its
// length, gz_end waits until every block handed over is written.
#define GZIP_BLOCK (1 << 20)
int gz_available(void);
void *gz_symbol(const char *name);
int gz_start(long level);
char *gz_block(void);
void gz_filled(size_t n);
void gz_end(void);
int cmd_changes(const char *upper);
int walk_record(FILE *out, int dirfd, const char *leaf, const char *path, size_t plen, const struct stat *st);
// errno says the entry (or directory) was removed while being read (ENOENT).
int vanished(void);
// The next entry of `d` other than . and .., its name appended to `*path` (grown as needed) after
// `plen` bytes and a '/', its full length in `*clen`; NULL at the end, also when the directory
// was removed meanwhile. Walks of one directory at a time (walk.c, changes.c) share it.
struct dirent *next_entry(DIR *d, char **path, size_t *cap, size_t plen, size_t *clen);
// Walk records (walk.c) of the tree under fd into a memory stream (for copy).
void walk_to(FILE *out, const char *root);

#endif
