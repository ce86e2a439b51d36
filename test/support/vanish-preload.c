// An LD_PRELOAD library for tests: it makes files "vanish" at an exact step of a walk, which a
// real race (a container deleting files while `strata diff` reads its upper dir) hits only now and
// then. A name starting with
//   gone-lstat   fails lstat (fstatat) with ENOENT, though readdir listed it
//   gone-list    fails llistxattr (or listxattrat) with ENOENT (deleted after the lstat)
//   gone-get     fails lgetxattr (or getxattrat) with ENOENT (deleted after its xattrs were listed)
//   gone-attr    fails lgetxattr (or getxattrat) with ENODATA (the xattr removed after it was listed)
//   gone-link    fails readlinkat with ENOENT (a symlink deleted after the lstat)
//   gone-open    fails openat with ENOENT (a directory deleted after the lstat)
//   gone-dir     fails readdir with ENOENT (a directory removed while it is being read)
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif

static int named(const char *path, const char *prefix) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strncmp(base, prefix, strlen(prefix)) == 0;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define FAIL_IF(path, prefix, err) \
  if (named(path, prefix)) {       \
    errno = err;                   \
    return -1;                     \
  }

int fstatat(int fd, const char *path, struct stat *st, int flags) {
  FAIL_IF(path, "gone-lstat", ENOENT);
  return REAL(fstatat)(fd, path, st, flags);
}

int fstatat64(int fd, const char *path, struct stat64 *st, int flags) {
  FAIL_IF(path, "gone-lstat", ENOENT);
  return REAL(fstatat64)(fd, path, st, flags);
}

ssize_t llistxattr(const char *path, char *list, size_t size) {
  FAIL_IF(path, "gone-list", ENOENT);
  return REAL(llistxattr)(path, list, size);
}

ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size) {
  FAIL_IF(path, "gone-get", ENOENT);
  FAIL_IF(path, "gone-attr", ENODATA);
  return REAL(lgetxattr)(path, name, value, size);
}

/* Linux 6.13's listxattrat and getxattrat, which strata-fs calls through syscall(2) (no glibc
 * wrapper yet): the same vanishing, by the leaf name they are given. */
long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (nr == SYS_listxattrat) FAIL_IF((const char *)a[1], "gone-list", ENOENT);
  if (nr == SYS_getxattrat) {
    FAIL_IF((const char *)a[1], "gone-get", ENOENT);
    FAIL_IF((const char *)a[1], "gone-attr", ENODATA);
  }
  return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

ssize_t readlinkat(int fd, const char *path, char *buf, size_t size) {
  FAIL_IF(path, "gone-link", ENOENT);
  return REAL(readlinkat)(fd, path, buf, size);
}

static int open_at(const char *name, int fd, const char *path, int flags, va_list ap) {
  mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
  FAIL_IF(path, "gone-open", ENOENT);
  int (*real)(int, const char *, int, ...) = dlsym(RTLD_NEXT, name);
  return real(fd, path, flags, mode);
}

int openat(int fd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int r = open_at("openat", fd, path, flags, ap);
  va_end(ap);
  return r;
}

/* glibc's openat64 is openat on 64-bit: one function under both names. */
int openat64(int fd, const char *path, int flags, ...) __attribute__((alias("openat")));

struct dirent *readdir(DIR *d) {
  char proc[64], path[PATH_MAX];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd(d));
  ssize_t n = readlink(proc, path, sizeof path - 1);
  if (n > 0) {
    path[n] = '\0';
    if (named(path, "gone-dir")) {
      errno = ENOENT;
      return NULL;
    }
  }
  return REAL(readdir)(d);
}
