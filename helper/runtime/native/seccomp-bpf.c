/* The seccomp filter's program: a binary search tree of jumps over the syscall number's segments
 * (seccomp-bpf.h), not a list. A list of ~350 allowed numbers costs a syscall near its end ~350
 * comparisons; the tree costs log2 of the segments. x86_64 has 68 segments (153 instructions in
 * all): a lookup runs 3 instructions of architecture check, 6 or 7 comparisons, then its leaf: 10
 * or 11 instructions for a plain verdict, up to 16 for personality's argument check, as measured
 * on the installed program by an evaluator of it
 * (test/integration/seccomp-allowlist.test.ts). Since Linux 5.11 the kernel also skips the filter
 * for every number it proves always allowed whatever the arguments (seccomp_cache_prepare), which
 * every ALLOW leaf here is, as the tree reads only the architecture and the number.
 *
 * The arguments are read as their low 32 bits (little-endian: args[i]'s first word), which is what
 * the kernel reads for each argument tested here: clone's flags (lower_32_bits in kernel/fork.c),
 * socket's int family, personality's unsigned int. Comparing the whole 64-bit register would let
 * socket(0x100000026) through as "not 38" while the kernel opens AF_ALG (38). */
#include "seccomp-bpf.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/socket.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "seccomp-bpf.c reads an argument's low 32 bits as its first word: little-endian only"
#endif

/* Docker's clone rule: SCMP_CMP_MASKED_EQ 0x7E020000 == 0, i.e. none of these flags. A new user
 * namespace would hand the container a full capability set inside it; the others are refused
 * with it, as without CAP_SYS_ADMIN Docker refuses them all. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

#define MAX_JUMP 255 /* a conditional jump's offsets are 8 bits */

struct prog {
  struct sock_filter *f;
  unsigned n, max;
};

static void put(struct prog *p, struct sock_filter insn) {
  if (p->n < p->max) p->f[p->n] = insn;
  p->n++;
}

#define STMT(code, k) put(p, (struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) put(p, (struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define RET_ERRNO(e) STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define RET_ALLOW() STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define LOAD_ARG0() STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))

static const unsigned leaf_size[] = {
  [SC_EPERM] = 1, [SC_ALLOW] = 1, [SC_ENOSYS] = 1, [SC_CLONE] = 4, [SC_SOCKET] = 5, [SC_PERSONALITY] = 8,
};

static void leaf(struct prog *p, enum sc_verdict v) {
  switch (v) {
  case SC_EPERM: RET_ERRNO(EPERM); break;
  case SC_ALLOW: RET_ALLOW(); break;
  case SC_ENOSYS: RET_ERRNO(ENOSYS); break;
  case SC_CLONE: /* clone(flags, ...): flags first on x86_64 and aarch64 (s390 differs) */
    LOAD_ARG0();
    JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
    RET_ERRNO(EPERM);
    RET_ALLOW();
    break;
  case SC_SOCKET: /* Docker: family < AF_ALG, == AF_ALG + 1, or > AF_VSOCK (moby/profiles v0.2.1) */
    LOAD_ARG0();
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_ALG, 2, 0);
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 1, 0);
    RET_ALLOW();
    RET_ERRNO(EPERM);
    break;
  case SC_PERSONALITY: /* the personas of Docker's five rules; the other flags switch off ASLR or NX */
    LOAD_ARG0();
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0, 5, 0);        /* PER_LINUX */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8, 4, 0);        /* PER_LINUX32 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20000, 3, 0);    /* UNAME26 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20008, 2, 0);    /* UNAME26 | PER_LINUX32 */
    JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0); /* the query */
    RET_ERRNO(EPERM);
    RET_ALLOW();
    break;
  }
}

/* Instructions the subtree over segments lo..hi takes (hi included). */
static unsigned tree_size(const struct sc_segment *seg, unsigned lo, unsigned hi) {
  if (lo == hi) return leaf_size[seg[lo].verdict];
  unsigned mid = (lo + hi + 1) / 2;
  unsigned left = tree_size(seg, lo, mid - 1);
  return 1 + (left > MAX_JUMP) + left + tree_size(seg, mid, hi);
}

/* "number >= start of the middle segment?" No: the left half follows; yes: jump over it to the
 * right half (through an unconditional jump, which has 32 bits, when the left half is too long). */
static void tree(struct prog *p, const struct sc_segment *seg, unsigned lo, unsigned hi) {
  if (lo == hi) {
    leaf(p, seg[lo].verdict);
    return;
  }
  unsigned mid = (lo + hi + 1) / 2;
  unsigned left = tree_size(seg, lo, mid - 1);
  if (left <= MAX_JUMP) {
    JUMP(BPF_JMP | BPF_JGE | BPF_K, seg[mid].start, (unsigned char)left, 0);
  } else {
    JUMP(BPF_JMP | BPF_JGE | BPF_K, seg[mid].start, 0, 1);
    STMT(BPF_JMP | BPF_JA, left);
  }
  tree(p, seg, lo, mid - 1);
  tree(p, seg, mid, hi);
}

unsigned sc_build(const struct sc_segment *seg, unsigned nseg, uint32_t audit_arch, struct sock_filter *out, unsigned max) {
  struct prog prog = {.f = out, .n = 0, .max = max}, *p = &prog;
  /* Another ABI (i386's int 0x80 on x86_64, 32-bit ARM on aarch64) numbers its syscalls
   * differently, so a tree of this ABI's numbers would mean nothing to it: refused whole. */
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 1, 0);
  RET_ERRNO(EPERM);
  STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  if (nseg) tree(p, seg, 0, nseg - 1);
  return prog.n <= max ? prog.n : 0;
}
