/* Sessions and auth tokens: random ids, the tables that find them, the sessions' memory. */
#include "mocks/sessions.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* ---- ids ---- */

/* splitmix64 (Steele, Lea, Flood 2014): a bijection of a counter, so no value repeats
 * before 2^64 calls. Fast and unique; not unpredictable, which this mock does not need. */
static uint64_t id_random(mxc_sessions *s) {
  uint64_t z = (s->id_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* 122 random bits as a version-4 UUID (RFC 9562). */
static mxc_id id_new(mxc_sessions *s) {
  mxc_id id = {id_random(s), id_random(s)};
  id.hi = (id.hi & ~0xf000ull) | 0x4000ull;             /* version: 13th hex digit is 4 */
  id.lo = (id.lo & ~(0xc0ull << 56)) | (0x80ull << 56); /* variant: top bits are 10 */
  return id;
}

/* Where an id's probe starts. Ids are random, so this only has to mix the two halves. */
static uint64_t id_hash(const mxc_id *id) {
  uint64_t h = (id->hi ^ id->lo) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 32);
}

static const char hex_pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Writes v as 16 lowercase hex digits, most significant first. */
static void hex64(char out[16], uint64_t v) {
  for (int i = 14; i >= 0; i -= 2, v >>= 8)
    memcpy(out + i, hex_pairs + 2 * (v & 0xff), 2);
}

void mxc_id_format(const mxc_id *id, char out[MXC_ID_TEXT + 1]) {
  char h[32];
  hex64(h, id->hi);
  hex64(h + 16, id->lo);
  memcpy(out, h, 8);
  out[8] = '-';
  memcpy(out + 9, h + 8, 4);
  out[13] = '-';
  memcpy(out + 14, h + 12, 4);
  out[18] = '-';
  memcpy(out + 19, h + 16, 4);
  out[23] = '-';
  memcpy(out + 24, h + 20, 12);
  out[MXC_ID_TEXT] = '\0';
}

/* The id that mxc_id_format writes as exactly this text; false for any other text (upper
 * case, other lengths, misplaced dashes), which therefore names no session or token. */
static bool id_parse(const char *text, mxc_id *id) {
  uint64_t w[2] = {0, 0};
  int digits = 0;
  for (int i = 0; i < MXC_ID_TEXT; i++) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return false;
      continue;
    }
    unsigned v;
    if (c >= '0' && c <= '9')
      v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = (unsigned)(c - 'a' + 10);
    else
      return false; /* also the NUL of a shorter text */
    w[digits / 16] = (w[digits / 16] << 4) | v;
    digits++;
  }
  if (text[MXC_ID_TEXT] != '\0')
    return false;
  id->hi = w[0];
  id->lo = w[1];
  return true;
}

static bool id_equal(const mxc_id *a, const mxc_id *b) { return a->hi == b->hi && a->lo == b->lo; }

/* ---- the id table ----
 * Linear probing; the table holds at most half as many entries as slots. When an addition
 * would pass that, a table of twice the slots takes over and the old one is moved into it
 * MOVE_SLOTS slots per later addition (it is empty well before the new table fills up), so
 * that no request pays for moving millions of entries (and faulting in the new table's pages)
 * at once. Meanwhile an id is in one of the two: a lookup tries the new table, then the old.
 * The new table removes with a backward shift (Knuth 6.4, Algorithm R), so it needs no
 * tombstones; the old one, which only empties, leaves a TOMB where an entry was removed or
 * moved, so that probes for the entries after it still reach them. */

#define TOMB ((mxc_id *)(uintptr_t)1)
#define MOVE_SLOTS 8 /* >= 2 (a table of N slots must be moved within N / 2 additions) */

/* The slot of t->slots holding id, or the empty slot where its probe stops. nslots > 0. */
static size_t probe(const mxc__id_table *t, const mxc_id *id, uint64_t h) {
  size_t mask = t->nslots - 1;
  size_t i = (size_t)h & mask;
  while (t->slots[i].key && (t->slots[i].hash != h || !id_equal(t->slots[i].key, id)))
    i = (i + 1) & mask;
  return i;
}

/* The slot of t->old holding id, or SIZE_MAX. */
static size_t probe_old(const mxc__id_table *t, const mxc_id *id, uint64_t h) {
  if (!t->old_count)
    return SIZE_MAX;
  size_t mask = t->old_nslots - 1;
  for (size_t i = (size_t)h & mask; t->old[i].key; i = (i + 1) & mask)
    if (t->old[i].key != TOMB && t->old[i].hash == h && id_equal(t->old[i].key, id))
      return i;
  return SIZE_MAX;
}

