// The floor of an import in C (test/bench/rows-floor.ts, floor.import.c): the least an importer
// pays that receives its tar on a unix socket from another process, hashes every byte of it
// (sha256, as an import must for its diff_id) and writes the files, then flushes them: what a
// tar reader in C beside the writer would cost with no check at all. It trusts the tar (GNU or
// ustar: files, folders, symlinks, hard links, device nodes, GNU long names; no PAX): it is only
// ever fed the bench's own tar, and must never be given anything else.
// Usage: import-floor SOCKET BASE   (prints "ready" once it listens; for each connection it
// extracts into a new folder under BASE, syncfs, and answers with the folder's path)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

// sha256 from libcrypto, loaded at run time (no headers needed), as strata-fs tar-gzip does.
typedef void *(*ctx_new_fn)(void);
typedef const void *(*md_fn)(void);
typedef int (*init_fn)(void *, const void *, void *);
typedef int (*update_fn)(void *, const void *, size_t);
typedef int (*final_fn)(void *, unsigned char *, unsigned int *);
static ctx_new_fn ctx_new;
static md_fn sha256;
static init_fn digest_init;
static update_fn digest_update;
static final_fn digest_final;

static void load_crypto(void) {
  void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!lib) { fprintf(stderr, "import-floor: %s\n", dlerror()); exit(1); }
  ctx_new = (ctx_new_fn)dlsym(lib, "EVP_MD_CTX_new");
  sha256 = (md_fn)dlsym(lib, "EVP_sha256");
  digest_init = (init_fn)dlsym(lib, "EVP_DigestInit_ex");
  digest_update = (update_fn)dlsym(lib, "EVP_DigestUpdate");
  digest_final = (final_fn)dlsym(lib, "EVP_DigestFinal_ex");
  if (!ctx_new || !sha256 || !digest_init || !digest_update || !digest_final) { fprintf(stderr, "import-floor: libcrypto lacks EVP\n"); exit(1); }
}

// The stream: the socket read in 1 MiB slots, each hashed by a second thread while this one
// parses and writes (an import on 2 CPUs would hash beside its writing, not before it).
#define SLOT (1 << 20)
#define SLOTS 8
static unsigned char ring[SLOTS][SLOT];
static size_t filled[SLOTS];
static int ended[SLOTS];
static unsigned long produced, hashed; // slots read, slots hashed
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t moved = PTHREAD_COND_INITIALIZER;
static int conn;

static void *hasher(void *ctx) {
  for (unsigned long i = 0;; i++) {
    pthread_mutex_lock(&lock);
    while (produced <= i) pthread_cond_wait(&moved, &lock);
    pthread_mutex_unlock(&lock);
    int s = i % SLOTS;
    if (filled[s]) digest_update(ctx, ring[s], filled[s]);
    int last = ended[s];
    pthread_mutex_lock(&lock);
    hashed = i + 1;
    pthread_cond_broadcast(&moved);
    pthread_mutex_unlock(&lock);
    if (last) return NULL;
  }
}

// The reader's side: the current slot and the position in it.
static unsigned long cur;
static size_t pos;

/** Reads the next slot from the socket, waiting while the hasher has not freed it. */
static void next_slot(void) {
  unsigned long i = produced;
  pthread_mutex_lock(&lock);
  while (i >= hashed + SLOTS) pthread_cond_wait(&moved, &lock);
  pthread_mutex_unlock(&lock);
  int s = i % SLOTS;
  size_t n = 0;
  int end = 0;
  while (n < SLOT) {
    ssize_t r = read(conn, ring[s] + n, SLOT - n);
    if (r < 0) die("read");
    if (r == 0) { end = 1; break; }
    n += (size_t)r;
  }
  filled[s] = n;
  ended[s] = end;
  pthread_mutex_lock(&lock);
  produced = i + 1;
  pthread_cond_broadcast(&moved);
  pthread_mutex_unlock(&lock);
  cur = i;
  pos = 0;
}

/**
 * Moves n bytes of the stream into `out`, or writes them to `fd` (>= 0) straight from the ring,
 * or skips them (out NULL, fd < 0); 0 if the stream ends first.
 */
static int consume(void *out, int fd, size_t n) {
  while (n) {
    int s = cur % SLOTS;
    if (pos == filled[s]) {
      if (ended[s]) return 0;
      next_slot();
      continue;
    }
    size_t k = filled[s] - pos < n ? filled[s] - pos : n;
    if (out) { memcpy(out, ring[s] + pos, k); out = (char *)out + k; }
    if (fd >= 0 && write(fd, ring[s] + pos, k) != (ssize_t)k) die("write");
    pos += k;
    n -= k;
  }
  return 1;
}

static int take(void *out, size_t n) { return consume(out, -1, n); }

