/* The verdict engine: every check kind passes and fails on small hand-written client reports and
 * transcripts, deciding on the right side with specific evidence; result-line parsing. */
#include "harness/driver.h"
#include "harness/verdict.h"

#include "common/mxc_error.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixtures: JSON literals written with ' for " ---- */

static cJSON *json(const char *sq) {
  char *s = strdup(sq);
  cr_assert_not_null(s);
  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';
  cJSON *o = cJSON_Parse(s);
  cr_assert_not_null(o, "bad JSON literal in the test: %s", s);
  free(s);
  return o;
}

#define T(...) "{'version':1,'connections':[],'exchanges':[" __VA_ARGS__ "]}"

/* start-up: no cookie, a new anonymous session */
#define X_GSD_ANON                                                                                 \
  "{'seq':0,'conn':1,'method':'POST','target':'/xas/','action':'get_session_data',"                \
  "'session_in':{'id':null,'state':'none'},'csrf':'absent','credentials_outside_body':[],"         \
  "'session_created':'anonymous','session_out':'anon-1','roles':['Anonymous'],"                    \
  "'csrftoken_out':'tok-anon','status':200,"                                                       \
  "'set_cookies':['XASSESSIONID=anon-1; Path=/; HttpOnly; SameSite=Strict']}"
/* a login on the anonymous session with its csrftoken */
#define X_LOGIN(seq, outcome, status, extra)                                                       \
  "{'seq':" #seq ",'conn':1,'method':'POST','target':'/xas/','action':'login',"                    \
  "'params':{'username':'alice','password':'[redacted]'},"                                         \
  "'session_in':{'id':'anon-1','state':'anonymous'},'csrf':'match',"                               \
  "'credentials_outside_body':[],'outcome':'" outcome "','status':" #status extra "}"
#define X_LOGIN_OK(seq)                                                                            \
  X_LOGIN(seq, "ok", 200,                                                                          \
          ",'session_destroyed':'anon-1','session_out':'user-1','session_user':'alice'")
#define X_LOGIN_401(seq) X_LOGIN(seq, "wrong_password", 401, "")
/* the restart: get_session_data with the cookie the login set */
#define X_GSD_USER(seq)                                                                            \
  "{'seq':" #seq ",'conn':2,'method':'POST','target':'/xas/','action':'get_session_data',"         \
  "'session_in':{'id':'user-1','state':'user'},'csrf':'absent','credentials_outside_body':[],"     \
  "'session_user':'alice','roles':['User'],'csrftoken_out':'tok-user','status':200}"
/* a "restart" that sends the dead anonymous cookie: the runtime makes a new anonymous session */
#define X_GSD_STALE(seq)                                                                           \
  "{'seq':" #seq ",'conn':2,'method':'POST','target':'/xas/','action':'get_session_data',"         \
  "'session_in':{'id':'anon-1','state':'unknown'},'csrf':'absent','credentials_outside_body':[],"  \
  "'session_created':'anonymous','session_out':'anon-2','roles':['Anonymous'],"                    \
  "'csrftoken_out':'tok-anon-2','status':200}"
/* something the mock answered that is not /xas/ (a probe of /) */
#define X_NOT_XAS                                                                                  \
  "{'seq':0,'conn':1,'method':'GET','target':'/','action':'','status':404,"                        \
  "'credentials_outside_body':[]}"

#define T_OK T(X_GSD_ANON "," X_LOGIN_OK(1) "," X_GSD_USER(2))
#define T_DENY T(X_GSD_ANON "," X_LOGIN_401(1))
#define T_EMPTY T("")

#define REPORT_OK                                                                                  \
  "{'attempts':[{'status':200,'validation_message':''}],'restarted':true,'page':'Home_User'}"
#define REPORT_DENY                                                                                \
  "{'attempts':[{'status':401,'validation_message':'Wrong username or password.'}],"               \
  "'restarted':false,'page':'Login'}"

static const char *const PASSWORDS[] = {"not-her-Password", "s3cret-Alice"};

