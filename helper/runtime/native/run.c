/* strata-shim run: start a container. The parent stays in the host's namespaces and supervises;
 * the child, made by clone3 with new mount, pid, uts, ipc (and network, unless --net host)
 * namespaces, is pid 1 of the container: it builds the root (rootfs.c, dev.c), pivots into it,
 * masks what must not be seen (harden.c), then becomes the command (child.c). */
#include "shim.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void run_child(const struct opts *o, int sync) {
  child_init(sync);
  /* After "go": the shim has put us in the container's cgroups, so a new cgroup namespace has them
   * as its root (rootfs.c mounts them at /sys/fs/cgroup); a clone flag would root it at the
   * shim's cgroups instead. */
  if (o->ncgroupfs > 0 && unshare(CLONE_NEWCGROUP) < 0) child_fail(EXIT_SETUP, "unshare cgroup namespace: %s", strerror(errno));
  stdio_pipes_child();
  setup_rootfs(o);
  mask_and_protect();
  finish_and_exec(o, 0);
}

/* Closes what the parent holds, then reports the failure. */
static int fail_closing(const char *what, const int *sv) {
  int err = errno;
  if (sv) {
    close(sv[0]);
    close(sv[1]);
  }
  stdio_pipes_close();
  ctl_report("error %s: %s", what, strerror(err));
  ctl_report("exit %d", EXIT_SETUP);
  return EXIT_SETUP;
}

int cmd_run(struct opts *o) {
  parent_signals_init();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return fail_closing("socketpair", NULL);
  if (!o->tty && stdio_pipes_make() < 0) return fail_closing("pipe", sv);
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (!o->net_host) flags |= CLONE_NEWNET;
  int pidfd = -1;
  pid_t pid = spawn_child(flags, &pidfd);
  if (pid < 0) return fail_closing("clone3 (new namespaces)", sv);
  if (pid == 0) {
    close(sv[0]);
    run_child(o, sv[1]);
    _exit(EXIT_SETUP);
  }
  close(sv[1]);
  stdio_pipes_parent();
  return start_and_supervise(o, pid, pidfd, sv[0], 0);
}
