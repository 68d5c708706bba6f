/* The scenario loader: good files land in their fields; every class of bad file is rejected
 * with the file, the JSON path and the problem in one message. */
#include "harness/scenario.h"

#include "common/mxc_error.h"
#include "tests/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAD_DIR "tests/data/scenarios/bad"
#define DUP_DIR "tests/data/scenarios/dup"
#define GOOD_DIR "tests/data/scenarios/good"

/* mxc_test_src returns a static buffer: keep a copy. */
static char *src_path(const char *rel) {
  char *p = strdup(mxc_test_src(rel));
  cr_assert_not_null(p);
  return p;
}

static const mxc_scenario *find_id(const mxc_catalog *cat, const char *id) {
  for (size_t i = 0; i < cat->n; i++)
    if (strcmp(cat->items[i].id, id) == 0)
      return &cat->items[i];
  cr_assert_fail("scenario %s not in the catalog", id);
  return NULL;
}

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; s && *s; s++)
    n += *s == '\n';
  return n;
}

/* ---- the real scenarios ---- */

Test(scenario, real_catalog_loads, .timeout = 10) {
  mxc_catalog cat;
  char *errors = (char *)"unset";
  int rc = mxc_catalog_load(mxc_test_src("scenarios"), &cat, &errors);
  cr_assert_eq(rc, 0, "scenarios/ must load: %s", errors ? errors : "(no message)");
  cr_assert_null(errors);
  cr_assert_geq(cat.n, 3);
  /* in path order: deny/ first, ok/ after net/ */
  cr_assert_not_null(find_id(&cat, "DENY-1-wrong-password"));
  cr_assert_not_null(find_id(&cat, "NET-1-connection-refused"));
  cr_assert_not_null(find_id(&cat, "OK-1-signin-restarts-home"));
  for (size_t i = 0; i + 1 < cat.n; i++)
    cr_assert_lt(strcmp(cat.items[i].file, cat.items[i + 1].file), 0, "not in path order");
  for (size_t i = 0; i < cat.n; i++) {
    cr_assert_not_null(strstr(cat.items[i].file, ".json"));
    cr_assert(cat.items[i].title && *cat.items[i].title);
    cr_assert(cat.items[i].description && *cat.items[i].description);
    /* every scenario also checks something on the wire */
    bool wire = false;
    for (size_t j = 0; j < cat.items[i].nexpect; j++)
      wire |= mxc_check_def_of(cat.items[i].expect[j].kind)->side != MXC_SIDE_CLIENT;
    cr_assert(wire, "%s has no wire-side check", cat.items[i].id);
  }
  mxc_catalog_cleanup(&cat);
  mxc_catalog_cleanup(&cat); /* idempotent */
}

