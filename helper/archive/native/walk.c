// strata-fs walk, stat, list and cat: reading a tree (lstat, symlink targets, xattrs, file
// contents).
//
// A tree may change while it is read: `strata diff` walks a running container's upper dir while
// the container creates and deletes files. An entry that vanishes between readdir and the reads
// that describe it (ENOENT from lstat, llistxattr, lgetxattr, readlink or open) is left out, not an
// error: Docker's walk (moby go-archive changes_linux.go, walker.walk) treats os.IsNotExist from
// Lstat the same way. An xattr removed between listing and reading it (ENODATA) is left out too.
// Nothing is printed for an entry until everything about it has been read, so a record is never
// cut in half.
#include "common.h"

static char *list_buf, *value_buf, *names_buf, *values;
static size_t list_cap, value_cap, names_cap, values_cap;
// Where walk and stat records go: stdout, or copy's memory stream.
static FILE *wout;

static void put_field(const char *s, size_t n) {
  fwrite(s, 1, n, wout);
  putc('\0', wout);
}

static void put_hex(const unsigned char *v, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    putc(digits[v[i] >> 4], wout);
    putc(digits[v[i] & 15], wout);
  }
  putc('\0', wout);
}

int vanished(void) {
  return errno == ENOENT;
}

struct dirent *next_entry(DIR *d, char **path, size_t *cap, size_t plen, size_t *clen) {
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (de == NULL) {
      // getdents on a directory removed meanwhile fails with ENOENT: it holds nothing any more.
      if (errno && !vanished()) die("readdir", plen ? *path : ".");
      return NULL;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    size_t nlen = strlen(de->d_name);
    *clen = plen ? plen + 1 + nlen : nlen;
    if (*clen + 1 > *cap) {
      *cap = (*clen + 1) * 2;
      *path = xrealloc(*path, *cap);
    }
    if (plen) (*path)[plen] = '/';
    memcpy(*path + (plen ? plen + 1 : 0), de->d_name, nlen + 1);
    return de;
  }
}

// Linux 6.13 reads xattrs relative to a directory fd (listxattrat, getxattrat): half the cost of
// going through /proc/self/fd/N/leaf, whose magic-link lookup was most of a walk's time (100,000
// entries: 300 against 600 ms). Older kernels say ENOSYS once, and the /proc path serves from then
// on. Either way the leaf is one name in a parent opened beneath the root, never followed when it
// is a symlink (AT_SYMLINK_NOFOLLOW, as the l-variants).
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif
struct xattr_args_at {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};
static int xattr_at_missing;

static ssize_t list_at(int dirfd, const char *leaf, const char *proc, char *buf, size_t cap) {
  if (!xattr_at_missing) {
    ssize_t n = syscall(SYS_listxattrat, dirfd, leaf, AT_SYMLINK_NOFOLLOW, buf, cap);
    if (n >= 0 || errno != ENOSYS) return n;
    xattr_at_missing = 1;
  }
  return llistxattr(proc, buf, cap);
}

static ssize_t get_at(int dirfd, const char *leaf, const char *proc, const char *name, char *buf, size_t cap) {
  if (!xattr_at_missing) {
    struct xattr_args_at args = {.value = (uint64_t)(uintptr_t)buf, .size = (uint32_t)cap, .flags = 0};
    ssize_t n = syscall(SYS_getxattrat, dirfd, leaf, AT_SYMLINK_NOFOLLOW, name, &args, sizeof args);
    if (n >= 0 || errno != ENOSYS) return n;
    xattr_at_missing = 1;
  }
  return lgetxattr(proc, name, buf, cap);
}

// Lists the xattr names of `leaf` in `dirfd` (`proc`: the same as /proc/self/fd/N/leaf) into
// list_buf; returns its length, or -1 when the entry is gone.
static ssize_t list_xattrs(int dirfd, const char *leaf, const char *proc, const char *path) {
  for (;;) {
    ssize_t n = list_at(dirfd, leaf, proc, list_buf, list_cap);
    if (n >= 0) return n;
    if (errno == ENOTSUP) return 0;
    if (vanished()) return -1;
    if (errno != ERANGE) die("llistxattr", path);
    ssize_t need = list_at(dirfd, leaf, proc, NULL, 0);
    if (need < 0 && vanished()) return -1;
    if (need < 0) die("llistxattr", path);
    list_cap = (size_t)need + 256;
    list_buf = xrealloc(list_buf, list_cap);
  }
}

