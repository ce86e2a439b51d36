// strata-fs: the metadata operations of unpack and copy (unpack.c): xattrs, whiteouts, fifos,
// device nodes and times, each on a leaf whose parent was opened beneath the root (see main.c).
#include "common.h"

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
