/* Transcript records: connections and exchanges with monotonic microsecond timestamps.
 * Exchanges are kept as tokens in an arena until the document is read (transcript.h). */
#include "mocks/transcript.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a token records, and the payload that follows it. An exchange's tokens follow its
 * TOK_EXCHANGE token. */
typedef enum {
  TOK_EXCHANGE,  /* exchange_head */
  TOK_STR,       /* the string and its NUL */
  TOK_PAIR,      /* two strings, each with its NUL: the array [first, second] */
  TOK_JSON_TEXT, /* JSON text (len bytes, then a NUL), parsed when built */
  TOK_LIT,       /* const char *, not owned */
  TOK_NUM,       /* double */
  TOK_JSON,      /* cJSON *, owned until built */
  TOK_TRUE,      /* no payload from here on */
  TOK_FALSE,
  TOK_NULL,
  TOK_ARRAY,  /* opens a container that TOK_END closes */
  TOK_OBJECT, /* opens a container that TOK_END closes */
  TOK_END,
} tok_kind;

typedef struct tok {
  uint8_t kind;
  uint8_t key; /* index in the transcript's keys; 0: none (inside an array) */
  uint16_t unused;
  uint32_t len; /* bytes of payload that follow the token (before padding to 8) */
} tok;

typedef struct exchange_head {
  uint64_t seq, conn, t_us;
} exchange_head;

#define XCHUNK_BYTES (256u * 1024u)
#define MAX_DEPTH 8 /* containers nest 2 deep in the records we write */

struct mxc_xchunk {
  mxc_xchunk *next;
  size_t used, size;
  max_align_t data[];
};

static size_t tok_span(const tok *k) { return sizeof *k + ((k->len + 7u) & ~(size_t)7u); }

/* ---- keys ---- */

/* The index of key (a literal, told apart by its address) in t->keys, added when new; 0 for
 * NULL, -1 when the table is full. */
static int key_index(mxc_transcript *t, const char *key) {
  if (!key)
    return 0;
  size_t mask = MXC_TRANSCRIPT_KEY_SLOTS - 1;
  size_t i = (size_t)(((uintptr_t)key * 0x9e3779b97f4a7c15ull) >> 40) & mask;
  while (t->key_slots[i] && t->keys[t->key_slots[i]] != key)
    i = (i + 1) & mask;
  if (!t->key_slots[i]) {
    if (t->nkeys + 1 >= MXC_TRANSCRIPT_MAX_KEYS)
      return -1;
    t->keys[++t->nkeys] = key;
    t->key_slots[i] = (uint8_t)t->nkeys;
  }
  return t->key_slots[i];
}

/* ---- the arena ---- */

/* Room for a token with `payload` bytes after it, at the end of the arena; NULL on out of
 * memory. */
static tok *tok_push(mxc_transcript *t, const char *key, tok_kind kind, size_t payload) {
  int key_at = key_index(t, key);
  if (payload > UINT32_MAX - 8u || key_at < 0)
    return NULL;
  size_t need = sizeof(tok) + ((payload + 7u) & ~(size_t)7u);
  mxc_xchunk *c = t->tail;
  if (!c || c->size - c->used < need) {
    size_t size = need > XCHUNK_BYTES ? need : XCHUNK_BYTES;
    c = malloc(sizeof *c + size);
    if (!c)
      return NULL;
    c->next = NULL;
    c->used = 0;
    c->size = size;
    if (t->tail)
      t->tail->next = c;
    else
      t->head = c;
    t->tail = c;
  }
  tok *k = (tok *)((char *)c->data + c->used);
  c->used += need;
  k->kind = (uint8_t)kind;
  k->key = (uint8_t)key_at;
  k->unused = 0;
  k->len = (uint32_t)payload;
  return k;
}

/* Calls fn on every token, oldest first, then frees the arena. */
static void tokens_drain(mxc_transcript *t, void (*fn)(mxc_transcript *t, const tok *k, void *arg),
                         void *arg) {
  mxc_xchunk *c = t->head;
  t->head = t->tail = NULL;
  while (c) {
    for (size_t off = 0; off < c->used;) {
      const tok *k = (const tok *)((char *)c->data + off);
      fn(t, k, arg);
      off += tok_span(k);
    }
    mxc_xchunk *next = c->next;
    free(c);
    c = next;
  }
}

/* The pointer a TOK_LIT or TOK_JSON carries. */
static void *tok_pointer(const tok *k) {
  void *ptr;
  memcpy(&ptr, k + 1, sizeof ptr);
  return ptr;
}

static void tok_discard(mxc_transcript *t, const tok *k, void *arg) {
  (void)t;
  (void)arg;
  if (k->kind == TOK_JSON)
    cJSON_Delete(tok_pointer(k));
}

/* ---- building the JSON of the exchanges ---- */

typedef struct build_state {
  cJSON *open[MAX_DEPTH]; /* open[0]: the exchange; NULL where a container failed */
  int depth;
  int too_deep; /* containers opened past MAX_DEPTH (their fields go to open[depth]) */
} build_state;

