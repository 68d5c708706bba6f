/* Runs scenarios: temp dir, mock, case file, client driver, transcript, verdicts. */
#include "harness/runner.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "mocks/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

const char *mxc_verdict_name(mxc_verdict v) {
  switch (v) {
  case MXC_VERDICT_PASS: return "PASS";
  case MXC_VERDICT_FAIL: return "FAIL";
  default: return "ERROR";
  }
}

mxc_outcome mxc_result_outcome(const mxc_scenario_result *r) {
  if (r->baseline_stale)
    return MXC_OUTCOME_STALE;
  if (r->baseline_reason)
    return MXC_OUTCOME_XFAIL;
  return r->verdict == MXC_VERDICT_PASS   ? MXC_OUTCOME_PASS
         : r->verdict == MXC_VERDICT_FAIL ? MXC_OUTCOME_FAIL
                                          : MXC_OUTCOME_ERROR;
}

static const struct {
  const char *name, *tag;
} OUTCOME_NAMES[] = {
    [MXC_OUTCOME_PASS] = {"pass", "PASS"},
    [MXC_OUTCOME_FAIL] = {"fail", "FAIL"},
    [MXC_OUTCOME_ERROR] = {"error", "ERROR"},
    [MXC_OUTCOME_XFAIL] = {"expected_failure", "XFAIL"},
    [MXC_OUTCOME_STALE] = {"stale_baseline", "STALE"},
};

const char *mxc_outcome_name(mxc_outcome o) { return OUTCOME_NAMES[o].name; }

const char *mxc_outcome_tag(mxc_outcome o) { return OUTCOME_NAMES[o].tag; }

const char *mxc_run_label(const mxc_run_result *run) {
  return run->agent ? run->agent : run->client_desc ? run->client_desc : "run";
}

static void scenario_result_cleanup(mxc_scenario_result *r) {
  for (size_t i = 0; i < r->nchecks; i++)
    mxc_check_result_cleanup(&r->checks[i]);
  free(r->checks);
  mxc_client_outcome_cleanup(&r->client);
  cJSON_Delete(r->transcript);
  free(r->internal_error);
  memset(r, 0, sizeof *r);
}

void mxc_run_result_cleanup(mxc_run_result *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++)
    scenario_result_cleanup(&r->results[i]);
  free(r->results);
  r->results = NULL;
  r->n = 0;
}

const char *mxc_client_host(const mxc_fault *faults, size_t nfaults, const char *host) {
  for (size_t i = 0; i < nfaults; i++)
    if (faults[i].kind == MXC_FAULT_UNRESOLVABLE)
      return "mxc-unreachable.invalid";
  return host;
}

bool mxc_scenario_selected(const mxc_scenario *sc, const char *glob) {
  if (!glob || !*glob)
    return true;
  if (mxc_glob_match(glob, sc->id))
    return true;
  for (size_t i = 0; i < sc->nrules; i++)
    if (mxc_glob_match(glob, sc->rules[i]->id) || mxc_glob_match(glob, sc->rules[i]->group))
      return true;
  return false;
}

/* ---- one scenario on one loop ---- */

typedef struct scenario_run {
  mxc_mock *mock;
  mxc_driver *driver;
  bool mock_closed;
  mxc_scenario_result *res;
  uv_timer_t watch; /* notices an interrupt (SIGINT/SIGTERM) while the client runs */
} scenario_run;

static volatile sig_atomic_t interrupted_by;

void mxc_run_interrupt(int signum) { interrupted_by = signum; }

int mxc_run_interrupted(void) { return interrupted_by; }

static void on_watch(uv_timer_t *t) {
  scenario_run *run = t->data;
  if (!interrupted_by || !run->driver)
    return;
  /* stop the client and the mock now; the scenario counts as not run to its end */
  mxc_driver_close(run->driver);
  run->driver = NULL;
  run->res->interrupted = true;
  if (!run->res->client.error)
    run->res->client.error = mxc_strdup("interrupted: the client was stopped before it finished");
  mxc_mock_stop(run->mock, NULL, NULL);
  uv_close((uv_handle_t *)t, NULL);
}

static void on_mock_closed(mxc_mock *m, void *arg) {
  scenario_run *run = arg;
  (void)m;
  run->mock_closed = true;
}

static void on_client_done(mxc_driver *d, void *arg) {
  scenario_run *run = arg;
  if (!uv_is_closing((uv_handle_t *)&run->watch))
    uv_close((uv_handle_t *)&run->watch, NULL);
  mxc_driver_take_outcome(d, &run->res->client);
  mxc_mock_stop(run->mock, on_mock_closed, run);
  mxc_driver_close(d);
  run->driver = NULL;
}

