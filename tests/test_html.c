/* The HTML reporter: hand-built runs (hostile client output, a secret in the scenario, broken
 * transcripts), two real runs side by side, and what headless Chromium makes of the page.
 * tests/data/html/check_html.py parses a page and describes it as JSON; png_colours.py counts
 * pixels of a screenshot. */
#include "support.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/runner.h"
#include "reports/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "Sup3r-Secret-PW"
#define HOSTILE "</script><script>alert(1)</script>"
#define HOSTILE_IMG "<img src=\"https://evil.example/x.png\" onerror='alert(2)'>"
#define ARROW "\xe2\x86\x92" /* U+2192, as the page's text reads once parsed */
#define DOT "\xc2\xb7"       /* U+00B7 */

/* ---- a fake catalog and results written by hand ---- */

static const mxc_rule RULES[] = {
    {"T-1", MXC_LEVEL_MUST, "T", "a wrong password is refused"},
    {"T-2", MXC_LEVEL_SHOULD, "T", "the refusal names no <field> & \"quotes\""},
};
static const mxc_rule *SC_RULES[] = {&RULES[0], &RULES[1]};
static mxc_account ACCOUNTS[] = {{.username = "alice", .password = SECRET, .active = true}};
static mxc_attempt_input ATTEMPTS[] = {{.username = "alice", .password = SECRET}};

#define SCENARIO(id_, title_)                                                                      \
  {                                                                                                \
    .file = "tests/data/html/" id_ ".json", .id = id_, .title = title_,                            \
    .description = "Made up for the HTML tests <b>not bold</b>.", .rules = SC_RULES, .nrules = 2,  \
    .level = MXC_LEVEL_MUST, .accounts = ACCOUNTS, .naccounts = 1,                                 \
    .client = {.scenario = id_, .attempts = ATTEMPTS, .nattempts = 1, .timeout_ms = 1500},         \
  }

enum { SC_PASS, SC_FAIL, SC_ERROR, SC_XFAIL, SC_STALE, SC_NEW };
static mxc_scenario SCENARIOS[] = {
    SCENARIO("T-pass", "A wrong password is refused"),
    SCENARIO("T-fail", "Refusal \"names\" the <field>"),
    SCENARIO("T-error", "The client crashes"),
    SCENARIO("T-xfail", "A known defect"),
    SCENARIO("T-stale", "A fixed defect"),
    SCENARIO("T-new", "Only the second agent ran it"),
};

static mxc_check_result CHECKS_PASS[] = {
    {&RULES[0], MXC_LEVEL_MUST, MXC_CHECK_STATUS, true, MXC_SIDE_CLIENT, "attempt 1: status 401",
     "status 401"},
};
static mxc_check_result CHECKS_FAIL[] = {
    {&RULES[0], MXC_LEVEL_MUST, MXC_CHECK_STATUS, false, MXC_SIDE_CLIENT, "attempt 1: status 401",
     "status 200"},
    {&RULES[1], MXC_LEVEL_SHOULD, MXC_CHECK_MESSAGE_CONTAINS, false, MXC_SIDE_CLIENT,
     "message contains \"Wrong\"", "message \"" HOSTILE "\" \xff"},
};

#define TRANSCRIPT                                                                                 \
  "{\"version\":1,\"seed\":\"77\",\"connections\":[{\"id\":1,\"peer\":\"127.0.0.1:40000\","        \
  "\"opened_us\":1000,\"closed_us\":9000,\"end\":\"client_closed\",\"bytes_in\":300,"              \
  "\"bytes_out\":200},{\"id\":2,\"peer\":\"127.0.0.1:40002\",\"opened_us\":3000,"                  \
  "\"end\":\"fault_reset\",\"bytes_in\":120,\"bytes_out\":0}],\"exchanges\":[{\"seq\":0,"          \
  "\"conn\":1,\"t_us\":1500,\"method\":\"POST\",\"target\":\"/xas/\",\"action\":"                  \
  "\"get_session_data\",\"params\":{},\"session_in\":{\"id\":null,\"state\":\"none\"},"            \
  "\"csrf\":\"absent\",\"session_created\":\"anonymous\",\"set_cookies\":[\"XASSESSIONID=abc; "    \
  "Path=/; HttpOnly\"],\"status\":200},{\"seq\":1,\"conn\":1,\"t_us\":4000,\"method\":\"POST\","   \
  "\"target\":\"/xas/\",\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":"     \
  "\"[redacted]\"},\"session_in\":{\"id\":\"abc\",\"state\":\"anonymous\"},\"csrf\":\"match\","    \
  "\"faults\":[{\"kind\":\"delay\",\"delay_ms\":300}],\"outcome\":\"wrong_password\","             \
  "\"status\":401},{\"seq\":2,\"conn\":2,\"t_us\":6000,\"method\":\"POST\",\"target\":\"/xas/\","  \
  "\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"[redacted]\"},"          \
  "\"faults\":[{\"kind\":\"reset\"}]}]}"