#define EXPECT(kind_, ...)                                                                         \
  ((mxc_expectation){.rule = mxc_rule_find("DENY-1"), .kind = MXC_CHECK_##kind_, __VA_ARGS__})

/* Evaluates e; report NULL means the client erred. The result owns its strings. */
static mxc_check_result eval(mxc_expectation e, const char *report, const char *transcript) {
  cJSON *r = report ? json(report) : NULL;
  cJSON *t = json(transcript);
  cJSON *nav = json("{'Anonymous':'Login','User':'Home_User','Administrator':'Home_Admin'}");
  mxc_verdict_input in = {
      .report = r, .transcript = t, .navigation = nav, .passwords = PASSWORDS, .nattempts = 2};
  mxc_check_result res;
  cr_assert_eq(mxc_verdict_check(&e, &in, &res), 0);
  cr_assert_eq(res.rule, e.rule);
  cr_assert_eq(res.kind, e.kind);
  cr_assert_not_null(res.expected);
  cr_assert_not_null(res.seen);
  cJSON_Delete(r);
  cJSON_Delete(t);
  cJSON_Delete(nav);
  return res;
}

static void check(mxc_check_result *r, bool passed, mxc_side side, const char *expected_has,
                  const char *seen_has) {
  cr_assert_eq(r->passed, passed, "passed=%d, want %d (expected '%s', seen '%s')", r->passed,
               passed, r->expected, r->seen);
  cr_assert_eq(r->side, side, "side %s, want %s (seen '%s')", mxc_side_name(r->side),
               mxc_side_name(side), r->seen);
  if (expected_has)
    cr_assert_not_null(strstr(r->expected, expected_has), "expected '%s' lacks '%s'", r->expected,
                       expected_has);
  if (seen_has)
    cr_assert_not_null(strstr(r->seen, seen_has), "seen '%s' lacks '%s'", r->seen, seen_has);
  mxc_check_result_cleanup(r);
  mxc_check_result_cleanup(r); /* idempotent */
}

#define CHECK(e, report, transcript, passed, side, exp_has, seen_has)                              \
  do {                                                                                             \
    mxc_check_result res_ = eval(e, report, transcript);                                           \
    check(&res_, passed, MXC_SIDE_##side, exp_has, seen_has);                                      \
  } while (0)

/* ---- the table ---- */

Test(verdict, check_table_is_consistent, .timeout = 10) {
  for (int k = 0; k < MXC_CHECK__COUNT; k++) {
    const mxc_check_def *d = mxc_check_def_of((mxc_check_kind)k);
    cr_assert_not_null(d);
    cr_assert_eq(d->kind, (mxc_check_kind)k);
    cr_assert_eq(mxc_check_find(d->name), d, "%s", d->name);
    cr_assert((d->value_key == NULL) == (d->value_type == MXC_VALUE_NONE), "%s", d->name);
    cr_assert(d->doc && *d->doc);
  }
  cr_assert_null(mxc_check_def_of(MXC_CHECK__COUNT));
  cr_assert_null(mxc_check_find("restart"));
  cr_assert_null(mxc_check_find(""));
  cr_assert_str_eq(mxc_side_name(MXC_SIDE_CLIENT), "client");
  cr_assert_str_eq(mxc_side_name(MXC_SIDE_WIRE), "wire");
  cr_assert_str_eq(mxc_side_name(MXC_SIDE_BOTH), "both");
}

Test(verdict, unknown_kind_is_einval, .timeout = 10) {
  cJSON *t = json(T_OK);
  mxc_expectation e = {.rule = mxc_rule_find("OK-1"), .kind = MXC_CHECK__COUNT};
  mxc_verdict_input in = {.transcript = t};
  mxc_check_result r;
  cr_assert_eq(mxc_verdict_check(&e, &in, &r), MXC_EINVAL);
  mxc_check_result_cleanup(&r);
  cJSON_Delete(t);
}

/* ---- startup ---- */

Test(verdict, startup_passes, .timeout = 10) {
  CHECK(EXPECT(STARTUP), REPORT_OK, T_OK, true, WIRE, "get_session_data", "get_session_data");
  /* a non-/xas/ exchange before start-up does not count */
  CHECK(EXPECT(STARTUP), REPORT_OK, T(X_NOT_XAS "," X_GSD_ANON), true, WIRE, NULL, "'none'");
  /* no report needed: wire only */
  CHECK(EXPECT(STARTUP), NULL, T_OK, true, WIRE, NULL, "answered 200");
}

Test(verdict, startup_fails, .timeout = 10) {
  CHECK(EXPECT(STARTUP), REPORT_OK, T_EMPTY, false, WIRE, NULL, "no /xas/ call");
  CHECK(EXPECT(STARTUP), REPORT_OK, T(X_NOT_XAS), false, WIRE, NULL, "no /xas/ call");
  /* straight to login */
  CHECK(EXPECT(STARTUP), REPORT_DENY, T(X_LOGIN_401(0)), false, WIRE, NULL,
        "first /xas/ call: login");
  /* get_session_data with a stale cookie: not a fresh start */
  CHECK(EXPECT(STARTUP), REPORT_OK, T(X_GSD_STALE(0)), false, WIRE, NULL, "'unknown'");
  /* start-up answered with an error */
  CHECK(EXPECT(STARTUP), REPORT_OK,
        T("{'seq':0,'action':'get_session_data','session_in':{'id':null,'state':'none'},"
          "'status':503}"),
        false, WIRE, NULL, "answered 503");
}

/* ---- status ---- */

Test(verdict, status_passes, .timeout = 10) {
  CHECK(EXPECT(STATUS, .attempt = 0, .int_value = 401), REPORT_DENY, T_DENY, true, CLIENT, "401",
        "status 401");
  CHECK(EXPECT(STATUS, .attempt = 0, .int_value = 0),
        "{'attempts':[{'status':0,'validation_message':'No connection'}],'restarted':false,"
        "'page':'Login'}",
        T(X_GSD_ANON), true, CLIENT, NULL, "status 0");
}

Test(verdict, status_fails, .timeout = 10) {
  CHECK(EXPECT(STATUS, .attempt = 0, .int_value = 401), REPORT_OK, T_OK, false, CLIENT,
        "attempt 1: status 401", "attempt 1: status 200");
  CHECK(EXPECT(STATUS, .attempt = 1, .int_value = 200), REPORT_DENY, T_DENY, false, CLIENT,
        "attempt 2", "not reported");
  CHECK(EXPECT(STATUS, .attempt = 0, .int_value = 401), NULL, T_DENY, false, CLIENT, "401",
        "no report");
}

/* ---- message ---- */

Test(verdict, message_passes, .timeout = 10) {
  CHECK(EXPECT(MESSAGE, .attempt = 0, .bool_value = false), REPORT_DENY, T_DENY, true, CLIENT,
        "non-empty", "Wrong username or password.");
  CHECK(EXPECT(MESSAGE, .attempt = 0, .bool_value = true), REPORT_OK, T_OK, true, CLIENT,
        "no validation message", "no validation message");
}

Test(verdict, message_fails, .timeout = 10) {
  CHECK(EXPECT(MESSAGE, .attempt = 0, .bool_value = false),
        "{'attempts':[{'status':401,'validation_message':''}],'restarted':false,'page':'Login'}",
        T_DENY, false, CLIENT, "non-empty", "no validation message");
  CHECK(EXPECT(MESSAGE, .attempt = 0, .bool_value = true),
        "{'attempts':[{'status':200,'validation_message':'Welcome back'}],'restarted':true,"
        "'page':'Home_User'}",
        T_OK, false, CLIENT, "no validation message", "\"Welcome back\"");
  CHECK(EXPECT(MESSAGE, .attempt = 1, .bool_value = false), REPORT_DENY, T_DENY, false, CLIENT,
        NULL, "not reported");
  CHECK(EXPECT(MESSAGE, .attempt = 0, .bool_value = false), NULL, T_DENY, false, CLIENT, NULL,
        "no report");
}

/* ---- message_hides_password ---- */

Test(verdict, message_hides_password_passes, .timeout = 10) {
  CHECK(EXPECT(MESSAGE_HIDES_PASSWORD, .attempt = 0), REPORT_DENY, T_DENY, true, CLIENT, "password",
        "no password");
  /* the other attempt's password in this attempt's message is not this check's business */
  CHECK(EXPECT(MESSAGE_HIDES_PASSWORD, .attempt = 0),
        "{'attempts':[{'status':401,'validation_message':'Hint: s3cret-Alice'}],"
        "'restarted':false,'page':'Login'}",
        T_DENY, true, CLIENT, NULL, "no password");
}

Test(verdict, message_hides_password_fails_without_repeating_it, .timeout = 10) {
  mxc_check_result r =
      eval(EXPECT(MESSAGE_HIDES_PASSWORD, .attempt = 0),
           "{'attempts':[{'status':401,'validation_message':'Password not-her-Password is wrong'}],"
           "'restarted':false,'page':'Login'}",
           T_DENY);
  cr_assert_not(r.passed);
  cr_assert_eq(r.side, MXC_SIDE_CLIENT);
  cr_assert_not_null(strstr(r.seen, "contains the password"), "%s", r.seen);
  cr_assert_null(strstr(r.seen, "not-her-Password"), "the report must not carry it: %s", r.seen);
  cr_assert_null(strstr(r.expected, "not-her-Password"), "%s", r.expected);
  cr_assert_null(strstr(r.seen, "is wrong"), "nor the message around it: %s", r.seen);
  mxc_check_result_cleanup(&r);
}

Test(verdict, message_hides_password_fails_without_report, .timeout = 10) {
  CHECK(EXPECT(MESSAGE_HIDES_PASSWORD, .attempt = 0), NULL, T_DENY, false, CLIENT, NULL,
        "no report");
  CHECK(EXPECT(MESSAGE_HIDES_PASSWORD, .attempt = 1), REPORT_DENY, T_DENY, false, CLIENT,
        "attempt 2", "not reported");
}

/* ---- restarted ---- */

Test(verdict, restarted_true_passes, .timeout = 10) {
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK, T_OK, true, WIRE, "new XASSESSIONID",
        "get_session_data with the new session cookie");
  /* a 401 first, then the right password: the restart follows the 200 */
  CHECK(EXPECT(RESTARTED, .bool_value = true),
        "{'attempts':[{'status':401,'validation_message':'Wrong'},{'status':200,"
        "'validation_message':''}],'restarted':true,'page':'Home_User'}",
        T(X_GSD_ANON "," X_LOGIN_401(1) "," X_LOGIN_OK(2) "," X_GSD_USER(3)), true, WIRE, NULL,
        "the new session cookie");
}

Test(verdict, restarted_claim_without_wire_restart_fails_on_wire, .timeout = 10) {
  /* the client says it restarted; the mock saw nothing after the login */
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK, T(X_GSD_ANON "," X_LOGIN_OK(1)), false,
        WIRE, "get_session_data", "no /xas/ call after the 200 login");
  /* the login was never answered 200 */
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK, T(X_GSD_ANON "," X_LOGIN_401(1)), false,
        WIRE, NULL, "no login was answered 200");
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK, T(X_GSD_ANON), false, WIRE, NULL,
        "no login was answered 200");
}

