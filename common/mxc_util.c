/* Small shared helpers: buffers, clocks, files, temporary directories. */
#include "common/mxc_util.h"

#include "common/mxc_error.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

void mxc_buf_init(mxc_buf *b, size_t cap) {
  b->data = NULL;
  b->len = 0;
  b->alloc = 0;
  b->cap = cap;
}

static int buf_reserve(mxc_buf *b, size_t extra) {
  if (extra > b->cap || b->len > b->cap - extra)
    return MXC_ELIMIT;
  size_t need = b->len + extra + 1;
  if (need <= b->alloc)
    return 0;
  size_t n = b->alloc ? b->alloc : 256;
  while (n < need)
    n *= 2;
  char *p = realloc(b->data, n);
  if (!p)
    return MXC_ENOMEM;
  b->data = p;
  b->alloc = n;
  return 0;
}

int mxc_buf_append(mxc_buf *b, const void *data, size_t len) {
  int rc = buf_reserve(b, len);
  if (rc)
    return rc;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

/* Formats straight into the free space; only when that is too small does it grow the buffer
 * and format a second time. */
int mxc_buf_printf(mxc_buf *b, const char *fmt, ...) {
  if (!b->alloc) { /* a fresh buffer: take the first block now rather than measure first */
    int rc = buf_reserve(b, 0);
    if (rc)
      return rc;
  }
  size_t room = b->alloc - b->len; /* free bytes, the terminator's included */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->data + b->len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room || (size_t)n > b->cap || b->len > b->cap - (size_t)n) {
    b->data[b->len] = '\0'; /* undo a partial write: nothing is appended on failure */
    if (n < 0)
      return MXC_EINVAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc)
      return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
  return 0;
}

void mxc_buf_reset(mxc_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

char *mxc_buf_detach(mxc_buf *b) {
  char *p = b->data ? b->data : mxc_strdup("");
  b->data = NULL;
  b->len = b->alloc = 0;
  return p;
}

void mxc_buf_cleanup(mxc_buf *b) {
  if (!b)
    return;
  free(b->data);
  b->data = NULL;
  b->len = b->alloc = 0;
}

uint64_t mxc_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t mxc_now_ms(void) { return mxc_now_us() / 1000u; }

char *mxc_strdup(const char *s) { return s ? strdup(s) : NULL; }

char *mxc_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *mxc_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *p = malloc((size_t)n + 1);
  if (!p)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

int mxc_file_read(const char *path, size_t cap, char **out, size_t *out_len) {
  int rc = 0;
  mxc_buf b;
  mxc_buf_init(&b, cap);
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    rc = mxc_buf_append(&b, chunk, n);
    if (rc)
      goto out;
  }
  if (ferror(f)) {
    rc = MXC_EIO;
    goto out;
  }
  if (out_len)
    *out_len = b.len;
  *out = mxc_buf_detach(&b);
  if (!*out)
    rc = MXC_ENOMEM;
out:
  fclose(f);
  mxc_buf_cleanup(&b);
  return rc;
}

int mxc_file_write_atomic(const char *path, const void *data, size_t len) {
  int rc = 0;
  char *tmp = mxc_asprintf("%s.tmp-%ld", path, (long)getpid());
  if (!tmp)
    return MXC_ENOMEM;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rc = -errno;
    goto out;
  }
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      rc = -errno;
      break;
    }
    p += w;
    left -= (size_t)w;
  }
  if (rc == 0 && fsync(fd) != 0)
    rc = -errno;
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, path) != 0)
    rc = -errno;
  if (rc != 0)
    unlink(tmp);
out:
  free(tmp);
  return rc;
}

char *mxc_tempdir_create(const char *prefix) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base)
    base = "/tmp";
  char *tmpl = mxc_asprintf("%s/%s-XXXXXX", base, prefix);
  if (!tmpl)
    return NULL;
  if (!mkdtemp(tmpl)) {
    free(tmpl);
    return NULL;
  }
  return tmpl;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  if (remove(path) != 0 && errno != ENOENT)
    return -errno;
  return 0;
}

int mxc_tree_remove(const char *path) {
  if (!path)
    return 0;
  int rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (rc == -1)
    return errno == ENOENT ? 0 : -errno;
  return rc;
}

bool mxc_mask(char *s, const char *secret) {
  size_t n = secret ? strlen(secret) : 0;
  bool hit = false;
  if (!s || n == 0)
    return false;
  for (char *p = strstr(s, secret); p; p = strstr(p + n, secret)) {
    memset(p, '*', n);
    hit = true;
  }
  return hit;
}

bool mxc_glob_match(const char *pattern, const char *s) { return fnmatch(pattern, s, 0) == 0; }