static unsigned long long number(const char *f, int len) {
  if ((unsigned char)f[0] & 0x80) { // GNU base-256
    unsigned long long v = 0;
    for (int i = 1; i < len; i++) v = (v << 8) | (unsigned char)f[i];
    return v;
  }
  char buf[32] = {0};
  memcpy(buf, f, len < 31 ? len : 31);
  return strtoull(buf, NULL, 8);
}

static void extract(int root) {
  char h[512], longname[8192], longlink[8192];
  longname[0] = longlink[0] = 0;
  for (;;) {
    if (!take(h, 512)) { fprintf(stderr, "import-floor: no end-of-archive blocks\n"); exit(1); }
    if (h[0] == 0) { take(NULL, 512); while (take(NULL, 512)) {} return; } // the rest is hashed as it is read
    unsigned long long size = number(h + 124, 12);
    size_t padded = (size + 511) & ~(size_t)511;
    char type = h[156];
    if (type == 'L' || type == 'K') {
      char *to = type == 'L' ? longname : longlink;
      if (size >= 8192) { fprintf(stderr, "import-floor: long name too long\n"); exit(1); }
      take(to, padded);
      to[size] = 0;
      continue;
    }
    char name[8192], link[8192];
    if (longname[0]) snprintf(name, sizeof name, "%s", longname);
    else if (h[345]) snprintf(name, sizeof name, "%.155s/%.100s", h + 345, h);
    else snprintf(name, sizeof name, "%.100s", h);
    if (longlink[0]) snprintf(link, sizeof link, "%s", longlink);
    else snprintf(link, sizeof link, "%.100s", h + 157);
    longname[0] = longlink[0] = 0;
    const char *rel = name;
    while (rel[0] == '.' && rel[1] == '/') rel += 2;
    size_t len = strlen(rel);
    if (len && rel[len - 1] == '/') ((char *)rel)[--len] = 0;
    mode_t mode = number(h + 100, 8) & 07777;
    uid_t uid = number(h + 108, 8);
    gid_t gid = number(h + 116, 8);
    struct timespec times[2] = {{0, UTIME_OMIT}, {(time_t)number(h + 136, 12), 0}};
    if (len == 0 || strcmp(rel, ".") == 0) { take(NULL, padded); continue; }
    switch (type) {
      case '0': case 0: case '7': {
        int fd = openat(root, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) die(rel);
        if (!consume(NULL, fd, size)) { fprintf(stderr, "import-floor: truncated\n"); exit(1); }
        take(NULL, padded - size);
        if (fchown(fd, uid, gid) || fchmod(fd, mode) || futimens(fd, times)) die(rel);
        close(fd);
        break;
      }
      case '5':
        if (mkdirat(root, rel, mode) && errno != EEXIST) die(rel);
        // (chown drops a set-group-id bit: the mode goes on after it, as tar puts it)
        if (fchownat(root, rel, uid, gid, AT_SYMLINK_NOFOLLOW) || fchmodat(root, rel, mode, 0)) die(rel);
        take(NULL, padded);
        break;
      case '2':
        if (symlinkat(link, root, rel)) die(rel);
        if (fchownat(root, rel, uid, gid, AT_SYMLINK_NOFOLLOW)) die(rel);
        take(NULL, padded);
        break;
      case '1': {
        const char *target = link;
        while (target[0] == '.' && target[1] == '/') target += 2;
        if (linkat(root, target, root, rel, 0)) die(rel);
        take(NULL, padded);
        break;
      }
      case '3': case '4': case '6': {
        mode_t kind = type == '3' ? S_IFCHR : type == '4' ? S_IFBLK : S_IFIFO;
        if (mknodat(root, rel, kind | mode, makedev(number(h + 329, 8), number(h + 337, 8)))) die(rel);
        if (fchownat(root, rel, uid, gid, AT_SYMLINK_NOFOLLOW)) die(rel);
        take(NULL, padded);
        break;
      }
      default:
        take(NULL, padded);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: import-floor SOCKET BASE\n"); return 2; }
  load_crypto();
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  unlink(argv[1]);
  if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) || listen(srv, 4)) die("listen");
  printf("ready\n");
  fflush(stdout);
  umask(0);
  for (;;) {
    conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) die("accept");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/c-XXXXXX", argv[2]);
    if (!mkdtemp(dir)) die("mkdtemp");
    int root = open(dir, O_DIRECTORY | O_CLOEXEC);
    if (root < 0) die(dir);
    void *ctx = ctx_new();
    digest_init(ctx, sha256(), NULL);
    produced = hashed = cur = 0;
    pos = 0;
    filled[0] = 0;
    ended[0] = 0;
    pthread_t t;
    next_slot();
    pthread_create(&t, NULL, hasher, ctx);
    extract(root);
    pthread_join(t, NULL);
    unsigned char md[32];
    unsigned int mdlen = 0;
    digest_final(ctx, md, &mdlen);
    if (syncfs(root)) die("syncfs");
    close(root);
    dprintf(conn, "%s\n", dir);
    close(conn);
  }
}