Test(verdict, restarted_with_anonymous_cookie_fails_on_wire, .timeout = 10) {
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(1) "," X_GSD_STALE(2)), false, WIRE, NULL,
        "another session cookie");
}

Test(verdict, restarted_with_no_cookie_or_other_call_fails_on_wire, .timeout = 10) {
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(
            1) ","
               "{'seq':2,'action':'get_session_data','session_in':{'id':null,'state':'none'},"
               "'session_out':'anon-2','roles':['Anonymous'],'status':200}"),
        false, WIRE, NULL, "no session cookie");
  /* the next call carries the new cookie but is not get_session_data */
  CHECK(EXPECT(RESTARTED, .bool_value = true), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(
            1) ","
               "{'seq':2,'action':'keepalive','session_in':{'id':'user-1','state':'user'},"
               "'status':200}," X_GSD_USER(3)),
        false, WIRE, NULL, "next call keepalive");
}

Test(verdict, restarted_false_passes, .timeout = 10) {
  CHECK(EXPECT(RESTARTED, .bool_value = false), REPORT_DENY, T_DENY, true, WIRE, NULL,
        "0 get_session_data");
  /* no login at all (an empty password sends none) */
  CHECK(EXPECT(RESTARTED, .bool_value = false), REPORT_DENY, T(X_GSD_ANON), true, WIRE, NULL,
        "0 get_session_data");
}

Test(verdict, restarted_false_fails, .timeout = 10) {
  /* the client says it stayed; the wire shows it asked for session data again */
  CHECK(EXPECT(RESTARTED, .bool_value = false), REPORT_DENY,
        T(X_GSD_ANON "," X_LOGIN_401(1) "," X_GSD_STALE(2)), false, WIRE,
        "no get_session_data after a login", "1 get_session_data");
  /* the client says it restarted when it should not have */
  CHECK(EXPECT(RESTARTED, .bool_value = false),
        "{'attempts':[{'status':401,'validation_message':'Wrong'}],'restarted':true,"
        "'page':'Login'}",
        T_DENY, false, CLIENT, "restarted=false", "restarted=true");
}