#define REPORT_OK                                                                                  \
  "{\"attempts\":[{\"status\":401,\"validation_message\":\"Wrong username or password.\"}],"       \
  "\"restarted\":false,\"page\":\"Login\",\"timings\":{\"startup_ms\":1.5,\"signin_ms\":2.25}}"
#define REPORT_HOSTILE                                                                             \
  "{\"attempts\":[{\"status\":200,\"validation_message\":\"" HOSTILE " \\\"q\\\" 'a' \xff "        \
  "[redacted]\"}],\"restarted\":false,\"page\":\"Login\"}"

static cJSON *parse(const char *text) {
  cJSON *j = cJSON_Parse(text);
  cr_assert_not_null(j, "bad JSON literal in the test: %s", text);
  return j;
}

/* One result of scenario sc, at a position, with an outcome. */
static mxc_scenario_result result_of(int sc, size_t position) {
  mxc_scenario_result r = {
      .sc = &SCENARIOS[sc],
      .verdict = MXC_VERDICT_PASS,
      .checks = CHECKS_PASS,
      .nchecks = 1,
      .client = {.report = parse(REPORT_OK), .exit_status = 0, .duration_ms = 20},
      .transcript = parse(TRANSCRIPT),
      .deadline_ms = 5000,
      .seed = 18446744073709551615ull,
      .duration_ms = 25,
      .position = position,
  };
  switch (sc) {
  case SC_FAIL:
    r.verdict = MXC_VERDICT_FAIL;
    r.checks = CHECKS_FAIL;
    r.nchecks = 2;
    cJSON_Delete(r.client.report);
    r.client.report = parse(REPORT_HOSTILE);
    r.client.stderr_tail = HOSTILE_IMG "\n";
    break;
  case SC_ERROR:
    r.verdict = MXC_VERDICT_ERROR;
    r.checks = CHECKS_FAIL;
    r.nchecks = 1;
    cJSON_Delete(r.client.report);
    r.client.report = NULL;
    r.client.error = "the client exited with status 3 without a result line";
    r.client.exit_status = 3;
    break;
  case SC_XFAIL:
    r.verdict = MXC_VERDICT_FAIL;
    r.checks = CHECKS_FAIL;
    r.nchecks = 1;
    r.baseline_reason = "issue #12: <known>";
    break;
  case SC_STALE:
    r.baseline_reason = "issue #9: fixed since";
    r.baseline_stale = true;
    break;
  }
  return r;
}

/* A run of the given scenarios (positions as given), totals counted as the runner does. */
static mxc_run_result make_run(const char *agent, const int *scs, const size_t *positions,
                               size_t n) {
  mxc_run_result run = {
      .client_desc = "./fake-client --flag <b>",
      .agent = agent,
      .level = MXC_LEVEL_MUST,
      .seed = 42,
      .started = 1700000000,
      .duration_ms = 1234.5,
  };
  run.results = calloc(n, sizeof *run.results);
  cr_assert_not_null(run.results);
  for (size_t i = 0; i < n; i++) {
    run.results[i] = result_of(scs[i], positions[i]);
    mxc_run_count(&run, &run.results[i]);
  }
  run.n = run.selected = run.selection_total = n;
  return run;
}

static mxc_run_result make_five(void) {
  static const int scs[] = {SC_PASS, SC_FAIL, SC_ERROR, SC_XFAIL, SC_STALE};
  static const size_t pos[] = {0, 1, 2, 3, 4};
  return make_run(NULL, scs, pos, 5);
}

static void free_run(mxc_run_result *run) {
  for (size_t i = 0; i < run->n; i++) {
    cJSON_Delete(run->results[i].client.report);
    cJSON_Delete(run->results[i].transcript);
  }
  free(run->results);
}

/* ---- helpers ---- */

static char *tmpdir;

static void setup(void) {
  tmpdir = mxc_tempdir_create("mxc-html");
  cr_assert_not_null(tmpdir);
}

static void teardown(void) {
  mxc_tree_remove(tmpdir);
  free(tmpdir);
}

static char *slurp(const char *path) {
  char *text = NULL;
  size_t len;
  int rc = mxc_file_read(path, 256u << 20, &text, &len);
  cr_assert_eq(rc, 0, "cannot read %s: %s", path, mxc_strerror(rc));
  return text;
}

