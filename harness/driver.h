/* Client drivers: the built-in reference client in-process, or an external command run per
 * the adapter contract (PROTOCOL.md section 3), both on the scenario's loop with a deadline. */
#ifndef MXC_DRIVER_H
#define MXC_DRIVER_H

#include "clients/case.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define MXC_DRIVER_MAX_STDOUT (1024u * 1024u)
#define MXC_DRIVER_STDERR_TAIL 4096u
#define MXC_DRIVER_GRACE_MS 2000u

/* What running the client produced. Owned by the driver until taken. */
typedef struct mxc_client_outcome {
  cJSON *report;     /* the parsed result object; NULL when the client erred */
  char *error;       /* why the client is in error, or NULL */
  char *stderr_tail; /* last bytes of its stderr (external clients), or NULL */
  int exit_status;   /* -1 when it did not exit by itself */
  int term_signal;   /* 0 unless killed by a signal */
  bool timed_out;
  double duration_ms;
} mxc_client_outcome;

void mxc_client_outcome_cleanup(mxc_client_outcome *o);

typedef struct mxc_driver_spec {
  const char *client_cmd; /* NULL: the built-in reference client */
  const mxc_case *cs;     /* the case (the built-in client runs it directly) */
  const char *case_path;  /* the case file, for MXC_CASE */
  const char *workdir;    /* fresh working directory of the external client */
  uint64_t deadline_ms;   /* from start; the process group is killed then */
} mxc_driver_spec;

typedef struct mxc_driver mxc_driver;
typedef void (*mxc_driver_done_cb)(mxc_driver *d, void *arg);

/* Starts the client. `done` runs once, from the loop, when the client finished, erred or
 * passed its deadline; its outcome is then ready. The spec's strings are borrowed until then.
 * Returns 0 or a negative code (done is then never called). */
int mxc_driver_start(uv_loop_t *loop, const mxc_driver_spec *spec, mxc_driver_done_cb done,
                     void *arg, mxc_driver **out);
/* Moves the outcome into *out (the driver keeps nothing). */
void mxc_driver_take_outcome(mxc_driver *d, mxc_client_outcome *out);
/* Kills what is left, closes the handles (run the loop to finish) and frees. NULL-safe. */
void mxc_driver_close(mxc_driver *d);

/* Parses the last non-empty line of a client's stdout as its result. Returns the object, or
 * NULL with *why set to a static explanation. */
cJSON *mxc_driver_parse_result(const char *out, size_t len, const char **why);

#endif
