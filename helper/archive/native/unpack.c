// strata-fs unpack: writes a whole layer in one process, from a stream of operations that
// extract.ts has already validated (see main.c for the format). The checks that decide what a layer
// may contain live in TypeScript; this side only performs the operations, one after another, and
// refuses on its own anything that would leave the root or pass through a symlink (every parent is
// opened with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS by open_parent), or land on an existing
// entry (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, linkat and mknodat all fail with EEXIST).
//
// Why a process of its own: Node performs each file-system call as a round trip through libuv's
// thread pool (open, write, fchown, fchmod, futimes, close: six per file), and an import of a root
// file system is mostly waiting for them. Here they are plain syscalls, as in GNU tar, while the
// helper parses and hashes the next entries on the other side of the pipe.
#include "common.h"
#include <sys/prctl.h>

#define IN_CAP (1 << 20)
#define FIELD_MAX 65536
#define MAX_FIELDS 8

static unsigned char in_buf[IN_CAP];
static size_t in_pos, in_len;
// Where the operations come from: stdin, or fd 3 for import (whose stdin is the tar).
static int ops_fd = 0;
static char *field[MAX_FIELDS];
static size_t field_cap[MAX_FIELDS];
// The path of the operation being read, for an error about its input.
static const char *current = "stdin";

// Refills the input buffer when it is empty; 0 at the end of the input.
static int in_more(void) {
  if (in_pos < in_len) return 1;
  for (;;) {
    ssize_t r = read(ops_fd, in_buf, sizeof in_buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read", "the operations");
    in_pos = 0;
    in_len = (size_t)r;
    return r > 0;
  }
}

static void truncated(void) {
  fail("the operation stream ends in the middle of an operation", current);
}

// Reads the next NUL-terminated field into field[i].
static const char *in_field(int i) {
  size_t n = 0;
  for (;;) {
    if (!in_more()) truncated();
    unsigned char *start = in_buf + in_pos;
    size_t avail = in_len - in_pos;
    unsigned char *nul = memchr(start, 0, avail);
    size_t take = nul ? (size_t)(nul - start) : avail;
    if (n + take + 1 > FIELD_MAX) fail("a field of the operation stream is too long", current);
    if (n + take + 1 > field_cap[i]) {
      field_cap[i] = n + take + 1 > 256 ? (n + take + 1) * 2 : 256;
      field[i] = xrealloc(field[i], field_cap[i]);
    }
    memcpy(field[i] + n, start, take);
    n += take;
    in_pos += take;
    if (nul) {
      in_pos++;
      field[i][n] = '\0';
      return field[i];
    }
  }
}

void write_out(int fd, const unsigned char *p, size_t n, const char *path) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) die("write", path);
    p += w;
    n -= (size_t)w;
  }
}

// Copies the next `size` bytes of input to fd (or drops them when fd < 0).
static void in_copy(int fd, long long size, const char *path) {
  while (size > 0) {
    if (!in_more()) truncated();
    size_t n = in_len - in_pos;
    if ((long long)n > size) n = (size_t)size;
    if (fd >= 0) write_out(fd, in_buf + in_pos, n, path);
    in_pos += n;
    size -= (long long)n;
  }
}

static long long in_number(int i, const char *path) {
  return number(in_field(i), path);
}

static long long in_size(int i, const char *path) {
  long long n = in_number(i, path);
  if (n < 0) {
    errno = EINVAL;
    die("bad size for", path);
  }
  return n;
}

// Owner, then mode (chown clears the setuid and setgid bits), on an open fd. -1 keeps an id as made.
static void owner_and_mode(int fd, long long mode, long long uid, long long gid, const char *path) {
  if ((uid != -1 || gid != -1) && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) die("chown", path);
  if (fchmod(fd, (mode_t)mode & 07777) != 0) die("chmod", path);
}

// D path mode uid gid: a new directory, made 0700, then given its owner and mode.
static void op_mkdir(const char *path) {
  long long mode = in_number(2, path), uid = in_number(3, path), gid = in_number(4, path);
  const char *leaf;
  int pfd = open_parent(path, &leaf);
  if (mkdirat(pfd, leaf, 0700) != 0) die("mkdir", path);
  int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open", path);
  owner_and_mode(fd, mode, uid, gid, path);
  close(fd);
}