Test(verdict, restarted_true_fails_on_client, .timeout = 10) {
  /* the wire shows a restart but the client does not report it */
  CHECK(EXPECT(RESTARTED, .bool_value = true),
        "{'attempts':[{'status':200,'validation_message':''}],'restarted':false,'page':'Login'}",
        T_OK, false, CLIENT, "restarted=true", "restarted=false");
  CHECK(EXPECT(RESTARTED, .bool_value = true), NULL, T_OK, false, CLIENT, NULL, "no report");
  CHECK(EXPECT(RESTARTED, .bool_value = false), NULL, T_DENY, false, CLIENT, NULL, "no report");
}

/* ---- page ---- */

Test(verdict, page_passes, .timeout = 10) {
  CHECK(EXPECT(PAGE, .str_value = (char *)"Home_User"), REPORT_OK, T_OK, true, CLIENT, "Home_User",
        "page Home_User");
  CHECK(EXPECT(PAGE, .str_value = (char *)"Login"), REPORT_DENY, T_DENY, true, CLIENT, NULL,
        "page Login");
}

Test(verdict, page_fails, .timeout = 10) {
  CHECK(EXPECT(PAGE, .str_value = (char *)"Home_User"), REPORT_DENY, T_DENY, false, CLIENT,
        "page Home_User", "page Login");
  CHECK(EXPECT(PAGE, .str_value = (char *)"Login"), "{'attempts':[],'restarted':false,'page':''}",
        T_DENY, false, CLIENT, NULL, "(none)");
  CHECK(EXPECT(PAGE, .str_value = (char *)"Login"), NULL, T_DENY, false, CLIENT, NULL, "no report");
}

/* ---- page_matches_roles ---- */

Test(verdict, page_matches_roles_passes, .timeout = 10) {
  CHECK(EXPECT(PAGE_MATCHES_ROLES), REPORT_OK, T_OK, true, CLIENT, "Home_User", "page Home_User");
  /* still anonymous: the Anonymous home page */
  CHECK(EXPECT(PAGE_MATCHES_ROLES), REPORT_DENY, T_DENY, true, CLIENT, "Anonymous", "page Login");
  /* an administrator */
  CHECK(EXPECT(PAGE_MATCHES_ROLES),
        "{'attempts':[{'status':200,'validation_message':''}],'restarted':true,"
        "'page':'Home_Admin'}",
        T(X_GSD_ANON ",{'seq':1,'action':'get_session_data','session_in':{'id':'adm',"
                     "'state':'user'},'roles':['Administrator'],'status':200}"),
        true, CLIENT, "Home_Admin", NULL);
}

Test(verdict, page_matches_roles_fails, .timeout = 10) {
  /* signed in as User, still on the sign-in page */
  CHECK(EXPECT(PAGE_MATCHES_ROLES),
        "{'attempts':[{'status':200,'validation_message':''}],'restarted':true,'page':'Login'}",
        T_OK, false, CLIENT, "page Home_User", "page Login");
  /* the last session data served wins: a failed later one does not count */
  CHECK(EXPECT(PAGE_MATCHES_ROLES), REPORT_DENY,
        T(X_GSD_ANON
          "," X_LOGIN_OK(1) "," X_GSD_USER(2) ","
                                              "{'seq':3,'action':'get_session_data','status':503}"),
        false, CLIENT, "roles [User]", "page Login");
  /* no session data ever served: the wire decides */
  CHECK(EXPECT(PAGE_MATCHES_ROLES), REPORT_DENY, T_EMPTY, false, WIRE, NULL,
        "no get_session_data was answered");
  CHECK(EXPECT(PAGE_MATCHES_ROLES), NULL, T_OK, false, CLIENT, "Home_User", "no report");
}

/* ---- login_requests ---- */

Test(verdict, login_requests_passes, .timeout = 10) {
  CHECK(EXPECT(LOGIN_REQUESTS, .int_value = 1), REPORT_DENY, T_DENY, true, WIRE, "1 login",
        "1 login");
  CHECK(EXPECT(LOGIN_REQUESTS, .int_value = 0), NULL, T(X_GSD_ANON), true, WIRE, NULL, "0 login");
}

Test(verdict, login_requests_fails, .timeout = 10) {
  /* automatic resubmission after a 401 */
  CHECK(EXPECT(LOGIN_REQUESTS, .int_value = 1), REPORT_DENY,
        T(X_GSD_ANON "," X_LOGIN_401(1) "," X_LOGIN_401(2)), false, WIRE, "wire: 1 login",
        "wire: 2 login");
  CHECK(EXPECT(LOGIN_REQUESTS, .int_value = 1), REPORT_DENY, T(X_GSD_ANON), false, WIRE, NULL,
        "wire: 0 login");
}

/* ---- credentials_in_body ---- */

Test(verdict, credentials_in_body_passes, .timeout = 10) {
  CHECK(EXPECT(CREDENTIALS_IN_BODY), REPORT_OK, T_OK, true, WIRE, "only in request bodies",
        "no password outside a body");
  CHECK(EXPECT(CREDENTIALS_IN_BODY), NULL, T_EMPTY, true, WIRE, NULL, NULL);
}

Test(verdict, credentials_in_body_fails, .timeout = 10) {
  CHECK(EXPECT(CREDENTIALS_IN_BODY), REPORT_OK,
        T(X_GSD_ANON ",{'seq':1,'action':'login','target':'/xas/?password=[redacted]',"
                     "'credentials_outside_body':['url'],'status':200}"),
        false, WIRE, NULL, "the url of request #1");
  CHECK(EXPECT(CREDENTIALS_IN_BODY), REPORT_OK,
        T(X_GSD_ANON ",{'seq':4,'action':'login','credentials_outside_body':"
                     "['header:Authorization'],'status':200}"),
        false, WIRE, NULL, "header:Authorization of request #4");
}

/* ---- session_cookie_on_login ---- */

Test(verdict, session_cookie_on_login_passes, .timeout = 10) {
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_OK, T_OK, true, WIRE, "anonymous session cookie",
        "1 login request(s), all with it");
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_401(1) "," X_LOGIN_OK(2) "," X_GSD_USER(3)), true, WIRE, NULL,
        "2 login request(s)");
}

