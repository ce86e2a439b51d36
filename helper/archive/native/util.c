// strata-fs: errors, memory, input, and the one path resolver every command uses.
#include "common.h"

void die(const char *what, const char *path) {
  fprintf(stderr, "strata-fs: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

void fail(const char *why, const char *path) {
  fprintf(stderr, "strata-fs: %s: %s\n", path, why);
  exit(1);
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (q == NULL) {
    fprintf(stderr, "strata-fs: out of memory\n");
    exit(1);
  }
  return q;
}

char *read_all_stdin(size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = xrealloc(NULL, cap + 1);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t r = read(0, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read", "stdin");
    if (r == 0) break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

long long number(const char *s, const char *path) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0') {
    errno = EINVAL;
    die("bad number for", path);
  }
  return v;
}

int root_fd = -1;
static struct tree dest_tree = {.root = &root_fd, .parent_fd = -1, .parent_path = NULL};

// Opens the parent of `path` beneath the tree's root (refusing symlinks and escapes in the kernel)
// and returns its fd, or -1 with errno set; *leaf gets the last component. The root itself is ".".
// The last parent opened stays open: operations come grouped by directory.
int tree_parent(struct tree *t, const char *path, const char **leaf) {
  if (path[0] == '\0' || path[0] == '/') {
    errno = EINVAL;
    return -1;
  }
  const char *slash = strrchr(path, '/');
  const char *parent = ".";
  size_t plen = 1;
  *leaf = path;
  if (slash != NULL) {
    parent = path;
    plen = (size_t)(slash - path);
    *leaf = slash + 1;
  }
  int is_root = strcmp(path, ".") == 0;
  if ((!is_root && (strcmp(*leaf, ".") == 0 || strcmp(*leaf, "..") == 0)) || (*leaf)[0] == '\0') {
    errno = EINVAL;
    return -1;
  }
  if (t->parent_fd >= 0 && t->parent_path != NULL && strlen(t->parent_path) == plen && memcmp(t->parent_path, parent, plen) == 0)
    return t->parent_fd;
  if (t->parent_fd >= 0) close(t->parent_fd);
  t->parent_path = xrealloc(t->parent_path, plen + 1);
  memcpy(t->parent_path, parent, plen);
  t->parent_path[plen] = '\0';
  struct open_how how = {
      .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  t->parent_fd = (int)syscall(SYS_openat2, *t->root, t->parent_path, &how, sizeof how);
  if (t->parent_fd < 0) t->parent_path[0] = '\0';
  return t->parent_fd;
}

// Drops the cached parent (after a removal, which may have taken it away).
static void tree_forget(struct tree *t) {
  if (t->parent_fd >= 0) close(t->parent_fd);
  t->parent_fd = -1;
  if (t->parent_path != NULL) t->parent_path[0] = '\0';
}

int try_open_parent(const char *path, const char **leaf) {
  return tree_parent(&dest_tree, path, leaf);
}

void forget_parent(void) {
  tree_forget(&dest_tree);
}

int open_regular(struct tree *t, const char *path, long long size) {
  const char *leaf;
  int pfd = t ? tree_parent(t, path, &leaf) : try_open_parent(path, &leaf);
  if (pfd < 0) return OPEN_NO_PARENT;
  int fd = openat(pfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return OPEN_FAILED;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return OPEN_FAILED;
  }
  if (!S_ISREG(st.st_mode) || st.st_size != size) {
    close(fd);
    return OPEN_CHANGED;
  }
  return fd;
}

int open_parent(const char *path, const char **leaf) {
  int fd = try_open_parent(path, leaf);
  if (fd < 0) die("open parent of", path);
  return fd;
}
