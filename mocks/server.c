/* HTTP/1.1 server of the mock: connections, llhttp parsing, limits, faults, transcript. */
#include "mocks/server.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <llhttp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DRAIN_LINGER_MS 1000u
#define MAX_URL_BYTES 8192u

typedef enum {
  CONN_READING,  /* parsing requests, answering them */
  CONN_DRAINING, /* write side shut down; discarding input until EOF or the linger timer */
  CONN_CLOSED,   /* uv_close called on its handles */
} conn_state;

typedef struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown_req;
  mxc_mock *mock;
  uint64_t id;
  conn_state state;
  int handles_open;
  llhttp_t parser;
  /* the request being parsed */
  mxc_buf url, field, value, body;
  mxc_http_header headers[MXC_MOCK_MAX_HEADERS];
  size_t nheaders;
  size_t header_bytes;
  bool in_value;
  const char *feed_start; /* the read buffer being parsed, and the byte before it */
  char prev_last;
  int reject_status; /* 400/413/431/501 decided by a callback */
  const char *reject_reason;
  bool head; /* a HEAD request: its response carries no body (RFC 9110 9.3.2) */
  /* the connection */
  uint64_t bytes_in, bytes_out;
  int writes_pending;
  bool close_after_writes;
  cJSON *record;
  char peer[64];
  struct conn *prev, *next;
} conn;

typedef struct write_req {
  uv_write_t req;
  conn *c;
  size_t len;
  char data[];
} write_req;

struct mxc_mock {
  uv_loop_t *loop;
  uv_tcp_t listener;
  bool listening;
  bool stopping;
  int handles_open;
  int port;
  uint64_t idle_ms;
  mxc_runtime *rt;
  mxc_runtime_config runtime_cfg;
  mxc_control control;
  char *scenario_id;
  mxc_transcript transcript;
  mxc_fault *faults;
  int *fault_hits;
  size_t nfaults;
  uint64_t responses;
  uint64_t next_conn_id;
  size_t nconns;
  conn *conns;
  mxc_mock_closed_cb on_closed;
  void *on_closed_arg;
  char readbuf[65536];
};

static const llhttp_settings_t parser_settings;

static const char *status_reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 307: return "Temporary Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 560: return "Unknown";
  default: return "Status";
  }
}

/* ---- lifetime ---- */

static void mock_maybe_closed(mxc_mock *m) {
  if (m->stopping && m->handles_open == 0 && m->on_closed) {
    mxc_mock_closed_cb cb = m->on_closed;
    m->on_closed = NULL;
    cb(m, m->on_closed_arg);
  }
}

static void request_reset(conn *c) {
  mxc_buf_reset(&c->url);
  mxc_buf_reset(&c->field);
  mxc_buf_reset(&c->value);
  mxc_buf_reset(&c->body);
  for (size_t i = 0; i < c->nheaders; i++) {
    free(c->headers[i].name);
    free(c->headers[i].value);
  }
  c->nheaders = 0;
  c->header_bytes = 0;
  c->in_value = false;
  c->reject_status = 0;
  c->reject_reason = NULL;
  c->head = false;
}

