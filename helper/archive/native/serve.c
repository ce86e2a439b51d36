// strata-fs serve: walk, stat, list, cat (of small files), changes and syncfs on request, for a
// caller that asks often (the tree of a container asks on each of its writes). Starting a
// process from the helper costs 2-10 ms (Node forks its whole address space, then exec and the
// dynamic loader run); a fork of this small process costs a tenth of a millisecond. So one server
// stays up and forks a child per request: the child runs the command exactly as `strata-fs walk|
// stat|list|changes DIR` would (the same code, its input from a memfd, its output and errors into memfds), and a failure ends only that child.
//
// Request:  command \0 dir \0 payload-length \0 payload     (command: walk, stat, list, cat, syncfs
//                                                           or changes)
// Answer:   status \0 length \0 bytes                        (status 0: the command's output;
//                                                           1: its error message)
// The server exits when its stdin ends (the helper closed it or died).
#include "common.h"
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/wait.h>

static void write_all(int fd, const void *data, size_t n) {
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write", "answer");
    p += w;
    n -= (size_t)w;
  }
}

static int memfd(const char *name) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) die("memfd_create", name);
  return fd;
}

// Sends the memfd's bytes as an answer with `status`.
static void answer(int status, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat", "answer");
  char head[64];
  int n = snprintf(head, sizeof head, "%d%c%lld%c", status, 0, (long long)st.st_size, 0);
  write_all(1, head, (size_t)n);
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t s = sendfile(1, fd, &off, (size_t)(st.st_size - off));
    if (s < 0 && errno == EINTR) continue;
    if (s <= 0) die("sendfile", "answer");
  }
}

// A NUL-terminated field of the request; NULL at the end of the input.
static char *field(FILE *in, char **buf, size_t *cap) {
  ssize_t n = getdelim(buf, cap, '\0', in);
  if (n < 0) return NULL;
  if ((*buf)[n - 1] != '\0') fail("request cut short", "stdin");
  return *buf;
}

// syncfs(2) of the file system holding `dir`: what `sync -f DIR` does, without starting it (the
// store flushes a staged tree this way before a record claims it, store/atomic.ts syncTree).
static int cmd_syncfs(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("open", dir);
  if (syncfs(fd) != 0) die("syncfs", dir);
  close(fd);
  return 0;
}

static int run_command(const char *cmd, const char *dir) {
  static char out[1 << 20];
  setvbuf(stdout, out, _IOFBF, sizeof out);
  if (strcmp(cmd, "walk") == 0) return cmd_walk(dir);
  if (strcmp(cmd, "stat") == 0) return cmd_stat(dir);
  if (strcmp(cmd, "list") == 0) return cmd_list(dir);
  if (strcmp(cmd, "cat") == 0) return cmd_cat(dir);
  if (strcmp(cmd, "syncfs") == 0) return cmd_syncfs(dir);
  if (strcmp(cmd, "changes") == 0) return cmd_changes(dir);
  fprintf(stderr, "strata-fs serve: unknown command %s\n", cmd);
  return 2;
}

int cmd_serve(void) {
  FILE *in = fdopen(0, "r");
  if (in == NULL) die("fdopen", "stdin");
  char *cmd = NULL, *dir = NULL, *len = NULL;
  size_t cmd_cap = 0, dir_cap = 0, len_cap = 0;
  char *payload = NULL;
  size_t payload_cap = 0;
  for (;;) {
    if (field(in, &cmd, &cmd_cap) == NULL) return 0;
    if (field(in, &dir, &dir_cap) == NULL || field(in, &len, &len_cap) == NULL) fail("request cut short", "stdin");
    long long n = number(len, "payload length");
    if (n < 0) fail("negative payload length", "stdin");
    if ((size_t)n > payload_cap) payload = xrealloc(payload, payload_cap = (size_t)n);
    if (n > 0 && fread(payload, 1, (size_t)n, in) != (size_t)n) fail("request cut short", "stdin");
    int input = memfd("input"), output = memfd("output"), errors = memfd("errors");
    write_all(input, payload, (size_t)n);
    if (lseek(input, 0, SEEK_SET) != 0) die("lseek", "input");
    pid_t pid = fork();
    if (pid < 0) die("fork", cmd);
    if (pid == 0) {
      if (dup2(input, 0) < 0 || dup2(output, 1) < 0 || dup2(errors, 2) < 0) _exit(1);
      exit(run_command(cmd, dir));
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) die("waitpid", cmd);
    }
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && lseek(errors, 0, SEEK_END) == 0) dprintf(errors, "strata-fs %s: ended with status %d", cmd, status);
    answer(ok ? 0 : 1, ok ? output : errors);
    close(input);
    close(output);
    close(errors);
  }
}
