// strata-fs gzip LEVEL: stdin to stdout as gzip, with libdeflate (Debian's libdeflate0), loaded at
// run time: a push's layer was bound by zlib's deflate (2.3-3 s of CPU for the 204 MB minbase tar
// at level 1, in Node's zlib or GNU gzip), where libdeflate takes 1.3 s and writes fewer bytes.
// The input is cut into 1 MiB blocks, each one gzip member (RFC 1952 allows members end to end;
// Go's gzip reader, which Docker, containerd and skopeo use, zlib and GNU gzip read them all as
// one stream). Exits 3 at once, reading nothing, when the library is not there: the helper then
// gzips in Node (distribution/parallel-gzip.ts).
//
// Blocks go two at a time, the second on a thread of its own (each with its own compressor): the
// members are the same as one at a time, so the bytes are too.
//
// Only libdeflate's stable C ABI is used (libdeflate.h: alloc_compressor, gzip_compress,
// gzip_compress_bound), declared here so that building needs no -dev package.
#include "common.h"
#include <dlfcn.h>
#include <pthread.h>

#define GZIP_BLOCK (1 << 20)

typedef void *(*alloc_compressor_fn)(int level);
typedef size_t (*gzip_compress_fn)(void *compressor, const void *in, size_t in_nbytes, void *out, size_t out_nbytes_avail);
typedef size_t (*gzip_bound_fn)(void *compressor, size_t in_nbytes);

static size_t read_full(char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(0, buf + got, n - got);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("strata-fs gzip: read");
      exit(1);
    }
    got += (size_t)r;
  }
  return got;
}

static void write_full(const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("strata-fs gzip: write");
      exit(1);
    }
    buf += w;
    n -= (size_t)w;
  }
}

static gzip_compress_fn gzip_compress;

struct block {
  void *compressor;
  char *in, *out;
  size_t n, bound, made;
};

static void *compress_block(void *arg) {
  struct block *b = arg;
  b->made = gzip_compress(b->compressor, b->in, b->n, b->out, b->bound);
  return NULL;
}

static void write_block(const struct block *b) {
  if (b->made == 0) {
    fprintf(stderr, "strata-fs gzip: libdeflate could not compress a block\n");
    exit(1);
  }
  write_full(b->out, b->made);
}

int cmd_gzip(const char *level_arg) {
  char *end;
  long level = strtol(level_arg, &end, 10);
  if (*end || level < 1 || level > 12) {
    fprintf(stderr, "strata-fs gzip: LEVEL must be 1 to 12\n");
    return 2;
  }
  void *lib = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "strata-fs gzip: libdeflate is not installed (%s)\n", dlerror());
    return 3;
  }
  alloc_compressor_fn alloc_compressor = (alloc_compressor_fn)dlsym(lib, "libdeflate_alloc_compressor");
  gzip_compress = (gzip_compress_fn)dlsym(lib, "libdeflate_gzip_compress");
  gzip_bound_fn gzip_bound = (gzip_bound_fn)dlsym(lib, "libdeflate_gzip_compress_bound");
  if (!alloc_compressor || !gzip_compress || !gzip_bound) {
    fprintf(stderr, "strata-fs gzip: libdeflate.so.0 lacks the functions it should have\n");
    return 3;
  }
  struct block blocks[2];
  for (int i = 0; i < 2; i++) {
    blocks[i].compressor = alloc_compressor((int)level);
    if (!blocks[i].compressor) {
      fprintf(stderr, "strata-fs gzip: libdeflate could not make a compressor\n");
      return 1;
    }
    blocks[i].bound = gzip_bound(blocks[i].compressor, GZIP_BLOCK);
    blocks[i].in = malloc(GZIP_BLOCK);
    blocks[i].out = malloc(blocks[i].bound);
    if (!blocks[i].in || !blocks[i].out) {
      fprintf(stderr, "strata-fs gzip: out of memory\n");
      return 1;
    }
  }
  int members = 0;
  for (;;) {
    struct block *a = &blocks[0], *b = &blocks[1];
    a->n = read_full(a->in, GZIP_BLOCK);
    // An empty input still gives one (empty) member: a file of no members is not gzip.
    if (a->n == 0 && members > 0) break;
    b->n = a->n == GZIP_BLOCK ? read_full(b->in, GZIP_BLOCK) : 0;
    pthread_t thread;
    int second = b->n > 0 && pthread_create(&thread, NULL, compress_block, b) == 0;
    compress_block(a);
    if (b->n > 0 && !second) compress_block(b);
    if (second) pthread_join(thread, NULL);
    write_block(a);
    members++;
    if (b->n > 0) {
      write_block(b);
      members++;
    }
    if (a->n < GZIP_BLOCK || b->n < GZIP_BLOCK) break;
  }
  return 0;
}