/* The case as the client receives it: the scenario's client part, the real base URL. */
static int make_case(const mxc_scenario *sc, const char *base_url, const char *state_dir,
                     mxc_case *cs, char **case_json) {
  char err[300];
  cJSON *doc = mxc_case_to_json(&sc->client);
  if (!doc)
    return MXC_ENOMEM;
  cJSON_ReplaceItemInObject(doc, "base_url", cJSON_CreateString(base_url));
  cJSON_ReplaceItemInObject(doc, "scenario", cJSON_CreateString(sc->id));
  int rc = mxc_case_from_json(doc, cs, err, sizeof err);
  if (rc == 0) {
    cs->state_dir = mxc_strdup(state_dir);
    *case_json = cJSON_Print(doc);
    if (!cs->state_dir || !*case_json)
      rc = MXC_ENOMEM;
  }
  cJSON_Delete(doc);
  return rc;
}

static uint64_t deadline_for(const mxc_case *cs) {
  /* start-up, every attempt, the restart and a relaunch, each within the client's timeout */
  uint64_t steps = 2 + cs->nattempts + (cs->relaunch ? 1 : 0);
  return steps * (uint64_t)cs->timeout_ms + MXC_DRIVER_GRACE_MS;
}

static void judge(const mxc_scenario *sc, mxc_level level, mxc_scenario_result *res) {
  const char **passwords =
      calloc(sc->client.nattempts ? sc->client.nattempts : 1, sizeof *passwords);
  res->checks = calloc(sc->nexpect, sizeof *res->checks);
  if (!passwords || !res->checks) {
    free(passwords);
    res->internal_error = mxc_strdup("out of memory judging the scenario");
    res->verdict = MXC_VERDICT_ERROR;
    return;
  }
  for (size_t i = 0; i < sc->client.nattempts; i++)
    passwords[i] = sc->client.attempts[i].password;
  mxc_verdict_input in = {
      .report = res->client.report,
      .transcript = res->transcript,
      .navigation = sc->client.navigation,
      .passwords = passwords,
      .nattempts = sc->client.nattempts,
  };
  bool failed = false;
  for (size_t i = 0; i < sc->nexpect; i++) {
    if (mxc_verdict_check(&sc->expect[i], &in, &res->checks[res->nchecks]) != 0)
      continue;
    mxc_check_result *c = &res->checks[res->nchecks++];
    if (!c->passed && mxc_level_counts(c->level, level))
      failed = true;
  }
  free(passwords);
  if (res->client.error || res->internal_error || res->interrupted)
    res->verdict = MXC_VERDICT_ERROR;
  else
    res->verdict = failed ? MXC_VERDICT_FAIL : MXC_VERDICT_PASS;
}

/* Replaces each secret in s with asterisks, in place. */
static void redact_str(char *s, const char *const *secrets, size_t n) {
  for (size_t i = 0; i < n; i++)
    mxc_mask(s, secrets[i]);
}

static void redact_json(cJSON *v, const char *const *secrets, size_t n) {
  cJSON *it;
  if (cJSON_IsString(v))
    redact_str(v->valuestring, secrets, n);
  cJSON_ArrayForEach(it, v) redact_json(it, secrets, n);
}

/* Passwords never reach reports: whatever the client echoed is masked after judging. */
static void redact_result(const mxc_scenario *sc, mxc_scenario_result *res) {
  size_t n = 0;
  const char **secrets = calloc(sc->naccounts + sc->client.nattempts + 1, sizeof *secrets);
  if (!secrets)
    return;
  for (size_t i = 0; i < sc->naccounts; i++)
    secrets[n++] = sc->accounts[i].password;
  for (size_t i = 0; i < sc->client.nattempts; i++)
    secrets[n++] = sc->client.attempts[i].password;
  redact_json(res->client.report, secrets, n);
  redact_json(res->transcript, secrets, n);
  redact_str(res->client.stderr_tail, secrets, n);
  redact_str(res->client.error, secrets, n);
  for (size_t i = 0; i < res->nchecks; i++) {
    redact_str(res->checks[i].expected, secrets, n);
    redact_str(res->checks[i].seen, secrets, n);
  }
  free(secrets);
}

void mxc_judge_scenario(const mxc_scenario *sc, mxc_level level, mxc_scenario_result *res) {
  if (!res->transcript)
    res->transcript = cJSON_CreateObject();
  judge(sc, level, res);
  redact_result(sc, res);
}

