/* The runtime profile: accounts, blocking, sessions, auth tokens, CSRF and the /xas/ actions. */
#include "mocks/runtime.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "mocks/json_body.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <uv.h>

#define ID_LEN 36

/* The key of a session or an auth token: its id as text and the id's hash. It is the first
 * member of both, so an id_table (below) can hold either. */
typedef struct id_key {
  char id[ID_LEN + 1];
  uint64_t hash;
} id_key;

/* An open-addressing hash table (linear probing, backward-shift deletion, so no tombstones)
 * of borrowed pointers to id_keys, which must stay put while they are in the table. The
 * table never holds more than half as many entries as slots. */
typedef struct id_slot {
  uint64_t hash;
  id_key *key; /* NULL: empty */
} id_slot;

typedef struct id_table {
  id_slot *slots;
  size_t nslots; /* 0 or a power of two */
  size_t count;
} id_table;

typedef struct session {
  id_key key; /* the XASSESSIONID; must stay first */
  char xasid[ID_LEN + 1];
  char csrf[ID_LEN + 1];
  char guid[32];
  int account; /* index into accounts, -1 for anonymous */
  uint64_t last_used_ms;
  struct session *older, *newer; /* the runtime's list of sessions, least recently used first */
} session;

typedef struct auth_token {
  id_key key; /* the cookie value; must stay first */
  int account;
} auth_token;

typedef struct account_state {
  int failures;
  uint64_t blocked_until_ms;
  size_t password_len; /* of the configured password (for redaction) */
} account_state;

struct mxc_runtime {
  mxc_runtime_config cfg;
  account_state *accounts;
  id_table sessions;        /* session *, owned */
  session *oldest, *newest; /* the same sessions by last use, for the expiry sweep */
  id_table tokens;          /* auth_token *, owned */
  uint64_t id_state;        /* splitmix64 state for new ids, seeded once from uv_random */
  uint64_t anon_guid_seq;
  id_key next_session; /* the id of the next session, drawn early (id_draw) */
  bool next_session_drawn;
};

/* What cJSON_GetObjectItem returns (the first member whose key matches name, ignoring ASCII
 * case), with glibc's strcasecmp instead of cJSON's byte loop. For the request body. */
static const cJSON *json_get(const cJSON *object, const char *name) {
  int first = tolower((unsigned char)name[0]); /* saves most strcasecmp calls */
  for (const cJSON *c = object ? object->child : NULL; c; c = c->next)
    if (c->string && tolower((unsigned char)c->string[0]) == first &&
        strcasecmp(name, c->string) == 0)
      return c;
  return NULL;
}

/* ---- ids ---- */

/* splitmix64 (Steele, Lea, Flood 2014): a bijection of a counter, so no value repeats
 * before 2^64 calls. Fast and unique; not unpredictable, which this mock does not need. */
