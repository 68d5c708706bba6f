/* The runner: each selected scenario on its own loop with its own mock, client and deadline. */
#ifndef MXC_RUNNER_H
#define MXC_RUNNER_H

#include "harness/result.h"
#include "harness/scenario.h"

#define MXC_RUN_MAX_JOBS 64

typedef struct mxc_run_options {
  const char *client_cmd; /* NULL: built-in reference client */
  const char *filter;     /* glob on scenario IDs, rule IDs and rule groups; NULL: all */
  mxc_level level;
  const mxc_fault *faults; /* added to every selected scenario (--fault) */
  size_t nfaults;
  uint64_t seed;
  size_t jobs;             /* scenarios at once, each on its own thread and loop; 0 means 1 */
  size_t shard_k, shard_n; /* run only shard K of N (1-based) of the selection; 0/0: all */
  /* called after each scenario, in catalog order (NULL: nothing) */
  void (*on_result)(mxc_scenario_result *r, size_t index, size_t total, void *arg);
  void *on_result_arg;
} mxc_run_options;

/* Whether scenario sc is selected by glob (NULL selects all). */
bool mxc_scenario_selected(const mxc_scenario *sc, const char *glob);

/* Runs the selected scenarios of cat in catalog order into *out (cleanup with
 * mxc_run_result_cleanup). Returns 0, or a negative code for an internal failure. */
int mxc_run(const mxc_catalog *cat, const mxc_run_options *opt, mxc_run_result *out);

/* Asks running and pending scenarios to stop (async-signal-safe: call it from a handler).
 * Running clients are killed and their scenarios are errors; pending ones are not run. */
void mxc_run_interrupt(int signum);
/* The signal that interrupted the run, or 0. */
int mxc_run_interrupted(void);

/* Adds one result to the run's counts: passed, failed (stale baseline entries too), skipped
 * (expected failures), errors. */
void mxc_run_count(mxc_run_result *run, const mxc_scenario_result *r);

/* Judges a scenario whose client outcome and transcript are in *res (the agent flow fills
 * them itself), then masks every password of the scenario in it. */
void mxc_judge_scenario(const mxc_scenario *sc, mxc_level level, mxc_scenario_result *res);

/* The host a client is told to reach the mock at: `host`, or, when one of the faults is
 * `unresolvable`, a name no resolver knows (RFC 6761 .invalid). */
const char *mxc_client_host(const mxc_fault *faults, size_t nfaults, const char *host);

/* Runs one scenario into *res. Returns 0 or a negative code (res->internal_error says why). */
int mxc_run_scenario(const mxc_scenario *sc, const mxc_run_options *opt, mxc_scenario_result *res);

#endif
