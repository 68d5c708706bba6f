/* The mock's server: listener, connections, fault selection, dispatch to the runtime and the
 * control API. How requests are parsed is in http1.c, how answers are sent in wire.c. */
#include "mocks/mock_internal.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- lifetime ---- */

static void mock_maybe_closed(mxc_mock *m) {
  if (m->stopping && m->handles_open == 0 && m->on_closed) {
    mxc_mock_closed_cb cb = m->on_closed;
    m->on_closed = NULL;
    cb(m, m->on_closed_arg);
  }
}

void mxc__mock_handle_closed(mxc_mock *m) {
  m->handles_open--;
  mock_maybe_closed(m);
}

void mxc__conn_free(conn *c) {
  mxc_mock *m = c->mock;
  mxc__request_reset(c);
  mxc_buf_cleanup(&c->url);
  mxc_buf_cleanup(&c->fields);
  mxc_buf_cleanup(&c->body);
  mxc__tx_free_all(c);
  mxc__tls_conn_free(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    m->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  m->nconns--;
  free(c);
  mock_maybe_closed(m);
}

static void on_idle(uv_timer_t *t) {
  conn *c = t->data;
  /* reads do not restart the timer (that costs a heap update per request): it checks here */
  uint64_t quiet = uv_now(c->mock->loop) - c->last_input_ms;
  if (quiet < c->mock->idle_ms) {
    uv_timer_start(&c->timer, on_idle, c->mock->idle_ms - quiet, 0);
    return;
  }
  if (c->txq && !c->stalled) { /* an answer is still being paced out */
    uv_timer_start(&c->timer, on_idle, c->mock->idle_ms, 0);
    return;
  }
  /* silent for idle_ms, or not reading what we wrote */
  mxc__conn_close(c, c->writes_pending ? "write_timeout" : "idle_timeout", false);
}

/* ---- faults ---- */

static const char *peek_action(const char *body, size_t len, char *out, size_t outlen) {
  out[0] = '\0';
  cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
  const cJSON *a = cJSON_GetObjectItem(doc, "action");
  if (cJSON_IsString(a))
    snprintf(out, outlen, "%s", a->valuestring);
  cJSON_Delete(doc);
  return out;
}

#define MAX_SHAPES 16

/* The faults that apply to one request: at most one REPLACE kind (the first that matches),
 * and every SHAPE kind that matches. Counters and random draws advance only for faults
 * whose action and connection match, so a seed gives the same schedule every time. */
typedef struct fault_pick {
  const mxc_fault *replace;
  const mxc_fault *shapes[MAX_SHAPES];
  size_t nshapes;
} fault_pick;

/* The selectors every fault shares, applied to fault i for a match on connection c: conn,
 * nth, times, p. Counts the match and, when selected, the hit. */
static bool fault_selects(mxc_mock *m, size_t i, const conn *c) {
  const mxc_fault *f = &m->faults[i];
  if (f->conn && (uint64_t)f->conn != c->id)
    return false;
  int seen = ++m->fault_seen[i];
  if (f->nth && seen != f->nth)
    return false;
  if (f->times && m->fault_hits[i] >= f->times)
    return false;
  if (f->p > 0 && f->p < 1 && mxc_rng_unit(&m->rng) >= f->p)
    return false;
  m->fault_hits[i]++;
  return true;
}

static void faults_pick(mxc_mock *m, const conn *c, const char *action, fault_pick *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < m->nfaults; i++) {
    const mxc_fault *f = &m->faults[i];
    mxc_fault_stage stage = mxc_fault_stage_of(f->kind);
    if (stage == MXC_STAGE_LISTENER || stage == MXC_STAGE_HARNESS || stage == MXC_STAGE_HANDSHAKE)
      continue;
    if (stage == MXC_STAGE_REPLACE && out->replace)
      continue;
    if (stage == MXC_STAGE_SHAPE && out->nshapes == MAX_SHAPES)
      continue;
    if (strcmp(f->match, "*") != 0 && strcmp(f->match, action) != 0)
      continue;
    if (!fault_selects(m, i, c))
      continue;
    if (stage == MXC_STAGE_REPLACE)
      out->replace = f;
    else
      out->shapes[out->nshapes++] = f;
  }
}

