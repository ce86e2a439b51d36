// strata-fs tar-gzip DIR SIZE DIFFID LEVEL < plan: an imported layer's tar made again from its
// tar-split and its folder DIR, checked, and gzip'd (gzip.c's members), for a push; LEVEL 0: the
// tar as it is, for a save, written straight into the download's socket (engine/downloads.ts):
// a save of the minbase image took 1.0 s of the helper's CPU and 1.47 s, now 0.3 s and 0.70 s. The helper
// reads the split and sends its plan; this process reads the files, checks each one's CRC-32 and
// the whole tar's length and sha256, and compresses. The tar's 204 MB (the minbase layer) then
// never crosses into Node and back out to a gzip process (measured: a push's helper spent 0.65 s
// of CPU on that, the tar's sha256 and the CRC-32s, on two shared CPUs beside the gzip).
//
// The plan, in tar order (numbers little-endian):
//   'R' u32 n, n bytes                 raw bytes of the tar (headers, padding, the end)
//   'F' u32 n, n bytes path, u64 size, u32 crc
//                                      the data of the regular file at path (beneath DIR)
//   'E' u64 total                      the end: the tar is `total` bytes (the split's own count)
//
// The same guarantee as reproduce.ts: nothing that is not the layer's tar is ever let through
// whole. The last block is held back until the tar's length is SIZE and its sha256 DIFFID; a
// file that is not what was imported stops the stream. Then it exits 4 with one line on stderr:
//   unreproducible file INDEX crc            (INDEX: the plan's files, from 0)
//   unreproducible file INDEX REASON         (gone, not a regular file of its size, shorter)
//   unreproducible length N                  (the tar came out N bytes long, less than SIZE)
//   unreproducible longer                    (the tar came out longer than SIZE)
//   unreproducible digest sha256:HEX
// Files are opened beneath DIR like every path of this tool (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS for the parent, O_NOFOLLOW for the file): a symlink planted in the layer
// folder never makes this root process read, and send, a file outside it.
//
// `strata-fs tar-gzip check` exits 0 when libdeflate and libcrypto (sha256) both load, else 3.
#include "common.h"
#include <dlfcn.h>

typedef void *(*md_ctx_new_fn)(void);
typedef const void *(*sha256_fn)(void);
typedef int (*digest_init_fn)(void *ctx, const void *type, void *engine);
typedef int (*digest_update_fn)(void *ctx, const void *d, size_t n);
typedef int (*digest_final_fn)(void *ctx, unsigned char *md, unsigned int *n);
typedef uint32_t (*crc32_fn)(uint32_t crc, const void *buf, size_t len);

static struct {
  md_ctx_new_fn ctx_new;
  sha256_fn sha256;
  digest_init_fn init;
  digest_update_fn update;
  digest_final_fn final;
} evp;

static int crypto_available(void) {
  void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "strata-fs: libcrypto is not installed (%s)\n", dlerror());
    return 0;
  }
  evp.ctx_new = (md_ctx_new_fn)dlsym(lib, "EVP_MD_CTX_new");
  evp.sha256 = (sha256_fn)dlsym(lib, "EVP_sha256");
  evp.init = (digest_init_fn)dlsym(lib, "EVP_DigestInit_ex");
  evp.update = (digest_update_fn)dlsym(lib, "EVP_DigestUpdate");
  evp.final = (digest_final_fn)dlsym(lib, "EVP_DigestFinal_ex");
  if (!evp.ctx_new || !evp.sha256 || !evp.init || !evp.update || !evp.final) {
    fprintf(stderr, "strata-fs: libcrypto.so.3 lacks the functions it should have\n");
    return 0;
  }
  return 1;
}

