// strata-fs import DIR: an import's tar read here, in C, so that file data never crosses the
// helper's JavaScript. Measured on the debootstrap minbase tar (204 MB, 6768 entries) into a fresh
// ext4 (test/bench/README.md): with every byte read, hashed and parsed in Node and the bodies piped
// on to `strata-fs unpack`, the import took 1.89x `tar -x` + `sync -f`; a C reader with no checks
// at all took 0.92x. The checks stay where they are: this process only frames the tar, and the
// helper still decides every entry from its headers.
//
//   fd 0  in:  the uncompressed tar, exactly as the helper received it (it decompresses, counts and
//              caps; this side hashes); or, with `import DIR MAX FD` (FD "-": none), the tar's first bytes, then
//              the rest from FD (an upload's raw socket, handed over by the helper: the bytes
//              never cross its JavaScript), all of it at most MAX bytes
//   fd 1  out: frames, each a type byte and a little-endian length or value:
//                'M' u32 n, n bytes   tar bytes the helper reads itself: headers, PAX and GNU
//                                     records, padding, the end blocks and anything after them,
//                                     and the data of any entry this side did not hold back
//                'B' u64 size         the data of a regular file's entry, `size` bytes, held here:
//                                     it comes next in the tar (after the header just sent)
//                'C' u32 crc          the end of that data, and its CRC-32 (for the tar-split)
//                'T' u64 got          the input ended inside that data, after `got` bytes
//                'Z' u64 total        (with MAX) the input has ended, after `total` bytes: sent
//                                     as soon as it has, before the frames that follow from it,
//                                     so that the helper can first check the count with the
//                                     upload's own (a raw socket ends the same way whether its
//                                     client finished or was killed)
//                'L' u64 total        more than MAX bytes came (the import's size limit): the end
//                'E' u64 total, 32 bytes sha256
//                                     the end of the input: its length and sha256 (the diff_id)
//   fd 3  in:  unpack's operations (main.c), plus two that take held data in order:
//                H path mode uid gid sec nsec size   a new regular file (as F) whose data is the
//                                     next held data, which must be `size` bytes
//                K size               drop the next held data (`size` bytes)
//
// Which data is held back decides nothing: the helper parses the M bytes with its own tar reader,
// and for every entry with data it checks that the next frame is the B frame of exactly that size
// (or inline data in M bytes); a B frame where it expects a header is an error. So the two readers
// agree on every boundary or the import stops. This side holds back only what it cannot misread:
// the data of a '0' or '7' entry whose size is plain octal, with no PAX record that could change
// its size and no ".wh." anywhere in its names (a whiteout's data is skipped, and the tar-split
// needs skipped bytes as they are). On anything else it stops holding back for the rest of the
// tar, and the helper reads the data inline, as before.
#include "common.h"
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>

// ---- sha256 (libcrypto, loaded at run time as tar-gzip does) and CRC-32 (libdeflate) ----
typedef void *(*md_ctx_new_fn)(void);
typedef const void *(*md_fn)(void);
typedef int (*digest_init_fn)(void *, const void *, void *);
typedef int (*digest_update_fn)(void *, const void *, size_t);
typedef int (*digest_final_fn)(void *, unsigned char *, unsigned int *);
typedef uint32_t (*crc32_fn)(uint32_t, const void *, size_t);
static digest_update_fn sha_update;
static digest_final_fn sha_final;
static void *sha_ctx;
static crc32_fn crc32;

