/* Identity and capabilities of the container's process: the set the helper computed (--caps: Docker's
 * default set without CAP_MKNOD, with --cap-add/--cap-drop applied; the helper refuses to add the
 * capabilities that hand over the host, helper/engine/capabilities.ts) in the bounding, permitted
 * and effective sets; the inheritable and ambient sets empty. Without MKNOD: the container's /dev is
 * made for it, a layer's device nodes are blocked by nodev, and there is no device cgroup.
 * Raw capset(2): libcap is not needed for three words. */
#include "shim.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(c) (1ULL << (c))
/* DEFAULT_CAPS (shim.h): CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
 * NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP = 0x00000000a00425fb (Docker's 0xa80425fb without MKNOD, bit 27). */
_Static_assert(DEFAULT_CAPS == (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_KILL) |
                                BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
                                BIT(CAP_NET_RAW) | BIT(CAP_SYS_CHROOT) | BIT(CAP_AUDIT_WRITE) | BIT(CAP_SETFCAP)),
               "DEFAULT_CAPS is Docker's set without MKNOD");

static unsigned long long KEEP = DEFAULT_CAPS;

static void drop_bounding(void) {
  /* before setuid and capset: dropping from the bounding set needs CAP_SETPCAP in effect */
  for (int cap = 0; cap < 64; cap++) {
    if (KEEP & BIT(cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      child_fail(EXIT_SETUP, "drop capability %d from the bounding set: %s", cap, strerror(errno));
  }
}

static void set_caps(void) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    unsigned word = (unsigned)(KEEP >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    /* inheritable stays empty: with it set, a non-root user could gain these capabilities by
     * running a file with inheritable file capabilities (CVE-2022-24769, Moby's fix) */
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &hdr, data) < 0) child_fail(EXIT_SETUP, "capset: %s", strerror(errno));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    child_fail(EXIT_SETUP, "clear ambient capabilities: %s", strerror(errno));
}

/* Order as runc: keep capabilities across setuid, shrink the bounding set, switch ids, then set
 * the final sets. For a non-root user execve then clears permitted/effective, as with Docker. */
void become_user(const struct user *u, unsigned long long caps) {
  KEEP = caps;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(EXIT_SETUP, "keepcaps: %s", strerror(errno));
  drop_bounding();
  if (setgroups((size_t)u->ngroups, u->groups) < 0) child_fail(EXIT_SETUP, "setgroups: %s", strerror(errno));
  if (setresgid(u->gid, u->gid, u->gid) < 0) child_fail(EXIT_SETUP, "setgid %u: %s", u->gid, strerror(errno));
  if (setresuid(u->uid, u->uid, u->uid) < 0) child_fail(EXIT_SETUP, "setuid %u: %s", u->uid, strerror(errno));
  set_caps();
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(EXIT_SETUP, "keepcaps: %s", strerror(errno));
}
