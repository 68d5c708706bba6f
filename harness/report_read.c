/* Reading JSON reports back into the run result model. Strict: a report that does not have the
 * shape docs/report-schema.json gives is refused with the file and the JSON path of the problem,
 * never half-read. */
#include "harness/report_read.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/runner.h"
#include "reports/report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rd {
  const char *file;
  char *err;
  mxc_loaded_run *lr; /* the run being read */
} rd;

static int bad(rd *cx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records "FILE: PATH: what" (the first problem only) and returns MXC_EREPORT. */
static int bad(rd *cx, const char *path, const char *fmt, ...) {
  if (!cx->err) {
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cx->err = mxc_asprintf("%s: %s: %s", cx->file, path, what);
  }
  return MXC_EREPORT;
}

/* A copy of s that the loaded run frees; NULL stays NULL. *oom is set on failure. */
static const char *own(rd *cx, const char *s, bool *oom) {
  if (!s)
    return NULL;
  mxc_loaded_run *lr = cx->lr;
  if (lr->nstrings == lr->capstrings) {
    size_t cap = lr->capstrings ? lr->capstrings * 2 : 32;
    char **grown = realloc(lr->strings, cap * sizeof *grown);
    if (!grown) {
      *oom = true;
      return NULL;
    }
    lr->strings = grown;
    lr->capstrings = cap;
  }
  char *copy = mxc_strdup(s);
  if (!copy) {
    *oom = true;
    return NULL;
  }
  lr->strings[lr->nstrings++] = copy;
  return copy;
}

static const cJSON *member(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A string member (or null when nullable) into *out (borrowed from the document). */
static int get_str(rd *cx, const cJSON *o, const char *key, const char *path, bool nullable,
                   const char **out) {
  const cJSON *v = member(o, key);
  *out = NULL;
  if (cJSON_IsString(v)) {
    *out = v->valuestring;
    return 0;
  }
  if (nullable && cJSON_IsNull(v))
    return 0;
  return bad(cx, path, "\"%s\" must be a string%s", key, nullable ? " or null" : "");
}

static int get_num(rd *cx, const cJSON *o, const char *key, const char *path, double *out) {
  const cJSON *v = member(o, key);
  if (!cJSON_IsNumber(v))
    return bad(cx, path, "\"%s\" must be a number", key);
  *out = v->valuedouble;
  return 0;
}

/* A whole number from lo to hi. */
static int get_int(rd *cx, const cJSON *o, const char *key, const char *path, double lo, double hi,
                   long long *out) {
  double d = 0;
  int rc = get_num(cx, o, key, path, &d);
  if (rc)
    return rc;
  if (d != (double)(long long)d || d < lo || d > hi)
    return bad(cx, path, "\"%s\" must be a whole number from %.0f to %.0f", key, lo, hi);
  *out = (long long)d;
  return 0;
}

static int get_bool(rd *cx, const cJSON *o, const char *key, const char *path, bool *out) {
  const cJSON *v = member(o, key);
  if (!cJSON_IsBool(v))
    return bad(cx, path, "\"%s\" must be true or false", key);
  *out = cJSON_IsTrue(v);
  return 0;
}

/* A 64-bit number written as a decimal string. */
static int get_u64(rd *cx, const cJSON *o, const char *key, const char *path, uint64_t *out) {
  const char *s;
  int rc = get_str(cx, o, key, path, false, &s);
  if (rc)
    return rc;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || errno || *s == '-' || *s == '+' || *s == ' ')
    return bad(cx, path, "\"%s\" must be a decimal string of a 64-bit number", key);
  *out = v;
  return 0;
}

static int get_level(rd *cx, const cJSON *o, const char *key, const char *path, mxc_level *out) {
  const char *s;
  int rc = get_str(cx, o, key, path, false, &s);
  if (rc)
    return rc;
  for (int l = MXC_LEVEL_INFO; l <= MXC_LEVEL_MUST; l++)
    if (strcmp(s, mxc_level_name((mxc_level)l)) == 0) {
      *out = (mxc_level)l;
      return 0;
    }
  return bad(cx, path, "\"%s\" must be INFO, SHOULD or MUST", key);
}

/* A copy of the member (object or null, as allowed) into *out. */
static int get_json(rd *cx, const cJSON *o, const char *key, const char *path, cJSON **out) {
  const cJSON *v = member(o, key);
  *out = NULL;
  if (cJSON_IsNull(v))
    return 0;
  if (!cJSON_IsObject(v))
    return bad(cx, path, "\"%s\" must be an object or null", key);
  *out = cJSON_Duplicate(v, true);
  return *out ? 0 : MXC_ENOMEM;
}

static const mxc_rule *rule_by_id(const mxc_loaded_run *lr, const char *id) {
  for (size_t i = 0; i < lr->nrules; i++)
    if (strcmp(lr->rules[i].id, id) == 0)
      return &lr->rules[i];
  return NULL;
}

/* The rule with this id among those the report stated, or a new one from the object. */
static int read_rule(rd *cx, const cJSON *o, const char *path, const mxc_rule **out) {
  const char *id, *group, *summary;
  mxc_level level;
  int rc = get_str(cx, o, "id", path, false, &id);
  if (!rc)
    rc = get_level(cx, o, "level", path, &level);
  if (!rc)
    rc = get_str(cx, o, "group", path, false, &group);
  if (!rc)
    rc = get_str(cx, o, "summary", path, false, &summary);
  if (rc)
    return rc;
  mxc_loaded_run *lr = cx->lr;
  const mxc_rule *known = rule_by_id(lr, id);
  if (known) {
    if (known->level != level || strcmp(known->group, group) != 0)
      return bad(cx, path, "rule %s is stated twice, differently", id);
    *out = known;
    return 0;
  }
  bool oom = false;
  mxc_rule r = {own(cx, id, &oom), level, own(cx, group, &oom), own(cx, summary, &oom)};
  if (oom)
    return MXC_ENOMEM;
  lr->rules[lr->nrules] = r; /* room for every rule entry of the file was made up front */
  *out = &lr->rules[lr->nrules++];
  return 0;
}

static int read_check(rd *cx, const cJSON *o, const char *path, mxc_check_result *c) {
  const char *rule, *check, *side, *expected, *seen;
  if (!cJSON_IsObject(o))
    return bad(cx, path, "must be an object");
  int rc = get_str(cx, o, "rule", path, false, &rule);
  if (!rc)
    rc = get_level(cx, o, "level", path, &c->level);
  if (!rc)
    rc = get_str(cx, o, "check", path, false, &check);
  if (!rc)
    rc = get_str(cx, o, "side", path, false, &side);
  if (!rc)
    rc = get_bool(cx, o, "passed", path, &c->passed);
  if (!rc)
    rc = get_str(cx, o, "expected", path, true, &expected);
  if (!rc)
    rc = get_str(cx, o, "seen", path, true, &seen);
  if (rc)
    return rc;
  if (!(c->rule = rule_by_id(cx->lr, rule)))
    return bad(cx, path, "rule %s is not among the scenario's rules", rule);
  const mxc_check_def *def = mxc_check_find(check);
  if (!def)
    return bad(cx, path, "unknown check \"%s\" (a report of another mxconform version?)", check);
  c->kind = def->kind;
  if (strcmp(side, "client") == 0)
    c->side = MXC_SIDE_CLIENT;
  else if (strcmp(side, "wire") == 0)
    c->side = MXC_SIDE_WIRE;
  else if (strcmp(side, "both") == 0)
    c->side = MXC_SIDE_BOTH;
  else
    return bad(cx, path, "\"side\" must be client, wire or both");
  c->expected = expected ? mxc_strdup(expected) : NULL;
  c->seen = seen ? mxc_strdup(seen) : NULL;
  return (expected && !c->expected) || (seen && !c->seen) ? MXC_ENOMEM : 0;
}

static int read_client(rd *cx, const cJSON *o, const char *path, mxc_client_outcome *c) {
  const char *error, *tail;
  long long exit_status, sig;
  if (!cJSON_IsObject(o))
    return bad(cx, path, "must be an object");
  int rc = get_json(cx, o, "report", path, &c->report);
  if (!rc)
    rc = get_str(cx, o, "error", path, true, &error);
  if (!rc)
    rc = get_str(cx, o, "stderr_tail", path, true, &tail);
  if (!rc)
    rc = get_int(cx, o, "exit_status", path, -1, 255, &exit_status);
  if (!rc)
    rc = get_int(cx, o, "signal", path, 0, 128, &sig);
  if (!rc)
    rc = get_bool(cx, o, "timed_out", path, &c->timed_out);
  if (!rc)
    rc = get_num(cx, o, "duration_ms", path, &c->duration_ms);
  if (rc)
    return rc;
  c->exit_status = (int)exit_status;
  c->term_signal = (int)sig;
  c->error = error ? mxc_strdup(error) : NULL;
  c->stderr_tail = tail ? mxc_strdup(tail) : NULL;
  return (error && !c->error) || (tail && !c->stderr_tail) ? MXC_ENOMEM : 0;
}

static const char *const VERDICTS[] = {"PASS", "FAIL", "ERROR"};

static int read_scenario(rd *cx, const cJSON *o, const char *path, mxc_scenario *sc,
                         mxc_scenario_result *r) {
  if (!cJSON_IsObject(o))
    return bad(cx, path, "must be an object");
  const char *id, *title, *description, *file, *verdict, *outcome, *internal_error;
  long long position;
  int rc = get_str(cx, o, "id", path, false, &id);
  if (!rc)
    rc = get_int(cx, o, "position", path, 0, 1e9, &position);
  if (!rc)
    rc = get_str(cx, o, "title", path, false, &title);
  if (!rc)
    rc = get_str(cx, o, "description", path, true, &description);
  if (!rc)
    rc = get_str(cx, o, "file", path, false, &file);
  if (rc)
    return rc;
  r->position = (size_t)position;
  sc->id = mxc_strdup(id);
  sc->title = mxc_strdup(title);
  sc->description = description ? mxc_strdup(description) : NULL;
  sc->file = mxc_strdup(file);
  if (!sc->id || !sc->title || (description && !sc->description) || !sc->file)
    return MXC_ENOMEM;
  char sub[256];
  const cJSON *rules = member(o, "rules"), *item;
  if (!cJSON_IsArray(rules))
    return bad(cx, path, "\"rules\" must be an array");
  sc->rules = calloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof *sc->rules);
  if (!sc->rules)
    return MXC_ENOMEM;
  cJSON_ArrayForEach(item, rules) {
    snprintf(sub, sizeof sub, "%.200s.rules[%zu]", path, sc->nrules);
    if (!cJSON_IsObject(item))
      return bad(cx, sub, "must be an object");
    if ((rc = read_rule(cx, item, sub, &sc->rules[sc->nrules])) != 0)
      return rc;
    if (sc->rules[sc->nrules]->level > sc->level)
      sc->level = sc->rules[sc->nrules]->level;
    sc->nrules++;
  }
  rc = get_str(cx, o, "verdict", path, false, &verdict);
  if (!rc)
    rc = get_str(cx, o, "outcome", path, false, &outcome);
  if (rc)
    return rc;
  size_t v = 0;
  while (v < 3 && strcmp(verdict, VERDICTS[v]) != 0)
    v++;
  if (v == 3)
    return bad(cx, path, "\"verdict\" must be PASS, FAIL or ERROR");
  r->verdict = (mxc_verdict)v;
  const cJSON *baseline = member(o, "baseline");
  if (cJSON_IsObject(baseline)) {
    snprintf(sub, sizeof sub, "%.200s.baseline", path);
    const char *reason;
    bool oom = false;
    if ((rc = get_str(cx, baseline, "reason", sub, false, &reason)) != 0 ||
        (rc = get_bool(cx, baseline, "stale", sub, &r->baseline_stale)) != 0)
      return rc;
    r->baseline_reason = own(cx, reason, &oom);
    if (oom)
      return MXC_ENOMEM;
  } else if (!cJSON_IsNull(baseline)) {
    return bad(cx, path, "\"baseline\" must be an object or null");
  }
  /* the outcome is derived: it must agree with the verdict and the baseline */
  const char *want = mxc_outcome_name(mxc_result_outcome(r));
  if (strcmp(outcome, want) != 0)
    return bad(cx, path, "\"outcome\" is %s, but the verdict and baseline make it %s", outcome,
               want);
  long long deadline;
  rc = get_u64(cx, o, "seed", path, &r->seed);
  if (!rc)
    rc = get_num(cx, o, "duration_ms", path, &r->duration_ms);
  if (!rc)
    rc = get_int(cx, o, "deadline_ms", path, 0, 9e15, &deadline);
  if (!rc)
    rc = get_str(cx, o, "internal_error", path, true, &internal_error);
  if (!rc)
    rc = get_bool(cx, o, "interrupted", path, &r->interrupted);
  if (rc)
    return rc;
  r->deadline_ms = (uint64_t)deadline;
  if (internal_error && !(r->internal_error = mxc_strdup(internal_error)))
    return MXC_ENOMEM;
  const cJSON *checks = member(o, "checks");
  if (!cJSON_IsArray(checks))
    return bad(cx, path, "\"checks\" must be an array");
  r->checks = calloc((size_t)cJSON_GetArraySize(checks) + 1, sizeof *r->checks);
  if (!r->checks)
    return MXC_ENOMEM;
  cJSON_ArrayForEach(item, checks) {
    snprintf(sub, sizeof sub, "%.200s.checks[%zu]", path, r->nchecks);
    rc = read_check(cx, item, sub, &r->checks[r->nchecks]);
    r->nchecks++; /* counted even when it failed half-way: cleanup frees what it holds */
    if (rc)
      return rc;
  }
  snprintf(sub, sizeof sub, "%.200s.client", path);
  if ((rc = read_client(cx, member(o, "client"), sub, &r->client)) != 0)
    return rc;
  const cJSON *t = member(o, "transcript");
  if (!cJSON_IsObject(t) && !cJSON_IsNull(t))
    return bad(cx, path, "\"transcript\" must be an object or null");
  return get_json(cx, o, "transcript", path, &r->transcript);
}