static mxc_id *table_find(const mxc__id_table *t, const mxc_id *id) {
  if (!t->count && !t->old_count)
    return NULL;
  uint64_t h = id_hash(id);
  mxc_id *k = t->nslots ? t->slots[probe(t, id, h)].key : NULL;
  if (!k) {
    size_t i = probe_old(t, id, h);
    k = i == SIZE_MAX ? NULL : t->old[i].key;
  }
  return k;
}

static void put(mxc__id_table *t, mxc__id_slot slot) {
  size_t mask = t->nslots - 1;
  size_t j = (size_t)slot.hash & mask;
  while (t->slots[j].key)
    j = (j + 1) & mask;
  t->slots[j] = slot;
  t->count++;
}

static void old_release(mxc__id_table *t) {
  free(t->old);
  t->old = NULL;
  t->old_nslots = t->old_count = t->old_next = 0;
}

/* Moves the entries of the next `n` slots of the old table (all: SIZE_MAX) into the new one. */
static void move_some(mxc__id_table *t, size_t n) {
  if (!t->old)
    return;
  for (; n && t->old_next < t->old_nslots; n--, t->old_next++) {
    mxc__id_slot *o = &t->old[t->old_next];
    if (o->key && o->key != TOMB) {
      put(t, *o);
      o->key = TOMB;
      t->old_count--;
    }
  }
  if (t->old_next == t->old_nslots || !t->old_count)
    old_release(t);
}

/* Makes room for one more entry. 0 or MXC_ENOMEM. */
static int table_reserve(mxc__id_table *t) {
  move_some(t, MOVE_SLOTS);
  if ((t->count + t->old_count + 1) * 2 <= t->nslots)
    return 0;
  size_t n = t->nslots ? t->nslots * 2 : 16;
  mxc__id_slot *slots = calloc(n, sizeof(mxc__id_slot));
  if (!slots)
    return MXC_ENOMEM;
  move_some(t, SIZE_MAX); /* only if additions outran the moves (they cannot) */
  if (t->nslots < 16) {   /* the first table: nothing to move */
    t->slots = slots;
    t->nslots = n;
    return 0;
  }
  t->old = t->slots;
  t->old_nslots = t->nslots;
  t->old_count = t->count;
  t->old_next = 0;
  t->slots = slots;
  t->nslots = n;
  t->count = 0;
  return 0;
}

/* Empties slot i of the new table and shifts later entries of its probe run back into the
 * hole, so that every entry stays reachable from its home slot without tombstones. */
