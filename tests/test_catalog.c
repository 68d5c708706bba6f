/* The catalog as a whole: rule coverage, baselines for CI gates, parallel runs in catalog
 * order. (The mutation test of the catalog is the `selftest` ctest entry.) */
#include "support.h"

#include "common/mxc_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A liar: prints a successful sign-in without talking to anybody. */
#define LIAR_LINE                                                                                  \
  "{\"attempts\":[{\"status\":200,\"validation_message\":\"\"}],\"restarted\":true,"               \
  "\"page\":\"Home_User\"}"

static int mxconform(const char *args, char **out) {
  char *cmd = mxc_asprintf("'%s' %s 2>&1", mxc_test_bin("mxconform"), args);
  int st = mxc_test_sh(cmd, out);
  free(cmd);
  return st;
}

static char *write_temp(const char *name, const char *text) {
  char *dir = mxc_tempdir_create("mxc-catalog");
  cr_assert_not_null(dir);
  char *path = mxc_asprintf("%s/%s", dir, name);
  cr_assert_eq(mxc_file_write_atomic(path, text, strlen(text)), 0);
  free(dir);
  return path;
}

Test(catalog, every_rule_is_covered, .timeout = 30) {
  char *out = NULL;
  int st = mxconform("list --coverage", &out);
  cr_expect_eq(st, 0, "exit %d:\n%s", st, out);
  cr_expect_null(strstr(out, "NOT COVERED"), "%s", out);
  cr_expect(strstr(out, "OK-1     MUST") != NULL, "%s", out);
  cr_expect(strstr(out, "NET-5    MUST") != NULL, "%s", out);
  free(out);
}

Test(catalog, at_least_fifty_scenarios_each_rule_group_in_its_folder, .timeout = 30) {
  char *out = NULL;
  cr_assert_eq(mxconform("list", &out), 0);
  size_t n = 0;
  for (const char *p = strstr(out, "\n    "); p; p = strstr(p + 1, "\n    "))
    n++;
  cr_expect_geq(n, 50, "%zu scenarios", n);
  free(out);
}

Test(catalog, baseline_expected_failure_does_not_fail_the_gate, .timeout = 60) {
  char *liar = write_temp("liar.sh", "#!/bin/sh\ncat <<'EOF'\n" LIAR_LINE "\nEOF\n");
  char *chmod_cmd = mxc_asprintf("chmod +x '%s'", liar);
  cr_assert_eq(mxc_test_sh(chmod_cmd, NULL), 0);
  free(chmod_cmd);
  char *base =
      write_temp("baseline.txt", "# known problems of this client\n\n"
                                 "DENY-1-wrong-password   vendor bug 1234: no validation\n");
  char *args = mxc_asprintf("run --filter DENY-1-wrong-password --client-cmd '%s' --baseline '%s'",
                            liar, base);
  char *out = NULL;
  int st = mxconform(args, &out);
  cr_expect_eq(st, 0, "an expected failure must not fail the gate:\n%s", out);
  cr_expect(strstr(out, "XFAIL DENY-1-wrong-password") != NULL, "%s", out);
  cr_expect(strstr(out, "vendor bug 1234") != NULL, "%s", out);
  cr_expect(strstr(out, "0 passed, 0 failed, 1 skipped") != NULL, "%s", out);
  free(out);
  free(args);
  /* the same baseline with the reference client: the scenario passes, the entry is stale */
  args = mxc_asprintf("run --filter DENY-1-wrong-password --baseline '%s'", base);
  st = mxconform(args, &out);
  cr_expect_eq(st, 1, "a stale baseline entry must fail the gate:\n%s", out);
  cr_expect(strstr(out, "STALE DENY-1-wrong-password") != NULL, "%s", out);
  cr_expect(strstr(out, "remove it from the baseline") != NULL, "%s", out);
  free(out);
  free(args);
  free(liar);
  free(base);
}

Test(catalog, baseline_errors_name_the_file_and_line, .timeout = 30) {
  char *unknown = write_temp("b1.txt", "# c\nNO-SUCH-SCENARIO  whatever\n");
  char *noreason = write_temp("b2.txt", "DENY-1-wrong-password\n");
  char *args = mxc_asprintf("run --baseline '%s'", unknown);
  char *out = NULL;
  cr_expect_eq(mxconform(args, &out), 2);
  cr_expect(strstr(out, "b1.txt:2: no scenario \"NO-SUCH-SCENARIO\"") != NULL, "%s", out);
  free(out);
  free(args);
  args = mxc_asprintf("run --baseline '%s'", noreason);
  cr_expect_eq(mxconform(args, &out), 2);
  cr_expect(strstr(out, "b2.txt:1:") != NULL && strstr(out, "needs a reason") != NULL, "%s", out);
  free(out);
  free(args);
  free(unknown);
  free(noreason);
}

/* The lines naming scenarios, in the order printed. */
static char *verdict_lines(const char *out) {
  mxc_buf b;
  mxc_buf_init(&b, 1u << 20);
  mxc_buf_append(&b, "", 0);
  for (const char *p = out; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len > 6 && (strncmp(p, "PASS  ", 6) == 0 || strncmp(p, "FAIL  ", 6) == 0)) {
      const char *id = p + 6, *end = strstr(id, "  (");
      if (end)
        mxc_buf_printf(&b, "%.*s\n", (int)(end - id), id);
    }
    p = nl ? nl + 1 : NULL;
  }
  return mxc_buf_detach(&b);
}

Test(catalog, parallel_runs_report_in_catalog_order, .timeout = 120) {
  char *one = NULL, *four = NULL;
  cr_assert_eq(mxconform("run --jobs 1 --seed 3", &one), 0, "%s", one);
  cr_assert_eq(mxconform("run --jobs 4 --seed 3", &four), 0, "%s", four);
  char *a = verdict_lines(one), *b = verdict_lines(four);
  cr_expect(strlen(a) > 0);
  cr_expect_str_eq(a, b);
  free(a);
  free(b);
  free(one);
  free(four);
  cr_expect_eq(mxconform("run --jobs 0", NULL), 2);
}

Test(catalog, shards_partition_the_selection, .timeout = 120) {
  char *all = NULL;
  cr_assert_eq(mxconform("run --seed 5", &all), 0, "%s", all);
  char *every = verdict_lines(all);
  mxc_buf joined;
  mxc_buf_init(&joined, 1u << 20);
  mxc_buf_append(&joined, "", 0);
  size_t lines = 0;
  for (int k = 1; k <= 3; k++) {
    char args[64], *out = NULL;
    snprintf(args, sizeof args, "run --seed 5 --shard %d/3", k);
    cr_assert_eq(mxconform(args, &out), 0, "%s", out);
    char *part = verdict_lines(out);
    for (const char *p = part; *p; p = strchr(p, '\n') + 1) {
      const char *nl = strchr(p, '\n');
      char id[160];
      snprintf(id, sizeof id, "%.*s\n", (int)(nl - p), p);
      cr_expect_null(strstr(joined.data, id), "%s is in two shards", id);
      cr_expect_not_null(strstr(every, id), "%s is in no full run", id);
      mxc_buf_append(&joined, id, strlen(id));
      lines++;
    }
    free(part);
    free(out);
  }
  size_t total = 0;
  for (const char *p = every; *p; p++)
    total += *p == '\n';
  cr_expect_eq(lines, total, "the shards cover %zu of %zu scenarios", lines, total);
  mxc_buf_cleanup(&joined);
  free(every);
  free(all);
  cr_expect_eq(mxconform("run --shard 0/3", NULL), 2);
  cr_expect_eq(mxconform("run --shard 2", NULL), 2);
}
