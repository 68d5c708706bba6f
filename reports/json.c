/* JSON reporter: the whole run result, as docs/report-schema.json describes it. */
#include "reports/report.h"

#include "common/mxc_error.h"

#include <stdlib.h>
#include <time.h>

/* Object builders that remember a failed allocation in *oom instead of returning it, so a
 * document is built in one pass and checked once. A NULL string is recorded as null. */
static cJSON *add_obj(cJSON *o, const char *k, bool *oom) {
  cJSON *v = cJSON_AddObjectToObject(o, k);
  *oom |= !v;
  return v;
}

static cJSON *add_arr(cJSON *o, const char *k, bool *oom) {
  cJSON *v = cJSON_AddArrayToObject(o, k);
  *oom |= !v;
  return v;
}

static void add_str(cJSON *o, const char *k, const char *s, bool *oom) {
  if (o)
    *oom |= !(s ? cJSON_AddStringToObject(o, k, s) : cJSON_AddNullToObject(o, k));
}

static void add_num(cJSON *o, const char *k, double n, bool *oom) {
  if (o)
    *oom |= !cJSON_AddNumberToObject(o, k, n);
}

static void add_bool(cJSON *o, const char *k, bool b, bool *oom) {
  if (o)
    *oom |= !cJSON_AddBoolToObject(o, k, b);
}

static void add_u64(cJSON *o, const char *k, uint64_t n, bool *oom) {
  char s[24]; /* 64 bits do not fit a JSON number exactly: a decimal string */
  snprintf(s, sizeof s, "%llu", (unsigned long long)n);
  add_str(o, k, s, oom);
}

/* A copy of a JSON value of the model, or null. */
static void add_copy(cJSON *o, const char *k, const cJSON *v, bool *oom) {
  if (!o)
    return;
  cJSON *c = v ? cJSON_Duplicate(v, true) : cJSON_CreateNull();
  if (!c || !cJSON_AddItemToObject(o, k, c)) {
    cJSON_Delete(c);
    *oom = true;
  }
}

static cJSON *push_obj(cJSON *a, bool *oom) {
  cJSON *v = a ? cJSON_CreateObject() : NULL;
  if (v && !cJSON_AddItemToArray(a, v)) {
    cJSON_Delete(v);
    v = NULL;
  }
  *oom |= !v;
  return v;
}

static void add_scenario(cJSON *list, const mxc_scenario_result *r, mxc_level level, bool *oom) {
  const mxc_scenario *sc = r->sc;
  cJSON *s = push_obj(list, oom);
  add_str(s, "id", sc->id, oom);
  add_num(s, "position", (double)r->position, oom);
  add_str(s, "title", sc->title, oom);
  add_str(s, "description", sc->description, oom);
  add_str(s, "file", sc->file, oom);
  cJSON *rules = s ? add_arr(s, "rules", oom) : NULL;
  for (size_t i = 0; rules && i < sc->nrules; i++) {
    cJSON *rule = push_obj(rules, oom);
    add_str(rule, "id", sc->rules[i]->id, oom);
    add_str(rule, "level", mxc_level_name(sc->rules[i]->level), oom);
    add_str(rule, "group", sc->rules[i]->group, oom);
    add_str(rule, "summary", sc->rules[i]->summary, oom);
  }
  add_str(s, "verdict", mxc_verdict_name(r->verdict), oom);
  add_str(s, "outcome", mxc_outcome_name(mxc_result_outcome(r)), oom);
  if (r->baseline_reason) {
    cJSON *baseline = s ? add_obj(s, "baseline", oom) : NULL;
    add_str(baseline, "reason", r->baseline_reason, oom);
    add_bool(baseline, "stale", r->baseline_stale, oom);
  } else if (s) {
    *oom |= !cJSON_AddNullToObject(s, "baseline");
  }
  add_u64(s, "seed", r->seed, oom);
  add_num(s, "duration_ms", r->duration_ms, oom);
  add_num(s, "deadline_ms", (double)r->deadline_ms, oom);
  add_str(s, "internal_error", r->internal_error, oom);
  add_bool(s, "interrupted", r->interrupted, oom);
  cJSON *checks = s ? add_arr(s, "checks", oom) : NULL;
  for (size_t i = 0; checks && i < r->nchecks; i++) {
    const mxc_check_result *c = &r->checks[i];
    cJSON *check = push_obj(checks, oom);
    add_str(check, "rule", c->rule->id, oom);
    add_str(check, "level", mxc_level_name(c->level), oom);
    add_str(check, "check", mxc_check_def_of(c->kind)->name, oom);
    add_str(check, "side", mxc_side_name(c->side), oom);
    add_bool(check, "passed", c->passed, oom);
    add_bool(check, "counts", mxc_level_counts(c->level, level), oom);
    add_str(check, "expected", c->expected, oom);
    add_str(check, "seen", c->seen, oom);
  }
  cJSON *client = s ? add_obj(s, "client", oom) : NULL;
  add_copy(client, "report", r->client.report, oom);
  add_str(client, "error", r->client.error, oom);
  add_str(client, "stderr_tail", r->client.stderr_tail, oom);
  add_num(client, "exit_status", r->client.exit_status, oom);
  add_num(client, "signal", r->client.term_signal, oom);
  add_bool(client, "timed_out", r->client.timed_out, oom);
  add_num(client, "duration_ms", r->client.duration_ms, oom);
  add_copy(s, "transcript", r->transcript, oom);
}