Test(scenario, deny_1_fields, .timeout = 10) {
  mxc_scenario sc;
  char *err = NULL;
  char *path = src_path("scenarios/deny/DENY-1-wrong-password.json");
  cr_assert_eq(mxc_scenario_load_file(path, &sc, &err), 0, "%s", err ? err : "");
  cr_assert_str_eq(sc.file, path);
  cr_assert_str_eq(sc.id, "DENY-1-wrong-password");
  cr_assert_eq(sc.nrules, 4);
  cr_assert_eq(sc.rules[0], mxc_rule_find("DENY-1"));
  cr_assert_eq(sc.rules[3], mxc_rule_find("START-1"));
  cr_assert_eq(sc.level, MXC_LEVEL_MUST);

  cr_assert_eq(sc.naccounts, 1);
  cr_assert_str_eq(sc.accounts[0].username, "alice");
  cr_assert_str_eq(sc.accounts[0].password, "s3cret-Alice");
  cr_assert_eq(sc.accounts[0].nroles, 1);
  cr_assert_str_eq(sc.accounts[0].roles[0], "User");
  cr_assert_null(sc.accounts[0].roles[1], "roles are NULL-terminated");
  cr_assert(sc.accounts[0].active);
  cr_assert_eq(sc.runtime.accounts, sc.accounts);
  cr_assert_eq(sc.runtime.naccounts, 1);
  cr_assert_not(sc.runtime.csrf_enforce);
  cr_assert_eq(sc.runtime.block_ms, 0, "0 = the runtime's default");
  cr_assert_eq(sc.nfaults, 0);

  cr_assert_str_eq(sc.client.scenario, "DENY-1-wrong-password");
  cr_assert_eq(sc.client.timeout_ms, 1500);
  cr_assert_eq(sc.client.use_auth_token, -1, "absent: the app's default");
  cr_assert_not(sc.client.relaunch);
  cr_assert_eq(sc.client.nattempts, 1);
  cr_assert_str_eq(sc.client.attempts[0].username, "alice");
  cr_assert_str_eq(sc.client.attempts[0].password, "not-her-Password");
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(sc.client.navigation, "User");
  cr_assert(cJSON_IsString(user));
  cr_assert_str_eq(user->valuestring, "Home_User");

  cr_assert_eq(sc.nexpect, 7);
  cr_assert_eq(sc.expect[0].kind, MXC_CHECK_STARTUP);
  cr_assert_eq(sc.expect[0].rule, mxc_rule_find("START-1"));
  cr_assert_eq(sc.expect[1].kind, MXC_CHECK_LOGIN_REQUESTS);
  cr_assert_eq(sc.expect[1].int_value, 1);
  cr_assert_eq(sc.expect[2].kind, MXC_CHECK_STATUS);
  cr_assert_eq(sc.expect[2].attempt, 0);
  cr_assert_eq(sc.expect[2].int_value, 401);
  cr_assert_eq(sc.expect[3].kind, MXC_CHECK_MESSAGE);
  cr_assert_not(sc.expect[3].bool_value);
  cr_assert_eq(sc.expect[4].kind, MXC_CHECK_RESTARTED);
  cr_assert_not(sc.expect[4].bool_value);
  cr_assert_eq(sc.expect[5].kind, MXC_CHECK_PAGE);
  cr_assert_str_eq(sc.expect[5].str_value, "Login");
  cr_assert_eq(sc.expect[6].kind, MXC_CHECK_MESSAGE_HIDES_PASSWORD);
  cr_assert_eq(sc.expect[6].rule, mxc_rule_find("DENY-2"));
  mxc_scenario_cleanup(&sc);
  mxc_scenario_cleanup(&sc); /* idempotent */
  free(path);
}

Test(scenario, net_1_fault, .timeout = 10) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(mxc_test_src("scenarios"), &cat, &errors), 0);
  const mxc_scenario *sc = find_id(&cat, "NET-1-connection-refused");
  cr_assert_eq(sc->nfaults, 1);
  cr_assert_eq(sc->faults[0].kind, MXC_FAULT_REFUSED);
  cr_assert_str_eq(sc->faults[0].match, "login");
  cr_assert_eq(sc->faults[0].after, 1);
  cr_assert_eq(sc->nrules, 2);
  cr_assert_eq(sc->nexpect, 6);
  cr_assert_eq(sc->expect[1].kind, MXC_CHECK_LOGIN_REQUESTS);
  cr_assert_eq(sc->expect[1].int_value, 0);
  cr_assert_eq(sc->expect[2].int_value, 0, "status 0: a network failure");
  mxc_catalog_cleanup(&cat);
}

Test(scenario, ok_1_fields, .timeout = 10) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(mxc_test_src("scenarios"), &cat, &errors), 0);
  const mxc_scenario *sc = find_id(&cat, "OK-1-signin-restarts-home");
  cr_assert_eq(sc->nrules, 8);
  cr_assert_eq(sc->naccounts, 2);
  cr_assert_str_eq(sc->accounts[1].username, "root");
  cr_assert_str_eq(sc->accounts[1].roles[0], "Administrator");
  cr_assert_eq(sc->nexpect, 9);
  cr_assert_eq(sc->expect[5].kind, MXC_CHECK_RESTARTED);
  cr_assert(sc->expect[5].bool_value);
  cr_assert_eq(sc->expect[6].kind, MXC_CHECK_PAGE);
  cr_assert_str_eq(sc->expect[6].str_value, "Home_User");
  cr_assert_eq(sc->expect[7].kind, MXC_CHECK_PAGE_MATCHES_ROLES);
  cr_assert_eq(sc->expect[8].kind, MXC_CHECK_MESSAGE);
  cr_assert(sc->expect[8].bool_value);
  mxc_catalog_cleanup(&cat);
}

