/* The runtime's sessions and auth tokens, found by their random ids (runtime.c's store). Not for
 * use outside mocks/.
 *
 * Ids are random RFC 9562 version-4 UUIDs. They are kept as 16 bytes and written out as the
 * usual lowercase 8-4-4-4-12 text only where they leave the mock (cookies, bodies, the
 * transcript); text that a request sends is parsed back to look it up. */
#ifndef MXC_SESSIONS_H
#define MXC_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXC_ID_TEXT 36 /* characters of an id as text, without the NUL */

typedef struct mxc_id {
  uint64_t hi, lo; /* the UUID's bytes 0-7 and 8-15, big-endian as numbers */
} mxc_id;

/* Writes id as 36 lowercase hex digits and dashes, NUL-terminated. */
void mxc_id_format(const mxc_id *id, char out[MXC_ID_TEXT + 1]);

typedef struct mxc_session {
  mxc_id id; /* the XASSESSIONID; must stay first */
  mxc_id xasid, csrf;
  uint64_t guid;
  int account; /* index into accounts, -1 for anonymous */
  uint64_t last_used_ms;
  struct mxc_session *older, *newer; /* by last use, least recent first */
} mxc_session;

typedef struct mxc_auth_token {
  mxc_id id; /* the cookie value; must stay first */
  int account;
} mxc_auth_token;

/* An open-addressing table (linear probing) of borrowed pointers to ids that stay put while
 * they are in it. It grows by moving its entries into a table twice as large a few at a time,
 * on each later addition, instead of all at once (see sessions.c). */
typedef struct mxc__id_slot {
  uint64_t hash;
  mxc_id *key; /* NULL: empty */
} mxc__id_slot;

typedef struct mxc__id_table {
  mxc__id_slot *slots;
  size_t nslots;     /* 0 or a power of two */
  size_t count;      /* entries in slots */
  mxc__id_slot *old; /* the table being moved into slots, or NULL */
  size_t old_nslots, old_count, old_next;
} mxc__id_table;

typedef struct mxc_sessions {
  mxc__id_table table;          /* mxc_session *, owned */
  mxc_session *oldest, *newest; /* the same sessions by last use, for the expiry sweep */
  mxc__id_table tokens;         /* mxc_auth_token *, owned */
  uint64_t idle_ms;             /* a session unused for longer has expired */
  uint64_t id_state;            /* splitmix64 state for new ids, seeded from uv_random */
  uint64_t anon_guid_seq;
  mxc_id next; /* the id of the next session, drawn early */
  uint64_t next_hash;
  bool next_drawn;
} mxc_sessions;

void mxc_sessions_init(mxc_sessions *s, uint64_t idle_ms);
void mxc_sessions_cleanup(mxc_sessions *s);

bool mxc_session_expired(const mxc_sessions *s, const mxc_session *sess, uint64_t now);
/* The session whose id is this text, expired or not; NULL when there is none (or the text is
 * not an id). Changes nothing. */
mxc_session *mxc_session_find(const mxc_sessions *s, const char *id_text);
/* The live session with this id, marked as used now; NULL when there is none. An expired one
 * found here is reclaimed. */
mxc_session *mxc_session_use(mxc_sessions *s, const char *id_text);
/* A new session with fresh ids (guid: the account's, or the next anonymous one), or NULL when
 * memory runs out. Reclaims a few expired sessions first. */
mxc_session *mxc_session_create(mxc_sessions *s, int account);
void mxc_session_destroy(mxc_sessions *s, mxc_session *sess);
/* Expires every session now. Auth tokens survive. */
void mxc_sessions_expire_all(mxc_sessions *s);

mxc_auth_token *mxc_token_find(mxc_sessions *s, const char *id_text);
mxc_auth_token *mxc_token_create(mxc_sessions *s, int account);
void mxc_token_destroy(mxc_sessions *s, mxc_auth_token *t);

#endif
