/* The parent's side of starting a child, shared by run and exec: clone3 with a pidfd, join the
 * container's cgroups (from outside, before the child runs any of its setup), release the child,
 * then learn whether it reached execve. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void parent_signals_init(void) {
  /* The shim shares the helper's process group and maybe its terminal: a Ctrl-C or hangup there
   * is not meant for it (the container's Ctrl-C travels as a byte through its pty). */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  /* SIGCHLD and SIGTERM are read from a signalfd in supervise(); blocked before clone3 so that
   * an early exit of the child stays pending instead of being lost. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

/* clone3 rather than fork: namespaces in the same call (the child is pid 1 of its new pid
 * namespace) and a pidfd, so a later signal can never hit a recycled pid. */
pid_t spawn_child(unsigned long flags, int *pidfd) {
  struct clone_args a;
  memset(&a, 0, sizeof a);
  a.flags = flags | CLONE_PIDFD;
  a.pidfd = (uint64_t)(uintptr_t)pidfd;
  a.exit_signal = SIGCHLD;
  return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

static int join_cgroups(const struct opts *o, pid_t pid, char *err, size_t len) {
  for (int i = 0; i < o->ncgroups; i++) {
    char path[4096], num[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]);
    int n = snprintf(num, sizeof num, "%d", (int)pid);
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || write_all(fd, num, (size_t)n) < 0) {
      snprintf(err, len, "join cgroup %s: %s", o->cgroups[i], strerror(errno));
      if (fd >= 0) close(fd);
      return -1;
    }
    close(fd);
  }
  return 0;
}

/* Returns 0 once the child's execve succeeded (EOF: the socket was close-on-exec), or the exit
 * code it reported with its error text. A pty master may arrive first. */
static int await_start(int sync, int *master, char *err, size_t len) {
  for (;;) {
    char buf[4096];
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(sync, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (buf[0] == 'T' && c && c->cmsg_type == SCM_RIGHTS) {
      memcpy(master, CMSG_DATA(c), sizeof(int));
    } else if (buf[0] == 'E' && n >= 2) {
      size_t tl = (size_t)n - 2 < len - 1 ? (size_t)n - 2 : len - 1;
      memcpy(err, buf + 2, tl);
      err[tl] = '\0';
      return (unsigned char)buf[1];
    }
  }
}

int start_and_supervise(const struct opts *o, pid_t pid, int pidfd, int sync, int exec_mode) {
  char err[2048] = "";
  int master = -1, status;
  if (join_cgroups(o, pid, err, sizeof err) < 0) {
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    waitpid(pid, &status, 0);
    ctl_report("error %s", err);
    ctl_report("exit %d", EXIT_SETUP);
    return EXIT_SETUP;
  }
  if (send(sync, "g", 1, MSG_NOSIGNAL) != 1) snprintf(err, sizeof err, "start: %s", strerror(errno));
  int code = await_start(sync, &master, err, sizeof err);
  close(sync);
  if (code != 0) {
    waitpid(pid, &status, 0);
    ctl_report("error %s", err);
    ctl_report("exit %d", code);
    return code;
  }
  if (o->tty && master < 0) {
    /* the child reached execve without sending a terminal: impossible unless it was killed */
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  }
  ctl_report("pid %d", (int)pid);
  return supervise(o, pid, pidfd, master, exec_mode);
}