/* ---- good test data: optional parts and levels ---- */

Test(scenario, optional_parts_land, .timeout = 10) {
  mxc_scenario sc;
  char *err = NULL;
  char *path = src_path(GOOD_DIR "/full-options.json");
  cr_assert_eq(mxc_scenario_load_file(path, &sc, &err), 0, "%s", err ? err : "");
  cr_assert_eq(sc.level, MXC_LEVEL_MUST, "MUST beats SHOULD (REQ-4)");
  cr_assert_eq(sc.naccounts, 2);
  cr_assert(sc.accounts[0].active, "active defaults to true");
  cr_assert_eq(sc.accounts[0].nroles, 2);
  cr_assert_str_eq(sc.accounts[0].roles[1], "Reviewer");
  cr_assert_not(sc.accounts[1].active);
  cr_assert_eq(sc.runtime.block_ms, 2000);
  cr_assert_eq(sc.runtime.session_idle_ms, 500);
  cr_assert(sc.runtime.csrf_enforce);
  cr_assert_eq(sc.nfaults, 2);
  cr_assert_eq(sc.faults[0].kind, MXC_FAULT_STATUS);
  cr_assert_str_eq(sc.faults[0].match, "login");
  cr_assert_eq(sc.faults[0].times, 1);
  cr_assert_eq(sc.faults[0].code, 503);
  cr_assert_str_eq(sc.faults[0].body, "maintenance");
  cr_assert_str_eq(sc.faults[0].content_type, "text/plain");
  cr_assert_eq(sc.faults[1].kind, MXC_FAULT_CLOSE);
  cr_assert_str_eq(sc.faults[1].match, "keepalive");
  cr_assert_eq(sc.client.timeout_ms, 2500);
  cr_assert_eq(sc.client.use_auth_token, 1);
  cr_assert(sc.client.relaunch);
  cr_assert_eq(sc.client.nattempts, 2);
  cr_assert_str_eq(sc.client.attempts[1].password, "s3cret-Alice");
  cr_assert_eq(sc.nexpect, 11);
  cr_assert_eq(sc.expect[0].kind, MXC_CHECK_CSRF_ON_LOGIN);
  cr_assert_eq(sc.expect[1].attempt, 1);
  cr_assert_eq(sc.expect[1].int_value, 200);
  cr_assert_eq(sc.expect[3].kind, MXC_CHECK_MESSAGE_HIDES_PASSWORD);
  cr_assert_eq(sc.expect[3].attempt, 0);
  cr_assert_eq(sc.expect[8].kind, MXC_CHECK_SESSION_COOKIE_ON_LOGIN);
  cr_assert_eq(sc.expect[10].int_value, 2);
  mxc_scenario_cleanup(&sc);
  free(path);
}

Test(scenario, level_is_strongest_rule, .timeout = 10) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(mxc_test_src(GOOD_DIR), &cat, &errors), 0, "%s",
               errors ? errors : "");
  cr_assert_eq(cat.n, 4);
  cr_assert_eq(find_id(&cat, "GOOD-level-info")->level, MXC_LEVEL_INFO);
  cr_assert_eq(find_id(&cat, "GOOD-expect-levels")->level, MXC_LEVEL_MUST,
               "weaker expectations do not weaken the scenario");
  cr_assert_eq(find_id(&cat, "GOOD-level-should")->level, MXC_LEVEL_SHOULD,
               "INFO first, then SHOULD: SHOULD");
  cr_assert_eq(find_id(&cat, "GOOD-full-options")->level, MXC_LEVEL_MUST);
  mxc_catalog_cleanup(&cat);
}

