/* The child's first and last steps, shared by run and exec: a clean signal state, the wait for the
 * parent's "go", and the tail (user, terminal, capabilities, no_new_privs, fds, seccomp, execve). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int g_sync = -1;

void child_fail(int code, const char *fmt, ...) {
  char text[2000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (g_sync >= 0) send_error(g_sync, code, text);
  _exit(code);
}

void child_init(int sync) {
  g_sync = sync;
  /* Not dumpable until execve: a process of the container cannot ptrace us, read our memory or
   * open our /proc/PID/exe (CVE-2016-9962; that exe is a sealed copy of the shim, sealed.c,
   * CVE-2019-5736). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* If the shim dies during setup, so do we: nothing is left without an owner. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* The shim ignores SIGINT/SIGHUP/SIGPIPE and blocks SIGCHLD/SIGTERM; ignored dispositions and
   * the mask survive execve, and a shell whose SIGINT is ignored cannot be interrupted by Ctrl-C. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close(CTL_FD); /* the helper's control channel is the shim's, never the container's */
  umask(0);
  char go;
  if (recv(sync, &go, 1, 0) != 1) _exit(EXIT_SETUP); /* the parent failed or died */
}

static const char *env_path(char *const *env) {
  for (; *env; env++)
    if (strncmp(*env, "PATH=", 5) == 0) return *env + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int exec_code(int err) { return err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC; }

/* execvp-like search in the container's PATH (not the shim's), with Docker's messages and codes. */
void exec_command(char *const *argv, char *const *env) {
  const char *file = argv[0];
  if (file[0] == '\0') child_fail(EXIT_NOTFOUND, "exec: \"\": executable file not found in $PATH");
  if (strchr(file, '/')) {
    execve(file, argv, env);
    int err = errno;
    child_fail(exec_code(err), "exec: %s: %s", file, strerror(err));
  }
  const char *path = env_path(env);
  int denied = 0;
  char full[4096];
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    int dlen = (int)(end - p);
    int n = dlen == 0 ? snprintf(full, sizeof full, "%s", file) : snprintf(full, sizeof full, "%.*s/%s", dlen, p, file);
    if (n > 0 && (size_t)n < sizeof full) {
      execve(full, argv, env);
      int err = errno;
      if (err == EACCES) denied = 1;
      else if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG)
        child_fail(EXIT_NOEXEC, "exec: %s: %s", full, strerror(err));
    }
    if (*end == '\0') break;
    p = end;
  }
  if (denied) child_fail(EXIT_NOEXEC, "exec: \"%s\": permission denied", file);
  child_fail(EXIT_NOTFOUND, "exec: \"%s\": executable file not found in $PATH", file);
}

/* mkdir -p for the working directory, as Docker creates a missing WORKDIR. We are inside the
 * container's root here, so a symlink on the way stays inside it. */
static void make_cwd(const char *cwd) {
  char buf[4096];
  if (strlen(cwd) >= sizeof buf) child_fail(EXIT_SETUP, "cwd too long");
  strcpy(buf, cwd);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) child_fail(EXIT_SETUP, "mkdir %s: %s", buf, strerror(errno));
      *p = c;
      if (c == '\0') break;
    }
  }
}

/* As Docker does: HOME comes from the user's passwd entry ("/" without one) unless it was given. */
static char **env_with_home(char **env, int nenv, const struct user *u) {
  for (int i = 0; i < nenv; i++)
    if (strncmp(env[i], "HOME=", 5) == 0) return env;
  char **out = calloc((size_t)nenv + 2, sizeof *out);
  if (!out) child_fail(EXIT_SETUP, "out of memory");
  memcpy(out, env, (size_t)nenv * sizeof *out);
  static char home[sizeof u->home + 8];
  snprintf(home, sizeof home, "HOME=%s", u->home[0] ? u->home : "/");
  out[nenv] = home;
  return out;
}

void finish_and_exec(const struct opts *o, int exec_mode) {
  struct user u;
  resolve_user(o->user, &u);
  if (!exec_mode) make_cwd(o->cwd);
  /* A new session, with or without a terminal: without one, TIOCSTI on an inherited terminal
   * could push keystrokes into the caller's shell (bubblewrap CVE-2017-5226). */
  if (setsid() < 0) child_fail(EXIT_SETUP, "setsid: %s", strerror(errno));
  if (o->tty) attach_container_pty(g_sync, o, &u);
  /* still root with every capability: a hard limit may go up here, as Docker's --ulimit allows */
  apply_rlimits(o);
  /* Without no_new_privs the filter can only be installed with CAP_SYS_ADMIN in effect, so then it
   * goes in before the capabilities are dropped (runc's order); the calls after it are all in its list. */
  if (o->allow_new_privs) install_seccomp();
  become_user(&u, o->caps);
  /* the parent-death signal is cleared by the credential change; set it again */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (chdir(o->cwd) < 0) child_fail(EXIT_SETUP, "chdir to cwd (\"%s\"): %s", o->cwd, strerror(errno));
  /* setuid programs in the image cannot raise privileges again: Strata's default, which Docker
   * does not have; --security-opt no-new-privileges=false turns it off. */
  if (!o->allow_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(EXIT_SETUP, "no_new_privs: %s", strerror(errno));
  umask(022);
  /* Only 0, 1, 2 may reach the program (CVE-2024-21626 leaked a host cgroup dir fd). The sync
   * socket moves to 3, close-on-exec, to carry an execve error; everything above it is closed. */
  if (g_sync != 3) {
    if (dup3(g_sync, 3, O_CLOEXEC) < 0) child_fail(EXIT_SETUP, "dup3: %s", strerror(errno));
    g_sync = 3;
  } else {
    fcntl(3, F_SETFD, FD_CLOEXEC);
  }
  if (close_range(4, ~0U, 0) < 0) child_fail(EXIT_SETUP, "close_range: %s", strerror(errno));
  char **env = env_with_home(o->env, o->nenv, &u);
  if (!o->allow_new_privs) install_seccomp();
  if (o->init && !exec_mode) become_reaper_and_exec(o, env);
  exec_command(o->argv, env);
  _exit(EXIT_SETUP);
}