/* The report object of one run. */
static cJSON *run_object(const mxc_run_result *run, bool *oom) {
  cJSON *doc = cJSON_CreateObject();
  *oom |= !doc;
  add_str(doc, "schema", "mxconform-report", oom);
  add_num(doc, "version", MXC_JSON_REPORT_VERSION, oom);
  add_str(doc, "agent", run->agent, oom);
  add_str(doc, "client", run->client_desc, oom);
  add_u64(doc, "seed", run->seed, oom);
  add_str(doc, "level", mxc_level_name(run->level), oom);
  add_str(doc, "filter", run->filter, oom);
  cJSON *selection = doc ? add_obj(doc, "selection", oom) : NULL;
  add_num(selection, "total", (double)run->selection_total, oom);
  char shard[48] = "";
  if (run->shard_n)
    snprintf(shard, sizeof shard, "%zu/%zu", run->shard_k, run->shard_n);
  add_str(selection, "shard", run->shard_n ? shard : NULL, oom);
  add_str(doc, "mxconform_version", MXC_VERSION, oom);
  char started[32];
  time_t start = (time_t)run->started;
  struct tm tm;
  gmtime_r(&start, &tm);
  strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
  add_str(doc, "started", started, oom);
  add_num(doc, "duration_ms", run->duration_ms, oom);
  add_bool(doc, "incomplete", run->incomplete, oom);
  cJSON *totals = doc ? add_obj(doc, "totals", oom) : NULL;
  add_num(totals, "scenarios", (double)run->n, oom);
  add_num(totals, "passed", (double)run->passed, oom);
  add_num(totals, "failed", (double)run->failed, oom);
  add_num(totals, "errors", (double)run->errors, oom);
  add_num(totals, "skipped", (double)run->skipped, oom);
  cJSON *list = doc ? add_arr(doc, "scenarios", oom) : NULL;
  for (size_t i = 0; list && !*oom && i < run->n; i++)
    add_scenario(list, &run->results[i], run->level, oom);
  return doc;
}

int mxc_json_write(const char *path, const mxc_run_result *const *runs, size_t nruns) {
  bool oom = false;
  cJSON *doc;
  if (nruns == 1) {
    doc = run_object(runs[0], &oom);
  } else { /* agents side by side */
    doc = cJSON_CreateObject();
    oom |= !doc;
    add_str(doc, "schema", "mxconform-merge", &oom);
    add_num(doc, "version", MXC_JSON_REPORT_VERSION, &oom);
    cJSON *list = doc ? add_arr(doc, "runs", &oom) : NULL;
    for (size_t i = 0; list && !oom && i < nruns; i++) {
      cJSON *r = run_object(runs[i], &oom);
      if (r && !cJSON_AddItemToArray(list, r)) {
        cJSON_Delete(r);
        oom = true;
      }
    }
  }

  int rc = oom ? MXC_ENOMEM : 0;
  char *text = rc ? NULL : cJSON_Print(doc);
  if (!rc && !text)
    rc = MXC_ENOMEM;
  /* cJSON copies string bytes as they are: keep the file valid UTF-8 whatever a client wrote */
  mxc_buf b;
  mxc_buf_init(&b, 512u << 20);
  if (!rc)
    rc = mxc_utf8_sanitize(&b, text);
  if (!rc)
    rc = mxc_buf_append(&b, "\n", 1);
  if (!rc)
    rc = mxc_file_write_atomic(path, b.data, b.len);
  mxc_buf_cleanup(&b);
  free(text);
  cJSON_Delete(doc);
  return rc;
}
