// strata-fs send: the rest of a regular file (stdin, from its current offset) into stdout with
// sendfile, then "sent N" on stderr. What the CLI runs to upload a file (`strata import FILE`,
// `load -i FILE`) once it has written the raw channel's header and the file's first bytes: the
// kernel moves the bytes from the page cache into the socket, where Node read them into its heap
// and wrote them out again, 1 MiB at a time through its thread pool (~0.45 s of the CLI's CPU for
// the 204 MB minbase tar, on a machine whose two CPUs the import shares with the helper and its
// layer writer).
//
// This runs as the user who ran the CLI, on a file that user opened: it reads nothing else.
// stdout is the raw channel's socket, which Node keeps non-blocking: a full socket says EAGAIN,
// and the sender waits for room.
#include "common.h"
#include <poll.h>
#include <sys/sendfile.h>

int cmd_send(void) {
  struct stat st;
  if (fstat(0, &st) < 0) die("fstat", "stdin");
  // Not a regular file: sendfile would refuse it part way (a pipe) or never end (a device).
  if (!S_ISREG(st.st_mode)) fail("not a regular file", "stdin");
  // A helper that closed the channel early: say "Broken pipe" rather than die of SIGPIPE unheard.
  signal(SIGPIPE, SIG_IGN);
  long long sent = 0;
  for (;;) {
    ssize_t n = sendfile(1, 0, NULL, 1 << 30);
    if (n > 0) {
      sent += n;
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      struct pollfd p = {.fd = 1, .events = POLLOUT};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) die("poll", "stdout");
      continue;
    }
    die("sendfile", "stdout");
  }
  fprintf(stderr, "sent %lld\n", sent);
  return 0;
}