// 0 (and says why on stderr) when libcrypto or libdeflate cannot be loaded: the helper then
// imports the old way.
static int libraries(void) {
  void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!crypto) {
    fprintf(stderr, "strata-fs: libcrypto is not installed (%s)\n", dlerror());
    return 0;
  }
  md_ctx_new_fn ctx_new = (md_ctx_new_fn)dlsym(crypto, "EVP_MD_CTX_new");
  md_fn sha256 = (md_fn)dlsym(crypto, "EVP_sha256");
  digest_init_fn init = (digest_init_fn)dlsym(crypto, "EVP_DigestInit_ex");
  sha_update = (digest_update_fn)dlsym(crypto, "EVP_DigestUpdate");
  sha_final = (digest_final_fn)dlsym(crypto, "EVP_DigestFinal_ex");
  if (!ctx_new || !sha256 || !init || !sha_update || !sha_final) {
    fprintf(stderr, "strata-fs: libcrypto.so.3 lacks the functions it should have\n");
    return 0;
  }
  if (!gz_available()) return 0;
  crc32 = (crc32_fn)gz_symbol("libdeflate_crc32");
  sha_ctx = ctx_new();
  if (!sha_ctx || init(sha_ctx, sha256(), NULL) != 1) {
    fprintf(stderr, "strata-fs: libcrypto could not start a sha256\n");
    return 0;
  }
  return 1;
}

// ---- held data: the input's ring, and the pieces of it the writer has yet to write ----
// The reader reads the tar straight into this ring, and a held file's data is written from where
// it was read: no copy per piece. Copying each piece into a fresh allocation cost the reader a
// memcpy of every held byte (~200 MB an import of the minbase tar) and the allocator a block per
// piece. The ring is also the bound on what is held: the reader waits for the writer when the
// next read would overwrite data not yet written.
#define RING (16u << 20)
#define READ_MAX (1u << 20)
static unsigned char ring[RING];
// A piece of one entry's data, in the ring from `at` (the input's offset: at % RING in the ring;
// never split across its end, as no read is).
struct piece {
  struct piece *next;
  uint64_t at;
  size_t len;
  // The last piece of one entry's data: an operation must take exactly one entry's.
  int last;
};
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_moved = PTHREAD_COND_INITIALIZER;
// Pieces not yet written, oldest first; the head stays queued while the writer writes it.
static struct piece *held_head, *held_tail;
// The input ended inside held data: what was held is all there will be.
static int held_cut;
// The operations have ended: nothing more will be taken.
static int writer_done;

static void frames_out(void);

static void held_push(uint64_t at, size_t n, int last) {
  struct piece *pc = xrealloc(NULL, sizeof *pc);
  pc->next = NULL;
  pc->at = at;
  pc->len = n;
  pc->last = last;
  pthread_mutex_lock(&held_lock);
  if (writer_done) fail("held data was left unwritten when the operations ended", "the tar");
  if (held_tail) held_tail->next = pc;
  else held_head = pc;
  held_tail = pc;
  pthread_cond_broadcast(&held_moved);
  pthread_mutex_unlock(&held_lock);
}

// Waits until the ring's bytes up to the input offset `end` may be overwritten: every piece that
// starts before end - RING has been written. The frames gathered so far go out before any wait:
// the writer may be waiting for the operations the helper decides from them (a deadlock otherwise).
static int overwrites_unwritten(uint64_t end) { // (with held_lock held)
  return held_head && held_head->at + RING < end;
}
static void ring_room(uint64_t end) {
  pthread_mutex_lock(&held_lock);
  if (overwrites_unwritten(end)) {
    pthread_mutex_unlock(&held_lock);
    frames_out();
    pthread_mutex_lock(&held_lock);
    while (overwrites_unwritten(end) && !writer_done) pthread_cond_wait(&held_moved, &held_lock);
    if (overwrites_unwritten(end)) fail("held data was left unwritten when the operations ended", "the tar");
  }
  pthread_mutex_unlock(&held_lock);
}

// The oldest piece not yet written (waits for it); it stays in the ring until held_done. If the
// input was cut short there is none: the helper reports the truncation (it knows the entry) and
// ends this process, so wait for that.
static struct piece *held_next(void) {
  pthread_mutex_lock(&held_lock);
  while (!held_head) {
    if (held_cut) {
      pthread_mutex_unlock(&held_lock);
      for (;;) pause();
    }
    pthread_cond_wait(&held_moved, &held_lock);
  }
  struct piece *pc = held_head;
  pthread_mutex_unlock(&held_lock);
  return pc;
}

