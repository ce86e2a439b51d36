/* strata-shim exec: run one more process in a running container. The parent enters only the pid
 * namespace (setns on it changes where children go, not the caller) and stays in the host's mount
 * namespace; the child enters ipc, uts, net and mnt, so it sees the container's root, and then
 * takes the same tail as the container's init (user, pty, capabilities, no_new_privs, fds). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
  const char *name;
  int type;
} nstypes[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS}};
#define NNS (sizeof nstypes / sizeof nstypes[0])

static int fail(const char *fmt, const char *a, const char *b) {
  char text[1024];
  snprintf(text, sizeof text, fmt, a, b);
  ctl_report("error %s", text);
  ctl_report("exit %d", EXIT_SETUP);
  return EXIT_SETUP;
}

static int open_ns(pid_t pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
  return open(path, O_RDONLY | O_CLOEXEC);
}

static void exec_child(const struct opts *o, const int *nsfds, int sync) {
  child_init(sync);
  stdio_pipes_child();
  for (size_t i = 0; i < NNS; i++)
    if (setns(nsfds[i], nstypes[i].type) < 0) child_fail(EXIT_SETUP, "setns %s: %s", nstypes[i].name, strerror(errno));
  /* setns(mnt) put us at the root of the container's namespace, which pivot_root made its root */
  if (chdir("/") < 0) child_fail(EXIT_SETUP, "chdir /: %s", strerror(errno));
  finish_and_exec(o, 1);
}

int cmd_exec(struct opts *o) {
  parent_signals_init();
  int nsfds[NNS];
  char pidstr[32];
  snprintf(pidstr, sizeof pidstr, "%d", (int)o->target_pid);
  for (size_t i = 0; i < NNS; i++)
    if ((nsfds[i] = open_ns(o->target_pid, nstypes[i].name)) < 0)
      return fail("container process %s: %s", pidstr, strerror(errno));
  /* A pid sharing our mount namespace is not a container: refuse rather than "exec" on the host. */
  struct stat mine, theirs;
  if (stat("/proc/self/ns/mnt", &mine) < 0 || fstat(nsfds[NNS - 1], &theirs) < 0 || mine.st_ino == theirs.st_ino)
    return fail("process %s is not in a container%s", pidstr, "");
  int pidns = open_ns(o->target_pid, "pid");
  if (pidns < 0 || setns(pidns, CLONE_NEWPID) < 0) return fail("setns pid of %s: %s", pidstr, strerror(errno));
  close(pidns);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return fail("socketpair%s: %s", "", strerror(errno));
  if (!o->tty && stdio_pipes_make() < 0) return fail("pipe%s: %s", "", strerror(errno));
  int pidfd = -1;
  pid_t pid = spawn_child(0, &pidfd);
  if (pid < 0) return fail("clone3%s: %s", "", strerror(errno));
  if (pid == 0) {
    close(sv[0]);
    exec_child(o, nsfds, sv[1]);
    _exit(EXIT_SETUP);
  }
  close(sv[1]);
  stdio_pipes_parent();
  for (size_t i = 0; i < NNS; i++) close(nsfds[i]);
  return start_and_supervise(o, pid, pidfd, sv[0], 1);
}