static char *write_html(const char *name, const mxc_run_result *const *runs, size_t n) {
  char *path = mxc_asprintf("%s/%s", tmpdir, name);
  int rc = mxc_html_write(path, runs, n);
  cr_assert_eq(rc, 0, "mxc_html_write: %s", mxc_strerror(rc));
  return path;
}

static size_t count_of(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

/* check_html.py's description of the page at path (aborts the test when it cannot run). */
static cJSON *describe(const char *path) {
  char *cmd =
      mxc_asprintf("python3 '%s' '%s'", mxc_test_src("tests/data/html/check_html.py"), path);
  char *out = NULL;
  int st = mxc_test_sh(cmd, &out);
  free(cmd);
  cr_assert_eq(st, 0, "check_html.py failed (exit %d; is python3 installed?): %s", st, out);
  cJSON *doc = cJSON_Parse(out);
  cr_assert_not_null(doc, "check_html.py printed no JSON: %s", out);
  free(out);
  return doc;
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static int cells_of(const cJSON *page, const char *outcome) {
  const cJSON *v =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(page, "cells"), outcome);
  return cJSON_IsNumber(v) ? v->valueint : 0;
}

/* The page parses with nothing unbalanced, references nothing outside itself, and has one
 * script and the Content-Security-Policy that keeps a browser from fetching anything. */
static void expect_sound(const cJSON *page) {
  const cJSON *problems = cJSON_GetObjectItemCaseSensitive(page, "problems");
  char *p = cJSON_Print(problems);
  cr_expect_eq(cJSON_GetArraySize(problems), 0, "the page does not parse cleanly: %s", p);
  free(p);
  const cJSON *ext = cJSON_GetObjectItemCaseSensitive(page, "external");
  p = cJSON_Print(ext);
  cr_expect_eq(cJSON_GetArraySize(ext), 0, "references outside the page: %s", p);
  free(p);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page, "scripts")), 1);
  cr_expect_str_eq(str_of(page, "csp"), "default-src 'none'; style-src 'unsafe-inline'; "
                                        "script-src 'unsafe-inline'; img-src data:");
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(page, "cells_bad")->valueint, 0,
               "a matrix cell whose class and data-outcome disagree");
}

/* The outcome of matrix row r, column k ("" when absent). */
static const char *cell(const cJSON *page, int r, int k) {
  const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "rows"), r);
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(row, "cells"), k);
  return cJSON_IsString(c) ? c->valuestring : "";
}

static const char *row_id(const cJSON *page, int r) {
  return str_of(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "rows"), r), "id");
}

TestSuite(html, .init = setup, .fini = teardown);

/* ---- hand-built runs ---- */

Test(html, one_run_page_is_sound_and_hostile_output_stays_text, .timeout = 60) {
  mxc_run_result run = make_five();
  const mxc_run_result *runs[] = {&run};
  char *path = write_html("one.html", runs, 1);
  char *text = slurp(path);
  cJSON *page = describe(path);
  expect_sound(page);
  /* one cell per outcome */
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page, "rows")), 5);
  cr_expect_eq(count_of(text, "class=\"cell "), 5);
  cr_expect_eq(cells_of(page, "pass"), 1);
  cr_expect_eq(cells_of(page, "fail"), 1);
  cr_expect_eq(cells_of(page, "error"), 1);
  cr_expect_eq(cells_of(page, "xfail"), 1);
  cr_expect_eq(cells_of(page, "stale"), 1);
  cr_expect_eq(cells_of(page, "notrun"), 0);
  /* the single column is labelled with the client, the run's header cell and summary carry it */
  const cJSON *header = cJSON_GetObjectItemCaseSensitive(page, "header");
  cr_expect_eq(cJSON_GetArraySize(header), 2);
  cr_expect(strncmp(cJSON_GetArrayItem(header, 1)->valuestring, "./fake-client --flag <b>", 24) ==
                0,
            "%s", cJSON_GetArrayItem(header, 1)->valuestring);
  const char *t = str_of(page, "text");
  cr_expect(strstr(t, MXC_VERSION) != NULL, "no version");
  cr_expect(strstr(t, "2023-11-14 22:13:20 UTC") != NULL, "no start time");
  cr_expect(strstr(t, "5 scenarios: 1 passed, 3 failed (1 errors), 1 expected failures") != NULL);
  cr_expect(strstr(t, "18446744073709551615") != NULL, "no 64-bit fault seed");
  /* the hostile text is on the page as text, never as markup */
  cr_expect(strstr(t, HOSTILE " \\\"q\\\" 'a' \xef\xbf\xbd [redacted]") != NULL,
            "the client's message is not shown as text");
  cr_expect(strstr(t, HOSTILE_IMG) != NULL, "the stderr tail is not shown as text");
  cr_expect(strstr(t, "<b>not bold</b>") != NULL);
  cr_expect(strstr(text, "<script>alert") == NULL);
  cr_expect(strstr(text, "<img") == NULL);
  cr_expect(strstr(text, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
  cr_expect(strstr(str_of(page, "text"), "alert(2)") != NULL);
  cr_expect(
      strstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "scripts"), 0)->valuestring,
             "alert") == NULL,
      "client text reached the script");
  /* no URL but the hostile one, escaped */
  cr_expect_eq(count_of(text, "http://"), 0);
  cr_expect_eq(count_of(text, "https://"), 1);
  cr_expect(strstr(text, "src=&quot;https://evil.example/x.png&quot;") != NULL);
  /* the scenario's password never reaches the page; the redacted one does */
  cr_expect(strstr(text, SECRET) == NULL);
  cr_expect(strstr(t, "password: [redacted]") != NULL);
  /* failed checks that count are highlighted, the SHOULD one at MUST level is not */
  cr_expect_eq(count_of(text, "<tr class=\"bad\">"), 3,
               "the MUST checks of T-fail, -error, -xfail");
  cr_expect_eq(count_of(text, "<tr class=\"minor\">"), 1, "the SHOULD check of T-fail");
  cJSON_Delete(page);
  free(text);
  free(path);
  free_run(&run);
}

