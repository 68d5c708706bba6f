/* Command-line parsing and the run / list commands. */
#include "harness/cli.h"

#include "common/mxc_error.h"
#include "harness/baseline.h"
#include "harness/runner.h"
#include "harness/selftest.h"
#include "harness/serve.h"
#include "harness/merge.h"
#include "reports/report.h"

#include "common/mxc_util.h"

#include <curl/curl.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: mxconform run [options]     run the conformance scenarios against a client\n"
    "       mxconform list [options]    list the scenarios and the rules they test\n"
    "       mxconform serve [options]   run the mock runtime alone ('mxconform serve --help')\n"
    "       mxconform merge [options] REPORT.json...\n"
    "                                   join JSON reports: shards of one run, or agents side by\n"
    "                                   side ('mxconform merge --help')\n"
    "       mxconform faults            the fault kinds and their parameters\n"
    "       mxconform selftest          the catalog against the reference client and its\n"
    "                                   deliberate defects ('mxconform selftest --help')\n"
    "       mxconform --help | --version\n"
    "\n"
    "run options:\n"
    "  --client-cmd CMD   run CMD through /bin/sh -c once per scenario (the adapter contract of\n"
    "                     PROTOCOL.md section 3); without it the built-in reference client runs\n"
    "  --filter GLOB      only scenarios whose ID, rule ID or rule group matches GLOB\n"
    "  --level LEVEL      must (default), should or all: the rule levels whose failures fail\n"
    "                     the run (INFO never fails)\n"
    "  --junit FILE       also write a JUnit XML report to FILE\n"
    "  --tap FILE         also write a TAP 14 report to FILE\n"
    "  --json FILE        also write the whole run as JSON (docs/report-schema.json) to FILE;\n"
    "                     'mxconform merge' reads it back\n"
    "  --html FILE        also write one self-contained HTML page (docs/html-report.md) to FILE\n"
    "  --agent NAME       label the run (the client's name) in every report\n"
    "  --fault SPEC       add a fault to every selected scenario, MATCH:KIND[:PARAM=VALUE,...]\n"
    "                     (repeatable; e.g. login:delay:ms=300, login:reset:p=0.25; a comma\n"
    "                     in a value is written \\,; or a JSON fault object as in scenario\n"
    "                     files; 'mxconform faults' lists the kinds)\n"
    "  --jobs N           scenarios run at once (default: the number of CPUs, at most 8)\n"
    "  --shard K/N        only the Kth of N round-robin shards of the selection (CI matrices)\n"
    "  --seed N           seed of the random fault schedules (default: from the clock; the\n"
    "                     seed is printed and recorded in the reports)\n"
    "  --baseline FILE    scenarios expected to fail, one 'ID reason' a line: they do not\n"
    "                     fail the run; one that passes is a stale entry and does\n"
    "  --scenarios DIR    the scenario directory (default: " MXC_SOURCE_DIR "/scenarios)\n"
    "\n"
    "list options:\n"
    "  --scenarios DIR, --filter GLOB as above\n"
    "  --coverage         for each rule of PROTOCOL.md, the scenarios that test it; exit 1 when a\n"
    "                     rule has none\n"
    "\n"
    "Exit status: 0 all selected scenarios passed, 1 a conformance failure or client error,\n"
    "2 bad usage or an invalid scenario or baseline file, 3 an internal error, 128+N when\n"
    "signal N (SIGINT, SIGTERM) interrupted the run (its reports are written, marked\n"
    "incomplete).\n";

typedef struct cli_options {
  mxc_fault faults[32];
  size_t nfaults;
  uint64_t seed;
  bool seed_given;
  size_t jobs;
  size_t shard_k, shard_n;
  const char *client_cmd;
  const char *filter;
  const char *junit;
  const char *tap;
  const char *json;
  const char *html;
  const char *agent;
  const char *baseline;
  bool coverage;
  const char *scenarios;
  int level;
} cli_options;

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "mxconform: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'mxconform --help'.\n");
  return MXC_EXIT_USAGE;
}