// The oldest piece has been written: its bytes in the ring may be read over.
static void held_done(void) {
  pthread_mutex_lock(&held_lock);
  struct piece *pc = held_head;
  held_head = pc->next;
  if (!held_head) held_tail = NULL;
  pthread_cond_broadcast(&held_moved);
  pthread_mutex_unlock(&held_lock);
  free(pc);
}

void held_take(int fd, long long size, const char *path) {
  while (size > 0) {
    struct piece *pc = held_next();
    if ((long long)pc->len > size || pc->last != ((long long)pc->len == size)) fail("the held data is not the size the operation says", path);
    if (fd >= 0) write_out(fd, ring + pc->at % RING, pc->len, path);
    size -= (long long)pc->len;
    held_done();
  }
}

// ---- the reader: fd 0 in, frames out ----
// The last read: `in` is where it went in the ring, in_at how much of it the reader has taken.
static unsigned char *in;
static size_t in_at, in_end;
static uint64_t total;
static int in_eof;
// Where the tar comes from: fd 0, then `then_fd` if there is one (closed at its end), at most `max` bytes.
static int in_fd = 0, then_fd = -1;
static uint64_t max_total = UINT64_MAX;
static int socket_mode;
static unsigned char out[256 << 10];
static size_t out_len;
// M bytes gathered since the last M frame began (its header is written when it is flushed).
static size_t m_start;
static int m_open;

static void out_flush(void) {
  size_t at = 0;
  while (at < out_len) {
    ssize_t w = write(1, out + at, out_len - at);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) die("write", "frames");
    at += (size_t)w;
  }
  out_len = 0;
}

static void m_close(void) {
  if (!m_open) return;
  uint32_t n = (uint32_t)(out_len - m_start - 5);
  memcpy(out + m_start + 1, &n, 4);
  m_open = 0;
}

// Tar bytes read since the frames last went out.
static uint64_t unsent_tar;

// Sends the frames gathered so far.
static void frames_out(void) {
  m_close();
  out_flush();
  unsent_tar = 0;
}

// Frames go out in batches: before any wait (for input, or for the writer), and once this much
// of the tar has been read since the last batch, so that the helper and then the writer are
// never far behind. One write a held file made 5,300 writes of ~1 KB an import of the minbase
// tar, each waking the helper for its own read: ~190 ms of this thread's time blocked in them.
// (Far below the ring's size, so the writer always has work whose frames have gone out.)
#define FRAMES_EVERY_TAR (1u << 20)