// M path mode uid gid: owner and mode of an existing directory ("." is the root itself).
static void op_dirmeta(const char *path) {
  long long mode = in_number(2, path), uid = in_number(3, path), gid = in_number(4, path);
  const char *leaf;
  int pfd = open_parent(path, &leaf);
  int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open directory", path);
  owner_and_mode(fd, mode, uid, gid, path);
  close(fd);
}

// F path mode uid gid sec nsec size <size bytes>: a new regular file with its data and metadata.
// Files this big or bigger are sent to the disk as soon as they are written (see op_file).
#define WRITEBACK_EARLY_BYTES (64 * 1024)

// The fields F and C share (mode uid gid sec nsec size, from field 2), checked.
struct file_meta {
  long long mode, uid, gid, sec, nsec, size;
};

static struct file_meta file_meta(const char *path) {
  struct file_meta m = {in_number(2, path), in_number(3, path), in_number(4, path), in_number(5, path), in_number(6, path), in_size(7, path)};
  if (m.nsec < 0 || m.nsec > 999999999) {
    errno = EINVAL;
    die("bad time for", path);
  }
  return m;
}

// A new regular file at path (never over an existing entry, never through a symlink), open for writing.
static int create_file(const char *path) {
  const char *leaf;
  int pfd = open_parent(path, &leaf);
  int fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) die("create", path);
  return fd;
}

// Owner, mode and times of a file just written, then closed.
static void finish_file(int fd, const struct file_meta *m, const char *path) {
  owner_and_mode(fd, m->mode, m->uid, m->gid, path);
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = (time_t)m->sec;
  ts[0].tv_nsec = ts[1].tv_nsec = (long)m->nsec;
  if (futimens(fd, ts) != 0) die("utimes", path);
  if (close(fd) != 0) die("close", path);
}

// F, or H (import only): the data follows the operation, or is the next the reader held back.
static void op_file(const char *path, int held) {
  struct file_meta m = file_meta(path);
  int fd = create_file(path);
  if (held) held_take(fd, m.size, path);
  else in_copy(fd, m.size, path);
  // Start this file's writeback now (asynchronously): the layer is flushed (syncfs) before it
  // joins the graph, and data already on its way by then makes that wait short.
  if (m.size >= WRITEBACK_EARLY_BYTES) sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  finish_file(fd, &m, path);
}

// S path target uid gid sec nsec: a symlink. The target is stored, never resolved.
static void op_symlink(const char *path) {
  const char *target = in_field(2);
  long long uid = in_number(3, path), gid = in_number(4, path), sec = in_number(5, path), nsec = in_number(6, path);
  if (target[0] == '\0') fail("a symlink needs a target", path);
  const char *leaf;
  int pfd = open_parent(path, &leaf);
  if (symlinkat(target, pfd, leaf) != 0) die("symlink", path);
  if (fchownat(pfd, leaf, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) die("chown", path);
  op_times(pfd, leaf, path, sec, nsec);
}

// L path target: a hard link to target, which must be a regular file (never a symlink, a directory
// or a device). The target is opened (beneath the root, O_PATH|O_NOFOLLOW) and checked, and that
// very inode is linked (through its /proc/self/fd link, which needs no CAP_DAC_READ_SEARCH as
// AT_EMPTY_PATH would), so nothing can swap it in between.
static void op_link(const char *path) {
  const char *target = in_field(2);
  const char *tleaf;
  int tpfd = open_parent(target, &tleaf);
  int tfd = openat(tpfd, tleaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (tfd < 0) die("open link target", target);
  struct stat st;
  if (fstat(tfd, &st) != 0) die("stat link target", target);
  if (!S_ISREG(st.st_mode)) fail("the target of a hard link must be a regular file", path);
  const char *leaf;
  int pfd = open_parent(path, &leaf);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", tfd);
  if (linkat(AT_FDCWD, proc, pfd, leaf, AT_SYMLINK_FOLLOW) != 0) die("link", path);
  close(tfd);
}

// Removes everything inside the directory open as fd (consumed).
static void remove_inside(int fd, const char *path, int depth) {
  if (depth > 4096) fail("directory tree too deep to remove", path);
  DIR *d = fdopendir(fd);
  if (d == NULL) die("fdopendir", path);
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (de == NULL) {
      if (errno) die("readdir", path);
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (unlinkat(dirfd(d), de->d_name, 0) == 0) continue;
    if (errno != EISDIR) die("remove inside", path);
    int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) die("open inside", path);
    remove_inside(child, path, depth + 1);
    if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0) die("remove inside", path);
  }
  closedir(d);
}