/* The handshake fault of a connection being accepted (the first that selects it), or NONE.
 * No request is known yet: each connection counts as one match of every handshake fault. */
static mxc_fault_kind faults_pick_handshake(mxc_mock *m, const conn *c) {
  for (size_t i = 0; i < m->nfaults; i++) {
    const mxc_fault *f = &m->faults[i];
    if (mxc_fault_stage_of(f->kind) != MXC_STAGE_HANDSHAKE)
      continue;
    if (fault_selects(m, i, c))
      return f->kind;
  }
  return MXC_FAULT_NONE;
}

/* Whether a refused fault takes effect once the answer being sent now is out. */
static bool refused_due(const mxc_mock *m) {
  for (size_t i = 0; i < m->nfaults; i++)
    if (m->faults[i].kind == MXC_FAULT_REFUSED && m->responses + 1 >= (uint64_t)m->faults[i].after)
      return true;
  return false;
}

static void listener_closed(uv_handle_t *h) {
  mxc_mock *m = h->data;
  mxc__mock_handle_closed(m);
}

static void mock_stop_listening(mxc_mock *m) {
  if (!m->listening)
    return;
  m->listening = false;
  uv_close((uv_handle_t *)&m->listener, listener_closed);
}

/* refused: nothing listens any more and no connection stays open to be reused. */
static void apply_refused(mxc_mock *m) {
  mock_stop_listening(m);
  for (conn *c = m->conns; c; c = c->next) {
    if (mxc__conn_busy(c))
      c->close_after_writes = true;
    else
      mxc__conn_close(c, "fault_refused", false);
  }
}

/* ---- requests ---- */

/* "M.m" for an HTTP version. */
static void version_text(llhttp_t *p, char out[8]) {
  unsigned major = llhttp_get_http_major(p), minor = llhttp_get_http_minor(p);
  if (major < 10 && minor < 10) {
    out[0] = (char)('0' + major);
    out[1] = '.';
    out[2] = (char)('0' + minor);
    out[3] = '\0';
  } else {
    snprintf(out, 8, "%u.%u", major, minor);
  }
}

static void record_request(conn *c, mxc_exchange *x, const char *method) {
  mxc_mock *m = c->mock;
  bool url_leak = false;
  bool header_leak[MXC_MOCK_MAX_HEADERS] = {false};
  size_t nleaks = 0;
  mxc_exchange_lit(x, "method", method); /* llhttp's names are static */
  char *target = mxc_exchange_strn(x, "target", c->url.data ? c->url.data : "", c->url.len);
  if (target && mxc_runtime_redact(m->rt, target))
    url_leak = true;
  char version[8];
  version_text(&c->parser, version);
  mxc_exchange_str(x, "http", version);
  mxc_exchange_array(x, "headers");
  for (size_t i = 0; i < c->nheaders; i++) {
    char *v = mxc_exchange_pair(x, c->headers[i].name, c->headers[i].value);
    if (v && mxc_runtime_redact(m->rt, v)) {
      header_leak[i] = true;
      nleaks++;
    }
  }
  mxc_exchange_end(x);
  mxc_exchange_array(x, "credentials_outside_body");
  if (url_leak)
    mxc_exchange_lit(x, NULL, "url");
  for (size_t i = 0; nleaks && i < c->nheaders; i++) {
    if (header_leak[i]) {
      char where[300];
      snprintf(where, sizeof where, "header:%.280s", c->headers[i].name);
      mxc_exchange_str(x, NULL, where);
    }
  }
  mxc_exchange_end(x);
  mxc_exchange_num(x, "request_body_bytes", (double)c->body.len);
}

