/* Serve-mode agents: clients the harness cannot launch (an app on a device) pull their cases
 * from `mxconform serve --agents DIR` and post their results; each case gets its own mock on a
 * fresh port, and every agent's run is judged and reported like `mxconform run`. */
#ifndef MXC_AGENTS_H
#define MXC_AGENTS_H

#include "harness/rules.h"
#include "harness/scenario.h"
#include "mocks/runtime.h"

#include <stdint.h>
#include <uv.h>

typedef struct mxc_agents mxc_agents;

typedef struct mxc_agents_config {
  const mxc_catalog *cat; /* borrowed */
  const char *filter;     /* glob, as run --filter; NULL: all */
  mxc_level level;
  const char *host;        /* the per-case mocks bind here */
  const char *public_host; /* the host agents are told to use in base URLs */
  const char *reports_dir; /* DIR/NAME.junit.xml, .json, .tap and .html */
  uint64_t seed;
  uint64_t case_timeout_ms; /* a case without a result by then is a client error; 0: none */
} mxc_agents_config;

/* NULL on out of memory (or when the HTTPS certificates cannot be made). The HTTPS cases are
 * served with run-local certificates whose CA agents fetch from GET /_mxconform/ca.pem. */
mxc_agents *mxc_agents_new(uv_loop_t *loop, const mxc_agents_config *cfg);
/* Control API callbacks (mocks/control.h): GET /_mxconform/next, POST /_mxconform/result. */
int mxc_agents_next(const char *agent, const char *body, size_t len, void *arg,
                    mxc_http_response *res);
int mxc_agents_result(const char *agent, const char *body, size_t len, void *arg,
                      mxc_http_response *res);
/* GET /_mxconform/ca.pem: the CA certificate of the HTTPS cases (404 when none is selected). */
int mxc_agents_ca(const char *agent, const char *body, size_t len, void *arg,
                  mxc_http_response *res);
/* Stops the cases in progress (their mocks close on the loop). */
void mxc_agents_close(mxc_agents *a);
/* After the loop ran the closes: judges what is left, writes the reports of every agent not
 * yet reported (marked incomplete when it did not run everything) and frees (run the loop
 * once more for the last handle). */
void mxc_agents_finish(mxc_agents *a);

#endif