Test(verdict, session_cookie_on_login_fails, .timeout = 10) {
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON ",{'seq':1,'action':'login','session_in':{'id':null,'state':'none'},"
                     "'csrf':'no_session','status':401}"),
        false, WIRE, NULL, "login request #1: session cookie none");
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON ",{'seq':1,'action':'login','session_in':{'id':'forged',"
                     "'state':'unknown'},'status':401}"),
        false, WIRE, NULL, "session cookie unknown");
  /* the second login lost the cookie */
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON "," X_LOGIN_401(1) ",{'seq':2,'action':'login','status':401}"), false, WIRE,
        NULL, "#2");
  CHECK(EXPECT(SESSION_COOKIE_ON_LOGIN), REPORT_DENY, T(X_GSD_ANON), false, WIRE, NULL,
        "no login request reached the mock");
}

/* ---- csrf_on_login ---- */

Test(verdict, csrf_on_login_passes, .timeout = 10) {
  CHECK(EXPECT(CSRF_ON_LOGIN), REPORT_OK, T_OK, true, WIRE, "X-Csrf-Token", "all with it");
}

Test(verdict, csrf_on_login_fails, .timeout = 10) {
  CHECK(EXPECT(CSRF_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON ",{'seq':1,'action':'login','session_in':{'id':'anon-1',"
                     "'state':'anonymous'},'csrf':'absent','status':401}"),
        false, WIRE, NULL, "csrf token absent");
  CHECK(EXPECT(CSRF_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON ",{'seq':1,'action':'login','csrf':'mismatch','status':403}"), false, WIRE,
        NULL, "csrf token mismatch");
  /* not recorded at all (e.g. a fault answered it): absent */
  CHECK(EXPECT(CSRF_ON_LOGIN), REPORT_DENY,
        T(X_GSD_ANON ",{'seq':1,'action':'login','status':503}"), false, WIRE, NULL,
        "csrf token absent");
  CHECK(EXPECT(CSRF_ON_LOGIN), REPORT_DENY, T(X_GSD_ANON), false, WIRE, NULL, "no login request");
}

/* ---- message_contains ---- */

#define REPORT_560                                                                                 \
  "{'attempts':[{'status':560,'validation_message':'Sign-in is closed: maintenance until 6'}],"    \
  "'restarted':false,'page':'Login'}"

Test(verdict, message_contains_passes, .timeout = 10) {
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"maintenance"), REPORT_560,
        T_DENY, true, CLIENT, "attempt 1: a message containing \"maintenance\"",
        "attempt 1: \"Sign-in is closed: maintenance until 6\"");
  /* the whole message is contained in itself */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"Wrong username or password."),
        REPORT_DENY, T_DENY, true, CLIENT, NULL, "\"Wrong username or password.\"");
  /* the second attempt's message, not the first's */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 1, .str_value = (char *)"maintenance"),
        "{'attempts':[{'status':401,'validation_message':'Wrong'},{'status':560,"
        "'validation_message':'down for maintenance'}],'restarted':false,'page':'Login'}",
        T_DENY, true, CLIENT, "attempt 2", "attempt 2: \"down for maintenance\"");
}

Test(verdict, message_contains_fails, .timeout = 10) {
  /* another message: seen quotes it */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"maintenance"), REPORT_DENY,
        T_DENY, false, CLIENT, "containing \"maintenance\"",
        "attempt 1: \"Wrong username or password.\"");
  /* no message at all */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"maintenance"), REPORT_OK, T_OK,
        false, CLIENT, "\"maintenance\"", "attempt 1: \"\"");
  /* the text in the other attempt's message does not count */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"maintenance"),
        "{'attempts':[{'status':401,'validation_message':'Wrong'},{'status':560,"
        "'validation_message':'down for maintenance'}],'restarted':false,'page':'Login'}",
        T_DENY, false, CLIENT, NULL, "attempt 1: \"Wrong\"");
  /* case matters: "contains" is byte for byte */
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"Maintenance"), REPORT_560,
        T_DENY, false, CLIENT, "\"Maintenance\"", "maintenance until 6");
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 1, .str_value = (char *)"maintenance"), REPORT_560,
        T_DENY, false, CLIENT, "attempt 2", "attempt 2: not reported");
  CHECK(EXPECT(MESSAGE_CONTAINS, .attempt = 0, .str_value = (char *)"maintenance"), NULL, T_DENY,
        false, CLIENT, "\"maintenance\"", "no report");
}

/* ---- messages_differ ---- */

#define REPORT_401_THEN_NET(msg0, msg1)                                                            \
  "{'attempts':[{'status':401,'validation_message':'" msg0 "'},{'status':0,"                       \
  "'validation_message':'" msg1 "'}],'restarted':false,'page':'Login'}"

Test(verdict, messages_differ_passes, .timeout = 10) {
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1),
        REPORT_401_THEN_NET("Wrong username or password.", "Cannot reach the server."),
        T(X_GSD_ANON "," X_LOGIN_401(1)), true, CLIENT, "attempts 1 and 2",
        "attempt 1: \"Wrong username or password.\"; attempt 2: \"Cannot reach the server.\"");
  /* the other way round */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 1, .int_value = 0),
        REPORT_401_THEN_NET("Wrong username or password.", "Cannot reach the server."), T_DENY,
        true, CLIENT, "attempts 2 and 1",
        "attempt 2: \"Cannot reach the server.\"; attempt 1: \"Wrong username or password.\"");
}