/* Answers a request we could not parse or accept, then closes. */
static void conn_reject(conn *c, int status, const char *reason) {
  mxc_exchange *rec = mxc_transcript_exchange(&c->mock->transcript, c->id);
  mxc_exchange_str(rec, "error", reason);
  mxc_exchange_lit(rec, "action", "");
  mxc_http_response res = {0};
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "error", reason);
  if (mxc_http_response_set_json(&res, status, body) == 0)
    mxc_http_response_add_header(&res, "Content-Type: application/json;charset=utf-8");
  cJSON_Delete(body);
  res.status = status;
  c->input_done = true;
  tx *t = mxc__tx_from_response(c, &res, rec, false, false, NULL);
  mxc_http_response_cleanup(&res);
  if (t)
    mxc__tx_enqueue(c, t);
  else
    mxc__conn_close(c, "server_error", false);
}

/* Answers a /_mxconform/ request; not recorded, not counted, never faulted. */
static bool conn_handle_control(conn *c, const char *method, bool keep_alive, bool http10) {
  mxc_http_response res = {0};
  tx *t = NULL;
  if (mxc_control_handle(c->mock, &c->mock->control, method, c->url.data, c->body.data, c->body.len,
                         &res) == 0)
    t = mxc__tx_from_response(c, &res, NULL, keep_alive, http10, NULL);
  mxc_http_response_cleanup(&res);
  if (!t) {
    mxc__conn_close(c, "server_error", false);
    return false;
  }
  mxc__tx_enqueue(c, t);
  return keep_alive;
}

/* The answer a REPLACE fault sends instead of the runtime's. */
static tx *fault_answer(mxc_mock *m, const conn *c, const mxc_fault *f, mxc_exchange *rec,
                        bool keep_alive, bool http10, const tx_framing *fr) {
  static const char bad_status[] = "HTTP/1.1 OK\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 2\r\n\r\n{}";
  switch (f->kind) {
  case MXC_FAULT_RESET: return mxc__tx_raw(NULL, 0, TX_RESET);
  case MXC_FAULT_CLOSE: return mxc__tx_raw(NULL, 0, TX_CLOSE);
  case MXC_FAULT_BLACKHOLE: return mxc__tx_raw(NULL, 0, TX_STALL);
  case MXC_FAULT_BAD_STATUS_LINE: return mxc__tx_raw(bad_status, sizeof bad_status - 1, TX_CLOSE);
  case MXC_FAULT_GARBAGE: {
    char *junk = malloc((size_t)f->bytes);
    if (!junk)
      return NULL;
    for (int i = 0; i < f->bytes; i++) /* binary, never "HTTP/" */
      junk[i] = (char)(0x80 | (mxc_rng_next(&m->rng) & 0x7f));
    tx *t = mxc__tx_raw(junk, (size_t)f->bytes, TX_CLOSE);
    free(junk);
    return t;
  }
  default: break;
  }
  mxc_fault_answer a;
  mxc_fault_answer_of(f, &a);
  mxc_http_response res = {.status = a.code};
  res.body = mxc_strdup(a.body);
  res.body_len = strlen(a.body);
  mxc_http_response_add_header(&res, "Content-Type: %s", a.content_type);
  for (size_t i = 0; i < a.nheaders; i++)
    mxc_http_response_add_header(&res, "%s", a.headers[i]);
  tx *t = res.body ? mxc__tx_from_response(c, &res, rec, keep_alive, http10, fr) : NULL;
  mxc_http_response_cleanup(&res);
  return t;
}

/* Records a fault applied to the request in its exchange's "faults"; returns the record
 * (borrowed, NULL when left out). */
static cJSON *record_fault(mxc_exchange *rec, const mxc_fault *f) {
  cJSON *o = mxc_fault_to_json(f);
  if (mxc_exchange_json(rec, NULL, o))
    return o;
  cJSON_Delete(o);
  return NULL;
}

