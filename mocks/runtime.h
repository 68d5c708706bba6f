/* The runtime profile of PROTOCOL.md section 1: accounts, sessions and the /xas/ actions.
 * Knows HTTP requests as parsed values only; sockets and faults live in server.c. */
#ifndef MXC_RUNTIME_H
#define MXC_RUNTIME_H

#include "mocks/transcript.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mxc_account {
  char *username;
  char *password;
  char **roles;
  size_t nroles;
  bool active;
} mxc_account;

typedef struct mxc_runtime_config {
  const mxc_account *accounts; /* borrowed: must outlive the runtime */
  size_t naccounts;
  uint64_t block_ms;        /* how long a blocked account stays blocked; default 5 min */
  uint64_t session_idle_ms; /* idle timeout of a session; default 10 min */
  bool csrf_enforce;        /* 403 for a request without the session's csrftoken */
  bool secure_cookies;      /* cookies carry Secure (the mock sets it when serving HTTPS) */
  bool host_prefix_cookies; /* the session cookie is __Host-XASSESSIONID (Secure, Path=/, no
                               Domain: implies Secure). Requests may send either name. */
} mxc_runtime_config;

#define MXC_RUNTIME_BLOCK_MS_DEFAULT (5u * 60u * 1000u)
#define MXC_RUNTIME_SESSION_IDLE_MS_DEFAULT (10u * 60u * 1000u)
#define MXC_RUNTIME_MAX_FAILURES 3

typedef struct mxc_http_header {
  char *name;
  char *value;
} mxc_http_header;

/* A parsed request, as the server hands it to the runtime. */
typedef struct mxc_http_request {
  const char *method;
  const char *target; /* request target as sent: path plus query */
  const mxc_http_header *headers;
  size_t nheaders;
  const char *body;
  size_t body_len;
} mxc_http_request;

#define MXC_HTTP_MAX_RESPONSE_HEADERS 16

/* A response the runtime builds; the server adds the framing headers (Content-Length,
 * Connection). `headers` are whole "Name: value" lines without CRLF. Owned strings, except
 * the headers whose bit is set in `borrowed` (1u << index) and a body_borrowed body: string
 * literals the runtime sets without a copy. */
typedef struct mxc_http_response {
  int status;
  char *body;
  size_t body_len;
  char *headers[MXC_HTTP_MAX_RESPONSE_HEADERS];
  size_t nheaders;
  uint32_t borrowed;
  bool body_borrowed;
} mxc_http_response;

/* Adds a header line; silently drops it past the table size (a programming error). */
int mxc_http_response_add_header(mxc_http_response *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets status and a JSON body (takes a copy of the printed JSON). */
int mxc_http_response_set_json(mxc_http_response *res, int status, const cJSON *body);
/* A whole JSON answer: takes body (NULL means out of memory), sets it with the status and adds
 * Content-Type (JSON) and Cache-Control: no-store. 0 or MXC_ENOMEM. */
int mxc_http_response_json(mxc_http_response *res, int status, cJSON *body);
void mxc_http_response_cleanup(mxc_http_response *res);

/* For mocks/ only: cheaper ways to fill a response on the sign-in path. */
/* Adds the header line made of the n (<= 8) parts, without printf. 0, MXC_ELIMIT, MXC_ENOMEM. */
int mxc__response_add_parts(mxc_http_response *res, const char *const *parts, size_t n);
/* Adds a constant header line (a string literal: not copied). 0 or MXC_ELIMIT. */
int mxc__response_add_literal(mxc_http_response *res, const char *line);
/* Replaces the body (text is owned unless borrowed, e.g. a literal). */
void mxc__response_set_body(mxc_http_response *res, char *text, size_t len, bool borrowed);

typedef struct mxc_runtime mxc_runtime;

/* Creates a runtime over cfg (copied; the accounts it points to are borrowed). NULL on OOM. */
mxc_runtime *mxc_runtime_new(const mxc_runtime_config *cfg);
void mxc_runtime_free(mxc_runtime *rt);

/* Answers one request. Fills res (status always set) and writes what the runtime saw and did
 * into the transcript record `exchange` (action, params with the password redacted, session,
 * csrf, cookies set). Returns 0, or MXC_ENOMEM (res then holds a 500). */
int mxc_runtime_handle(mxc_runtime *rt, const mxc_http_request *req, mxc_http_response *res,
                       mxc_exchange *exchange);

/* Records what the runtime would see of a request a fault answers instead (action, params with
 * the password redacted, session cookie state, csrf), changing nothing: no session is used,
 * created or destroyed. */
void mxc_runtime_observe(mxc_runtime *rt, const mxc_http_request *req, mxc_exchange *rec);

/* Replaces every occurrence of any account password (non-empty) in s, in place, with '*'.
 * Returns true when something was replaced. Used to keep secrets out of the transcript. */
bool mxc_runtime_redact(const mxc_runtime *rt, char *s);

/* Expires every session now (the harness's "long pause"). Auth tokens survive. */
void mxc_runtime_expire_sessions(mxc_runtime *rt);

/* Case-insensitive header lookup; NULL when absent. */
const char *mxc_http_header_get(const mxc_http_header *h, size_t n, const char *name);

#endif
