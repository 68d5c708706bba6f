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

/* Writes text that may come from a client: bytes that are not UTF-8 become U+FFFD, control
 * characters (C0, DEL and C1: a client must not drive the terminal) are written as \\xNN or
 * \\u00NN, and a line break continues under `indent`, inside the scenario's block. */
static void put_text(FILE *out, const char *s, const char *indent) {
  mxc_buf b;
  mxc_buf_init(&b, 16u << 20);
  if (mxc_utf8_sanitize(&b, s ? s : "(none)") != 0) {
    fputs("(unprintable)", out);
    mxc_buf_cleanup(&b);
    return;
  }
  for (const unsigned char *p = (const unsigned char *)b.data; *p; p++) {
    if (*p == '\n') {
      if (p[1])
        fprintf(out, "\n%s", indent);
    } else if (*p == '\t') {
      fputc('\t', out);
    } else if (*p < 0x20 || *p == 0x7f) {
      fprintf(out, "\\x%02x", *p);
    } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
      fprintf(out, "\\u%04x", p[1]);
      p++;
    } else {
      fputc(*p, out);
    }
  }
  mxc_buf_cleanup(&b);
}

void mxc_console_scenario(FILE *out, const mxc_scenario_result *r, mxc_level level) {
  mxc_outcome o = mxc_result_outcome(r);
  const char *on = "", *off = "";
  if (use_colour(out)) {
    on = o == MXC_OUTCOME_XFAIL ? "\033[33m" : o == MXC_OUTCOME_PASS ? "\033[32m" : "\033[1;31m";
    off = "\033[0m";
  }
  if (isatty(fileno(stderr)) && isatty(fileno(out)))
    fputs("\r\033[K", out); /* over the progress line */
  fprintf(out, "%s%-5s%s %s  (%.0f ms)\n", on, mxc_outcome_tag(o), off, r->sc->id, r->duration_ms);
  if (r->baseline_stale)
    fprintf(out, "      baselined (%s) but it passes: remove it from the baseline\n",
            r->baseline_reason);
  else if (r->baseline_reason)
    fprintf(out, "      expected failure (baseline): %s\n", r->baseline_reason);
  if (r->internal_error) {
    fputs("      harness error: ", out);
    put_text(out, r->internal_error, "        ");
    fputc('\n', out);
  }
  if (r->client.error) {
    fputs("      client error: ", out);
    put_text(out, r->client.error, "        ");
    fputc('\n', out);
  }
  for (size_t i = 0; i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    if (c->passed)
      continue;
    const char *note = mxc_level_counts(c->level, level) ? "" : " (not failing at this level)";
    fprintf(out, "      %s %s [%s] %s%s\n", c->rule->id, mxc_level_name(c->level),
            mxc_side_name(c->side), mxc_check_def_of(c->kind)->name, note);
    fputs("        expected: ", out);
    put_text(out, c->expected, "                  ");
    fputs("\n        seen:     ", out);
    put_text(out, c->seen, "                  ");
    fputc('\n', out);
  }
  if (r->verdict != MXC_VERDICT_PASS && r->client.stderr_tail && *r->client.stderr_tail) {
    const char *tail = r->client.stderr_tail;
    size_t len = strlen(tail);
    if (len > 400)
      tail += len - 400;
    fputs("      client stderr (tail):\n        ", out);
    put_text(out, tail, "        ");
    fputc('\n', out);
  }
  fflush(out);
}

/* At most `max` bytes of s (client text made printable as by put_text, on one line), cut at a
 * character boundary with "..." when longer. */
static void put_short(FILE *out, const char *s, size_t max) {
  char *line = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&line, &len);
  if (!mem)
    return;
  put_text(mem, s, " ");
  fclose(mem);
  for (char *p = line; p && *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  if (line && len > max) {
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)line[cut] & 0xC0) == 0x80)
      cut--; /* not inside a UTF-8 sequence */
    memcpy(line + cut, "...", 4);
  }
  fputs(line ? line : "", out);
  free(line);
}

/* The table of what failed, after the run: a line per scenario that failed or erred and per
 * failed check that counts, with rule, level, expected and seen. */
static void failures_table(FILE *out, const mxc_run_result *run) {
  bool header = false;
  for (size_t i = 0; i < run->n; i++) {
    const mxc_scenario_result *r = &run->results[i];
    mxc_outcome o = mxc_result_outcome(r);
    if (o == MXC_OUTCOME_PASS || o == MXC_OUTCOME_XFAIL)
      continue;
    if (!header)
      fputs("\nFailures (rule, level, expected / seen):\n", out);
    header = true;
    fprintf(out, "  %-5s %s\n", mxc_outcome_tag(o), r->sc->id);
    if (r->baseline_stale)
      fputs("        baselined, but it passes: remove it from the baseline\n", out);
    const char *why = r->internal_error ? r->internal_error : r->client.error;
    if (why) {
      fputs(r->internal_error ? "        harness error: " : "        client error: ", out);
      put_short(out, why, 100);
      fputc('\n', out);
    }
    for (size_t j = 0; j < r->nchecks; j++) {
      const mxc_check_result *c = &r->checks[j];
      if (c->passed || !mxc_level_counts(c->level, run->level))
        continue;
      fprintf(out, "        %-8s %-6s ", c->rule->id, mxc_level_name(c->level));
      put_short(out, c->expected, 60);
      fputs(" / ", out);
      put_short(out, c->seen, 60);
      fputc('\n', out);
    }
  }
}

void mxc_console_summary(FILE *out, const mxc_run_result *run) {
  failures_table(out, run);
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
