/* The agent flow of `mxconform serve --agents DIR`: cases handed out over the control API,
 * results posted back, each judged on the agent's report and its own mock's transcript. */
#include "harness/agents.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/result.h"
#include "harness/driver.h"
#include "harness/runner.h"
#include "mocks/server.h"
#include "mocks/tls.h"
#include "reports/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_AGENTS 32

typedef struct agent_case {
  struct mxc_agents *owner;
  struct agent *agent;
  size_t k;         /* index into the agent's results */
  mxc_mock *mock;   /* this case's own runtime */
  bool result_in;   /* the agent posted its result (or its time ran out) */
  bool stopping;    /* its mock was asked to stop */
  bool mock_closed; /* stopped: the transcript can be taken */
  uint64_t started_us;
  uv_timer_t deadline; /* --agent-timeout: a case without a result ends as an error */
} agent_case;

typedef struct agent {
  char name[72];
  size_t next;     /* next selected scenario to hand out */
  agent_case *cur; /* the case in progress, or NULL */
  mxc_run_result run;
  bool reported;
} agent;

struct mxc_agents {
  uv_loop_t *loop;
  mxc_agents_config cfg;
  const mxc_scenario **selected;
  size_t nselected;
  agent agents[MAX_AGENTS];
  size_t nagents;
  uv_timer_t reaper; /* frees closed case mocks outside their callbacks */
  bool closing;
  /* HTTPS cases: one run-local CA for the whole serve; agents fetch its certificate from
   * GET /_mxconform/ca.pem and trust it (MXC_CA_FILE for an adapter) */
  char *tls_dir;
  mxc_tls_material *tls;
  char *ca_pem;
};

static int answer_error(mxc_http_response *res, int status, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  if (o)
    cJSON_AddStringToObject(o, "error", msg);
  return mxc_http_response_json(res, status, o);
}

/* The certificates of the HTTPS cases, valid for the host agents are told to use. */
static int tls_setup(mxc_agents *a) {
  a->tls_dir = mxc_tempdir_create("mxconform-agents");
  if (!a->tls_dir)
    return MXC_EIO;
  int rc = mxc_tls_material_create_for(a->tls_dir, a->cfg.public_host, &a->tls);
  if (!rc)
    rc = mxc_file_read(mxc_tls_ca_file(a->tls), 1u << 20, &a->ca_pem, NULL);
  return rc;
}

static void tls_cleanup(mxc_agents *a) {
  mxc_tls_material_free(a->tls); /* after every case mock was freed */
  if (a->tls_dir)
    mxc_tree_remove(a->tls_dir);
  free(a->tls_dir);
  free(a->ca_pem);
}

mxc_agents *mxc_agents_new(uv_loop_t *loop, const mxc_agents_config *cfg) {
  mxc_agents *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->loop = loop;
  a->cfg = *cfg;
  a->selected = calloc(cfg->cat->n ? cfg->cat->n : 1, sizeof *a->selected);
  if (!a->selected) {
    free(a);
    return NULL;
  }
  bool https = false;
  for (size_t i = 0; i < cfg->cat->n; i++) {
    const mxc_scenario *sc = &cfg->cat->items[i];
    if (mxc_scenario_selected(sc, cfg->filter)) {
      a->selected[a->nselected++] = sc;
      https |= sc->https;
    }
  }
  if (https && tls_setup(a) != 0) {
    tls_cleanup(a);
    free(a->selected);
    free(a);
    return NULL;
  }
  uv_timer_init(loop, &a->reaper);
  a->reaper.data = a;
  return a;
}

static agent *agent_get(mxc_agents *a, const char *name) {
  for (size_t i = 0; i < a->nagents; i++)
    if (strcmp(a->agents[i].name, name) == 0)
      return &a->agents[i];
  if (a->nagents == MAX_AGENTS)
    return NULL;
  agent *g = &a->agents[a->nagents];
  memset(g, 0, sizeof *g);
  snprintf(g->name, sizeof g->name, "%s", name);
  g->run.results = calloc(a->nselected ? a->nselected : 1, sizeof *g->run.results);
  if (!g->run.results)
    return NULL;
  g->run.client_desc = g->name;
  g->run.agent = g->name;
  g->run.level = a->cfg.level;
  g->run.seed = a->cfg.seed;
  g->run.selected = a->nselected;
  g->run.selection_total = a->nselected;
  g->run.filter = a->cfg.filter;
  g->run.started = (int64_t)time(NULL);
  a->nagents++;
  return g;
}

