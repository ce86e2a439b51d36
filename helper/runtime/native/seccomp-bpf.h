/* The seccomp filter as data (seccomp.c decides what each syscall number gets) and the classic
 * BPF program that answers it (seccomp-bpf.c). */
#ifndef STRATA_SECCOMP_BPF_H
#define STRATA_SECCOMP_BPF_H
#include <linux/filter.h>
#include <stdint.h>

enum sc_verdict {
  SC_EPERM,       /* refused: Docker's default action, SCMP_ACT_ERRNO with EPERM */
  SC_ALLOW,       /* allowed, whatever the arguments */
  SC_ENOSYS,      /* "no such syscall", so that libc falls back (clone3, and numbers newer than the review) */
  SC_CLONE,       /* allowed without a CLONE_NEW* flag */
  SC_SOCKET,      /* allowed but for AF_ALG and AF_VSOCK */
  SC_PERSONALITY, /* allowed for the personas Docker allows */
};

/* Syscall numbers from `start` up to the next segment's start get `verdict`; the first segment
 * starts at 0, the last runs to 0xffffffff. */
struct sc_segment {
  uint32_t start;
  enum sc_verdict verdict;
};

/* The whole filter: the architecture check, then a search tree over the segments. Returns the
 * program's length, or 0 when it would not fit in `max` instructions. */
unsigned sc_build(const struct sc_segment *seg, unsigned nseg, uint32_t audit_arch, struct sock_filter *out, unsigned max);

#endif