Test(html, matrix_is_the_union_of_runs_in_position_order, .timeout = 60) {
  /* alpha ran positions 2, 0, 4 (in that order); the second, unnamed, ran 1, 2, 3 and T-stale
   * at 0 too (a tie broken by first appearance) */
  static const int a_sc[] = {SC_FAIL, SC_PASS, SC_ERROR};
  static const size_t a_pos[] = {2, 0, 4};
  static const int b_sc[] = {SC_XFAIL, SC_PASS, SC_NEW, SC_STALE};
  static const size_t b_pos[] = {1, 2, 3, 0};
  mxc_run_result a = make_run("alpha", a_sc, a_pos, 3);
  mxc_run_result b = make_run(NULL, b_sc, b_pos, 4);
  b.results[1].sc = &SCENARIOS[SC_FAIL]; /* the same scenario as alpha's, passing here */
  const mxc_run_result *runs[] = {&a, &b};
  char *path = write_html("two.html", runs, 2);
  cJSON *page = describe(path);
  expect_sound(page);
  const cJSON *header = cJSON_GetObjectItemCaseSensitive(page, "header");
  cr_assert_eq(cJSON_GetArraySize(header), 3);
  cr_expect(strncmp(cJSON_GetArrayItem(header, 1)->valuestring, "alpha", 5) == 0);
  cr_expect(strncmp(cJSON_GetArrayItem(header, 2)->valuestring, "./fake-client", 13) == 0);
  static const char *ids[] = {"T-pass", "T-stale", "T-xfail", "T-fail", "T-new", "T-error"};
  static const char *want[][2] = {{"pass", "notrun"}, {"notrun", "stale"}, {"notrun", "xfail"},
                                  {"fail", "pass"},   {"notrun", "pass"},  {"error", "notrun"}};
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page, "rows")), 6);
  for (int r = 0; r < 6; r++) {
    cr_expect_str_eq(row_id(page, r), ids[r], "row %d", r);
    for (int k = 0; k < 2; k++)
      cr_expect_str_eq(cell(page, r, k), want[r][k], "row %s, run %d", ids[r], k);
  }
  cr_expect_eq(cells_of(page, "notrun"), 5);
  /* a cell links to its scenario x run section, which exists */
  char *text = slurp(path);
  cr_expect(strstr(text, "<a href=\"#s5-r1\"") != NULL);
  cr_expect(strstr(text, "id=\"s5-r1\"") != NULL);
  cr_expect(strstr(str_of(page, "text"), "this run has no result for the scenario") != NULL);
  free(text);
  cJSON_Delete(page);
  free(path);
  free_run(&a);
  free_run(&b);
}

