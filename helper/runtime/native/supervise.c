/* The shim's life after the child has started: one poll loop until the child is reaped.
 *
 * Control channel, fd 3, text lines:
 *   shim -> helper: "pid <host pid>", "error <text>" (setup failed), "exit <code>" (128+n: signal n)
 *   helper -> shim: "resize <cols> <rows>", "signal <n>"
 * EOF on fd 3 means the helper is gone: the container is killed so that nothing runs unowned.
 * With a tty the shim relays fd 0 -> pty master and pty master -> fd 1; without one it relays
 * between the helper's sockets and the pipes the child has as fds 0-2 (stdio.c). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct sup {
  const struct opts *o;
  pid_t pid;
  int pidfd, master, exec_mode;
  int ctl_open, in_open, out_open, out_broken;
  char ctl[1024];
  size_t ctl_len;
  char in[8192];
  size_t in_len, in_off;
  /* without a tty: input waiting for the child's stdin pipe; the helper's fd 1 or 2 gone */
  char pin[8192];
  size_t pin_len, pin_off;
  int pipe_out_broken[3];
};

/* A frozen (paused) task cannot die: thaw the container's cgroups before killing it. */
static void thaw_cgroups(const struct opts *o) {
  static const char *const files[][2] = {{"freezer.state", "THAWED"}, {"cgroup.freeze", "0"}};
  for (int i = 0; i < o->ncgroups; i++)
    for (int f = 0; f < 2; f++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", o->cgroups[i], files[f][0]);
      int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      write_all(fd, files[f][1], strlen(files[f][1]));
      close(fd);
    }
}

static void kill_child(struct sup *s) {
  syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
  /* an exec'd process is not a namespace's init: take its process group (it ran setsid) too */
  if (s->exec_mode) kill(-s->pid, SIGKILL);
  thaw_cgroups(s->o);
}

static void handle_line(struct sup *s, const char *line) {
  int a, b;
  if (sscanf(line, "resize %d %d", &a, &b) == 2) {
    if (s->master >= 0 && a > 0 && a < 65536 && b > 0 && b < 65536) {
      struct winsize ws = {.ws_row = (unsigned short)b, .ws_col = (unsigned short)a};
      ioctl(s->master, TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH to the foreground job */
    }
  } else if (sscanf(line, "signal %d", &a) == 1) {
    if (a > 0 && a < NSIG) syscall(SYS_pidfd_send_signal, s->pidfd, a, NULL, 0);
  }
}

static void read_ctl(struct sup *s) {
  ssize_t n = read(CTL_FD, s->ctl + s->ctl_len, sizeof s->ctl - 1 - s->ctl_len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    s->ctl_open = 0;
    kill_child(s);
    return;
  }
  s->ctl_len += (size_t)n;
  s->ctl[s->ctl_len] = '\0';
  char *start = s->ctl, *nl;
  while ((nl = strchr(start, '\n'))) {
    *nl = '\0';
    handle_line(s, start);
    start = nl + 1;
  }
  s->ctl_len = strlen(start);
  memmove(s->ctl, start, s->ctl_len);
  if (s->ctl_len == sizeof s->ctl - 1) s->ctl_len = 0; /* an overlong line is dropped */
}

static void copy_output(struct sup *s) {
  char buf[16384];
  ssize_t n = read(s->master, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) { /* EIO: every holder of the peer has closed it */
    s->out_open = 0;
    return;
  }
  /* if the helper stops reading, keep draining the pty so the container never blocks on it */
  if (!s->out_broken && write_all(1, buf, (size_t)n) < 0) s->out_broken = 1;
}

static void copy_input(struct sup *s) {
  if (s->in_len == 0) {
    ssize_t n = read(0, s->in, sizeof s->in);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      s->in_open = 0; /* no more input; the terminal itself stays open */
      return;
    }
    s->in_len = (size_t)n;
    s->in_off = 0;
  }
  ssize_t w = write(s->master, s->in + s->in_off, s->in_len - s->in_off);
  if (w > 0) s->in_off += (size_t)w;
  if (s->in_off >= s->in_len) s->in_len = s->in_off = 0;
}

/* The child's stdout or stderr pipe (fd 1 or 2) -> the helper's socket in the same place. */
static void relay_out(struct sup *s, int fd) {
  char buf[16384];
  ssize_t n = read(g_pipes.parent[fd], buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) { /* every writer (the container's processes) has closed it */
    close(g_pipes.parent[fd]);
    g_pipes.parent[fd] = -1;
    return;
  }
  /* as with the pty: if the helper stops reading, keep draining so the container never blocks */
  if (!s->pipe_out_broken[fd] && write_all(fd, buf, (size_t)n) < 0) s->pipe_out_broken[fd] = 1;
}

