/* Small shared helpers: growable byte buffers with caps, clocks, files and temporary dirs. */
#ifndef MXC_UTIL_H
#define MXC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable buffer that refuses to grow past `cap` bytes (curl's dynbuf "toobig"). The
 * contents are always NUL-terminated (the terminator is not counted in len). */
typedef struct mxc_buf {
  char *data;
  size_t len;
  size_t alloc;
  size_t cap;
} mxc_buf;

void mxc_buf_init(mxc_buf *b, size_t cap);
/* 0, MXC_ENOMEM, or MXC_ELIMIT when the cap would be passed (nothing is appended then). */
int mxc_buf_append(mxc_buf *b, const void *data, size_t len);
int mxc_buf_printf(mxc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mxc_buf_reset(mxc_buf *b);
/* Hands the buffer's memory to the caller (never NULL on success, "" when empty). */
char *mxc_buf_detach(mxc_buf *b);
void mxc_buf_cleanup(mxc_buf *b);

/* Monotonic clock. */
uint64_t mxc_now_us(void);
uint64_t mxc_now_ms(void);

/* Copy of s, or NULL when s is NULL or memory runs out. */
char *mxc_strdup(const char *s);
char *mxc_strndup(const char *s, size_t n);
/* malloc'ed printf. NULL on out of memory. */
char *mxc_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file (capped at `cap` bytes) into a NUL-terminated malloc'ed buffer.
 * Returns 0, a negative errno-style code (UV_ENOENT...), or MXC_ELIMIT. */
int mxc_file_read(const char *path, size_t cap, char **out, size_t *out_len);
/* Writes data to path through a temporary file in the same directory and rename(2), so a
 * reader never sees a half-written file. Returns 0 or a negative code. */
int mxc_file_write_atomic(const char *path, const void *data, size_t len);
/* Creates a fresh private directory under $TMPDIR (or /tmp) named prefix-XXXXXX. Returns a
 * malloc'ed path or NULL. */
char *mxc_tempdir_create(const char *prefix);
/* Removes a directory tree (does not follow symlinks). Returns 0 or a negative code. */
int mxc_tree_remove(const char *path);

/* Replaces every occurrence of secret (when non-empty) in s with '*', in place. NULL-safe.
 * Returns whether anything was masked. */
bool mxc_mask(char *s, const char *secret);

/* Shell-style glob match (fnmatch without flags). */
bool mxc_glob_match(const char *pattern, const char *s);

#endif