int mxc_run_scenario(const mxc_scenario *sc, const mxc_run_options *opt, mxc_scenario_result *res) {
  int rc = 0;
  uv_loop_t loop;
  scenario_run run = {.res = res};
  mxc_case cs;
  memset(&cs, 0, sizeof cs);
  char *case_json = NULL, *case_path = NULL, *work = NULL, *state = NULL, *base_url = NULL;
  mxc_fault *faults = NULL; /* shallow copies: owned by the scenario and the options */
  mxc_tls_material *tls = NULL;
  uint64_t t0 = mxc_now_us();
  memset(res, 0, sizeof *res);
  res->sc = sc;
  res->client.exit_status = -1;

  char *tmp = mxc_tempdir_create("mxconform");
  if (!tmp) {
    res->internal_error = mxc_strdup("cannot create a temporary directory");
    rc = MXC_EIO;
    goto out_noloop;
  }
  work = mxc_asprintf("%s/work", tmp);
  state = mxc_asprintf("%s/state", tmp);
  case_path = mxc_asprintf("%s/case.json", tmp);
  if (!work || !state || !case_path || mkdir(work, 0700) != 0 || mkdir(state, 0700) != 0) {
    res->internal_error = mxc_strdup("cannot prepare the scenario's directories");
    rc = MXC_EIO;
    goto out_noloop;
  }
  uv_loop_init(&loop);
  /* the scenario's faults, then the run's (--fault) */
  faults = calloc(sc->nfaults + opt->nfaults + 1, sizeof *faults);
  if (!faults) {
    res->internal_error = mxc_strdup("out of memory");
    rc = MXC_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < sc->nfaults + opt->nfaults; i++)
    faults[i] = i < sc->nfaults ? sc->faults[i] : opt->faults[i - sc->nfaults];
  res->seed = mxc_seed_mix(opt->seed, sc->id);
  if (sc->https) { /* run-local certificates; ca.pem goes to the client as MXC_CA_FILE */
    rc = mxc_tls_material_create(tmp, &tls);
    if (rc) {
      res->internal_error = mxc_asprintf("cannot make TLS certificates: %s", mxc_strerror(rc));
      goto out;
    }
  }
  mxc_mock_config mcfg = {
      .host = "127.0.0.1",
      .port = 0,
      .runtime = sc->runtime,
      .faults = faults,
      .nfaults = sc->nfaults + opt->nfaults,
      .seed = res->seed,
      .tls = tls,
  };
  rc = mxc_mock_start(&loop, &mcfg, &run.mock);
  if (rc) {
    res->internal_error = mxc_asprintf("the mock did not start: %s", mxc_strerror(rc));
    goto out;
  }
  base_url = mxc_asprintf("%s://%s:%d/", tls ? "https" : "http",
                          mxc_client_host(faults, sc->nfaults + opt->nfaults, "127.0.0.1"),
                          mxc_mock_port(run.mock));
  rc = base_url ? make_case(sc, base_url, state, &cs, &case_json) : MXC_ENOMEM;
  if (rc == 0 && tls && !(cs.ca_file = mxc_strdup(mxc_tls_ca_file(tls))))
    rc = MXC_ENOMEM;
  if (rc == 0)
    rc = mxc_file_write_atomic(case_path, case_json, strlen(case_json));
  if (rc) {
    res->internal_error = mxc_asprintf("cannot write the case file: %s", mxc_strerror(rc));
    mxc_mock_stop(run.mock, on_mock_closed, &run);
    goto out;
  }
  res->deadline_ms = deadline_for(&cs);
  mxc_driver_spec spec = {
      .client_cmd = opt->client_cmd,
      .cs = &cs,
      .case_path = case_path,
      .workdir = work,
      .deadline_ms = res->deadline_ms,
  };
  rc = mxc_driver_start(&loop, &spec, on_client_done, &run, &run.driver);
  if (rc) {
    res->internal_error = mxc_asprintf("cannot start the client: %s", mxc_strerror(rc));
    mxc_mock_stop(run.mock, on_mock_closed, &run);
    goto out;
  }
  uv_timer_init(&loop, &run.watch);
  run.watch.data = &run;
  uv_timer_start(&run.watch, on_watch, 50, 50);
out:
  /* runs the scenario to its end, then until every handle has closed */
  while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
    ;
  if (run.mock) {
    res->transcript = mxc_mock_transcript_take(run.mock);
    mxc_mock_free(run.mock);
  }
  if (uv_loop_close(&loop) != 0 && !res->internal_error)
    res->internal_error = mxc_strdup("a libuv handle was left open");
  mxc_tls_material_free(tls); /* after the mock that used it */
out_noloop:
  if (!res->transcript)
    res->transcript = cJSON_CreateObject();
  mxc_judge_scenario(sc, opt->level, res);
  mxc_case_cleanup(&cs);
  free(faults);
  free(case_json);
  free(case_path);
  free(base_url);
  free(work);
  free(state);
  if (tmp) {
    mxc_tree_remove(tmp);
    free(tmp);
  }
  res->duration_ms = (double)(mxc_now_us() - t0) / 1000.0;
  return rc;
}

void mxc_run_count(mxc_run_result *run, const mxc_scenario_result *r) {
  mxc_outcome o = mxc_result_outcome(r);
  if (o == MXC_OUTCOME_XFAIL)
    run->skipped++;
  else if (o == MXC_OUTCOME_PASS)
    run->passed++;
  else
    run->failed++;
  if (o == MXC_OUTCOME_ERROR)
    run->errors++;
}