Test(verdict, messages_differ_fails, .timeout = 10) {
  /* the same message for a 401 and a network failure: both shown */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1),
        REPORT_401_THEN_NET("Sign-in failed.", "Sign-in failed."), T_DENY, false, CLIENT,
        "two different, non-empty messages",
        "attempt 1: \"Sign-in failed.\"; attempt 2: \"Sign-in failed.\"");
  /* different, but one is empty */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1),
        REPORT_401_THEN_NET("Wrong username or password.", ""), T_DENY, false, CLIENT, NULL,
        "attempt 2: \"\"");
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1),
        REPORT_401_THEN_NET("", "Cannot reach the server."), T_DENY, false, CLIENT, NULL,
        "attempt 1: \"\"; attempt 2: \"Cannot reach the server.\"");
  /* an attempt compared with itself never differs */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 0),
        REPORT_401_THEN_NET("Wrong username or password.", "Cannot reach the server."), T_DENY,
        false, CLIENT, "attempts 1 and 1", NULL);
  /* the other attempt was not reported */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1), REPORT_DENY, T_DENY, false, CLIENT,
        "attempts 1 and 2",
        "attempt 1: \"Wrong username or password.\"; attempt 2: \"(not reported)\"");
  /* this attempt was not reported */
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 1, .int_value = 0), REPORT_DENY, T_DENY, false, CLIENT,
        "attempts 2 and 1", "attempt 2: not reported");
  CHECK(EXPECT(MESSAGES_DIFFER, .attempt = 0, .int_value = 1), NULL, T_DENY, false, CLIENT,
        "attempts 1 and 2", "no report");
}

/* ---- timings_reported ---- */

#define REPORT_TIMINGS(timings)                                                                    \
  "{'attempts':[{'status':200,'validation_message':''}],'restarted':true,'page':'Home_"            \
  "User'" timings "}"

Test(verdict, timings_reported_passes, .timeout = 10) {
  CHECK(EXPECT(TIMINGS_REPORTED),
        REPORT_TIMINGS(",'timings':{'startup':12,'sign_in':34.5,'restart':0}"), T_OK, true, CLIENT,
        "\"timings\" object", "timings with 3 value(s)");
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':{'sign_in':1}"), T_EMPTY, true, CLIENT,
        NULL, "timings with 1 value(s)");
}

Test(verdict, timings_reported_fails, .timeout = 10) {
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_OK, T_OK, false, CLIENT, "\"timings\" object",
        "no timings with 0 value(s)");
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':{}"), T_OK, false, CLIENT, NULL,
        "timings with 0 value(s)");
  /* every value must be a duration in ms */
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':{'startup':12,'sign_in':'34ms'}"),
        T_OK, false, CLIENT, NULL, "timings with 2 value(s)");
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':{'startup':-1}"), T_OK, false, CLIENT,
        NULL, "timings with 1 value(s)");
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':{'startup':null}"), T_OK, false,
        CLIENT, NULL, "timings with 1 value(s)");
  /* not an object */
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':[12,34]"), T_OK, false, CLIENT, NULL,
        "no timings");
  CHECK(EXPECT(TIMINGS_REPORTED), REPORT_TIMINGS(",'timings':12"), T_OK, false, CLIENT, NULL,
        "no timings");
  CHECK(EXPECT(TIMINGS_REPORTED), NULL, T_OK, false, CLIENT, "\"timings\" object", "no report");
}

/* ---- login_attempted ---- */

Test(verdict, login_attempted_passes, .timeout = 10) {
  CHECK(EXPECT(LOGIN_ATTEMPTED), REPORT_DENY, T_DENY, true, WIRE, "at least one login request",
        "wire: 1 login request(s)");
  CHECK(EXPECT(LOGIN_ATTEMPTED), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_401(1) "," X_LOGIN_OK(2) "," X_GSD_USER(3)), true, WIRE, NULL,
        "wire: 2 login request(s)");
  /* a login the mock answered with a fault still reached it; no report needed: wire only */
  CHECK(EXPECT(LOGIN_ATTEMPTED), NULL, T(X_GSD_ANON ",{'seq':1,'action':'login','status':503}"),
        true, WIRE, NULL, "wire: 1 login request(s)");
}

Test(verdict, login_attempted_fails, .timeout = 10) {
  /* the client reports a status without having sent anything */
  CHECK(EXPECT(LOGIN_ATTEMPTED),
        "{'attempts':[{'status':0,'validation_message':'No connection'}],'restarted':false,"
        "'page':'Login'}",
        T(X_GSD_ANON), false, WIRE, "at least one login request", "wire: 0 login request(s)");
  CHECK(EXPECT(LOGIN_ATTEMPTED), REPORT_DENY, T(X_NOT_XAS), false, WIRE, NULL,
        "wire: 0 login request(s)");
  CHECK(EXPECT(LOGIN_ATTEMPTED), NULL, T_EMPTY, false, WIRE, NULL, "wire: 0 login request(s)");
}

/* ---- session_from_token ---- */

/* the relaunched app: no session cookie, the authtoken cookie brings alice's session back */
#define X_GSD_TOKEN(seq, created)                                                                  \
  "{'seq':" #seq ",'conn':3,'method':'POST','target':'/xas/','action':'get_session_data',"         \
  "'session_in':{'id':null,'state':'none'},'csrf':'absent','credentials_outside_body':[],"         \
  "'session_created':'" created "','session_out':'user-2','session_user':'alice',"                 \
  "'roles':['User'],'csrftoken_out':'tok-user-2','status':200}"
#define T_TOKEN(created)                                                                           \
  T(X_GSD_ANON "," X_LOGIN_OK(1) "," X_GSD_USER(2) "," X_GSD_TOKEN(3, created))

Test(verdict, session_from_token_passes, .timeout = 10) {
  CHECK(EXPECT(SESSION_FROM_TOKEN), REPORT_OK, T_TOKEN("authtoken"), true, WIRE,
        "restored from the authtoken cookie", "get_session_data #3 restored the user's session");
  /* wire only */
  CHECK(EXPECT(SESSION_FROM_TOKEN), NULL, T_TOKEN("authtoken"), true, WIRE, NULL, "#3");
}