static void write_reports(mxc_agents *a, agent *g) {
  if (g->reported)
    return;
  g->reported = true;
  char *junit = mxc_asprintf("%s/%s.junit.xml", a->cfg.reports_dir, g->name);
  char *json = mxc_asprintf("%s/%s.json", a->cfg.reports_dir, g->name);
  char *tap = mxc_asprintf("%s/%s.tap", a->cfg.reports_dir, g->name);
  char *html = mxc_asprintf("%s/%s.html", a->cfg.reports_dir, g->name);
  const mxc_run_result *runs[] = {&g->run};
  const mxc_report_paths paths = {junit, tap, json, html};
  fprintf(stderr, "mxconform serve: agent %s: %zu passed, %zu failed%s\n", g->name, g->run.passed,
          g->run.failed, g->run.incomplete ? " (incomplete)" : "");
  if (!junit || !json || !tap || !html)
    fprintf(stderr, "mxconform serve: agent %s: cannot write its reports: %s\n", g->name,
            mxc_strerror(MXC_ENOMEM));
  else
    mxc_reports_write(&paths, runs, 1, stderr);
  free(junit);
  free(json);
  free(tap);
  free(html);
}

static void free_case(uv_handle_t *h) { free(h->data); }

/* A case whose result arrived and whose mock has closed: judge it, free the mock. */
static void case_finish(mxc_agents *a, agent_case *c) {
  agent *g = c->agent;
  mxc_scenario_result *r = &g->run.results[c->k];
  r->transcript = mxc_mock_transcript_take(c->mock);
  mxc_mock_free(c->mock);
  r->duration_ms = (double)(mxc_now_us() - c->started_us) / 1000.0;
  if (!c->result_in) { /* stopped before the agent answered */
    r->interrupted = true;
    if (!r->client.error)
      r->client.error = mxc_strdup("no result: serve stopped before the agent posted it");
    g->run.incomplete = true;
  }
  mxc_judge_scenario(r->sc, a->cfg.level, r);
  g->run.n++;
  mxc_run_count(&g->run, r);
  g->cur = NULL;
  uv_close((uv_handle_t *)&c->deadline, free_case); /* the case goes with its timer */
  if (g->run.n == a->nselected)
    write_reports(a, g);
}

static void on_reap(uv_timer_t *t) {
  mxc_agents *a = t->data;
  for (size_t i = 0; i < a->nagents; i++) {
    agent_case *c = a->agents[i].cur;
    if (c && c->mock_closed)
      case_finish(a, c);
  }
}

static void on_case_mock_closed(mxc_mock *m, void *arg) {
  agent_case *c = arg;
  (void)m;
  c->mock_closed = true; /* freed from the reaper: the mock is still on the stack here */
  uv_timer_start(&c->owner->reaper, on_reap, 0, 0);
}

/* Stops the case's mock once (its transcript is then complete) and its deadline. */
static void case_stop(agent_case *c) {
  uv_timer_stop(&c->deadline);
  if (c->stopping)
    return;
  c->stopping = true;
  mxc_mock_stop(c->mock, on_case_mock_closed, c);
}

/* The agent took its case and posted nothing in time (a hung or dead app): the case ends as
 * a client error, and the agent's next GET gets the next case. */
static void on_case_deadline(uv_timer_t *t) {
  agent_case *c = t->data;
  if (c->result_in)
    return;
  mxc_scenario_result *r = &c->agent->run.results[c->k];
  r->client.timed_out = true;
  r->client.error = mxc_asprintf("no result within %llu ms (serve --agent-timeout)",
                                 (unsigned long long)c->owner->cfg.case_timeout_ms);
  r->client.duration_ms = (double)(mxc_now_us() - c->started_us) / 1000.0;
  c->result_in = true;
  case_stop(c);
}

/* GET /_mxconform/next?agent=NAME: the case in progress again, the next one with its own
 * mock, or 204 when the agent has run them all. */