/* Parses options after the command. Returns -1 when fine, else an exit status. */
static int parse_options(int argc, char **argv, bool run, cli_options *o) {
  o->level = MXC_LEVEL_MUST;
  o->scenarios = MXC_SOURCE_DIR "/scenarios";
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      return MXC_EXIT_PASS;
    }
    if (!run && strcmp(a, "--coverage") == 0) {
      o->coverage = true;
      continue;
    }
    bool takes = strcmp(a, "--scenarios") == 0 || strcmp(a, "--filter") == 0 ||
                 (run && (strcmp(a, "--client-cmd") == 0 || strcmp(a, "--junit") == 0 ||
                          strcmp(a, "--level") == 0 || strcmp(a, "--fault") == 0 ||
                          strcmp(a, "--seed") == 0 || strcmp(a, "--jobs") == 0 ||
                          strcmp(a, "--baseline") == 0 || strcmp(a, "--shard") == 0 ||
                          strcmp(a, "--tap") == 0 || strcmp(a, "--json") == 0 ||
                          strcmp(a, "--html") == 0 || strcmp(a, "--agent") == 0));
    if (!takes)
      return usage_error("unknown option '%s'", a);
    if (!v)
      return usage_error("option '%s' needs a value", a);
    i++;
    if (strcmp(a, "--scenarios") == 0)
      o->scenarios = v;
    else if (strcmp(a, "--filter") == 0)
      o->filter = v;
    else if (strcmp(a, "--client-cmd") == 0) {
      if (!*v)
        return usage_error("%s", "--client-cmd needs a non-empty command");
      o->client_cmd = v;
    } else if (strcmp(a, "--junit") == 0) {
      o->junit = v;
    } else if (strcmp(a, "--fault") == 0) {
      int rc = mxc_cli_fault(v, o->faults, &o->nfaults, sizeof o->faults / sizeof o->faults[0]);
      if (rc >= 0)
        return rc;
    } else if (strcmp(a, "--tap") == 0) {
      o->tap = v;
    } else if (strcmp(a, "--json") == 0) {
      o->json = v;
    } else if (strcmp(a, "--html") == 0) {
      o->html = v;
    } else if (strcmp(a, "--agent") == 0) {
      o->agent = v;
    } else if (strcmp(a, "--shard") == 0) {
      unsigned k = 0, n = 0;
      char extra;
      if (sscanf(v, "%u/%u%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n || n > 1000)
        return usage_error("--shard wants K/N with 1 <= K <= N (e.g. 2/4), got '%s'", v);
      o->shard_k = k;
      o->shard_n = n;
    } else if (strcmp(a, "--baseline") == 0) {
      o->baseline = v;
    } else if (strcmp(a, "--jobs") == 0) {
      char *end;
      long j = strtol(v, &end, 10);
      if (!*v || *end || j < 1 || j > MXC_RUN_MAX_JOBS)
        return usage_error("--jobs wants a whole number from 1 to 64, got '%s'", v);
      o->jobs = (size_t)j;
    } else if (strcmp(a, "--seed") == 0) {
      if (mxc_cli_seed(v, &o->seed) != 0)
        return usage_error("--seed wants a whole number from 0 to 2^64-1, got '%s'", v);
      o->seed_given = true;
    } else if ((o->level = mxc_level_parse(v)) < 0) {
      return usage_error("unknown level '%s' (must, should or all)", v);
    }
  }
  return -1;
}

int mxc_cli_fault(const char *spec, mxc_fault *faults, size_t *n, size_t max) {
  char err[300];
  if (*n >= max) {
    fprintf(stderr, "mxconform: at most %zu --fault options\n", max);
    return MXC_EXIT_USAGE;
  }
  if (mxc_fault_from_spec(spec, &faults[*n], err, sizeof err) != 0) {
    fprintf(stderr, "mxconform: --fault '%s': %s\n", spec, err);
    return MXC_EXIT_USAGE;
  }
  (*n)++;
  return -1;
}

int mxc_cli_seed(const char *text, uint64_t *seed) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (!*text || *end || errno || text[0] == '-')
    return MXC_EINVAL;
  *seed = v;
  return 0;
}