static void unreproducible(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void unreproducible(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("unreproducible ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  // What was made before this point (whole blocks, the layer's own bytes) still goes out, as it
  // would have from reproduce.ts's stream: the upload it feeds is cut off by the exit, not before.
  gz_end();
  exit(4);
}

static void plan_read(void *buf, size_t n) {
  if (n > 0 && fread(buf, 1, n, stdin) != n) fail("the plan was cut short", "stdin");
}

static uint32_t plan_u32(void) {
  unsigned char b[4];
  plan_read(b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t plan_u64(void) {
  uint64_t lo = plan_u32();
  return lo | (uint64_t)plan_u32() << 32;
}

// The block being filled, and what the tar has made so far.
static struct {
  void *sha;
  char *block;
  size_t used;
  uint64_t total, size;
} tar;

// Hands the full block over (hashed first) and takes the next: only when more bytes come, so the
// last block is still here when the plan ends.
static char *room(size_t *n) {
  // More bytes where the tar should already have ended: the block holding its last byte stays here.
  if (tar.total >= tar.size) unreproducible("longer");
  if (tar.used == GZIP_BLOCK) {
    evp.update(tar.sha, tar.block, tar.used);
    gz_filled(tar.used);
    tar.block = gz_block();
    tar.used = 0;
  }
  *n = GZIP_BLOCK - tar.used;
  return tar.block + tar.used;
}

static void grew(size_t n) {
  tar.used += n;
  tar.total += n;
  if (tar.total > tar.size) unreproducible("longer");
}

static void raw(uint32_t n) {
  while (n > 0) {
    size_t can;
    char *to = room(&can);
    size_t take = n < can ? n : can;
    plan_read(to, take);
    grew(take);
    n -= (uint32_t)take;
  }
}

static void file(long index, const char *path, uint64_t size, uint32_t want, crc32_fn crc32) {
  int fd = open_regular(NULL, path, (long long)size);
  if (fd == OPEN_CHANGED) unreproducible("file %ld not a regular file of %llu bytes", index, (unsigned long long)size);
  if (fd < 0) unreproducible("file %ld gone (%s)", index, strerror(errno));
  uint32_t crc = 0;
  for (uint64_t left = size; left > 0;) {
    size_t can;
    char *to = room(&can);
    ssize_t r = read(fd, to, left < can ? (size_t)left : can);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read", path);
    if (r == 0) unreproducible("file %ld shorter than %llu bytes", index, (unsigned long long)size);
    crc = crc32(crc, to, (size_t)r);
    grew((size_t)r);
    left -= (uint64_t)r;
  }
  close(fd);
  if (crc != want) unreproducible("file %ld crc", index);
}

int cmd_tar_gzip(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[2], "check") == 0) return gz_available() && crypto_available() ? 0 : 3;
  if (argc != 6) {
    fprintf(stderr, "usage: strata-fs tar-gzip DIR SIZE DIFFID LEVEL < plan | tar-gzip check\n");
    return 2;
  }
  const char *dir = argv[2], *diff_id = argv[4];
  long long size = number(argv[3], "SIZE");
  long long level = number(argv[5], "LEVEL");
  if (size < 0 || level < 0 || level > 12 || strncmp(diff_id, "sha256:", 7) != 0 || strlen(diff_id) != 7 + 64) {
    fprintf(stderr, "strata-fs tar-gzip: bad SIZE, LEVEL or DIFFID\n");
    return 2;
  }
  if (!crypto_available()) return 3;
  int started = gz_start(level);
  if (started) return started;
  crc32_fn crc32 = (crc32_fn)gz_symbol("libdeflate_crc32");
  root_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root_fd < 0) die("open", dir);
  static char in[1 << 20];
  setvbuf(stdin, in, _IOFBF, sizeof in);
  tar.sha = evp.ctx_new();
  if (!tar.sha || evp.init(tar.sha, evp.sha256(), NULL) != 1) fail("cannot start a sha256", "libcrypto");
  tar.size = (uint64_t)size;
  tar.block = gz_block();
  char *path = NULL;
  long files = 0;
  for (;;) {
    int kind = getc(stdin);
    if (kind == 'R') raw(plan_u32());
    else if (kind == 'F') {
      uint32_t n = plan_u32();
      if (n == 0 || n > 1 << 16) fail("a path in the plan is empty or too long", "stdin");
      path = xrealloc(path, n + 1);
      plan_read(path, n);
      path[n] = '\0';
      if (memchr(path, '\0', n)) fail("a path in the plan has a NUL byte", "stdin");
      uint64_t fsize = plan_u64();
      file(files++, path, fsize, plan_u32(), crc32);
    } else if (kind == 'E') {
      uint64_t said = plan_u64();
      if (getc(stdin) != EOF) fail("the plan goes on after its end", "stdin");
      if (said != tar.size) fail("the plan's tar length is not SIZE", "stdin");
      break;
    } else fail(kind == EOF ? "the plan was cut short" : "the plan has an unknown record", "stdin");
  }
  if (tar.total != tar.size) unreproducible("length %llu", (unsigned long long)tar.total);
  unsigned char md[32];
  unsigned int mdlen = 0;
  evp.update(tar.sha, tar.block, tar.used);
  if (evp.final(tar.sha, md, &mdlen) != 1 || mdlen != 32) fail("cannot finish the sha256", "libcrypto");
  char hex[7 + 65] = "sha256:";
  for (int i = 0; i < 32; i++) sprintf(hex + 7 + 2 * i, "%02x", md[i]);
  if (strcmp(hex, diff_id) != 0) unreproducible("digest %s", hex);
  // The tar is the layer's: its last block may go.
  gz_filled(tar.used);
  gz_end();
  return 0;
}
