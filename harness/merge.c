/* mxconform merge: reads JSON reports, puts the shards of each agent's run back together in
 * selection order, keeps agents side by side, and writes every report format from the result. */
#include "harness/merge.h"

#include "common/mxc_error.h"
#include "harness/cli.h"
#include "harness/runner.h"
#include "reports/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether two runs belong to one agent: the same --agent label, or both unlabelled with the
 * same client. */
static bool same_agent(const mxc_run_result *a, const mxc_run_result *b) {
  if (!a->agent != !b->agent)
    return false;
  return a->agent ? strcmp(a->agent, b->agent) == 0 : strcmp(a->client_desc, b->client_desc) == 0;
}

static bool same_str(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* What makes two runs of one agent impossible to join as shards, or NULL. */
static const char *misfit(const mxc_run_result *a, const mxc_run_result *b) {
  if (a->seed != b->seed)
    return "their seeds differ";
  if (a->level != b->level)
    return "their levels differ";
  if (!same_str(a->filter, b->filter))
    return "their filters differ";
  if (a->selection_total != b->selection_total)
    return "they selected different numbers of scenarios";
  return NULL;
}

typedef struct piece {
  const mxc_scenario_result *r;
  const mxc_loaded_run *from;
} piece;

static int by_position(const void *a, const void *b) {
  const piece *x = a, *y = b;
  return (x->r->position > y->r->position) - (x->r->position < y->r->position);
}

/* Notes which shards of N no input gave, when every input of the agent was a shard of N. */
static void note_missing(mxc_buf *notes, const mxc_run_result *run, mxc_loaded_run *const *members,
                         size_t nmembers) {
  size_t n = members[0]->run.shard_n;
  for (size_t i = 0; i < nmembers; i++)
    if (members[i]->run.shard_n != n)
      n = 0;
  mxc_buf_printf(notes, "%s: %zu of %zu selected scenarios are in the reports", mxc_run_label(run),
                 run->n, run->selection_total);
  if (n) {
    mxc_buf_printf(notes, "; missing shard(s):");
    for (size_t k = 1; k <= n; k++) {
      bool given = false;
      for (size_t i = 0; i < nmembers; i++)
        given |= members[i]->run.shard_k == k;
      if (!given)
        mxc_buf_printf(notes, " %zu/%zu", k, n);
    }
  }
  mxc_buf_printf(notes, "\n");
}

/* Joins the runs of one agent into *out. */
static int join(mxc_loaded_run *const *members, size_t nmembers, mxc_run_result *out,
                mxc_buf *notes, char **err) {
  const mxc_run_result *first = &members[0]->run;
  size_t total = 0;
  for (size_t i = 0; i < nmembers; i++) {
    const char *why = misfit(first, &members[i]->run);
    if (why) {
      *err = mxc_asprintf("%s and %s are both runs of %s, but not shards of one run: %s (give "
                          "each run its own --agent to compare them side by side)",
                          members[0]->source, members[i]->source, mxc_run_label(first), why);
      return MXC_EREPORT;
    }
    total += members[i]->run.n;
  }
  piece *pieces = calloc(total + 1, sizeof *pieces);
  *out = (mxc_run_result){
      .client_desc = first->client_desc,
      .agent = first->agent,
      .level = first->level,
      .seed = first->seed,
      .filter = first->filter,
      .selection_total = first->selection_total,
      .started = first->started,
      .results = calloc(total + 1, sizeof *out->results),
  };
  if (!pieces || !out->results) {
    free(pieces);
    return MXC_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < nmembers; i++) {
    const mxc_run_result *m = &members[i]->run;
    for (size_t j = 0; j < m->n; j++)
      pieces[k++] = (piece){&m->results[j], members[i]};
    out->incomplete |= m->incomplete;
    if (m->started < out->started)
      out->started = m->started; /* shards run at once on several machines: the first start */
    if (m->duration_ms > out->duration_ms)
      out->duration_ms = m->duration_ms; /* ...and the longest one */
  }
  qsort(pieces, total, sizeof *pieces, by_position);
  for (size_t i = 0; i < total; i++) {
    if (i && pieces[i].r->position == pieces[i - 1].r->position) {
      *err = mxc_asprintf("scenario %s (position %zu of the selection) is in both %s and %s: the "
                          "same shard given twice?",
                          pieces[i].r->sc->id, pieces[i].r->position, pieces[i - 1].from->source,
                          pieces[i].from->source);
      free(pieces);
      return MXC_EREPORT;
    }
    out->results[out->n++] = *pieces[i].r; /* borrowed: the inputs keep ownership */
    mxc_run_count(out, pieces[i].r);
  }
  free(pieces);
  if (nmembers == 1) { /* one report: as it was, a shard stays a shard */
    out->shard_k = first->shard_k;
    out->shard_n = first->shard_n;
    out->selected = first->selected;
  } else {
    out->selected = out->selection_total;
    if (out->n < out->selection_total) {
      out->incomplete = true; /* never a green run from part of the shards */
      note_missing(notes, out, members, nmembers);
    }
  }
  return 0;
}

int mxc_merge_runs(mxc_loaded_run *const *in, size_t nin, mxc_run_result **out, size_t *nout,
                   mxc_buf *notes, char **err) {
  *err = NULL;
  *out = calloc(nin + 1, sizeof **out);
  mxc_loaded_run **members = calloc(nin + 1, sizeof *members);
  bool *taken = calloc(nin + 1, sizeof *taken);
  int rc = *out && members && taken ? 0 : MXC_ENOMEM;
  *nout = 0;
  for (size_t i = 0; !rc && i < nin; i++) {
    if (taken[i])
      continue;
    size_t nmembers = 0;
    for (size_t j = i; j < nin; j++)
      if (!taken[j] && same_agent(&in[i]->run, &in[j]->run)) {
        taken[j] = true;
        members[nmembers++] = in[j];
      }
    rc = join(members, nmembers, &(*out)[*nout], notes, err);
    if (!rc)
      (*nout)++;
    else
      free((*out)[*nout].results);
  }
  free(members);
  free(taken);
  if (rc) {
    mxc_merged_free(*out, *nout);
    *out = NULL;
    *nout = 0;
  }
  return rc;
}

void mxc_merged_free(mxc_run_result *runs, size_t n) {
  for (size_t i = 0; runs && i < n; i++)
    free(runs[i].results); /* the results themselves belong to the loaded runs */
  free(runs);
}

/* ---- the command ---- */

static const char merge_usage[] =
    "usage: mxconform merge [options] REPORT.json...\n"
    "\n"
    "Reads JSON reports (mxconform run --json) and joins them. Reports of one agent (the same\n"
    "--agent label; unlabelled runs: the same client) are shards or parts of one run: they must\n"
    "share the seed, level and filter, and are put back in selection order, so that the shards\n"
    "of a CI matrix (run --shard K/N) merge into the report the whole run would have written,\n"
    "timings apart. Reports of different agents stay side by side: a vendor comparison.\n"
    "A merged file can be merged again.\n"
    "\n"
    "options:\n"
    "  --json FILE    the merged runs as JSON (one agent: a plain report; several: the runs\n"
    "                 side by side, schema mxconform-merge; docs/report-schema.json)\n"
    "  --junit FILE   JUnit XML (several agents: a testsuite per agent and rule group)\n"
    "  --html FILE    one self-contained HTML page with the agent x scenario matrix\n"
    "  --tap FILE     TAP 14 (one agent only)\n"
    "\n"
    "It prints each agent's totals. A run with scenarios missing from its selection (a shard\n"
    "not given, or an interrupted run) is reported incomplete and fails.\n"
    "\n"
    "exit status: 0 every merged run passed and is complete; 1 a failure, an error or an\n"
    "incomplete run; 2 bad usage or a report that cannot be read or joined (file and JSON path\n"
    "are given); 3 a report could not be written\n";

static void print_run(const mxc_run_result *run) {
  printf("%s: %zu scenario(s), %zu passed, %zu failed", mxc_run_label(run), run->n, run->passed,
         run->failed);
  if (run->skipped)
    printf(", %zu skipped", run->skipped);
  if (run->errors)
    printf(" (%zu client error(s))", run->errors);
  if (run->shard_n)
    printf("; shard %zu/%zu", run->shard_k, run->shard_n);
  printf("\n");
  if (run->incomplete)
    printf("  INCOMPLETE: %zu of %zu selected scenarios ran\n", run->n,
           run->shard_n ? run->selected : run->selection_total);
  for (size_t i = 0; i < run->n; i++) {
    const mxc_scenario_result *r = &run->results[i];
    mxc_outcome o = mxc_result_outcome(r);
    if (o != MXC_OUTCOME_PASS)
      printf("  %-5s %s\n", mxc_outcome_tag(o), r->sc->id);
  }
}

int mxc_merge_main(int argc, char **argv) {
  mxc_report_paths paths = {0};
  const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  size_t ninputs = 0;
  if (!inputs)
    return MXC_EXIT_INTERNAL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = strcmp(a, "--json") == 0    ? &paths.json
                        : strcmp(a, "--junit") == 0 ? &paths.junit
                        : strcmp(a, "--html") == 0  ? &paths.html
                        : strcmp(a, "--tap") == 0   ? &paths.tap
                                                    : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(merge_usage, stdout);
      free(inputs);
      return MXC_EXIT_PASS;
    }
    if (slot) {
      if (i + 1 >= argc) {
        fprintf(stderr, "mxconform merge: option '%s' needs a value\n", a);
        free(inputs);
        return MXC_EXIT_USAGE;
      }
      *slot = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "mxconform merge: unknown option '%s'\nTry 'mxconform merge --help'.\n", a);
      free(inputs);
      return MXC_EXIT_USAGE;
    } else {
      inputs[ninputs++] = a;
    }
  }
  if (ninputs == 0) {
    fprintf(stderr, "mxconform merge: no reports given\nTry 'mxconform merge --help'.\n");
    free(inputs);
    return MXC_EXIT_USAGE;
  }
  mxc_loaded_run **loaded = NULL;
  size_t nloaded = 0;
  char *err = NULL;
  int status = MXC_EXIT_PASS;
  for (size_t i = 0; i < ninputs && status == MXC_EXIT_PASS; i++) {
    int rc = mxc_report_read(inputs[i], &loaded, &nloaded, &err);
    if (rc) {
      fprintf(stderr, "mxconform merge: %s\n", err ? err : mxc_strerror(rc));
      status = rc == MXC_ENOMEM ? MXC_EXIT_INTERNAL : MXC_EXIT_USAGE;
    }
    free(err);
    err = NULL;
  }
  mxc_run_result *merged = NULL;
  size_t nmerged = 0;
  mxc_buf notes;
  mxc_buf_init(&notes, 1u << 20);
  if (status == MXC_EXIT_PASS) {
    int rc = mxc_merge_runs(loaded, nloaded, &merged, &nmerged, &notes, &err);
    if (rc) {
      fprintf(stderr, "mxconform merge: %s\n", err ? err : mxc_strerror(rc));
      status = rc == MXC_ENOMEM ? MXC_EXIT_INTERNAL : MXC_EXIT_USAGE;
    }
    free(err);
  }
  if (status == MXC_EXIT_PASS) {
    if (notes.len)
      fprintf(stderr, "mxconform merge: %s", notes.data);
    size_t passed = 0, failed = 0, skipped = 0;
    const mxc_run_result **runs = calloc(nmerged + 1, sizeof *runs);
    for (size_t i = 0; i < nmerged; i++) {
      print_run(&merged[i]);
      passed += merged[i].passed;
      failed += merged[i].failed;
      skipped += merged[i].skipped;
      if (merged[i].failed || merged[i].incomplete)
        status = MXC_EXIT_FAIL;
      if (runs)
        runs[i] = &merged[i];
    }
    if (!runs || mxc_reports_write(&paths, runs, nmerged, stdout) != 0)
      status = MXC_EXIT_INTERNAL;
    free(runs);
    printf("merged %zu run(s) from %zu report(s)\n", nmerged, ninputs);
    if (skipped)
      printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    else
      printf("%zu passed, %zu failed\n", passed, failed);
  }
  mxc_buf_cleanup(&notes);
  mxc_merged_free(merged, nmerged);
  for (size_t i = 0; i < nloaded; i++)
    mxc_loaded_run_free(loaded[i]);
  free(loaded);
  free(inputs);
  return status;
}
