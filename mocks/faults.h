/* The fault vocabulary: one table of kinds with typed parameters (docs/faults.md). */
#ifndef MXC_FAULTS_H
#define MXC_FAULTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* XX(enum suffix, name, what it does) */
#define MXC_FAULT_KINDS(XX)                                                                        \
  XX(REFUSED, "refused",                                                                           \
     "after `after` responses (default 1: the start-up) the mock stops listening and closes its "  \
     "connections; every later connect is refused")                                                \
  XX(RESET, "reset", "the matched request gets a TCP reset instead of a response")                 \
  XX(CLOSE, "close", "the connection is closed with no response to the matched request")           \
  XX(STATUS, "status",                                                                             \
     "the matched request is answered with status `code` and `body` (default {}) without "         \
     "reaching the runtime")

typedef enum {
  MXC_FAULT_NONE = 0,
#define XX(e, name, doc) MXC_FAULT_##e,
  MXC_FAULT_KINDS(XX)
#undef XX
} mxc_fault_kind;

typedef struct mxc_fault {
  mxc_fault_kind kind;
  char match[64];     /* XAS action the fault applies to, or "*" */
  int times;          /* how many matched requests it applies to; 0 = all */
  int after;          /* refused: responses served before the listener closes */
  int code;           /* status: the HTTP status */
  char *body;         /* status: the body, owned; NULL means "{}" */
  char *content_type; /* status: owned; NULL means application/json */
} mxc_fault;

/* Parses one fault object ({"kind": ..., "match": ..., params}). On error returns MXC_EINVAL
 * and writes "key: problem" into err. Unknown keys and bad values are errors. */
int mxc_fault_from_json(const cJSON *o, mxc_fault *f, char *err, size_t errlen);
cJSON *mxc_fault_to_json(const mxc_fault *f);
int mxc_fault_copy(mxc_fault *dst, const mxc_fault *src);
void mxc_fault_cleanup(mxc_fault *f);
const char *mxc_fault_kind_name(mxc_fault_kind k);

#endif
