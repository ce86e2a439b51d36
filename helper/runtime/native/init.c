/* --init and --ulimit: the last steps of the container's init before the command runs.
 *
 * --init (Docker's tini): pid 1 of the container stays this process, a reaper, and the command
 * runs as its child. A pid namespace's init is the parent of every orphan in it; a command that
 * never wait()s for children it did not start (sleep, a JVM, node) leaves them as zombies until
 * the container ends. The reaper reaps every child, forwards every signal it gets (stop's
 * SIGTERM, kill's signal) to the command, and exits with the command's code (128+n when a signal
 * n ended it) as soon as the command ends, as tini does. It runs after every other step (user,
 * capabilities, no_new_privs, seccomp), so it has exactly the command's privileges; it is not
 * dumpable (child_init), so nothing in the container can ptrace it or read its memory.
 * Not an execve of a separate init binary: the shim is linked against the host's libc, which an
 * image need not have, and a host file bound into the container is one more thing to protect.
 * /proc/1/cmdline is rewritten to Docker's "/sbin/docker-init -- CMD...", so ps and top show what
 * Docker shows instead of the shim's options (which name host paths). */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

char *g_args_start, *g_args_end;

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"as", RLIMIT_AS},       {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},           {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE}, {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},   {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},   {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

static int parse_limit(const char *s, const char *end, unsigned long long *out) {
  if (end - s == 2 && strncmp(s, "-1", 2) == 0) {
    *out = RLIM_INFINITY;
    return 0;
  }
  if (s == end) return -1;
  unsigned long long v = 0;
  for (const char *p = s; p < end; p++) {
    if (*p < '0' || *p > '9' || v > (~0ULL - 9) / 10) return -1;
    v = v * 10 + (unsigned)(*p - '0');
  }
  *out = v;
  return 0;
}

/* NAME=SOFT:HARD (-1: unlimited); the helper checks names and soft <= hard too (engine/run-options.ts) */
int parse_rlimit(const char *arg, struct rlimit_spec *r) {
  const char *eq = strchr(arg, '=');
  if (!eq) return -1;
  r->resource = -1;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (strlen(rlimit_names[i].name) == (size_t)(eq - arg) && strncmp(arg, rlimit_names[i].name, (size_t)(eq - arg)) == 0)
      r->resource = rlimit_names[i].resource;
  const char *colon = strchr(eq + 1, ':');
  if (r->resource < 0 || !colon) return -1;
  if (parse_limit(eq + 1, colon, &r->soft) < 0 || parse_limit(colon + 1, colon + strlen(colon), &r->hard) < 0) return -1;
  if (r->hard != RLIM_INFINITY && (r->soft == RLIM_INFINITY || r->soft > r->hard)) return -1;
  return 0;
}

void apply_rlimits(const struct opts *o) {
  for (int i = 0; i < o->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = o->rlimits[i].soft, .rlim_max = o->rlimits[i].hard};
    if (setrlimit(o->rlimits[i].resource, &rl) < 0) {
      const char *name = "?";
      for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
        if (rlimit_names[k].resource == o->rlimits[i].resource) name = rlimit_names[k].name;
      child_fail(EXIT_SETUP, "setrlimit %s: %s", name, strerror(errno));
    }
  }
}

/* Writes "/sbin/docker-init -- CMD..." over the shim's own argument strings (the area the kernel
 * shows as /proc/PID/cmdline), NUL-filling the rest; what does not fit is cut. */
static void rewrite_cmdline(char *const *argv) {
  if (!g_args_start || g_args_end <= g_args_start) return;
  size_t room = (size_t)(g_args_end - g_args_start), used = 0;
  char *buf = calloc(room, 1);
  if (!buf) return;
  const char *head[] = {"/sbin/docker-init", "--"};
  for (int i = 0; i < 2 + 4096 && used < room; i++) {
    const char *word = i < 2 ? head[i] : argv[i - 2];
    if (!word) break;
    size_t n = strlen(word) + 1;
    if (used + n > room) n = room - used;
    memcpy(buf + used, word, n);
    used += n;
  }
  buf[room - 1] = '\0'; /* the last byte stays NUL: the kernel shows the whole area, not a setproctitle string */
  memcpy(g_args_start, buf, room);
  free(buf);
}

static int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

void become_reaper_and_exec(const struct opts *o, char *const *env) {
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  /* Blocked, not ignored: the kernel drops a signal that pid 1 of a namespace has left at its
   * default action, but queues one that is blocked, and sigwaitinfo takes it from there. */
  sigprocmask(SIG_SETMASK, &all, NULL);
  pid_t child = fork();
  if (child < 0) child_fail(EXIT_SETUP, "--init: fork: %s", strerror(errno));
  if (child == 0) {
    /* Its own process group, in the foreground of the terminal if there is one (as tini): a
     * Ctrl-C reaches the command once, not also through the reaper. */
    setpgid(0, 0);
    if (o->tty) tcsetpgrp(0, getpid());
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    sigprocmask(SIG_SETMASK, &none, NULL);
    exec_command(o->argv, env); /* reports an exec failure on the sync socket, as without --init */
    _exit(EXIT_SETUP);
  }
  /* Our copy of the sync socket closes: the shim sees EOF once the command's execve succeeded. */
  close(g_sync);
  g_sync = -1;
  prctl(PR_SET_NAME, "docker-init", 0, 0, 0);
  rewrite_cmdline(o->argv);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == child) _exit(exit_code_of(status)); /* the others die with the namespace */
  }
}