// Whether a read of the input would return at once (data, its end, or an error).
static int input_ready(void) {
  struct pollfd p = {.fd = in_fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

static void put_frame(char type, const void *value, size_t n) {
  m_close();
  if (out_len + 1 + n > sizeof out) out_flush();
  out[out_len++] = (unsigned char)type;
  memcpy(out + out_len, value, n);
  out_len += n;
}

// n tar bytes for the helper to read itself.
static void put_m(const unsigned char *p, size_t n) {
  while (n > 0) {
    if (m_open && out_len == sizeof out) m_close();
    if (!m_open) {
      if (out_len + 5 + 512 > sizeof out) out_flush();
      out[out_len] = 'M';
      m_start = out_len;
      out_len += 5;
      m_open = 1;
    }
    size_t room = sizeof out - out_len;
    size_t k = n < room ? n : room;
    memcpy(out + out_len, p, k);
    out_len += k;
    p += k;
    n -= k;
  }
}

// Reads more input; 0 at its end. The frames gathered so far go out first when the input is not
// there yet (the helper must not wait for them while this side waits for input), or when a batch's
// worth of the tar has been read since they last did.
static int fill(void) {
  if (in_eof) return 0;
  if (unsent_tar >= FRAMES_EVERY_TAR || !input_ready()) frames_out();
  in_at = in_end = 0;
  // The next read goes where the ring continues, up to its end (a read is never split).
  size_t at = (size_t)(total % RING);
  size_t want = RING - at < READ_MAX ? RING - at : READ_MAX;
  ring_room(total + want);
  in = ring + at;
  for (;;) {
    ssize_t r = read(in_fd, in, want);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The helper's socket is non-blocking (Node made it so, and the flag is the socket's, shared
      // with this copy): wait for it here rather than change it under Node.
      frames_out();
      struct pollfd p = {.fd = in_fd, .events = POLLIN};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) die("poll", "the tar");
      continue;
    }
    if (r < 0) die("read", "the tar");
    if (r == 0) {
      if (in_fd == 0 && then_fd >= 0) {
        in_fd = then_fd;
        if (!input_ready()) frames_out();
        continue;
      }
      // The socket is closed here at its end (the helper closes its copy): its client waits for that.
      if (in_fd == then_fd) close(then_fd);
      in_eof = 1;
      if (socket_mode) {
        put_frame('Z', &total, 8);
        out_flush();
      }
      return 0;
    }
    if (total + (uint64_t)r > max_total) {
      // The limit: nothing past it is read or hashed; the helper says what the limit is.
      uint64_t over = total + (uint64_t)r;
      put_frame('L', &over, 8);
      out_flush();
      pthread_mutex_lock(&held_lock);
      held_cut = 1;
      pthread_cond_broadcast(&held_moved);
      pthread_mutex_unlock(&held_lock);
      for (;;) pause();
    }
    if (sha_update(sha_ctx, in, (size_t)r) != 1) fail("sha256 failed", "the tar");
    total += (uint64_t)r;
    unsent_tar += (uint64_t)r;
    in_end = (size_t)r;
    return 1;
  }
}

// Up to n bytes of input as M bytes, into `copy` too when it is not NULL; how many there were.
static size_t pass(uint64_t n, unsigned char *copy) {
  uint64_t done = 0;
  while (done < n) {
    if (in_at == in_end && !fill()) break;
    size_t k = in_end - in_at;
    if (k > n - done) k = (size_t)(n - done);
    put_m(in + in_at, k);
    if (copy) memcpy(copy + done, in + in_at, k);
    in_at += k;
    done += k;
  }
  return (size_t)done;
}

// `size` bytes held back for the writer; 0 if the input ended first (a T frame says where).
static int hold(uint64_t size) {
  put_frame('B', &size, 8);
  uint32_t crc = 0;
  uint64_t done = 0;
  while (done < size) {
    if (in_at == in_end && !fill()) {
      pthread_mutex_lock(&held_lock);
      held_cut = 1;
      pthread_cond_broadcast(&held_moved);
      pthread_mutex_unlock(&held_lock);
      put_frame('T', &done, 8);
      return 0;
    }
    size_t k = in_end - in_at;
    if (k > size - done) k = (size_t)(size - done);
    crc = crc32(crc, in + in_at, k);
    held_push(total - in_end + in_at, k, done + k == size);
    in_at += k;
    done += k;
  }
  put_frame('C', &crc, 4);
  return 1;
}

// A tar number field as tar-format.ts's num reads an octal one; -1 for base-256 or anything it
// would refuse (the helper then reads the rest inline, and says what is wrong).
static long long octal(const unsigned char *f, int len) {
  if (f[0] & 0x80) return -1;
  int i = 0;
  while (i < len && (f[i] == ' ' || f[i] == 0)) i++;
  long long v = 0;
  for (; i < len && f[i] != ' ' && f[i] != 0; i++) {
    if (f[i] < '0' || f[i] > '7') return -1;
    v = v * 8 + (f[i] - '0');
  }
  for (; i < len; i++)
    if (f[i] != ' ' && f[i] != 0) return -1;
  return v;
}

static int holds(const unsigned char *p, size_t n, const char *needle) {
  return memmem(p, n, needle, strlen(needle)) != NULL;
}

