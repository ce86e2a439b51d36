// strata-fs gzip LEVEL: stdin to stdout as gzip, with libdeflate (Debian's libdeflate0), loaded at
// run time: a push's layer was bound by zlib's deflate (2.3-3 s of CPU for the 204 MB minbase tar
// at level 1, in Node's zlib or GNU gzip), where libdeflate takes 1.3 s and writes fewer bytes.
// The input is cut into 1 MiB blocks, each one gzip member (RFC 1952 allows members end to end;
// Go's gzip reader, which Docker, containerd and skopeo use, zlib and GNU gzip read them all as
// one stream). Exits 3 at once, reading nothing, when the library is not there: the helper then
// gzips in Node (distribution/parallel-gzip.ts).
//
// Filling, compressing and writing blocks overlap (a compressor thread per CPU and a writer
// thread, with a ring of blocks between them and the thread that fills them): blocks that went two
// at a time, read, then compressed, then written, kept the tar's maker and the compressor waiting
// on each other through a 64 KB pipe, so a push took the tar's time plus the gzip's (2.2 s for
// the minbase layer, against 1.0 s for its tar alone; now 1.4 s). Each block is its own member,
// so the bytes do not depend on how many threads made them.
//
// The pipeline (gz_*) also serves tar-gzip.c, which fills the blocks with a layer's tar. Level 0
// (tar-gzip's only) compresses nothing: the writer thread writes each block as it was filled, for
// a save's plain layer tar, still made beside its writing.
//
// Only libdeflate's stable C ABI is used (libdeflate.h: alloc_compressor, gzip_compress,
// gzip_compress_bound, crc32), declared here so that building needs no -dev package.
#include "common.h"
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>

typedef void *(*alloc_compressor_fn)(int level);
typedef size_t (*gzip_compress_fn)(void *compressor, const void *in, size_t in_nbytes, void *out, size_t out_nbytes_avail);
typedef size_t (*gzip_bound_fn)(void *compressor, size_t in_nbytes);

// stdout may be a download's socket that the helper handed over (a save's layer tar), which Node
// keeps non-blocking: a full socket then says EAGAIN, and the writer waits for room.
static void write_full(const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {.fd = 1, .events = POLLOUT};
        if (poll(&p, 1, -1) < 0 && errno != EINTR) {
          perror("strata-fs gzip: poll");
          exit(1);
        }
        continue;
      }
      perror("strata-fs gzip: write");
      exit(1);
    }
    buf += w;
    n -= (size_t)w;
  }
}

static gzip_compress_fn gzip_compress;
static void *libdeflate;

// Blocks in flight (ring.slots_n): enough for every compressor to have one while one is filled, one
// written and one waits its turn to be written.
#define MAX_WORKERS 8
#define SLOTS (MAX_WORKERS + 3)

enum slot_state { FREE, FILLED, COMPRESSED };

struct slot {
  enum slot_state state;
  char *in, *out;
  size_t n, made;
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  struct slot slots[SLOTS];
  size_t bound;
  long filled;           // blocks handed over so far (the next one to fill is this one)
  long next_to_compress; // the lowest block no compressor has taken
  int ended;             // no block will follow the `filled` ones
  int plain;             // level 0: blocks are written as filled, with no compressor
  int workers, slots_n;
  pthread_t threads[MAX_WORKERS + 1];
} ring = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static void *compressor_thread(void *compressor) {
  pthread_mutex_lock(&ring.lock);
  for (;;) {
    long i = ring.next_to_compress;
    if (i >= ring.filled) {
      if (ring.ended) break;
      pthread_cond_wait(&ring.changed, &ring.lock);
      continue;
    }
    struct slot *s = &ring.slots[i % ring.slots_n];
    ring.next_to_compress++;
    pthread_mutex_unlock(&ring.lock);
    size_t made = gzip_compress(compressor, s->in, s->n, s->out, ring.bound);
    pthread_mutex_lock(&ring.lock);
    s->made = made;
    s->state = COMPRESSED;
    pthread_cond_broadcast(&ring.changed);
  }
  pthread_mutex_unlock(&ring.lock);
  return NULL;
}

// Writes the members in order, freeing each slot to be filled again.
static void *writer_thread(void *unused) {
  (void)unused;
  for (long i = 0;; i++) {
    struct slot *s = &ring.slots[i % ring.slots_n];
    pthread_mutex_lock(&ring.lock);
    enum slot_state ready = ring.plain ? FILLED : COMPRESSED;
    while (!(i < ring.filled && s->state == ready) && !(ring.ended && i >= ring.filled)) pthread_cond_wait(&ring.changed, &ring.lock);
    int done = i >= ring.filled;
    pthread_mutex_unlock(&ring.lock);
    if (done) return NULL;
    if (ring.plain) {
      write_full(s->in, s->n);
    } else {
      if (s->made == 0) {
        fprintf(stderr, "strata-fs gzip: libdeflate could not compress a block\n");
        exit(1);
      }
      write_full(s->out, s->made);
    }
    pthread_mutex_lock(&ring.lock);
    s->state = FREE;
    pthread_cond_broadcast(&ring.changed);
    pthread_mutex_unlock(&ring.lock);
  }
}

