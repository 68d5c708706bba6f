/* The mutation test of the catalog: the reference client must pass every scenario, and each
 * deliberate defect (clients/defects.h) must be caught by at least one scenario at its level. */
#include "harness/selftest.h"

#include "clients/defects.h"
#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/cli.h"
#include "harness/runner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char selftest_usage[] =
    "usage: mxconform selftest [--client PATH] [--jobs N] [--seed N] [--scenarios DIR]\n"
    "\n"
    "Runs the catalog against the reference client (build/mxclient, through the adapter\n"
    "contract): every scenario must pass. Then against the client with each deliberate defect\n"
    "(mxclient --defects lists them): each must be caught by at least one scenario at its\n"
    "level. Prints a table and the mutation score. Exit status 0 when both hold, 1 otherwise.\n"
    "\n"
    "  --client PATH   the reference client program (default: mxclient beside mxconform)\n";

/* mxclient beside this program. */
static char *default_client(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return mxc_strdup("mxclient");
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = '\0';
  return mxc_asprintf("%s/mxclient", self);
}

typedef struct defect_run {
  const mxc_defect_def *def;
  size_t caught;
  mxc_buf by; /* IDs of the scenarios that caught it */
} defect_run;

int mxc_selftest_main(int argc, char **argv) {
  const char *dir = MXC_SOURCE_DIR "/scenarios";
  char *client = NULL;
  uint64_t seed = 0;
  bool seed_given = false;
  size_t jobs = mxc_cli_default_jobs();
  int exit_code = MXC_EXIT_PASS;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(selftest_usage, stdout);
      free(client);
      return MXC_EXIT_PASS;
    }
    if (!v || (strcmp(a, "--client") != 0 && strcmp(a, "--jobs") != 0 && strcmp(a, "--seed") != 0 &&
               strcmp(a, "--scenarios") != 0)) {
      fprintf(stderr, "mxconform selftest: %s '%s'\nTry 'mxconform selftest --help'.\n",
              v ? "unknown option" : "missing value for", a);
      free(client);
      return MXC_EXIT_USAGE;
    }
    i++;
    if (strcmp(a, "--client") == 0) {
      free(client);
      client = mxc_strdup(v);
    } else if (strcmp(a, "--scenarios") == 0) {
      dir = v;
    } else if (strcmp(a, "--seed") == 0) {
      if (mxc_cli_seed(v, &seed) != 0) {
        fprintf(stderr, "mxconform selftest: --seed wants a whole number\n");
        free(client);
        return MXC_EXIT_USAGE;
      }
      seed_given = true;
    } else {
      jobs = (size_t)strtoul(v, NULL, 10);
      if (jobs < 1 || jobs > MXC_RUN_MAX_JOBS) {
        fprintf(stderr, "mxconform selftest: --jobs wants 1 to %d\n", MXC_RUN_MAX_JOBS);
        free(client);
        return MXC_EXIT_USAGE;
      }
    }
  }
  if (!client)
    client = default_client();
  if (!seed_given)
    seed = mxc_cli_clock_seed();
  mxc_catalog cat;
  char *errors = NULL;
  if (mxc_catalog_load(dir, &cat, &errors) != 0) {
    fprintf(stderr, "mxconform selftest: invalid scenarios:\n%s", errors ? errors : "");
    free(errors);
    free(client);
    return MXC_EXIT_USAGE;
  }
  fprintf(stderr, "mxconform selftest: %zu scenarios, client %s, seed %llu, %zu jobs\n", cat.n,
          client, (unsigned long long)seed, jobs);

  /* the reference client: everything passes, at every level */
  char *cmd = mxc_asprintf("'%s'", client);
  mxc_run_options opt = {.client_cmd = cmd, .level = MXC_LEVEL_INFO, .seed = seed, .jobs = jobs};
  mxc_run_result ref;
  if (mxc_run(&cat, &opt, &ref) != 0) {
    exit_code = MXC_EXIT_INTERNAL;
    goto out;
  }
  printf("reference client: %zu of %zu scenarios pass", ref.passed, ref.n);
  if (ref.failed) {
    exit_code = MXC_EXIT_FAIL;
    printf(" -- failing:");
    for (size_t i = 0; i < ref.n; i++)
      if (ref.results[i].verdict != MXC_VERDICT_PASS)
        printf(" %s", ref.results[i].sc->id);
  }
  printf("\n\n%-26s %-6s %-8s %s\n", "defect", "level", "rule", "caught by");
  mxc_run_result_cleanup(&ref);

  size_t ndefects = MXC_DEFECT__COUNT - 1, caught = 0;
  for (size_t d = 1; d <= ndefects; d++) {
    const mxc_defect_def *def = mxc_defect_def_of((mxc_defect)d);
    char *dcmd = mxc_asprintf("'%s' --defect %s", client, def->name);
    mxc_run_options dopt = opt;
    dopt.client_cmd = dcmd;
    dopt.level = (mxc_level)mxc_level_parse(def->level);
    mxc_run_result run;
    if (mxc_run(&cat, &dopt, &run) != 0) {
      free(dcmd);
      exit_code = MXC_EXIT_INTERNAL;
      goto out;
    }
    mxc_buf by;
    mxc_buf_init(&by, 1u << 16);
    size_t n = 0;
    for (size_t i = 0; i < run.n; i++) {
      if (run.results[i].verdict == MXC_VERDICT_PASS)
        continue;
      if (n < 4)
        mxc_buf_printf(&by, "%s%s", n ? ", " : "", run.results[i].sc->id);
      n++;
    }
    if (n > 4)
      mxc_buf_printf(&by, " and %zu more", n - 4);
    printf("%-26s %-6s %-8s %s\n", def->name, def->level, def->rule, n ? by.data : "NOT CAUGHT");
    fflush(stdout);
    caught += n > 0;
    mxc_buf_cleanup(&by);
    mxc_run_result_cleanup(&run);
    free(dcmd);
  }
  printf("\nmutation score: %zu of %zu defects caught (%.0f%%)\n", caught, ndefects,
         100.0 * (double)caught / (double)ndefects);
  if (caught < ndefects && exit_code == MXC_EXIT_PASS)
    exit_code = MXC_EXIT_FAIL;
out:
  free(cmd);
  free(client);
  mxc_catalog_cleanup(&cat);
  return exit_code;
}
