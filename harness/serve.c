/* `mxconform serve`: the mock runtime on its own, for clients the harness cannot launch. */
#include "harness/serve.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/agents.h"
#include "harness/cli.h"
#include "harness/scenario.h"
#include "mocks/control.h"
#include "mocks/server.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static const char serve_usage[] =
    "usage: mxconform serve [--listen ADDR:PORT] [--accounts FILE] [--scenario ID]\n"
    "                       [--scenarios DIR] [--transcript FILE]\n"
    "\n"
    "Runs the mock Mendix runtime alone until SIGINT or SIGTERM, for clients the harness\n"
    "cannot launch (a real app on an emulator or device). Prints 'listening on URL' on\n"
    "stdout once it accepts connections. The control API lives under /_mxconform/ on the\n"
    "same port (docs/serve.md).\n"
    "\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:0, any free port); an address\n"
    "                      other than loopback is used only when given here explicitly\n"
    "  --accounts FILE     a JSON list of {\"username\", \"password\", \"roles\", \"active\"}\n"
    "                      (default: alice/s3cret User, root/toor Administrator, bob/hunter2\n"
    "                      User inactive)\n"
    "  --scenario ID       arm this catalog scenario at start (its accounts, runtime settings\n"
    "                      and faults; --accounts overrides its accounts)\n"
    "  --scenarios DIR     the scenario catalog (default: " MXC_SOURCE_DIR "/scenarios)\n"
    "  --transcript FILE   write the transcript as JSON to FILE when stopping\n"
    "  --fault SPEC        a fault, MATCH:KIND[:PARAM=VALUE,...] (repeatable; kept when a\n"
    "                      scenario is armed; 'mxconform faults' lists the kinds)\n"
    "  --seed N            seed of the random fault schedule (default: from the clock)\n"
    "  --agents DIR        run the catalog for agents (apps on devices): GET /_mxconform/next\n"
    "                      ?agent=NAME gives the next case (each with its own mock), POST\n"
    "                      /_mxconform/result?agent=NAME takes its result line; each agent's\n"
    "                      reports go to DIR/NAME.junit.xml, .json, .tap and .html\n"
    "                      (docs/adapters.md); HTTPS cases are signed by a run-local CA that\n"
    "                      GET /_mxconform/ca.pem answers\n"
    "  --filter GLOB, --level LEVEL  with --agents, as for run\n"
    "  --agent-timeout S   with --agents: a case whose result has not come S seconds after it\n"
    "                      was handed out is a client error (timed out), and the agent's next\n"
    "                      GET gets the next case (default 300; 0: wait for ever)\n"
    "  --public-host HOST  with --agents: the host agents must use to reach this machine\n"
    "  --tls               serve HTTPS with run-local certificates; the ready line names the CA\n"
    "                      bundle to trust: 'listening on https://HOST:PORT/ ca=PATH'\n";

typedef struct serve_state {
  uv_loop_t *loop;
  mxc_mock *mock;
  mxc_catalog catalog;
  bool have_catalog;
  mxc_account *accounts; /* from --accounts, or the defaults */
  size_t naccounts;
  bool accounts_given;
  uv_signal_t sigint, sigterm;
  const char *transcript_path;
  int exit_code;
  mxc_fault cli_faults[32]; /* --fault */
  size_t ncli_faults;
  mxc_fault plan[96]; /* shallow: a scenario's faults, then --fault's */
  uint64_t seed;
  bool tls;
  char *tls_dir; /* private: ca.pem lives here while serving */
  mxc_tls_material *tls_material;
  mxc_agents *agents; /* --agents DIR: the agent flow */
} serve_state;

static char *r_user[] = {"User"};
static char *r_admin[] = {"Administrator"};
static mxc_account default_accounts[] = {
    {.username = "alice", .password = "s3cret", .roles = r_user, .nroles = 1, .active = true},
    {.username = "root", .password = "toor", .roles = r_admin, .nroles = 1, .active = true},
    {.username = "bob", .password = "hunter2", .roles = r_user, .nroles = 1, .active = false},
};

static const mxc_scenario *find_scenario(const serve_state *st, const char *id) {
  if (!st->have_catalog)
    return NULL;
  for (size_t i = 0; i < st->catalog.n; i++)
    if (strcmp(st->catalog.items[i].id, id) == 0)
      return &st->catalog.items[i];
  return NULL;
}

/* The mock configuration for a scenario (or none): accounts from --accounts win; faults are
 * the scenario's, then --fault's. */
