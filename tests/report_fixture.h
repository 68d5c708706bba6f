/* A run result built by hand for the reporter tests: five scenarios of a made-up catalog, one
 * of each outcome (pass, fail, client error, expected failure, stale baseline entry), fixed
 * times and seeds, a client report that once echoed the password (redacted), and a transcript. */
#ifndef MXC_TEST_REPORT_FIXTURE_H
#define MXC_TEST_REPORT_FIXTURE_H

#include "harness/result.h"

/* The scenarios' password: no report may contain it. */
#define MXC_FIXTURE_SECRET "Sup3r-Secret-PW"

/* The run (its results are static: one run at a time); free with mxc_fixture_run_free. */
mxc_run_result mxc_fixture_run(void);
void mxc_fixture_run_free(mxc_run_result *run);

#endif