static uint64_t id_random(mxc_runtime *rt) {
  uint64_t z = (rt->id_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void id_seed(mxc_runtime *rt) {
  uint64_t seed;
  if (uv_random(NULL, NULL, &seed, sizeof seed, 0, NULL) != 0)
    /* uv_random only fails without an entropy source; fall back to the clock. */
    seed = mxc_now_us() ^ ((uint64_t)(uintptr_t)rt << 16);
  rt->id_state = seed;
}

/* Writes v as 16 lowercase hex digits, most significant first. */
static void hex64(char out[16], uint64_t v) {
  static const char pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                              "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                              "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                              "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                              "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                              "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                              "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                              "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
  for (int i = 14; i >= 0; i -= 2, v >>= 8)
    memcpy(out + i, pairs + 2 * (v & 0xff), 2);
}

/* Writes 122 random bits as a lowercase RFC 9562 version-4 UUID (8-4-4-4-12 hex digits). */
static void random_uuid(mxc_runtime *rt, char out[ID_LEN + 1]) {
  uint64_t hi = id_random(rt), lo = id_random(rt);
  hi = (hi & ~0xf000ull) | 0x4000ull;             /* version: 13th hex digit is 4 */
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56); /* variant: top bits of byte 8 are 10 */
  char h[32];
  hex64(h, hi);
  hex64(h + 16, lo);
  memcpy(out, h, 8);
  out[8] = '-';
  memcpy(out + 9, h + 8, 4);
  out[13] = '-';
  memcpy(out + 14, h + 12, 4);
  out[18] = '-';
  memcpy(out + 19, h + 16, 4);
  out[23] = '-';
  memcpy(out + 24, h + 20, 12);
  out[ID_LEN] = '\0';
}

/* Writes v in decimal, NUL-terminated; out holds at least 21 bytes. */
static void u64_to_decimal(char *out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
}

/* ---- runtime lifetime ---- */

mxc_runtime *mxc_runtime_new(const mxc_runtime_config *cfg) {
  mxc_runtime *rt = calloc(1, sizeof *rt);
  if (!rt)
    return NULL;
  rt->cfg = *cfg;
  if (!rt->cfg.block_ms)
    rt->cfg.block_ms = MXC_RUNTIME_BLOCK_MS_DEFAULT;
  if (!rt->cfg.session_idle_ms)
    rt->cfg.session_idle_ms = MXC_RUNTIME_SESSION_IDLE_MS_DEFAULT;
  rt->accounts = calloc(cfg->naccounts ? cfg->naccounts : 1, sizeof *rt->accounts);
  if (!rt->accounts) {
    free(rt);
    return NULL;
  }
  for (size_t i = 0; i < cfg->naccounts; i++)
    rt->accounts[i].password_len =
        cfg->accounts[i].password ? strlen(cfg->accounts[i].password) : 0;
  id_seed(rt);
  return rt;
}

/* ---- the id table's memory ---- */

#define HUGE_PAGE (2u * 1024u * 1024u)

/* n zeroed slots. Tables of many sessions (a sign-in benchmark makes millions) are probed at
 * random, so they get their own mapping, aligned for transparent huge pages: far fewer TLB
 * misses and page faults. NULL on out of memory. */
static id_slot *slots_alloc(size_t n) {
  size_t bytes = n * sizeof(id_slot);
  if (bytes < HUGE_PAGE)
    return calloc(n, sizeof(id_slot));
  char *map =
      mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return NULL;
  char *aligned = (char *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (aligned > map)
    munmap(map, (size_t)(aligned - map));
  munmap(aligned + bytes, (size_t)(map + HUGE_PAGE - aligned));
  madvise(aligned, bytes, MADV_HUGEPAGE); /* a hint: without it, plain pages */
  return (id_slot *)aligned;
}

static void slots_free(id_slot *slots, size_t n) {
  if (n * sizeof(id_slot) < HUGE_PAGE)
    free(slots);
  else if (slots)
    munmap(slots, n * sizeof(id_slot));
}

/* Frees every entry of t and the table itself (entries are owned, allocated with malloc). */
static void id_table_free_all(id_table *t) {
  for (size_t i = 0; i < t->nslots; i++)
    free(t->slots[i].key);
  slots_free(t->slots, t->nslots);
  memset(t, 0, sizeof *t);
}

void mxc_runtime_free(mxc_runtime *rt) {
  if (!rt)
    return;
  free(rt->accounts);
  id_table_free_all(&rt->sessions);
  id_table_free_all(&rt->tokens);
  free(rt);
}

/* ---- the id table ---- */

/* A multiplicative hash of the id text. Stored ids are random, so this only has to spread
 * them. */
static uint64_t id_hash(const char *id) {
  size_t n = strlen(id);
  uint64_t h = 0xcbf29ce484222325ull ^ n, w;
  for (; n >= 8; n -= 8, id += 8) { /* 8 bytes at a time */
    memcpy(&w, id, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  w = 0;
  memcpy(&w, id, n);
  h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 32); /* the table's home slot is taken from the low bits */
}

/* The slot holding `id`, or the empty slot where the probe for it stops. nslots > 0. */
static size_t id_table_probe(const id_table *t, const char *id, uint64_t h) {
  size_t mask = t->nslots - 1;
  size_t i = (size_t)h & mask;
  while (t->slots[i].key && (t->slots[i].hash != h || strcmp(t->slots[i].key->id, id) != 0))
    i = (i + 1) & mask;
  return i;
}

/* The entry with this id, or NULL. */
static id_key *id_table_find(const id_table *t, const char *id) {
  if (!t->count)
    return NULL;
  return t->slots[id_table_probe(t, id, id_hash(id))].key;
}

/* Moves every entry into a table of n slots (a power of two). 0 or MXC_ENOMEM. */
static int id_table_resize(id_table *t, size_t n) {
  id_slot *slots = slots_alloc(n);
  if (!slots)
    return MXC_ENOMEM;
  for (size_t i = 0; i < t->nslots; i++) {
    if (!t->slots[i].key)
      continue;
    size_t j = (size_t)t->slots[i].hash & (n - 1);
    while (slots[j].key)
      j = (j + 1) & (n - 1);
    slots[j] = t->slots[i];
  }
  slots_free(t->slots, t->nslots);
  t->slots = slots;
  t->nslots = n;
  return 0;
}

/* Draws a fresh random id into k, and tells the CPU to fetch the slot where its probe in t
 * starts: in a table of millions of sessions that slot is a cache (and TLB) miss, which is
 * then paid while the request goes on (session_create draws the next session's id early). */
static void id_draw(mxc_runtime *rt, const id_table *t, id_key *k) {
  random_uuid(rt, k->id);
  k->hash = id_hash(k->id);
  if (t->nslots)
    __builtin_prefetch(&t->slots[(size_t)k->hash & (t->nslots - 1)], 1);
}

/* Gives k a fresh random id that is not yet in t and adds it; with drawn, that id (drawn by
 * id_draw) is the first candidate. 0 or MXC_ENOMEM (t unchanged). */
static int id_table_add_new(mxc_runtime *rt, id_table *t, id_key *k, const id_key *drawn) {
  if ((t->count + 1) * 2 > t->nslots) {
    int rc = id_table_resize(t, t->nslots ? t->nslots * 2 : 16);
    if (rc)
      return rc;
  }
  if (drawn)
    *k = *drawn;
  else
    id_draw(rt, t, k);
  size_t i;
  /* a repeat is next to impossible, but cheap to rule out: the probe finds the slot */
  while (t->slots[i = id_table_probe(t, k->id, k->hash)].key)
    id_draw(rt, t, k);
  t->slots[i].hash = k->hash;
  t->slots[i].key = k;
  t->count++;
  return 0;
}

/* Empties slot i and shifts later entries of its probe run back into the hole, so that every
 * entry stays reachable from its home slot without tombstones (Knuth 6.4, Algorithm R). */
static void id_table_remove_at(id_table *t, size_t i) {
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
static void id_table_remove(id_table *t, const id_key *k) {
  id_table_remove_at(t, id_table_probe(t, k->id, k->hash));
}

/* ---- sessions and tokens ---- */

static bool session_expired(const mxc_runtime *rt, const session *s, uint64_t now) {
  return now - s->last_used_ms > rt->cfg.session_idle_ms;
}

static void session_unlink(mxc_runtime *rt, session *s) {
  *(s->older ? &s->older->newer : &rt->oldest) = s->newer;
  *(s->newer ? &s->newer->older : &rt->newest) = s->older;
}

static void session_link_newest(mxc_runtime *rt, session *s) {
  s->older = rt->newest;
  s->newer = NULL;
  *(rt->newest ? &rt->newest->newer : &rt->oldest) = s;
  rt->newest = s;
}

static void session_destroy(mxc_runtime *rt, session *s) {
  id_table_remove(&rt->sessions, &s->key);
  session_unlink(rt, s);
  free(s);
}

/* The live session with this id, marked as used now; NULL when there is none. An expired
 * one found here is reclaimed. */
static session *session_use(mxc_runtime *rt, const char *id) {
  session *s = (session *)id_table_find(&rt->sessions, id);
  if (!s)
    return NULL;
  uint64_t now = mxc_now_ms();
  if (session_expired(rt, s, now)) {
    session_destroy(rt, s);
    return NULL;
  }
  s->last_used_ms = now;
  session_unlink(rt, s);
  session_link_newest(rt, s);
  return s;
}

/* Reclaims up to a few of the least recently used sessions that have expired. Called on every
 * creation, it frees sessions faster than they are made, without a long pause when many
 * expire at once. */
#define SWEEP_MAX 4
static void sessions_sweep(mxc_runtime *rt, uint64_t now) {
  for (int n = 0; n < SWEEP_MAX && rt->oldest && session_expired(rt, rt->oldest, now); n++)
    session_destroy(rt, rt->oldest);
}

/* A new session with fresh ids, or NULL when memory runs out. */
static session *session_create(mxc_runtime *rt, int account) {
  uint64_t now = mxc_now_ms();
  sessions_sweep(rt, now);
  session *s = malloc(sizeof *s);
  if (!s)
    return NULL;
  if (id_table_add_new(rt, &rt->sessions, &s->key,
                       rt->next_session_drawn ? &rt->next_session : NULL) != 0) {
    free(s);
    return NULL;
  }
  id_draw(rt, &rt->sessions, &rt->next_session); /* the next session's id, its slot fetched */
  rt->next_session_drawn = true;
  random_uuid(rt, s->xasid);
  random_uuid(rt, s->csrf);
  s->account = account;
  u64_to_decimal(s->guid, account >= 0 ? 281474976710657ull + (uint64_t)account
                                       : 562949953421313ull + rt->anon_guid_seq++);
  s->last_used_ms = now;
  session_link_newest(rt, s);
  return s;
}

void mxc_runtime_expire_sessions(mxc_runtime *rt) {
  id_table_free_all(&rt->sessions);
  rt->oldest = rt->newest = NULL;
}

static auth_token *token_find(mxc_runtime *rt, const char *value) {
  return value ? (auth_token *)id_table_find(&rt->tokens, value) : NULL;
}

static auth_token *token_create(mxc_runtime *rt, int account) {
  auth_token *t = malloc(sizeof *t);
  if (!t)
    return NULL;
  if (id_table_add_new(rt, &rt->tokens, &t->key, NULL) != 0) {
    free(t);
    return NULL;
  }
  t->account = account;
  return t;
}

static void token_destroy(mxc_runtime *rt, auth_token *t) {
  id_table_remove(&rt->tokens, &t->key);
  free(t);
}

static int account_find(const mxc_runtime *rt, const char *username) {
  for (size_t i = 0; i < rt->cfg.naccounts; i++)
    if (strcmp(rt->cfg.accounts[i].username, username) == 0)
      return (int)i;
  return -1;
}

bool mxc_runtime_redact(const mxc_runtime *rt, char *s) {
  bool hit = false;
  size_t len = strlen(s); /* masking keeps it */
  for (size_t i = 0; i < rt->cfg.naccounts; i++)
    if (rt->accounts[i].password_len <= len) /* a longer secret cannot be in s */
      hit |= mxc_mask(s, rt->cfg.accounts[i].password);
  return hit;
}

/* ---- cookies ---- */

/* Finds cookie `name` in a Cookie header; copies its value into out. */
static bool cookie_get(const char *header, const char *name, char *out, size_t outlen) {
  if (!header)
    return false;
  size_t nlen = strlen(name);
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == ';' || *p == '\t')
      p++;
    const char *eq = strchr(p, '=');
    const char *end = strchr(p, ';');
    if (!end)
      end = p + strlen(p);
    if (eq && eq < end && (size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0) {
      size_t vlen = (size_t)(end - eq - 1);
      if (vlen >= outlen)
        vlen = outlen - 1;
      memcpy(out, eq + 1, vlen);
      out[vlen] = '\0';
      return true;
    }
    p = end;
  }
  return false;
}

/* The session cookie's name: __Host- prefixed when configured (RFC 6265bis 4.1.3.2). */
static const char *session_cookie_name(const mxc_runtime *rt) {
  return rt->cfg.host_prefix_cookies ? "__Host-XASSESSIONID" : "XASSESSIONID";
}

/* The session id a request sends, under either name (the prefixed one first). */
static bool session_cookie_get(const char *header, char *out, size_t outlen) {
  return cookie_get(header, "__Host-XASSESSIONID", out, outlen) ||
         cookie_get(header, "XASSESSIONID", out, outlen);
}

/* Adds "Set-Cookie: NAME=VALUE_HEAD ID ATTRS", with "; Secure" over HTTPS. */
static int set_cookie(const mxc_runtime *rt, mxc_http_response *res, const char *name,
                      const char *value_head, const char *id, const char *attrs) {
  bool secure = rt->cfg.secure_cookies || rt->cfg.host_prefix_cookies;
  const char *parts[] = {"Set-Cookie: ",          name, "=", value_head, id, attrs,
                         secure ? "; Secure" : ""};
  return mxc__response_add_parts(res, parts, sizeof parts / sizeof parts[0]);
}

static int set_session_cookies(const mxc_runtime *rt, mxc_http_response *res, const session *s) {
  int rc = set_cookie(rt, res, session_cookie_name(rt), "", s->key.id,
                      "; Path=/; HttpOnly; SameSite=Strict");
  if (!rc)
    rc = set_cookie(rt, res, "XASID", "0.", s->xasid, "; Path=/");
  return rc;
}

/* ---- actions ---- */

typedef struct xas_ctx {
  mxc_runtime *rt;
  const mxc_http_request *req;
  mxc_http_response *res;
  mxc_exchange *rec;
  const cJSON *params;
  const char *cookie_header;
  session *sess; /* live session of the request's cookie, or NULL */
} xas_ctx;

/* Answers `status` with the body {} (what mxc_http_response_set_json prints for an empty
 * object, without building one). */
static int answer_empty(xas_ctx *x, int status) {
  mxc__response_set_body(x->res, (char *)"{}", 2, true);
  x->res->status = status;
  return 0;
}

static int answer_error(mxc_http_response *res, int status, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "error", msg)) {
    cJSON_Delete(o);
    return MXC_ENOMEM;
  }
  int rc = mxc_http_response_set_json(res, status, o);
  cJSON_Delete(o);
  return rc;
}

static cJSON *session_data_json(const mxc_runtime *rt, const session *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON *user = cJSON_AddObjectToObject(o, "user");
  cJSON *attrs = cJSON_AddObjectToObject(user, "attributes");
  cJSON *roles = cJSON_AddArrayToObject(o, "roles");
  cJSON_AddStringToObject(o, "csrftoken", s->csrf);
  cJSON_AddNumberToObject(o, "keepalive", (double)(rt->cfg.session_idle_ms / 2));
  cJSON_AddStringToObject(user, "guid", s->guid);
  cJSON *name = cJSON_AddObjectToObject(attrs, "Name");
  cJSON *anon = cJSON_AddObjectToObject(attrs, "IsAnonymous");
  if (s->account >= 0) {
    const mxc_account *a = &rt->cfg.accounts[s->account];
    cJSON_AddStringToObject(name, "value", a->username);
    cJSON_AddBoolToObject(anon, "value", 0);
    for (size_t i = 0; i < a->nroles; i++)
      cJSON_AddItemToArray(roles, cJSON_CreateString(a->roles[i]));
  } else {
    char anon_name[64];
    snprintf(anon_name, sizeof anon_name, "Anonymous_%s", s->guid);
    cJSON_AddStringToObject(name, "value", anon_name);
    cJSON_AddBoolToObject(anon, "value", 1);
    cJSON_AddItemToArray(roles, cJSON_CreateString("Anonymous"));
  }
  if (!cJSON_GetObjectItem(o, "keepalive")) { /* an allocation failed somewhere above */
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int do_get_session_data(xas_ctx *x) {
  mxc_runtime *rt = x->rt;
  session *s = x->sess;
  char value[128];
  int rc = 0;
  if (!s) {
    int account = -1;
    const char *source = "anonymous";
    if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
      auth_token *t = token_find(rt, value);
      if (t && rt->cfg.accounts[t->account].active) {
        account = t->account;
        source = "authtoken";
      } else {
        source = "anonymous_bad_token";
      }
    }
    s = session_create(rt, account);
    if (!s)
      return MXC_ENOMEM;
    rc = set_session_cookies(rt, x->res, s);
    mxc_exchange_lit(x->rec, "session_created", source);
    mxc_exchange_str(x->rec, "session_out", s->key.id);
  }
  if (s->account >= 0 && cookie_get(x->cookie_header, "useAuthToken", value, sizeof value) &&
      strcmp(value, "true") == 0) {
    auth_token *t = token_create(rt, s->account);
    if (!t)
      return MXC_ENOMEM;
    if (!rc)
      rc = set_cookie(rt, x->res, "authtoken", "", t->key.id,
                      "; Path=/; HttpOnly; Max-Age=31536000");
    if (!rc)
      rc = set_cookie(rt, x->res, "useAuthToken", "", "", "; Path=/; Max-Age=0");
    mxc_exchange_bool(x->rec, "authtoken_issued", true);
  }
  if (rc)
    return rc;
  mxc_exchange_str(x->rec, "session_user",
                   s->account >= 0 ? rt->cfg.accounts[s->account].username : "");
  cJSON *body = session_data_json(rt, s);
  if (!body)
    return MXC_ENOMEM;
  cJSON *roles = cJSON_Duplicate(cJSON_GetObjectItem(body, "roles"), 1);
  if (!mxc_exchange_json(x->rec, "roles", roles))
    cJSON_Delete(roles);
  mxc_exchange_str(x->rec, "csrftoken_out", s->csrf);
  rc = mxc_http_response_set_json(x->res, 200, body);
  cJSON_Delete(body);
  return rc;
}

static bool wants_auth_token(const cJSON *params) {
  const cJSON *v = json_get(params, "useAuthToken");
  if (!v)
    v = json_get(params, "shouldgeneratetoken");
  if (cJSON_IsTrue(v))
    return true;
  /* "default": native apps use auth tokens by default (documented in docs/serve.md). */
  return cJSON_IsString(v) && strcmp(v->valuestring, "default") == 0;
}

static int do_login(xas_ctx *x) {
  mxc_runtime *rt = x->rt;
  const cJSON *u = json_get(x->params, "username");
  const cJSON *p = json_get(x->params, "password");
  if (!cJSON_IsString(u) || !cJSON_IsString(p)) {
    mxc_exchange_lit(x->rec, "outcome", "bad_params");
    return answer_error(x->res, 400, "login needs string params.username and params.password");
  }
  const char *outcome;
  int status = 401;
  int idx = account_find(rt, u->valuestring);
  uint64_t now = mxc_now_ms();
  if (u->valuestring[0] == '\0' || p->valuestring[0] == '\0') {
    outcome = "empty_credentials";
  } else if (idx < 0) {
    outcome = "unknown_user";
  } else if (rt->accounts[idx].blocked_until_ms > now) {
    outcome = "blocked";
  } else if (!rt->cfg.accounts[idx].active) {
    outcome = "inactive";
  } else if (strcmp(rt->cfg.accounts[idx].password, p->valuestring) != 0) {
    outcome = "wrong_password";
    if (++rt->accounts[idx].failures >= MXC_RUNTIME_MAX_FAILURES) {
      rt->accounts[idx].blocked_until_ms = now + rt->cfg.block_ms;
      rt->accounts[idx].failures = 0;
      outcome = "wrong_password_now_blocked";
    }
  } else {
    outcome = "ok";
    status = 200;
  }
  mxc_exchange_lit(x->rec, "outcome", outcome);
  if (status != 200)
    return answer_empty(x, 401);

  rt->accounts[idx].failures = 0;
  if (x->sess) { /* no session fixation: the anonymous session dies */
    mxc_exchange_str(x->rec, "session_destroyed", x->sess->key.id);
    session_destroy(rt, x->sess);
    x->sess = NULL;
  }
  session *s = session_create(rt, idx);
  if (!s)
    return MXC_ENOMEM;
  int rc = set_session_cookies(rt, x->res, s);
  if (!rc && wants_auth_token(x->params))
    rc = set_cookie(rt, x->res, "useAuthToken", "true", "", "; Path=/; HttpOnly");
  mxc_exchange_str(x->rec, "session_out", s->key.id);
  mxc_exchange_str(x->rec, "session_user", rt->cfg.accounts[idx].username);
  return rc ? rc : answer_empty(x, 200);
}

static int do_logout(xas_ctx *x) {
  char value[128];
  if (x->sess)
    session_destroy(x->rt, x->sess);
  x->sess = NULL;
  if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
    auth_token *t = token_find(x->rt, value);
    if (t)
      token_destroy(x->rt, t);
  }
  int rc = set_cookie(x->rt, x->res, session_cookie_name(x->rt), "", "", "; Path=/; Max-Age=0");
  if (!rc)
    rc = set_cookie(x->rt, x->res, "XASID", "", "", "; Path=/; Max-Age=0");
  if (!rc)
    rc = set_cookie(x->rt, x->res, "authtoken", "", "", "; Path=/; Max-Age=0");
  return rc ? rc : answer_empty(x, 200);
}

static int do_keepalive(xas_ctx *x) { return answer_empty(x, x->sess ? 200 : 401); }

static int do_info(xas_ctx *x) { return answer_empty(x, 200); }

typedef int (*action_fn)(xas_ctx *);

static const struct action_entry {
  const char *name;
  action_fn fn;
  bool csrf_checked; /* whether a session's token is expected on this action */
} actions[] = {
    {"get_session_data", do_get_session_data, false},
    {"login", do_login, true},
    {"logout", do_logout, true},
    {"keepalive", do_keepalive, true},
    {"info", do_info, false},
};

/* Records an object `params` of the request body, with a non-empty params.password (the
 * first key that cJSON_GetObjectItem matches) reading "[redacted]". When the body's text is
 * known (the fast parse), that text is recorded with the password's cut out, else a copy.
 * Any account password still in it (a second "password" key, a password typed as the user
 * name) is masked with '*', as in request targets and headers. */
static void record_params(const mxc_runtime *rt, mxc_exchange *rec, const mxc_http_request *req,
                          const mxc_json_body *parsed, const cJSON *params) {
  if (!rec || !cJSON_IsObject(params))
    return;
  const cJSON *pw = json_get(params, "password");
  bool secret = cJSON_IsString(pw) && pw->valuestring[0];
  size_t start, end, pw_start = 0, pw_end = 0;
  static const char mark[] = "\"[redacted]\"";
  char local[1024], *text = local, *printed = NULL;
  size_t n = 0;
  if (mxc_json_body_span(parsed, params, &start, &end) &&
      (!secret || mxc_json_body_span(parsed, pw, &pw_start, &pw_end))) {
    if (!secret)
      pw_start = pw_end = start;
    size_t head = pw_start - start, tail = end - pw_end, mid = secret ? sizeof mark - 1 : 0;
    n = head + mid + tail;
    if (n >= sizeof local && !(text = malloc(n + 1)))
      return;
    memcpy(text, req->body + start, head);
    memcpy(text + head, mark, mid);
    memcpy(text + head + mid, req->body + pw_end, tail);
    text[n] = '\0';
  } else {
    cJSON *copy = cJSON_Duplicate(params, true);
    cJSON *cpw = copy ? cJSON_GetObjectItem(copy, "password") : NULL;
    if (secret && cpw)
      cJSON_SetValuestring(cpw, "[redacted]");
    printed = copy ? cJSON_PrintUnformatted(copy) : NULL;
    cJSON_Delete(copy);
    if (!printed)
      return;
    text = printed;
    n = strlen(printed);
  }
  mxc_runtime_redact(rt, text);
  mxc_exchange_json_text(rec, "params", text, n, 0, 0, NULL);
  if (text != local)
    free(text);
}

static void record_session_in(xas_ctx *x) {
  char id[128];
  bool has = session_cookie_get(x->cookie_header, id, sizeof id);
  mxc_exchange_object(x->rec, "session_in");
  if (has)
    mxc_exchange_str(x->rec, "id", id);
  else
    mxc_exchange_null(x->rec, "id");
  const char *state = !has                   ? "none"
                      : !x->sess             ? "unknown"
                      : x->sess->account < 0 ? "anonymous"
                                             : "user";
  mxc_exchange_lit(x->rec, "state", state);
  mxc_exchange_end(x->rec);
}

/* Records whether the request carries the session's csrftoken; true when it may proceed. */
static bool check_csrf(xas_ctx *x, const struct action_entry *a) {
  const char *tok = mxc_http_header_get(x->req->headers, x->req->nheaders, "X-Csrf-Token");
  const char *state;
  if (!x->sess)
    state = tok ? "no_session" : "absent";
  else if (!tok)
    state = "absent";
  else
    state = strcmp(tok, x->sess->csrf) == 0 ? "match" : "mismatch";
  mxc_exchange_lit(x->rec, "csrf", state);
  if (!a->csrf_checked || !x->rt->cfg.csrf_enforce || !x->sess)
    return true;
  return strcmp(state, "match") == 0;
}

void mxc_runtime_observe(mxc_runtime *rt, const mxc_http_request *req, mxc_exchange *rec) {
  static const struct action_entry observed = {"", NULL, false};
  mxc_json_body parsed;
  const cJSON *body = mxc_json_body_parse(&parsed, req->body, req->body_len);
  const cJSON *action = json_get(body, "action");
  mxc_exchange_str(rec, "action", cJSON_IsString(action) ? action->valuestring : "");
  xas_ctx x = {.rt = rt, .req = req, .rec = rec};
  record_params(rt, rec, req, &parsed, json_get(body, "params"));
  x.cookie_header = mxc_http_header_get(req->headers, req->nheaders, "Cookie");
  char id[128];
  if (session_cookie_get(x.cookie_header, id, sizeof id)) {
    session *s = (session *)id_table_find(&rt->sessions, id);
    x.sess = s && !session_expired(rt, s, mxc_now_ms()) ? s : NULL; /* looked at, not used */
  }
  record_session_in(&x);
  check_csrf(&x, &observed);
  mxc_json_body_cleanup(&parsed);
}

int mxc_runtime_handle(mxc_runtime *rt, const mxc_http_request *req, mxc_http_response *res,
                       mxc_exchange *rec) {
  int rc = 0;
  mxc_json_body parsed; /* set by the parse below; nothing to clean up before it */
  parsed.parsed = NULL;
  const cJSON *body = NULL;
  char path[256];
  const char *q = strchr(req->target, '?');
  size_t plen = q ? (size_t)(q - req->target) : strlen(req->target);
  if (plen >= sizeof path)
    plen = sizeof path - 1;
  memcpy(path, req->target, plen);
  path[plen] = '\0';

  if (strcmp(path, "/xas/") != 0) {
    rc = answer_error(res, 404, "no such path");
    goto out;
  }
  if (strcmp(req->method, "POST") != 0) {
    rc = answer_error(res, 405, "only POST is allowed on /xas/");
    if (!rc)
      rc = mxc__response_add_literal(res, "Allow: POST");
    goto out;
  }
  body = mxc_json_body_parse(&parsed, req->body, req->body_len);
  const cJSON *action = json_get(body, "action");
  if (!cJSON_IsObject(body) || !cJSON_IsString(action)) {
    mxc_exchange_lit(rec, "action", "");
    rc = answer_error(res, 400,
                      body ? "request body needs a string \"action\"" : "request body is not JSON");
    goto out;
  }
  mxc_exchange_str(rec, "action", action->valuestring);
  xas_ctx x = {.rt = rt, .req = req, .res = res, .rec = rec};
  x.params = json_get(body, "params");
  record_params(rt, rec, req, &parsed, x.params);
  x.cookie_header = mxc_http_header_get(req->headers, req->nheaders, "Cookie");
  char id[128];
  if (session_cookie_get(x.cookie_header, id, sizeof id))
    x.sess = session_use(rt, id);
  record_session_in(&x);

  const struct action_entry *a = NULL;
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(actions[i].name, action->valuestring) == 0)
      a = &actions[i];
  if (!a) {
    char msg[200];
    snprintf(msg, sizeof msg, "unknown action '%.100s'", action->valuestring);
    rc = answer_error(res, 400, msg);
    goto out;
  }
  if (!check_csrf(&x, a)) {
    rc = answer_error(res, 403, "CSRF token missing or wrong");
    goto out;
  }
  rc = a->fn(&x);
out:
  mxc_json_body_cleanup(&parsed);
  if (rc == 0) {
    rc = mxc__response_add_literal(res, "Content-Type: application/json;charset=utf-8");
    if (!rc)
      rc = mxc__response_add_literal(res, "Cache-Control: no-store");
  }
  if (rc) {
    mxc_http_response_cleanup(res);
    res->status = 500;
  }
  return rc;
}