static uint64_t pad(uint64_t n) {
  return (512 - n % 512) % 512;
}

// Largest PAX or GNU record this side looks into; a bigger one stops the holding back.
#define META_LOOK (64 * 1024)

static void *reader(void *arg) {
  (void)arg;
  static unsigned char meta[META_LOOK];
  unsigned char block[512];
  // Whether data may be held back: 0 for the rest of the tar once anything is not plain.
  int holding = 1;
  // The extended headers before the coming entry could change its size or make it a whiteout.
  int entry_unsure = 0;
  for (;;) {
    if (!holding) {
      while (pass(UINT64_MAX, NULL) > 0) {}
      break;
    }
    if (pass(512, block) < 512) break;
    int zero = 1;
    for (int i = 0; i < 512 && zero; i++) zero = block[i] == 0;
    // The end blocks, and anything after them: the helper reads and checks them itself.
    if (zero) {
      holding = 0;
      continue;
    }
    long long size = octal(block + 124, 12);
    unsigned char type = block[156];
    if (size < 0) {
      holding = 0;
      continue;
    }
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      uint64_t n = (uint64_t)size;
      if (n > META_LOOK) {
        holding = 0;
        continue;
      }
      if (pass(n, meta) < n) break;
      // "size=" anywhere (not only as a key) and ".wh." anywhere: what could change the coming
      // entry's size, or make it a whiteout, is never missed.
      if (holds(meta, n, "size=") || holds(meta, n, ".wh.")) entry_unsure = 1;
      if (pass(pad(n), NULL) < pad(n)) break;
      continue;
    }
    if (type >= '1' && type <= '6') {
      // Links, devices, directories and fifos carry no data whatever their size field says (the
      // helper's reader, like Go's, reads the next header straight after).
      entry_unsure = 0;
      continue;
    }
    if (type != '0' && type != '7') {
      // '\0' is a file or, with a trailing slash on its name, a directory with no data; anything
      // else is refused by the helper. Either way, no guessing here.
      holding = 0;
      continue;
    }
    int whiteout = holds(block, 100, ".wh.") || holds(block + 345, 155, ".wh.");
    uint64_t n = (uint64_t)size;
    if (n > 0 && !entry_unsure && !whiteout) {
      if (!hold(n)) break;
    } else if (pass(n, NULL) < n) {
      break;
    }
    entry_unsure = 0;
    if (pass(pad(n), NULL) < pad(n)) break;
  }
  // The end of the input (all of it has been read and hashed).
  unsigned char end[40];
  memcpy(end, &total, 8);
  unsigned int len = 32;
  if (sha_final(sha_ctx, end + 8, &len) != 1 || len != 32) fail("sha256 failed", "the tar");
  put_frame('E', end, sizeof end);
  out_flush();
  return NULL;
}

int cmd_import_check(void) {
  return libraries() ? 0 : 3;
}

// Runs the reader beside unpack's operations from fd 3; `max` and `fd` as the header says (NULL: none).
int cmd_import(const char *root, const char *max, const char *fd) {
  if (!libraries()) return 3;
  if (max) {
    max_total = (uint64_t)number(max, "MAX");
    socket_mode = 1;
  }
  if (fd && strcmp(fd, "-") != 0) then_fd = (int)number(fd, "FD");
  pthread_t t;
  // The writer keeps the process alive until its operations end; the reader's end is in its frames.
  if (pthread_create(&t, NULL, reader, NULL) != 0) die("start the reader for", root);
  int status = unpack_from(root, 3);
  // The helper ends the operations only after the end frame, so the reader is done or about to
  // be; if it still holds data back, or is waiting to, that data was never written.
  pthread_mutex_lock(&held_lock);
  writer_done = 1;
  pthread_cond_broadcast(&held_moved);
  pthread_mutex_unlock(&held_lock);
  pthread_join(t, NULL);
  if (held_head) fail("held data was left unwritten when the operations ended", "the tar");
  return status;
}