Test(html, incomplete_or_failing_run_never_looks_green, .timeout = 60) {
  static const int scs[] = {SC_PASS, SC_PASS};
  static const size_t pos[] = {0, 3};
  mxc_run_result green = make_run("green", scs, pos, 2);
  green.results[1].sc = &SCENARIOS[SC_NEW];
  const mxc_run_result *runs[] = {&green};
  char *path = write_html("green.html", runs, 1);
  char *text = slurp(path);
  cr_expect(strstr(text, "<span class=\"state good\">PASSED</span>") != NULL, "%s", text);
  free(text);
  /* the same run, interrupted: 2 of 5 selected ran (of 9 before sharding) */
  green.incomplete = true;
  green.selected = 5;
  green.selection_total = 9;
  char *path2 = write_html("incomplete.html", runs, 1);
  text = slurp(path2);
  cJSON *page = describe(path2);
  const char *t = str_of(page, "text");
  cr_expect(strstr(t, "INCOMPLETE: results for 2 of 5 selected scenarios (9 before sharding)"),
            "%s", t);
  cr_expect(strstr(text, "PASSED") == NULL);
  cr_expect(strstr(text, "state good") == NULL);
  cr_expect(strstr(text, "run-card good") == NULL);
  cr_expect(strstr(text, "<span class=\"state bad\">INCOMPLETE</span>") != NULL);
  cJSON_Delete(page);
  free(text);
  /* a failing run */
  mxc_run_result five = make_five();
  runs[0] = &five;
  char *path3 = write_html("failing.html", runs, 1);
  text = slurp(path3);
  cr_expect(strstr(text, "PASSED") == NULL);
  cr_expect(strstr(text, "<span class=\"state bad\">FAILED</span>") != NULL);
  free(text);
  free(path);
  free(path2);
  free(path3);
  free_run(&green);
  free_run(&five);
}

Test(html, wire_sequence_and_timing_chart, .timeout = 60) {
  static const int scs[] = {SC_PASS};
  static const size_t pos[] = {0};
  mxc_run_result run = make_run("agent", scs, pos, 1);
  const mxc_run_result *runs[] = {&run};
  char *path = write_html("wire.html", runs, 1);
  char *text = slurp(path);
  cJSON *page = describe(path);
  expect_sound(page);
  const char *t = str_of(page, "text");
  /* times relative to the first event (conn 1 accepted at 1000 us) */
  cr_expect(strstr(t, "+0.000 ms conn 1 opened from 127.0.0.1:40000") != NULL, "%s", t);
  cr_expect(strstr(t, "+0.500 ms conn 1 " DOT " #0") != NULL, "%s", t);
  cr_expect(strstr(t, "client " ARROW " mock: POST /xas/ get_session_data " DOT " session none " DOT
                      " csrf absent") != NULL,
            "%s", t);
  cr_expect(strstr(t, "mock " ARROW " client: 200 " DOT " session created anonymous " DOT
                      " set-cookie XASSESSIONID=abc; Path=/; HttpOnly") != NULL,
            "%s", t);
  cr_expect(strstr(t, "+3.000 ms conn 1 " DOT " #1") != NULL, "%s", t);
  cr_expect(strstr(t, "client " ARROW " mock: POST /xas/ login {username: alice, password: "
                      "[redacted]} " DOT " session anonymous " DOT " csrf match " DOT
                      " fault delay (300 ms)") != NULL,
            "%s", t);
  cr_expect(strstr(t, "mock " ARROW " client: 401 " DOT " outcome wrong_password") != NULL, "%s",
            t);
  cr_expect(strstr(t, "fault reset") != NULL, "%s", t);
  cr_expect(strstr(t, "mock " ARROW " client: no response") != NULL, "%s", t);
  cr_expect(strstr(t, "+8.000 ms conn 1 closed: client_closed " DOT " 300 bytes in, 200 out") !=
                NULL,
            "%s", t);
  cr_expect(strstr(t, "conn 2 closed: fault_reset") != NULL, "%s", t);
  /* the chart: two connection lanes, three markers, two client steps, an axis in ms */
  cr_expect_eq(count_of(text, "<svg class=\"chart\""), 1);
  cr_expect_eq(count_of(text, "fill=\"#9ecae1\""), 2, "connection bars");
  cr_expect_eq(count_of(text, "width=\"3\" height=\"14\""), 3, "exchange markers");
  cr_expect(strstr(t, "get_session_data 200") && strstr(t, "login 401"), "marker labels");
  cr_expect(strstr(t, "client: startup_ms") && strstr(t, "client: signin_ms"), "step lanes");
  cr_expect_eq(count_of(text, "fill=\"#fdae6b\""), 2, "step bars");
  cr_expect(strstr(t, "ms since first event") != NULL);
  /* conn 1 spans 0..8 ms of an 8 ms chart: the whole plot width (170 to 936) */
  cr_expect(strstr(text, "<rect x=\"170.0\" y=\"20\" width=\"680.0\"") != NULL, "%s", text);
  cJSON_Delete(page);
  free(text);
  free(path);
  free_run(&run);
}