// U path: removes what an earlier operation made at path (a directory with everything in it), so
// that a later entry of the same name replaces it. Symlinks are removed, never followed.
static void op_remove(const char *path) {
  const char *leaf;
  if (strcmp(path, ".") == 0) fail("refusing to remove the root", path);
  int pfd = open_parent(path, &leaf);
  if (unlinkat(pfd, leaf, 0) != 0) {
    if (errno != EISDIR) die("remove", path);
    int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die("open", path);
    remove_inside(fd, path, 0);
    if (unlinkat(pfd, leaf, AT_REMOVEDIR) != 0) die("remove", path);
  }
  // A directory that held the cached parent may have gone.
  forget_parent();
}

// copy only: the source tree (its paths resolved beneath it like the destination's).
static int src_fd = -1;
static struct tree src_tree = {.root = &src_fd, .parent_fd = -1, .parent_path = NULL};

// The regular file at path under SRC, opened: it must still be a regular file of `size` bytes.
static int open_source(const char *path, long long size) {
  int sfd = open_regular(&src_tree, path, size);
  if (sfd == OPEN_NO_PARENT) die("open parent of (source)", path);
  if (sfd == OPEN_FAILED) die("open (source)", path);
  if (sfd == OPEN_CHANGED) fail("changed while the layer was being read", path);
  return sfd;
}

// Its `size` bytes to stdout (the caller hashes the layer's tar from them) and, when fd >= 0,
// into fd; then closes it.
static void echo_source(int sfd, long long size, int fd, const char *path) {
  static unsigned char buf[1 << 17];
  while (size > 0) {
    ssize_t n = read(sfd, buf, size < (long long)sizeof buf ? (size_t)size : sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read (source)", path);
    if (n == 0) fail("changed while the layer was being read", path);
    if (fd >= 0) write_out(fd, buf, (size_t)n, path);
    if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) die("write", "stdout");
    size -= n;
  }
  close(sfd);
}

// C path mode uid gid sec nsec size (copy only): the regular file at path under SRC becomes a new
// file at path under DEST with that metadata; its bytes are also written to stdout, for the
// caller to hash the layer's tar in the same pass. The source is checked before anything is made.
static void op_copy(const char *path) {
  struct file_meta m = file_meta(path);
  int sfd = open_source(path, m.size);
  int fd = create_file(path);
  echo_source(sfd, m.size, fd, path);
  finish_file(fd, &m, path);
}

// R path size (copy and read): the regular file at path under SRC, written to stdout only: what
// commit by move hashes, the upper dir staying put.
static void op_read(const char *path) {
  long long size = in_size(2, path);
  echo_source(open_source(path, size), size, -1, path);
}

enum ops_mode { OPS_UNPACK, OPS_IMPORT, OPS_COPY, OPS_READ };