Test(scenario, expectation_levels_land, .timeout = 10) {
  mxc_scenario sc;
  char *err = NULL;
  char *path = src_path(GOOD_DIR "/expect-levels.json");
  cr_assert_eq(mxc_scenario_load_file(path, &sc, &err), 0, "%s", err ? err : "");
  cr_assert_eq(sc.level, MXC_LEVEL_MUST);
  cr_assert_eq(sc.nexpect, 6);
  /* no level: the rule's (REQ-6, MUST) */
  cr_assert_eq(sc.expect[0].kind, MXC_CHECK_LOGIN_ATTEMPTED);
  cr_assert_eq(sc.expect[0].level, MXC_LEVEL_MUST);
  /* SHOULD under a MUST rule */
  cr_assert_eq(sc.expect[1].rule, mxc_rule_find("DENY-1"));
  cr_assert_eq(sc.expect[1].rule->level, MXC_LEVEL_MUST);
  cr_assert_eq(sc.expect[1].level, MXC_LEVEL_SHOULD);
  cr_assert_eq(sc.expect[1].kind, MXC_CHECK_STATUS);
  cr_assert_eq(sc.expect[1].attempt, 1);
  cr_assert_eq(sc.expect[1].int_value, 0);
  /* the rule's own level, spelt out */
  cr_assert_eq(sc.expect[2].level, MXC_LEVEL_MUST);
  /* INFO under MUST, with the new checks' parameters */
  cr_assert_eq(sc.expect[3].kind, MXC_CHECK_MESSAGE_CONTAINS);
  cr_assert_eq(sc.expect[3].level, MXC_LEVEL_INFO);
  cr_assert_str_eq(sc.expect[3].str_value, "Wrong");
  /* no level under a SHOULD rule (DENY-5): SHOULD */
  cr_assert_eq(sc.expect[4].kind, MXC_CHECK_MESSAGES_DIFFER);
  cr_assert_eq(sc.expect[4].level, MXC_LEVEL_SHOULD);
  cr_assert_eq(sc.expect[4].attempt, 0);
  cr_assert_eq(sc.expect[4].int_value, 1, "other");
  /* INFO under SHOULD */
  cr_assert_eq(sc.expect[5].kind, MXC_CHECK_TIMINGS_REPORTED);
  cr_assert_eq(sc.expect[5].level, MXC_LEVEL_INFO);
  mxc_scenario_cleanup(&sc);
  free(path);
}

Test(scenario, parse_respects_length, .timeout = 10) {
  /* a good document followed by bytes past len that are not part of it */
  static const char doc[] =
      "{\"id\": \"LEN-1\", \"title\": \"t\", \"description\": \"d\", \"rules\": [\"REQ-6\"],"
      " \"accounts\": [], \"client\": {\"timeout_ms\": 100, \"navigation\": {},"
      " \"attempts\": [{\"username\": \"a\", \"password\": \"b\"}]},"
      " \"expect\": [{\"rule\": \"REQ-6\", \"check\": \"login_requests\", \"equals\": 1}]}"
      "GARBAGE PAST THE LENGTH";
  size_t len = strlen(doc) - strlen("GARBAGE PAST THE LENGTH");
  mxc_scenario sc;
  char *err = NULL;
  cr_assert_eq(mxc_scenario_parse("inline.json", doc, len, &sc, &err), 0, "%s", err ? err : "");
  cr_assert_str_eq(sc.file, "inline.json");
  cr_assert_str_eq(sc.id, "LEN-1");
  mxc_scenario_cleanup(&sc);
}

/* ---- bad files: one per error class ---- */

/* Loads BAD_DIR/file and checks the message names the file, the JSON path and the problem. */
static void expect_bad(const char *file, const char *jpath, const char *word) {
  char rel[256];
  snprintf(rel, sizeof rel, BAD_DIR "/%s", file);
  char *path = src_path(rel);
  mxc_scenario sc;
  char *err = NULL;
  int rc = mxc_scenario_load_file(path, &sc, &err);
  cr_assert_eq(rc, MXC_ESCENARIO, "%s must be rejected (rc %d)", file, rc);
  cr_assert_not_null(err, "%s: no message", file);
  cr_assert_eq(strncmp(err, path, strlen(path)), 0, "the message starts with the file: %s", err);
  cr_assert_not_null(strstr(err, file), "file name missing: %s", err);
  cr_assert_not_null(strstr(err, jpath), "path '%s' missing: %s", jpath, err);
  cr_assert_not_null(strstr(err, word), "'%s' missing: %s", word, err);
  cr_assert_null(strchr(err, '\n'), "one line: %s", err);
  /* nothing is half-loaded */
  cr_assert_null(sc.id);
  cr_assert_eq(sc.nexpect, 0);
  mxc_scenario_cleanup(&sc);
  free(err);
  free(path);
}

