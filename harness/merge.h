/* mxconform merge: JSON reports of shards put back together, agents side by side. */
#ifndef MXC_MERGE_H
#define MXC_MERGE_H

#include "common/mxc_util.h"
#include "harness/report_read.h"

/* Joins loaded runs: runs of one agent (its --agent label, else its client) are shards or parts
 * of one run and become one run in selection order; different agents stay side by side, in the
 * order first met. The merged runs borrow the inputs' results (free them with mxc_merged_free
 * before the inputs). Returns 0; MXC_EREPORT with *err (malloc'ed) when runs of one agent do not
 * fit together (another seed, level, filter or selection; a scenario twice); or MXC_ENOMEM.
 * A run missing part of its selection is marked incomplete and *notes says which part. */
int mxc_merge_runs(mxc_loaded_run *const *in, size_t nin, mxc_run_result **out, size_t *nout,
                   mxc_buf *notes, char **err);
void mxc_merged_free(mxc_run_result *runs, size_t n);

/* The `merge` command (argv[1] is "merge"). Returns the process exit status. */
int mxc_merge_main(int argc, char **argv);

#endif
