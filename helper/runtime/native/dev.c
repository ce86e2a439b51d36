/* /dev for the container: a fresh tmpfs with only the harmless devices Docker gives (null zero full
 * tty random urandom), its own devpts instance (so its ptys are not the host's), /dev/shm,
 * /dev/mqueue and the standard symlinks. No device from the image or the host's /dev reaches it. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
  const char *name;
  unsigned major, minor;
} devices[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

static const struct {
  const char *name, *target;
} links[] = {{"ptmx", "pts/ptmx"},           {"fd", "/proc/self/fd"},     {"stdin", "/proc/self/fd/0"},
             {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};

static void mount_sub(int devfd, const char *name, mode_t mode, const char *fstype, unsigned long flags,
                      const char *data) {
  char p[64];
  if (mkdirat(devfd, name, mode) < 0) child_fail(EXIT_SETUP, "mkdir /dev/%s: %s", name, strerror(errno));
  int fd = openat(devfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || mount(fstype, fdpath(fd, p, sizeof p), fstype, flags, data) < 0)
    child_fail(EXIT_SETUP, "mount /dev/%s: %s", name, strerror(errno));
  close(fd);
}

void setup_dev(int rootfd) {
  char p[64];
  int fd = open_beneath(rootfd, "dev", O_PATH | O_DIRECTORY);
  if (fd < 0) child_fail(EXIT_SETUP, "/dev must be a real directory in the container: %s", strerror(errno));
  if (mount("tmpfs", fdpath(fd, p, sizeof p), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    child_fail(EXIT_SETUP, "mount /dev: %s", strerror(errno));
  close(fd);
  int devfd = open_beneath(rootfd, "dev", O_DIRECTORY | O_RDONLY); /* the tmpfs just mounted */
  if (devfd < 0) child_fail(EXIT_SETUP, "open /dev: %s", strerror(errno));
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
    if (mknodat(devfd, devices[i].name, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0)
      child_fail(EXIT_SETUP, "mknod /dev/%s: %s", devices[i].name, strerror(errno));
  /* newinstance: the container's own pty namespace; ptmxmode=0666 so its users can open ptys;
   * gid=5 is "tty" in Debian-like images, as runc and Docker use. */
  mount_sub(devfd, "pts", 0755, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mount_sub(devfd, "shm", 01777, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  mount_sub(devfd, "mqueue", 0755, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlinkat(links[i].target, devfd, links[i].name) < 0)
      child_fail(EXIT_SETUP, "symlink /dev/%s: %s", links[i].name, strerror(errno));
  close(devfd);
}
