/* JUnit XML reporter: a testsuite per rule group, a testcase per scenario. */
#include "reports/report.h"

#include "common/mxc_error.h"

#include <string.h>
#include <time.h>
#include <stdbool.h>
#include <stdlib.h>

static int attr(mxc_buf *b, const char *name, const char *value) {
  int rc = mxc_buf_printf(b, " %s=\"", name);
  if (!rc)
    rc = mxc_xml_escape(b, value);
  if (!rc)
    rc = mxc_buf_append(b, "\"", 1);
  return rc;
}

typedef enum { OUT_PASS, OUT_FAILURE, OUT_ERROR, OUT_SKIPPED } outcome;

/* How a result shows in JUnit: a baselined failure is skipped, a stale baseline entry fails. */
static outcome outcome_of(const mxc_scenario_result *r) {
  switch (mxc_result_outcome(r)) {
  case MXC_OUTCOME_PASS: return OUT_PASS;
  case MXC_OUTCOME_ERROR: return OUT_ERROR;
  case MXC_OUTCOME_XFAIL: return OUT_SKIPPED;
  default: return OUT_FAILURE; /* a failure, or a stale baseline entry */
  }
}

static const char *group_of(const mxc_scenario_result *r) {
  return r->sc->nrules ? r->sc->rules[0]->group : "OTHER";
}

/* The run's name in suite and class names when several runs share the file, else NULL. */
static const char *label_of(const mxc_run_result *run, size_t nruns) {
  return nruns < 2 ? NULL : mxc_run_label(run);
}

static int write_case(mxc_buf *b, const mxc_scenario_result *r, mxc_level level,
                      const char *label) {
  int rc = mxc_buf_printf(b, "    <testcase");
  char *classname = label ? mxc_asprintf("mxconform.%s.%s", label, group_of(r))
                          : mxc_asprintf("mxconform.%s", group_of(r));
  if (!classname)
    return MXC_ENOMEM;
  if (!rc)
    rc = attr(b, "classname", classname);
  free(classname);
  if (!rc)
    rc = attr(b, "name", r->sc->id);
  if (!rc)
    rc = attr(b, "file", r->sc->file);
  if (!rc)
    rc = mxc_buf_printf(b, " time=\"%.3f\">\n", r->duration_ms / 1000.0);
  if (rc)
    return rc;
  outcome o = outcome_of(r);
  if (o == OUT_SKIPPED) {
    char msg[300];
    snprintf(msg, sizeof msg, "expected failure (baseline): %s", r->baseline_reason);
    rc = mxc_buf_printf(b, "      <skipped");
    if (!rc)
      rc = attr(b, "message", msg);
    if (!rc)
      rc = mxc_buf_printf(b, "/>\n");
  } else if (r->baseline_stale) {
    rc = mxc_buf_printf(b, "      <failure type=\"baseline\"");
    if (!rc)
      rc = attr(b, "message", "baselined as failing, but it passes: remove it from the baseline");
    if (!rc)
      rc = mxc_buf_printf(b, "/>\n");
  } else if (o == OUT_ERROR) {
    const char *why = r->internal_error ? r->internal_error : r->client.error;
    rc = mxc_buf_printf(b, "      <error");
    if (!rc)
      rc = attr(b, "message", why ? why : "error");
    if (!rc)
      rc = attr(b, "type", r->internal_error ? "harness" : "client");
    if (!rc)
      rc = mxc_buf_printf(b, "/>\n");
  }
  mxc_buf details;
  mxc_buf_init(&details, 1u << 20);
  const char *first = NULL;
  for (size_t i = 0; !rc && i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    if (c->passed || !mxc_level_counts(c->level, level))
      continue;
    if (!first)
      first = c->rule->id;
    rc = mxc_buf_printf(&details, "%s %s [%s] %s\n  expected: %s\n  seen:     %s\n", c->rule->id,
                        mxc_level_name(c->level), mxc_side_name(c->side),
                        mxc_check_def_of(c->kind)->name, c->expected, c->seen);
  }
  if (!rc && o == OUT_FAILURE && !r->baseline_stale) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s broken (%s)", first ? first : "a rule", r->sc->title);
    rc = mxc_buf_printf(b, "      <failure");
    if (!rc)
      rc = attr(b, "message", msg);
    if (!rc)
      rc = attr(b, "type", "conformance");
    if (!rc)
      rc = mxc_buf_append(b, ">", 1);
    if (!rc)
      rc = mxc_xml_escape(b, details.data);
    if (!rc)
      rc = mxc_buf_printf(b, "</failure>\n");
  }
  mxc_buf_cleanup(&details);
  /* system-out: the client's report and the wire, so a reader sees both sides */
  mxc_buf out;
  mxc_buf_init(&out, 4u << 20);
  char *report = r->client.report ? cJSON_PrintUnformatted(r->client.report) : NULL;
  if (!rc)
    rc = mxc_buf_printf(&out, "client report: %s\nwire:\n", report ? report : "(none)");
  free(report);
  if (!rc)
    rc = mxc_transcript_lines(&out, r->transcript, "  ");
  if (!rc)
    rc = mxc_buf_printf(b, "      <system-out>");
  if (!rc)
    rc = mxc_xml_escape(b, out.data);
  if (!rc)
    rc = mxc_buf_printf(b, "</system-out>\n");
  mxc_buf_cleanup(&out);
  if (!rc && r->client.stderr_tail) {
    rc = mxc_buf_printf(b, "      <system-err>");
    if (!rc)
      rc = mxc_xml_escape(b, r->client.stderr_tail);
    if (!rc)
      rc = mxc_buf_printf(b, "</system-err>\n");
  }
  if (!rc)
    rc = mxc_buf_printf(b, "    </testcase>\n");
  return rc;
}

