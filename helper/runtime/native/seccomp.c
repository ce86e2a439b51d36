/* The container's seccomp filter, installed last before execve (runc's order: no_new_privs, then
 * seccomp; no_new_privs is what lets an unprivileged process install it), in the init and in
 * every exec.
 *
 * An allowlist: Docker's default profile for Strata's capabilities (seccomp-allow.h says how it
 * was derived). A syscall it does not name gets EPERM, Docker's default action; among those are
 * everything the earlier deny-list named, which Docker refuses too: new namespaces (unshare,
 * setns, clone with CLONE_NEW*), mounts and the new mount API (open_tree_attr, 467, included),
 * the kernel keyring, bpf, perf_event_open, userfaultfd, io_uring_*, kexec and modules, swap,
 * reboot, acct, settimeofday and clock_settime, quotactl, open_by_handle_at (the "shocker"
 * escape), lookup_dcookie, iopl and ioperm. The rules with arguments are Docker's:
 *  - clone without any CLONE_NEW* flag (a new user namespace gives back every capability);
 *  - clone3 gets ENOSYS, as its flags sit in memory a filter cannot read, so libc falls back to clone;
 *  - socket with any family but AF_ALG (38) and AF_VSOCK (40);
 *  - personality only with PER_LINUX, PER_LINUX32, UNAME26, their mix, and the 0xffffffff query
 *    (ADDR_NO_RANDOMIZE would switch off ASLR, READ_IMPLIES_EXEC make every readable page executable).
 *
 * Where Strata differs from Docker's profile, and why:
 *  - Another syscall ABI is refused whole: Docker also loads its list for x86 (i386) and x32 on
 *    x86_64, and 32-bit ARM on aarch64. Their numbers differ, and no program the engine runs
 *    needs them; each extra ABI is one more table to keep right.
 *  - Numbers above LAST_REVIEWED get ENOSYS, as from an older kernel, so that libc falls back (runc
 *    does the same for syscalls newer than any its profile names). Docker's profile gives EPERM.
 *  - The argument rules read the argument as the kernel does, its low 32 bits (seccomp-bpf.c):
 *    stricter than a 64-bit comparison for socket.
 *  - What Docker gates on a capability follows Strata's set (no CAP_MKNOD changes nothing here:
 *    mknod is in Docker's plain list, and the kernel refuses a device node without the capability).
 * Changed from the earlier deny-list to match Docker: clock_adjtime is allowed (glibc's adjtimex
 * calls it; setting the clock still needs CAP_SYS_TIME), and syslog, sethostname, setdomainname,
 * vhangup, kcmp, pidfd_getfd, process_madvise, fanotify_init, the NUMA policy calls, lsm_* and
 * the syscalls no x86_64 kernel implements (uselib, _sysctl, ...) are now refused. */
#include "shim.h"
#include "seccomp-bpf.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* STRATA_TEST_UNLISTED_ARCH: defined only by test/integration/runtime-seccomp.test.ts, to see on
 * this machine what a build for an architecture without a list does. */
#if defined(__x86_64__) && !defined(STRATA_TEST_UNLISTED_ARCH)
#define STRATA_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && !defined(STRATA_TEST_UNLISTED_ARCH)
#define STRATA_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef STRATA_AUDIT_ARCH
#include "seccomp-allow.h"

/* The newest syscall number whose meaning was read: open_tree_attr (467, Linux 6.15, refused as
 * the mount API). Docker's list was reviewed to Linux 6.13 (466); 467 was read here. Linux 6.17's
 * file_getattr and file_setattr (468, 469) are newer: ENOSYS until someone reads them and Docker's
 * next profile, then adds them to seccomp-allow.h (or not) and raises this. */
#define LAST_REVIEWED 467

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What each number up to LAST_REVIEWED gets. */
static void decide(enum sc_verdict v[LAST_REVIEWED + 1]) {
  for (unsigned nr = 0; nr <= LAST_REVIEWED; nr++) v[nr] = SC_EPERM;
  for (unsigned i = 0; i < NELEM(allow_common); i++) v[allow_common[i]] = SC_ALLOW;
  for (unsigned i = 0; i < NELEM(allow_arch); i++) v[allow_arch[i]] = SC_ALLOW;
  v[SYS_clone] = SC_CLONE;
  v[SYS_clone3] = SC_ENOSYS;
  v[SYS_socket] = SC_SOCKET;
  v[SYS_personality] = SC_PERSONALITY;
}

/* Runs of one verdict, then ENOSYS above the review (and on x86_64 EPERM from bit 30 up, where
 * the x32 ABI's numbers are: x86_64's with __X32_SYSCALL_BIT set, so they would match the tree). */
static unsigned segments(const enum sc_verdict v[LAST_REVIEWED + 1], struct sc_segment *seg) {
  unsigned n = 0;
  for (unsigned nr = 0; nr <= LAST_REVIEWED; nr++)
    if (n == 0 || seg[n - 1].verdict != v[nr]) seg[n++] = (struct sc_segment){nr, v[nr]};
  seg[n++] = (struct sc_segment){LAST_REVIEWED + 1, SC_ENOSYS};
#if defined(__x86_64__)
  seg[n++] = (struct sc_segment){0x40000000, SC_EPERM};
#endif
  return n;
}

void install_seccomp(void) {
  static enum sc_verdict v[LAST_REVIEWED + 1];
  static struct sc_segment seg[LAST_REVIEWED + 3];
  static struct sock_filter f[BPF_MAXINSNS];
  decide(v);
  unsigned n = sc_build(seg, segments(v, seg), STRATA_AUDIT_ARCH, f, BPF_MAXINSNS);
  if (n == 0) child_fail(EXIT_SETUP, "seccomp: the filter does not fit in %d instructions", BPF_MAXINSNS);
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) child_fail(EXIT_SETUP, "seccomp: %s", strerror(errno));
}
#else
/* No syscall list for this architecture. Without the filter a container would get every syscall
 * the list exists to stop (a new user namespace and its full capability set, the keyring, bpf,
 * another syscall ABI...): refuse to start it rather than run it less confined than elsewhere. */
void install_seccomp(void) {
  child_fail(EXIT_SETUP, "seccomp: strata-shim has no syscall filter for this architecture, and runs no container without "
                         "one (helper/runtime/native/seccomp.c lists x86_64 and aarch64)");
}
#endif
