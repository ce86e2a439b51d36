// strata-xattr apply: xattrs, whiteouts, fifos and times, each beneath the root (see main.c).
#include "common.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t unhex(const char *hex, unsigned char *out, const char *path) {
  size_t n = strlen(hex);
  if (n % 2) {
    errno = EINVAL;
    die("bad hex value for", path);
  }
  for (size_t i = 0; i < n; i += 2) {
    int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      errno = EINVAL;
      die("bad hex value for", path);
    }
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  return n / 2;
}

int cmd_apply(const char *root) {
  root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", root);
  size_t len;
  char *buf = read_all_stdin(&len);
  size_t pos = 0;
  const char *field[5];
  while (pos < len) {
    char op = buf[pos];
    int want = op == 'x' ? 4 : op == 'r' ? 3 : op == 'w' ? 2 : op == 'f' ? 5 : op == 't' ? 4 : 0;
    if (want == 0 || pos + 1 >= len || buf[pos + 1] != '\0') {
      errno = EINVAL;
      die("bad operation at byte", "stdin");
    }
    for (int i = 0; i < want; i++) {
      if (pos >= len) {
        errno = EINVAL;
        die("truncated operation", "stdin");
      }
      field[i] = buf + pos;
      pos += strlen(buf + pos) + 1;
    }
    const char *path = field[1], *leaf;
    int pfd = open_parent(path, &leaf);
    char proc[64 + NAME_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", pfd, leaf);
    if (op == 'x') {
      size_t hlen = strlen(field[3]);
      unsigned char *value = xrealloc(NULL, hlen / 2 + 1);
      size_t n = unhex(field[3], value, path);
      if (lsetxattr(proc, field[2], value, n, 0) != 0) die(field[2], path);
      free(value);
    } else if (op == 'r') {
      if (lremovexattr(proc, field[2]) != 0 && errno != ENODATA) die(field[2], path);
    } else if (op == 'w') {
      if (mknodat(pfd, leaf, S_IFCHR | 0, makedev(0, 0)) != 0) die("mknod", path);
    } else if (op == 'f') {
      if (mknodat(pfd, leaf, S_IFIFO | 0600, 0) != 0) die("mkfifo", path);
      if (fchownat(pfd, leaf, (uid_t)number(field[3], path), (gid_t)number(field[4], path), AT_SYMLINK_NOFOLLOW) != 0)
        die("chown", path);
      if (fchmodat(pfd, leaf, (mode_t)number(field[2], path) & 07777, 0) != 0) die("chmod", path);
    } else {
      struct timespec ts[2];
      ts[0].tv_sec = ts[1].tv_sec = (time_t)number(field[2], path);
      ts[0].tv_nsec = ts[1].tv_nsec = (long)number(field[3], path);
      if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) != 0) die("utimes", path);
    }
  }
  free(buf);
  return 0;
}