/* Adds item to the innermost open container; false (item deleted) when it cannot. */
static bool build_add(build_state *b, const char *key, cJSON *item) {
  cJSON *parent = b->open[b->depth];
  bool ok = false;
  if (item && parent)
    ok = cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, item)
                               : cJSON_AddItemToObjectCS(parent, key, item);
  if (!ok)
    cJSON_Delete(item);
  return ok;
}

static void tok_build(mxc_transcript *t, const tok *k, void *arg) {
  build_state *b = arg;
  const char *payload = (const char *)(k + 1);
  cJSON *item = NULL;
  switch ((tok_kind)k->kind) {
  case TOK_EXCHANGE: {
    const exchange_head *h = (const exchange_head *)payload;
    cJSON *x = cJSON_CreateObject();
    if (x && !cJSON_AddItemToArray(t->exchanges, x)) {
      cJSON_Delete(x);
      x = NULL;
    }
    b->depth = b->too_deep = 0;
    b->open[0] = t->building = x;
    build_add(b, "seq", cJSON_CreateNumber((double)h->seq));
    build_add(b, "conn", cJSON_CreateNumber((double)h->conn));
    build_add(b, "t_us", cJSON_CreateNumber((double)h->t_us));
    return;
  }
  case TOK_STR: item = cJSON_CreateString(payload); break;
  case TOK_PAIR: {
    const char *second = payload + strlen(payload) + 1;
    item = cJSON_CreateArray();
    cJSON *one = cJSON_CreateString(payload), *two = cJSON_CreateString(second);
    if (!item || !one || !two || !cJSON_AddItemToArray(item, one)) {
      cJSON_Delete(one);
      cJSON_Delete(two);
      cJSON_Delete(item);
      return;
    }
    cJSON_AddItemToArray(item, two);
    break;
  }
  case TOK_JSON_TEXT: item = cJSON_ParseWithLength(payload, k->len - 1); break;
  case TOK_LIT: item = cJSON_CreateString(tok_pointer(k)); break;
  case TOK_NUM: {
    double v;
    memcpy(&v, payload, sizeof v);
    item = cJSON_CreateNumber(v);
    break;
  }
  case TOK_TRUE: item = cJSON_CreateTrue(); break;
  case TOK_FALSE: item = cJSON_CreateFalse(); break;
  case TOK_NULL: item = cJSON_CreateNull(); break;
  case TOK_JSON: item = tok_pointer(k); break;
  case TOK_ARRAY:
  case TOK_OBJECT: {
    cJSON *o = k->kind == TOK_ARRAY ? cJSON_CreateArray() : cJSON_CreateObject();
    bool added = build_add(b, t->keys[k->key], o);
    if (b->depth + 1 < MAX_DEPTH)
      b->open[++b->depth] = added ? o : NULL;
    else
      b->too_deep++;
    return;
  }
  case TOK_END:
    if (b->too_deep)
      b->too_deep--;
    else if (b->depth > 0)
      b->depth--;
    return;
  }
  build_add(b, t->keys[k->key], item);
}

/* Builds the exchanges recorded since the last build into root's "exchanges". Tokens that
 * come before any TOK_EXCHANGE extend the exchange built last. */
static void exchanges_build(mxc_transcript *t) {
  build_state b = {.open = {t->building}};
  tokens_drain(t, tok_build, &b);
}

/* ---- lifetime ---- */

int mxc_transcript_init(mxc_transcript *t) {
  memset(t, 0, sizeof *t);
  t->writer.t = t;
  t->root = cJSON_CreateObject();
  if (!t->root)
    return MXC_ENOMEM;
  cJSON_AddNumberToObject(t->root, "version", MXC_TRANSCRIPT_VERSION);
  t->connections = cJSON_AddArrayToObject(t->root, "connections");
  t->exchanges = cJSON_AddArrayToObject(t->root, "exchanges");
  if (!t->connections || !t->exchanges) {
    mxc_transcript_cleanup(t);
    return MXC_ENOMEM;
  }
  t->t0_us = mxc_now_us();
  return 0;
}

void mxc_transcript_cleanup(mxc_transcript *t) {
  if (!t)
    return;
  tokens_drain(t, tok_discard, NULL);
  cJSON_Delete(t->root);
  memset(t, 0, sizeof *t);
}

uint64_t mxc_transcript_now(const mxc_transcript *t) { return mxc_now_us() - t->t0_us; }

cJSON *mxc_transcript_root(mxc_transcript *t) {
  if (t->head && t->root)
    exchanges_build(t);
  return t->root;
}

cJSON *mxc_transcript_take(mxc_transcript *t) {
  cJSON *root = mxc_transcript_root(t);
  tokens_drain(t, tok_discard, NULL); /* only when there was no root to build into */
  memset(t, 0, sizeof *t);
  return root;
}

/* ---- records ---- */