size_t mxc_cli_default_jobs(void) {
  unsigned n = uv_available_parallelism();
  return n < 1 ? 1 : n > 8 ? 8 : n;
}

uint64_t mxc_cli_clock_seed(void) {
  return mxc_seed_mix(mxc_now_us() ^ ((uint64_t)getpid() << 32), "mxconform") % 1000000000000ull;
}

static int load(const cli_options *o, mxc_catalog *cat) {
  char *errors = NULL;
  if (mxc_catalog_load(o->scenarios, cat, &errors) != 0) {
    fprintf(stderr, "mxconform: invalid scenarios:\n%s", errors ? errors : "");
    free(errors);
    mxc_catalog_cleanup(cat);
    return MXC_EXIT_USAGE;
  }
  return -1;
}

typedef struct run_view {
  mxc_level level;
  const mxc_baseline *baseline;
  size_t failed;
  uint64_t started_us;
} run_view;

static void on_result(mxc_scenario_result *r, size_t index, size_t total, void *arg) {
  run_view *v = arg;
  mxc_baseline_mark(v->baseline, r);
  mxc_console_scenario(stdout, r, v->level);
  v->failed += r->verdict != MXC_VERDICT_PASS && !r->baseline_reason;
  mxc_console_progress(stderr, index + 1, total, v->failed,
                       (double)(mxc_now_us() - v->started_us) / 1000.0);
}

