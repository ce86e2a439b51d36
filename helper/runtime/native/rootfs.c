/* The container's root: overlay, /proc, /dev, /sys, the init layer's bind mounts, hostname, lo,
 * then pivot_root. Runs in the child, in its new mount namespace, before anything of the image runs.
 * Every target under the new root is opened with open_beneath (no symlinks) and mounted on through
 * /proc/self/fd, so a symlink planted in the image or the upper dir cannot redirect a mount. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_mount_dir(int rootfd, const char *name) {
  int fd = open_beneath(rootfd, name, O_PATH | O_DIRECTORY);
  if (fd < 0) {
    /* ELOOP/ENOTDIR: a symlink or a file where a mount point must be a real directory */
    child_fail(EXIT_SETUP, "/%s must be a real directory in the container (not a symlink, CVE-2019-19921): %s", name,
               strerror(errno));
  }
  return fd;
}

static void mount_overlay(const struct opts *o) {
  if (!overlay_data_fits(o->overlay_data))
    child_fail(EXIT_SETUP, "overlay options do not fit in one page (%zu bytes): too many layers or paths too long",
               strlen(o->overlay_data));
  /* lowerdir names are relative to the store's short-link directory (union/overlay-links.ts) */
  if (chdir(o->store_links) < 0) child_fail(EXIT_SETUP, "chdir %s: %s", o->store_links, strerror(errno));
  /* nodev: no device node that came in a layer may open a host device */
  if (mount("overlay", o->rootfs, "overlay", MS_NODEV, o->overlay_data) < 0)
    child_fail(EXIT_SETUP, "mount overlay on %s: %s", o->rootfs, strerror(errno));
  if (chdir("/") < 0) child_fail(EXIT_SETUP, "chdir /: %s", strerror(errno));
}