/* Answers the request just parsed. Returns false when the connection reads no more requests. */
static bool conn_handle_request(conn *c) {
  mxc_mock *m = c->mock;
  const char *method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser));
  bool keep_alive = llhttp_should_keep_alive(&c->parser) && !m->stopping;
  bool http10 = llhttp_get_http_major(&c->parser) == 1 && llhttp_get_http_minor(&c->parser) == 0;
  if (m->control.enabled && c->url.data && mxc_control_path(c->url.data))
    return conn_handle_control(c, method, keep_alive, http10);
  mxc_exchange *rec = mxc_transcript_exchange(&m->transcript, c->id);
  if (!rec) {
    mxc__conn_close(c, "server_error", false);
    return false;
  }
  record_request(c, rec, method);
  fault_pick pick = {0};
  char action[64] = "";
  if (m->nfaults) { /* the body is parsed twice only when faults are armed */
    peek_action(c->body.data, c->body.len, action, sizeof action);
    faults_pick(m, c, action, &pick);
  }
  cJSON *shape_recs[MAX_SHAPES] = {NULL}; /* "delay_ms" is added to them once drawn */
  tx_framing framing = {0};
  bool expire = false;
  if (pick.replace || pick.nshapes) {
    mxc_exchange_array(rec, "faults");
    if (pick.replace)
      record_fault(rec, pick.replace);
    for (size_t i = 0; i < pick.nshapes; i++) {
      const mxc_fault *f = pick.shapes[i];
      shape_recs[i] = record_fault(rec, f);
      if (f->kind == MXC_FAULT_CHUNKED || f->kind == MXC_FAULT_CHUNKED_UNTERMINATED) {
        framing.chunked = true;
        framing.unterminated |= f->kind == MXC_FAULT_CHUNKED_UNTERMINATED;
        if (f->kind == MXC_FAULT_CHUNKED)
          framing.chunk_bytes = (size_t)f->bytes;
      }
      if (f->kind == MXC_FAULT_CONNECTION_CLOSE)
        keep_alive = false;
      expire |= f->kind == MXC_FAULT_EXPIRE_SESSIONS;
    }
    mxc_exchange_end(rec);
  }
  bool refuse = refused_due(m);
  if (refuse) {
    keep_alive = false;
    /* stop listening before the answer can reach the client: a client that reconnects at
     * once must be refused, not accepted into the backlog and then reset */
    mock_stop_listening(m);
  }
  mxc_http_request req = {
      .method = method,
      .target = c->url.data ? c->url.data : "",
      .headers = c->headers,
      .nheaders = c->nheaders,
      .body = c->body.data,
      .body_len = c->body.len,
  };
  tx *t;
  if (pick.replace) {
    mxc_runtime_observe(m->rt, &req, rec); /* the runtime never sees it; the wire does */
    t = fault_answer(m, c, pick.replace, rec, keep_alive, http10, &framing);
    if (t && t->end != TX_KEEP)
      mxc__tx_blame(t, pick.replace->kind);
  } else {
    mxc_http_response res = {0};
    mxc_runtime_handle(m->rt, &req, &res, rec);
    t = mxc__tx_from_response(c, &res, rec, keep_alive, http10, &framing);
    mxc_http_response_cleanup(&res);
  }
  if (expire) /* as if the user came back much later: only auth tokens are left */
    mxc_runtime_expire_sessions(m->rt);
  if (!t) {
    mxc__conn_close(c, "server_error", false);
    return false;
  }
  for (size_t i = 0; i < pick.nshapes; i++)
    mxc__tx_shape(t, pick.shapes[i], &m->rng, shape_recs[i]);
  bool more = t->end == TX_KEEP || t->end == TX_STALE;
  m->responses++;
  mxc__tx_enqueue(c, t);
  if (refuse)
    apply_refused(m);
  return more && c->state == CONN_READING;
}