Test(verdict, session_from_token_fails, .timeout = 10) {
  /* restarted with the session cookie: no session came from the token */
  CHECK(EXPECT(SESSION_FROM_TOKEN), REPORT_OK, T_OK, false, WIRE,
        "restored from the authtoken cookie", "none of 2 get_session_data call(s)");
  /* the relaunch sent a token the mock did not know: a new anonymous session */
  CHECK(EXPECT(SESSION_FROM_TOKEN), REPORT_OK, T_TOKEN("anonymous_bad_token"), false, WIRE, NULL,
        "none of 3 get_session_data call(s)");
  CHECK(EXPECT(SESSION_FROM_TOKEN), REPORT_OK, T_TOKEN("anonymous"), false, WIRE, NULL,
        "none of 3 get_session_data call(s)");
  /* only get_session_data counts */
  CHECK(EXPECT(SESSION_FROM_TOKEN), REPORT_OK,
        T(X_GSD_ANON ",{'seq':1,'action':'keepalive','session_created':'authtoken','status':200}"),
        false, WIRE, NULL, "none of 1 get_session_data call(s)");
  CHECK(EXPECT(SESSION_FROM_TOKEN), NULL, T_EMPTY, false, WIRE, NULL,
        "none of 0 get_session_data call(s)");
}

/* ---- csrf_after_restart ---- */

#define X_KEEPALIVE(seq, csrf)                                                                     \
  "{'seq':" #seq ",'conn':2,'method':'POST','target':'/xas/','action':'keepalive',"                \
  "'session_in':{'id':'user-1','state':'user'},'csrf':'" csrf "',"                                 \
  "'credentials_outside_body':[],'status':200}"

Test(verdict, csrf_after_restart_passes, .timeout = 10) {
  /* the restart carries no token */
  CHECK(EXPECT(CSRF_AFTER_RESTART), REPORT_OK, T_OK, true, WIRE, "no stale csrftoken",
        "every later request had its session's token or none");
  /* later requests with the new session's token */
  CHECK(EXPECT(CSRF_AFTER_RESTART), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(1) "," X_GSD_USER(2) "," X_KEEPALIVE(3, "match")), true, WIRE,
        NULL, "every later request");
  /* a mismatch before the 200 login is csrf_on_login's business, not this check's */
  CHECK(EXPECT(CSRF_AFTER_RESTART), NULL,
        T(X_GSD_ANON ",{'seq':1,'action':'login','csrf':'mismatch','status':403}," X_LOGIN_OK(
            2) "," X_GSD_USER(3)),
        true, WIRE, NULL, "every later request");
}

Test(verdict, csrf_after_restart_fails, .timeout = 10) {
  /* the anonymous session's token after the restart: the offending request by seq and action */
  CHECK(EXPECT(CSRF_AFTER_RESTART), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(1) "," X_GSD_USER(2) "," X_KEEPALIVE(
            3, "match") "," X_KEEPALIVE(4, "mismatch")),
        false, WIRE, "after the 200 login",
        "request #4 (keepalive) carried another session's csrftoken");
  /* straight after the login, before the restart */
  CHECK(EXPECT(CSRF_AFTER_RESTART), REPORT_OK,
        T(X_GSD_ANON "," X_LOGIN_OK(
            1) ",{'seq':2,'action':'get_session_data','session_in':{'id':'user-1','state':'user'},"
               "'csrf':'mismatch','status':200}"),
        false, WIRE, NULL, "request #2 (get_session_data)");
  /* no 200 login: nothing to judge, a failure */
  CHECK(EXPECT(CSRF_AFTER_RESTART), REPORT_DENY, T_DENY, false, WIRE, "no stale csrftoken",
        "wire: no login was answered 200");
  CHECK(EXPECT(CSRF_AFTER_RESTART), NULL, T_EMPTY, false, WIRE, NULL, "no login was answered 200");
}

/* ---- every check, no report: the client-side ones fail client-side ---- */

Test(verdict, null_report_fails_client_checks, .timeout = 10) {
  for (int k = 0; k < MXC_CHECK__COUNT; k++) {
    const mxc_check_def *d = mxc_check_def_of((mxc_check_kind)k);
    if (d->side == MXC_SIDE_WIRE)
      continue;
    mxc_expectation e = {.rule = mxc_rule_find("OK-1"),
                         .kind = (mxc_check_kind)k,
                         .str_value = (char *)"Home_User",
                         .bool_value = true,
                         .int_value = 200};
    mxc_check_result r = eval(e, NULL, T_OK);
    cr_assert_not(r.passed, "%s passed without a report", d->name);
    cr_assert_eq(r.side, MXC_SIDE_CLIENT, "%s", d->name);
    cr_assert_not_null(strstr(r.seen, "no report"), "%s: %s", d->name, r.seen);
    mxc_check_result_cleanup(&r);
  }
}

/* ---- the shape of a result line ---- */

static const char *shape(const char *sq) {
  cJSON *o = json(sq);
  const char *why = mxc_report_shape_error(o);
  cJSON_Delete(o);
  return why;
}

static void shape_bad(const char *sq, const char *word) {
  const char *why = shape(sq);
  cr_assert_not_null(why, "accepted: %s", sq);
  cr_assert_not_null(strstr(why, word), "'%s' lacks '%s' (for %s)", why, word, sq);
}

Test(verdict, report_shape_good, .timeout = 10) {
  cr_assert_null(shape(REPORT_OK));
  cr_assert_null(shape(REPORT_DENY));
  cr_assert_null(shape("{'attempts':[{'status':0,'validation_message':'x'},{'status':999,"
                       "'validation_message':''}],'restarted':false,'page':'','extra':1}"));
}

