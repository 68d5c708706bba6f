/* End to end: the mxconform program over the real scenarios, with the built-in client, with
 * build/mxclient through the adapter contract, and with clients that lie or misbehave. */
#include "support.h"

#include "common/mxc_util.h"
#include "harness/scenario.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A result line that claims the sign-in worked, printed without talking to anybody. */
#define LIAR_LINE                                                                                  \
  "{\"attempts\":[{\"status\":200,\"validation_message\":\"\"}],\"restarted\":true,"               \
  "\"page\":\"Home_User\"}"

static int run_mxconform(const char *args, char **out) {
  char *cmd = mxc_asprintf("'%s' %s 2>/dev/null", mxc_test_bin("mxconform"), args);
  int st = mxc_test_sh(cmd, out);
  free(cmd);
  return st;
}

static char *temp_path(const char *name) {
  char *dir = mxc_tempdir_create("mxc-e2e");
  cr_assert_not_null(dir);
  char *p = mxc_asprintf("%s/%s", dir, name);
  free(dir);
  return p;
}

/* Writes an executable shell script and returns its path: the client commands below. */
static char *script(const char *body) {
  char *path = temp_path("client.sh");
  char *text = mxc_asprintf("#!/bin/sh\n%s\n", body);
  cr_assert_eq(mxc_file_write_atomic(path, text, strlen(text)), 0);
  cr_assert_eq(chmod(path, 0755), 0);
  free(text);
  return path;
}

/* The liar: prints a success without any wire traffic; `tail` runs after it. */
static char *liar(const char *tail) {
  char *body = mxc_asprintf("cat <<'EOF'\n" LIAR_LINE "\nEOF\n%s", tail);
  char *path = script(body);
  free(body);
  return path;
}

/* How many scenarios the catalog holds: the full runs below must account for each. */
static size_t catalog_size(void) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(mxc_test_src("scenarios"), &cat, &errors), 0, "%s", errors);
  size_t n = cat.n;
  mxc_catalog_cleanup(&cat);
  return n;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

Test(e2e, builtin_client_passes_all_three_and_writes_junit, .timeout = 60) {
  char *junit = temp_path("junit.xml");
  char *args = mxc_asprintf("run --junit '%s'", junit);
  char *out = NULL;
  int st = run_mxconform(args, &out);
  size_t n = catalog_size();
  char summary[64], tests[80];
  snprintf(summary, sizeof summary, "%zu passed, 0 failed", n);
  snprintf(tests, sizeof tests, "tests=\"%zu\" failures=\"0\" errors=\"0\"", n);
  cr_expect_eq(st, 0, "exit %d, output:\n%s", st, out);
  cr_expect(strstr(out, summary) != NULL, "%s", out);
  cr_expect(strstr(out, "PASS  OK-1-signin-restarts-home") != NULL, "%s", out);
  cr_expect(strstr(out, "PASS  DENY-1-wrong-password") != NULL, "%s", out);
  cr_expect(strstr(out, "PASS  NET-1-connection-refused") != NULL, "%s", out);
  char *xml = NULL;
  cr_assert_eq(mxc_file_read(junit, 1u << 24, &xml, NULL), 0, "no JUnit file at %s", junit);
  cr_expect_eq(count(xml, "<testcase "), n, "%s", xml);
  cr_expect_null(strstr(xml, "<failure"), "%s", xml);
  cr_expect(strstr(xml, tests) != NULL, "%s", xml);
  /* both sides of the evidence are in the report */
  cr_expect(strstr(xml, "client report:") != NULL);
  cr_expect(strstr(xml, "POST /xas/ login") != NULL);
  free(xml);
  free(out);
  free(args);
  free(junit);
}

Test(e2e, mxclient_through_the_adapter_passes_all_three, .timeout = 60) {
  char *args = mxc_asprintf("run --client-cmd '%s'", mxc_test_bin("mxclient"));
  char *out = NULL;
  int st = run_mxconform(args, &out);
  char summary[64];
  snprintf(summary, sizeof summary, "%zu passed, 0 failed", catalog_size());
  cr_expect_eq(st, 0, "exit %d, output:\n%s", st, out);
  cr_expect(strstr(out, summary) != NULL, "%s", out);
  free(out);
  free(args);
}