// Reads one xattr into value_buf; returns its length, -1 when the entry is gone, -2 when the
// attribute is (ENODATA: removed since it was listed).
static ssize_t get_xattr(int dirfd, const char *leaf, const char *proc, const char *name, const char *path) {
  for (;;) {
    ssize_t n = get_at(dirfd, leaf, proc, name, value_buf, value_cap);
    if (n >= 0) return n;
    if (vanished()) return -1;
    if (errno == ENODATA) return -2;
    if (errno != ERANGE) die("lgetxattr", path);
    ssize_t need = get_at(dirfd, leaf, proc, name, NULL, 0);
    if (need < 0 && vanished()) return -1;
    if (need < 0 && errno == ENODATA) return -2;
    if (need < 0) die("lgetxattr", path);
    value_cap = (size_t)need + 256;
    value_buf = xrealloc(value_buf, value_cap);
  }
}

static void reserve(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  *cap = need * 2;
  *buf = xrealloc(*buf, *cap);
}

// Prints the record of one entry; returns 0 (printing nothing) when it vanished while being read.
static int emit(int dirfd, const char *leaf, const char *path, size_t plen, const struct stat *st) {
  char proc[64 + NAME_MAX];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, leaf);
  char target[PATH_MAX];
  ssize_t tlen = 0;
  if (S_ISLNK(st->st_mode)) {
    tlen = readlinkat(dirfd, leaf, target, sizeof target);
    if (tlen < 0 && (vanished() || errno == EINVAL)) return 0; // gone, or no longer a symlink
    if (tlen < 0) die("readlink", path);
  }
  ssize_t listed = list_xattrs(dirfd, leaf, proc, path);
  if (listed < 0) return 0;
  // The names are copied out first: get_xattr may reallocate value_buf but not list_buf. The
  // values are gathered as (length, bytes) pairs before anything is printed.
  reserve(&names_buf, &names_cap, (size_t)listed + 1);
  memcpy(names_buf, list_buf, (size_t)listed);
  size_t vlen = 0;
  int count = 0;
  for (ssize_t i = 0; i < listed; i += (ssize_t)strlen(names_buf + i) + 1) {
    ssize_t n = get_xattr(dirfd, leaf, proc, names_buf + i, path);
    if (n == -1) return 0;
    reserve(&values, &values_cap, vlen + sizeof n + (n > 0 ? (size_t)n : 0));
    memcpy(values + vlen, &n, sizeof n);
    vlen += sizeof n;
    if (n < 0) continue;
    memcpy(values + vlen, value_buf, (size_t)n);
    vlen += (size_t)n;
    count++;
  }
  put_field(path, plen);
  fprintf(wout, "%u %u %u %lld %lld %ld %lu %lu %u %u %d", (unsigned)st->st_mode, (unsigned)st->st_uid,
          (unsigned)st->st_gid, (long long)st->st_size, (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
          (unsigned long)st->st_nlink, (unsigned long)st->st_ino, major(st->st_rdev), minor(st->st_rdev), count);
  putc('\0', wout);
  if (S_ISLNK(st->st_mode)) put_field(target, (size_t)tlen);
  size_t at = 0;
  for (ssize_t i = 0; i < listed; i += (ssize_t)strlen(names_buf + i) + 1) {
    ssize_t n;
    memcpy(&n, values + at, sizeof n);
    at += sizeof n;
    if (n < 0) continue;
    put_field(names_buf + i, strlen(names_buf + i));
    put_hex((const unsigned char *)values + at, (size_t)n);
    at += (size_t)n;
  }
  return 1;
}

// Lists the directory open as `fd` (consumed). `path` holds its relative path ("" for the root);
// with `recurse`, the directories in it are walked in turn.
static void walk_dir(int fd, char **path, size_t *cap, size_t plen, int recurse) {
  DIR *d = fdopendir(fd);
  if (d == NULL) die("fdopendir", plen ? *path : ".");
  struct dirent *de;
  size_t clen;
  while ((de = next_entry(d, path, cap, plen, &clen)) != NULL) {
    struct stat st;
    int found = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!found && !vanished()) die("lstat", *path);
    if (found && emit(dirfd(d), de->d_name, *path, clen, &st) && recurse && S_ISDIR(st.st_mode)) {
      int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      // Removed, or replaced by a non-directory, since the lstat: nothing under it to list.
      if (child < 0 && !(vanished() || errno == ENOTDIR || errno == ELOOP)) die("open", *path);
      if (child >= 0) walk_dir(child, path, cap, clen, 1);
    }
    (*path)[plen] = '\0';
  }
  closedir(d);
}

