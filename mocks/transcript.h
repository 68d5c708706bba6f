/* The transcript: what the mock saw and did on the wire, as a JSON document (docs/transcript.md).
 * It is the only thing the mock hands the harness; verdicts query it.
 *
 * Exchanges are many (one per request) and are only read when someone asks for the
 * transcript, so they are recorded compactly: each field is appended, in order, to an arena
 * of tokens, and the JSON objects are built from the tokens when the document is read
 * (mxc_transcript_root, mxc_transcript_take). The document is the same as if every field had
 * been added to a cJSON object as it was recorded. Connection records are few and are changed
 * after they were written (close, TLS), so they are cJSON objects from the start. */
#ifndef MXC_TRANSCRIPT_H
#define MXC_TRANSCRIPT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXC_TRANSCRIPT_VERSION 1

typedef struct mxc_xchunk mxc_xchunk;

#define MXC_TRANSCRIPT_MAX_KEYS 256  /* distinct field names (index 0: none) */
#define MXC_TRANSCRIPT_KEY_SLOTS 512 /* a power of two, twice MAX_KEYS */

/* The exchange being recorded. Fields written through it go to the end of that exchange's
 * record. Every writer below accepts NULL (nothing is recorded). */
typedef struct mxc_exchange {
  struct mxc_transcript *t;
} mxc_exchange;

typedef struct mxc_transcript {
  cJSON *root;        /* {"version", "connections": [...], "exchanges": [...]} */
  cJSON *connections; /* borrowed from root */
  cJSON *exchanges;   /* borrowed from root: the exchanges built so far */
  uint64_t t0_us;     /* monotonic origin of every *_us field */
  uint64_t next_seq;
  mxc_xchunk *head, *tail; /* tokens of the exchanges not yet built, oldest first */
  cJSON *building;         /* the last exchange built, which later tokens extend */
  mxc_exchange writer;
  /* the field names tokens refer to by index (1..nkeys), found by address in key_slots */
  const char *keys[MXC_TRANSCRIPT_MAX_KEYS];
  uint8_t key_slots[MXC_TRANSCRIPT_KEY_SLOTS];
  size_t nkeys;
} mxc_transcript;

/* 0 or MXC_ENOMEM. */
int mxc_transcript_init(mxc_transcript *t);
void mxc_transcript_cleanup(mxc_transcript *t);
/* Microseconds since the transcript began. */
uint64_t mxc_transcript_now(const mxc_transcript *t);
/* Appends a connection record {"id", "peer", "opened_us"}; returns it (borrowed) or NULL. */
cJSON *mxc_transcript_connection(mxc_transcript *t, uint64_t id, const char *peer);
/* Marks a connection record ended: "closed_us", "end" (how), bytes in and out. */
void mxc_transcript_connection_end(mxc_transcript *t, cJSON *conn, const char *how,
                                   uint64_t bytes_in, uint64_t bytes_out);
/* Starts an exchange record {"seq", "conn", "t_us"}; its other fields follow through the
 * returned writer (borrowed; valid until the next exchange starts). NULL on out of memory. */
mxc_exchange *mxc_transcript_exchange(mxc_transcript *t, uint64_t conn_id);
/* The whole document, with every exchange recorded so far (borrowed; NULL only after take or
 * when memory ran out building it). */
cJSON *mxc_transcript_root(mxc_transcript *t);
/* Hands the document to the caller and leaves t empty (re-initialised on next use). */
cJSON *mxc_transcript_take(mxc_transcript *t);

/* ---- fields of the exchange being recorded ----
 * Keys are string literals (never copied). A field that cannot be stored for lack of memory
 * is left out, as cJSON_Add*ToObject would. Inside an array the key is NULL. */

/* A string, copied (strn: n bytes of s). Returns the copy, which the caller may change in
 * place until the next exchange starts (masking secrets), or NULL when it was left out. */
char *mxc_exchange_str(mxc_exchange *x, const char *key, const char *s);
char *mxc_exchange_strn(mxc_exchange *x, const char *key, const char *s, size_t n);
/* Inside an array: the array [first, second] of two strings, copied. Returns the copy of
 * second (which the caller may change in place, as above) or NULL. */
char *mxc_exchange_pair(mxc_exchange *x, const char *first, const char *second);
/* JSON text: text[0..n) with the bytes [cut, cut + cut_len) replaced by insert (NULL: none),
 * kept as it is and parsed when the document is built (the field is what
 * cJSON_ParseWithLength makes of it). false when it was left out. */
bool mxc_exchange_json_text(mxc_exchange *x, const char *key, const char *text, size_t n,
                            size_t cut, size_t cut_len, const char *insert);
/* A string that is a literal or otherwise outlives the transcript: not copied. */
void mxc_exchange_lit(mxc_exchange *x, const char *key, const char *literal);
void mxc_exchange_num(mxc_exchange *x, const char *key, double v);
void mxc_exchange_bool(mxc_exchange *x, const char *key, bool v);
void mxc_exchange_null(mxc_exchange *x, const char *key);
/* Takes item (any JSON value) and returns true; the caller may still change it until the next
 * exchange starts (e.g. a fault's "delay_ms" drawn after it was recorded). false (x or item
 * NULL, out of memory): item stays the caller's. */
bool mxc_exchange_json(mxc_exchange *x, const char *key, cJSON *item);
/* Opens an array or an object; the fields that follow go into it until mxc_exchange_end. */
void mxc_exchange_array(mxc_exchange *x, const char *key);
void mxc_exchange_object(mxc_exchange *x, const char *key);
void mxc_exchange_end(mxc_exchange *x);

#endif