Test(e2e, lying_client_fails_all_three, .timeout = 60) {
  char *out = NULL;
  char *cmd = liar("");
  char *args = mxc_asprintf("run --client-cmd '%s'", cmd);
  int st = run_mxconform(args, &out);
  free(args);
  free(cmd);
  cr_expect_eq(st, 1, "exit %d, output:\n%s", st, out);
  size_t n = catalog_size();
  char summary[64];
  snprintf(summary, sizeof summary, "0 passed, %zu failed", n);
  cr_expect(strstr(out, summary) != NULL, "%s", out);
  /* each scenario fails twice over: in its block, and in the table of failures at the end */
  cr_expect_eq(count(out, "FAIL  "), 2 * n, "%s", out);
  cr_expect_eq(count(out, "\n  FAIL  "), n, "%s", out);
  /* the wire side is what unmasks it */
  cr_expect(strstr(out, "no /xas/ call at all") != NULL, "%s", out);
  free(out);
}

Test(e2e, junit_shows_the_failure_with_expected_and_seen, .timeout = 60) {
  char *junit = temp_path("junit.xml");
  char *cmd = liar("");
  char *args = mxc_asprintf("run --filter OK-1-signin-restarts-home --junit '%s' --client-cmd '%s'",
                            junit, cmd);
  free(cmd);
  int st = run_mxconform(args, NULL);
  cr_expect_eq(st, 1);
  char *xml = NULL;
  cr_assert_eq(mxc_file_read(junit, 1u << 24, &xml, NULL), 0);
  cr_expect_eq(count(xml, "<testcase "), 1, "%s", xml);
  cr_expect(strstr(xml, "<failure") != NULL, "%s", xml);
  cr_expect(strstr(xml, "expected: wire: after the 200 login") != NULL, "%s", xml);
  free(xml);
  free(args);
  free(junit);
}

Test(e2e, filter_selects_by_rule_group_and_rejects_no_match, .timeout = 60) {
  char *out = NULL;
  cr_expect_eq(run_mxconform("run --filter DENY", &out), 0);
  cr_expect(strstr(out, "1 passed, 0 failed") != NULL, "%s", out);
  cr_expect(strstr(out, "DENY-1-wrong-password") != NULL, "%s", out);
  free(out);
  cr_expect_eq(run_mxconform("run --filter 'NOPE-*'", NULL), 2);
}

Test(e2e, client_errors_fail_the_scenario, .timeout = 60) {
  char *out = NULL;
  /* exits non-zero after printing a good-looking result */
  char *cmd = liar("exit 3");
  char *args = mxc_asprintf("run --filter NET-1-connection-refused --client-cmd '%s'", cmd);
  int st = run_mxconform(args, &out);
  free(args);
  free(cmd);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "ERROR NET-1-connection-refused") != NULL, "%s", out);
  cr_expect(strstr(out, "exit status 3") != NULL, "%s", out);
  free(out);
  /* no result line at all */
  st = run_mxconform(
      "run --filter NET-1-connection-refused --client-cmd 'echo hello; echo oops >&2'", &out);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "not valid JSON") != NULL, "%s", out);
  cr_expect(strstr(out, "oops") != NULL, "stderr tail missing: %s", out);
  free(out);
}

/* Whether a live (not zombie) process runs `sleep ARG`. */
static bool sleep_running(const char *arg) {
  char want[64];
  int wlen = snprintf(want, sizeof want, "sleep%c%s", '\0', arg) + 1; /* with the final NUL */
  DIR *d = opendir("/proc");
  cr_assert_not_null(d);
  struct dirent *de;
  bool found = false;
  while (!found && (de = readdir(d))) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9')
      continue;
    char path[300], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
    if (mxc_file_read(path, 4096, &text, &len) == 0 && len == (size_t)wlen &&
        memcmp(text, want, (size_t)wlen) == 0)
      found = true;
    free(text);
  }
  closedir(d);
  return found;
}

Test(e2e, hanging_client_is_killed_at_the_deadline, .timeout = 60) {
  char *out = NULL;
  /* a sleep length nothing else on the machine uses: this run's marker */
  char marker[32];
  snprintf(marker, sizeof marker, "%d.%06d", 300 + (int)(mxc_now_us() % 600),
           (int)getpid() % 1000000);
  uint64_t t0 = mxc_now_ms();
  /* a background child too: the whole process group goes at the deadline */
  char *args = mxc_asprintf(
      "run --filter NET-1-connection-refused --client-cmd 'sleep %s & sleep %s'", marker, marker);
  int st = run_mxconform(args, &out);
  free(args);
  uint64_t took = mxc_now_ms() - t0;
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "deadline") != NULL, "%s", out);
  cr_expect_lt(took, 30000, "the run took %llu ms", (unsigned long long)took);
  free(out);
  /* nothing of it survives */
  cr_expect_not(sleep_running(marker), "a child of the client outlived the run");
}