/* "2026-12-03T18:25:14Z" into Unix seconds. */
static int parse_started(const char *s, int64_t *out) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end)
    return MXC_EINVAL;
  *out = (int64_t)timegm(&tm);
  return 0;
}

static int read_run(rd *cx, const cJSON *o, const char *path) {
  mxc_loaded_run *lr = cx->lr;
  mxc_run_result *run = &lr->run;
  if (!cJSON_IsObject(o))
    return bad(cx, path, "must be an object");
  const char *schema, *agent, *client, *filter, *version, *started;
  long long report_version;
  int rc = get_str(cx, o, "schema", path, false, &schema);
  if (!rc && strcmp(schema, "mxconform-report") != 0)
    rc = bad(cx, path, "\"schema\" must be mxconform-report");
  if (!rc)
    rc = get_int(cx, o, "version", path, 0, 1e9, &report_version);
  if (!rc && report_version != MXC_JSON_REPORT_VERSION)
    rc = bad(cx, path, "report version %lld cannot be read (this mxconform reads version %d)",
             report_version, MXC_JSON_REPORT_VERSION);
  if (!rc)
    rc = get_str(cx, o, "agent", path, true, &agent);
  if (!rc)
    rc = get_str(cx, o, "client", path, false, &client);
  if (!rc)
    rc = get_u64(cx, o, "seed", path, &run->seed);
  if (!rc)
    rc = get_level(cx, o, "level", path, &run->level);
  if (!rc)
    rc = get_str(cx, o, "filter", path, true, &filter);
  if (!rc)
    rc = get_str(cx, o, "mxconform_version", path, false, &version);
  if (!rc)
    rc = get_str(cx, o, "started", path, false, &started);
  if (!rc && parse_started(started, &run->started) != 0)
    rc = bad(cx, path, "\"started\" must be a UTC time like 2026-12-03T18:25:14Z");
  if (!rc)
    rc = get_num(cx, o, "duration_ms", path, &run->duration_ms);
  if (!rc)
    rc = get_bool(cx, o, "incomplete", path, &run->incomplete);
  if (rc)
    return rc;
  bool oom = false;
  run->agent = own(cx, agent, &oom);
  run->client_desc = own(cx, client, &oom);
  run->filter = own(cx, filter, &oom);
  lr->version = mxc_strdup(version);
  if (oom || !lr->version)
    return MXC_ENOMEM;
  char sub[256];
  snprintf(sub, sizeof sub, "%.200s.selection", path);
  const cJSON *selection = member(o, "selection");
  long long total;
  const char *shard;
  if (!cJSON_IsObject(selection))
    return bad(cx, path, "\"selection\" must be an object");
  if ((rc = get_int(cx, selection, "total", sub, 0, 1e9, &total)) != 0 ||
      (rc = get_str(cx, selection, "shard", sub, true, &shard)) != 0)
    return rc;
  run->selection_total = (size_t)total;
  if (shard) {
    unsigned k, n;
    char extra;
    if (sscanf(shard, "%u/%u%c", &k, &n, &extra) != 2 || k < 1 || k > n)
      return bad(cx, sub, "\"shard\" must be K/N with 1 <= K <= N, or null");
    run->shard_k = k;
    run->shard_n = n;
  }
  const cJSON *list = member(o, "scenarios"), *item;
  if (!cJSON_IsArray(list))
    return bad(cx, path, "\"scenarios\" must be an array");
  size_t count = (size_t)cJSON_GetArraySize(list), nrules = 0;
  cJSON_ArrayForEach(item, list) nrules += (size_t)cJSON_GetArraySize(member(item, "rules"));
  lr->scenarios = calloc(count + 1, sizeof *lr->scenarios);
  run->results = calloc(count + 1, sizeof *run->results);
  lr->rules = calloc(nrules + 1, sizeof *lr->rules);
  if (!lr->scenarios || !run->results || !lr->rules)
    return MXC_ENOMEM;
  cJSON_ArrayForEach(item, list) {
    size_t i = run->n;
    snprintf(sub, sizeof sub, "%.200s.scenarios[%zu]", path, i);
    mxc_scenario_result *r = &run->results[i];
    r->sc = &lr->scenarios[i];
    run->n++; /* counted even when it failed half-way: cleanup frees what it holds */
    lr->nscenarios++;
    if ((rc = read_scenario(cx, item, sub, &lr->scenarios[i], r)) != 0)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(run->results[j].sc->id, r->sc->id) == 0 || run->results[j].position == r->position)
        return bad(cx, sub, "scenario %s (position %zu) appears twice", r->sc->id, r->position);
    mxc_run_count(run, r);
  }
  run->selected = run->n;
  return 0;
}