Test(html, broken_transcripts_and_reports_are_survived, .timeout = 60) {
  static const int scs[] = {SC_PASS, SC_PASS, SC_PASS, SC_PASS};
  static const size_t pos[] = {0, 1, 2, 3};
  mxc_run_result run = make_run("agent", scs, pos, 4);
  const char *broken[] = {
      NULL,
      "{\"connections\":\"x\",\"exchanges\":[1,\"a\",{\"seq\":\"zero\",\"t_us\":\"late\","
      "\"conn\":{},\"params\":[1],\"faults\":{\"kind\":1},\"set_cookies\":7}]}",
      "{\"connections\":[{\"id\":1},7],\"exchanges\":[{\"conn\":5,\"t_us\":1e300,\"status\":"
      "\"200\",\"session_in\":\"x\"},{\"conn\":1,\"t_us\":-5}]}",
      "[]",
  };
  const char *reports[] = {"{\"timings\":{\"a\":-1,\"b\":\"x\",\"c\":1e308}}",
                           "{\"timings\":[1,2]}", "7", "{\"timings\":{\"only\":0}}"};
  for (int i = 0; i < 4; i++) {
    cJSON_Delete(run.results[i].transcript);
    run.results[i].transcript = broken[i] ? parse(broken[i]) : NULL;
    cJSON_Delete(run.results[i].client.report);
    run.results[i].client.report = parse(reports[i]);
    run.results[i].sc = &SCENARIOS[i];
  }
  const mxc_run_result *runs[] = {&run};
  char *path = write_html("broken.html", runs, 1);
  char *text = slurp(path);
  cJSON *page = describe(path);
  expect_sound(page);
  cr_expect_eq(cells_of(page, "pass"), 4);
  cr_expect(!strstr(text, "=\"nan") && !strstr(text, "=\"-nan") && !strstr(text, "=\"inf") &&
                !strstr(text, "=\"-inf"),
            "a coordinate that is not a number");
  cr_expect(strstr(str_of(page, "text"), "the mock recorded nothing") != NULL);
  cr_expect(strstr(str_of(page, "text"), "conn (not listed)") != NULL);
  cJSON_Delete(page);
  free(text);
  free(path);
  free_run(&run);
}

Test(html, failed_write_leaves_no_file, .timeout = 10) {
  mxc_run_result run = make_five();
  const mxc_run_result *runs[] = {&run};
  char *path = mxc_asprintf("%s/no-such-dir/report.html", tmpdir);
  cr_expect_lt(mxc_html_write(path, runs, 1), 0);
  cr_expect_neq(access(path, F_OK), 0);
  free(path);
  /* an earlier report is replaced whole */
  path = mxc_asprintf("%s/old.html", tmpdir);
  cr_assert_eq(mxc_file_write_atomic(path, "stale", 5), 0);
  cr_assert_eq(mxc_html_write(path, runs, 1), 0);
  char *text = slurp(path);
  cr_expect(strncmp(text, "<!DOCTYPE html>", 15) == 0);
  free(text);
  free(path);
  free_run(&run);
}

/* ---- two real runs: the reference client and one with a deliberate defect ---- */

#define FILTER "DENY-*"
#define DEFECT "password-in-message" /* fails DENY-1-wrong-password and DENY-2-... */

typedef struct real_runs {
  mxc_catalog cat;
  mxc_run_result ref, buggy;
  char *cmd;
  char *html; /* the page, side by side */
} real_runs;

static void real_runs_make(real_runs *rr) {
  memset(rr, 0, sizeof *rr);
  char *errors = NULL;
  int rc = mxc_catalog_load(mxc_test_src("scenarios"), &rr->cat, &errors);
  cr_assert_eq(rc, 0, "catalog: %s", errors ? errors : mxc_strerror(rc));
  mxc_run_options opt = {.filter = FILTER, .level = MXC_LEVEL_MUST, .seed = 7, .jobs = 4};
  rc = mxc_run(&rr->cat, &opt, &rr->ref);
  cr_assert_eq(rc, 0, "reference run: %s", mxc_strerror(rc));
  rr->ref.agent = "reference";
  rr->cmd = mxc_asprintf("'%s' --defect " DEFECT, mxc_test_bin("mxclient"));
  opt.client_cmd = rr->cmd;
  rc = mxc_run(&rr->cat, &opt, &rr->buggy);
  cr_assert_eq(rc, 0, "buggy run: %s", mxc_strerror(rc));
  rr->buggy.agent = "buggy";
  cr_assert_gt(rr->ref.n, 3);
  cr_assert_eq(rr->ref.n, rr->buggy.n);
  cr_assert_eq(rr->ref.failed, 0, "the reference client fails %zu scenarios", rr->ref.failed);
  cr_assert_gt(rr->buggy.failed, 0, "defect " DEFECT " fails none of " FILTER);
  cr_assert_gt(rr->buggy.passed, 0);
  const mxc_run_result *runs[] = {&rr->ref, &rr->buggy};
  rr->html = write_html("compare.html", runs, 2);
}