static void init_buffers(void) {
  list_cap = value_cap = 4096;
  list_buf = xrealloc(NULL, list_cap);
  value_buf = xrealloc(NULL, value_cap);
}

// One entry's record (as walk prints it) into `out`, for the changes command (changes.c); 0 when
// it vanished while being read.
int walk_record(FILE *out, int dirfd, const char *leaf, const char *path, size_t plen, const struct stat *st) {
  if (list_buf == NULL) init_buffers();
  wout = out;
  return emit(dirfd, leaf, path, plen, st);
}

void walk_to(FILE *out, const char *root) {
  wout = out;
  init_buffers();
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open", root);
  struct stat st;
  if (fstat(fd, &st) != 0) die("lstat", root);
  if (!emit(fd, ".", ".", 1, &st)) die("read", root);
  size_t cap = 4096;
  char *path = xrealloc(NULL, cap);
  path[0] = '\0';
  walk_dir(fd, &path, &cap, 0, 1);
  free(path);
}

int cmd_walk(const char *root) {
  walk_to(stdout, root);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}

// Like walk, for just the paths read from stdin (NUL-terminated, relative to DIR); a path that does
// not exist there, or whose parent is missing, not a directory or a symlink, prints "path \0 - \0".
int cmd_stat(const char *root) {
  wout = stdout;
  root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", root);
  init_buffers();
  size_t len;
  char *buf = read_all_stdin(&len);
  for (size_t pos = 0; pos < len; pos += strlen(buf + pos) + 1) {
    const char *path = buf + pos, *leaf;
    size_t plen = strlen(path);
    struct stat st;
    int pfd = try_open_parent(path, &leaf);
    if (pfd >= 0 && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (emit(pfd, leaf, path, plen, &st)) continue;
      errno = ENOENT;
    }
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
      put_field(path, plen);
      put_field("-", 1);
    } else {
      die("lstat", path);
    }
  }
  free(buf);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}

// The walk records of the entries directly in each directory named on stdin (NUL-terminated,
// relative to DIR, "." for DIR itself), resolved like stat's; a path that is not a directory there
// (missing, another kind of file, or reached through a symlink) lists nothing.
int cmd_list(const char *root) {
  wout = stdout;
  root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", root);
  init_buffers();
  size_t len, cap = 4096;
  char *buf = read_all_stdin(&len);
  char *path = xrealloc(NULL, cap);
  for (size_t pos = 0; pos < len; pos += strlen(buf + pos) + 1) {
    const char *dir = buf + pos, *leaf;
    int pfd = try_open_parent(dir, &leaf);
    int fd = pfd < 0 ? -1 : openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (vanished() || errno == ENOTDIR || errno == ELOOP)) continue;
    if (fd < 0) die("open", dir);
    size_t dlen = strcmp(dir, ".") == 0 ? 0 : strlen(dir);
    if (dlen + 1 > cap) {
      cap = (dlen + 1) * 2;
      path = xrealloc(path, cap);
    }
    memcpy(path, dir, dlen);
    path[dlen] = '\0';
    walk_dir(fd, &path, &cap, dlen, 0);
  }
  free(path);
  free(buf);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}

// Writes the contents of regular files to stdout, back to back, for the records "path \0 size \0"
// read from stdin. Each file must still be a regular file of exactly that size (the caller walked
// the tree first; a layer being packed must not change), or the tool fails naming it.
int cmd_cat(const char *root) {
  root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", root);
  size_t len;
  char *in = read_all_stdin(&len);
  static char buf[1 << 17];
  size_t pos = 0;
  while (pos < len) {
    const char *path = in + pos;
    pos += strlen(path) + 1;
    if (pos >= len) {
      errno = EINVAL;
      die("truncated record", "stdin");
    }
    long long size = number(in + pos, path);
    pos += strlen(in + pos) + 1;
    // (A FIFO in the file's place, which would have hung strata-fs serve and every request behind
    // it, is refused as changed: open_regular.)
    int fd = open_regular(NULL, path, size);
    if (fd == OPEN_NO_PARENT) die("open parent of", path);
    if (fd == OPEN_FAILED) die("open", path);
    if (fd == OPEN_CHANGED) fail("changed while the layer was being read", path);
    while (size > 0) {
      ssize_t n = read(fd, buf, size < (long long)sizeof buf ? (size_t)size : sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("read", path);
      if (n == 0) fail("changed while the layer was being read", path);
      if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) die("write", "stdout");
      size -= n;
    }
    close(fd);
  }
  free(in);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}