Test(verdict, report_shape_bad, .timeout = 10) {
  cr_assert_not_null(mxc_report_shape_error(NULL));
  shape_bad("[]", "not a JSON object");
  shape_bad("'text'", "not a JSON object");
  shape_bad("{'restarted':false,'page':'Login'}", "\"attempts\"");
  shape_bad("{'attempts':{},'restarted':false,'page':'Login'}", "\"attempts\"");
  shape_bad("{'attempts':[401],'restarted':false,'page':'Login'}", "\"status\"");
  shape_bad("{'attempts':[{'validation_message':''}],'restarted':false,'page':'L'}", "\"status\"");
  shape_bad("{'attempts':[{'status':'401','validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':401.5,'validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':-1,'validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':1000,'validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':1e10,'validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':-1e10,'validation_message':''}],'restarted':false,'page':'L'}",
            "\"status\"");
  shape_bad("{'attempts':[{'status':401}],'restarted':false,'page':'L'}", "\"validation_message\"");
  shape_bad("{'attempts':[{'status':401,'validation_message':null}],'restarted':false,'page':'L'}",
            "\"validation_message\"");
  shape_bad("{'attempts':[],'page':'Login'}", "\"restarted\"");
  shape_bad("{'attempts':[],'restarted':'false','page':'Login'}", "\"restarted\"");
  shape_bad("{'attempts':[],'restarted':0,'page':'Login'}", "\"restarted\"");
  shape_bad("{'attempts':[],'restarted':false}", "\"page\"");
  shape_bad("{'attempts':[],'restarted':false,'page':null}", "\"page\"");
}

/* ---- parsing the last line of a client's stdout ---- */

static cJSON *parse_line(const char *out, const char **why) {
  *why = NULL;
  return mxc_driver_parse_result(out, strlen(out), why);
}

#define LINE_OK                                                                                    \
  "{\"attempts\":[{\"status\":401,\"validation_message\":\"Wrong\"}],\"restarted\":false,"         \
  "\"page\":\"Login\"}"
#define LINE_OTHER                                                                                 \
  "{\"attempts\":[{\"status\":200,\"validation_message\":\"\"}],\"restarted\":true,"               \
  "\"page\":\"Home_User\"}"

static void parse_good(const char *out, const char *want_page) {
  const char *why = NULL;
  cJSON *r = parse_line(out, &why);
  cr_assert_not_null(r, "rejected (%s): %s", why ? why : "?", out);
  const cJSON *page = cJSON_GetObjectItemCaseSensitive(r, "page");
  cr_assert(cJSON_IsString(page));
  cr_assert_str_eq(page->valuestring, want_page, "for: %s", out);
  cJSON_Delete(r);
}

static void parse_bad(const char *out, const char *word) {
  const char *why = NULL;
  cJSON *r = parse_line(out, &why);
  cr_assert_null(r, "accepted: %s", out);
  cr_assert_not_null(why);
  cr_assert_not_null(strstr(why, word), "'%s' lacks '%s' (for %s)", why, word, out);
}

Test(verdict, parse_result_good, .timeout = 10) {
  parse_good(LINE_OK, "Login");
  parse_good(LINE_OK "\n", "Login");
  parse_good(LINE_OK "\n\n\r\n \t\n", "Login");
  parse_good(LINE_OK "\r\n", "Login");
  /* logs before it */
  parse_good("starting\nsigning in as alice\n" LINE_OK "\n", "Login");
  /* the last line wins over an earlier result */
  parse_good(LINE_OK "\n" LINE_OTHER "\n", "Home_User");
  parse_good(LINE_OTHER "\r\n" LINE_OK "\r\n", "Login");
  /* only len bytes count */
  const char *buf = LINE_OK "\nnot json";
  const char *why = NULL;
  cJSON *r = mxc_driver_parse_result(buf, strlen(LINE_OK) + 1, &why);
  cr_assert_not_null(r, "%s", why ? why : "?");
  cJSON_Delete(r);
}

Test(verdict, parse_result_bad, .timeout = 10) {
  parse_bad("", "no output");
  parse_bad("\n\n \r\n", "no output");
  parse_bad("done\n", "not valid JSON");
  parse_bad("{\"attempts\":[", "not valid JSON");
  /* an earlier good line does not rescue a bad last line */
  parse_bad(LINE_OK "\nfinished.\n", "not valid JSON");
  parse_bad(LINE_OK "\n{\"attempts\":\n", "not valid JSON");
  /* the result split over two lines: the last line alone is not it */
  parse_bad("{\"attempts\":[],\n\"restarted\":false,\"page\":\"Login\"}\n", "the last line");
  /* JSON but not the shape */
  parse_bad("[1,2,3]\n", "not a JSON object");
  /* text after the object on the last line */
  parse_bad(LINE_OK " trailing junk\n", "not valid JSON");
  parse_bad(LINE_OK LINE_OTHER "\n", "not valid JSON");
  parse_bad("{\"attempts\":[],\"restarted\":false}\n", "\"page\"");
  parse_bad("{\"attempts\":[],\"page\":\"Login\"}\n", "\"restarted\"");
  parse_bad("{\"restarted\":true,\"page\":\"Login\"}\n", "\"attempts\"");
  parse_bad("{\"attempts\":[{\"status\":\"200\",\"validation_message\":\"\"}],\"restarted\":true,"
            "\"page\":\"Home_User\"}\n",
            "\"status\"");
  parse_bad("{\"attempts\":[{\"status\":200,\"validation_message\":0}],\"restarted\":true,"
            "\"page\":\"Home_User\"}\n",
            "\"validation_message\"");
  parse_bad("{\"attempts\":[],\"restarted\":\"yes\",\"page\":\"Login\"}\n", "\"restarted\"");
  /* the length cuts the line short */
  const char *why = NULL;
  cJSON *r = mxc_driver_parse_result(LINE_OK, strlen(LINE_OK) - 1, &why);
  cr_assert_null(r);
  cr_assert_not_null(strstr(why, "not valid JSON"), "%s", why);
}
