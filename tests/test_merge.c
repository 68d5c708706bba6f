/* mxconform merge on real runs: shards put back together equal the whole run (timings apart),
 * one report merges into itself byte for byte, agents side by side, and every way a set of
 * reports can be wrong is refused with the file and the place. */
#include "support.h"

#include "common/mxc_util.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir;

static void setup(void) {
  tmpdir = mxc_tempdir_create("mxc-merge");
  cr_assert_not_null(tmpdir);
}

static void teardown(void) {
  mxc_tree_remove(tmpdir);
  free(tmpdir);
}

TestSuite(merge, .init = setup, .fini = teardown);

/* Runs a shell command in the temporary directory (stderr into the output). Returns the exit
 * status; the output goes to *out when out is not NULL. */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sh(char **out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char cmd[8192];
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  char *line = mxc_asprintf("cd '%s' && { %s ; } 2>&1", tmpdir, cmd);
  char *text = NULL;
  int status = mxc_test_sh(line, &text);
  free(line);
  if (out)
    *out = text;
  else
    free(text);
  return status;
}

static char *file(const char *name) {
  char *path = mxc_asprintf("%s/%s", tmpdir, name);
  char *text = mxc_test_slurp(path);
  free(path);
  return text;
}

/* The shell words that run the catalog against mxclient with one deliberate defect, so that the
 * run has failures as well as passes. */
static char *defective_client(void) {
  return mxc_asprintf("--agent buggy --client-cmd '%s --defect no-message-401'",
                      mxc_test_bin("mxclient"));
}

/* The test points of a TAP file (the "ok"/"not ok" lines), which carry no timings. */
static char *tap_points(const char *text) {
  mxc_buf b;
  mxc_buf_init(&b, 16u << 20);
  for (const char *p = text; *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (strncmp(p, "ok ", 3) == 0 || strncmp(p, "not ok ", 7) == 0 || strncmp(p, "1..", 3) == 0) {
      mxc_buf_append(&b, p, len);
      mxc_buf_append(&b, "\n", 1);
    }
    p += len + (eol ? 1 : 0);
  }
  return mxc_buf_detach(&b);
}

/* What junitparser (a JUnit consumer we do not control) reads from a JUnit file. */
static char *junit_view(const char *name) {
  char *view = NULL;
  int status =
      sh(&view, "/usr/bin/python3 '%s' '%s'", mxc_test_src("tests/data/junit/readback.py"), name);
  cr_assert_eq(status, 0, "junitparser cannot read %s: %s", name, view);
  return view;
}

