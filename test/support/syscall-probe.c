/* syscall-probe NR[:ARG0[:ARG1[:ARG2]]]...: makes each syscall with the arguments given (in hex;
 * the rest zero) and prints NR[:ARG0...]=errno ret=VALUE (errno 0 when it returned without error).
 * Static, so that it runs in an image holding nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *rest = NULL;
    long nr = strtol(argv[i], &rest, 10);
    unsigned long a[6] = {0};
    for (int j = 0; j < 3 && *rest == ':'; j++) a[j] = strtoul(rest + 1, &rest, 16);
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    printf("%s=%d ret=%ld\n", argv[i], r < 0 ? errno : 0, r);
  }
  return 0;
}
