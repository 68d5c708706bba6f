/* JSON reports read back into the run result model (docs/report-schema.json), so that merged
 * runs reach every reporter as the original runs did. */
#ifndef MXC_REPORT_READ_H
#define MXC_REPORT_READ_H

#include "harness/result.h"

#define MXC_REPORT_MAX_FILE (512u * 1024u * 1024u)

/* A run read from a report file. It owns everything its results point to: the scenarios (only
 * id, title, description, file and rules are filled), the rules the report cites (as the report
 * states them, so a report from another catalog reads back as written), and every string. */
typedef struct mxc_loaded_run {
  mxc_run_result run;
  char *source;            /* the file it came from */
  char *version;           /* mxconform_version of the writer */
  mxc_scenario *scenarios; /* parallel to run.results */
  size_t nscenarios;
  mxc_rule *rules;
  size_t nrules;
  char **strings; /* owned strings the model borrows (agent, client, reasons, rule texts) */
  size_t nstrings, capstrings;
} mxc_loaded_run;

/* Reads a JSON report: one run ("mxconform-report") or agents side by side ("mxconform-merge").
 * Appends each run to *runs (grown with realloc; *n counts them). Returns 0, or MXC_EREPORT with
 * *err = "FILE:LINE:COL: invalid JSON" or "FILE: $.json.path: what is wrong" (malloc'ed), or
 * another negative code with *err saying why. Totals are recounted from the scenarios. */
int mxc_report_read(const char *path, mxc_loaded_run ***runs, size_t *n, char **err);
void mxc_loaded_run_free(mxc_loaded_run *r);

#endif
