/* Console reporter: a block per scenario, and the closing "N passed, N failed" line. */
#include "reports/report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Colour on a terminal unless NO_COLOR is set (https://no-color.org); plain in files and CI. */
static bool use_colour(FILE *out) {
  const char *no = getenv("NO_COLOR");
  return isatty(fileno(out)) && !(no && *no);
}

void mxc_console_progress(FILE *err, size_t done, size_t total, size_t failed, double elapsed_ms) {
  if (!isatty(fileno(err)))
    return; /* line-oriented output stays clean in CI logs */
  fprintf(err, "\r%zu/%zu done, %zu failed, %.1f s ", done, total, failed, elapsed_ms / 1000.0);
  if (done == total)
    fputs("\r\033[K", err);
  fflush(err);
}

void mxc_console_scenario(FILE *out, const mxc_scenario_result *r, mxc_level level) {
  const char *tag = r->baseline_stale    ? "STALE"
                    : r->baseline_reason ? "XFAIL"
                                         : mxc_verdict_name(r->verdict);
  const char *on = "", *off = "";
  if (use_colour(out)) {
    on = r->baseline_reason && !r->baseline_stale               ? "\033[33m"
         : r->verdict == MXC_VERDICT_PASS && !r->baseline_stale ? "\033[32m"
                                                                : "\033[1;31m";
    off = "\033[0m";
  }
  if (isatty(fileno(stderr)) && isatty(fileno(out)))
    fputs("\r\033[K", out); /* over the progress line */
  fprintf(out, "%s%-5s%s %s  (%.0f ms)\n", on, tag, off, r->sc->id, r->duration_ms);
  if (r->baseline_stale)
    fprintf(out, "      baselined (%s) but it passes: remove it from the baseline\n",
            r->baseline_reason);
  else if (r->baseline_reason)
    fprintf(out, "      expected failure (baseline): %s\n", r->baseline_reason);
  if (r->internal_error)
    fprintf(out, "      harness error: %s\n", r->internal_error);
  if (r->client.error)
    fprintf(out, "      client error: %s\n", r->client.error);
  for (size_t i = 0; i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    if (c->passed)
      continue;
    const char *note = mxc_level_counts(c->level, level) ? "" : " (not failing at this level)";
    fprintf(out, "      %s %s [%s] %s%s\n", c->rule->id, mxc_level_name(c->level),
            mxc_side_name(c->side), mxc_check_def_of(c->kind)->name, note);
    fprintf(out, "        expected: %s\n", c->expected);
    fprintf(out, "        seen:     %s\n", c->seen);
  }
  if (r->verdict != MXC_VERDICT_PASS && r->client.stderr_tail && *r->client.stderr_tail) {
    const char *tail = r->client.stderr_tail;
    size_t len = strlen(tail);
    if (len > 400)
      tail += len - 400;
    fprintf(out, "      client stderr (tail): %s%s", tail,
            tail[strlen(tail) - 1] == '\n' ? "" : "\n");
  }
  fflush(out);
}

void mxc_console_summary(FILE *out, const mxc_run_result *run) {
  fprintf(out, "\n%zu scenario(s) against %s, level %s, seed %llu, %.1f s", run->n,
          run->client_desc, mxc_level_name(run->level), (unsigned long long)run->seed,
          run->duration_ms / 1000.0);
  if (run->errors)
    fprintf(out, "; %zu client error(s)", run->errors);
  fputc('\n', out);
  if (run->incomplete)
    fprintf(out, "INTERRUPTED: %zu of %zu selected scenarios ran; this run is incomplete\n", run->n,
            run->selected);
  if (run->skipped)
    fprintf(out, "%zu passed, %zu failed, %zu skipped\n", run->passed, run->failed, run->skipped);
  else
    fprintf(out, "%zu passed, %zu failed\n", run->passed, run->failed);
  fflush(out);
}
