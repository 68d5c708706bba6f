/* HTML reporter: one self-contained page, runs side by side (summary, agent x scenario matrix,
 * a section per scenario and run); the wire part is in html_wire.c. */
#include "reports/html_page.h"
#include "reports/report.h"

#include "common/mxc_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the page writer ---- */

void mxc__html_put(mxc__html *h, const char *fmt, ...) {
  if (h->rc)
    return;
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    h->rc = MXC_EINVAL;
  } else if ((size_t)n < sizeof small) {
    h->rc = mxc_buf_append(&h->b, small, (size_t)n);
  } else {
    char *big = malloc((size_t)n + 1);
    if (!big) {
      h->rc = MXC_ENOMEM;
      return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    h->rc = mxc_buf_append(&h->b, big, (size_t)n);
    free(big);
  }
}

void mxc__html_text(mxc__html *h, const char *s) {
  if (!h->rc)
    h->rc = mxc_xml_escape(&h->b, s ? s : ""); /* escapes quotes too: safe in attributes */
}

const char *mxc__jstr(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

double mxc__jnum(const cJSON *o, const char *k, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* ---- outcomes: one table, a class, a colour and a symbol each ---- */

/* mxc_outcome, and a run that has no result for the scenario */
typedef enum {
  O_PASS = MXC_OUTCOME_PASS,
  O_FAIL = MXC_OUTCOME_FAIL,
  O_ERROR = MXC_OUTCOME_ERROR,
  O_XFAIL = MXC_OUTCOME_XFAIL,
  O_STALE = MXC_OUTCOME_STALE,
  O_NOTRUN
} outcome;

static const struct {
  const char *cls, *symbol, *text, *colour;
} OUTCOMES[] = {
    [O_PASS] = {"pass", "&#x2713;", "pass", "#b8e0b8"},
    [O_FAIL] = {"fail", "&#x2717;", "fail", "#f5a3a3"},
    [O_ERROR] = {"error", "!", "error", "#f2c46d"},
    [O_XFAIL] = {"xfail", "~", "expected failure", "#c6c0ea"},
    [O_STALE] = {"stale", "&#x21bb;", "stale baseline", "#e9a3d6"},
    [O_NOTRUN] = {"notrun", "&#x2013;", "not run", "#e3e3e3"},
};

/* How a result counts (mxc_result_outcome); NULL: the run has none. */
static outcome outcome_of(const mxc_scenario_result *r) {
  return r ? (outcome)mxc_result_outcome(r) : O_NOTRUN;
}

static void badge(mxc__html *h, outcome o) {
  mxc__html_put(h, "<span class=\"badge %s\">%s %s</span>", OUTCOMES[o].cls, OUTCOMES[o].symbol,
                OUTCOMES[o].text);
}

/* A run's state as a word and a class: nothing incomplete or failing ever shows green. */
static const char *run_state(const mxc_run_result *run, const char **cls) {
  if (run->incomplete)
    return *cls = "bad", "INCOMPLETE";
  if (run->failed || run->errors)
    return *cls = "bad", "FAILED";
  if (run->n == 0)
    return *cls = "none", "NO RESULTS";
  return *cls = "good", "PASSED";
}

/* ---- rows of the matrix: the union of the runs' scenarios ---- */

typedef struct row {
  const mxc_scenario *sc;
  size_t position, first;
  const mxc_scenario_result **cells; /* one per run, NULL when that run has none */
} row;

static int row_cmp(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->position != y->position)
    return x->position < y->position ? -1 : 1;
  return x->first < y->first ? -1 : x->first > y->first;
}

typedef struct matrix {
  row *rows;
  size_t n;
  const mxc_scenario_result **cells; /* n x nruns, rows point into it */
} matrix;

/* Builds the rows, scenarios in order of position, then of first appearance. */
static int matrix_build(const mxc_run_result *const *runs, size_t nruns, matrix *m) {
  size_t total = 0;
  for (size_t k = 0; k < nruns; k++)
    total += runs[k]->n;
  m->rows = calloc(total ? total : 1, sizeof *m->rows);
  m->cells = calloc(total * nruns + 1, sizeof *m->cells);
  if (!m->rows || !m->cells)
    return MXC_ENOMEM;
  for (size_t k = 0; k < nruns; k++) {
    for (size_t i = 0; i < runs[k]->n; i++) {
      const mxc_scenario_result *r = &runs[k]->results[i];
      size_t j = 0;
      while (j < m->n && strcmp(m->rows[j].sc->id, r->sc->id) != 0)
        j++;
      if (j == m->n) {
        m->rows[j] =
            (row){.sc = r->sc, .position = r->position, .first = j, .cells = m->cells + j * nruns};
        m->n++;
      }
      if (!m->rows[j].cells[k])
        m->rows[j].cells[k] = r;
      if (r->position < m->rows[j].position)
        m->rows[j].position = r->position;
    }
  }
  qsort(m->rows, m->n, sizeof *m->rows, row_cmp);
  return 0;
}

/* Whether every run has a passing result for the row (hidden by "show failures only"). */
static bool row_green(const row *rw, size_t nruns) {
  for (size_t k = 0; k < nruns; k++)
    if (outcome_of(rw->cells[k]) != O_PASS)
      return false;
  return true;
}

/* ---- the page ---- */

static const char CSS[] =
    "body{font:14px/1.45 'DejaVu Sans',sans-serif;margin:16px 24px;color:#1b1b1b;"
    "background:#fff}\n"
    "h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 6px;border-bottom:2px "
    "solid #ccc}h3{font-size:15px;margin:16px 0 6px}h4{font-size:14px;margin:10px 0 4px}\n"
    "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;"
    "vertical-align:top}\n"
    "pre{tab-size:2;background:#f6f6f6;border:1px solid #ddd;padding:6px;white-space:pre-wrap;"
    "word-break:break-all;max-height:360px;overflow:auto;margin:4px 0}\n"
    ".runs{display:flex;flex-wrap:wrap;gap:12px}.run-card{border:3px solid #999;padding:8px;"
    "min-width:300px;max-width:600px}\n"
    ".run-card.good{border-color:#2e7d32}.run-card.bad{border-color:#b71c1c}"
    ".run-card th{font-weight:normal;color:#555}\n"
    ".state{display:inline-block;padding:1px 8px;color:#fff;font-weight:bold;background:#666}\n"
    ".state.good{background:#2e7d32}.state.bad{background:#b71c1c}\n"
    ".banner{background:#b71c1c;color:#fff;font-weight:bold;padding:6px 10px;margin:6px 0}\n"
    "#matrix td.cell{padding:0;text-align:center;min-width:150px}#matrix td.cell a{display:block;"
    "padding:6px 10px;color:#111;text-decoration:none}\n"
    "#matrix th.runh{text-align:center}.muted{color:#666}.badge{padding:1px 6px;"
    "white-space:nowrap}\n"
    ".result{border-left:6px solid #999;padding:2px 0 6px 12px;margin:10px 0}\n"
    ".checks tr.bad td{background:#fde0e0;font-weight:bold}.checks tr.minor td{color:#7a5a00}\n"
    ".wire{list-style:none;padding:0;font:12px/1.4 'DejaVu Sans Mono',monospace}"
    ".wire li{border-bottom:1px dotted #ccc;padding:2px 0}.wire .t{display:inline-block;"
    "min-width:90px;color:#555}.wire .dir{margin-left:94px}.wire .flt{color:#b71c1c}\n"
    "svg.chart{border:1px solid #ddd;background:#fcfcfc}\n";

static void write_css(mxc__html *h) {
  mxc__html_put(h, "<style>\n%s", CSS);
  for (size_t o = 0; o < sizeof OUTCOMES / sizeof OUTCOMES[0]; o++) {
    mxc__html_put(h, "td.cell.%s,.badge.%s{background:%s}.result.%s{border-left-color:%s}\n",
                  OUTCOMES[o].cls, OUTCOMES[o].cls, OUTCOMES[o].colour, OUTCOMES[o].cls,
                  OUTCOMES[o].colour);
  }
  mxc__html_put(h, "</style>\n");
}

/* Records script errors, hides passing rows on demand, then says the page is ready. */
static const char SCRIPT[] =
    "<script>\n"
    "window.onerror=function(){var d=document.documentElement.dataset;"
    "d.scriptErrors=String((+d.scriptErrors||0)+1);};\n"
    "(function(){var box=document.getElementById('only-failures');\n"
    "function apply(){document.querySelectorAll('[data-green]').forEach(function(e){"
    "e.hidden=box.checked;});}\n"
    "box.addEventListener('change',apply);apply();})();\n"
    "document.documentElement.dataset.ready=\"1\";\n"
    "</script>\n";

static void kv(mxc__html *h, const char *key, const char *value) {
  mxc__html_put(h, "<tr><th>%s</th><td>", key);
  mxc__html_text(h, value);
  mxc__html_put(h, "</td></tr>");
}

static void write_run_card(mxc__html *h, const mxc_run_result *run, size_t k) {
  const char *cls, *state = run_state(run, &cls);
  mxc__html_put(h, "<div class=\"run-card %s\" id=\"run-%zu\"><h3>", cls, k);
  mxc__html_text(h, mxc_run_label(run));
  mxc__html_put(h, " <span class=\"state %s\">%s</span></h3>\n", cls, state);
  if (run->incomplete) {
    mxc__html_put(h,
                  "<div class=\"banner\">INCOMPLETE: results for %zu of %zu selected "
                  "scenarios",
                  run->n, run->selected > run->n ? run->selected : run->n);
    if (run->selection_total > run->selected)
      mxc__html_put(h, " (%zu before sharding)", run->selection_total);
    mxc__html_put(h, "; the run was interrupted or shards are missing</div>\n");
  }
  mxc__html_put(h, "<table class=\"kv\">");
  kv(h, "client", run->client_desc);
  kv(h, "level", mxc_level_name(run->level));
  char s[64];
  snprintf(s, sizeof s, "%llu", (unsigned long long)run->seed);
  kv(h, "seed", s);
  kv(h, "mxconform", MXC_VERSION);
  if (run->started > 0) {
    time_t t = (time_t)run->started;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S UTC", &tm);
  } else {
    snprintf(s, sizeof s, "unknown");
  }
  kv(h, "started", s);
  snprintf(s, sizeof s, "%.2f s", run->duration_ms / 1000.0);
  kv(h, "duration", s);
  if (run->filter)
    kv(h, "filter", run->filter);
  if (run->shard_n) {
    snprintf(s, sizeof s, "%zu/%zu", run->shard_k, run->shard_n);
    kv(h, "shard", s);
  }
  mxc__html_put(h,
                "<tr><th>totals</th><td class=\"totals\">%zu scenarios: %zu passed, %zu failed "
                "(%zu errors), %zu expected failures</td></tr></table></div>\n",
                run->n, run->passed, run->failed, run->errors, run->skipped);
}

static void write_matrix(mxc__html *h, const mxc_run_result *const *runs, size_t nruns,
                         const row *rows, size_t nrows) {
  mxc__html_put(h, "<section id=\"overview\"><h2>Agent &#xd7; scenario</h2>\n<p>"
                   "<label><input type=\"checkbox\" id=\"only-failures\"> show failures only"
                   "</label> &#xb7; ");
  for (size_t o = 0; o < sizeof OUTCOMES / sizeof OUTCOMES[0]; o++)
    badge(h, (outcome)o);
  mxc__html_put(h, "</p>\n<table id=\"matrix\"><thead><tr><th>scenario</th>");
  for (size_t k = 0; k < nruns; k++) {
    const char *cls, *state = run_state(runs[k], &cls);
    mxc__html_put(h, "<th class=\"runh\"><a href=\"#run-%zu\">", k);
    mxc__html_text(h, mxc_run_label(runs[k]));
    mxc__html_put(h, "</a><br><span class=\"state %s\">%s</span></th>", cls, state);
  }
  mxc__html_put(h, "</tr></thead>\n<tbody>\n");
  for (size_t j = 0; j < nrows; j++) {
    mxc__html_put(h, "<tr%s><th scope=\"row\"><a href=\"#sc-%zu\">",
                  row_green(&rows[j], nruns) ? " data-green=\"1\"" : "", j);
    mxc__html_text(h, rows[j].sc->id);
    mxc__html_put(h, "</a></th>");
    for (size_t k = 0; k < nruns; k++) {
      outcome o = outcome_of(rows[j].cells[k]);
      mxc__html_put(h,
                    "<td class=\"cell %s\" data-outcome=\"%s\"><a href=\"#s%zu-r%zu\" "
                    "title=\"",
                    OUTCOMES[o].cls, OUTCOMES[o].cls, j, k);
      mxc__html_text(h, mxc_run_label(runs[k]));
      mxc__html_put(h, ": %s\">%s %s</a></td>", OUTCOMES[o].text, OUTCOMES[o].symbol,
                    OUTCOMES[o].text);
    }
    mxc__html_put(h, "</tr>\n");
  }
  mxc__html_put(h, "</tbody></table></section>\n");
}

static void write_checks(mxc__html *h, const mxc_scenario_result *r, mxc_level level) {
  if (r->nchecks == 0) {
    mxc__html_put(h, "<p class=\"muted\">no checks were evaluated</p>\n");
    return;
  }
  mxc__html_put(h, "<table class=\"checks\"><tr><th>rule</th><th>level</th><th>check</th>"
                   "<th>side</th><th>result</th><th>expected</th><th>seen</th></tr>\n");
  for (size_t i = 0; i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    bool counts = mxc_level_counts(c->level, level);
    const char *cls = c->passed ? "ok" : counts ? "bad" : "minor";
    mxc__html_put(h, "<tr class=\"%s\"><td>", cls);
    mxc__html_text(h, c->rule ? c->rule->id : "?");
    mxc__html_put(h, "</td><td>%s</td><td>", mxc_level_name(c->level));
    const mxc_check_def *def = mxc_check_def_of(c->kind);
    mxc__html_text(h, def ? def->name : "?");
    mxc__html_put(h, "</td><td>%s</td><td>%s</td><td>", mxc_side_name(c->side),
                  c->passed ? "&#x2713; passed"
                  : counts  ? "&#x2717; FAILED"
                            : "&#x2717; failed (does not count at this level)");
    mxc__html_text(h, c->expected);
    mxc__html_put(h, "</td><td>");
    mxc__html_text(h, c->seen);
    mxc__html_put(h, "</td></tr>\n");
  }
  mxc__html_put(h, "</table>\n");
}

static void pre(mxc__html *h, const char *title, const char *text) {
  mxc__html_put(h, "<h4>%s</h4><pre>", title);
  mxc__html_text(h, text);
  mxc__html_put(h, "</pre>\n");
}

static void write_client(mxc__html *h, const mxc_scenario_result *r) {
  const mxc_client_outcome *c = &r->client;
  mxc__html_put(h, "<table class=\"kv\">");
  if (c->error)
    kv(h, "error", c->error);
  char s[64];
  snprintf(s, sizeof s, "%d", c->exit_status);
  kv(h, "exit status", c->exit_status < 0 ? "did not exit by itself" : s);
  if (c->term_signal) {
    snprintf(s, sizeof s, "%d", c->term_signal);
    kv(h, "signal", s);
  }
  kv(h, "timed out", c->timed_out ? "yes" : "no");
  snprintf(s, sizeof s, "%.1f ms", c->duration_ms);
  kv(h, "duration", s);
  mxc__html_put(h, "</table>\n");
  if (c->report) {
    char *text = cJSON_Print(c->report);
    if (!text && !h->rc)
      h->rc = MXC_ENOMEM;
    pre(h, "report", text);
    free(text);
  } else {
    mxc__html_put(h, "<p class=\"muted\">no report</p>\n");
  }
  if (c->stderr_tail)
    pre(h, "stderr (tail)", c->stderr_tail);
}

static void write_result(mxc__html *h, const mxc_run_result *run, const mxc_scenario_result *r,
                         size_t j, size_t k) {
  outcome o = outcome_of(r);
  mxc__html_put(h, "<div class=\"result %s\" id=\"s%zu-r%zu\"><h3>", OUTCOMES[o].cls, j, k);
  badge(h, o);
  mxc__html_put(h, " ");
  mxc__html_text(h, mxc_run_label(run));
  mxc__html_put(h, "</h3>\n");
  if (!r) {
    mxc__html_put(h, "<p class=\"muted\">this run has no result for the scenario</p></div>\n");
    return;
  }
  mxc__html_put(h,
                "<p>verdict <b>%s</b> &#xb7; %.1f ms (deadline %llu ms) &#xb7; fault seed %llu"
                "%s</p>\n",
                mxc_verdict_name(r->verdict), r->duration_ms, (unsigned long long)r->deadline_ms,
                (unsigned long long)r->seed, r->interrupted ? " &#xb7; <b>interrupted</b>" : "");
  if (r->baseline_reason) {
    mxc__html_put(h, "<p>baseline: ");
    mxc__html_text(h, r->baseline_reason);
    mxc__html_put(h, "%s</p>\n",
                  r->baseline_stale ? " &#x2014; <b>stale: it passes now, remove the entry</b>"
                                    : "");
  }
  if (r->internal_error)
    pre(h, "internal error", r->internal_error);
  write_checks(h, r, run->level);
  const char *open = o == O_PASS ? "" : " open";
  mxc__html_put(h, "<details%s><summary>client side</summary>\n", open);
  write_client(h, r);
  mxc__html_put(h, "</details>\n<h4>timing</h4>\n");
  mxc__html_chart(h, r->transcript, r->client.report);
  mxc__html_put(h, "<details%s><summary>wire transcript</summary>\n", open);
  mxc__html_wire(h, r->transcript);
  mxc__html_put(h, "</details></div>\n");
}

static void write_scenario(mxc__html *h, const mxc_run_result *const *runs, size_t nruns,
                           const row *rw, size_t j) {
  const mxc_scenario *sc = rw->sc;
  mxc__html_put(h, "<section class=\"scenario\" id=\"sc-%zu\"%s><h2>", j,
                row_green(rw, nruns) ? " data-green=\"1\"" : "");
  mxc__html_text(h, sc->id);
  mxc__html_put(h, " &#x2014; ");
  mxc__html_text(h, sc->title);
  mxc__html_put(h, "</h2>\n<p class=\"desc\">");
  mxc__html_text(h, sc->description);
  mxc__html_put(h, "</p>\n<table class=\"rules\"><tr><th>rule</th><th>level</th>"
                   "<th>summary</th></tr>\n");
  for (size_t i = 0; i < sc->nrules; i++) {
    mxc__html_put(h, "<tr><td>");
    mxc__html_text(h, sc->rules[i]->id);
    mxc__html_put(h, "</td><td>%s</td><td>", mxc_level_name(sc->rules[i]->level));
    mxc__html_text(h, sc->rules[i]->summary);
    mxc__html_put(h, "</td></tr>\n");
  }
  mxc__html_put(h, "</table>\n");
  for (size_t k = 0; k < nruns; k++)
    write_result(h, runs[k], rw->cells[k], j, k);
  mxc__html_put(h, "</section>\n");
}

int mxc_html_write(const char *path, const mxc_run_result *const *runs, size_t nruns) {
  if (!path || (nruns && !runs))
    return MXC_EINVAL;
  mxc__html h = {.rc = 0};
  mxc_buf_init(&h.b, 256u << 20);
  matrix m = {0};
  mxc_buf page;
  mxc_buf_init(&page, 256u << 20);
  int rc = matrix_build(runs, nruns, &m);
  if (rc)
    goto out;
  mxc__html_put(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>mxconform: ");
  for (size_t k = 0; k < nruns; k++) {
    mxc__html_put(&h, "%s", k ? " vs " : "");
    mxc__html_text(&h, mxc_run_label(runs[k]));
  }
  mxc__html_put(&h, "</title>\n");
  write_css(&h);
  mxc__html_put(&h,
                "</head>\n<body>\n<h1>mxconform %s</h1>\n"
                "<section id=\"summary\"><div class=\"runs\">\n",
                nruns > 1 ? "comparison" : "conformance report");
  for (size_t k = 0; k < nruns; k++)
    write_run_card(&h, runs[k], k);
  mxc__html_put(&h, "</div></section>\n");
  write_matrix(&h, runs, nruns, m.rows, m.n);
  for (size_t j = 0; j < m.n; j++)
    write_scenario(&h, runs, nruns, &m.rows[j], j);
  mxc__html_put(&h, "%s</body></html>\n", SCRIPT);
  rc = h.rc;
  /* clients write any bytes: keep the page valid UTF-8 */
  if (!rc)
    rc = mxc_utf8_sanitize(&page, h.b.data);
  if (!rc)
    rc = mxc_file_write_atomic(path, page.data, page.len);
out:
  free(m.rows);
  free(m.cells);
  mxc_buf_cleanup(&page);
  mxc_buf_cleanup(&h.b);
  return rc;
}
