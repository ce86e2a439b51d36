// strata-fs walk, stat and cat: reading a tree (lstat, symlink targets, xattrs, file contents).
#include "common.h"

static char *list_buf, *value_buf;
static size_t list_cap, value_cap;
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

// Lists the xattr names of `proc` (a /proc/self/fd/N/leaf path) into list_buf; returns its length.
static ssize_t list_xattrs(const char *proc, const char *path) {
  for (;;) {
    ssize_t n = llistxattr(proc, list_buf, list_cap);
    if (n >= 0) return n;
    if (errno == ENOTSUP) return 0;
    if (errno != ERANGE) die("llistxattr", path);
    ssize_t need = llistxattr(proc, NULL, 0);
    if (need < 0) die("llistxattr", path);
    list_cap = (size_t)need + 256;
    list_buf = xrealloc(list_buf, list_cap);
  }
}

static ssize_t get_xattr(const char *proc, const char *name, const char *path) {
  for (;;) {
    ssize_t n = lgetxattr(proc, name, value_buf, value_cap);
    if (n >= 0) return n;
    if (errno != ERANGE) die("lgetxattr", path);
    ssize_t need = lgetxattr(proc, name, NULL, 0);
    if (need < 0) die("lgetxattr", path);
    value_cap = (size_t)need + 256;
    value_buf = xrealloc(value_buf, value_cap);
  }
}

static void emit(int dirfd, const char *leaf, const char *path, size_t plen, const struct stat *st) {
  char proc[64 + NAME_MAX];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, leaf);
  ssize_t listed = list_xattrs(proc, path);
  int count = 0;
  for (ssize_t i = 0; i < listed; i += (ssize_t)strlen(list_buf + i) + 1) count++;
  put_field(path, plen);
  fprintf(wout, "%u %u %u %lld %lld %ld %lu %lu %u %u %d", (unsigned)st->st_mode, (unsigned)st->st_uid,
         (unsigned)st->st_gid, (long long)st->st_size, (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
         (unsigned long)st->st_nlink, (unsigned long)st->st_ino, major(st->st_rdev), minor(st->st_rdev), count);
  putc('\0', wout);
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, leaf, target, sizeof target);
    if (n < 0) die("readlink", path);
    put_field(target, (size_t)n);
  }
  // The names are copied out first: get_xattr may reallocate value_buf but not list_buf.
  char *names = NULL;
  if (listed > 0) {
    names = xrealloc(NULL, (size_t)listed);
    memcpy(names, list_buf, (size_t)listed);
  }
  for (ssize_t i = 0; i < listed; i += (ssize_t)strlen(names + i) + 1) {
    ssize_t n = get_xattr(proc, names + i, path);
    put_field(names + i, strlen(names + i));
    put_hex((const unsigned char *)value_buf, (size_t)n);
  }
  free(names);
}

// Walks the directory open as `fd` (consumed). `path` holds its relative path ("" for the root).
static void walk_dir(int fd, char **path, size_t *cap, size_t plen) {
  DIR *d = fdopendir(fd);
  if (d == NULL) die("fdopendir", plen ? *path : ".");
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (de == NULL) {
      if (errno) die("readdir", plen ? *path : ".");
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    size_t nlen = strlen(de->d_name);
    size_t clen = plen ? plen + 1 + nlen : nlen;
    if (clen + 1 > *cap) {
      *cap = (clen + 1) * 2;
      *path = xrealloc(*path, *cap);
    }
    if (plen) (*path)[plen] = '/';
    memcpy(*path + (plen ? plen + 1 : 0), de->d_name, nlen + 1);
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) die("lstat", *path);
    emit(dirfd(d), de->d_name, *path, clen, &st);
    if (S_ISDIR(st.st_mode)) {
      int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) die("open", *path);
      walk_dir(child, path, cap, clen);
    }
    (*path)[plen] = '\0';
  }
  closedir(d);
}

void walk_to(FILE *out, const char *root) {
  wout = out;
  list_cap = value_cap = 4096;
  list_buf = xrealloc(NULL, list_cap);
  value_buf = xrealloc(NULL, value_cap);
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open", root);
  struct stat st;
  if (fstat(fd, &st) != 0) die("lstat", root);
  emit(fd, ".", ".", 1, &st);
  size_t cap = 4096;
  char *path = xrealloc(NULL, cap);
  path[0] = '\0';
  walk_dir(fd, &path, &cap, 0);
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
  list_cap = value_cap = 4096;
  list_buf = xrealloc(NULL, list_cap);
  value_buf = xrealloc(NULL, value_cap);
  size_t len;
  char *buf = read_all_stdin(&len);
  for (size_t pos = 0; pos < len; pos += strlen(buf + pos) + 1) {
    const char *path = buf + pos, *leaf;
    size_t plen = strlen(path);
    struct stat st;
    int pfd = try_open_parent(path, &leaf);
    if (pfd >= 0 && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      emit(pfd, leaf, path, plen, &st);
    } else if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
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
    const char *leaf;
    int pfd = open_parent(path, &leaf);
    int fd = openat(pfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die("open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) die("stat", path);
    if (!S_ISREG(st.st_mode) || st.st_size != size) fail("changed while the layer was being read", path);
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