/* Feeds bytes to the parser and answers each complete request in order. */
static void conn_feed(conn *c, const char *data, size_t len) {
  while (len > 0 && c->state == CONN_READING && !c->input_done) {
    llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
    if (err == HPE_OK)
      return;
    if (err == HPE_PAUSED) {
      const char *stop = llhttp_get_error_pos(&c->parser);
      size_t used = stop ? (size_t)(stop - data) : len;
      llhttp_resume(&c->parser);
      data += used;
      len -= used;
      if (!conn_handle_request(c))
        c->input_done = true; /* the answer's end decides what becomes of the connection */
      continue;
    }
    int status = c->reject_status ? c->reject_status : 400;
    conn_reject(c, status,
                c->reject_reason ? c->reject_reason : llhttp_get_error_reason(&c->parser));
    return;
  }
}

/* ---- libuv callbacks ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  conn *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->mock->readbuf, sizeof c->mock->readbuf);
}

/* Hands request bytes (plaintext) to the parser. */
static void conn_input(conn *c, const char *data, size_t len) {
  c->feed_start = data;
  conn_feed(c, data, len);
  c->prev_last = data[len - 1];
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  if (nread == 0)
    return;
  if (nread < 0) {
    const char *how = nread == UV_EOF          ? (c->state == CONN_DRAINING
                                                      ? (c->drain_how[0] ? c->drain_how : "server_closed")
                                                      : "client_closed")
                      : nread == UV_ECONNRESET ? "client_reset"
                                               : "read_error";
    mxc__conn_close(c, how, false);
    return;
  }
  c->bytes_in += (uint64_t)nread;
  if (c->state != CONN_READING || c->input_done || c->stalled)
    return;                                 /* discarded */
  c->last_input_ms = uv_now(c->mock->loop); /* the idle timer counts from here (on_idle) */
  if (c->tls)
    mxc__tls_input(c, buf->base, (size_t)nread, conn_input);
  else
    conn_input(c, buf->base, (size_t)nread);
}

static void on_connection(uv_stream_t *server, int status) {
  mxc_mock *m = server->data;
  if (status < 0)
    return;
  conn *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->mock = m;
  c->id = ++m->next_conn_id;
  mxc_buf_init(&c->url, MXC__MAX_URL_BYTES);
  /* the header bytes' own limit (431) comes first: room for them and their terminators */
  mxc_buf_init(&c->fields, MXC_MOCK_MAX_HEADER_BYTES + 2 * (MXC_MOCK_MAX_HEADERS + 1));
  mxc_buf_init(&c->body, MXC_MOCK_MAX_BODY);
  uv_tcp_init(m->loop, &c->tcp);
  uv_timer_init(m->loop, &c->timer);
  uv_timer_init(m->loop, &c->tx_timer);
  c->tcp.data = c->timer.data = c->tx_timer.data = c;
  c->handles_open = 3;
  m->handles_open += 3;
  c->next = m->conns;
  if (m->conns)
    m->conns->prev = c;
  m->conns = c;
  m->nconns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    mxc__conn_close(c, "accept_failed", false);
    return;
  }
  char *peer = c->peer;
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
    char ip[48];
    if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
      snprintf(peer, sizeof c->peer, "[%s]:%d", ip, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    } else {
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
      snprintf(peer, sizeof c->peer, "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
    }
  }
  c->record = mxc_transcript_connection(&m->transcript, c->id, peer);
  if (m->nconns > MXC_MOCK_MAX_CONNECTIONS) {
    mxc__conn_close(c, "too_many_connections", false);
    return;
  }
  if (m->tls && mxc__tls_accept(c, faults_pick_handshake(m, c)) != 0) {
    mxc__conn_close(c, "server_error", false);
    return;
  }
  llhttp_init(&c->parser, HTTP_REQUEST, &mxc__parser_settings);
  c->parser.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  c->last_input_ms = uv_now(m->loop);
  uv_timer_start(&c->timer, on_idle, m->idle_ms, 0);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    mxc__conn_close(c, "read_error", false);
}

/* ---- public API ---- */

static void free_plan(mxc_fault *faults, size_t n, int *hits, int *seen, char *label) {
  for (size_t i = 0; i < n; i++)
    mxc_fault_cleanup(&faults[i]);
  free(faults);
  free(hits);
  free(seen);
  free(label);
}