static void conn_free(conn *c) {
  mxc_mock *m = c->mock;
  request_reset(c);
  mxc_buf_cleanup(&c->url);
  mxc_buf_cleanup(&c->field);
  mxc_buf_cleanup(&c->value);
  mxc_buf_cleanup(&c->body);
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

static void conn_handle_closed(uv_handle_t *h) {
  conn *c = h->data;
  c->mock->handles_open--;
  if (--c->handles_open == 0)
    conn_free(c);
}

/* Ends a connection now; `how` goes into the transcript. reset: send a TCP RST. */
static void conn_close(conn *c, const char *how, bool reset) {
  if (c->state == CONN_CLOSED)
    return;
  c->state = CONN_CLOSED;
  mxc_transcript_connection_end(&c->mock->transcript, c->record, how, c->bytes_in, c->bytes_out);
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_timer_stop(&c->timer);
  if (!reset || uv_tcp_close_reset(&c->tcp, conn_handle_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void on_timer(uv_timer_t *t) {
  conn *c = t->data;
  if (c->state == CONN_DRAINING)
    conn_close(c, "server_closed", false);
  else /* silent for idle_ms, or not reading what we wrote */
    conn_close(c, c->writes_pending ? "write_timeout" : "idle_timeout", false);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  conn *c = req->data;
  if (c->state != CONN_DRAINING)
    return;
  if (status < 0)
    conn_close(c, "server_closed", false);
}

/* Stops answering: half-close, then discard input until the peer closes (so our last response
 * is not destroyed by a reset caused by unread input). */
static void conn_drain(conn *c) {
  if (c->state != CONN_READING)
    return;
  c->state = CONN_DRAINING;
  c->shutdown_req.data = c;
  if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    conn_close(c, "server_closed", false);
    return;
  }
  uv_timer_start(&c->timer, on_timer, DRAIN_LINGER_MS, 0);
}

/* ---- writing ---- */

static void on_write(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  conn *c = w->c;
  c->writes_pending--;
  if (status == 0)
    c->bytes_out += w->len;
  free(w);
  if (status < 0) {
    conn_close(c, status == UV_ECANCELED ? "server_stopped" : "write_error", false);
    return;
  }
  if (c->close_after_writes && c->writes_pending == 0)
    conn_drain(c);
}

static int conn_write(conn *c, const char *data, size_t len) {
  write_req *w = malloc(sizeof *w + len);
  if (!w)
    return MXC_ENOMEM;
  w->c = c;
  w->len = len;
  memcpy(w->data, data, len);
  uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
  if (rc) {
    free(w);
    return rc;
  }
  c->writes_pending++;
  return 0;
}

/* Serialises res with framing headers and queues it. Records status and cookies. */
static int conn_respond(conn *c, const mxc_http_response *res, cJSON *rec, bool keep_alive,
                        bool http10) {
  mxc_buf out;
  mxc_buf_init(&out, MXC_MOCK_MAX_BODY * 2);
  int rc = mxc_buf_printf(&out, "HTTP/1.1 %d %s\r\n", res->status, status_reason(res->status));
  cJSON *cookies = rec ? cJSON_AddArrayToObject(rec, "set_cookies") : NULL;
  for (size_t i = 0; rc == 0 && i < res->nheaders; i++) {
    rc = mxc_buf_printf(&out, "%s\r\n", res->headers[i]);
    if (cookies && strncasecmp(res->headers[i], "Set-Cookie: ", 12) == 0)
      cJSON_AddItemToArray(cookies, cJSON_CreateString(res->headers[i] + 12));
  }
  if (rc == 0)
    rc = mxc_buf_printf(&out, "Content-Length: %zu\r\n", res->body_len);
  if (rc == 0 && !keep_alive)
    rc = mxc_buf_printf(&out, "Connection: close\r\n");
  else if (rc == 0 && http10)
    rc = mxc_buf_printf(&out, "Connection: keep-alive\r\n");
  if (rc == 0)
    rc = mxc_buf_append(&out, "\r\n", 2);
  if (rc == 0 && res->body_len && !c->head)
    rc = mxc_buf_append(&out, res->body, res->body_len);
  if (rc == 0)
    rc = conn_write(c, out.data, out.len);
  if (rec) {
    cJSON_AddNumberToObject(rec, "status", res->status);
    cJSON_AddNumberToObject(rec, "response_bytes", (double)out.len);
  }
  mxc_buf_cleanup(&out);
  if (!keep_alive)
    c->close_after_writes = true;
  return rc;
}

/* Answers a request we could not parse or accept, then closes. */
static void conn_reject(conn *c, int status, const char *reason) {
  cJSON *rec = mxc_transcript_exchange(&c->mock->transcript, c->id);
  if (rec) {
    cJSON_AddStringToObject(rec, "error", reason);
    cJSON_AddStringToObject(rec, "action", "");
  }
  mxc_http_response res = {0};
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "error", reason);
  if (mxc_http_response_set_json(&res, status, body) == 0)
    mxc_http_response_add_header(&res, "Content-Type: application/json;charset=utf-8");
  cJSON_Delete(body);
  res.status = status;
  if (conn_respond(c, &res, rec, false, false) != 0)
    conn_close(c, "server_closed", false);
  mxc_http_response_cleanup(&res);
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

/* The first armed fault (other than refused) that matches action, or NULL. Counts the hit. */
static const mxc_fault *fault_match(mxc_mock *m, const char *action) {
  for (size_t i = 0; i < m->nfaults; i++) {
    const mxc_fault *f = &m->faults[i];
    if (f->kind == MXC_FAULT_REFUSED)
      continue;
    if (strcmp(f->match, "*") != 0 && strcmp(f->match, action) != 0)
      continue;
    if (f->times && m->fault_hits[i] >= f->times)
      continue;
    m->fault_hits[i]++;
    return f;
  }
  return NULL;
}

/* Whether a refused fault takes effect once the response being written now is out. */
static bool refused_due(const mxc_mock *m) {
  for (size_t i = 0; i < m->nfaults; i++)
    if (m->faults[i].kind == MXC_FAULT_REFUSED && m->responses + 1 >= (uint64_t)m->faults[i].after)
      return true;
  return false;
}

static void listener_closed(uv_handle_t *h) {
  mxc_mock *m = h->data;
  m->handles_open--;
  mock_maybe_closed(m);
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
    if (c->writes_pending)
      c->close_after_writes = true;
    else
      conn_close(c, "fault_refused", false);
  }
}

/* ---- requests ---- */

static void record_request(conn *c, cJSON *rec, const char *method) {
  mxc_mock *m = c->mock;
  cJSON *leaks = cJSON_CreateArray();
  cJSON_AddStringToObject(rec, "method", method);
  char *target = mxc_strdup(c->url.data ? c->url.data : "");
  if (target && mxc_runtime_redact(m->rt, target))
    cJSON_AddItemToArray(leaks, cJSON_CreateString("url"));
  cJSON_AddStringToObject(rec, "target", target ? target : "");
  free(target);
  char version[8];
  snprintf(version, sizeof version, "%d.%d", llhttp_get_http_major(&c->parser),
           llhttp_get_http_minor(&c->parser));
  cJSON_AddStringToObject(rec, "http", version);
  cJSON *hdrs = cJSON_AddArrayToObject(rec, "headers");
  for (size_t i = 0; i < c->nheaders; i++) {
    char *v = mxc_strdup(c->headers[i].value);
    if (v && mxc_runtime_redact(m->rt, v)) {
      char where[300];
      snprintf(where, sizeof where, "header:%.280s", c->headers[i].name);
      cJSON_AddItemToArray(leaks, cJSON_CreateString(where));
    }
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(c->headers[i].name));
    cJSON_AddItemToArray(pair, cJSON_CreateString(v ? v : ""));
    cJSON_AddItemToArray(hdrs, pair);
    free(v);
  }
  cJSON_AddItemToObject(rec, "credentials_outside_body", leaks);
  cJSON_AddNumberToObject(rec, "request_body_bytes", (double)c->body.len);
}

/* Sends a runtime answer or a status fault's: these count toward a refused fault's `after`.
 * Returns whether the connection goes on reading requests. */
static bool conn_answer(conn *c, const mxc_http_response *res, cJSON *rec, bool keep_alive,
                        bool http10) {
  mxc_mock *m = c->mock;
  bool refuse = refused_due(m);
  if (refuse) {
    keep_alive = false;
    /* stop listening before the response can reach the client: a client that reconnects at
     * once must be refused, not accepted into the backlog and then reset */
    mock_stop_listening(m);
  }
  int rc = conn_respond(c, res, rec, keep_alive, http10);
  m->responses++;
  if (rc) {
    conn_close(c, "server_error", false);
    return false;
  }
  if (refuse)
    apply_refused(m);
  return keep_alive && c->state == CONN_READING;
}

/* Answers a /_mxconform/ request; not recorded, not counted. */
static bool conn_handle_control(conn *c, const char *method, bool keep_alive, bool http10) {
  mxc_http_response res = {0};
  int rc = mxc_control_handle(c->mock, &c->mock->control, method, c->url.data, &res);
  if (rc == 0)
    rc = conn_respond(c, &res, NULL, keep_alive, http10);
  mxc_http_response_cleanup(&res);
  if (rc) {
    conn_close(c, "server_error", false);
    return false;
  }
  return keep_alive;
}

/* Answers the request just parsed. Returns false when the connection must stop parsing. */
static bool conn_handle_request(conn *c) {
  mxc_mock *m = c->mock;
  const char *method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&c->parser));
  bool keep_alive = llhttp_should_keep_alive(&c->parser) && !m->stopping;
  bool http10 = llhttp_get_http_major(&c->parser) == 1 && llhttp_get_http_minor(&c->parser) == 0;
  if (m->control.enabled && c->url.data && mxc_control_path(c->url.data))
    return conn_handle_control(c, method, keep_alive, http10);
  cJSON *rec = mxc_transcript_exchange(&m->transcript, c->id);
  if (!rec) {
    conn_close(c, "server_error", false);
    return false;
  }
  record_request(c, rec, method);
  char action[64];
  peek_action(c->body.data, c->body.len, action, sizeof action);
  const mxc_fault *f = fault_match(m, action);
  if (f) {
    cJSON *fj = mxc_fault_to_json(f);
    if (fj)
      cJSON_AddItemToObject(rec, "fault", fj);
    cJSON_AddStringToObject(rec, "action", action);
    switch (f->kind) {
    case MXC_FAULT_RESET: conn_close(c, "fault_reset", true); return false;
    case MXC_FAULT_CLOSE: conn_close(c, "fault_close", false); return false;
    case MXC_FAULT_STATUS: {
      mxc_http_response res = {.status = f->code};
      const char *body = f->body ? f->body : "{}";
      res.body = mxc_strdup(body);
      res.body_len = strlen(body);
      mxc_http_response_add_header(&res, "Content-Type: %s",
                                   f->content_type ? f->content_type
                                                   : "application/json;charset=utf-8");
      bool more = conn_answer(c, &res, rec, keep_alive, http10);
      mxc_http_response_cleanup(&res);
      return more;
    }
    default: break;
    }
  }
  mxc_http_request req = {
      .method = method,
      .target = c->url.data ? c->url.data : "",
      .headers = c->headers,
      .nheaders = c->nheaders,
      .body = c->body.data,
      .body_len = c->body.len,
  };
  mxc_http_response res = {0};
  mxc_runtime_handle(m->rt, &req, &res, rec);
  bool more = conn_answer(c, &res, rec, keep_alive, http10);
  mxc_http_response_cleanup(&res);
  return more;
}

