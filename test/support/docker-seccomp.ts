// What Docker's default seccomp profile (moby/profiles seccomp v0.2.3, as vendored in moby at
// b985e23) answers a container with Docker's default capabilities minus CAP_MKNOD on x86_64,
// written down from the profile's JSON, not from the shim's table (helper/runtime/native/
// seccomp-allow.h), so that the two can be held against each other.

/** Every x86_64 syscall the profile leaves out for this capability set (up to 467, the shim's
 *  review): these get EPERM. The rest of 0..467 that has an x86_64 syscall is allowed, but for the
 *  four with argument rules (CONDITIONAL). */
export const DOCKER_REFUSED_X86_64: Record<string, number> = {
  syslog: 103, uselib: 134, ustat: 136, sysfs: 139, vhangup: 153, pivot_root: 155, _sysctl: 156, acct: 163,
  settimeofday: 164, mount: 165, umount2: 166, swapon: 167, swapoff: 168, reboot: 169, sethostname: 170,
  setdomainname: 171, iopl: 172, ioperm: 173, create_module: 174, init_module: 175, delete_module: 176,
  get_kernel_syms: 177, query_module: 178, quotactl: 179, nfsservctl: 180, getpmsg: 181, putpmsg: 182,
  afs_syscall: 183, tuxcall: 184, security: 185, lookup_dcookie: 212, clock_settime: 227, vserver: 236, mbind: 237,
  set_mempolicy: 238, get_mempolicy: 239, kexec_load: 246, add_key: 248, request_key: 249, keyctl: 250,
  migrate_pages: 256, unshare: 272, move_pages: 279, perf_event_open: 298, fanotify_init: 300,
  open_by_handle_at: 304, setns: 308, kcmp: 312, finit_module: 313, kexec_file_load: 320, bpf: 321,
  userfaultfd: 323, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, open_tree: 428,
  move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, pidfd_getfd: 438, process_madvise: 440,
  mount_setattr: 442, quotactl_fd: 443, set_mempolicy_home_node: 450, lsm_get_self_attr: 459,
  lsm_set_self_attr: 460, lsm_list_modules: 461, open_tree_attr: 467,
};

/** x86_64 assigns nothing to 336..423 (since 424 every architecture shares one numbering): EPERM. */
export const X86_64_UNASSIGNED = { from: 336, to: 423 };

/** The newest syscall number the shim's list was reviewed to; above it, ENOSYS. */
export const LAST_REVIEWED = 467;

/** The syscalls whose answer depends on an argument, and a few arguments with the profile's answer for each. */
export const CONDITIONAL_X86_64: { name: string; nr: number; cases: [arg0: bigint, answer: string][] }[] = [
  {
    name: 'clone', nr: 56,
    cases: [
      [0x11n /* SIGCHLD: fork */, 'allow'], [0x3d0f00n /* pthread_create's flags */, 'allow'], [0x80n /* CLONE_NEWTIME's bit: an exit signal for clone */, 'allow'],
      ...[0x20000n, 0x2000000n, 0x4000000n, 0x8000000n, 0x10000000n, 0x20000000n, 0x40000000n].map((f): [bigint, string] => [f | 0x11n, 'EPERM']),
    ],
  },
  { name: 'clone3', nr: 435, cases: [[0n, 'ENOSYS'], [0x10000000n, 'ENOSYS']] },
  {
    name: 'socket', nr: 41,
    cases: [
      [1n /* AF_UNIX */, 'allow'], [2n /* AF_INET */, 'allow'], [10n /* AF_INET6 */, 'allow'], [16n /* AF_NETLINK */, 'allow'],
      [17n /* AF_PACKET */, 'allow'], [37n, 'allow'], [38n /* AF_ALG */, 'EPERM'], [39n /* AF_NFC */, 'allow'],
      [40n /* AF_VSOCK */, 'EPERM'], [41n /* AF_KCM */, 'allow'], [45n, 'allow'],
      // The kernel reads an int: high bits set above 38 still open AF_ALG. Docker's 64-bit rule would allow it.
      [0x100000026n, 'EPERM'], [0xffffffff00000028n, 'EPERM'],
    ],
  },
  {
    name: 'personality', nr: 135,
    cases: [
      [0n, 'allow'], [8n, 'allow'], [0x20000n, 'allow'], [0x20008n, 'allow'], [0xffffffffn, 'allow'],
      [0x40000n /* ADDR_NO_RANDOMIZE */, 'EPERM'], [0x400000n /* READ_IMPLIES_EXEC */, 'EPERM'], [1n, 'EPERM'], [0x40008n, 'EPERM'],
    ],
  },
];