Test(merge, shards_merge_back_into_the_whole_run, .timeout = 300) {
  char *client = defective_client();
  char *mxc = mxc_strdup(mxc_test_bin("mxconform"));
  char *out = NULL;
  /* every format at once */
  int status = sh(&out,
                  "%s run --seed 11 --jobs 2 %s --json full.json --junit full.xml --tap "
                  "full.tap --html full.html",
                  mxc, client);
  cr_assert_eq(status, 1, "the defective client should fail some scenarios: %s", out);
  for (size_t i = 0; i < 4; i++) {
    static const char *const kinds[] = {"JUnit report: full.xml\n", "TAP report: full.tap\n",
                                        "JSON report: full.json\n", "HTML report: full.html\n"};
    cr_expect(strstr(out, kinds[i]) != NULL, "no \"%s\" in:\n%s", kinds[i], out);
  }
  cr_expect_eq(sh(NULL, "test -s full.xml && test -s full.tap && test -s full.json && test -s "
                        "full.html"),
               0);
  free(out);
  for (int k = 1; k <= 3; k++) {
    status =
        sh(&out, "%s run --seed 11 --jobs 2 %s --shard %d/3 --json s%d.json", mxc, client, k, k);
    cr_assert(status == 0 || status == 1, "shard %d/3: %s", k, out);
    free(out);
  }
  /* given in any order */
  status = sh(&out,
              "%s merge s3.json s1.json s2.json --json merged.json --junit merged.xml "
              "--tap merged.tap --html merged.html",
              mxc);
  cr_expect_eq(status, 1, "failures make merge exit 1: %s", out);
  cr_expect(strstr(out, "buggy: 61 scenario(s), ") != NULL, "%s", out);
  cr_expect(strstr(out, "merged 1 run(s) from 3 report(s)\n") != NULL, "%s", out);
  free(out);

  char *full = file("full.json"), *merged = file("merged.json");
  char *problem = mxc_test_schema_problem(merged);
  cr_expect_null(problem, "merged.json breaks the schema: %s", problem);
  free(problem);
  char *want = mxc_test_report_normalised(full), *got = mxc_test_report_normalised(merged);
  mxc_test_expect_same_text(got, want, "the merged shards and the whole run");
  cr_expect(strstr(merged, "\"shard\":\tnull") != NULL, "the merged run is whole again");
  cr_expect(strstr(merged, "\"incomplete\":\tfalse") != NULL);
  free(want);
  free(got);
  free(full);
  free(merged);

  /* JUnit and TAP say the same as the whole run's, as their consumers read them */
  char *junit_full = junit_view("full.xml"), *junit_merged = junit_view("merged.xml");
  mxc_test_expect_same_text(junit_merged, junit_full, "junitparser's view of the JUnit reports");
  cr_expect(strstr(junit_full, " failure ") != NULL, "the run has failures: %s", junit_full);
  free(junit_full);
  free(junit_merged);
  char *tap_full = file("full.tap"), *tap_merged = file("merged.tap");
  char *points_full = tap_points(tap_full), *points_merged = tap_points(tap_merged);
  mxc_test_expect_same_text(points_merged, points_full, "the TAP test points");
  cr_expect(strstr(points_full, "not ok ") != NULL);
  free(points_full);
  free(points_merged);
  free(tap_full);
  free(tap_merged);
  cr_expect_eq(sh(NULL, "test -s merged.html"), 0, "no HTML report");
  free(client);
  free(mxc);
}

Test(merge, one_report_merges_into_itself, .timeout = 120) {
  char *mxc = mxc_strdup(mxc_test_bin("mxconform"));
  char *client = defective_client();
  char *out = NULL;
  int status = sh(&out,
                  "%s run --seed 3 --filter 'DENY*' %s --json run.json --junit run.xml --tap "
                  "run.tap",
                  mxc, client);
  cr_assert_eq(status, 1, "%s", out);
  free(out);
  status = sh(&out, "%s merge run.json --json again.json --junit again.xml --tap again.tap", mxc);
  cr_expect_eq(status, 1, "%s", out);
  free(out);
  /* read back and written again, nothing changes: the JSON report holds the whole model */
  char *a = file("run.json"), *b = file("again.json");
  mxc_test_expect_same_text(b, a, "run.json and its merge");
  free(a);
  free(b);
  a = file("run.tap");
  b = file("again.tap");
  mxc_test_expect_same_text(b, a, "run.tap and the TAP of its merge");
  free(a);
  free(b);
  /* JUnit: the same but for the time the file was written */
  cr_expect_eq(sh(&out, "sed 's/timestamp=\"[^\"]*\"//' run.xml > r && sed "
                        "'s/timestamp=\"[^\"]*\"//' again.xml > a && cmp r a"),
               0, "%s", out);
  free(out);
  free(client);
  free(mxc);
}

