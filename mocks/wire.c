/* How answers leave a connection: serialising, the per-connection queue of answers, the
 * shapes faults give them (delays, pacing, cuts, stalls), writes, and closing. */
#include "mocks/mock_internal.h"

#include "common/mxc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int mxc__conn_write_raw(conn *c, const char *data, size_t len) {
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

tx *mxc__tx_raw(const char *data, size_t len, tx_end end) {
  tx *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->data = malloc(len ? len : 1);
  if (!t->data) {
    free(t);
    return NULL;
  }
  if (len)
    memcpy(t->data, data, len);
  t->len = len;
  t->end = end;
  return t;
}

tx *mxc__tx_from_response(const conn *c, const mxc_http_response *res, cJSON *rec, bool keep_alive,
                          bool http10, const tx_framing *fr) {
  mxc_buf out;
  mxc_buf_init(&out, MXC_MOCK_MAX_BODY * 3);
  int rc = mxc_buf_printf(&out, "HTTP/1.1 %d %s\r\n", res->status, status_reason(res->status));
  cJSON *cookies = rec ? cJSON_AddArrayToObject(rec, "set_cookies") : NULL;
  for (size_t i = 0; rc == 0 && i < res->nheaders; i++) {
    rc = mxc_buf_printf(&out, "%s\r\n", res->headers[i]);
    if (cookies && strncasecmp(res->headers[i], "Set-Cookie: ", 12) == 0)
      cJSON_AddItemToArray(cookies, cJSON_CreateString(res->headers[i] + 12));
  }
  bool body = res->body_len && !c->head;
  bool chunked = fr && fr->chunked;
  if (rc == 0 && chunked)
    rc = mxc_buf_printf(&out, "Transfer-Encoding: chunked\r\n");
  else if (rc == 0)
    rc = mxc_buf_printf(&out, "Content-Length: %zu\r\n", res->body_len);
  if (rc == 0 && !keep_alive)
    rc = mxc_buf_printf(&out, "Connection: close\r\n");
  else if (rc == 0 && http10)
    rc = mxc_buf_printf(&out, "Connection: keep-alive\r\n");
  if (rc == 0)
    rc = mxc_buf_append(&out, "\r\n", 2);
  size_t headers_len = out.len;
  if (chunked) {
    size_t step = fr->chunk_bytes ? fr->chunk_bytes : (res->body_len ? res->body_len : 1);
    for (size_t off = 0; rc == 0 && body && off < res->body_len; off += step) {
      size_t n = res->body_len - off < step ? res->body_len - off : step;
      rc = mxc_buf_printf(&out, "%zx\r\n", n);
      if (rc == 0)
        rc = mxc_buf_append(&out, res->body + off, n);
      if (rc == 0)
        rc = mxc_buf_append(&out, "\r\n", 2);
    }
    if (rc == 0 && !fr->unterminated && !c->head)
      rc = mxc_buf_append(&out, "0\r\n\r\n", 5);
  } else if (rc == 0 && body) {
    rc = mxc_buf_append(&out, res->body, res->body_len);
  }
  tx *t = rc == 0 ? mxc__tx_raw(out.data, out.len, keep_alive ? TX_KEEP : TX_CLOSE) : NULL;
  if (t)
    t->headers_len = headers_len;
  if (rec) {
    cJSON_AddNumberToObject(rec, "status", res->status);
    cJSON_AddNumberToObject(rec, "response_bytes", (double)out.len);
  }
  mxc_buf_cleanup(&out);
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
  free(t->data);
  free(t);
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