/* The helper's fd 0 -> the child's stdin pipe; EOF from the helper closes the pipe. */
static void relay_in(struct sup *s) {
  int to = g_pipes.parent[0];
  if (s->pin_len == 0) {
    ssize_t n = read(0, s->pin, sizeof s->pin);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      close(to);
      g_pipes.parent[0] = -1;
      return;
    }
    s->pin_len = (size_t)n;
    s->pin_off = 0;
  }
  ssize_t w = write(to, s->pin + s->pin_off, s->pin_len - s->pin_off);
  if (w < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (w < 0) { /* EPIPE: no process reads the container's stdin any more; its input goes nowhere */
    close(to);
    g_pipes.parent[0] = -1;
    s->pin_len = s->pin_off = 0;
    return;
  }
  s->pin_off += (size_t)w;
  if (s->pin_off >= s->pin_len) s->pin_len = s->pin_off = 0;
}

static void drain_pipes(struct sup *s) {
  /* After the child's exit: the rest of its output, until every writer has closed the pipes.
   * The timeout only matters for an exec'd process whose background jobs still hold them. */
  if (g_pipes.parent[0] >= 0) close(g_pipes.parent[0]);
  g_pipes.parent[0] = -1;
  for (;;) {
    struct pollfd p[2];
    int n = 0, fds[2];
    for (int fd = 1; fd <= 2; fd++)
      if (g_pipes.parent[fd] >= 0) fds[n] = fd, p[n++] = (struct pollfd){.fd = g_pipes.parent[fd], .events = POLLIN};
    if (n == 0 || poll(p, (nfds_t)n, 200) <= 0) break;
    for (int i = 0; i < n; i++)
      if (p[i].revents) relay_out(s, fds[i]);
  }
}

static void drain_output(struct sup *s) {
  /* After the child's exit: the rest of its output, until EIO. The timeout only matters for an
   * exec'd process whose background jobs still hold the terminal. */
  while (s->out_open) {
    struct pollfd p = {.fd = s->master, .events = POLLIN};
    if (poll(&p, 1, 200) <= 0) break;
    copy_output(s);
  }
}

int supervise(const struct opts *o, pid_t pid, int pidfd, int master, int exec_mode) {
  struct sup s = {.o = o, .pid = pid, .pidfd = pidfd, .master = master, .exec_mode = exec_mode, .ctl_open = 1};
  s.in_open = s.out_open = master >= 0;
  if (master >= 0) fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int timeout = sfd < 0 ? 100 : -1; /* without a signalfd, look for the child's exit by polling */
  int status = 0, reaped = 0;
  while (!reaped) {
    struct pollfd p[7];
    int n = 0, ic = -1, im = -1, ii = -1, po[3] = {-1, -1, -1};
    p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (s.ctl_open) ic = n, p[n++] = (struct pollfd){.fd = CTL_FD, .events = POLLIN};
    if (s.out_open) im = n, p[n++] = (struct pollfd){.fd = master, .events = (short)(POLLIN | (s.in_len ? POLLOUT : 0))};
    if (s.in_open && s.out_open && s.in_len == 0) ii = n, p[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    /* without a tty: stdin (from the helper while nothing waits, else into the pipe), stdout, stderr */
    if (g_pipes.parent[0] >= 0) po[0] = n, p[n++] = s.pin_len ? (struct pollfd){.fd = g_pipes.parent[0], .events = POLLOUT} : (struct pollfd){.fd = 0, .events = POLLIN};
    for (int fd = 1; fd <= 2; fd++)
      if (g_pipes.parent[fd] >= 0) po[fd] = n, p[n++] = (struct pollfd){.fd = g_pipes.parent[fd], .events = POLLIN};
    if (poll(p, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    /* control first: a resize written before some input takes effect before that input */
    if (ic >= 0 && p[ic].revents) read_ctl(&s);
    if (p[0].revents || sfd < 0) {
      struct signalfd_siginfo si;
      while (sfd >= 0 && read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo == SIGTERM) kill_child(&s); /* stopping the shim stops its container */
      if (waitpid(pid, &status, WNOHANG) == pid) reaped = 1;
    }
    if (im >= 0 && (p[im].revents & POLLOUT)) copy_input(&s);
    if (im >= 0 && (p[im].revents & (POLLIN | POLLHUP | POLLERR))) copy_output(&s);
    if (ii >= 0 && p[ii].revents) copy_input(&s);
    if (po[0] >= 0 && p[po[0]].revents) relay_in(&s);
    for (int fd = 1; fd <= 2; fd++)
      if (po[fd] >= 0 && p[po[fd]].revents) relay_out(&s, fd);
  }
  if (!reaped) waitpid(pid, &status, 0);
  if (master >= 0) drain_output(&s);
  drain_pipes(&s);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  if (s.ctl_open) ctl_report("exit %d", code);
  return code;
}
