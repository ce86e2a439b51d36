// strata-fs changes UPPER < lowers: what the changes of a layer or a container need read, in one
// pass (helper/archive/changes.ts does the comparing). It used to be a walk of UPPER, then a stat
// of every one of its paths in each lower, two requests and two passes, with an lstat and an
// llistxattr per path each time. Walking the lowers beside the upper dir, one directory at a time,
// a lower whose directory is missing (or not a directory, or a symlink) is not asked about what it
// would hold; and an upper entry that no lower has at its path, and that is not a directory or a
// character device (a whiteout), changes as A whatever its metadata: its kind (from readdir's
// d_type) is all that is read of it. A container that wrote 1000 files in a new folder costs a
// readdir, not 2000 lstats and 2000 llistxattrs.
//
// Stdin: the lower dirs, NUL-terminated, top-most first. Output: a head "count \0 length \0 ..."
// (count = 1 + lowers), then the blocks back to back: UPPER's walk (walk's records, in walk order,
// "." first), except "path \0 +mode \0" for an entry known only by its kind (mode: its S_IFMT
// bits); then for each lower the walk records of the paths of UPPER it has (resolved as stat
// resolves them: beneath the lower, never through a symlink), "." first, the missing ones left out.
// Entries that vanish while being read are left out, as walk leaves them out.
#include "common.h"
#include <sys/resource.h>

static int nlowers;
static FILE **lower_out;
static char **lower_buf;
static size_t *lower_len;

// `name` in the lower directory `dirfd` as a directory to look beneath; -1 when it is not one.
static int open_lower_dir(int dirfd, const char *name, const char *path) {
  struct open_how how = {
      .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
  if (fd < 0 && !(vanished() || errno == ENOTDIR || errno == ELOOP)) die("open", path);
  return fd;
}

static mode_t mode_of_type(unsigned char type) {
  switch (type) {
    case DT_REG: return S_IFREG;
    case DT_LNK: return S_IFLNK;
    case DT_FIFO: return S_IFIFO;
    case DT_SOCK: return S_IFSOCK;
    case DT_BLK: return S_IFBLK;
    default: return 0; // a directory, a character device (maybe a whiteout), or unknown: read it
  }
}

// Walks the upper directory open as `fd` (consumed); `lowers[i]` is the same directory in lower i
// (-1 where that lower has no directory there). `path` holds its relative path ("" for the root).
static void walk_changes(FILE *out, int fd, const int *lowers, char **path, size_t *cap, size_t plen) {
  DIR *d = fdopendir(fd);
  if (d == NULL) die("fdopendir", plen ? *path : ".");
  int *below = xrealloc(NULL, sizeof(int) * (size_t)(nlowers ? nlowers : 1));
  struct dirent *de;
  size_t clen;
  while ((de = next_entry(d, path, cap, plen, &clen)) != NULL) {
    // The lowers first: whether any has this path decides how much of the upper entry is read.
    int in_lower = 0;
    for (int i = 0; i < nlowers; i++) {
      below[i] = -1;
      if (lowers[i] < 0) continue;
      struct stat lst;
      if (fstatat(lowers[i], de->d_name, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
        if (!(vanished() || errno == ENOTDIR)) die("lstat", *path);
        continue;
      }
      if (!walk_record(lower_out[i], lowers[i], de->d_name, *path, clen, &lst)) continue;
      in_lower = 1;
      below[i] = S_ISDIR(lst.st_mode) ? -2 : -1; // opened below if the upper entry is a directory too
    }
    mode_t known = in_lower ? 0 : mode_of_type(de->d_type);
    if (known) {
      char kind[16];
      int n = snprintf(kind, sizeof kind, "+%u", (unsigned)known);
      fwrite(*path, 1, clen + 1, out);
      fwrite(kind, 1, (size_t)n + 1, out);
    } else {
      struct stat st;
      int found = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (!found && !vanished()) die("lstat", *path);
      if (found && walk_record(out, dirfd(d), de->d_name, *path, clen, &st) && S_ISDIR(st.st_mode)) {
        for (int i = 0; i < nlowers; i++)
          if (below[i] == -2) below[i] = open_lower_dir(lowers[i], de->d_name, *path);
        int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0 && !(vanished() || errno == ENOTDIR || errno == ELOOP)) die("open", *path);
        if (child >= 0) walk_changes(out, child, below, path, cap, clen);
      }
    }
    for (int i = 0; i < nlowers; i++)
      if (below[i] >= 0) close(below[i]);
    (*path)[plen] = '\0';
  }
  free(below);
  closedir(d);
}

int cmd_changes(const char *upper) {
  // Each level of the walk holds a directory fd per lower: a deep tree over many layers needs more
  // than the default 1024.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  size_t len;
  char *names = read_all_stdin(&len);
  for (size_t pos = 0; pos < len; pos += strlen(names + pos) + 1) nlowers++;
  int *roots = xrealloc(NULL, sizeof(int) * (size_t)(nlowers + 1));
  lower_out = xrealloc(NULL, sizeof(FILE *) * (size_t)(nlowers + 1));
  lower_buf = xrealloc(NULL, sizeof(char *) * (size_t)(nlowers + 1));
  lower_len = xrealloc(NULL, sizeof(size_t) * (size_t)(nlowers + 1));
  char *upper_buf;
  size_t upper_len;
  FILE *out = open_memstream(&upper_buf, &upper_len);
  if (out == NULL) die("open_memstream", upper);
  int fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open", upper);
  struct stat st;
  if (fstat(fd, &st) != 0) die("lstat", upper);
  if (!walk_record(out, fd, ".", ".", 1, &st)) die("read", upper);
  size_t pos = 0;
  for (int i = 0; i < nlowers; i++, pos += strlen(names + pos) + 1) {
    const char *lower = names + pos;
    roots[i] = open(lower, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (roots[i] < 0) die("open", lower);
    lower_out[i] = open_memstream(&lower_buf[i], &lower_len[i]);
    if (lower_out[i] == NULL) die("open_memstream", lower);
    struct stat lst;
    if (fstat(roots[i], &lst) != 0) die("lstat", lower);
    if (!walk_record(lower_out[i], roots[i], ".", ".", 1, &lst)) die("read", lower);
  }
  size_t cap = 4096;
  char *path = xrealloc(NULL, cap);
  path[0] = '\0';
  walk_changes(out, fd, roots, &path, &cap, 0);
  if (fclose(out) != 0) die("write", "changes");
  for (int i = 0; i < nlowers; i++)
    if (fclose(lower_out[i]) != 0) die("write", "changes");
  printf("%d%c%zu%c", nlowers + 1, 0, upper_len, 0);
  for (int i = 0; i < nlowers; i++) printf("%zu%c", lower_len[i], 0);
  fwrite(upper_buf, 1, upper_len, stdout);
  for (int i = 0; i < nlowers; i++) fwrite(lower_buf[i], 1, lower_len[i], stdout);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}
