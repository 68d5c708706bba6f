/* The run result model: the only thing reporters see. */
#ifndef MXC_RESULT_H
#define MXC_RESULT_H

#include "harness/driver.h"
#include "harness/scenario.h"
#include "harness/verdict.h"

#include <cjson/cJSON.h>

typedef enum { MXC_VERDICT_PASS, MXC_VERDICT_FAIL, MXC_VERDICT_ERROR } mxc_verdict;

typedef struct mxc_scenario_result {
  const mxc_scenario *sc; /* borrowed from the catalog */
  mxc_verdict verdict;
  mxc_check_result *checks;
  size_t nchecks;
  mxc_client_outcome client; /* what the client reported, or why it erred */
  cJSON *transcript;         /* what the mock saw (passwords redacted) */
  char *internal_error;      /* the harness could not run the scenario */
  uint64_t deadline_ms;
  uint64_t seed;               /* of this scenario's fault schedule */
  const char *baseline_reason; /* baselined: expected to fail, why (borrowed) */
  bool baseline_stale;         /* baselined, yet it passed: the entry must go */
  bool interrupted;            /* stopped by SIGINT/SIGTERM before the client finished */
  double duration_ms;
  size_t position; /* index in the run's whole selection (before --shard), from 0 */
} mxc_scenario_result;

typedef struct mxc_run_result {
  const char *client_desc; /* "built-in reference client" or the command */
  const char *agent;       /* --agent: the client's name in reports, or NULL */
  mxc_level level;         /* checks at this level or above fail the run */
  uint64_t seed;           /* the run's seed; each scenario's is derived from it and its ID */
  mxc_scenario_result *results;
  size_t n;
  size_t passed, failed, errors; /* errors are counted in failed too */
  size_t skipped;                /* expected failures of a baseline (not in failed) */
  size_t selected;               /* scenarios selected; more than n when interrupted */
  bool incomplete;               /* interrupted: not every selected scenario ran to its end */
  const char *filter;            /* --filter, or NULL */
  size_t selection_total;        /* scenarios the filter selected, before --shard */
  size_t shard_k, shard_n;       /* --shard K/N, or 0/0 */
  int64_t started;               /* wall clock (Unix seconds) when the run started */
  double duration_ms;
} mxc_run_result;

/* Whether a failed check at this rule level fails the scenario under the run's level. */
static inline bool mxc_level_counts(mxc_level rule_level, mxc_level run_level) {
  return rule_level != MXC_LEVEL_INFO && rule_level >= run_level;
}

const char *mxc_verdict_name(mxc_verdict v);

/* How a result counts: its verdict read through the baseline. A baselined failure is an
 * expected failure (skipped); a baselined scenario that passes is a stale entry (it fails). */
typedef enum {
  MXC_OUTCOME_PASS,
  MXC_OUTCOME_FAIL,
  MXC_OUTCOME_ERROR,
  MXC_OUTCOME_XFAIL,
  MXC_OUTCOME_STALE,
} mxc_outcome;

mxc_outcome mxc_result_outcome(const mxc_scenario_result *r);
/* The JSON report's word for it: pass, fail, error, expected_failure, stale_baseline. */
const char *mxc_outcome_name(mxc_outcome o);
/* The console's tag: PASS, FAIL, ERROR, XFAIL, STALE. */
const char *mxc_outcome_tag(mxc_outcome o);
/* A run's name in reports: its --agent label, else its client. */
const char *mxc_run_label(const mxc_run_result *run);
void mxc_run_result_cleanup(mxc_run_result *r);

#endif