#define BAD(name, jpath, word)                                                                     \
  Test(scenario, rejects_##name, .timeout = 10) { expect_bad(#name ".json", jpath, word); }

/* JSON syntax: FILE:LINE:COL */
BAD(syntax_error, "syntax_error.json:4:3:", "invalid JSON")
BAD(empty_file, "empty_file.json:1:1:", "invalid JSON")
BAD(trailing_text, "trailing_text.json:52:1:", "after the end of the document")
BAD(top_level_not_object, ": $:", "object")
/* unknown keys, at every level */
BAD(top_level_unknown_key, ": $:", "unknown key \"owner\"")
BAD(client_unknown_key, "$.client", "retries")
BAD(attempt_unknown_key, "$.client.attempts[0].remember", "unknown key")
BAD(account_unknown_key, "$.accounts[0]", "unknown key \"email\"")
BAD(expect_unknown_key, "$.expect[0]", "unknown key \"equal\"")
BAD(expect_key_of_other_check, "$.expect[0]", "unknown key \"attempt\"")
BAD(runtime_unknown_key, "$.runtime", "unknown key \"lockout_ms\"")
/* wrong types, with the path of the value */
BAD(rules_wrong_type, "$.rules", "array")
BAD(account_username_wrong_type, "$.accounts[0].username", "string")
BAD(account_active_wrong_type, "$.accounts[0].active", "boolean")
BAD(account_role_wrong_type, "$.accounts[0].roles[1]", "string")
BAD(attempt_password_wrong_type, "$.client.attempts[0].password", "expected a string")
BAD(timeout_wrong_type, "$.client.timeout_ms", "whole number")
BAD(navigation_page_wrong_type, "$.client.navigation.User", "page name")
BAD(expect_value_wrong_type, "$.expect[1].equals", "whole number")
BAD(expect_value_not_whole, "$.expect[1].equals", "whole number")
BAD(expect_value_too_big, "$.expect[1].equals", "whole number")
BAD(expect_attempt_wrong_type, "$.expect[1].attempt", "index")
BAD(faults_wrong_type, "$.faults", "array")
/* missing required fields */
BAD(missing_id, ": $:", "missing \"id\"")
BAD(missing_navigation, "$.client.navigation", "missing")
BAD(missing_account_password, "$.accounts[0]", "missing \"password\"")
BAD(missing_check, "$.expect[1]", "missing \"check\"")
BAD(missing_attempt, "$.expect[1]", "missing \"attempt\"")
BAD(missing_value, "$.expect[1]", "missing \"equals\"")
/* bad values */
BAD(bad_id, "$.id", "letters")
BAD(no_rules, "$.rules", "at least one rule")
BAD(unknown_rule, "$.rules[2]", "unknown rule \"OK-99\"")
BAD(expect_unknown_rule, "$.expect[2]", "unknown rule \"DENY-9\"")
BAD(unknown_check, "$.expect[2]", "unknown check \"restart\"")
BAD(attempt_out_of_range, "$.expect[2].attempt", "$.client.attempts")
BAD(attempt_negative, "$.expect[2].attempt", "$.client.attempts")
BAD(messages_differ_other_out_of_range, "$.expect[4].other", "another attempt")
BAD(messages_differ_other_is_itself, "$.expect[4].other", "(0 to 1, not 0)")
/* an expectation's level: weaker than its rule's or the same, a known word */
BAD(expect_level_stronger, "$.expect[2]", "no stronger than DENY-5's SHOULD")
BAD(expect_level_unknown, "$.expect[1]", "\"level\" must be MUST, SHOULD or INFO")
BAD(expect_level_wrong_type, "$.expect[0]", "\"level\" must be MUST, SHOULD or INFO")
BAD(uncited_rule, "$.expect[3]", "not listed in $.rules")
BAD(no_wire_check, "$.expect", "wire")
BAD(no_expectations, "$.expect", "at least one expectation")
/* faults and runtime settings */
BAD(fault_bad_kind, "$.faults[0].kind", "unknown fault kind 'explode'")
BAD(fault_unknown_param, "$.faults[0].code", "not a parameter of fault kind 'refused'")
BAD(fault_out_of_range, "$.faults[0].code", "100 to 599")
BAD(runtime_bad_csrf, "$.runtime.csrf", "\"enforce\"")
BAD(runtime_out_of_range, "$.runtime.block_ms", "from 1 to")
BAD(runtime_host_prefix_wrong_type, "$.runtime.host_prefix_cookies", "true or false")

Test(scenario, catalog_reports_every_bad_file, .timeout = 10) {
  char *dir = src_path(BAD_DIR);
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(dir, &cat, &errors), MXC_ESCENARIO);
  cr_assert_not_null(errors);
  cr_assert_eq(cat.n, 0, "no bad file is in the catalog");
  char *out = NULL;
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '[.]json$'", dir);
  cr_assert_eq(mxc_test_sh(cmd, &out), 0);
  size_t nfiles = (size_t)strtoul(out, NULL, 10);
  free(out);
  cr_assert_geq(nfiles, 40);
  cr_assert_eq(count_lines(errors), nfiles, "one line per bad file:\n%s", errors);
  cr_assert_not_null(strstr(errors, "syntax_error.json:4:3: invalid JSON"));
  cr_assert_not_null(strstr(errors, "no_wire_check.json: $.expect:"));
  mxc_catalog_cleanup(&cat);
  free(errors);
  free(dir);
}

