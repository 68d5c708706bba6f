/* How answers leave a connection: serialising, the per-connection queue of answers, the
 * shapes faults give them (delays, pacing, cuts, stalls), writes, and closing. */
#include "mocks/mock_internal.h"

#include "common/mxc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

typedef struct write_req {
  uv_write_t req;
  conn *c;
  size_t len;
  char data[];
} write_req;

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
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Status";
  }
}

/* ---- closing ---- */

static void conn_handle_closed(uv_handle_t *h) {
  conn *c = h->data;
  mxc__mock_handle_closed(c->mock);
  if (--c->handles_open == 0)
    mxc__conn_free(c);
}

void mxc__conn_close(conn *c, const char *how, bool reset) {
  if (c->state == CONN_CLOSED)
    return;
  if (c->state == CONN_DRAINING && c->drain_how[0])
    how = c->drain_how; /* a fault was already closing it: that is how it ended */
  mxc__tls_end(c, reset);
  c->state = CONN_CLOSED;
  mxc_transcript_connection_end(&c->mock->transcript, c->record, how, c->bytes_in, c->bytes_out);
  mxc__tx_free_all(c);
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_timer_stop(&c->timer);
  uv_timer_stop(&c->tx_timer);
  if (!reset || uv_tcp_close_reset(&c->tcp, conn_handle_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
  uv_close((uv_handle_t *)&c->tx_timer, conn_handle_closed);
}

static const char *drain_end(const conn *c) {
  return c->drain_how[0] ? c->drain_how : "server_closed";
}

static void on_linger(uv_timer_t *t) {
  conn *c = t->data;
  mxc__conn_close(c, drain_end(c), false);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  conn *c = req->data;
  if (c->state == CONN_DRAINING && status < 0)
    mxc__conn_close(c, drain_end(c), false);
}

void mxc__conn_drain(conn *c) {
  if (c->state != CONN_READING)
    return;
  c->state = CONN_DRAINING;
  mxc__tx_free_all(c);
  uv_timer_stop(&c->tx_timer);
  mxc__tls_close_notify(c);
  c->shutdown_req.data = c;
  if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    mxc__conn_close(c, "server_closed", false);
    return;
  }
  uv_timer_start(&c->timer, on_linger, MXC__DRAIN_LINGER_MS, 0);
}

bool mxc__conn_busy(const conn *c) { return c->writes_pending || c->txq; }

/* ---- writes ---- */

static void tx_pump(conn *c);

static void on_write(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  conn *c = w->c;
  c->writes_pending--;
  if (status == 0)
    c->bytes_out += w->len;
  free(w);
  if (status < 0) {
    mxc__conn_close(c, status == UV_ECANCELED ? "server_stopped" : "write_error", false);
    return;
  }
  if (c->close_after_writes && !mxc__conn_busy(c))
    mxc__conn_drain(c);
  else
    tx_pump(c);
}

int mxc__conn_write(conn *c, const char *data, size_t len) {
  return c->tls ? mxc__tls_write(c, data, len) : mxc__conn_write_raw(c, data, len);
}

/* Whether bytes may go straight to the socket: nothing else is on its way out, and the answer
 * being sent is a whole keep-alive one (paced answers keep one libuv write in flight at a time,
 * and answers that end the connection keep their close behind a write completion). */
static bool conn_can_write_now(const conn *c) {
  const tx *t = c->txq;
  return !c->writes_pending && !c->close_after_writes && t && !t->chunk && t->end == TX_KEEP;
}

int mxc__conn_write_raw(conn *c, const char *data, size_t len) {
  uv_os_fd_t fd;
  if (len && conn_can_write_now(c) && uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
    /* what uv_try_write does with an empty queue, but send(2) takes a shorter path through
     * the kernel than write(2) */
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n > 0) {
      c->bytes_out += (uint64_t)n;
      data += n;
      len -= (size_t)n;
      if (!len)
        return 0;
    } /* else (EAGAIN, or an error): uv_write below takes the rest and reports any error */
  }
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

/* ---- answers ---- */

/* A zeroed answer with room for len bytes of data after it (one allocation). */
static tx *tx_alloc(size_t len) {
  tx *t = malloc(sizeof *t + (len ? len : 1));
  if (!t)
    return NULL;
  memset(t, 0, sizeof *t);
  t->data = (char *)(t + 1);
  return t;
}

tx *mxc__tx_raw(const char *data, size_t len, tx_end end) {
  tx *t = tx_alloc(len);
  if (!t)
    return NULL;
  if (len)
    memcpy(t->data, data, len);
  t->len = len;
  t->end = end;
  return t;
}

/* ---- serialising ---- */

/* How many digits v has in base 10 or 16. */
static size_t number_len(size_t v, unsigned base) {
  size_t n = 1;
  while (v >= base) {
    v /= base;
    n++;
  }
  return n;
}

/* Writes v in base 10 or 16 (lowercase digits, as printf's %zu and %zx) at p; returns the end. */
static char *put_number(char *p, size_t v, unsigned base) {
  char *end = p + number_len(v, base);
  for (char *q = end; q > p; v /= base)
    *--q = "0123456789abcdef"[v % base];
  return end;
}

static char *put(char *p, const char *s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* How an answer is laid out: the header lines the server adds, and the body's framing. */
typedef struct layout {
  bool body;               /* the body is sent (not for HEAD) */
  bool chunked;            /* Transfer-Encoding: chunked */
  size_t step;             /* bytes per chunk */
  const char *conn_header; /* "Connection: ..." line, or NULL */
} layout;

static size_t answer_size(const mxc_http_response *res, const layout *l, const char *reason,
                          unsigned status, bool terminated) {
  size_t n = sizeof "HTTP/1.1 " - 1 + number_len(status, 10) + 1 + strlen(reason) + 2;
  for (size_t i = 0; i < res->nheaders; i++)
    n += strlen(res->headers[i]) + 2;
  if (l->chunked)
    n += sizeof "Transfer-Encoding: chunked\r\n" - 1;
  else
    n += sizeof "Content-Length: \r\n" - 1 + number_len(res->body_len, 10);
  if (l->conn_header)
    n += strlen(l->conn_header);
  n += 2;
  if (l->chunked) {
    for (size_t off = 0; l->body && off < res->body_len; off += l->step) {
      size_t len = res->body_len - off < l->step ? res->body_len - off : l->step;
      n += number_len(len, 16) + 2 + len + 2;
    }
    if (terminated)
      n += 5;
  } else if (l->body) {
    n += res->body_len;
  }
  return n;
}

tx *mxc__tx_from_response(const conn *c, const mxc_http_response *res, mxc_exchange *rec,
                          bool keep_alive, bool http10, const tx_framing *fr) {
  /* status as the unsigned number printf("%d") would show for the codes a response has */
  unsigned status = res->status > 0 ? (unsigned)res->status : 0;
  const char *reason = status_reason(res->status);
  layout l = {.body = res->body_len && !c->head, .chunked = fr && fr->chunked};
  l.step = l.chunked && fr->chunk_bytes ? fr->chunk_bytes : (res->body_len ? res->body_len : 1);
  l.conn_header = !keep_alive ? "Connection: close\r\n"
                  : http10    ? "Connection: keep-alive\r\n"
                              : NULL;
  bool terminated = l.chunked && !fr->unterminated && !c->head;
  size_t size = answer_size(res, &l, reason, status, terminated);
  tx *t = size <= MXC_MOCK_MAX_BODY * 3 ? tx_alloc(size) : NULL;
  mxc_exchange_array(rec, "set_cookies");
  for (size_t i = 0; rec && i < res->nheaders; i++)
    if (strncasecmp(res->headers[i], "Set-Cookie: ", 12) == 0)
      mxc_exchange_str(rec, NULL, res->headers[i] + 12);
  mxc_exchange_end(rec);
  mxc_exchange_num(rec, "status", res->status);
  if (!t) /* out of memory, or over the cap: no response_bytes, the connection closes */
    return NULL;
  char *p = PUT_LIT(t->data, "HTTP/1.1 ");
  p = put_number(p, status, 10);
  *p++ = ' ';
  p = put(p, reason, strlen(reason));
  p = PUT_LIT(p, "\r\n");
  for (size_t i = 0; i < res->nheaders; i++) {
    p = put(p, res->headers[i], strlen(res->headers[i]));
    p = PUT_LIT(p, "\r\n");
  }
  if (l.chunked) {
    p = PUT_LIT(p, "Transfer-Encoding: chunked\r\n");
  } else {
    p = PUT_LIT(p, "Content-Length: ");
    p = put_number(p, res->body_len, 10);
    p = PUT_LIT(p, "\r\n");
  }
  if (l.conn_header)
    p = put(p, l.conn_header, strlen(l.conn_header));
  p = PUT_LIT(p, "\r\n");
  t->headers_len = (size_t)(p - t->data);
  if (l.chunked) {
    for (size_t off = 0; l.body && off < res->body_len; off += l.step) {
      size_t n = res->body_len - off < l.step ? res->body_len - off : l.step;
      p = put_number(p, n, 16);
      p = PUT_LIT(p, "\r\n");
      p = put(p, res->body + off, n);
      p = PUT_LIT(p, "\r\n");
    }
    if (terminated)
      p = PUT_LIT(p, "0\r\n\r\n");
  } else if (l.body) {
    p = put(p, res->body, res->body_len);
  }
  t->len = (size_t)(p - t->data);
  t->end = keep_alive ? TX_KEEP : TX_CLOSE;
  mxc_exchange_num(rec, "response_bytes", (double)t->len);
  return t;
}

void mxc__tx_blame(tx *t, mxc_fault_kind kind) {
  snprintf(t->end_how, sizeof t->end_how, "fault_%s", mxc_fault_kind_name(kind));
}

void mxc__tx_shape(tx *t, const mxc_fault *f, mxc_rng *rng, cJSON *frec) {
  size_t body_len = t->len - t->headers_len;
  tx_end before = t->end;
  switch (f->kind) {
  case MXC_FAULT_DELAY: {
    uint64_t d = mxc_fault_delay_ms(f, rng);
    t->delay_ms += d;
    if (frec)
      cJSON_AddNumberToObject(frec, "delay_ms", (double)d);
    break;
  }
  case MXC_FAULT_DRIBBLE:
    t->chunk = (size_t)f->bytes;
    t->interval_ms = (uint64_t)f->interval_ms;
    break;
  case MXC_FAULT_BANDWIDTH:
    /* a write every 10 ms, or one byte per write when slower than 100 B/s */
    t->chunk = f->rate >= 100 ? (size_t)f->rate / 100 : 1;
    t->interval_ms = f->rate >= 100 ? 10 : (uint64_t)(1000 / f->rate);
    break;
  case MXC_FAULT_STALL:
    t->len = t->headers_len;
    t->end = TX_STALL;
    break;
  case MXC_FAULT_CLOSE_AFTER_HEADERS:
    t->len = t->headers_len;
    t->end = TX_CLOSE;
    break;
  case MXC_FAULT_CLOSE_AFTER_BYTES:
    if ((size_t)f->bytes < t->len)
      t->len = (size_t)f->bytes;
    t->end = TX_CLOSE;
    break;
  case MXC_FAULT_TRUNCATE:
    t->len = t->headers_len + (body_len > (size_t)f->missing ? body_len - (size_t)f->missing : 0);
    t->end = TX_CLOSE;
    break;
  case MXC_FAULT_TLS_CLOSE_NOTIFY_MID:
  case MXC_FAULT_TLS_TRUNCATION: /* half the body (or of the headers when there is none) */
    t->len =
        t->len > t->headers_len + 1 ? t->headers_len + (t->len - t->headers_len) / 2 : t->len / 2;
    t->end = TX_CLOSE;
    t->abrupt = f->kind == MXC_FAULT_TLS_TRUNCATION;
    break;
  case MXC_FAULT_CHUNKED_UNTERMINATED: /* serialised so by mxc__tx_from_response */
    t->end = TX_CLOSE;
    break;
  case MXC_FAULT_STALE:
    if (t->end == TX_KEEP) {
      t->end = TX_STALE;
      t->stale_ms = (uint64_t)f->idle_ms;
    }
    break;
  default: break;
  }
  if (t->end != before)
    mxc__tx_blame(t, f->kind);
}

static void tx_pop(conn *c) {
  tx *t = c->txq;
  c->txq = t->next;
  free(t); /* its data with it */
}

void mxc__tx_free_all(conn *c) {
  while (c->txq)
    tx_pop(c);
}

static void tx_timer_arm(conn *c);

static void on_tx_timer(uv_timer_t *h) {
  conn *c = h->data;
  if (c->tx_deadline_ns && uv_hrtime() < c->tx_deadline_ns) {
    tx_timer_arm(c); /* woke early (whole-ms loop time): wait the rest */
    return;
  }
  c->tx_deadline_ns = 0;
  if (c->stale_armed) {
    c->stale_armed = false;
    /* (c->url and c->body keep the last request until the next one begins: they cannot
     * tell whether one is under way. A request that has begun to arrive is cut, as a real
     * server's keep-alive close races a client's next request.) */
    if (!mxc__conn_busy(c))
      mxc__conn_close(c, "fault_stale", false);
    return;
  }
  tx_pump(c);
}

/* Waits for c->tx_deadline_ns. The kernel stretches an epoll timeout by about 0.1% and libuv
 * counts whole milliseconds, so the timer is asked for a little less than what is left and
 * re-armed for the remainder: an injected delay ends within a fraction of a millisecond of
 * its deadline (bench/fault-timing). */
static void tx_timer_arm(conn *c) {
  uint64_t now = uv_hrtime();
  uint64_t left_ms = c->tx_deadline_ns > now ? (c->tx_deadline_ns - now) / 1000000u : 0;
  uint64_t slack_ms = left_ms / 1000u + 1;
  uv_update_time(c->mock->loop);
  uv_timer_start(&c->tx_timer, on_tx_timer, left_ms > slack_ms ? left_ms - slack_ms : 0, 0);
}

static void tx_timer_start(conn *c, uint64_t ms) {
  c->tx_deadline_ns = uv_hrtime() + ms * 1000000u;
  tx_timer_arm(c);
}

/* Sends as much of the queue as its shapes allow now; timers and write completions call it
 * again. */
static void tx_pump(conn *c) {
  while (c->txq && c->state == CONN_READING && !c->stalled) {
    tx *t = c->txq;
    if (!t->started) {
      t->started = true;
      if (t->delay_ms) {
        tx_timer_start(c, t->delay_ms);
        return;
      }
    }
    if (uv_is_active((uv_handle_t *)&c->tx_timer))
      return;
    if (t->sent < t->len) {
      if (t->chunk && c->writes_pending)
        return; /* paced: one write in flight at a time */
      size_t n = t->chunk ? t->chunk : t->len - t->sent;
      if (n > t->len - t->sent)
        n = t->len - t->sent;
      if (mxc__conn_write(c, t->data + t->sent, n) != 0) {
        mxc__conn_close(c, "server_error", false);
        return;
      }
      t->sent += n;
      if (t->sent < t->len && t->interval_ms) {
        tx_timer_start(c, t->interval_ms);
        return;
      }
      continue;
    }
    switch (t->end) {
    case TX_KEEP: tx_pop(c); continue;
    case TX_CLOSE:
      if (t->end_how[0])
        snprintf(c->drain_how, sizeof c->drain_how, "%s", t->end_how);
      c->abrupt_close |= t->abrupt;
      mxc__tx_free_all(c);
      c->close_after_writes = true;
      if (!c->writes_pending)
        mxc__conn_drain(c);
      return;
    case TX_RESET:
      if (!c->writes_pending)
        mxc__conn_close(c, "fault_reset", true);
      return;
    case TX_STALL:
      mxc__tx_free_all(c);
      c->stalled = true;
      return;
    case TX_STALE: {
      if (c->writes_pending)
        return;
      uint64_t stale_ms = t->stale_ms;
      tx_pop(c);
      if (!c->txq) {
        c->stale_armed = true;
        tx_timer_start(c, stale_ms);
      }
      return;
    }
    }
  }
}

void mxc__tx_enqueue(conn *c, tx *t) {
  tx **tail = &c->txq;
  while (*tail)
    tail = &(*tail)->next;
  *tail = t;
  if (c->stale_armed) { /* a new answer: the connection is in use again */
    c->stale_armed = false;
    c->tx_deadline_ns = 0;
    uv_timer_stop(&c->tx_timer);
  }
  tx_pump(c);
}
