/* A run result built by hand for the reporter tests (tests/report_fixture.h). */
#include "report_fixture.h"

#include <criterion/criterion.h>
#include <string.h>

/* ---- the run: a fake catalog of five scenarios, results written by hand ---- */

#define SECRET MXC_FIXTURE_SECRET

static const mxc_rule RULES[] = {
    {"T-1", MXC_LEVEL_MUST, "T", "a wrong password is refused"},
    {"T-2", MXC_LEVEL_SHOULD, "T", "the refusal names no field"},
    {"U-1", MXC_LEVEL_INFO, "U", "step timings are reported"},
};
static const mxc_rule *SC_RULES[] = {&RULES[0], &RULES[1], &RULES[2]};

static mxc_account ACCOUNTS[] = {{.username = "alice", .password = SECRET, .active = true}};
static mxc_attempt_input ATTEMPTS[] = {{.username = "alice", .password = SECRET}};

#define SCENARIO(id_, title_, nrules_)                                                             \
  {                                                                                                \
    .file = "tests/data/reports/" id_ ".json", .id = id_, .title = title_,                         \
    .description = "A scenario made up for the reporter tests.", .rules = SC_RULES,                \
    .nrules = nrules_, .level = MXC_LEVEL_MUST, .accounts = ACCOUNTS, .naccounts = 1,              \
    .client = {.scenario = id_, .attempts = ATTEMPTS, .nattempts = 1, .timeout_ms = 1500},         \
  }

static mxc_scenario SCENARIOS[] = {
    SCENARIO("T-pass", "A wrong password is refused", 2),
    SCENARIO("T-fail", "Refusal \"names\" the field # sometimes", 3),
    SCENARIO("T-error", "The client crashes", 1),
    SCENARIO("T-xfail", "A known defect", 2),
    SCENARIO("T-stale", "A fixed defect", 1),
};

#define CHECK(rule_, level_, kind_, passed_, side_, expected_, seen_)                              \
  {                                                                                                \
    .rule = &RULES[rule_], .level = level_, .kind = MXC_CHECK_##kind_, .passed = passed_,          \
    .side = side_, .expected = expected_, .seen = seen_                                            \
  }

static mxc_check_result CHECKS_PASS[] = {
    CHECK(0, MXC_LEVEL_MUST, STATUS, true, MXC_SIDE_CLIENT, "attempt 1: status 401", "status 401"),
    CHECK(0, MXC_LEVEL_MUST, LOGIN_REQUESTS, true, MXC_SIDE_WIRE, "1 login request(s)",
          "1 login request(s)"),
};
static mxc_check_result CHECKS_FAIL[] = {
    CHECK(0, MXC_LEVEL_MUST, STATUS, false, MXC_SIDE_CLIENT, "attempt 1: status 401", "status 200"),
    CHECK(1, MXC_LEVEL_SHOULD, MESSAGE_CONTAINS, false, MXC_SIDE_CLIENT,
          "attempt 1: message contains \"Wrong\"",
          "message \"Bad\tpassword\"\nfor alice \xff (line 2)"),
    CHECK(0, MXC_LEVEL_MUST, LOGIN_REQUESTS, true, MXC_SIDE_WIRE, "1 login request(s)",
          "1 login request(s)"),
    CHECK(2, MXC_LEVEL_INFO, TIMINGS_REPORTED, false, MXC_SIDE_CLIENT, "step timings",
          "no \"timings\" object"),
};
static mxc_check_result CHECKS_ERROR[] = {
    CHECK(0, MXC_LEVEL_MUST, STATUS, false, MXC_SIDE_CLIENT, "attempt 1: status 401",
          "no report: the client did not finish properly"),
};
static mxc_check_result CHECKS_XFAIL[] = {
    CHECK(1, MXC_LEVEL_SHOULD, MESSAGE, false, MXC_SIDE_CLIENT,
          "attempt 1: non-empty validation message", "empty"),
};
static mxc_check_result CHECKS_STALE[] = {
    CHECK(0, MXC_LEVEL_MUST, STATUS, true, MXC_SIDE_CLIENT, "attempt 1: status 401", "status 401"),
};