static mxc_mock_config config_for(serve_state *st, const mxc_scenario *sc) {
  mxc_mock_config cfg = {.seed = st->seed};
  size_t n = 0;
  if (sc) {
    cfg.runtime = sc->runtime;
    cfg.scenario_id = sc->id;
    for (size_t i = 0; i < sc->nfaults && n < 64; i++)
      st->plan[n++] = sc->faults[i];
  }
  for (size_t i = 0; i < st->ncli_faults; i++)
    st->plan[n++] = st->cli_faults[i];
  cfg.faults = st->plan;
  cfg.nfaults = n;
  if (!sc || st->accounts_given) {
    cfg.runtime.accounts = st->accounts;
    cfg.runtime.naccounts = st->naccounts;
  }
  return cfg;
}

static int arm(mxc_mock *m, const char *id, void *arg, char *err, size_t errlen) {
  serve_state *st = arg;
  const mxc_scenario *sc = find_scenario(st, id);
  if (!sc) {
    snprintf(err, errlen, "no scenario with id '%s'", id);
    return MXC_EINVAL;
  }
  mxc_mock_config cfg = config_for(st, sc);
  int rc = mxc_mock_reset(m, &cfg);
  if (rc)
    snprintf(err, errlen, "%s", mxc_strerror(rc));
  else
    fprintf(stderr, "mxconform serve: armed scenario %s\n", id);
  return rc;
}

static void on_stopped(mxc_mock *m, void *arg) {
  serve_state *st = arg;
  if (st->transcript_path) {
    char *text = cJSON_Print(mxc_mock_transcript(m));
    int rc = text ? mxc_file_write_atomic(st->transcript_path, text, strlen(text)) : MXC_ENOMEM;
    free(text);
    if (rc) {
      fprintf(stderr, "mxconform serve: cannot write %s: %s\n", st->transcript_path,
              mxc_strerror(rc));
      st->exit_code = MXC_EXIT_INTERNAL;
    } else {
      fprintf(stderr, "mxconform serve: transcript written to %s\n", st->transcript_path);
    }
  }
}

static void on_signal(uv_signal_t *h, int signum) {
  serve_state *st = h->data;
  fprintf(stderr, "mxconform serve: %s, stopping\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
  uv_close((uv_handle_t *)&st->sigint, NULL);
  uv_close((uv_handle_t *)&st->sigterm, NULL);
  mxc_agents_close(st->agents);
  mxc_mock_stop(st->mock, on_stopped, st);
}

/* "HOST:PORT", "[V6]:PORT". */
static int parse_listen(const char *s, char *host, size_t hostlen, int *port) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s)
    return MXC_EINVAL;
  const char *h = s;
  size_t hlen = (size_t)(colon - s);
  if (*h == '[') {
    if (hlen < 3 || h[hlen - 1] != ']')
      return MXC_EINVAL;
    h++;
    hlen -= 2;
  }
  if (hlen >= hostlen)
    return MXC_EINVAL;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (!colon[1] || *end || p < 0 || p > 65535)
    return MXC_EINVAL;
  *port = (int)p;
  return 0;
}

static int load_accounts_file(serve_state *st, const char *path) {
  char *text = NULL, *err = NULL;
  size_t len = 0;
  int rc = mxc_file_read(path, MXC_SCENARIO_MAX_FILE, &text, &len);
  if (rc) {
    fprintf(stderr, "mxconform serve: %s: cannot read: %s\n", path, mxc_strerror(rc));
    return MXC_EXIT_USAGE;
  }
  rc = mxc_accounts_parse(path, text, len, &st->accounts, &st->naccounts, &err);
  free(text);
  if (rc) {
    fprintf(stderr, "mxconform serve: %s\n", err ? err : path);
    free(err);
    return MXC_EXIT_USAGE;
  }
  st->accounts_given = true;
  return -1;
}

static int serve_exit(serve_state *st, int code) {
  for (size_t i = 0; i < st->ncli_faults; i++)
    mxc_fault_cleanup(&st->cli_faults[i]);
  st->ncli_faults = 0;
  return code;
}