Test(scenario, catalog_rejects_duplicate_ids, .timeout = 10) {
  char *dir = src_path(DUP_DIR);
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load(dir, &cat, &errors), MXC_ESCENARIO);
  cr_assert_not_null(errors);
  cr_assert_eq(count_lines(errors), 1, "%s", errors);
  cr_assert_not_null(strstr(errors, "second.json: $.id:"), "%s", errors);
  cr_assert_not_null(strstr(errors, "\"DUP-same-id\""), "%s", errors);
  cr_assert_not_null(strstr(errors, "already"), "%s", errors);
  cr_assert_not_null(strstr(errors, "first.json"), "names the other file: %s", errors);
  mxc_catalog_cleanup(&cat);
  free(errors);
  free(dir);
}

Test(scenario, catalog_rejects_missing_and_empty_dirs, .timeout = 10) {
  mxc_catalog cat;
  char *errors = NULL;
  cr_assert_eq(mxc_catalog_load("/nonexistent/mxconform-scenarios", &cat, &errors), MXC_ESCENARIO);
  cr_assert_not_null(errors);
  cr_assert_not_null(strstr(errors, "/nonexistent/mxconform-scenarios"), "%s", errors);
  mxc_catalog_cleanup(&cat);
  free(errors);

  char tmpl[] = "/tmp/mxc-empty-XXXXXX";
  cr_assert_not_null(mkdtemp(tmpl));
  errors = NULL;
  cr_assert_eq(mxc_catalog_load(tmpl, &cat, &errors), MXC_ESCENARIO);
  cr_assert_not_null(strstr(errors, "no scenario files"), "%s", errors);
  mxc_catalog_cleanup(&cat);
  free(errors);
  rmdir(tmpl);
}

/* ---- account lists (serve --accounts): same strictness, same messages ---- */

static void expect_accounts_bad(const char *text, const char *where, const char *word) {
  mxc_account *acc = (mxc_account *)1;
  size_t n = 99;
  char *err = NULL;
  cr_assert_eq(mxc_accounts_parse("accounts.json", text, strlen(text), &acc, &n, &err),
               MXC_ESCENARIO, "accepted: %s", text);
  cr_assert_null(acc);
  cr_assert_eq(n, 0);
  cr_assert_not_null(err);
  cr_assert_not_null(strstr(err, where), "'%s' lacks '%s'", err, where);
  cr_assert_not_null(strstr(err, word), "'%s' lacks '%s'", err, word);
  free(err);
}

