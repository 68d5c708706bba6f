/* The fault vocabulary: one table of kinds with typed parameters (docs/faults.md), their
 * parsing from scenario JSON and from `MATCH:KIND[:PARAM=VALUE,...]` specs, and the seeded
 * generator that makes probabilistic schedules reproducible. */
#ifndef MXC_FAULTS_H
#define MXC_FAULTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a kind acts:
 * LISTENER  on the listening socket (refused);
 * HARNESS   on what the harness tells the client (unresolvable);
 * REPLACE   instead of the runtime's answer to the matched request (the first match wins);
 * SHAPE     on how the answer is sent (every match applies);
 * HANDSHAKE on an HTTPS connection's TLS handshake, chosen when the connection is accepted,
 *           before any request is known (the first match wins; `match` must be "*"). */
typedef enum {
  MXC_STAGE_LISTENER,
  MXC_STAGE_HARNESS,
  MXC_STAGE_REPLACE,
  MXC_STAGE_SHAPE,
  MXC_STAGE_HANDSHAKE
} mxc_fault_stage;

/* XX(enum suffix, name, stage, what the client sees) */
#define MXC_FAULT_KINDS(XX)                                                                        \
  XX(REFUSED, "refused", MXC_STAGE_LISTENER,                                                       \
     "after `after` answers (default 1: the start-up) nothing listens: connects are refused")      \
  XX(UNRESOLVABLE, "unresolvable", MXC_STAGE_HARNESS,                                              \
     "the client's base URL names a host that cannot resolve (mxc-unreachable.invalid)")           \
  XX(RESET, "reset", MXC_STAGE_REPLACE, "a TCP reset instead of an answer")                        \
  XX(CLOSE, "close", MXC_STAGE_REPLACE, "the connection closes with no answer")                    \
  XX(BLACKHOLE, "blackhole", MXC_STAGE_REPLACE,                                                    \
     "the request is read and never answered; the connection stays open")                          \
  XX(GARBAGE, "garbage", MXC_STAGE_REPLACE, "`bytes` (default 64) non-HTTP bytes, then close")     \
  XX(BAD_STATUS_LINE, "bad_status_line", MXC_STAGE_REPLACE,                                        \
     "a malformed status line and headers, then close")                                            \
  XX(STATUS, "status", MXC_STAGE_REPLACE, "status `code` with `body`, `content_type`, `header`s")  \
  XX(FORBIDDEN, "forbidden", MXC_STAGE_REPLACE, "403, as a runtime enforcing CSRF answers")        \
  XX(RATE_LIMITED, "rate_limited", MXC_STAGE_REPLACE, "429 with Retry-After")                      \
  XX(SERVER_ERROR, "server_error", MXC_STAGE_REPLACE, "500 with an HTML body")                     \
  XX(BAD_GATEWAY, "bad_gateway", MXC_STAGE_REPLACE, "502 from a proxy, HTML body")                 \
  XX(MAINTENANCE, "maintenance", MXC_STAGE_REPLACE,                                                \
     "503 with X-Mendix-Cloud-Mode: maintenance and a plain-text body")                            \
  XX(ERROR_560, "error_560", MXC_STAGE_REPLACE, "560 with a JSON {\"description\"} body")          \
  XX(REDIRECT, "redirect", MXC_STAGE_REPLACE, "302 to /login.html")                                \
  XX(BAD_JSON, "bad_json", MXC_STAGE_REPLACE, "200 whose body is not JSON")                        \
  XX(WRONG_TYPE, "wrong_content_type", MXC_STAGE_REPLACE, "200 {} labelled text/html")             \
  XX(DELAY, "delay", MXC_STAGE_SHAPE,                                                              \
     "the answer waits: `ms`, or uniform `min_ms`..`max_ms`, or lognormal `median_ms`/`sigma`")    \
  XX(DRIBBLE, "dribble", MXC_STAGE_SHAPE,                                                          \
     "the answer in `bytes`-byte writes, `interval_ms` apart")                                     \
  XX(BANDWIDTH, "bandwidth", MXC_STAGE_SHAPE, "the answer at `rate` bytes per second")             \
  XX(STALL, "stall_after_headers", MXC_STAGE_SHAPE, "the headers, then nothing; stays open")       \
  XX(CLOSE_AFTER_HEADERS, "close_after_headers", MXC_STAGE_SHAPE, "the headers, then close")       \
  XX(CLOSE_AFTER_BYTES, "close_after_bytes", MXC_STAGE_SHAPE,                                      \
     "the first `bytes` bytes, then close")                                                        \
  XX(TRUNCATE, "truncate", MXC_STAGE_SHAPE,                                                        \
     "the body cut `missing` bytes (default 1) short of its Content-Length, then close")           \
  XX(CHUNKED_UNTERMINATED, "chunked_unterminated", MXC_STAGE_SHAPE,                                \
     "the body sent chunked without its last chunk, then close")                                   \
  XX(CHUNKED, "chunked", MXC_STAGE_SHAPE,                                                          \
     "the answer sent chunked, in `bytes`-byte chunks (default 16), properly terminated")          \
  XX(CONNECTION_CLOSE, "connection_close", MXC_STAGE_SHAPE,                                        \
     "the answer says Connection: close, and the server closes after it")                          \
  XX(EXPIRE_SESSIONS, "expire_sessions", MXC_STAGE_SHAPE,                                          \
     "after the answer every session expires, as after a long pause (auth tokens survive)")        \
  XX(STALE, "stale", MXC_STAGE_SHAPE,                                                              \
     "the answer keeps the connection alive, then the server closes it after `idle_ms` idle")      \
  XX(TLS_UNTRUSTED, "tls_untrusted", MXC_STAGE_HANDSHAKE,                                          \
     "HTTPS: the certificate is signed by a CA the client does not trust")                         \
  XX(TLS_EXPIRED, "tls_expired", MXC_STAGE_HANDSHAKE, "HTTPS: the certificate has expired")        \
  XX(TLS_WRONG_HOST, "tls_wrong_host", MXC_STAGE_HANDSHAKE,                                        \
     "HTTPS: the certificate names wrong.example only")                                            \
  XX(TLS_HANDSHAKE_RESET, "tls_handshake_reset", MXC_STAGE_HANDSHAKE,                              \
     "HTTPS: a TCP reset as soon as the ClientHello arrives")                                      \
  XX(TLS_OLD_PROTOCOL, "tls_old_protocol", MXC_STAGE_HANDSHAKE,                                    \
     "HTTPS: the server speaks TLS 1.0 only")                                                      \
  XX(TLS_CLOSE_NOTIFY_MID, "tls_close_notify_mid_response", MXC_STAGE_SHAPE,                       \
     "half the answer, then TLS close_notify and close")                                           \
  XX(TLS_TRUNCATION, "tls_truncation", MXC_STAGE_SHAPE,                                            \
     "half the answer, then a TCP close without close_notify")

