/* Baselines for CI gates: scenarios expected to fail, each with a reason. An expected failure
 * does not fail the gate; a baselined scenario that passes is stale and does. */
#ifndef MXC_BASELINE_H
#define MXC_BASELINE_H

#include "harness/result.h"
#include "harness/scenario.h"

typedef struct mxc_baseline_entry {
  char *id;
  char *reason;
} mxc_baseline_entry;

typedef struct mxc_baseline {
  mxc_baseline_entry *items;
  size_t n;
} mxc_baseline;

/* Reads "SCENARIO-ID reason..." lines ('#' starts a comment). Every ID must name a scenario of
 * cat and carry a reason. On error returns MXC_ESCENARIO with "FILE:LINE: problem" in *err. */
int mxc_baseline_load(const char *path, const mxc_catalog *cat, mxc_baseline *out, char **err);
void mxc_baseline_cleanup(mxc_baseline *b);
/* Marks a result baselined (expected to fail), and stale when it passed anyway. NULL-safe. */
void mxc_baseline_mark(const mxc_baseline *b, mxc_scenario_result *r);

#endif