Test(scenario, accounts_list, .timeout = 10) {
  static const char text[] =
      "[{\"username\": \"alice\", \"password\": \"s3cret\", \"roles\": [\"User\"]},\n"
      " {\"username\": \"bob\", \"password\": \"x\", \"roles\": [], \"active\": false}]\n";
  mxc_account *acc = NULL;
  size_t n = 0;
  char *err = NULL;
  cr_assert_eq(mxc_accounts_parse("accounts.json", text, strlen(text), &acc, &n, &err), 0, "%s",
               err ? err : "");
  cr_assert_eq(n, 2);
  cr_assert_str_eq(acc[0].username, "alice");
  cr_assert(acc[0].active);
  cr_assert_not(acc[1].active);
  cr_assert_eq(acc[1].nroles, 0);
  mxc_accounts_free(acc, n);

  expect_accounts_bad("[{\"username\": \"a\", \"password\": \"b\", \"roles\": []}",
                      "accounts.json:1:", "invalid JSON");
  expect_accounts_bad("[]\n[]\n", "accounts.json:2:1:", "after the end of the document");
  expect_accounts_bad("{}", "accounts.json: $:", "array");
  expect_accounts_bad("[{\"username\": \"a\", \"password\": \"b\", \"roles\": [], \"active\": 1}]",
                      "accounts.json: $[0].active:", "boolean");
  expect_accounts_bad("[{\"username\": \"a\", \"password\": \"b\", \"roles\": [], \"mail\": 1}]",
                      "accounts.json: $[0]:", "unknown key \"mail\"");
}

/* ---- the command line ---- */

static void expect_cli_rejects(const char *command, const char *dir, const char *needle) {
  char cmd[8400];
  char *out = NULL;
  /* stderr to the capture, stdout dropped */
  snprintf(cmd, sizeof cmd, "'%s' %s --scenarios '%s' 2>&1 >/dev/null", mxc_test_bin("mxconform"),
           command, dir);
  int st = mxc_test_sh(cmd, &out);
  cr_assert_eq(st, 2, "%s: exit status %d, output:\n%s", command, st, out);
  cr_assert_not_null(strstr(out, needle), "%s: stderr lacks '%s':\n%s", command, needle, out);
  free(out);
  /* and nothing on stdout */
  snprintf(cmd, sizeof cmd, "'%s' %s --scenarios '%s' 2>/dev/null", mxc_test_bin("mxconform"),
           command, dir);
  st = mxc_test_sh(cmd, &out);
  cr_assert_eq(st, 2);
  cr_assert_str_empty(out, "%s: stdout must stay empty: %s", command, out);
  free(out);
}

Test(scenario, cli_list_bad_dir_exits_2, .timeout = 30) {
  char *dir = src_path(BAD_DIR);
  expect_cli_rejects("list", dir, "syntax_error.json:4:3: invalid JSON");
  expect_cli_rejects("list", dir, "uncited_rule.json: $.expect[3]: rule \"REQ-2\"");
  free(dir);
}

Test(scenario, cli_run_bad_dir_exits_2, .timeout = 30) {
  char *dir = src_path(BAD_DIR);
  expect_cli_rejects("run", dir, "runtime_bad_csrf.json: $.runtime.csrf:");
  free(dir);
  dir = src_path(DUP_DIR);
  expect_cli_rejects("run", dir, "already the id of");
  expect_cli_rejects("list", dir, "already the id of");
  free(dir);
}

Test(scenario, cli_list_good_dir, .timeout = 30) {
  char cmd[4400];
  char *out = NULL;
  snprintf(cmd, sizeof cmd, "'%s' list --scenarios '%s'", mxc_test_bin("mxconform"),
           mxc_test_src(GOOD_DIR));
  cr_assert_eq(mxc_test_sh(cmd, &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "GOOD-level-should"), "%s", out);
  free(out);
}