void mxc_loaded_run_free(mxc_loaded_run *lr) {
  if (!lr)
    return;
  mxc_run_result_cleanup(&lr->run);
  for (size_t i = 0; i < lr->nscenarios; i++)
    mxc_scenario_cleanup(&lr->scenarios[i]);
  free(lr->scenarios);
  free(lr->rules);
  for (size_t i = 0; i < lr->nstrings; i++)
    free(lr->strings[i]);
  free(lr->strings);
  free(lr->source);
  free(lr->version);
  free(lr);
}

/* Reads one run object into a new loaded run appended to *runs. */
static int add_run(rd *cx, const cJSON *o, const char *path, mxc_loaded_run ***runs, size_t *n) {
  mxc_loaded_run *lr = calloc(1, sizeof *lr);
  mxc_loaded_run **grown = lr ? realloc(*runs, (*n + 1) * sizeof *grown) : NULL;
  if (!grown) {
    free(lr);
    return MXC_ENOMEM;
  }
  *runs = grown;
  lr->source = mxc_strdup(cx->file);
  cx->lr = lr;
  int rc = lr->source ? read_run(cx, o, path) : MXC_ENOMEM;
  if (rc) {
    mxc_loaded_run_free(lr);
    return rc;
  }
  (*runs)[(*n)++] = lr;
  return 0;
}

