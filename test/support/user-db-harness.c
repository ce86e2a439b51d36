/* user-db-harness SPEC: the shim's user.c (resolve_user) on this machine's /etc/passwd and
 * /etc/group, linked with -Wl,--wrap=read so that every read() user.c makes fails with EIO, as on
 * a failing disk. Prints "user <uid> <gid> <home>" if it resolved, or "fail <code> <text>" where
 * the shim would have refused to start the container. */
#include "../../helper/runtime/native/shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

ssize_t __wrap_read(int fd, void *buf, size_t len) {
  (void)fd, (void)buf, (void)len;
  errno = EIO;
  return -1;
}

void child_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("fail %d ", code);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  exit(0);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  struct user u;
  resolve_user(argv[1], &u);
  printf("user %u %u %s\n", (unsigned)u.uid, (unsigned)u.gid, u.home);
  return 0;
}