Test(e2e, passwords_never_reach_reports, .timeout = 60) {
  /* every scenario's passwords, and a client that echoes the one it typed everywhere */
  const char *secrets[] = {"s3cret-Alice", "not-her-Password", "r00t-Admin!",
                           "hunter2-Bob",  "still-Wrong",      "Wr0ng-Root-pw"};
  const char *kinds[] = {"junit", "tap", "json"};
  char *paths[3];
  for (size_t i = 0; i < 3; i++)
    paths[i] = temp_path(kinds[i]);
  char *cmd = script("echo \"pw=$MXC_PASSWORD\" >&2\n"
                     "printf '{\"attempts\":[{\"status\":401,\"validation_message\":\"bad %s\"}],"
                     "\"restarted\":false,\"page\":\"Login\"}\\n' \"$MXC_PASSWORD\"");
  char *args = mxc_asprintf("run --junit '%s' --tap '%s' --json '%s' --client-cmd '%s'", paths[0],
                            paths[1], paths[2], cmd);
  free(cmd);
  char *out = NULL;
  int st = run_mxconform(args, &out);
  cr_expect_eq(st, 1, "%s", out);
  for (size_t k = 0; k < 3; k++) {
    char *text = NULL;
    cr_assert_eq(mxc_file_read(paths[k], 1u << 26, &text, NULL), 0, "no %s report", kinds[k]);
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
      cr_expect_null(strstr(out, secrets[i]), "%s in the console output", secrets[i]);
      cr_expect_null(strstr(text, secrets[i]), "%s in the %s report", secrets[i], kinds[k]);
    }
    free(text);
    free(paths[k]);
  }
  /* and DENY-2 caught the echo */
  cr_expect(strstr(out, "the message contains the password") != NULL, "%s", out);
  free(out);
  free(args);
}

Test(e2e, cli_usage_and_exit_codes, .timeout = 30) {
  char *out = NULL;
  cr_expect_eq(run_mxconform("--help", &out), 0);
  cr_expect(strstr(out, "mxconform run") != NULL && strstr(out, "--client-cmd") != NULL, "%s", out);
  free(out);
  cr_expect_eq(run_mxconform("--version", &out), 0);
  cr_expect(strstr(out, "mxconform ") == out, "%s", out);
  free(out);
  cr_expect_eq(run_mxconform("run --bogus", NULL), 2);
  cr_expect_eq(run_mxconform("frobnicate", NULL), 2);
  cr_expect_eq(run_mxconform("run --level sometimes", NULL), 2);
  cr_expect_eq(run_mxconform("run --scenarios /nonexistent/dir", NULL), 2);
  cr_expect_eq(run_mxconform("list", &out), 0);
  cr_expect_eq(count(out, "\n    "), catalog_size(), "%s", out);
  free(out);
}

/* ---- misbehaving clients: the right verdict, and the run completes ---- */

static char *run_one_with(const char *script_body, int *status) {
  char *cmd = script(script_body);
  char *args = mxc_asprintf("run --filter DENY-1-wrong-password --client-cmd '%s'", cmd);
  char *out = NULL;
  *status = run_mxconform(args, &out);
  free(args);
  free(cmd);
  return out;
}

Test(e2e, crashing_client_is_an_error, .timeout = 60) {
  int st;
  char *out = run_one_with("kill -SEGV $$", &st);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "ERROR DENY-1-wrong-password") != NULL, "%s", out);
  cr_expect(strstr(out, "signal 11") != NULL, "%s", out);
  free(out);
}

Test(e2e, malformed_result_is_an_error, .timeout = 60) {
  int st;
  char *out = run_one_with("echo '{\"attempts\": [}'", &st);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "no valid result") != NULL, "%s", out);
  free(out);
  out = run_one_with("echo '{\"attempts\":[],\"restarted\":\"no\",\"page\":\"Login\"}'", &st);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "\"restarted\"") != NULL, "%s", out);
  free(out);
}

Test(e2e, flooding_client_is_cut_off, .timeout = 60) {
  int st;
  uint64_t t0 = mxc_now_ms();
  /* 100 MB on stdout: capped at 1 MiB, killed, reported; no hang, no memory blow-up */
  char *out = run_one_with("head -c 100000000 /dev/zero | tr '\\\\0' x", &st);
  cr_expect_eq(st, 1, "%s", out);
  cr_expect(strstr(out, "flooded stdout") != NULL, "%.2000s", out);
  cr_expect_lt(mxc_now_ms() - t0, 20000);
  cr_expect_lt(strlen(out), 100000, "the flood reached the report");
  free(out);
}