/* The suites of one run: one per rule group, groups in the order they first appear. */
static int write_run(mxc_buf *b, const mxc_run_result *run, const char *label, const char *stamp) {
  int rc = 0;
  bool *done = calloc(run->n ? run->n : 1, sizeof *done);
  if (!done)
    rc = MXC_ENOMEM;
  for (size_t i = 0; !rc && i < run->n; i++) {
    if (done[i])
      continue;
    const char *group = group_of(&run->results[i]);
    size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time_ms = 0;
    for (size_t j = i; j < run->n; j++) {
      if (strcmp(group_of(&run->results[j]), group) != 0)
        continue;
      tests++;
      outcome o = outcome_of(&run->results[j]);
      failures += o == OUT_FAILURE;
      errors += o == OUT_ERROR;
      skipped += o == OUT_SKIPPED;
      time_ms += run->results[j].duration_ms;
    }
    char *name = label ? mxc_asprintf("%s/%s", label, group) : mxc_asprintf("%s", group);
    rc = name ? mxc_buf_printf(b, "  <testsuite") : MXC_ENOMEM;
    if (!rc)
      rc = attr(b, "name", name);
    free(name);
    if (!rc)
      rc = mxc_buf_printf(b,
                          " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                          "time=\"%.3f\" timestamp=\"%s\">\n    <properties>\n",
                          tests, failures, errors, skipped, time_ms / 1000.0, stamp);
    if (!rc && run->agent) {
      rc = mxc_buf_printf(b, "      <property name=\"agent\"");
      if (!rc)
        rc = attr(b, "value", run->agent);
      if (!rc)
        rc = mxc_buf_printf(b, "/>\n");
    }
    if (!rc)
      rc = mxc_buf_printf(b, "      <property name=\"client\"");
    if (!rc)
      rc = attr(b, "value", run->client_desc);
    if (!rc)
      rc = mxc_buf_printf(b,
                          "/>\n      <property name=\"level\" value=\"%s\"/>\n"
                          "      <property name=\"mxconform.version\" value=\"%s\"/>\n"
                          "      <property name=\"seed\" value=\"%llu\"/>\n"
                          "    </properties>\n",
                          mxc_level_name(run->level), MXC_VERSION, (unsigned long long)run->seed);
    for (size_t j = i; !rc && j < run->n; j++) {
      if (strcmp(group_of(&run->results[j]), group) != 0)
        continue;
      done[j] = true;
      rc = write_case(b, &run->results[j], run->level, label);
    }
    if (!rc)
      rc = mxc_buf_printf(b, "  </testsuite>\n");
  }
  free(done);
  if (!rc && run->incomplete) { /* a CI reading this file must not see a green run */
    char *name = label ? mxc_asprintf("%s/mxconform.run", label) : mxc_asprintf("mxconform.run");
    rc = name ? mxc_buf_printf(b, "  <testsuite") : MXC_ENOMEM;
    if (!rc)
      rc = attr(b, "name", name);
    if (!rc)
      rc = mxc_buf_printf(b, " tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n"
                             "    <testcase");
    if (!rc)
      rc = attr(b, "classname", name);
    if (!rc)
      rc = mxc_buf_printf(b,
                          " name=\"complete\" time=\"0\">\n"
                          "      <error type=\"interrupted\" message=\"the run is incomplete: %zu "
                          "of %zu selected scenarios ran\"/>\n"
                          "    </testcase>\n  </testsuite>\n",
                          run->n, run->selected);
    free(name);
  }
  return rc;
}

int mxc_junit_write(const char *path, const mxc_run_result *const *runs, size_t nruns) {
  mxc_buf b;
  mxc_buf_init(&b, 256u << 20);
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double ms = 0;
  for (size_t i = 0; i < nruns; i++) {
    const mxc_run_result *run = runs[i];
    tests += run->n + (run->incomplete ? 1 : 0);
    failures += run->failed - run->errors;
    errors += run->errors + (run->incomplete ? 1 : 0);
    skipped += run->skipped;
    ms += run->duration_ms;
  }
  int rc =
      mxc_buf_printf(&b,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mxconform\" "
                     "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                     "time=\"%.3f\">\n",
                     tests, failures, errors, skipped, ms / 1000.0);
  for (size_t i = 0; !rc && i < nruns; i++)
    rc = write_run(&b, runs[i], label_of(runs[i], nruns), stamp);
  if (!rc)
    rc = mxc_buf_printf(&b, "</testsuites>\n");
  if (!rc)
    rc = mxc_file_write_atomic(path, b.data, b.len);
  mxc_buf_cleanup(&b);
  return rc;
}
