/* The example adapters of examples/adapters/ (curl command line, Python, Node.js) each pass the
 * whole catalog through the adapter contract: every MUST holds. An adapter whose interpreter
 * is not installed is skipped, saying which one. */
#include "support.h"

#include "common/mxc_util.h"
#include "harness/scenario.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t catalog_size(void) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(mxc_test_src("scenarios"), &cat, &errors), 0, "%s", errors);
  size_t n = cat.n;
  mxc_catalog_cleanup(&cat);
  return n;
}

/* True when the shell line `probe` succeeds (an interpreter is on PATH and fit). */
static bool have(const char *probe) {
  char *cmd = mxc_asprintf("%s >/dev/null 2>&1", probe);
  int st = mxc_test_sh(cmd, NULL);
  free(cmd);
  return st == 0;
}

/* Runs the catalog with `interpreter adapter` as the client command; expects exit 0 and every
 * scenario passed. */
static void run_catalog(const char *interpreter, const char *adapter) {
  char *script = mxc_strdup(mxc_test_src(adapter));
  char *cmd = mxc_asprintf("'%s' run --client-cmd \"%s '%s'\" 2>&1", mxc_test_bin("mxconform"),
                           interpreter, script);
  char *out = NULL;
  int st = mxc_test_sh(cmd, &out);
  char summary[64];
  snprintf(summary, sizeof summary, "%zu passed, 0 failed", catalog_size());
  cr_expect_eq(st, 0, "%s: exit %d, output:\n%s", adapter, st, out);
  cr_expect(strstr(out, summary) != NULL, "%s: expected \"%s\" in:\n%s", adapter, summary, out);
  free(out);
  free(cmd);
  free(script);
}

Test(adapters, curl_sh_passes_the_catalog, .timeout = 300) {
  if (!have("command -v curl"))
    cr_skip("curl is not on PATH: examples/adapters/curl.sh not run (apt-get install curl)");
  run_catalog("/bin/sh", "examples/adapters/curl.sh");
}

Test(adapters, python_client_passes_the_catalog, .timeout = 300) {
  if (!have("command -v python3"))
    cr_skip("python3 is not on PATH: examples/adapters/python_client.py not run "
            "(apt-get install python3)");
  run_catalog("python3", "examples/adapters/python_client.py");
}

Test(adapters, node_client_passes_the_catalog, .timeout = 300) {
  if (!have("command -v node"))
    cr_skip("node is not on PATH: examples/adapters/node_client.mjs not run "
            "(apt-get install nodejs)");
  if (!have("node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 18 ? 0 : 1)'"))
    cr_skip("node is older than 18 (no built-in fetch): examples/adapters/node_client.mjs not run");
  run_catalog("node", "examples/adapters/node_client.mjs");
}