static int cmd_run(const cli_options *o) {
  mxc_catalog cat;
  int rc = load(o, &cat);
  if (rc >= 0)
    return rc;
  mxc_baseline baseline = {0};
  if (o->baseline) {
    char *err = NULL;
    if (mxc_baseline_load(o->baseline, &cat, &baseline, &err) != 0) {
      fprintf(stderr, "mxconform: %s\n", err ? err : o->baseline);
      free(err);
      mxc_catalog_cleanup(&cat);
      return MXC_EXIT_USAGE;
    }
  }
  mxc_level level = (mxc_level)o->level;
  run_view view = {
      .level = level, .baseline = o->baseline ? &baseline : NULL, .started_us = mxc_now_us()};
  uint64_t seed = o->seed_given ? o->seed : mxc_cli_clock_seed();
  fprintf(stderr, "mxconform: seed %llu\n", (unsigned long long)seed);
  mxc_run_options ro = {
      .faults = o->faults,
      .nfaults = o->nfaults,
      .seed = seed,
      .jobs = o->jobs ? o->jobs : mxc_cli_default_jobs(),
      .shard_k = o->shard_k,
      .shard_n = o->shard_n,
      .client_cmd = o->client_cmd,
      .filter = o->filter,
      .level = level,
      .on_result = on_result,
      .on_result_arg = &view,
  };
  size_t selected = 0;
  for (size_t i = 0; i < cat.n; i++)
    selected += mxc_scenario_selected(&cat.items[i], o->filter);
  if (selected == 0) {
    fprintf(stderr, "mxconform: no scenario matches --filter '%s'\n", o->filter);
    mxc_baseline_cleanup(&baseline);
    mxc_catalog_cleanup(&cat);
    return MXC_EXIT_USAGE;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = mxc_run_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  fprintf(stderr, "mxconform: running %zu scenario(s) against %s\n", selected,
          o->client_cmd ? o->client_cmd : "the built-in reference client");
  mxc_run_result run;
  if (mxc_run(&cat, &ro, &run) != 0) {
    fprintf(stderr, "mxconform: out of memory\n");
    mxc_catalog_cleanup(&cat);
    return MXC_EXIT_INTERNAL;
  }
  run.agent = o->agent;
  int exit_code = run.failed ? MXC_EXIT_FAIL : MXC_EXIT_PASS;
  if (mxc_run_interrupted()) /* reports are still written, marked incomplete */
    exit_code = 128 + mxc_run_interrupted();
  for (size_t i = 0; i < run.n; i++)
    if (run.results[i].internal_error)
      exit_code = MXC_EXIT_INTERNAL;
  mxc_console_summary(stdout, &run);
  const mxc_report_paths paths = {o->junit, o->tap, o->json, o->html};
  const mxc_run_result *runs[] = {&run};
  if (mxc_reports_write(&paths, runs, 1, stdout) != 0 && !mxc_run_interrupted())
    exit_code = MXC_EXIT_INTERNAL;
  mxc_run_result_cleanup(&run);
  mxc_baseline_cleanup(&baseline);
  mxc_catalog_cleanup(&cat);
  return exit_code;
}

/* For each rule of the catalog, the scenarios that cite it. Returns the number uncovered. */
static size_t print_coverage(const mxc_catalog *cat) {
  size_t nrules, uncovered = 0;
  const mxc_rule *rules = mxc_rules(&nrules);
  for (size_t r = 0; r < nrules; r++) {
    size_t n = 0;
    for (size_t i = 0; i < cat->n; i++)
      for (size_t j = 0; j < cat->items[i].nrules; j++)
        n += cat->items[i].rules[j] == &rules[r];
    printf("%-8s %-6s %3zu scenario(s)%s  %s\n", rules[r].id, mxc_level_name(rules[r].level), n,
           n ? "" : "  NOT COVERED", rules[r].summary);
    for (size_t i = 0; i < cat->n; i++)
      for (size_t j = 0; j < cat->items[i].nrules; j++)
        if (cat->items[i].rules[j] == &rules[r])
          printf("           %s\n", cat->items[i].id);
    uncovered += n == 0;
  }
  printf("\n%zu of %zu rules covered by %zu scenarios\n", nrules - uncovered, nrules, cat->n);
  return uncovered;
}

static int cmd_list(const cli_options *o) {
  mxc_catalog cat;
  int rc = load(o, &cat);
  if (rc >= 0)
    return rc;
  if (o->coverage) {
    size_t uncovered = print_coverage(&cat);
    mxc_catalog_cleanup(&cat);
    return uncovered ? MXC_EXIT_FAIL : MXC_EXIT_PASS;
  }
  for (size_t i = 0; i < cat.n; i++) {
    const mxc_scenario *sc = &cat.items[i];
    if (!mxc_scenario_selected(sc, o->filter))
      continue;
    printf("%-40s %-6s ", sc->id, mxc_level_name(sc->level));
    for (size_t j = 0; j < sc->nrules; j++)
      printf("%s%s", j ? "," : "", sc->rules[j]->id);
    printf("\n    %s\n", sc->title);
  }
  mxc_catalog_cleanup(&cat);
  return MXC_EXIT_PASS;
}

int mxc_cli_main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return MXC_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return MXC_EXIT_PASS;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("mxconform %s\n", MXC_VERSION);
    return MXC_EXIT_PASS;
  }
  if (strcmp(cmd, "serve") == 0)
    return mxc_serve_main(argc, argv);
  if (strcmp(cmd, "merge") == 0)
    return mxc_merge_main(argc, argv);
  if (strcmp(cmd, "selftest") == 0) {
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
      return MXC_EXIT_INTERNAL;
    int rc = mxc_selftest_main(argc, argv);
    curl_global_cleanup();
    return rc;
  }
  if (strcmp(cmd, "faults") == 0) {
    printf("Fault kinds (docs/faults.md); a spec is MATCH:KIND[:PARAM=VALUE,...]\n%s",
           mxc_fault_kinds_help());
    return MXC_EXIT_PASS;
  }
  bool run = strcmp(cmd, "run") == 0;
  if (!run && strcmp(cmd, "list") != 0)
    return usage_error("unknown command '%s'", cmd);
  static cli_options o; /* large: not on the stack */
  int rc = parse_options(argc, argv, run, &o);
  if (rc >= 0)
    return rc;
  signal(SIGPIPE, SIG_IGN);
  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
    fprintf(stderr, "mxconform: libcurl failed to initialise\n");
    return MXC_EXIT_INTERNAL;
  }
  rc = run ? cmd_run(&o) : cmd_list(&o);
  curl_global_cleanup();
  for (size_t i = 0; i < o.nfaults; i++)
    mxc_fault_cleanup(&o.faults[i]);
  return rc;
}
