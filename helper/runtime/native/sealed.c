/* CVE-2019-5736: the shim must never run a container's process from the host's binary file.
 *
 * The child that becomes the container's init (run) or an exec'd process runs the shim's code
 * inside the container until its execve. A file in the image starting "#!/proc/self/exe" makes
 * that execve load the running binary again, now as a process of the container, which can open
 * its own /proc/self/exe, keep the descriptor, and write to the file once no shim runs from it
 * (ETXTBSY lasts only that long: after an upgrade, the new binary is busy only while an exec of
 * it runs). The next `run` would then execute the attacker's code as root on the host.
 *
 * So, as runc does (libcontainer/nsenter/cloned_binary.c), run and exec first copy the binary
 * into a memfd, seal it (F_SEAL_SEAL|SHRINK|GROW|WRITE: the kernel refuses every write to it with
 * EPERM, for ever) and execve that copy. The container can reach only the sealed copy, and the
 * host's file is never mapped in a process a container can see. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable memfd, explicitly (vm.memfd_noexec) */
#endif

#define SHIM_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* Set in the copy's environment only, to stop a loop should its seals not read back. The
 * container never gets the shim's environment (it gets exactly --env). */
#define SEALED_MARK "STRATA_SHIM_SEALED=1"

extern char **environ;

static int is_sealed(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & SHIM_SEALS) == SHIM_SEALS;
}

static int make_memfd(void) {
  int fd = memfd_create("strata-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("strata-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING); /* before 6.3 */
  return fd;
}

static int copy_file(int from, int to) {
  struct stat st;
  if (fstat(from, &st) < 0) return -1;
  off_t done = 0;
  while (done < st.st_size) {
    ssize_t n = sendfile(to, from, NULL, (size_t)(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO; /* the file shrank under us */
      return -1;
    }
    done += n;
  }
  return 0;
}

/* The running binary copied into a memfd and sealed: its fd, or -1 with *step naming what failed. */
static int sealed_copy(int self, const char **step) {
  *step = "memfd_create";
  int copy = make_memfd();
  if (copy < 0) return -1;
  *step = "copy";
  if (copy_file(self, copy) == 0) {
    *step = "seal";
    if (fcntl(copy, F_ADD_SEALS, SHIM_SEALS) == 0) return copy;
  }
  int saved = errno;
  close(copy);
  errno = saved;
  return -1;
}

/* The environment of the copy: ours plus the mark. */
static char **env_with_mark(void) {
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + 2, sizeof *env);
  if (!env) return NULL;
  memcpy(env, environ, n * sizeof *env);
  env[n] = SEALED_MARK;
  return env;
}

/* Returns 0 when this process already runs from a sealed copy; otherwise execs one (and returns
 * only on failure: -1, with the reason in err). Every fd without FD_CLOEXEC is kept: call it
 * before marking the control channel close-on-exec. */
int run_from_sealed_copy(char **argv, char *err, size_t len) {
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    snprintf(err, len, "open /proc/self/exe: %s", strerror(errno));
    return -1;
  }
  if (is_sealed(self)) {
    close(self);
    /* execve from a memfd names the process after the fd's number: keep ps showing the shim */
    prctl(PR_SET_NAME, "strata-shim", 0, 0, 0);
    return 0;
  }
  const char *step = "the copy's seals do not read back";
  errno = EPERM;
  if (!getenv("STRATA_SHIM_SEALED")) {
    int copy = sealed_copy(self, &step);
    if (copy >= 0) {
      char **env = env_with_mark();
      step = env ? "execve" : "environment";
      if (env) fexecve(copy, argv, env);
      int saved = errno;
      free(env);
      close(copy);
      errno = saved;
    }
  }
  snprintf(err, len, "run from a sealed copy of strata-shim (CVE-2019-5736): %s: %s", step, strerror(errno));
  close(self);
  return -1;
}
