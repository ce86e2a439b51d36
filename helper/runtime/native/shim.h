/* strata-shim: the small native part of Strata's runtime.
 *
 * Why C: Node cannot clone into namespaces, pivot_root, setns, capset, or receive a pty master over
 * SCM_RIGHTS. The shim is the parent that stays outside the container and owns its lifetime; its
 * child becomes the container's init (run) or a process joined to a running container (exec).
 *
 * Channels with the Node helper: fds 0/1/2 are the container's stdio (or, with --tty, input to and
 * output from the pty master); fd 3 is a control socket of text lines (see supervise.c).
 * Between the shim and its child: a SOCK_SEQPACKET pair ("sync") carrying "go" (parent -> child),
 * the pty master ('T' + SCM_RIGHTS) and setup errors ('E' + exit code + text). EOF on it means
 * the child's execve succeeded (the socket is close-on-exec).
 */
#ifndef STRATA_SHIM_H
#define STRATA_SHIM_H

#define _GNU_SOURCE
#include <stddef.h>
#include <sys/types.h>

#define CTL_FD 3
#define MAX_GROUPS 64

/* Exit codes, as Docker uses them: 125 the runtime failed, 126 cannot execute, 127 not found. */
#define EXIT_SETUP 125
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

struct bind_spec {
  const char *src;
  const char *dst;
  int ro;
};

struct opts {
  const char *store_links;  /* cwd for the overlay mount: lowerdir names are relative to it */
  const char *overlay_data; /* the mount's options, whole, as helper/union/overlay-options.ts built them */
  const char *rootfs;
  struct bind_spec *binds;
  int nbinds;
  const char *hostname;
  int net_host;
  const char *cwd;
  const char *user;
  char **env; /* NULL-terminated; exactly the container's environment */
  int nenv;
  int tty;
  const char **cgroups;
  int ncgroups;
  unsigned short cols, rows;
  pid_t target_pid; /* exec */
  char **argv;      /* the command, NULL-terminated */
  /* Capabilities the process keeps (bounding, permitted, effective): --caps, else DEFAULT_CAPS */
  unsigned long long caps;
  int allow_new_privs; /* --allow-new-privs: no_new_privs is not set (--security-opt no-new-privileges=false) */
  struct rlimit_spec *rlimits; /* --rlimit NAME=SOFT:HARD, set before the user changes */
  int nrlimits;
  int init;                    /* --init (run): pid 1 is a reaper that forwards signals (init.c) */
  struct cgroupfs_spec *cgroupfs; /* --cgroupfs: the container's cgroups at /sys/fs/cgroup (rootfs.c) */
  int ncgroupfs;
};

struct rlimit_spec {
  int resource;
  unsigned long long soft, hard; /* RLIM_INFINITY for unlimited */
};

/* One cgroup file system to mount under /sys/fs/cgroup, in the container's cgroup namespace:
 * v1 NAME=CONTROLLERS (mounted at /sys/fs/cgroup/NAME with "CONTROLLERS" as its options), or
 * "cgroup2" alone (mounted at /sys/fs/cgroup itself). */
struct cgroupfs_spec {
  const char *name;
  const char *options; /* NULL: cgroup2 */
};

struct user {
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  char home[256]; /* from passwd; empty when the user has no entry */
};

/* util.c */
int write_all(int fd, const void *buf, size_t len);
void ctl_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int open_beneath(int rootfd, const char *path, int flags);
const char *fdpath(int fd, char *buf, size_t len);
int send_fd(int sock, char tag, int fd);
int send_error(int sock, int code, const char *text);

/* child.c: runs in the child, before and up to execve */
extern int g_sync;
void child_init(int sync);
__attribute__((noreturn, format(printf, 2, 3))) void child_fail(int code, const char *fmt, ...);
__attribute__((noreturn)) void finish_and_exec(const struct opts *o, int exec_mode);
/* seccomp.c: the syscall filter, installed last before execve */
void install_seccomp(void);

/* rootfs.c, dev.c, harden.c: the container's mounts (run only) */
void setup_rootfs(const struct opts *o);
void setup_dev(int rootfd);
void mask_and_protect(void);

/* Docker's default capability set without CAP_MKNOD (caps.c says why) */
#define DEFAULT_CAPS 0x00000000a00425fbULL

/* init.c: --init's reaper (pid 1), and the argv area it rewrites so ps shows what Docker shows */
extern char *g_args_start, *g_args_end;
void become_reaper_and_exec(const struct opts *o, char *const *env);
void exec_command(char *const *argv, char *const *env);
int parse_rlimit(const char *arg, struct rlimit_spec *r);
void apply_rlimits(const struct opts *o);

/* user.c, caps.c, pty.c */
void resolve_user(const char *spec, struct user *u);
void become_user(const struct user *u, unsigned long long caps);
void attach_container_pty(int sync, const struct opts *o, const struct user *u);

/* stdio.c: without a tty, pipes in place of the helper's sockets for fds 0-2 (-1: none) */
struct stdio_pipes {
  int child[3];  /* the child's end, for its fd 0, 1, 2 */
  int parent[3]; /* the shim's end: written for 0, read for 1 and 2 */
};
extern struct stdio_pipes g_pipes;
int stdio_pipes_make(void);
void stdio_pipes_child(void);
void stdio_pipes_parent(void);
void stdio_pipes_close(void);

/* run.c, exec.c, supervise.c: the parent */
pid_t spawn_child(unsigned long flags, int *pidfd);
int start_and_supervise(const struct opts *o, pid_t pid, int pidfd, int sync, int exec_mode);
int supervise(const struct opts *o, pid_t pid, int pidfd, int master, int exec_mode);
void parent_signals_init(void);
int cmd_run(struct opts *o);
int cmd_exec(struct opts *o);

/* sealed.c: run and exec re-execute themselves from a sealed memfd copy (CVE-2019-5736) */
int run_from_sealed_copy(char **argv, char *err, size_t len);

/* tools.c */
int overlay_data_fits(const char *data);
int cmd_overlay_check(struct opts *o);
int cmd_umount(int argc, char **argv);

#endif
