/* A seccomp filter for the container's programs, installed last before execve (runc's order:
 * no_new_privs, then seccomp; no_new_privs is what lets an unprivileged process install it).
 *
 * XXX(issue 14, item 7): a deny-list, not Docker's allowlist: the syscalls below are refused with EPERM (ENOSYS for
 * clone3, whose flags a filter cannot read, so that libc falls back to clone), everything else is
 * allowed. Each entry names what it stops:
 *  - new namespaces: unshare, setns, and clone with a CLONE_NEW* flag. A new user namespace hands
 *    the container a full capability set inside it, the first step of many kernel exploits
 *    (Docker's profile refuses these without CAP_SYS_ADMIN).
 *  - mounts (mount, umount2, pivot_root and the new mount API): already refused without
 *    CAP_SYS_ADMIN; refused here too, should a capability set ever grow.
 *  - the kernel keyring (keyctl, add_key, request_key): not namespaced, shared with the host.
 *  - bpf, perf_event_open, userfaultfd, io_uring_*: large kernel attack surface, the source of
 *    many escapes (userfaultfd makes kernel races easy to win).
 *  - loading kernels and modules, swap, reboot, accounting, the clock, quotas, I/O ports,
 *    open_by_handle_at (the "shocker" escape walks host inodes by handle).
 *  - personality() with anything but the personas Docker's profile allows (PER_LINUX, PER_LINUX32,
 *    UNAME26 and their mix, and the 0xffffffff query): the other flags switch off exploit
 *    mitigations for the process and its children (ADDR_NO_RANDOMIZE: no ASLR; READ_IMPLIES_EXEC:
 *    every readable page executable).
 *  - any other syscall ABI: a 32-bit syscall (int 0x80) or an x32 one has other numbers, so it
 *    would pass a list made of x86_64 numbers: refused whole.
 *  - any syscall newer than this list: numbers above LAST_REVIEWED get ENOSYS, as from an older
 *    kernel (libc then falls back). A deny-list alone would let each syscall a later kernel adds
 *    (io_uring came so) reach the container unexamined; Docker's allowlist refuses them by
 *    construction. Raising LAST_REVIEWED means reading what the new ones do first.
 */
#include "shim.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
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
static const int denied[] = {
  SYS_unshare, SYS_setns,
  SYS_mount, SYS_umount2, SYS_pivot_root,
#ifdef SYS_open_tree
  SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#endif
#ifdef SYS_mount_setattr
  SYS_mount_setattr,
#endif
  SYS_keyctl, SYS_add_key, SYS_request_key,
  SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
#ifdef SYS_io_uring_setup
  SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
#endif
  SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
  SYS_swapon, SYS_swapoff, SYS_reboot, SYS_acct,
  SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime,
  SYS_quotactl, SYS_open_by_handle_at, SYS_lookup_dcookie,
#ifdef SYS_iopl
  SYS_iopl, SYS_ioperm,
#endif
  467, /* open_tree_attr (Linux 6.15): the mount API again, not in these headers */
};

/* Reviewed up to open_tree_attr (467, Linux 6.15; since 424 a new syscall has one number on every
 * architecture). Allowed among 451-466: cachestat, fchmodat2, map_shadow_stack, futex_wake/wait/
 * requeue, statmount/listmount (this mount namespace's, as /proc/self/mountinfo shows it), lsm_*
 * (the caller's own attributes), mseal, and the *xattrat family (what the *xattr calls do).
 * Linux 6.17's file_getattr and file_setattr (468, 469) are newer: ENOSYS until reviewed. */
#define LAST_REVIEWED 467

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

void install_seccomp(void) {
  enum { N = sizeof denied / sizeof denied[0] };
  /* arch check and load nr (4), x32 check (2, x86_64 only), clone3 (2), clone flags (5),
   * personality (9), the list (2 per entry), the newer ones (2), allow (1) */
  struct sock_filter f[4 + 2 + 2 + 5 + 9 + 2 * N + 2 + 1];
  unsigned n = 0;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STRATA_AUDIT_ARCH, 1, 0);
  f[n++] = (struct sock_filter)DENY;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
  /* x32 syscalls are x86_64 ones with bit 30 set */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
  f[n++] = (struct sock_filter)DENY;
#endif
#ifdef SYS_clone3
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
#endif
  /* clone(flags, ...): flags is the first argument on both architectures (its low 32 bits) */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  f[n++] = (struct sock_filter)DENY;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  /* personality(persona): the kernel reads an unsigned int, the argument's low 32 bits */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, 8);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0, 5, 0);        /* PER_LINUX */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8, 4, 0);        /* PER_LINUX32 */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20000, 3, 0);    /* UNAME26 */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20008, 2, 0);    /* UNAME26 | PER_LINUX32 */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0); /* query */
  f[n++] = (struct sock_filter)DENY;
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  for (unsigned i = 0; i < N; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
    f[n++] = (struct sock_filter)DENY;
  }
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAST_REVIEWED, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
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