static void real_runs_free(real_runs *rr) {
  mxc_run_result_cleanup(&rr->ref);
  mxc_run_result_cleanup(&rr->buggy);
  mxc_catalog_cleanup(&rr->cat);
  free(rr->cmd);
  free(rr->html);
}

/* The 2-column matrix of the real runs, as check_html.py describes page. */
static void expect_real_matrix(const cJSON *page, const real_runs *rr) {
  const cJSON *header = cJSON_GetObjectItemCaseSensitive(page, "header");
  cr_assert_eq(cJSON_GetArraySize(header), 3);
  cr_expect(strncmp(cJSON_GetArrayItem(header, 1)->valuestring, "reference", 9) == 0);
  cr_expect(strncmp(cJSON_GetArrayItem(header, 2)->valuestring, "buggy", 5) == 0);
  cr_assert_eq((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page, "rows")),
               rr->ref.n);
  size_t fails = 0, passes = 0;
  for (size_t i = 0; i < rr->ref.n; i++) {
    cr_expect_str_eq(row_id(page, (int)i), rr->ref.results[i].sc->id);
    cr_expect_str_eq(cell(page, (int)i, 0), "pass", "%s", row_id(page, (int)i));
    const mxc_scenario_result *b = &rr->buggy.results[i];
    cr_expect_str_eq(cell(page, (int)i, 1), b->verdict == MXC_VERDICT_PASS ? "pass" : "fail", "%s",
                     row_id(page, (int)i));
    fails += strcmp(cell(page, (int)i, 1), "fail") == 0;
    passes += strcmp(cell(page, (int)i, 1), "pass") == 0;
  }
  cr_expect_eq(fails, rr->buggy.failed);
  cr_expect_eq(passes, rr->buggy.passed);
  cr_expect_eq((size_t)cells_of(page, "pass") + (size_t)cells_of(page, "fail"), 2 * rr->ref.n);
}

Test(html, real_runs_side_by_side, .timeout = 240) {
  real_runs rr;
  real_runs_make(&rr);
  char *text = slurp(rr.html);
  cJSON *page = describe(rr.html);
  expect_sound(page);
  expect_real_matrix(page, &rr);
  cr_expect(strstr(text, "http://") == NULL && strstr(text, "https://") == NULL);
  /* the defect echoes the password in its message: no password of a scenario is on the page */
  for (size_t i = 0; i < rr.ref.n; i++) {
    const mxc_scenario *sc = rr.ref.results[i].sc;
    for (size_t a = 0; a < sc->naccounts; a++)
      cr_expect(!sc->accounts[a].password || strlen(sc->accounts[a].password) < 4 ||
                    !strstr(text, sc->accounts[a].password),
                "%s: the password of %s is on the page", sc->id, sc->accounts[a].username);
    for (size_t a = 0; a < sc->client.nattempts; a++)
      cr_expect(!sc->client.attempts[a].password || strlen(sc->client.attempts[a].password) < 4 ||
                    !strstr(text, sc->client.attempts[a].password),
                "%s: attempt %zu's password is on the page", sc->id, a + 1);
  }
  /* the real wire is there: a sequence and a chart per scenario and run */
  cr_expect_eq(count_of(text, "<svg class=\"chart\""), 2 * rr.ref.n);
  cr_expect(strstr(str_of(page, "text"), "client " ARROW " mock: POST /xas/ login {username: ") !=
            NULL);
  cr_expect(strstr(str_of(page, "text"), "client: signin_ms") != NULL);
  cJSON_Delete(page);
  free(text);
  real_runs_free(&rr);
}

/* ---- what a browser makes of it ---- */

/* The #rrggbb background of the matrix cells of an outcome, from the page's CSS. */
static char *css_colour(const char *text, const char *cls) {
  char *rule = mxc_asprintf("td.cell.%s,.badge.%s{background:#", cls, cls);
  const char *p = strstr(text, rule);
  cr_assert_not_null(p, "no %s in the page's CSS", rule);
  char *colour = mxc_strndup(p + strlen(rule) - 1, 7);
  free(rule);
  return colour;
}