/* ---- llhttp callbacks ---- */

/* Refuses the request being parsed: status and reason for the answer; -1 for llhttp. */
static int reject(conn *c, int status, const char *reason) {
  c->reject_status = status;
  c->reject_reason = reason;
  return -1;
}

static bool is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Field names are tokens; values hold no CR, LF or NUL (obs-fold is refused, RFC 9112 5.2). */
static int check_header_syntax(conn *c) {
  for (size_t i = 0; i < c->nheaders; i++) {
    const unsigned char *n = (const unsigned char *)c->headers[i].name;
    if (!*n)
      return reject(c, 400, "empty header field name");
    for (; *n; n++)
      if (!is_tchar(*n))
        return reject(c, 400, "invalid character in a header field name");
    if (strpbrk(c->headers[i].value, "\r\n"))
      return reject(c, 400, "line folding or a bare CR/LF in a header field value");
  }
  return 0;
}

/* Host exactly once in HTTP/1.1 (RFC 9112 3.2); chunked is the only transfer coding we know. */
static int check_framing(conn *c, llhttp_t *p) {
  size_t hosts = 0;
  for (size_t i = 0; i < c->nheaders; i++) {
    if (strcasecmp(c->headers[i].name, "Host") == 0)
      hosts++;
    else if (strcasecmp(c->headers[i].name, "Transfer-Encoding") == 0) {
      const char *v = c->headers[i].value;
      while (*v == ' ' || *v == '\t')
        v++;
      size_t len = strlen(v);
      while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
      if (len != 7 || strncasecmp(v, "chunked", 7) != 0)
        return reject(c, 501, "unsupported transfer coding");
    }
  }
  if (hosts > 1)
    return reject(c, 400, "more than one Host header");
  if (hosts == 0 && llhttp_get_http_major(p) == 1 && llhttp_get_http_minor(p) == 1)
    return reject(c, 400, "HTTP/1.1 request without Host");
  return 0;
}

