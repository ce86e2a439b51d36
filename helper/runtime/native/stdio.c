/* Without a terminal, a container's stdio are pipes, as Docker's are. The helper (Node) hands the
 * shim socketpairs, and a socket cannot be opened again by path: `echo x > /dev/stderr`, `cat
 * /dev/stdin`, or an image whose log file is a link to /dev/stdout (nginx's) would fail with
 * ENXIO. So for each of fds 0-2 that is a socket the shim makes a pipe, the child gets the pipe's
 * end in that place, and the shim relays between the pipe and the socket (supervise.c). Any other
 * fd (/dev/null for a stdin that is not open) reaches the child as it is. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct stdio_pipes g_pipes = {.child = {-1, -1, -1}, .parent = {-1, -1, -1}};

int stdio_pipes_make(void) {
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) continue;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    /* fd 0: the child reads p[0] and the shim writes p[1]; fds 1 and 2 the other way round */
    g_pipes.child[fd] = fd == 0 ? p[0] : p[1];
    g_pipes.parent[fd] = fd == 0 ? p[1] : p[0];
  }
  return 0;
}

void stdio_pipes_child(void) {
  /* dup2 clears close-on-exec on the copy; every pipe end the shim keeps closes at execve */
  for (int fd = 0; fd < 3; fd++)
    if (g_pipes.child[fd] >= 0 && dup2(g_pipes.child[fd], fd) < 0) child_fail(EXIT_SETUP, "stdio pipe: %s", strerror(errno));
}

void stdio_pipes_parent(void) {
  for (int fd = 0; fd < 3; fd++) {
    /* the child's ends go, so that the container's last close is an EOF the shim sees */
    if (g_pipes.child[fd] >= 0) close(g_pipes.child[fd]);
    g_pipes.child[fd] = -1;
    if (g_pipes.parent[fd] >= 0) fcntl(g_pipes.parent[fd], F_SETFL, fcntl(g_pipes.parent[fd], F_GETFL) | O_NONBLOCK);
  }
}

/* After a failure before the child exists: every pipe end goes. */
void stdio_pipes_close(void) {
  for (int fd = 0; fd < 3; fd++) {
    if (g_pipes.child[fd] >= 0) close(g_pipes.child[fd]);
    if (g_pipes.parent[fd] >= 0) close(g_pipes.parent[fd]);
    g_pipes.child[fd] = g_pipes.parent[fd] = -1;
  }
}