Test(e2e, daemon_left_behind_is_killed, .timeout = 60) {
  char marker[32], body[256];
  snprintf(marker, sizeof marker, "%d.%06d", 700 + (int)(mxc_now_us() % 200),
           (int)getpid() % 1000000);
  /* a new session: out of reach of the process-group kill */
  snprintf(body, sizeof body,
           "setsid sleep %s >/dev/null 2>&1 < /dev/null &\ncat <<'EOF'\n" LIAR_LINE "\nEOF",
           marker);
  int st;
  char *out = run_one_with(body, &st);
  cr_expect_eq(st, 1, "the liar fails: %s", out);
  free(out);
  /* the kill is synchronous, the reaping is not: give the process table a moment */
  bool alive = true;
  for (int i = 0; i < 50 && (alive = sleep_running(marker)); i++)
    usleep(20000);
  cr_expect_not(alive, "a daemon the client started outlived the run");
}

/* Ctrl-C in the middle of a run: running clients stop, the reports are still written and say
 * the run is incomplete, and the exit status is 128+SIGINT. */
Test(e2e, interrupted_run_writes_incomplete_reports, .timeout = 60) {
  char *junit = temp_path("junit.xml");
  char *out_path = temp_path("out.txt");
  char *cmd = mxc_asprintf(
      "'%s' run --jobs 1 --junit '%s' > '%s' 2>&1 & pid=$!; "
      "n=0; while ! grep -q '^PASS' '%s' && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done; "
      "kill -INT $pid; wait $pid; echo \"exit=$?\"",
      mxc_test_bin("mxconform"), junit, out_path, out_path);
  char *status = NULL;
  mxc_test_sh(cmd, &status);
  cr_expect(strstr(status, "exit=130") != NULL, "%s", status);
  char *out = NULL, *xml = NULL;
  cr_assert_eq(mxc_file_read(out_path, 1u << 24, &out, NULL), 0);
  cr_expect(strstr(out, "INTERRUPTED:") != NULL, "%s", out);
  cr_assert_eq(mxc_file_read(junit, 1u << 24, &xml, NULL), 0, "no JUnit file after SIGINT");
  cr_expect(strstr(xml, "type=\"interrupted\"") != NULL, "%s", xml);
  cr_expect(strstr(xml, "</testsuites>") != NULL, "a half-written report");
  free(out);
  free(xml);
  free(status);
  free(cmd);
  free(junit);
  free(out_path);
}

/* JUnit as a real consumer reads it: every file mxconform writes (passes, failures, client
 * errors, expected failures, an interrupted run) validates against docs/junit.xsd. */
Test(e2e, junit_validates_against_the_schema, .timeout = 120) {
  if (mxc_test_sh("command -v xmllint >/dev/null", NULL) != 0)
    cr_skip_test("xmllint (Debian libxml2-utils) is not installed");
  const char *xsd = mxc_test_src("docs/junit.xsd");
  char *xsd_path = mxc_strdup(xsd);
  char *liar_cmd = liar("");
  char *crash = script("kill -SEGV $$");
  char *base = temp_path("baseline.txt");
  const char *btext = "DENY-1-wrong-password  a known bug\n";
  cr_assert_eq(mxc_file_write_atomic(base, btext, strlen(btext)), 0);
  char *runs[] = {
      mxc_strdup("run"),
      mxc_asprintf("run --filter DENY --client-cmd '%s'", liar_cmd),
      mxc_asprintf("run --filter DENY-1-wrong-password --client-cmd '%s'", crash),
      mxc_asprintf("run --filter DENY-1-wrong-password --client-cmd '%s' --baseline '%s'", liar_cmd,
                   base),
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    char *junit = temp_path("junit.xml");
    char *args = mxc_asprintf("%s --agent 'a & b <c>' --junit '%s'", runs[i], junit);
    run_mxconform(args, NULL);
    char *check = mxc_asprintf("xmllint --noout --schema '%s' '%s' 2>&1", xsd_path, junit);
    char *out = NULL;
    cr_expect_eq(mxc_test_sh(check, &out), 0, "%s: %s", runs[i], out);
    free(out);
    free(check);
    free(args);
    free(junit);
    free(runs[i]);
  }
  /* and the schema is strict enough to refuse a broken file */
  char *bad = temp_path("bad.xml");
  const char *btxt =
      "<testsuites tests=\"1\"><testsuite name=\"x\"><testcase/></testsuite></testsuites>";
  cr_assert_eq(mxc_file_write_atomic(bad, btxt, strlen(btxt)), 0);
  char *check = mxc_asprintf("xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd_path, bad);
  cr_expect_neq(mxc_test_sh(check, NULL), 0, "the schema accepted a broken JUnit file");
  free(check);
  free(bad);
  free(base);
  free(crash);
  free(liar_cmd);
  free(xsd_path);
}