int mxc_report_read(const char *path, mxc_loaded_run ***runs, size_t *n, char **err) {
  *err = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = mxc_file_read(path, MXC_REPORT_MAX_FILE, &text, &len);
  if (rc) {
    *err = mxc_asprintf("%s: cannot read: %s", path, mxc_strerror(rc));
    return rc;
  }
  rd cx = {.file = path};
  cJSON *doc = mxc_json_document(path, text, len, &cx.err);
  free(text);
  if (!doc) {
    *err = cx.err;
    return cx.err ? MXC_EREPORT : MXC_ENOMEM;
  }
  size_t before = *n;
  const cJSON *schema = member(doc, "schema");
  if (!cJSON_IsObject(doc))
    rc = bad(&cx, "$", "a report must be a JSON object");
  else if (cJSON_IsString(schema) && strcmp(schema->valuestring, "mxconform-merge") == 0) {
    long long version;
    const cJSON *list = member(doc, "runs"), *item;
    rc = get_int(&cx, doc, "version", "$", 0, 1e9, &version);
    if (!rc && version != MXC_JSON_REPORT_VERSION)
      rc = bad(&cx, "$", "report version %lld cannot be read (this mxconform reads version %d)",
               version, MXC_JSON_REPORT_VERSION);
    if (!rc && !cJSON_IsArray(list))
      rc = bad(&cx, "$", "\"runs\" must be an array");
    size_t i = 0;
    const cJSON *runs_list = rc ? NULL : list;
    cJSON_ArrayForEach(item, runs_list) {
      char sub[48];
      snprintf(sub, sizeof sub, "$.runs[%zu]", i++);
      if ((rc = add_run(&cx, item, sub, runs, n)) != 0)
        break;
    }
  } else if (cJSON_IsString(schema) && strcmp(schema->valuestring, "mxconform-report") == 0) {
    rc = add_run(&cx, doc, "$", runs, n);
  } else {
    rc = bad(&cx, "$",
             "not an mxconform report (\"schema\" must be mxconform-report or "
             "mxconform-merge)");
  }
  cJSON_Delete(doc);
  if (rc) { /* all of the file or nothing */
    while (*n > before)
      mxc_loaded_run_free((*runs)[--*n]);
    *err = cx.err ? cx.err : mxc_asprintf("%s: %s", path, mxc_strerror(rc));
    if (!cx.err && rc != MXC_ENOMEM)
      rc = MXC_EREPORT;
  }
  return rc;
}
