// strata-xattr apply: xattrs, whiteouts, fifos, device nodes and times, each beneath the root (see
// main.c). The operations themselves (op_*) are shared with unpack (unpack.c).
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

void op_setxattr(int pfd, const char *leaf, const char *path, const char *name, const void *value, size_t n) {
  char proc[64 + NAME_MAX];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", pfd, leaf);
  if (lsetxattr(proc, name, value, n, 0) != 0) die(name, path);
}

// Always 0:0, mode 0 (as the canonical tar writes it), even in a setgid directory.
void op_whiteout(int pfd, const char *leaf, const char *path) {
  if (mknodat(pfd, leaf, S_IFCHR | 0, makedev(0, 0)) != 0) die("mknod", path);
  if (fchownat(pfd, leaf, 0, 0, AT_SYMLINK_NOFOLLOW) != 0) die("chown", path);
}

void op_fifo(int pfd, const char *leaf, const char *path, long long mode, long long uid, long long gid) {
  if (mknodat(pfd, leaf, S_IFIFO | 0600, 0) != 0) die("mkfifo", path);
  if (fchownat(pfd, leaf, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) die("chown", path);
  if (fchmodat(pfd, leaf, (mode_t)mode & 07777, 0) != 0) die("chmod", path);
}

// A character ('c') or block ('b') device node, kept inert (the policy is in extract.ts). A 0/0
// character device is an overlayfs whiteout and only op_whiteout makes one: a device op asking for
// it is refused here too, whatever the caller checked.
void op_device(int pfd, const char *leaf, const char *path, const char *type, long long maj, long long min, long long mode,
               long long uid, long long gid) {
  if ((strcmp(type, "c") != 0 && strcmp(type, "b") != 0) || maj < 0 || min < 0 || maj > 0xfff || min > 0xfffff) {
    errno = EINVAL;
    die("bad device for", path);
  }
  if (type[0] == 'c' && maj == 0 && min == 0) fail("a 0/0 character device is a whiteout, not a device node", path);
  mode_t kind = type[0] == 'c' ? S_IFCHR : S_IFBLK;
  // Made 0600 and root-owned, then given its owner and mode: never briefly wider than asked.
  if (mknodat(pfd, leaf, kind | 0600, makedev((unsigned)maj, (unsigned)min)) != 0) die("mknod", path);
  if (fchownat(pfd, leaf, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) die("chown", path);
  if (fchmodat(pfd, leaf, (mode_t)mode & 07777, 0) != 0) die("chmod", path);
}

void op_times(int pfd, const char *leaf, const char *path, long long sec, long long nsec) {
  if (nsec < 0 || nsec > 999999999) {
    errno = EINVAL;
    die("bad time for", path);
  }
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
  ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
  if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) != 0) die("utimes", path);
}

int cmd_apply(const char *root) {
  root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", root);
  size_t len;
  char *buf = read_all_stdin(&len);
  size_t pos = 0;
  const char *field[8];
  while (pos < len) {
    char op = buf[pos];
    int want = op == 'x' ? 4 : op == 'r' ? 3 : op == 'w' ? 2 : op == 'f' ? 5 : op == 'd' ? 8 : op == 't' ? 4 : 0;
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
    if (op == 'x') {
      size_t hlen = strlen(field[3]);
      unsigned char *value = xrealloc(NULL, hlen / 2 + 1);
      size_t n = unhex(field[3], value, path);
      op_setxattr(pfd, leaf, path, field[2], value, n);
      free(value);
    } else if (op == 'r') {
      char proc[64 + NAME_MAX];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", pfd, leaf);
      if (lremovexattr(proc, field[2]) != 0 && errno != ENODATA) die(field[2], path);
    } else if (op == 'w') {
      op_whiteout(pfd, leaf, path);
    } else if (op == 'f') {
      op_fifo(pfd, leaf, path, number(field[2], path), number(field[3], path), number(field[4], path));
    } else if (op == 'd') {
      op_device(pfd, leaf, path, field[2], number(field[3], path), number(field[4], path), number(field[5], path),
                number(field[6], path), number(field[7], path));
    } else {
      op_times(pfd, leaf, path, number(field[2], path), number(field[3], path));
    }
  }
  free(buf);
  return 0;
}
