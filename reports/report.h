/* Reporters: each turns a run result into one format, knowing nothing of how it was made. */
#ifndef MXC_REPORT_H
#define MXC_REPORT_H

#include "common/mxc_util.h"
#include "harness/result.h"

#include <stdio.h>

/* Console: a block per scenario as it finishes, then the summary ending "N passed, N failed". */
void mxc_console_scenario(FILE *out, const mxc_scenario_result *r, mxc_level level);
void mxc_console_summary(FILE *out, const mxc_run_result *run);
/* A live "done/total, failures, elapsed" line on a terminal (nothing when err is not one). */
void mxc_console_progress(FILE *err, size_t done, size_t total, size_t failed, double elapsed_ms);

/* The multi-run reporters take runs side by side (mxconform merge: one per agent); a plain run
 * is a list of one. */

/* JUnit XML, written to a temporary name and renamed: a testsuite per rule group (per agent and
 * rule group when there are several runs). Returns 0 or a negative code. */
int mxc_junit_write(const char *path, const mxc_run_result *const *runs, size_t nruns);

/* TAP version 14: a test point per scenario in run order ("ok N - ID"; a baselined expected
 * failure is "not ok N - ID # TODO reason"), with a YAML diagnostics block for every scenario
 * that is not ok. Written to a temporary name and renamed. Returns 0 or a negative code. */
int mxc_tap_write(const char *path, const mxc_run_result *run);

/* The whole run as JSON, as described by docs/report-schema.json ("schema": "mxconform-report",
 * "version": 2); several runs as {"schema": "mxconform-merge", "version": 2, "runs": [...]}.
 * Written to a temporary name and renamed. Returns 0 or a negative code. */
int mxc_json_write(const char *path, const mxc_run_result *const *runs, size_t nruns);
#define MXC_JSON_REPORT_VERSION 2

/* One self-contained HTML page (no external assets): summary, the agent x scenario matrix, a
 * section per scenario and run with its checks, the wire transcript as a readable sequence and
 * an inline SVG timing chart. Written to a temporary name and renamed. 0 or a negative code. */
int mxc_html_write(const char *path, const mxc_run_result *const *runs, size_t nruns);

/* Where a command writes its reports (NULL: not asked for). */
typedef struct mxc_report_paths {
  const char *junit, *tap, *json, *html;
} mxc_report_paths;

/* Writes every report asked for, each whole or not at all, and says "KIND report: PATH" on out
 * for each one written; a failure is reported on stderr. Returns 0 or the first failure's code.
 * TAP takes one run only. */
int mxc_reports_write(const mxc_report_paths *p, const mxc_run_result *const *runs, size_t nruns,
                      FILE *out);

/* Shared escaping: XML text/attribute escaping that also drops characters XML 1.0 forbids. */
int mxc_xml_escape(mxc_buf *out, const char *s);

/* Appends s as a double-quoted JSON string, which is also a YAML double-quoted scalar: control
 * characters escaped, bytes that are not UTF-8 replaced by U+FFFD; NULL appends null. */
int mxc_json_quote(mxc_buf *out, const char *s);

/* Appends the string s with every byte that is not part of valid UTF-8 replaced by U+FFFD. */
int mxc_utf8_sanitize(mxc_buf *out, const char *s);

/* A compact, readable line per transcript exchange ("#3 c2 POST /xas/ login -> 401 ..."). */
int mxc_transcript_lines(mxc_buf *out, const cJSON *transcript, const char *indent);

#endif