cJSON *mxc_transcript_connection(mxc_transcript *t, uint64_t id, const char *peer) {
  cJSON *c = cJSON_CreateObject();
  if (!c)
    return NULL;
  cJSON_AddNumberToObject(c, "id", (double)id);
  cJSON_AddStringToObject(c, "peer", peer ? peer : "");
  cJSON_AddNumberToObject(c, "opened_us", (double)mxc_transcript_now(t));
  cJSON_AddItemToArray(t->connections, c);
  return c;
}

void mxc_transcript_connection_end(mxc_transcript *t, cJSON *conn, const char *how,
                                   uint64_t bytes_in, uint64_t bytes_out) {
  if (!conn)
    return;
  cJSON_AddNumberToObject(conn, "closed_us", (double)mxc_transcript_now(t));
  cJSON_AddStringToObject(conn, "end", how);
  cJSON_AddNumberToObject(conn, "bytes_in", (double)bytes_in);
  cJSON_AddNumberToObject(conn, "bytes_out", (double)bytes_out);
}

mxc_exchange *mxc_transcript_exchange(mxc_transcript *t, uint64_t conn_id) {
  if (!t->root)
    return NULL;
  tok *k = tok_push(t, NULL, TOK_EXCHANGE, sizeof(exchange_head));
  if (!k)
    return NULL;
  exchange_head h = {.seq = t->next_seq++, .conn = conn_id, .t_us = mxc_transcript_now(t)};
  memcpy(k + 1, &h, sizeof h);
  t->writer.t = t;
  return &t->writer;
}

/* ---- fields ---- */

static tok *field(mxc_exchange *x, const char *key, tok_kind kind, size_t payload) {
  return x ? tok_push(x->t, key, kind, payload) : NULL;
}

/* A token of `kind` whose payload is s[0..n) and a NUL; returns the copy. */
static char *strn_kind(mxc_exchange *x, const char *key, tok_kind kind, const char *s, size_t n) {
  tok *k = field(x, key, kind, n + 1);
  if (!k)
    return NULL;
  char *copy = (char *)(k + 1);
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

char *mxc_exchange_strn(mxc_exchange *x, const char *key, const char *s, size_t n) {
  return strn_kind(x, key, TOK_STR, s, n);
}

char *mxc_exchange_str(mxc_exchange *x, const char *key, const char *s) {
  return mxc_exchange_strn(x, key, s, strlen(s));
}

char *mxc_exchange_pair(mxc_exchange *x, const char *first, const char *second) {
  size_t n1 = strlen(first) + 1, n2 = strlen(second) + 1;
  tok *k = field(x, NULL, TOK_PAIR, n1 + n2);
  if (!k)
    return NULL;
  char *copy = (char *)(k + 1);
  memcpy(copy, first, n1);
  memcpy(copy + n1, second, n2);
  return copy + n1;
}

/* ---- JSON values as text ---- */

bool mxc_exchange_json_text(mxc_exchange *x, const char *key, const char *text, size_t n,
                            size_t cut, size_t cut_len, const char *insert) {
  size_t ins = insert ? strlen(insert) : 0;
  if (cut > n || cut_len > n - cut)
    return false;
  tok *k = field(x, key, TOK_JSON_TEXT, n - cut_len + ins + 1);
  if (!k)
    return false;
  char *out = (char *)(k + 1);
  memcpy(out, text, cut);
  memcpy(out + cut, insert ? insert : "", ins);
  memcpy(out + cut + ins, text + cut + cut_len, n - cut - cut_len);
  out[n - cut_len + ins] = '\0';
  return true;
}

static void field_pointer(mxc_exchange *x, const char *key, tok_kind kind, const void *ptr) {
  tok *k = field(x, key, kind, sizeof ptr);
  if (k)
    memcpy(k + 1, &ptr, sizeof ptr);
}

void mxc_exchange_lit(mxc_exchange *x, const char *key, const char *literal) {
  field_pointer(x, key, TOK_LIT, literal);
}

void mxc_exchange_num(mxc_exchange *x, const char *key, double v) {
  tok *k = field(x, key, TOK_NUM, sizeof v);
  if (k)
    memcpy(k + 1, &v, sizeof v);
}

void mxc_exchange_bool(mxc_exchange *x, const char *key, bool v) {
  field(x, key, v ? TOK_TRUE : TOK_FALSE, 0);
}

void mxc_exchange_null(mxc_exchange *x, const char *key) { field(x, key, TOK_NULL, 0); }

bool mxc_exchange_json(mxc_exchange *x, const char *key, cJSON *item) {
  tok *k = item ? field(x, key, TOK_JSON, sizeof item) : NULL;
  if (k)
    memcpy(k + 1, &item, sizeof item);
  return k != NULL;
}

void mxc_exchange_array(mxc_exchange *x, const char *key) { field(x, key, TOK_ARRAY, 0); }

void mxc_exchange_object(mxc_exchange *x, const char *key) { field(x, key, TOK_OBJECT, 0); }

void mxc_exchange_end(mxc_exchange *x) { field(x, NULL, TOK_END, 0); }
