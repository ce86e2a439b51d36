/* Small helpers shared by the parent and the child: whole writes, control lines, symlink-free
 * path resolution and messages over the sync socket. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* One line on the control channel. Newlines inside a message would split it into two protocol
 * lines, so they become spaces. Errors are ignored: the helper may be gone (SIGPIPE is ignored). */
void ctl_report(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  line[n++] = '\n';
  write_all(CTL_FD, line, (size_t)n);
}

/* Opens `path` below `rootfd` refusing every symlink on the way, including the last component.
 * The container's upper layer is writable by the container, so on the next start any mount target
 * may have become a symlink pointing at the host (CVE-2019-19921 for /proc, runc's "mount target
 * is a symlink" family): openat2's RESOLVE_NO_SYMLINKS makes that an error instead of an escape. */
int open_beneath(int rootfd, const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Mounting on "/proc/self/fd/N" acts on exactly the object that was opened and checked. */
const char *fdpath(int fd, char *buf, size_t len) {
  snprintf(buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

int send_fd(int sock, char tag, int fd) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = &tag, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int send_error(int sock, int code, const char *text) {
  char msg[2048];
  size_t n = strlen(text);
  if (n > sizeof msg - 2) n = sizeof msg - 2;
  msg[0] = 'E';
  msg[1] = (char)code;
  memcpy(msg + 2, text, n);
  return send(sock, msg, n + 2, MSG_NOSIGNAL) < 0 ? -1 : 0;
}
