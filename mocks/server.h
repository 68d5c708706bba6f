/* The mock Mendix runtime: an HTTP/1.1 server on a libuv loop serving the runtime profile,
 * applying faults and recording the transcript. It never judges. */
#ifndef MXC_SERVER_H
#define MXC_SERVER_H

#include "mocks/control.h"
#include "mocks/faults.h"
#include "mocks/runtime.h"
#include "mocks/tls.h"
#include "mocks/transcript.h"

#include <cjson/cJSON.h>
#include <uv.h>

/* Hard limits on what a peer may send (PROTOCOL.md section 1). */
#define MXC_MOCK_MAX_HEADER_BYTES (16u * 1024u)
#define MXC_MOCK_MAX_HEADERS 100u
#define MXC_MOCK_MAX_BODY (1024u * 1024u)
#define MXC_MOCK_MAX_CONNECTIONS 4096u
#define MXC_MOCK_IDLE_MS_DEFAULT 30000u

typedef struct mxc_mock_config {
  const char *host; /* address to bind; NULL means 127.0.0.1 */
  int port;         /* 0: any free port (read it back with mxc_mock_port) */
  mxc_runtime_config runtime;
  const mxc_fault *faults; /* copied */
  size_t nfaults;
  uint64_t idle_ms;        /* idle connection timeout; 0 means MXC_MOCK_IDLE_MS_DEFAULT */
  uint64_t seed;           /* of the random fault schedule (p, random delays, garbage) */
  mxc_control control;     /* the /_mxconform/ API (serve mode); off by default */
  const char *scenario_id; /* label of the armed scenario, or NULL (copied) */
  /* HTTPS with this material (borrowed: must outlive the mock; see mocks/tls.h); NULL: plain
   * HTTP. Session cookies then carry Secure (runtime.secure_cookies is set). */
  const mxc_tls_material *tls;
} mxc_mock_config;

typedef struct mxc_mock mxc_mock;
typedef void (*mxc_mock_closed_cb)(mxc_mock *m, void *arg);

/* Binds, listens and starts serving on loop. On success *out is the mock; on failure a
 * negative code (libuv's, e.g. UV_EADDRINUSE; MXC_EINVAL for a TLS handshake fault without
 * cfg->tls) and *out is NULL. */
int mxc_mock_start(uv_loop_t *loop, const mxc_mock_config *cfg, mxc_mock **out);
/* The port the mock listens on (also after the listener closed because of a fault). */
int mxc_mock_port(const mxc_mock *m);
/* Closes the listener, then every connection. `cb` runs once every handle has closed; after it
 * the caller may take the transcript and must call mxc_mock_free. Calling it twice is a no-op. */
void mxc_mock_stop(mxc_mock *m, mxc_mock_closed_cb cb, void *arg);
/* The transcript so far (borrowed, valid until mxc_mock_free). */
const cJSON *mxc_mock_transcript(const mxc_mock *m);
/* Hands the transcript to the caller (call after the stop callback). */
cJSON *mxc_mock_transcript_take(mxc_mock *m);
/* Starts afresh without closing the listener: a new runtime (no sessions, tokens or blocks),
 * a new transcript, fault counters at zero. With cfg, its runtime settings, faults and
 * scenario label replace the current ones (host, port, idle_ms and control are ignored);
 * with NULL the current ones stay (as does TLS). Live connections stay open. 0, MXC_ENOMEM or
 * MXC_EINVAL (a TLS handshake fault on a plain HTTP mock); then nothing changed. */
int mxc_mock_reset(mxc_mock *m, const mxc_mock_config *cfg);
/* Adds a fault at run time (copied); its counters start at zero, as do the others'.
 * MXC_EINVAL for a kind the mock cannot apply (unresolvable; a TLS handshake kind over HTTP). */
int mxc_mock_faults_add(mxc_mock *m, const mxc_fault *f);
/* Removes every fault. */
int mxc_mock_faults_clear(mxc_mock *m);
/* The armed faults as a JSON array (caller frees). */
cJSON *mxc_mock_faults_json(const mxc_mock *m);
/* The label of the armed scenario, or NULL. */
const char *mxc_mock_armed(const mxc_mock *m);
/* Expires every session of the runtime now. */
void mxc_mock_expire_sessions(mxc_mock *m);
/* Frees a stopped mock. NULL-safe. */
void mxc_mock_free(mxc_mock *m);

#endif