static int on_chunk_header(llhttp_t *p) {
  conn *c = p->data;
  if (p->content_length > MXC_MOCK_MAX_BODY - c->body.len)
    return reject(c, 413, "body over 1 MiB");
  return 0;
}

static int header_bytes_add(conn *c, size_t n) {
  c->header_bytes += n;
  if (c->header_bytes > MXC_MOCK_MAX_HEADER_BYTES) {
    return reject(c, 431, "header section over 16 KiB");
  }
  return 0;
}

static int on_message_begin(llhttp_t *p) {
  request_reset(p->data);
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  if (c->url.len + len > MAX_URL_BYTES)
    return reject(c, 414, "request target over 8 KiB");
  if (header_bytes_add(c, len) || mxc_buf_append(&c->url, at, len))
    return -1;
  return 0;
}

static int push_header(conn *c) {
  if (!c->in_value)
    return 0;
  if (c->nheaders >= MXC_MOCK_MAX_HEADERS)
    return reject(c, 431, "more than 100 header fields");
  mxc_http_header *h = &c->headers[c->nheaders];
  h->name = mxc_strdup(c->field.data ? c->field.data : "");
  h->value = mxc_strdup(c->value.data ? c->value.data : "");
  if (!h->name || !h->value) {
    free(h->name);
    free(h->value);
    return -1;
  }
  c->nheaders++;
  mxc_buf_reset(&c->field);
  mxc_buf_reset(&c->value);
  c->in_value = false;
  return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  if (push_header(c) || header_bytes_add(c, len) || mxc_buf_append(&c->field, at, len))
    return -1;
  return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  /* a value never starts a line: when it does, llhttp is continuing an obs-fold */
  char before = at > c->feed_start ? at[-1] : c->prev_last;
  if (before == '\n')
    return reject(c, 400, "obsolete line folding in a header field value");
  c->in_value = true;
  if (header_bytes_add(c, len) || mxc_buf_append(&c->value, at, len))
    return -1;
  return 0;
}