Test(merge, a_missing_shard_makes_an_incomplete_failing_run, .timeout = 120) {
  char *mxc = mxc_strdup(mxc_test_bin("mxconform"));
  for (int k = 1; k <= 3; k += 2) /* shards 1 and 3 of 3: the reference client passes them */
    cr_assert_eq(
        sh(NULL, "%s run --seed 5 --filter 'DENY*' --shard %d/3 --json s%d.json", mxc, k, k), 0);
  char *out = NULL;
  int status = sh(&out, "%s merge s1.json s3.json --json m.json --junit m.xml", mxc);
  cr_expect_eq(status, 1, "passing but incomplete is not a pass: %s", out);
  cr_expect(strstr(out, "missing shard(s): 2/3") != NULL, "%s", out);
  cr_expect(strstr(out, "INCOMPLETE:") != NULL, "%s", out);
  free(out);
  char *json = file("m.json");
  cr_expect(strstr(json, "\"incomplete\":\ttrue") != NULL, "%s", json);
  free(json);
  char *view = junit_view("m.xml");
  cr_expect(strstr(view, "complete error no-system-out [interrupted] the run is incomplete") !=
                NULL,
            "a CI reading the JUnit must see an error: %s", view);
  free(view);
  free(mxc);
}

Test(merge, agents_side_by_side, .timeout = 120) {
  char *mxc = mxc_strdup(mxc_test_bin("mxconform"));
  char *client = defective_client();
  cr_assert_eq(sh(NULL, "%s run --seed 9 --filter 'DENY*' --agent reference --json ref.json", mxc),
               0);
  cr_assert_eq(sh(NULL, "%s run --seed 9 --filter 'DENY*' %s --json buggy.json", mxc, client), 1);
  char *out = NULL;
  int status = sh(&out,
                  "%s merge ref.json buggy.json --json both.json --junit both.xml --html "
                  "both.html",
                  mxc);
  cr_expect_eq(status, 1, "%s", out);
  cr_expect(strstr(out, "reference: 11 scenario(s), 11 passed, 0 failed\n") != NULL, "%s", out);
  cr_expect(strstr(out, "buggy: 11 scenario(s), ") != NULL, "%s", out);
  cr_expect(strstr(out, "merged 2 run(s) from 2 report(s)\n") != NULL, "%s", out);
  free(out);
  char *both = file("both.json");
  cr_expect(strstr(both, "\"schema\":\t\"mxconform-merge\"") != NULL);
  char *problem = mxc_test_schema_problem(both);
  cr_expect_null(problem, "both.json breaks the schema: %s", problem);
  free(problem);
  /* a merge is itself mergeable, and merging it again changes nothing */
  cr_expect_eq(sh(&out, "%s merge both.json --json again.json", mxc), 1, "%s", out);
  free(out);
  char *again = file("again.json");
  mxc_test_expect_same_text(again, both, "a merge merged again");
  free(again);
  free(both);
  cr_expect_eq(sh(&out, "xmllint --noout --schema '%s' both.xml", mxc_test_src("docs/junit.xsd")),
               0, "%s", out);
  free(out);
  char *view = junit_view("both.xml");
  cr_expect(strstr(view, "suite reference/DENY tests=") != NULL, "%s", view);
  cr_expect(strstr(view, "suite buggy/DENY tests=") != NULL, "%s", view);
  cr_expect(strstr(view, "case mxconform.buggy.DENY DENY-1-wrong-password failure") != NULL, "%s",
            view);
  cr_expect(strstr(view, "case mxconform.reference.DENY DENY-1-wrong-password pass") != NULL, "%s",
            view);
  free(view);
  /* TAP is one run: asking for it with two is refused, and the other reports still land */
  cr_expect_eq(sh(&out, "%s merge ref.json buggy.json --tap both.tap --json j.json", mxc), 3, "%s",
               out);
  cr_expect(strstr(out, "a TAP report holds one run") != NULL, "%s", out);
  cr_expect_eq(sh(NULL, "test ! -e both.tap && test -s j.json"), 0);
  free(out);
  free(client);
  free(mxc);
}

/* Writes text to name in the temporary directory. */
static void put(const char *name, const char *text) {
  char *path = mxc_asprintf("%s/%s", tmpdir, name);
  cr_assert_eq(mxc_file_write_atomic(path, text, strlen(text)), 0);
  free(path);
}

/* run.json with one member replaced (a JSON path of object keys and array indices, "/"-separated)
 * by the JSON value `value`, written to name. */