int mxc_serve_main(int argc, char **argv) {
  const char *listen = NULL, *accounts = NULL, *scenario = NULL;
  const char *agents_dir = NULL, *filter = NULL, *level_text = "must", *public_host = NULL;
  uint64_t agent_timeout_ms = 300000;
  const char *dir = MXC_SOURCE_DIR "/scenarios";
  static serve_state st; /* large: not on the stack */
  st = (serve_state){.exit_code = MXC_EXIT_PASS,
                     .accounts = default_accounts,
                     .naccounts = sizeof default_accounts / sizeof default_accounts[0]};
  bool seed_given = false;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(serve_usage, stdout);
      return MXC_EXIT_PASS;
    }
    if (strcmp(a, "--tls") == 0) {
      st.tls = true;
      continue;
    }
    if ((strcmp(a, "--fault") == 0 || strcmp(a, "--seed") == 0) && !v) {
      fprintf(stderr, "mxconform serve: option '%s' needs a value\n", a);
      return serve_exit(&st, MXC_EXIT_USAGE);
    }
    if (strcmp(a, "--fault") == 0) {
      int rc = mxc_cli_fault(v, st.cli_faults, &st.ncli_faults,
                             sizeof st.cli_faults / sizeof st.cli_faults[0]);
      if (rc >= 0)
        return serve_exit(&st, rc);
      if (mxc_fault_stage_of(st.cli_faults[st.ncli_faults - 1].kind) == MXC_STAGE_HARNESS) {
        fprintf(stderr,
                "mxconform serve: --fault '%s': this kind acts on the client's URL, "
                "which serve does not hand out\n",
                v);
        return serve_exit(&st, MXC_EXIT_USAGE);
      }
      i++;
      continue;
    }
    if (strcmp(a, "--agent-timeout") == 0) {
      char *end = NULL;
      double secs = v ? strtod(v, &end) : 0;
      if (!v || !*v || *end || !(secs >= 0) || secs > 86400) {
        fprintf(stderr,
                "mxconform serve: --agent-timeout wants seconds from 0 (none) to 86400, got "
                "'%s'\n",
                v ? v : "");
        return serve_exit(&st, MXC_EXIT_USAGE);
      }
      agent_timeout_ms = (uint64_t)(secs * 1000.0 + 0.5);
      i++;
      continue;
    }
    if (strcmp(a, "--seed") == 0) {
      if (mxc_cli_seed(v, &st.seed) != 0) {
        fprintf(stderr, "mxconform serve: --seed wants a whole number, got '%s'\n", v);
        return serve_exit(&st, MXC_EXIT_USAGE);
      }
      seed_given = true;
      i++;
      continue;
    }
    const char **slot = strcmp(a, "--listen") == 0        ? &listen
                        : strcmp(a, "--accounts") == 0    ? &accounts
                        : strcmp(a, "--scenario") == 0    ? &scenario
                        : strcmp(a, "--scenarios") == 0   ? &dir
                        : strcmp(a, "--transcript") == 0  ? &st.transcript_path
                        : strcmp(a, "--agents") == 0      ? &agents_dir
                        : strcmp(a, "--filter") == 0      ? &filter
                        : strcmp(a, "--level") == 0       ? &level_text
                        : strcmp(a, "--public-host") == 0 ? &public_host
                                                          : NULL;
    if (!slot) {
      fprintf(stderr, "mxconform serve: unknown option '%s'\nTry 'mxconform serve --help'.\n", a);
      return serve_exit(&st, MXC_EXIT_USAGE);
    }
    if (!v) {
      fprintf(stderr, "mxconform serve: option '%s' needs a value\n", a);
      return serve_exit(&st, MXC_EXIT_USAGE);
    }
    *slot = v;
    i++;
  }
  char host[128] = "127.0.0.1";
  int port = 0;
  if (listen && parse_listen(listen, host, sizeof host, &port) != 0) {
    fprintf(
        stderr,
        "mxconform serve: --listen wants ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got '%s'\n",
        listen);
    return serve_exit(&st, MXC_EXIT_USAGE);
  }
  int rc;
  if (accounts && (rc = load_accounts_file(&st, accounts)) >= 0)
    return serve_exit(&st, rc);
  if (!seed_given)
    st.seed = mxc_cli_clock_seed();
  fprintf(stderr, "mxconform serve: seed %llu\n", (unsigned long long)st.seed);
  char *errors = NULL;
  if (mxc_catalog_load(dir, &st.catalog, &errors) == 0) {
    st.have_catalog = true;
  } else if (scenario) {
    fprintf(stderr, "mxconform serve: invalid scenarios:\n%s", errors ? errors : "");
    free(errors);
    st.exit_code = MXC_EXIT_USAGE;
    goto out;
  } else {
    fprintf(stderr, "mxconform serve: no usable scenario catalog in %s: arming is off\n", dir);
  }
  free(errors);
  const mxc_scenario *sc = NULL;
  if (scenario && !(sc = find_scenario(&st, scenario))) {
    fprintf(stderr, "mxconform serve: no scenario with id '%s' (see 'mxconform list')\n", scenario);
    st.exit_code = MXC_EXIT_USAGE;
    goto out;
  }
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t loop;
  uv_loop_init(&loop);
  st.loop = &loop;
  mxc_mock_config cfg = config_for(&st, sc);
  cfg.host = host;
  cfg.port = port;
  cfg.control.enabled = true;
  if (st.tls) {
    st.tls_dir = mxc_tempdir_create("mxconform-serve-tls");
    rc = st.tls_dir ? mxc_tls_material_create(st.tls_dir, &st.tls_material) : MXC_EIO;
    if (rc) {
      fprintf(stderr, "mxconform serve: cannot make TLS certificates: %s\n", mxc_strerror(rc));
      st.exit_code = MXC_EXIT_INTERNAL;
      uv_loop_close(&loop);
      goto out;
    }
    cfg.tls = st.tls_material;
  }
  cfg.control.arm = st.have_catalog ? arm : NULL;
  cfg.control.arm_arg = &st;
  if (agents_dir) {
    int level = mxc_level_parse(level_text);
    if (level < 0 || !st.have_catalog || (mkdir(agents_dir, 0755) != 0 && errno != EEXIST)) {
      fprintf(stderr,
              "mxconform serve: --agents needs a usable catalog, a writable DIR (%s) "
              "and --level must|should|all\n",
              agents_dir);
      st.exit_code = MXC_EXIT_USAGE;
      uv_loop_close(&loop);
      goto out;
    }
    mxc_agents_config acfg = {.cat = &st.catalog,
                              .filter = filter,
                              .level = (mxc_level)level,
                              .host = host,
                              .public_host = public_host ? public_host : host,
                              .reports_dir = agents_dir,
                              .seed = st.seed,
                              .case_timeout_ms = agent_timeout_ms};
    st.agents = mxc_agents_new(&loop, &acfg);
    if (!st.agents) {
      fprintf(stderr, "mxconform serve: cannot set up the agent flow (out of memory, or the "
                      "HTTPS certificates could not be made)\n");
      st.exit_code = MXC_EXIT_INTERNAL;
      uv_loop_close(&loop);
      goto out;
    }
    cfg.control.agent_next = mxc_agents_next;
    cfg.control.agent_result = mxc_agents_result;
    cfg.control.agent_ca = mxc_agents_ca;
    cfg.control.agent_arg = st.agents;
  }
  rc = mxc_mock_start(&loop, &cfg, &st.mock);
  if (rc) {
    fprintf(stderr, "mxconform serve: cannot listen on %s:%d: %s\n", host, port, mxc_strerror(rc));
    st.exit_code = rc == UV_EADDRINUSE || rc == UV_EADDRNOTAVAIL || rc == UV_EINVAL
                       ? MXC_EXIT_USAGE
                       : MXC_EXIT_INTERNAL;
  } else {
    uv_signal_init(&loop, &st.sigint);
    uv_signal_init(&loop, &st.sigterm);
    st.sigint.data = st.sigterm.data = &st;
    uv_signal_start(&st.sigint, on_signal, SIGINT);
    uv_signal_start(&st.sigterm, on_signal, SIGTERM);
    bool v6 = strchr(host, ':') != NULL;
    printf("listening on %s://%s%s%s:%d/", st.tls ? "https" : "http", v6 ? "[" : "", host,
           v6 ? "]" : "", mxc_mock_port(st.mock));
    if (st.tls)
      printf(" ca=%s", mxc_tls_ca_file(st.tls_material));
    printf("\n");
    fflush(stdout);
    if (sc)
      fprintf(stderr, "mxconform serve: armed scenario %s\n", sc->id);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
    ;
  if (st.agents) { /* judge what is left, write the reports, close the last handle */
    mxc_agents_finish(st.agents);
    while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
      ;
  }
  mxc_mock_free(st.mock);
  uv_loop_close(&loop);
out:
  mxc_tls_material_free(st.tls_material);
  if (st.tls_dir) { /* the CA bundle goes with the run */
    mxc_tree_remove(st.tls_dir);
    free(st.tls_dir);
  }
  if (st.accounts_given)
    mxc_accounts_free(st.accounts, st.naccounts);
  mxc_catalog_cleanup(&st.catalog);
  return serve_exit(&st, st.exit_code);
}