static int on_header_value_complete(llhttp_t *p) {
  conn *c = p->data;
  c->in_value = true; /* an empty value has no on_header_value call */
  return push_header(c) ? -1 : 0;
}

static int on_headers_complete(llhttp_t *p) {
  conn *c = p->data;
  c->head = llhttp_get_method(p) == HTTP_HEAD;
  if (push_header(c))
    return -1;
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > MXC_MOCK_MAX_BODY)
    return reject(c, 413, "body over 1 MiB");
  if (check_header_syntax(c) || check_framing(c, p))
    return -1;
  const char *expect = mxc_http_header_get(c->headers, c->nheaders, "Expect");
  if (expect && strcasecmp(expect, "100-continue") == 0) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (conn_write(c, cont, sizeof cont - 1))
      return -1;
  }
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  int rc = mxc_buf_append(&c->body, at, len);
  if (rc == MXC_ELIMIT)
    return reject(c, 413, "body over 1 MiB");
  return rc ? -1 : 0;
}

static int on_message_complete(llhttp_t *p) {
  (void)p;
  return HPE_PAUSED; /* answered in conn_feed, one request at a time, in order */
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};

/* Feeds bytes to the parser and answers each complete request in order. */
static void conn_feed(conn *c, const char *data, size_t len) {
  while (len > 0 && c->state == CONN_READING) {
    llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
    if (err == HPE_OK)
      return;
    if (err == HPE_PAUSED) {
      const char *stop = llhttp_get_error_pos(&c->parser);
      size_t used = stop ? (size_t)(stop - data) : len;
      llhttp_resume(&c->parser);
      data += used;
      len -= used;
      if (!conn_handle_request(c)) {
        c->close_after_writes = true;
        if (c->state == CONN_READING && c->writes_pending == 0)
          conn_drain(c);
        return;
      }
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

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn *c = s->data;
  if (nread == 0)
    return;
  if (nread < 0) {
    const char *how = nread == UV_EOF
                          ? (c->state == CONN_DRAINING ? "server_closed" : "client_closed")
                      : nread == UV_ECONNRESET ? "client_reset"
                                               : "read_error";
    conn_close(c, how, false);
    return;
  }
  c->bytes_in += (uint64_t)nread;
  if (c->state != CONN_READING)
    return;
  uv_timer_start(&c->timer, on_timer, c->mock->idle_ms, 0);
  c->feed_start = buf->base;
  conn_feed(c, buf->base, (size_t)nread);
  c->prev_last = buf->base[nread - 1];
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
  mxc_buf_init(&c->url, MAX_URL_BYTES);
  mxc_buf_init(&c->field, MXC_MOCK_MAX_HEADER_BYTES);
  mxc_buf_init(&c->value, MXC_MOCK_MAX_HEADER_BYTES);
  mxc_buf_init(&c->body, MXC_MOCK_MAX_BODY);
  uv_tcp_init(m->loop, &c->tcp);
  uv_timer_init(m->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles_open = 2;
  m->handles_open += 2;
  c->next = m->conns;
  if (m->conns)
    m->conns->prev = c;
  m->conns = c;
  m->nconns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c, "accept_failed", false);
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
    conn_close(c, "too_many_connections", false);
    return;
  }
  llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
  c->parser.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_start(&c->timer, on_timer, m->idle_ms, 0);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    conn_close(c, "read_error", false);
}

/* ---- public API ---- */

static void free_plan(mxc_fault *faults, size_t n, int *hits, char *label) {
  for (size_t i = 0; i < n; i++)
    mxc_fault_cleanup(&faults[i]);
  free(faults);
  free(hits);
  free(label);
}

/* Replaces the faults and the scenario label with copies of cfg's. Nothing changes on error. */
static int set_plan(mxc_mock *m, const mxc_mock_config *cfg) {
  size_t n = 0;
  mxc_fault *faults = calloc(cfg->nfaults ? cfg->nfaults : 1, sizeof *faults);
  int *hits = calloc(cfg->nfaults ? cfg->nfaults : 1, sizeof *hits);
  char *label = cfg->scenario_id ? mxc_strdup(cfg->scenario_id) : NULL;
  int rc = faults && hits && (label || !cfg->scenario_id) ? 0 : MXC_ENOMEM;
  for (; rc == 0 && n < cfg->nfaults; n++)
    rc = mxc_fault_copy(&faults[n], &cfg->faults[n]);
  if (rc) {
    free_plan(faults, n, hits, label);
    return rc;
  }
  free_plan(m->faults, m->nfaults, m->fault_hits, m->scenario_id);
  m->faults = faults;
  m->fault_hits = hits;
  m->nfaults = n;
  m->scenario_id = label;
  return 0;
}

int mxc_mock_reset(mxc_mock *m, const mxc_mock_config *cfg) {
  mxc_runtime_config rcfg = cfg ? cfg->runtime : m->runtime_cfg;
  mxc_runtime *rt = mxc_runtime_new(&rcfg);
  mxc_transcript t;
  if (!rt || mxc_transcript_init(&t) != 0) {
    mxc_runtime_free(rt);
    return MXC_ENOMEM;
  }
  if (cfg && set_plan(m, cfg) != 0) {
    mxc_runtime_free(rt);
    mxc_transcript_cleanup(&t);
    return MXC_ENOMEM;
  }
  memset(m->fault_hits, 0, (m->nfaults ? m->nfaults : 1) * sizeof *m->fault_hits);
  mxc_runtime_free(m->rt);
  m->rt = rt;
  m->runtime_cfg = rcfg;
  mxc_transcript_cleanup(&m->transcript);
  m->transcript = t;
  m->responses = 0;
  /* connections that stay open are recorded again in the new transcript */
  for (conn *c = m->conns; c; c = c->next)
    if (c->state != CONN_CLOSED)
      c->record = mxc_transcript_connection(&m->transcript, c->id, c->peer);
  return 0;
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
  m->runtime_cfg = cfg->runtime;
  m->control = cfg->control;
  m->rt = mxc_runtime_new(&cfg->runtime);
  if (!m->rt) {
    rc = MXC_ENOMEM;
    goto fail;
  }
  rc = set_plan(m, cfg);
  if (rc)
    goto fail;
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
    conn_close(c, "server_stopped", false);
  mock_maybe_closed(m);
}

const cJSON *mxc_mock_transcript(const mxc_mock *m) { return m->transcript.root; }

cJSON *mxc_mock_transcript_take(mxc_mock *m) { return mxc_transcript_take(&m->transcript); }

void mxc_mock_expire_sessions(mxc_mock *m) { mxc_runtime_expire_sessions(m->rt); }

void mxc_mock_free(mxc_mock *m) {
  if (!m)
    return;
  mxc_runtime_free(m->rt);
  mxc_transcript_cleanup(&m->transcript);
  free_plan(m->faults, m->nfaults, m->fault_hits, m->scenario_id);
  free(m);
}
