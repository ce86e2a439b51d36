/* Overlay options, and two small tools for the TypeScript side: overlay-check (does this kernel
 * take the options that keep the upper dir a faithful diff?) and umount (for leftovers). */
#include "shim.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* redirect_dir=off, metacopy=off, index=off: with any of them on, a rename or a chmod in the
 * container is recorded as an xattr pointing into a lower layer instead of as a whole file, and
 * the upper dir stops being a self-contained diff (docs/layers.md, "Commit"). The whole string
 * must fit in one page: the kernel copies mount data as a single page. */
int build_overlay_data(const struct opts *o, char *buf, size_t len) {
  int n = snprintf(buf, len, "lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off,index=off", o->lower,
                   o->upper, o->work);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Mounts in a private mount namespace of its own, so nothing remains even if we are killed. */
int cmd_overlay_check(struct opts *o) {
  char data[4096];
  if (!o->lower || !o->upper || !o->work || !o->rootfs) {
    fprintf(stderr, "overlay-check needs --lower --upper --work --rootfs\n");
    return 2;
  }
  if (build_overlay_data(o, data, sizeof data) < 0) {
    fprintf(stderr, "overlay options longer than a page\n");
    return 1;
  }
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    fprintf(stderr, "private mount namespace: %s\n", strerror(errno));
    return 1;
  }
  if (o->store_links && chdir(o->store_links) < 0) {
    fprintf(stderr, "chdir %s: %s\n", o->store_links, strerror(errno));
    return 1;
  }
  if (mount("overlay", o->rootfs, "overlay", MS_NODEV, data) < 0) {
    fprintf(stderr, "mount -t overlay -o %s: %s\n", data, strerror(errno));
    return 1;
  }
  return 0;
}

int cmd_umount(int argc, char **argv) {
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: strata-shim umount /ABSOLUTE/PATH\n");
    return 2;
  }
  if (umount2(argv[1], MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
    fprintf(stderr, "umount %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  return 0;
}