#define TRANSCRIPT                                                                                 \
  "{\"version\":1,\"seed\":\"77\",\"connections\":[{\"id\":1,\"peer\":\"127.0.0.1:40000\","        \
  "\"end\":\"client_closed\",\"bytes_in\":300,\"bytes_out\":200}],\"exchanges\":[{\"seq\":0,"      \
  "\"conn\":1,\"t_us\":1500,\"method\":\"POST\",\"target\":\"/xas/\",\"action\":\"login\","        \
  "\"params\":{\"username\":\"alice\",\"password\":\"[redacted]\"},\"csrf\":\"match\","            \
  "\"credentials_outside_body\":[],\"outcome\":\"wrong_password\",\"status\":401}]}"

static cJSON *parse(const char *text) {
  cJSON *j = cJSON_Parse(text);
  cr_assert_not_null(j, "bad JSON literal in the test: %s", text);
  return j;
}

mxc_run_result mxc_fixture_run(void) {
  static mxc_scenario_result results[5];
  memset(results, 0, sizeof results);
  const char *deny = "{\"attempts\":[{\"status\":401,\"validation_message\":\"Wrong username or "
                     "password.\"}],\"restarted\":false,\"page\":\"Login\"}";
  /* what the runner leaves of a message that echoed the password: redacted upstream */
  const char *echo = "{\"attempts\":[{\"status\":200,\"validation_message\":\"Bad password "
                     "[redacted] for alice\"}],\"restarted\":false,\"page\":\"Login\"}";
  results[0] = (mxc_scenario_result){
      .sc = &SCENARIOS[0],
      .verdict = MXC_VERDICT_PASS,
      .checks = CHECKS_PASS,
      .nchecks = 2,
      .client = {.report = parse(deny), .exit_status = 0, .duration_ms = 41.5},
      .deadline_ms = 5000,
      .seed = 18446744073709551615ull,
      .duration_ms = 52.25,
  };
  results[1] = (mxc_scenario_result){
      .sc = &SCENARIOS[1],
      .verdict = MXC_VERDICT_FAIL,
      .checks = CHECKS_FAIL,
      .nchecks = 4,
      .client = {.report = parse(echo), .exit_status = 0, .duration_ms = 30},
      .deadline_ms = 5000,
      .seed = 2,
      .duration_ms = 40,
  };
  results[2] = (mxc_scenario_result){
      .sc = &SCENARIOS[2],
      .verdict = MXC_VERDICT_ERROR,
      .checks = CHECKS_ERROR,
      .nchecks = 1,
      .client = {.error = "the client exited with status 3 without a result line",
                 .stderr_tail = "panic: boom\n\tat main.c:12\n",
                 .exit_status = 3,
                 .duration_ms = 12},
      .deadline_ms = 5000,
      .seed = 3,
      .duration_ms = 20,
  };
  results[3] = (mxc_scenario_result){
      .sc = &SCENARIOS[3],
      .verdict = MXC_VERDICT_FAIL,
      .checks = CHECKS_XFAIL,
      .nchecks = 1,
      .client = {.report = parse(deny), .exit_status = 0, .duration_ms = 25},
      .deadline_ms = 5000,
      .seed = 4,
      .baseline_reason = "issue #12: the message is empty",
      .duration_ms = 30,
  };
  results[4] = (mxc_scenario_result){
      .sc = &SCENARIOS[4],
      .verdict = MXC_VERDICT_PASS,
      .checks = CHECKS_STALE,
      .nchecks = 1,
      .client = {.report = parse(deny), .exit_status = 0, .duration_ms = 25},
      .deadline_ms = 5000,
      .seed = 5,
      .baseline_reason = "issue #9: fixed since",
      .baseline_stale = true,
      .duration_ms = 31,
  };
  for (size_t i = 0; i < 5; i++) {
    results[i].transcript = parse(TRANSCRIPT);
    results[i].position = i;
  }
  return (mxc_run_result){
      .client_desc = "./fake-client --flag",
      .level = MXC_LEVEL_SHOULD,
      .seed = 42,
      .results = results,
      .n = 5,
      .passed = 1,
      .failed = 3,
      .errors = 1,
      .skipped = 1,
      .selected = 5,
      .selection_total = 5,
      .started = 1796316314, /* 2026-12-03T16:45:14Z */
      .duration_ms = 1234.5,
  };
}

void mxc_fixture_run_free(mxc_run_result *run) {
  for (size_t i = 0; i < run->n; i++) {
    cJSON_Delete(run->results[i].client.report);
    cJSON_Delete(run->results[i].transcript);
  }
}