/* Replaces the faults and the scenario label with copies. Nothing changes on error
 * (MXC_EINVAL: a handshake fault on a plain HTTP mock). */
static int set_plan(mxc_mock *m, const mxc_fault *src, size_t nsrc, const char *scenario_id) {
  size_t n = 0;
  for (size_t i = 0; i < nsrc; i++)
    if (!m->tls && mxc_fault_stage_of(src[i].kind) == MXC_STAGE_HANDSHAKE)
      return MXC_EINVAL;
  mxc_fault *faults = calloc(nsrc ? nsrc : 1, sizeof *faults);
  int *hits = calloc(nsrc ? nsrc : 1, sizeof *hits);
  int *seen = calloc(nsrc ? nsrc : 1, sizeof *seen);
  char *label = scenario_id ? mxc_strdup(scenario_id) : NULL;
  int rc = faults && hits && seen && (label || !scenario_id) ? 0 : MXC_ENOMEM;
  for (; rc == 0 && n < nsrc; n++)
    rc = mxc_fault_copy(&faults[n], &src[n]);
  if (rc) {
    free_plan(faults, n, hits, seen, label);
    return rc;
  }
  free_plan(m->faults, m->nfaults, m->fault_hits, m->fault_seen, m->scenario_id);
  m->faults = faults;
  m->fault_hits = hits;
  m->fault_seen = seen;
  m->nfaults = n;
  m->scenario_id = label;
  return 0;
}

/* The random schedule starts again from the seed, which the transcript records. */
static void reseed(mxc_mock *m) {
  char text[32];
  mxc_rng_seed(&m->rng, m->seed);
  snprintf(text, sizeof text, "%llu", (unsigned long long)m->seed);
  cJSON *root = mxc_transcript_root(&m->transcript);
  cJSON_DeleteItemFromObject(root, "seed");
  cJSON_AddStringToObject(root, "seed", text);
}

int mxc_mock_reset(mxc_mock *m, const mxc_mock_config *cfg) {
  mxc_runtime_config rcfg = cfg ? cfg->runtime : m->runtime_cfg;
  rcfg.secure_cookies |= m->tls != NULL;
  mxc_runtime *rt = mxc_runtime_new(&rcfg);
  mxc_transcript t;
  if (!rt || mxc_transcript_init(&t) != 0) {
    mxc_runtime_free(rt);
    return MXC_ENOMEM;
  }
  int rc = cfg ? set_plan(m, cfg->faults, cfg->nfaults, cfg->scenario_id) : 0;
  if (rc) {
    mxc_runtime_free(rt);
    mxc_transcript_cleanup(&t);
    return rc;
  }
  size_t nf = m->nfaults ? m->nfaults : 1;
  memset(m->fault_hits, 0, nf * sizeof *m->fault_hits);
  memset(m->fault_seen, 0, nf * sizeof *m->fault_seen);
  mxc_runtime_free(m->rt);
  m->rt = rt;
  m->runtime_cfg = rcfg;
  mxc_transcript_cleanup(&m->transcript);
  m->transcript = t;
  if (cfg)
    m->seed = cfg->seed;
  reseed(m);
  m->responses = 0;
  /* connections that stay open are recorded again in the new transcript */
  for (conn *c = m->conns; c; c = c->next)
    if (c->state != CONN_CLOSED) {
      c->record = mxc_transcript_connection(&m->transcript, c->id, c->peer);
      mxc__tls_record(c);
    }
  return 0;
}

int mxc_mock_faults_add(mxc_mock *m, const mxc_fault *f) {
  if (mxc_fault_stage_of(f->kind) == MXC_STAGE_HARNESS)
    return MXC_EINVAL;
  mxc_fault *all = calloc(m->nfaults + 1, sizeof *all);
  if (!all)
    return MXC_ENOMEM;
  memcpy(all, m->faults, m->nfaults * sizeof *all); /* shallow: set_plan copies deeply */
  all[m->nfaults] = *f;
  int rc = set_plan(m, all, m->nfaults + 1, m->scenario_id);
  free(all);
  return rc;
}

