/* seccomp-dump PID: prints the seccomp filter PID runs under (the one installed last), one
 * classic BPF instruction a line as "code jt jf k" in decimal, read back from the kernel with
 * PTRACE_SECCOMP_GET_FILTER: what the kernel runs, not what the shim meant to install. Root only;
 * the process is stopped for the read and goes on afterwards. */
#include <errno.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static int fail(const char *what, pid_t pid) {
  fprintf(stderr, "seccomp-dump: %s %d: %s\n", what, (int)pid, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: seccomp-dump PID\n");
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) return fail("PTRACE_SEIZE", pid);
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) return fail("PTRACE_INTERRUPT", pid);
  int status;
  if (waitpid(pid, &status, __WALL) < 0) return fail("waitpid", pid);
  long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
  if (n < 0) return fail("PTRACE_SECCOMP_GET_FILTER", pid);
  struct sock_filter *f = calloc((size_t)n, sizeof *f);
  if (!f || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, f) != n) return fail("PTRACE_SECCOMP_GET_FILTER (read)", pid);
  for (long i = 0; i < n; i++) printf("%u %u %u %u\n", f[i].code, f[i].jt, f[i].jf, f[i].k);
  if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0) return fail("PTRACE_DETACH", pid);
  return 0;
}