/* Scenarios run on worker threads, each wholly on its own loop; results come back in
 * catalog order. */
typedef struct pool {
  const mxc_catalog *cat;
  const mxc_run_options *opt;
  const size_t *picked; /* catalog indices of the selected scenarios */
  size_t total;
  mxc_scenario_result *results;
  bool *done;
  bool *not_run; /* skipped because of an interrupt */
  size_t next;
  uv_mutex_t mu;
  uv_cond_t cv;
} pool;

static void worker(void *arg) {
  pool *p = arg;
  for (;;) {
    uv_mutex_lock(&p->mu);
    if (interrupted_by) { /* what has not started will not: the reports say so */
      for (; p->next < p->total; p->next++) {
        p->not_run[p->next] = true;
        p->done[p->next] = true;
      }
      uv_cond_broadcast(&p->cv);
    }
    size_t k = p->next < p->total ? p->next++ : p->total;
    uv_mutex_unlock(&p->mu);
    if (k == p->total)
      return;
    size_t position = p->results[k].position; /* mxc_run_scenario starts from zero */
    mxc_run_scenario(&p->cat->items[p->picked[k]], p->opt, &p->results[k]);
    p->results[k].position = position;
    uv_mutex_lock(&p->mu);
    p->done[k] = true;
    uv_cond_broadcast(&p->cv);
    uv_mutex_unlock(&p->mu);
  }
}

int mxc_run(const mxc_catalog *cat, const mxc_run_options *opt, mxc_run_result *out) {
  uint64_t t0 = mxc_now_us();
  int rc = 0;
  memset(out, 0, sizeof *out);
  out->client_desc = opt->client_cmd ? opt->client_cmd : "built-in reference client";
  out->level = opt->level;
  out->seed = opt->seed;
  out->filter = opt->filter;
  out->shard_k = opt->shard_k;
  out->shard_n = opt->shard_n;
  out->started = (int64_t)time(NULL);
  pool p = {.cat = cat, .opt = opt};
  size_t *picked = calloc(cat->n ? cat->n : 1, sizeof *picked);
  p.done = calloc(cat->n ? cat->n : 1, sizeof *p.done);
  p.not_run = calloc(cat->n ? cat->n : 1, sizeof *p.not_run);
  out->results = calloc(cat->n ? cat->n : 1, sizeof *out->results);
  if (!picked || !p.done || !p.not_run || !out->results) {
    rc = MXC_ENOMEM;
    goto out;
  }
  /* shards partition the filtered selection round-robin, in catalog order: every machine of a
   * CI matrix computes the same split */
  size_t nth = 0;
  for (size_t i = 0; i < cat->n; i++) {
    if (!mxc_scenario_selected(&cat->items[i], opt->filter))
      continue;
    size_t position = nth++;
    if (opt->shard_n == 0 || position % opt->shard_n == opt->shard_k - 1) {
      out->results[p.total].position = position;
      picked[p.total++] = i;
    }
  }
  out->selection_total = nth;
  p.picked = picked;
  p.results = out->results;
  size_t jobs = opt->jobs ? opt->jobs : 1;
  if (jobs > p.total)
    jobs = p.total ? p.total : 1;
  uv_thread_t threads[MXC_RUN_MAX_JOBS];
  if (jobs > MXC_RUN_MAX_JOBS)
    jobs = MXC_RUN_MAX_JOBS;
  uv_mutex_init(&p.mu);
  uv_cond_init(&p.cv);
  size_t started = 0;
  for (; started < jobs; started++)
    if (uv_thread_create(&threads[started], worker, &p) != 0)
      break;
  if (started == 0)
    worker(&p); /* no thread could start: run them here */
  for (size_t k = 0; k < p.total; k++) {
    uv_mutex_lock(&p.mu);
    while (!p.done[k])
      uv_cond_wait(&p.cv, &p.mu);
    uv_mutex_unlock(&p.mu);
    if (p.not_run[k]) {
      out->incomplete = true;
      continue;
    }
    if (out->results[k].interrupted)
      out->incomplete = true;
    out->n++;
    if (opt->on_result) /* it may mark the result (baselines): counted after */
      opt->on_result(&out->results[k], k, p.total, opt->on_result_arg);
    mxc_run_count(out, &out->results[k]);
  }
  for (size_t t = 0; t < started; t++)
    uv_thread_join(&threads[t]);
  uv_cond_destroy(&p.cv);
  uv_mutex_destroy(&p.mu);
out:
  out->selected = p.total;
  free(picked);
  free(p.done);
  free(p.not_run);
  out->duration_ms = (double)(mxc_now_us() - t0) / 1000.0;
  return rc;
}
