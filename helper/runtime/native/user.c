/* --user NAME|UID[:GROUP|GID], resolved from the container's /etc/passwd and /etc/group by hand.
 * Never getpwnam: it would load NSS modules named by the container's nsswitch.conf, i.e. run code
 * from the image inside this host binary while it is still root with every capability. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DB (4 << 20)

/* All of fd (`size` bytes by fstat) in a new NUL-terminated buffer; NULL with errno on an error. */
static char *read_all(int fd, size_t size) {
  char *buf = malloc(size + 1);
  if (!buf) return NULL;
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      free(buf);
      errno = err;
      return NULL;
    }
    if (n == 0) break; /* it shrank since fstat: what it holds now is the file */
    got += (size_t)n;
  }
  buf[got] = '\0';
  return buf;
}

/* Reads a small regular file. O_NONBLOCK and the S_ISREG check: the image may have made it a
 * FIFO or a device to hang or confuse us. A missing file is an empty database. Any other failure,
 * a read error included, is NULL with the reason in `why`: a file read in part or not at all and
 * taken as whole would start the process with the wrong groups or home, or call a user missing. */
static char *read_db(const char *path, char *why, size_t len) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  char *buf = NULL;
  const char *problem = NULL;
  if (fd < 0 && errno == ENOENT) {
    if (!(buf = calloc(1, 1))) problem = strerror(errno);
  } else if (fd < 0 || fstat(fd, &st) < 0) {
    problem = strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (st.st_size > MAX_DB) {
    problem = "larger than 4 MiB";
  } else if (!(buf = read_all(fd, (size_t)st.st_size))) {
    problem = strerror(errno);
  }
  if (fd >= 0) close(fd);
  if (problem) snprintf(why, len, "unable to read the container's %s: %s", path, problem);
  return buf;
}

/* Splits one line into at most `max` ':'-separated fields in place; returns the count. */
static int split_fields(char *line, char **f, int max) {
  int n = 0;
  f[n++] = line;
  for (char *p = line; *p && n < max; p++)
    if (*p == ':') {
      *p = '\0';
      f[n++] = p + 1;
    }
  return n;
}

static int parse_id(const char *s, unsigned *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v > 0x7fffffffUL || s[0] == '-') return -1;
  *out = (unsigned)v;
  return 0;
}

/* Calls fn for each line's fields; stops when fn returns non-zero. */
static void each_entry(char *db, int nfields, int (*fn)(char **f, void *ctx), void *ctx) {
  char *save = NULL;
  for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#') continue;
    char *f[8] = {0};
    if (split_fields(line, f, nfields) < nfields) continue;
    if (fn(f, ctx)) return;
  }
}

struct pw_query {
  const char *name;
  unsigned uid;
  int by_id, found;
  char matched[256];
  char home[256];
  unsigned puid, pgid;
};

static int pw_match(char **f, void *ctx) {
  struct pw_query *q = ctx;
  unsigned uid, gid;
  if (parse_id(f[2], &uid) || parse_id(f[3], &gid)) return 0;
  if (q->by_id ? uid != q->uid : strcmp(f[0], q->name) != 0) return 0;
  q->found = 1;
  q->puid = uid;
  q->pgid = gid;
  snprintf(q->matched, sizeof q->matched, "%s", f[0]);
  snprintf(q->home, sizeof q->home, "%s", f[5]);
  return 1;
}

struct gr_query {
  const char *name; /* group name to find, or NULL */
  const char *member; /* user whose supplementary groups are wanted, or NULL */
  int found;
  unsigned gid;
  struct user *u;
};

static int gr_match(char **f, void *ctx) {
  struct gr_query *q = ctx;
  unsigned gid;
  if (parse_id(f[2], &gid)) return 0;
  if (q->name) {
    if (strcmp(f[0], q->name) != 0) return 0;
    q->found = 1;
    q->gid = gid;
    return 1;
  }
  char *save = NULL;
  for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
    if (strcmp(m, q->member) == 0 && q->u->ngroups < MAX_GROUPS) {
      if (gid != q->u->groups[0]) q->u->groups[q->u->ngroups++] = gid;
      break;
    }
  return 0;
}

void resolve_user(const char *spec, struct user *u) {
  char buf[512];
  memset(u, 0, sizeof *u);
  snprintf(buf, sizeof buf, "%s", spec[0] ? spec : "0");
  char *group = strchr(buf, ':');
  if (group) *group++ = '\0';
  char why[512];
  char *passwd = read_db("/etc/passwd", why, sizeof why);
  if (!passwd) child_fail(EXIT_SETUP, "%s", why);
  struct pw_query pq = {.name = buf};
  pq.by_id = parse_id(buf, &pq.uid) == 0;
  each_entry(passwd, 7, pw_match, &pq);
  free(passwd);
  if (!pq.found && !pq.by_id) child_fail(EXIT_SETUP, "unable to find user %s: no matching entries in passwd file", buf);
  u->uid = pq.found ? pq.puid : pq.uid;
  u->gid = pq.found ? pq.pgid : 0;
  if (pq.found) snprintf(u->home, sizeof u->home, "%s", pq.home);
  char *grdb = read_db("/etc/group", why, sizeof why);
  if (!grdb) child_fail(EXIT_SETUP, "%s", why);
  if (group) {
    unsigned gid;
    if (parse_id(group, &gid) == 0) {
      u->gid = gid;
    } else {
      struct gr_query gq = {.name = group};
      each_entry(grdb, 4, gr_match, &gq);
      if (!gq.found) child_fail(EXIT_SETUP, "unable to find group %s: no matching entries in group file", group);
      u->gid = gq.gid;
    }
  }
  /* The primary group is also the first supplementary group, as Docker has set it since 20.10.18.
   * Threat (CVE-2022-36109): a process whose group list lacks its primary group can leave that
   * group (newgrp, sg, a setgid program) and so escape a "negative" group permission (a file that
   * denies its group what it grants others, e.g. mode 0705), which the image's author meant to hold. */
  u->groups[0] = u->gid;
  u->ngroups = 1;
  if (!group && pq.found) {
    /* the user's other groups from /etc/group only when no group was given, as runc does */
    struct gr_query gq = {.member = pq.matched, .u = u};
    each_entry(grdb, 4, gr_match, &gq);
  }
  free(grdb);
}
