/* The control API of a standalone mock under /_mxconform/ (docs/serve.md). */
#ifndef MXC_CONTROL_H
#define MXC_CONTROL_H

#include "mocks/runtime.h"

#include <stdbool.h>

#define MXC_CONTROL_PREFIX "/_mxconform/"

typedef struct mxc_mock mxc_mock;

/* Arms scenario `id` (accounts, runtime settings, faults) on the mock. Returns 0, or a
 * negative code with a message in err (unknown scenario: MXC_EINVAL). */
typedef int (*mxc_control_arm_cb)(mxc_mock *m, const char *id, void *arg, char *err, size_t errlen);

/* Serve-mode agents (docs/adapters.md): the next case for agent `agent`, or its result
 * (`body`). Fill res (status and JSON body). Returns 0 or MXC_ENOMEM. */
typedef int (*mxc_control_agent_cb)(const char *agent, const char *body, size_t body_len, void *arg,
                                    mxc_http_response *res);

typedef struct mxc_control {
  bool enabled;
  mxc_control_arm_cb arm; /* NULL: arming is not offered */
  void *arm_arg;
  mxc_control_agent_cb agent_next, agent_result; /* NULL: no agent flow */
  mxc_control_agent_cb agent_ca;                 /* GET ca.pem of the agent flow, or NULL */
  void *agent_arg;
} mxc_control;

/* Whether target is a control path. */
bool mxc_control_path(const char *target);

/* Answers one control request into res. Control requests are not recorded in the
 * transcript. Returns 0 or MXC_ENOMEM. */
int mxc_control_handle(mxc_mock *m, const mxc_control *ctl, const char *method, const char *target,
                       const char *body, size_t body_len, mxc_http_response *res);

#endif
