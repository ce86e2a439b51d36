/* Masked and read-only paths, Docker's defaults. Runs after pivot_root, on the container's own
 * procfs and sysfs. These files leak host state (kcore: kernel memory, timer_list and
 * sched_debug: host tasks, keys) or change the host kernel (/proc/sys, sysrq-trigger). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const masked[] = {"/proc/acpi",         "/proc/asound",      "/proc/kcore",
                                     "/proc/keys",         "/proc/latency_stats", "/proc/timer_list",
                                     "/proc/timer_stats",  "/proc/sched_debug", "/proc/scsi",
                                     "/sys/firmware",      "/sys/devices/virtual/powercap"};

static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

/* The /dev/null used to mask files must be the null device. If it were a symlink or another
 * file (say, a bind of /proc/sys/kernel/core_pattern), "masking" would instead expose that file
 * read-write on every masked path (CVE-2025-31133). Our /dev is a fresh tmpfs, but check anyway:
 * it is one fstat. */
static int open_null_device(void) {
  int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) child_fail(EXIT_SETUP, "open /dev/null: %s", strerror(errno));
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    child_fail(EXIT_SETUP, "/dev/null is not the null device (1:3); refusing to mask with it (CVE-2025-31133)");
  return fd;
}

static void mask_path(int rootfd, int nullfd, const char *path) {
  char sp[64], tp[64];
  int fd = open_beneath(rootfd, path, O_PATH);
  if (fd < 0) {
    if (errno == ENOENT) return; /* this kernel has no such file: nothing to hide */
    child_fail(EXIT_SETUP, "mask %s: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) < 0) child_fail(EXIT_SETUP, "mask %s: %s", path, strerror(errno));
  if (S_ISLNK(st.st_mode)) child_fail(EXIT_SETUP, "mask %s: is a symlink; refusing", path);
  int r = S_ISDIR(st.st_mode)
              ? mount("tmpfs", fdpath(fd, tp, sizeof tp), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k")
              : mount(fdpath(nullfd, sp, sizeof sp), fdpath(fd, tp, sizeof tp), NULL, MS_BIND, NULL);
  if (r < 0) child_fail(EXIT_SETUP, "mask %s: %s", path, strerror(errno));
  close(fd);
}

static void readonly_path(int rootfd, const char *path) {
  char p[64];
  int fd = open_beneath(rootfd, path, O_PATH);
  if (fd < 0) {
    if (errno == ENOENT) return;
    child_fail(EXIT_SETUP, "read-only %s: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) child_fail(EXIT_SETUP, "read-only %s: not a file or directory", path);
  if (mount(fdpath(fd, p, sizeof p), p, NULL, MS_BIND | MS_REC, NULL) < 0)
    child_fail(EXIT_SETUP, "bind %s: %s", path, strerror(errno));
  close(fd);
  fd = open_beneath(rootfd, path, O_PATH); /* the bind mount itself */
  if (fd < 0 || mount(NULL, fdpath(fd, p, sizeof p), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      NULL) < 0)
    child_fail(EXIT_SETUP, "remount %s read-only: %s", path, strerror(errno));
  close(fd);
}

void mask_and_protect(void) {
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) child_fail(EXIT_SETUP, "open /: %s", strerror(errno));
  int nullfd = open_null_device();
  for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) mask_path(rootfd, nullfd, masked[i]);
  for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) readonly_path(rootfd, readonly[i]);
  close(nullfd);
  close(rootfd);
}