static void mount_proc(int rootfd) {
  char p[64];
  int fd = open_mount_dir(rootfd, "proc");
  if (mount("proc", fdpath(fd, p, sizeof p), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    child_fail(EXIT_SETUP, "mount /proc: %s", strerror(errno));
  close(fd);
}

/* A fresh sysfs read-only. sysfs shows the network devices of the mounter's network namespace, so
 * with --net none the container sees only its own lo; with --net host it sees the host's devices,
 * which is what host networking means. Real root in the initial user namespace may mount sysfs in
 * either case, so no bind of the host's /sys is needed. */
static void mount_sys(int rootfd) {
  char p[64];
  int fd = open_mount_dir(rootfd, "sys");
  if (mount("sysfs", fdpath(fd, p, sizeof p), "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
    child_fail(EXIT_SETUP, "mount /sys: %s", strerror(errno));
  close(fd);
}

/* The container's own cgroups at /sys/fs/cgroup, read-only, as Docker gives them: the child has
 * entered a new cgroup namespace once the shim had put it in its cgroups (run.c), so each
 * hierarchy mounted here has the container's cgroup as its root, and runtimes (JVM, Go, Node) read
 * their memory and CPU limits where they look. cgroup v1: a read-only tmpfs with one read-only
 * mount per hierarchy the container joined (/sys/fs/cgroup/memory, ...); v2: the one hierarchy.
 * Read-only: root in the container must not raise its own limits (and without CAP_SYS_ADMIN it
 * cannot remount them writable). */
static void mount_cgroups(int rootfd, const struct opts *o) {
  if (o->ncgroupfs == 0) return;
  const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  char p[64], q[64];
  int fd = open_beneath(rootfd, "sys/fs/cgroup", O_PATH | O_DIRECTORY);
  if (fd < 0) child_fail(EXIT_SETUP, "open /sys/fs/cgroup: %s", strerror(errno));
  if (o->ncgroupfs == 1 && !o->cgroupfs[0].options) {
    if (mount("cgroup2", fdpath(fd, p, sizeof p), "cgroup2", ro, NULL) < 0)
      child_fail(EXIT_SETUP, "mount cgroup2 on /sys/fs/cgroup: %s", strerror(errno));
    close(fd);
    return;
  }
  if (mount("tmpfs", fdpath(fd, p, sizeof p), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
    child_fail(EXIT_SETUP, "mount tmpfs on /sys/fs/cgroup: %s", strerror(errno));
  close(fd);
  int dir = open_beneath(rootfd, "sys/fs/cgroup", O_RDONLY | O_DIRECTORY); /* the tmpfs */
  if (dir < 0) child_fail(EXIT_SETUP, "open /sys/fs/cgroup: %s", strerror(errno));
  for (int i = 0; i < o->ncgroupfs; i++) {
    const struct cgroupfs_spec *c = &o->cgroupfs[i];
    if (!c->options) child_fail(EXIT_SETUP, "cgroup2 cannot be mounted beside v1 hierarchies");
    if (mkdirat(dir, c->name, 0755) < 0) child_fail(EXIT_SETUP, "mkdir /sys/fs/cgroup/%s: %s", c->name, strerror(errno));
    int at = openat(dir, c->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (at < 0 || mount("cgroup", fdpath(at, q, sizeof q), "cgroup", ro, c->options) < 0)
      child_fail(EXIT_SETUP, "mount cgroup %s on /sys/fs/cgroup/%s: %s", c->options, c->name, strerror(errno));
    close(at);
    /* co-mounted controllers ("cpu,cpuacct") are also reachable by each name, as on the host */
    if (strchr(c->name, ','))
      for (char *names = strdup(c->name), *save = NULL, *n = names ? strtok_r(names, ",", &save) : NULL; n; n = strtok_r(NULL, ",", &save))
        if (symlinkat(c->name, dir, n) < 0 && errno != EEXIST) child_fail(EXIT_SETUP, "symlink /sys/fs/cgroup/%s: %s", n, strerror(errno));
  }
  close(dir);
  fd = open_beneath(rootfd, "sys/fs/cgroup", O_PATH | O_DIRECTORY);
  if (fd < 0 || mount(NULL, fdpath(fd, p, sizeof p), NULL, MS_REMOUNT | MS_BIND | ro, NULL) < 0)
    child_fail(EXIT_SETUP, "remount /sys/fs/cgroup read-only: %s", strerror(errno));
  close(fd);
}

/* hostname, hosts, resolv.conf from containers/<id>/ onto the init layer's empty files */
static void bind_files(int rootfd, const struct opts *o) {
  char sp[64], dp[64];
  for (int i = 0; i < o->nbinds; i++) {
    const struct bind_spec *b = &o->binds[i];
    int src = open(b->src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0) child_fail(EXIT_SETUP, "bind source %s: %s", b->src, strerror(errno));
    int dst = open_beneath(rootfd, b->dst, O_PATH);
    if (dst < 0) child_fail(EXIT_SETUP, "bind target %s (must exist, no symlinks): %s", b->dst, strerror(errno));
    struct stat ss, ds;
    if (fstat(src, &ss) < 0 || fstat(dst, &ds) < 0) child_fail(EXIT_SETUP, "stat %s: %s", b->dst, strerror(errno));
    /* O_PATH|O_NOFOLLOW opens a trailing symlink itself: refuse it rather than bind through it */
    if (S_ISLNK(ds.st_mode)) child_fail(EXIT_SETUP, "bind target %s is a symlink in the container; refusing", b->dst);
    if (S_ISDIR(ss.st_mode) != S_ISDIR(ds.st_mode) || (!S_ISDIR(ss.st_mode) && !S_ISREG(ds.st_mode)))
      child_fail(EXIT_SETUP, "bind %s: source and target are not the same kind of file", b->dst);
    if (mount(fdpath(src, sp, sizeof sp), fdpath(dst, dp, sizeof dp), NULL, MS_BIND, NULL) < 0)
      child_fail(EXIT_SETUP, "bind %s on %s: %s", b->src, b->dst, strerror(errno));
    close(dst);
    if (b->ro) {
      dst = open_beneath(rootfd, b->dst, O_PATH); /* the new mount, not the file under it */
      if (dst < 0 || mount(NULL, fdpath(dst, dp, sizeof dp), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        child_fail(EXIT_SETUP, "remount %s read-only: %s", b->dst, strerror(errno));
      close(dst);
    }
    close(src);
  }
}

/* Docker brings lo up in --network none: programs that talk to 127.0.0.1 keep working. */
static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) child_fail(EXIT_SETUP, "socket: %s", strerror(errno));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) child_fail(EXIT_SETUP, "lo: %s", strerror(errno));
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) child_fail(EXIT_SETUP, "lo up: %s", strerror(errno));
  close(s);
}

/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no path to
 * the host's tree (chroot alone would: runc no_pivot.bats). */
static void pivot_into(int rootfd) {
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) child_fail(EXIT_SETUP, "open /: %s", strerror(errno));
  if (fchdir(rootfd) < 0) child_fail(EXIT_SETUP, "chdir rootfs: %s", strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(EXIT_SETUP, "pivot_root: %s", strerror(errno));
  if (fchdir(oldroot) < 0) child_fail(EXIT_SETUP, "chdir old root: %s", strerror(errno));
  /* make sure the unmount cannot propagate to the host's mounts */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) child_fail(EXIT_SETUP, "rslave old root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) < 0) child_fail(EXIT_SETUP, "detach old root: %s", strerror(errno));
  if (chdir("/") < 0) child_fail(EXIT_SETUP, "chdir /: %s", strerror(errno));
  close(oldroot);
}

void setup_rootfs(const struct opts *o) {
  /* rslave: nothing we mount reaches the host, while host unmounts still reach us so that the
   * container does not pin host filesystems. Also required: pivot_root refuses shared mounts. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) child_fail(EXIT_SETUP, "make / rslave: %s", strerror(errno));
  mount_overlay(o);
  int rootfd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) child_fail(EXIT_SETUP, "open %s: %s", o->rootfs, strerror(errno));
  mount_proc(rootfd);
  setup_dev(rootfd);
  mount_sys(rootfd);
  mount_cgroups(rootfd, o);
  bind_files(rootfd, o);
  if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0)
    child_fail(EXIT_SETUP, "sethostname: %s", strerror(errno));
  if (!o->net_host) loopback_up();
  pivot_into(rootfd);
  close(rootfd);
}