int mxc_mock_faults_clear(mxc_mock *m) { return set_plan(m, NULL, 0, m->scenario_id); }

cJSON *mxc_mock_faults_json(const mxc_mock *m) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < m->nfaults; i++)
    cJSON_AddItemToArray(arr, mxc_fault_to_json(&m->faults[i]));
  return arr;
}

const char *mxc_mock_armed(const mxc_mock *m) { return m->scenario_id; }

int mxc_mock_start(uv_loop_t *loop, const mxc_mock_config *cfg, mxc_mock **out) {
  int rc;
  *out = NULL;
  mxc_mock *m = calloc(1, sizeof *m);
  if (!m)
    return MXC_ENOMEM;
  m->loop = loop;
  m->idle_ms = cfg->idle_ms ? cfg->idle_ms : MXC_MOCK_IDLE_MS_DEFAULT;
  rc = mxc_transcript_init(&m->transcript);
  if (rc)
    goto fail;
  m->tls = cfg->tls;
  m->runtime_cfg = cfg->runtime;
  m->runtime_cfg.secure_cookies |= cfg->tls != NULL;
  m->control = cfg->control;
  m->rt = mxc_runtime_new(&m->runtime_cfg);
  if (!m->rt) {
    rc = MXC_ENOMEM;
    goto fail;
  }
  rc = set_plan(m, cfg->faults, cfg->nfaults, cfg->scenario_id);
  if (rc)
    goto fail;
  m->seed = cfg->seed;
  reseed(m);
  const char *host = cfg->host ? cfg->host : "127.0.0.1";
  struct sockaddr_storage addr;
  if (strchr(host, ':'))
    rc = uv_ip6_addr(host, cfg->port, (struct sockaddr_in6 *)&addr);
  else
    rc = uv_ip4_addr(host, cfg->port, (struct sockaddr_in *)&addr);
  if (rc)
    goto fail;
  uv_tcp_init(loop, &m->listener);
  m->listener.data = m;
  m->listening = true;
  m->handles_open = 1;
  rc = uv_tcp_bind(&m->listener, (const struct sockaddr *)&addr, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&m->listener, 511, on_connection);
  if (!rc) {
    struct sockaddr_storage bound;
    int len = sizeof bound;
    rc = uv_tcp_getsockname(&m->listener, (struct sockaddr *)&bound, &len);
    if (!rc)
      m->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
  }
  if (rc) {
    /* the listener handle must be closed before m can go: run the loop once for it */
    m->stopping = true;
    mock_stop_listening(m);
    uv_run(loop, UV_RUN_NOWAIT);
    goto fail;
  }
  *out = m;
  return 0;
fail:
  mxc_mock_free(m);
  return rc;
}

int mxc_mock_port(const mxc_mock *m) { return m->port; }

void mxc_mock_stop(mxc_mock *m, mxc_mock_closed_cb cb, void *arg) {
  if (m->stopping)
    return;
  m->stopping = true;
  m->on_closed = cb;
  m->on_closed_arg = arg;
  mock_stop_listening(m);
  for (conn *c = m->conns; c; c = c->next)
    mxc__conn_close(c, "server_stopped", false);
  mock_maybe_closed(m);
}

const cJSON *mxc_mock_transcript(const mxc_mock *m) {
  /* Reading builds the exchanges recorded since the last read: the document does not change,
   * only its form does. */
  return mxc_transcript_root((mxc_transcript *)&m->transcript);
}

cJSON *mxc_mock_transcript_take(mxc_mock *m) { return mxc_transcript_take(&m->transcript); }

void mxc_mock_expire_sessions(mxc_mock *m) { mxc_runtime_expire_sessions(m->rt); }

void mxc_mock_free(mxc_mock *m) {
  if (!m)
    return;
  mxc_runtime_free(m->rt);
  mxc_transcript_cleanup(&m->transcript);
  free_plan(m->faults, m->nfaults, m->fault_hits, m->fault_seen, m->scenario_id);
  free(m);
}
