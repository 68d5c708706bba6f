/* mxclient: the reference client as a program implementing the adapter contract. */
#include "clients/client.h"

#include "common/mxc_util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mxclient [--case FILE] [--defect NAME]\n"
    "       mxclient --defects | --help | --version\n"
    "\n"
    "Runs one sign-in case against a Mendix runtime, as the app of the 'Authenticating Users'\n"
    "page does, and prints the result JSON as the last line of standard output.\n"
    "\n"
    "  --case FILE   the case file (default: $MXC_CASE)\n"
    "  --defect NAME switch on a deliberate bug (for `mxconform selftest`); --defects lists them\n"
    "  --help        this text\n"
    "  --version     the version\n"
    "\n"
    "Environment: MXC_CASE, MXC_STATE_DIR (persistent cookies), MXC_CA_FILE (trusted CAs).\n"
    "Exit status: 0 when the case ran to the end (whatever the outcome), 2 for bad input,\n"
    "3 for an internal error.\n";

typedef struct run_state {
  uv_loop_t *loop;
  cJSON *report;
} run_state;

static void on_finished(mxc_client *c, void *arg) {
  run_state *st = arg;
  st->report = mxc_client_report(c);
  uv_stop(st->loop); /* idle keep-alive connections must not keep the app running */
}

int main(int argc, char **argv) {
  const char *case_path = NULL;
  mxc_defect defect = MXC_DEFECT_NONE;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("mxclient %s\n", MXC_VERSION);
      return 0;
    } else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
      case_path = argv[++i];
    } else if (strcmp(argv[i], "--defect") == 0 && i + 1 < argc) {
      defect = mxc_defect_find(argv[++i]);
      if (defect == MXC_DEFECT_NONE) {
        fprintf(stderr, "mxclient: unknown defect '%s' (see --defects)\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--defects") == 0) {
      for (int d = 1; d < MXC_DEFECT__COUNT; d++) {
        const mxc_defect_def *def = mxc_defect_def_of((mxc_defect)d);
        printf("%-26s %-6s %-8s %s\n", def->name, def->level, def->rule, def->doc);
      }
      return 0;
    } else {
      fprintf(stderr, "mxclient: unknown argument '%s'\n%s", argv[i], usage);
      return 2;
    }
  }
  mxc_case cs;
  char err[512];
  if (mxc_case_load(case_path, &cs, err, sizeof err) != 0) {
    fprintf(stderr, "mxclient: %s\n", err);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
    fprintf(stderr, "mxclient: libcurl failed to initialise\n");
    mxc_case_cleanup(&cs);
    return 3;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  run_state st = {.loop = &loop};
  mxc_client *client = NULL;
  int rc = mxc_client_start(&loop, &cs, defect, on_finished, &st, &client);
  if (rc == 0)
    uv_run(&loop, UV_RUN_DEFAULT);
  mxc_client_close(client);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  curl_global_cleanup();
  mxc_case_cleanup(&cs);
  cJSON *report = st.report;
  if (!report) {
    fprintf(stderr, "mxclient: the client did not finish (%d)\n", rc);
    return 3;
  }
  char *line = cJSON_PrintUnformatted(report);
  cJSON_Delete(report);
  if (!line)
    return 3;
  printf("%s\n", line);
  free(line);
  return fflush(stdout) == 0 ? 0 : 3;
}
