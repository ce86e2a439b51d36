/* syscall-probe NR...: makes each syscall with all-zero arguments and prints NR=errno (0 when it
 * returned without error). Static, so that it runs in an image holding nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long nr = strtol(argv[i], NULL, 10);
    errno = 0;
    long r = syscall(nr, 0, 0, 0, 0, 0, 0);
    printf("%ld=%d\n", nr, r < 0 ? errno : 0);
  }
  return 0;
}
