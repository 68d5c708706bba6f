/* Internals shared by the mock's files: the mock and connection structs, and how answers
 * leave a connection (wire.c). Not for use outside mocks/. */
#ifndef MXC_MOCK_INTERNAL_H
#define MXC_MOCK_INTERNAL_H

#include "common/mxc_util.h"
#include "mocks/server.h"

#include <llhttp.h>
#include <stdbool.h>

#define MXC__MAX_URL_BYTES 8192u
#define MXC__DRAIN_LINGER_MS 1000u

typedef enum {
  CONN_READING,  /* parsing requests, answering them */
  CONN_DRAINING, /* write side shut down; discarding input until EOF or the linger timer */
  CONN_CLOSED,   /* uv_close called on its handles */
} conn_state;

/* How a connection goes on once an answer has been written. */
typedef enum {
  TX_KEEP,  /* keep-alive: next answer */
  TX_CLOSE, /* half-close, drain, close (Connection: close, or a fault's close) */
  TX_RESET, /* TCP reset */
  TX_STALL, /* nothing more is ever sent; input is discarded; the peer must give up */
  TX_STALE, /* looks kept alive, then the server closes it after stale_ms idle */
} tx_end;

/* How an answer's body is framed: Content-Length, or chunked (the chunked and
 * chunked_unterminated faults). */
typedef struct tx_framing {
  bool chunked;
  bool unterminated;  /* no last chunk */
  size_t chunk_bytes; /* 0: the whole body in one chunk */
} tx_framing;

/* One answer on its way out, with the shape faults gave it. */
typedef struct tx {
  struct tx *next;
  char *data;
  size_t len;  /* bytes to send (faults may cut it below the serialised length) */
  size_t sent; /* handed to uv_write so far */
  uint64_t delay_ms;
  size_t chunk; /* bytes per write; 0: all at once */
  uint64_t interval_ms;
  tx_end end;
  uint64_t stale_ms;
  bool started;
  size_t headers_len; /* where the body starts in data */
  char end_how[48];   /* the transcript's "end" when this answer closes the connection */
  bool abrupt;        /* its close sends no TLS close_notify */
} tx;

typedef struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;    /* idle timeout, and the drain linger */
  uv_timer_t tx_timer; /* delays and pacing of answers */
  uv_shutdown_t shutdown_req;
  mxc_mock *mock;
  uint64_t id;
  conn_state state;
  int handles_open;
  llhttp_t parser;
  /* the request being parsed (its header table is at the end: the fields used for every
   * request stay in a few cache lines) */
  mxc_buf url, body;
  /* header names and values, each NUL-terminated, one after another; c->headers points into
   * it once the header section is complete (it may move while it grows) */
  mxc_buf fields;
  uint32_t cur_name, cur_value; /* offsets of the field being parsed */
  enum { FIELD_NONE, FIELD_NAME, FIELD_VALUE } field_state;
  size_t nheaders;
  size_t header_bytes;
  const char *feed_start; /* the read buffer being parsed, and the byte before it */
  char prev_last;
  int reject_status; /* 400/413/431/501 decided by a callback */
  const char *reject_reason;
  bool head; /* a HEAD request: its response carries no body (RFC 9110 9.3.2) */
  /* the connection */
  uint64_t bytes_in, bytes_out;
  int writes_pending;
  bool close_after_writes;
  bool stalled;             /* a stall fault holds it: input is discarded */
  bool input_done;          /* no more requests are read (closing, stalled, rejected) */
  bool stale_armed;         /* a stale fault will close it when the tx timer fires */
  bool abrupt_close;        /* the close skips TLS close_notify (a truncation fault) */
  uint64_t last_input_ms;   /* loop time of the last request bytes read (idle timeout) */
  uint64_t tx_deadline_ns;  /* when the tx timer wait ends (uv_hrtime); 0: none */
  tx *txq;                  /* answers not fully handed to libuv yet, in order */
  struct mxc_tls_conn *tls; /* HTTPS engine (tls.c); NULL over plain HTTP */
  cJSON *record;
  struct conn *prev, *next;
  char drain_how[48]; /* how a drain ends in the transcript */
  char peer[64];
  /* the request's header fields: offsets in `fields` while parsing, then pointers */
  uint32_t name_off[MXC_MOCK_MAX_HEADERS], value_off[MXC_MOCK_MAX_HEADERS];
  mxc_http_header headers[MXC_MOCK_MAX_HEADERS];
} conn;

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
  int *fault_hits; /* matches that the fault was applied to */
  int *fault_seen; /* matches before the nth/p selection */
  size_t nfaults;
  uint64_t seed;
  mxc_rng rng;
  uint64_t responses;
  uint64_t next_conn_id;
  size_t nconns;
  conn *conns;
  mxc_mock_closed_cb on_closed;
  void *on_closed_arg;
  const mxc_tls_material *tls; /* HTTPS when set (borrowed) */
  char readbuf[65536];
  char plainbuf[16384]; /* a TLS record's plaintext on its way to the parser */
};

