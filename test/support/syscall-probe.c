/* syscall-probe NR[:ARG0]...: makes each syscall with all-zero arguments (or ARG0, in hex, as its
 * first) and prints NR[:ARG0]=errno ret=VALUE (errno 0 when it returned without error). Static, so that it runs in
 * an image holding nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *rest = NULL;
    long nr = strtol(argv[i], &rest, 10);
    unsigned long arg0 = *rest == ':' ? strtoul(rest + 1, NULL, 16) : 0;
    errno = 0;
    long r = syscall(nr, arg0, 0, 0, 0, 0, 0);
    printf("%s=%d ret=%ld\n", argv[i], r < 0 ? errno : 0, r);
  }
  return 0;
}