int mxc_agents_next(const char *name, const char *body, size_t len, void *arg,
                    mxc_http_response *res) {
  mxc_agents *a = arg;
  (void)body;
  (void)len;
  if (a->closing)
    return answer_error(res, 503, "serve is stopping");
  agent *g = agent_get(a, name);
  if (!g)
    return answer_error(res, 503, "too many agents");
  if (!g->cur && g->next == a->nselected) {
    write_reports(a, g);
    res->status = 204; /* done */
    return 0;
  }
  if (g->cur && g->cur->result_in)
    return answer_error(res, 409, "the last result is still being judged: ask again");
  const mxc_scenario *sc = a->selected[g->cur ? g->cur->k : g->next];
  if (!g->cur) {
    agent_case *c = calloc(1, sizeof *c);
    if (!c)
      return MXC_ENOMEM;
    c->owner = a;
    c->agent = g;
    c->k = g->next;
    c->started_us = mxc_now_us();
    mxc_scenario_result *r = &g->run.results[c->k];
    memset(r, 0, sizeof *r);
    r->sc = sc;
    r->position = c->k;
    r->client.exit_status = -1;
    r->seed = mxc_seed_mix(a->cfg.seed, sc->id);
    mxc_mock_config mcfg = {.host = a->cfg.host,
                            .runtime = sc->runtime,
                            .faults = sc->faults,
                            .nfaults = sc->nfaults,
                            .seed = r->seed,
                            .scenario_id = sc->id,
                            .tls = sc->https ? a->tls : NULL};
    int rc = mxc_mock_start(a->loop, &mcfg, &c->mock);
    if (rc) {
      free(c);
      return answer_error(res, 500, mxc_strerror(rc));
    }
    uv_timer_init(a->loop, &c->deadline);
    c->deadline.data = c;
    r->deadline_ms = a->cfg.case_timeout_ms;
    if (a->cfg.case_timeout_ms)
      uv_timer_start(&c->deadline, on_case_deadline, a->cfg.case_timeout_ms, 0);
    g->cur = c;
    g->next++;
  }
  /* the case file's form, with the base URL of this case's mock */
  cJSON *doc = mxc_case_to_json(&sc->client);
  if (!doc)
    return MXC_ENOMEM;
  char url[300];
  snprintf(url, sizeof url, "%s://%s:%d/", sc->https ? "https" : "http",
           mxc_client_host(sc->faults, sc->nfaults, a->cfg.public_host),
           mxc_mock_port(g->cur->mock));
  cJSON_ReplaceItemInObject(doc, "base_url", cJSON_CreateString(url));
  cJSON_ReplaceItemInObject(doc, "scenario", cJSON_CreateString(sc->id));
  return mxc_http_response_json(res, 200, doc);
}

/* POST /_mxconform/result?agent=NAME: the result line of the case in progress. */
int mxc_agents_result(const char *name, const char *body, size_t len, void *arg,
                      mxc_http_response *res) {
  mxc_agents *a = arg;
  agent *g = agent_get(a, name);
  if (!g || !g->cur || g->cur->result_in)
    return answer_error(res, 409, "no case in progress for this agent: GET next first");
  agent_case *c = g->cur;
  mxc_scenario_result *r = &g->run.results[c->k];
  const char *why = NULL;
  r->client.report = mxc_driver_parse_result(body ? body : "", len, &why);
  if (!r->client.report)
    r->client.error = mxc_asprintf("no valid result: %s", why);
  else
    r->client.exit_status = 0;
  r->client.duration_ms = (double)(mxc_now_us() - c->started_us) / 1000.0;
  c->result_in = true;
  case_stop(c);
  cJSON *o = cJSON_CreateObject();
  if (o) {
    cJSON_AddStringToObject(o, "scenario", r->sc->id);
    cJSON_AddBoolToObject(o, "accepted", r->client.report != NULL);
    if (why)
      cJSON_AddStringToObject(o, "error", why);
  }
  return mxc_http_response_json(res, 200, o);
}

/* GET /_mxconform/ca.pem: the run-local CA of the HTTPS cases, as PEM. */
int mxc_agents_ca(const char *name, const char *body, size_t len, void *arg,
                  mxc_http_response *res) {
  mxc_agents *a = arg;
  (void)name;
  (void)body;
  (void)len;
  if (!a->ca_pem)
    return answer_error(res, 404, "no HTTPS case is selected: there is no CA to trust");
  res->status = 200;
  res->body = mxc_strdup(a->ca_pem);
  res->body_len = strlen(a->ca_pem);
  if (!res->body)
    return MXC_ENOMEM;
  int rc = mxc_http_response_add_header(res, "Content-Type: application/x-pem-file");
  return rc ? rc : mxc_http_response_add_header(res, "Cache-Control: no-store");
}

static void reaper_closed(uv_handle_t *h) {
  mxc_agents *a = h->data;
  for (size_t i = 0; i < a->nagents; i++)
    mxc_run_result_cleanup(&a->agents[i].run);
  tls_cleanup(a);
  free(a->selected);
  free(a);
}

void mxc_agents_close(mxc_agents *a) {
  if (!a)
    return;
  a->closing = true;
  /* cases in progress: stop their mocks; the reaper finishes them, then reports */
  for (size_t i = 0; i < a->nagents; i++) {
    agent *g = &a->agents[i];
    if (g->cur)
      case_stop(g->cur);
  }
}

void mxc_agents_finish(mxc_agents *a) {
  if (!a)
    return;
  on_reap(&a->reaper);
  for (size_t i = 0; i < a->nagents; i++) {
    agent *g = &a->agents[i];
    if (g->run.n < a->nselected)
      g->run.incomplete = true;
    write_reports(a, g);
  }
  uv_close((uv_handle_t *)&a->reaper, reaper_closed);
}