/* ---- wire.c ---- */

/* Ends a connection now; `how` goes into the transcript. reset: send a TCP RST. */
void mxc__conn_close(conn *c, const char *how, bool reset);
/* Stops answering: half-close, then discard input until the peer closes. */
void mxc__conn_drain(conn *c);
/* Queues bytes for writing now (interim answers such as 100 Continue); over HTTPS they are
 * encrypted first. */
int mxc__conn_write(conn *c, const char *data, size_t len);
/* Queues bytes for the socket as they are (tls.c's records). */
int mxc__conn_write_raw(conn *c, const char *data, size_t len);
/* Whether answers are still on their way out. */
bool mxc__conn_busy(const conn *c);
/* Serialises an answer framed as `fr` says (NULL: Content-Length) and records status and
 * cookies in rec (NULL: not recorded). NULL on out of memory. */
tx *mxc__tx_from_response(const conn *c, const mxc_http_response *res, mxc_exchange *rec,
                          bool keep_alive, bool http10, const tx_framing *fr);
/* An answer of raw bytes (possibly none) with the given end. NULL on out of memory. */
tx *mxc__tx_raw(const char *data, size_t len, tx_end end);
/* Names the fault an answer's close comes from ("fault_<kind>" in the transcript). */
void mxc__tx_blame(tx *t, mxc_fault_kind kind);
/* Applies a SHAPE fault to an answer; what was drawn (delays) is added to frec. */
void mxc__tx_shape(tx *t, const mxc_fault *f, mxc_rng *rng, cJSON *frec);
/* Appends an answer to the connection's queue and sends what can be sent. */
void mxc__tx_enqueue(conn *c, tx *t);
void mxc__tx_free_all(conn *c);

/* ---- http1.c ---- */
/* The callbacks that parse requests into the connection in parser.data (conn_feed in server.c
 * answers each one when llhttp pauses after it). */
extern const llhttp_settings_t mxc__parser_settings;
/* Forgets the request being parsed (its buffers are kept for the next one). */
void mxc__request_reset(conn *c);

/* ---- server.c ---- */
/* A handle of the mock closed: counts it, and finishes a stop when it was the last. */
void mxc__mock_handle_closed(mxc_mock *m);
/* Frees a connection whose handles have all closed. */
void mxc__conn_free(conn *c);

/* ---- tls.c: the HTTPS engine of a connection ---- */
typedef struct mxc_tls_conn mxc_tls_conn;
typedef void (*mxc__plain_fn)(conn *c, const char *data, size_t len);
/* Starts TLS on an accepted connection of a mock with material, serving what the handshake
 * fault `fault` (or MXC_FAULT_NONE) asks for; records "tls". 0 or MXC_ENOMEM. */
int mxc__tls_accept(conn *c, mxc_fault_kind fault);
/* Takes bytes read from the socket: handshakes, then hands each piece of plaintext to
 * `deliver` while the connection reads requests. May close or drain the connection. */
void mxc__tls_input(conn *c, const char *data, size_t len, mxc__plain_fn deliver);
/* Encrypts and queues plaintext. 0 or an error. */
int mxc__tls_write(conn *c, const char *data, size_t len);
/* Queues close_notify (once; not after a failed handshake or with abrupt_close). */
void mxc__tls_close_notify(conn *c);
/* The connection is ending: close_notify unless reset, and the final "tls" record. */
void mxc__tls_end(conn *c, bool reset);
/* (Re)writes the connection record's "tls" and "app_data_before_failure". */
void mxc__tls_record(conn *c);
/* Frees the engine. NULL-safe (plain connections). */
void mxc__tls_conn_free(conn *c);

#endif