void *gz_symbol(const char *name) {
  return libdeflate ? dlsym(libdeflate, name) : NULL;
}

int gz_available(void) {
  if (!libdeflate) libdeflate = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!libdeflate) {
    fprintf(stderr, "strata-fs: libdeflate is not installed (%s)\n", dlerror());
    return 0;
  }
  if (!dlsym(libdeflate, "libdeflate_alloc_compressor") || !dlsym(libdeflate, "libdeflate_gzip_compress") ||
      !dlsym(libdeflate, "libdeflate_gzip_compress_bound") || !dlsym(libdeflate, "libdeflate_crc32")) {
    fprintf(stderr, "strata-fs: libdeflate.so.0 lacks the functions it should have\n");
    return 0;
  }
  return 1;
}

int gz_start(long level) {
  if (!gz_available()) return 3;
  alloc_compressor_fn alloc_compressor = (alloc_compressor_fn)gz_symbol("libdeflate_alloc_compressor");
  gzip_compress = (gzip_compress_fn)gz_symbol("libdeflate_gzip_compress");
  gzip_bound_fn gzip_bound = (gzip_bound_fn)gz_symbol("libdeflate_gzip_compress_bound");
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  ring.plain = level == 0;
  ring.workers = ring.plain ? 0 : cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
  ring.slots_n = ring.workers + 3;
  void *compressors[MAX_WORKERS];
  for (int w = 0; w < ring.workers; w++) {
    compressors[w] = alloc_compressor((int)level);
    if (!compressors[w]) {
      fprintf(stderr, "strata-fs gzip: libdeflate could not make a compressor\n");
      return 1;
    }
  }
  ring.bound = ring.plain ? 0 : gzip_bound(compressors[0], GZIP_BLOCK);
  for (int i = 0; i < ring.slots_n; i++) {
    ring.slots[i].in = malloc(GZIP_BLOCK);
    ring.slots[i].out = ring.plain ? NULL : malloc(ring.bound);
    if (!ring.slots[i].in || (!ring.plain && !ring.slots[i].out)) {
      fprintf(stderr, "strata-fs gzip: out of memory\n");
      return 1;
    }
  }
  for (int t = 0; t <= ring.workers; t++) {
    int err = t < ring.workers ? pthread_create(&ring.threads[t], NULL, compressor_thread, compressors[t])
                               : pthread_create(&ring.threads[t], NULL, writer_thread, NULL);
    if (err) {
      fprintf(stderr, "strata-fs gzip: cannot start a thread: %s\n", strerror(err));
      return 1;
    }
  }
  return 0;
}

char *gz_block(void) {
  struct slot *s = &ring.slots[ring.filled % ring.slots_n];
  pthread_mutex_lock(&ring.lock);
  while (s->state != FREE) pthread_cond_wait(&ring.changed, &ring.lock);
  pthread_mutex_unlock(&ring.lock);
  return s->in;
}

void gz_filled(size_t n) {
  pthread_mutex_lock(&ring.lock);
  struct slot *s = &ring.slots[ring.filled % ring.slots_n];
  s->n = n;
  s->state = FILLED;
  ring.filled++;
  pthread_cond_broadcast(&ring.changed);
  pthread_mutex_unlock(&ring.lock);
}

void gz_end(void) {
  pthread_mutex_lock(&ring.lock);
  ring.ended = 1;
  pthread_cond_broadcast(&ring.changed);
  pthread_mutex_unlock(&ring.lock);
  for (int t = 0; t <= ring.workers; t++) pthread_join(ring.threads[t], NULL);
}

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

int cmd_gzip(const char *level_arg) {
  char *end;
  long level = strtol(level_arg, &end, 10);
  if (*end || level < 1 || level > 12) {
    fprintf(stderr, "strata-fs gzip: LEVEL must be 1 to 12\n");
    return 2;
  }
  int started = gz_start(level);
  if (started) return started;
  for (long blocks = 0;; blocks++) {
    char *in = gz_block();
    size_t n = read_full(in, GZIP_BLOCK);
    // An empty input still gives one (empty) member: a file of no members is not gzip. Otherwise
    // a read of nothing is the end, and a short block the last one.
    if (n > 0 || blocks == 0) gz_filled(n);
    if (n < GZIP_BLOCK) break;
  }
  gz_end();
  return 0;
}
