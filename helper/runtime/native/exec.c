/* strata-shim exec: run one more process in a running container. The parent enters only the pid
 * namespace (setns on it changes where children go, not the caller) and stays in the host's mount
 * namespace; the child enters ipc, uts, net, cgroup and mnt, so it sees the container's root, and then
 * takes the same tail as the container's init (user, pty, capabilities, no_new_privs, fds).
 *
 * Which process's namespaces: the helper hands the container init's host pid (--pid), checked
 * against the container's cgroup just before, and the container's cgroup dirs (--cgroup). A pid is
 * only a number: should the init exit and its number be reused between that check and our setns,
 * /proc/<pid>/ns/ would be another process's namespaces, another container's or the host's. So
 * the shim takes a pidfd, which names one process for good, and checks through /proc that the
 * process with that number is the init of its pid namespace and a member of every one of the
 * container's cgroups; then that the pidfd's process is still alive: a number is reused only once
 * its process has been reaped, which leaves the pidfd dead, so a live pidfd means /proc described
 * its process. Every setns then goes through the pidfd (setns(pidfd), Linux 5.8): should the init
 * exit later, the join fails (ESRCH) instead of landing in whatever has that number by then. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define JOINED_NS (CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWCGROUP)

static int fail(const char *text) {
  ctl_report("error %s", text);
  ctl_report("exit %d", EXIT_SETUP);
  return EXIT_SETUP;
}

/* 1 when /proc/<pid>/status says the process is pid 1 of its own pid namespace (NSpid lists its
 * number in each namespace from the host's inwards: "NSpid: <host pid> ... 1"). */
static int is_namespace_init(pid_t pid) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int init = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "NSpid:", 6) != 0) continue;
    int count = 0, last = 0, used;
    for (const char *p = line + 6; sscanf(p, "%d%n", &last, &used) == 1; p += used) count++;
    init = count >= 2 && last == 1;
    break;
  }
  fclose(f);
  return init;
}

static int in_cgroup(const char *dir, pid_t pid) {
  char path[4096];
  snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int member = 0, p;
  while (!member && fscanf(f, "%d", &p) == 1) member = p == (int)pid;
  fclose(f);
  return member;
}

/* A pid sharing our mount namespace is not a container: refuse rather than "exec" on the host. */
static int shares_our_mount_ns(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  struct stat mine, theirs;
  if (stat("/proc/self/ns/mnt", &mine) < 0 || stat(path, &theirs) < 0) return 1;
  return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
}

/* The container's init as a pidfd, checked as the comment at the top says; -1 with err set. */
static int open_container_init(const struct opts *o, char *err, size_t len) {
  pid_t pid = o->target_pid;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    snprintf(err, len, "container process %d: %s", (int)pid, strerror(errno));
    return -1;
  }
  const char *why = NULL, *cgroup = "";
  if (!is_namespace_init(pid) || shares_our_mount_ns(pid)) why = "is not the init of this container";
  for (int i = 0; !why && i < o->ncgroups; i++)
    if (!in_cgroup(o->cgroups[i], pid)) {
      why = "is not the init of this container: not in its cgroup ";
      cgroup = o->cgroups[i];
    }
  if (!why && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) why = "has exited: the container is not running";
  if (!why) return pidfd;
  snprintf(err, len, "process %d %s%s", (int)pid, why, cgroup);
  close(pidfd);
  return -1;
}

static void exec_child(const struct opts *o, int pidfd, int sync) {
  child_init(sync);
  stdio_pipes_child();
  if (setns(pidfd, JOINED_NS) < 0) child_fail(EXIT_SETUP, "setns ipc, uts, net, cgroup, mnt of %d: %s", (int)o->target_pid, strerror(errno));
  close(pidfd);
  /* setns(mnt) put us at the root of the container's namespace, which pivot_root made its root */
  if (chdir("/") < 0) child_fail(EXIT_SETUP, "chdir /: %s", strerror(errno));
  finish_and_exec(o, 1);
}

/* Closes what the parent holds (-1: not open), then reports the failure. */
static int fail_closing(const char *text, int pidfd, const int *sv) {
  if (pidfd >= 0) close(pidfd);
  if (sv) {
    close(sv[0]);
    close(sv[1]);
  }
  stdio_pipes_close();
  return fail(text);
}

int cmd_exec(struct opts *o) {
  parent_signals_init();
  char err[1024];
  /* without the container's cgroups nothing ties the pid to this container */
  if (o->ncgroups == 0) return fail("exec needs the container's --cgroup dirs");
  int pidfd = open_container_init(o, err, sizeof err);
  if (pidfd < 0) return fail(err);
  if (setns(pidfd, CLONE_NEWPID) < 0) {
    snprintf(err, sizeof err, "setns pid of %d: %s", (int)o->target_pid, strerror(errno));
    return fail_closing(err, pidfd, NULL);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    snprintf(err, sizeof err, "socketpair: %s", strerror(errno));
    return fail_closing(err, pidfd, NULL);
  }
  if (!o->tty && stdio_pipes_make() < 0) {
    snprintf(err, sizeof err, "pipe: %s", strerror(errno));
    return fail_closing(err, pidfd, sv);
  }
  int childfd = -1;
  pid_t pid = spawn_child(0, &childfd);
  if (pid < 0) {
    snprintf(err, sizeof err, "clone3: %s", strerror(errno));
    return fail_closing(err, pidfd, sv);
  }
  if (pid == 0) {
    close(sv[0]);
    exec_child(o, pidfd, sv[1]);
    _exit(EXIT_SETUP);
  }
  close(sv[1]);
  close(pidfd);
  stdio_pipes_parent();
  return start_and_supervise(o, pid, childfd, sv[0], 1);
}
