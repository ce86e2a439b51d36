/* The overlay options' page check, and two small tools for the TypeScript side: overlay-check
 * (does this kernel take the options that keep the upper dir a faithful diff?) and umount. */
#include "shim.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The overlay options come whole from the helper: helper/union/overlay-options.ts is the one place
 * that builds them (lowerdir, upperdir, workdir and redirect_dir=off,metacopy=off,index=off, which
 * keep the upper dir a faithful diff). The kernel copies mount data as one page and silently cuts
 * off the rest, which could drop one of those: what does not fit is refused here too. */
int overlay_data_fits(const char *data) { return strlen(data) < 4096; }

/* Mounts in a private mount namespace of its own, so nothing remains even if we are killed. */
int cmd_overlay_check(struct opts *o) {
  if (!o->overlay_data || !o->rootfs) {
    fprintf(stderr, "overlay-check needs --overlay-data --rootfs\n");
    return 2;
  }
  if (!overlay_data_fits(o->overlay_data)) {
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
  if (mount("overlay", o->rootfs, "overlay", MS_NODEV, o->overlay_data) < 0) {
    fprintf(stderr, "mount -t overlay -o %s: %s\n", o->overlay_data, strerror(errno));
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