typedef enum {
  MXC_FAULT_NONE = 0,
#define XX(e, name, stage, doc) MXC_FAULT_##e,
  MXC_FAULT_KINDS(XX)
#undef XX
      MXC_FAULT__COUNT
} mxc_fault_kind;

#define MXC_FAULT_MAX_HEADERS 8

typedef struct mxc_fault {
  mxc_fault_kind kind;
  /* which requests: XAS action (or "*"), the nth matching request (0: any), requests on the
   * nth connection only (0: any), at most `times` of them (0: no limit), each with
   * probability p (0 means 1) */
  char match[64];
  int nth;
  int conn;
  int times;
  double p;
  /* parameters (docs/faults.md) */
  int after;
  int code;
  char *body;
  char *content_type;
  char *headers[MXC_FAULT_MAX_HEADERS]; /* "Name: value" */
  size_t nheaders;
  int ms, min_ms, max_ms;
  double median_ms, sigma;
  int bytes, interval_ms, rate, missing, idle_ms;
} mxc_fault;

/* Parses one fault object ({"kind", "match", selectors and parameters}). On error returns
 * MXC_EINVAL with "key: problem" in err; unknown keys and bad values are errors. */
int mxc_fault_from_json(const cJSON *o, mxc_fault *f, char *err, size_t errlen);
/* Parses "MATCH:KIND[:PARAM=VALUE,...]" (e.g. "login:delay:ms=300", "*:reset:p=0.25").
 * Same errors as mxc_fault_from_json, naming the spec's parameter. */
int mxc_fault_from_spec(const char *spec, mxc_fault *f, char *err, size_t errlen);
/* The JSON form, as scenario files write it. NULL on out of memory. */
cJSON *mxc_fault_to_json(const mxc_fault *f);
int mxc_fault_copy(mxc_fault *dst, const mxc_fault *src);
void mxc_fault_cleanup(mxc_fault *f);
const char *mxc_fault_kind_name(mxc_fault_kind k);
mxc_fault_stage mxc_fault_stage_of(mxc_fault_kind k);
/* Markdown table of every kind and parameter, for `--help` and docs. Static text. */
const char *mxc_fault_kinds_help(void);

/* The answer a REPLACE kind sends: status, headers and body after its parameters. Fills the
 * out-parameters with borrowed strings (the preset's or the fault's). */
typedef struct mxc_fault_answer {
  int code;
  const char *content_type;
  const char *body;
  const char *headers[MXC_FAULT_MAX_HEADERS + 2];
  size_t nheaders;
} mxc_fault_answer;
void mxc_fault_answer_of(const mxc_fault *f, mxc_fault_answer *a);

/* A small seeded generator (splitmix64): the same seed gives the same sequence. */
typedef struct mxc_rng {
  uint64_t state;
} mxc_rng;
void mxc_rng_seed(mxc_rng *r, uint64_t seed);
uint64_t mxc_rng_next(mxc_rng *r);
double mxc_rng_unit(mxc_rng *r); /* [0, 1) */
/* A stable 64-bit hash of a string mixed with a seed (per-scenario seeds). */
uint64_t mxc_seed_mix(uint64_t seed, const char *s);

/* The delay of a delay fault, drawn from r when it is random. */
uint64_t mxc_fault_delay_ms(const mxc_fault *f, mxc_rng *r);

#endif