// Runs the operations on stdin until its end: C only when copying; when reading, R only (nothing
// is written anywhere but stdout).
static void run_ops(enum ops_mode mode) {
  int copying = mode == OPS_COPY;
  for (;;) {
    current = "stdin";
    if (!in_more()) break;
    const char *op = in_field(0);
    if (op[0] == '\0' || op[1] != '\0') {
      errno = EINVAL;
      die("bad operation in", "stdin");
    }
    const char *path = in_field(1), *leaf;
    current = path;
    int pfd;
    if (mode == OPS_READ && op[0] != 'R') {
      errno = EINVAL;
      die("bad operation (read only) in", "stdin");
    }
    switch (op[0]) {
      case 'R':
        if (mode == OPS_UNPACK || mode == OPS_IMPORT) {
          errno = EINVAL;
          die("bad operation in", "stdin");
        }
        op_read(path);
        break;
      case 'D':
        op_mkdir(path);
        break;
      case 'M':
        op_dirmeta(path);
        break;
      case 'F':
        op_file(path, 0);
        break;
      case 'H':
      case 'K':
        if (mode != OPS_IMPORT) {
          errno = EINVAL;
          die("bad operation in", "stdin");
        }
        if (op[0] == 'H') op_file(path, 1);
        else held_take(-1, in_size(2, path), path);
        break;
      case 'S':
        op_symlink(path);
        break;
      case 'L':
        op_link(path);
        break;
      case 'U':
        op_remove(path);
        break;
      case 'C':
        if (!copying) {
          errno = EINVAL;
          die("bad operation in", "stdin");
        }
        op_copy(path);
        break;
      case 'W':
        pfd = open_parent(path, &leaf);
        op_whiteout(pfd, leaf, path);
        break;
      case 'P': {
        long long mode = in_number(2, path), uid = in_number(3, path), gid = in_number(4, path);
        pfd = open_parent(path, &leaf);
        op_fifo(pfd, leaf, path, mode, uid, gid);
        break;
      }
      case 'N': {
        const char *type = in_field(2);
        long long maj = in_number(3, path), min = in_number(4, path), mode = in_number(5, path);
        long long uid = in_number(6, path), gid = in_number(7, path);
        pfd = open_parent(path, &leaf);
        op_device(pfd, leaf, path, type, maj, min, mode, uid, gid);
        break;
      }
      case 'X': {
        const char *name = in_field(2);
        long long size = in_size(3, path);
        if (size > 65536) fail("xattr value too large", path);
        static unsigned char value[65536];
        size_t got = 0;
        while ((long long)got < size) {
          if (!in_more()) truncated();
          size_t n = in_len - in_pos;
          if ((long long)n > size - (long long)got) n = (size_t)(size - (long long)got);
          memcpy(value + got, in_buf + in_pos, n);
          in_pos += n;
          got += n;
        }
        pfd = open_parent(path, &leaf);
        op_setxattr(pfd, leaf, path, name, value, got);
        break;
      }
      case 'T': {
        long long sec = in_number(2, path), nsec = in_number(3, path);
        pfd = open_parent(path, &leaf);
        op_times(pfd, leaf, path, sec, nsec);
        break;
      }
      default:
        errno = EINVAL;
        die("bad operation in", "stdin");
    }
  }
}

// Shared set-up: if the helper dies, so does this process (it must not write on into a staging dir
// that the next helper's start-up repair is removing; its stdin also ends then). Modes are exact.
static void start(const char *dest) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  umask(0);
  // A bigger pipe: fewer wake-ups for both sides (best effort; the default is 64 KiB).
  fcntl(0, F_SETPIPE_SZ, 1 << 20);
  root_fd = open(dest, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", dest);
}

int cmd_unpack(const char *root) {
  start(root);
  run_ops(OPS_UNPACK);
  return 0;
}

// import (import.c): unpack's operations from `fd`, beside the thread that reads the tar.
int unpack_from(const char *root, int fd) {
  ops_fd = fd;
  start(root);
  run_ops(OPS_IMPORT);
  return 0;
}

// strata-fs copy SRC DEST: first the walk records of SRC (as walk prints them), preceded by
// their length (15 decimal digits and a newline); then the operations read from stdin are
// performed in DEST, C among them, whose file data is echoed to stdout.
static int walk_then_ops(const char *src, enum ops_mode mode) {
  src_fd = open(src, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src_fd < 0) die("open", src);
  char *walked = NULL;
  size_t walked_len = 0;
  FILE *mem = open_memstream(&walked, &walked_len);
  if (mem == NULL) die("open_memstream", src);
  walk_to(mem, src);
  if (fclose(mem) != 0) die("walk", src);
  static char out[1 << 20];
  setvbuf(stdout, out, _IOFBF, sizeof out);
  printf("%015zu\n", walked_len);
  if (fwrite(walked, 1, walked_len, stdout) != walked_len || fflush(stdout) != 0) die("write", "stdout");
  free(walked);
  run_ops(mode);
  if (fflush(stdout) != 0) die("write", "stdout");
  return 0;
}

int cmd_copy(const char *src, const char *dest) {
  start(dest);
  return walk_then_ops(src, OPS_COPY);
}

// strata-fs read SRC: the walk records of SRC as copy prints them, then only R operations: the
// bytes a layer's canonical tar needs, read in place (commit by move hashes the upper dir so).
int cmd_read(const char *src) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  fcntl(0, F_SETPIPE_SZ, 1 << 20);
  return walk_then_ops(src, OPS_READ);
}