static void remove_at(mxc__id_table *t, size_t i) {
  size_t mask = t->nslots - 1;
  for (size_t j = (i + 1) & mask; t->slots[j].key; j = (j + 1) & mask) {
    size_t home = (size_t)t->slots[j].hash & mask;
    /* The entry at j may fill the hole when the hole lies between its home and j. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      t->slots[i] = t->slots[j];
      i = j;
    }
  }
  t->slots[i].key = NULL;
  t->count--;
}

/* Removes k (which is in t); the caller frees it. */
static void table_remove(mxc__id_table *t, mxc_id *k) {
  uint64_t h = id_hash(k);
  size_t i = t->nslots ? probe(t, k, h) : 0;
  if (t->nslots && t->slots[i].key == k) {
    remove_at(t, i);
    return;
  }
  i = probe_old(t, k, h);
  if (i != SIZE_MAX) {
    t->old[i].key = TOMB;
    if (!--t->old_count)
      old_release(t);
  }
}

/* Adds k with a fresh random id not yet in t; with a drawn id (and its hash), that one is the
 * first candidate. 0 or MXC_ENOMEM (t unchanged). */
static int table_add_new(mxc_sessions *s, mxc__id_table *t, mxc_id *k, const mxc_id *drawn,
                         uint64_t h) {
  int rc = table_reserve(t);
  if (rc)
    return rc;
  if (drawn) {
    *k = *drawn;
  } else {
    *k = id_new(s);
    h = id_hash(k);
  }
  size_t i;
  /* a repeat is next to impossible, but cheap to rule out: the probe finds the slot */
  while (t->slots[i = probe(t, k, h)].key || probe_old(t, k, h) != SIZE_MAX) {
    *k = id_new(s);
    h = id_hash(k);
  }
  t->slots[i].hash = h;
  t->slots[i].key = k;
  t->count++;
  return 0;
}

/* Frees every entry of t (owned, from malloc) and the table itself. */
static void table_free(mxc__id_table *t) {
  for (size_t i = 0; i < t->nslots; i++)
    free(t->slots[i].key);
  for (size_t i = 0; i < t->old_nslots; i++)
    if (t->old[i].key != TOMB)
      free(t->old[i].key);
  free(t->slots);
  free(t->old);
  memset(t, 0, sizeof *t);
}

/* ---- sessions and tokens ---- */

void mxc_sessions_init(mxc_sessions *s, uint64_t idle_ms) {
  memset(s, 0, sizeof *s);
  s->idle_ms = idle_ms;
  uint64_t seed;
  if (uv_random(NULL, NULL, &seed, sizeof seed, 0, NULL) != 0)
    /* uv_random only fails without an entropy source; fall back to the clock. */
    seed = mxc_now_us() ^ ((uint64_t)(uintptr_t)s << 16);
  s->id_state = seed;
}

/* Frees every session and the session table. */
static void sessions_free(mxc_sessions *s) {
  table_free(&s->table);
  s->oldest = s->newest = NULL;
}

void mxc_sessions_cleanup(mxc_sessions *s) {
  sessions_free(s);
  table_free(&s->tokens);
}

bool mxc_session_expired(const mxc_sessions *s, const mxc_session *sess, uint64_t now) {
  return now - sess->last_used_ms > s->idle_ms;
}

static void session_unlink(mxc_sessions *s, mxc_session *sess) {
  *(sess->older ? &sess->older->newer : &s->oldest) = sess->newer;
  *(sess->newer ? &sess->newer->older : &s->newest) = sess->older;
}

static void session_link_newest(mxc_sessions *s, mxc_session *sess) {
  sess->older = s->newest;
  sess->newer = NULL;
  *(s->newest ? &s->newest->newer : &s->oldest) = sess;
  s->newest = sess;
}

void mxc_session_destroy(mxc_sessions *s, mxc_session *sess) {
  table_remove(&s->table, &sess->id);
  session_unlink(s, sess);
  free(sess);
}

mxc_session *mxc_session_find(const mxc_sessions *s, const char *id_text) {
  mxc_id id;
  return id_text && id_parse(id_text, &id) ? (mxc_session *)table_find(&s->table, &id) : NULL;
}

mxc_session *mxc_session_use(mxc_sessions *s, const char *id_text) {
  mxc_session *sess = mxc_session_find(s, id_text);
  if (!sess)
    return NULL;
  uint64_t now = mxc_now_ms();
  if (mxc_session_expired(s, sess, now)) {
    mxc_session_destroy(s, sess);
    return NULL;
  }
  sess->last_used_ms = now;
  session_unlink(s, sess);
  session_link_newest(s, sess);
  return sess;
}

/* Reclaims up to a few of the least recently used sessions that have expired. Called on every
 * creation, it frees sessions faster than they are made, without a long pause when many
 * expire at once. */
#define SWEEP_MAX 4
static void sessions_sweep(mxc_sessions *s, uint64_t now) {
  for (int n = 0; n < SWEEP_MAX && s->oldest && mxc_session_expired(s, s->oldest, now); n++)
    mxc_session_destroy(s, s->oldest);
}

/* Draws the next session's id and tells the CPU to fetch the slot where its probe starts: in a
 * table of millions of sessions that slot is a cache (and TLB) miss, which is then paid while
 * the request goes on. */
static void draw_next(mxc_sessions *s) {
  const mxc__id_table *t = &s->table;
  s->next = id_new(s);
  s->next_hash = id_hash(&s->next);
  s->next_drawn = true;
  if (t->nslots)
    __builtin_prefetch(&t->slots[(size_t)s->next_hash & (t->nslots - 1)], 1);
  if (t->old_count)
    __builtin_prefetch(&t->old[(size_t)s->next_hash & (t->old_nslots - 1)], 0);
}

mxc_session *mxc_session_create(mxc_sessions *s, int account) {
  uint64_t now = mxc_now_ms();
  sessions_sweep(s, now);
  mxc_session *sess = malloc(sizeof *sess);
  if (!sess)
    return NULL;
  if (table_add_new(s, &s->table, &sess->id, s->next_drawn ? &s->next : NULL, s->next_hash) != 0) {
    free(sess);
    return NULL;
  }
  draw_next(s);
  sess->xasid = id_new(s);
  sess->csrf = id_new(s);
  sess->account = account;
  sess->guid = account >= 0 ? 281474976710657ull + (uint64_t)account
                            : 562949953421313ull + s->anon_guid_seq++;
  sess->last_used_ms = now;
  session_link_newest(s, sess);
  return sess;
}

void mxc_sessions_expire_all(mxc_sessions *s) { sessions_free(s); }

mxc_auth_token *mxc_token_find(mxc_sessions *s, const char *id_text) {
  mxc_id id;
  return id_text && id_parse(id_text, &id) ? (mxc_auth_token *)table_find(&s->tokens, &id) : NULL;
}

mxc_auth_token *mxc_token_create(mxc_sessions *s, int account) {
  mxc_auth_token *t = malloc(sizeof *t);
  if (!t)
    return NULL;
  if (table_add_new(s, &s->tokens, &t->id, NULL, 0) != 0) {
    free(t);
    return NULL;
  }
  t->account = account;
  return t;
}

void mxc_token_destroy(mxc_sessions *s, mxc_auth_token *t) {
  table_remove(&s->tokens, &t->id);
  free(t);
}
