/* TAP version 14 reporter: a test point per scenario, YAML diagnostics for those not ok. */
#include "reports/report.h"

#include "common/mxc_error.h"

#include <stdlib.h>
#include <string.h>

/* Appends s on one line: line breaks become spaces; with `description`, '\' and '#' are
 * escaped as TAP 14 asks of a test point's description. */
static int one_line(mxc_buf *b, const char *s, bool description) {
  int rc = 0;
  for (const char *p = s ? s : ""; *p && rc == 0; p++) {
    if (*p == '\n' || *p == '\r')
      rc = mxc_buf_append(b, " ", 1);
    else if (description && (*p == '\\' || *p == '#'))
      rc = mxc_buf_printf(b, "\\%c", *p);
    else
      rc = mxc_buf_append(b, p, 1);
  }
  return rc;
}

/* "  key: "value"\n" with `indent` spaces before the key; nothing when value is NULL. */
static int yaml_str(mxc_buf *b, int indent, const char *key, const char *value) {
  if (!value)
    return 0;
  int rc = mxc_buf_printf(b, "%*s%s: ", indent, "", key);
  if (!rc)
    rc = mxc_json_quote(b, value);
  if (!rc)
    rc = mxc_buf_append(b, "\n", 1);
  return rc;
}

/* The diagnostics of a scenario that is not ok (a TODO one too). */
static int write_yaml(mxc_buf *b, const mxc_scenario_result *r, mxc_level level) {
  const mxc_check_result *first = NULL;
  size_t nfailed = 0;
  for (size_t i = 0; i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    if (c->passed || !mxc_level_counts(c->level, level))
      continue;
    if (!first)
      first = c;
    nfailed++;
  }
  char *message;
  if (r->baseline_stale)
    message = mxc_strdup("baselined as failing, but it passes: remove it from the baseline");
  else if (r->internal_error)
    message = mxc_asprintf("harness error: %s", r->internal_error);
  else if (r->verdict == MXC_VERDICT_ERROR)
    message = mxc_asprintf("client error: %s", r->client.error ? r->client.error : "unknown");
  else
    message = mxc_asprintf("%s broken (%s)", first ? first->rule->id : "a rule", r->sc->title);
  if (!message)
    return MXC_ENOMEM;
  int rc = mxc_buf_printf(b, "  ---\n");
  if (!rc)
    rc = yaml_str(b, 2, "message", message);
  free(message);
  mxc_outcome o = mxc_result_outcome(r);
  const char *severity = o == MXC_OUTCOME_XFAIL   ? "todo"
                         : o == MXC_OUTCOME_ERROR ? "error"
                                                  : "fail"; /* a failure or a stale entry */
  if (!rc)
    rc = mxc_buf_printf(b, "  severity: %s\n  verdict: %s\n", severity,
                        mxc_verdict_name(r->verdict));
  if (!rc)
    rc = yaml_str(b, 2, "file", r->sc->file);
  if (!rc)
    rc = mxc_buf_printf(b, "  seed: \"%llu\"\n", (unsigned long long)r->seed);
  if (!rc)
    rc = yaml_str(b, 2, "baseline", r->baseline_reason);
  if (!rc && nfailed)
    rc = mxc_buf_printf(b, "  failures:\n");
  for (size_t i = 0; !rc && i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    if (c->passed || !mxc_level_counts(c->level, level))
      continue;
    rc = mxc_buf_printf(b, "    - rule: ");
    if (!rc)
      rc = mxc_json_quote(b, c->rule->id);
    if (!rc)
      rc = mxc_buf_printf(b, "\n      level: %s\n      side: %s\n      check: %s\n",
                          mxc_level_name(c->level), mxc_side_name(c->side),
                          mxc_check_def_of(c->kind)->name);
    if (!rc)
      rc = yaml_str(b, 6, "expected", c->expected ? c->expected : "");
    if (!rc)
      rc = yaml_str(b, 6, "seen", c->seen ? c->seen : "");
  }
  if (!rc)
    rc = yaml_str(b, 2, "harness_error", r->internal_error);
  if (!rc)
    rc = yaml_str(b, 2, "client_error", r->client.error);
  if (!rc && r->verdict == MXC_VERDICT_ERROR && !r->internal_error) {
    rc = mxc_buf_printf(b, "  exit_status: %d\n  signal: %d\n  timed_out: %s\n",
                        r->client.exit_status, r->client.term_signal,
                        r->client.timed_out ? "true" : "false");
    if (!rc)
      rc = yaml_str(b, 2, "stderr_tail", r->client.stderr_tail);
  }
  if (!rc)
    rc = mxc_buf_printf(b, "  ...\n");
  return rc;
}

static int write_point(mxc_buf *b, size_t n, const mxc_scenario_result *r, mxc_level level) {
  mxc_outcome o = mxc_result_outcome(r);
  bool ok = o == MXC_OUTCOME_PASS; /* a stale baseline entry is not ok */
  int rc = mxc_buf_printf(b, "%s %zu - ", ok ? "ok" : "not ok", n);
  if (!rc)
    rc = one_line(b, r->sc->id, true);
  if (!rc && o == MXC_OUTCOME_XFAIL) {
    rc = mxc_buf_printf(b, " # TODO ");
    if (!rc)
      rc = one_line(b, r->baseline_reason, false);
  }
  if (!rc)
    rc = mxc_buf_append(b, "\n", 1);
  if (!rc && !ok)
    rc = write_yaml(b, r, level);
  return rc;
}

int mxc_tap_write(const char *path, const mxc_run_result *run) {
  mxc_buf b;
  mxc_buf_init(&b, 256u << 20);
  int rc = mxc_buf_printf(&b, "TAP version 14\n1..%zu%s\n# mxconform: ", run->n,
                          run->n ? "" : " # SKIP no scenario selected");
  if (!rc)
    rc = one_line(&b, run->client_desc, false);
  if (!rc)
    rc = mxc_buf_printf(&b, ", level %s, seed %llu\n", mxc_level_name(run->level),
                        (unsigned long long)run->seed);
  for (size_t i = 0; !rc && i < run->n; i++)
    rc = write_point(&b, i + 1, &run->results[i], run->level);
  if (!rc)
    rc = mxc_buf_printf(&b, "# passed %zu, failed %zu (errors %zu), expected failures %zu\n",
                        run->passed, run->failed, run->errors, run->skipped);
  if (!rc)
    rc = mxc_file_write_atomic(path, b.data, b.len);
  mxc_buf_cleanup(&b);
  return rc;
}