static void put_changed(const char *name, const char *where, const char *value) {
  char *text = file("run.json");
  cJSON *doc = cJSON_Parse(text);
  cr_assert_not_null(doc);
  char *keys = mxc_strdup(where), *save = NULL;
  cJSON *parent = doc;
  char *key = strtok_r(keys, "/", &save), *next;
  while ((next = strtok_r(NULL, "/", &save)) != NULL) {
    parent = cJSON_IsArray(parent) ? cJSON_GetArrayItem(parent, atoi(key))
                                   : cJSON_GetObjectItemCaseSensitive(parent, key);
    cr_assert_not_null(parent, "no %s in run.json", where);
    key = next;
  }
  cJSON *v = cJSON_Parse(value);
  cr_assert_not_null(v, "bad value %s", value);
  cr_assert(cJSON_ReplaceItemInObjectCaseSensitive(parent, key, v), "no %s in run.json", where);
  char *changed = cJSON_Print(doc);
  put(name, changed);
  free(changed);
  free(keys);
  cJSON_Delete(doc);
  free(text);
}

Test(merge, bad_reports_are_refused_with_file_and_place, .timeout = 120) {
  char *mxc = mxc_strdup(mxc_test_bin("mxconform"));
  cr_assert_eq(sh(NULL, "%s run --seed 5 --filter 'DENY*' --json run.json", mxc), 0);
  put("syntax.json", "{\"schema\": \"mxconform-report\",\n  \"version\": 2,\n  oops}\n");
  put("other.json", "{\"name\": \"not a report\"}");
  put_changed("v1.json", "version", "1");
  put_changed("side.json", "scenarios/2/checks/0/side", "\"left\"");
  put_changed("outcome.json", "scenarios/0/outcome", "\"fail\"");
  put_changed("seed.json", "seed", "\"6\"");
  put_changed("level.json", "scenarios/1/checks/0/level", "\"CRITICAL\"");
  put_changed("check.json", "scenarios/1/checks/0/check", "\"telepathy\"");
  static const struct {
    const char *args, *says;
    int status;
  } cases[] = {
      {"syntax.json", "syntax.json:3:4: invalid JSON", 2},
      {"other.json", "other.json: $: not an mxconform report", 2},
      {"v1.json", "v1.json: $: report version 1 cannot be read (this mxconform reads version 2)",
       2},
      {"side.json", "side.json: $.scenarios[2].checks[0]: \"side\" must be client, wire or both",
       2},
      {"outcome.json",
       "outcome.json: $.scenarios[0]: \"outcome\" is fail, but the verdict and "
       "baseline make it pass",
       2},
      {"level.json", "level.json: $.scenarios[1].checks[0]: \"level\" must be INFO, SHOULD or MUST",
       2},
      {"check.json", "check.json: $.scenarios[1].checks[0]: unknown check \"telepathy\"", 2},
      {"run.json seed.json",
       "run.json and seed.json are both runs of built-in reference client, "
       "but not shards of one run: their seeds differ",
       2},
      {"run.json run.json", "is in both run.json and run.json: the same shard given twice?", 2},
      {"missing.json", "missing.json: cannot read", 2},
      {"", "no reports given", 2},
      {"--frobnicate run.json", "unknown option '--frobnicate'", 2},
      {"run.json --json", "option '--json' needs a value", 2},
      {"run.json --json no/such/dir/out.json", "cannot write no/such/dir/out.json", 3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = NULL;
    int status = sh(&out, "%s merge %s", mxc, cases[i].args);
    cr_expect_eq(status, cases[i].status, "merge %s: exit %d, want %d: %s", cases[i].args, status,
                 cases[i].status, out);
    cr_expect(strstr(out, cases[i].says) != NULL, "merge %s: want \"%s\" in:\n%s", cases[i].args,
              cases[i].says, out);
    free(out);
  }
  /* nothing was written by a refused merge */
  cr_expect_eq(sh(NULL, "ls | grep -v -E '^(run|syntax|other|v1|side|outcome|seed|level|check)"
                        "\\.json$'"),
               1, "stray files in %s", tmpdir);
  free(mxc);
}
