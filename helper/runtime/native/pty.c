/* The container's terminal, made inside the container: the master comes from the container's own
 * devpts (so the pty number and /dev/pts/N are the container's), the peer is opened from the
 * master with TIOCGPTPEER instead of by path, so nothing in the container can swap /dev/pts/N or
 * /dev/console for something else between the two opens (CVE-2025-52565). The master goes to the
 * parent over SCM_RIGHTS; the peer becomes the controlling terminal and fds 0, 1, 2. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int open_ptmx(void) {
  /* /dev/pts/ptmx, not /dev/ptmx: /dev is a tmpfs the container may write to, /dev/pts is not */
  int fd = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) child_fail(EXIT_SETUP, "open /dev/pts/ptmx: %s", strerror(errno));
  struct statfs sfs;
  struct stat st;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
      major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    child_fail(EXIT_SETUP, "/dev/pts/ptmx is not a devpts ptmx");
  return fd;
}

void attach_container_pty(int sync, const struct opts *o, const struct user *u) {
  int master = open_ptmx();
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) child_fail(EXIT_SETUP, "unlockpt: %s", strerror(errno));
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) child_fail(EXIT_SETUP, "open pty peer (TIOCGPTPEER): %s", strerror(errno));
  struct winsize ws = {.ws_row = o->rows, .ws_col = o->cols};
  if (ioctl(peer, TIOCSWINSZ, &ws) < 0) child_fail(EXIT_SETUP, "set window size: %s", strerror(errno));
  /* the user owns its terminal, as on a login (mode 620 from devpts: group tty may write) */
  if (fchown(peer, u->uid, (gid_t)-1) < 0) child_fail(EXIT_SETUP, "chown pty: %s", strerror(errno));
  if (send_fd(sync, 'T', master) < 0) child_fail(EXIT_SETUP, "send pty master: %s", strerror(errno));
  close(master);
  /* we are a session leader without a terminal (setsid): this one becomes ours */
  if (ioctl(peer, TIOCSCTTY, 0) < 0) child_fail(EXIT_SETUP, "TIOCSCTTY: %s", strerror(errno));
  for (int fd = 0; fd < 3; fd++)
    if (dup2(peer, fd) < 0) child_fail(EXIT_SETUP, "dup2 pty: %s", strerror(errno));
  if (peer > 2) close(peer);
}