/* Runs chromium with args on the page; its noise goes to a file, shown only on failure. */
static void chromium(const char *args, const char *html, const char *out_redirect) {
  char *err = mxc_asprintf("%s/chromium.err", tmpdir);
  char *cmd = mxc_asprintf("timeout 60 chromium --headless --no-sandbox --disable-gpu "
                           "--disable-dev-shm-usage --hide-scrollbars --no-first-run "
                           "--no-default-browser-check --force-device-scale-factor=1 "
                           "--force-color-profile=srgb --user-data-dir='%s/profile' %s "
                           "'file://%s' %s 2>'%s'",
                           tmpdir, args, html, out_redirect, err);
  int st = mxc_test_sh(cmd, NULL);
  if (st != 0) {
    char *noise = slurp(err);
    cr_assert_fail("chromium exited %d (%s):\n%s", st, st == 124 ? "timed out" : "failed", noise);
  }
  free(cmd);
  free(err);
}

Test(html, chromium_renders_the_matrix, .timeout = 400) {
  if (mxc_test_sh("command -v chromium >/dev/null", NULL) != 0)
    cr_assert_fail("chromium not found: install the Debian package 'chromium' "
                   "(apt-get install chromium; scripts/deps.sh does it)");
  real_runs rr;
  real_runs_make(&rr);
  char *text = slurp(rr.html);
  char *png = mxc_asprintf("%s/matrix.png", tmpdir);
  char *args = mxc_asprintf("--window-size=1280,1600 --screenshot='%s'", png);
  chromium(args, rr.html, ">/dev/null");
  free(args);
  cr_assert_eq(access(png, F_OK), 0, "chromium wrote no screenshot");
  /* kept for a human to look at */
  char *keep = mxc_asprintf("%s/test-html-matrix.png", getenv("MXC_BUILD_DIR"));
  char *cp = mxc_asprintf("cp '%s' '%s'", png, keep);
  mxc_test_sh(cp, NULL);
  free(cp);
  /* decode it: the size asked for, and many pixels of the pass and fail cells' colours */
  char *pass = css_colour(text, "pass"), *fail = css_colour(text, "fail");
  char *cmd = mxc_asprintf("python3 '%s' '%s' '%s' '%s'",
                           mxc_test_src("tests/data/html/png_colours.py"), png, pass, fail);
  char *out = NULL;
  int st = mxc_test_sh(cmd, &out);
  cr_assert_eq(st, 0, "png_colours.py: %s", out);
  cJSON *img = cJSON_Parse(out);
  cr_assert_not_null(img, "%s", out);
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(img, "width")->valueint, 1280);
  cr_expect_eq(cJSON_GetObjectItemCaseSensitive(img, "height")->valueint, 1600);
  const cJSON *counts = cJSON_GetObjectItemCaseSensitive(img, "counts");
  int npass = cJSON_GetObjectItemCaseSensitive(counts, pass)->valueint;
  int nfail = cJSON_GetObjectItemCaseSensitive(counts, fail)->valueint;
  /* a matrix cell is about 150 x 30 pixels */
  cr_expect_gt(npass, (int)(2 * rr.ref.n - rr.buggy.failed) * 1500,
               "%d pixels of the pass colour %s (screenshot %s)", npass, pass, keep);
  cr_expect_gt(nfail, (int)rr.buggy.failed * 1500, "%d pixels of the fail colour %s (%s)", nfail,
               fail, keep);
  cJSON_Delete(img);
  free(out);
  free(cmd);
  free(pass);
  free(fail);
  /* the DOM after the script ran: ready, no script error, the matrix intact and all shown */
  char *dom = mxc_asprintf("%s/dom.html", tmpdir);
  char *redirect = mxc_asprintf(">'%s'", dom);
  chromium("--dump-dom", rr.html, redirect);
  cJSON *page = describe(dom);
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(page, "html_attrs");
  cr_expect_str_eq(str_of(attrs, "data-ready"), "1", "the script did not finish");
  cr_expect_null(cJSON_GetObjectItemCaseSensitive(attrs, "data-script-errors"), "script errors: %s",
                 str_of(attrs, "data-script-errors"));
  expect_real_matrix(page, &rr);
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(page, "rows")) {
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(row, "hidden")), "%s hidden",
              str_of(row, "id"));
  }
  cJSON_Delete(page);
  free(redirect);
  free(dom);
  free(keep);
  free(png);
  free(text);
  real_runs_free(&rr);
}
