/* Expectation kinds and their evaluation over the client report and the wire transcript. */
#include "harness/verdict.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mxc_check_def defs[] = {
#define XX(e, name, side, att, key, type, doc) {MXC_CHECK_##e, name, side, att, key, type, doc},
    MXC_CHECKS(XX)
#undef XX
};

const mxc_check_def *mxc_check_find(const char *name) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (strcmp(defs[i].name, name) == 0)
      return &defs[i];
  return NULL;
}

const mxc_check_def *mxc_check_def_of(mxc_check_kind kind) {
  return (size_t)kind < sizeof defs / sizeof defs[0] ? &defs[kind] : NULL;
}

const char *mxc_side_name(mxc_side side) {
  switch (side) {
  case MXC_SIDE_CLIENT: return "client";
  case MXC_SIDE_WIRE: return "wire";
  default: return "both";
  }
}

void mxc_check_result_cleanup(mxc_check_result *r) {
  if (!r)
    return;
  free(r->expected);
  free(r->seen);
  r->expected = r->seen = NULL;
}

const char *mxc_report_shape_error(const cJSON *report) {
  if (!cJSON_IsObject(report))
    return "the last line is not a JSON object";
  const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(report, "attempts");
  if (!cJSON_IsArray(attempts))
    return "\"attempts\" is missing or not an array";
  const cJSON *a;
  cJSON_ArrayForEach(a, attempts) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(a, "status");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(a, "validation_message");
    if (!cJSON_IsNumber(st) || st->valuedouble < 0 || st->valuedouble > 999 ||
        st->valuedouble != (double)(int)st->valuedouble)
      return "an attempt's \"status\" is missing or not an HTTP status (0-999)";
    if (!cJSON_IsString(msg))
      return "an attempt's \"validation_message\" is missing or not a string";
  }
  if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(report, "restarted")))
    return "\"restarted\" is missing or not a boolean";
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(report, "page")))
    return "\"page\" is missing or not a string";
  return NULL;
}

/* ---- transcript queries ---- */

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_of(const cJSON *o, const char *key, int dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valueint : dflt;
}

static const cJSON *exchanges(const cJSON *t) {
  return cJSON_GetObjectItemCaseSensitive(t, "exchanges");
}

static bool is_action(const cJSON *x, const char *action) {
  const char *a = str_of(x, "action");
  return a && strcmp(a, action) == 0;
}

static const char *session_in_id(const cJSON *x) {
  return str_of(cJSON_GetObjectItemCaseSensitive(x, "session_in"), "id");
}

static const char *session_in_state(const cJSON *x) {
  const char *s = str_of(cJSON_GetObjectItemCaseSensitive(x, "session_in"), "state");
  return s ? s : "none";
}

static int count_action(const cJSON *t, const char *action) {
  int n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, exchanges(t)) n += is_action(x, action);
  return n;
}

/* ---- report queries ---- */

static const cJSON *report_attempt(const cJSON *report, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(report, "attempts"), i);
}

/* ---- results ---- */

static int set_result(mxc_check_result *out, bool passed, mxc_side side, char *expected,
                      char *seen) {
  out->passed = passed;
  out->side = side;
  out->expected = expected;
  out->seen = seen;
  if (!expected || !seen) {
    mxc_check_result_cleanup(out);
    return MXC_ENOMEM;
  }
  return 0;
}

#define NO_REPORT "no report: the client did not finish properly"

/* The reported attempt an expectation is about. When there is none, records the failure
 * (taking `expected`) and returns NULL with *rc set. */
static const cJSON *attempt_of(const mxc_expectation *e, const mxc_verdict_input *in,
                               mxc_check_result *out, char *expected, int *rc) {
  const cJSON *a = in->report ? report_attempt(in->report, e->attempt) : NULL;
  if (!a)
    *rc = set_result(out, false, MXC_SIDE_CLIENT, expected,
                     in->report ? mxc_asprintf("attempt %d: not reported", e->attempt + 1)
                                : mxc_strdup(NO_REPORT));
  return a;
}

static int check_startup(const mxc_verdict_input *in, mxc_check_result *out) {
  const cJSON *first = NULL, *x;
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    const char *a = str_of(x, "action");
    if (a && *a) {
      first = x;
      break;
    }
  }
  char *expected = mxc_strdup("first /xas/ call: get_session_data without a session cookie, "
                              "answered 200 with a new anonymous session");
  if (!first)
    return set_result(out, false, MXC_SIDE_WIRE, expected, mxc_strdup("no /xas/ call at all"));
  bool ok = is_action(first, "get_session_data") && strcmp(session_in_state(first), "none") == 0 &&
            int_of(first, "status", 0) == 200 && str_of(first, "session_out");
  char *seen =
      mxc_asprintf("first /xas/ call: %s with session cookie state '%s', answered %d",
                   str_of(first, "action"), session_in_state(first), int_of(first, "status", 0));
  return set_result(out, ok, MXC_SIDE_WIRE, expected, seen);
}

static int check_status(const mxc_expectation *e, const mxc_verdict_input *in,
                        mxc_check_result *out) {
  char *expected = mxc_asprintf("attempt %d: status %d", e->attempt + 1, e->int_value);
  int rc = 0;
  const cJSON *a = attempt_of(e, in, out, expected, &rc);
  if (!a)
    return rc;
  int st = int_of(a, "status", -1);
  return set_result(out, st == e->int_value, MXC_SIDE_CLIENT, expected,
                    mxc_asprintf("attempt %d: status %d", e->attempt + 1, st));
}

static int check_message(const mxc_expectation *e, const mxc_verdict_input *in,
                         mxc_check_result *out) {
  char *expected = mxc_asprintf("attempt %d: %s validation message", e->attempt + 1,
                                e->bool_value ? "no" : "a non-empty");
  int rc = 0;
  const cJSON *a = attempt_of(e, in, out, expected, &rc);
  if (!a)
    return rc;
  const char *msg = str_of(a, "validation_message");
  bool empty = !msg || !*msg;
  char *seen = empty ? mxc_asprintf("attempt %d: no validation message", e->attempt + 1)
                     : mxc_asprintf("attempt %d: \"%.200s\"", e->attempt + 1, msg);
  return set_result(out, empty == e->bool_value, MXC_SIDE_CLIENT, expected, seen);
}

static int check_message_contains(const mxc_expectation *e, const mxc_verdict_input *in,
                                  mxc_check_result *out) {
  char *expected =
      mxc_asprintf("attempt %d: a message containing \"%.200s\"", e->attempt + 1, e->str_value);
  int rc = 0;
  const cJSON *a = attempt_of(e, in, out, expected, &rc);
  if (!a)
    return rc;
  const char *msg = str_of(a, "validation_message");
  return set_result(out, msg && strstr(msg, e->str_value), MXC_SIDE_CLIENT, expected,
                    mxc_asprintf("attempt %d: \"%.200s\"", e->attempt + 1, msg ? msg : ""));
}

static int check_messages_differ(const mxc_expectation *e, const mxc_verdict_input *in,
                                 mxc_check_result *out) {
  char *expected = mxc_asprintf("attempts %d and %d: two different, non-empty messages",
                                e->attempt + 1, e->int_value + 1);
  int rc = 0;
  const cJSON *a = attempt_of(e, in, out, expected, &rc);
  if (!a)
    return rc;
  const cJSON *b = report_attempt(in->report, e->int_value);
  const char *ma = str_of(a, "validation_message"),
             *mb = b ? str_of(b, "validation_message") : NULL;
  bool ok = ma && mb && *ma && *mb && strcmp(ma, mb) != 0;
  return set_result(out, ok, MXC_SIDE_CLIENT, expected,
                    mxc_asprintf("attempt %d: \"%.120s\"; attempt %d: \"%.120s\"", e->attempt + 1,
                                 ma ? ma : "", e->int_value + 1, mb ? mb : "(not reported)"));
}

static int check_timings_reported(const mxc_verdict_input *in, mxc_check_result *out) {
  char *expected = mxc_strdup("a \"timings\" object of step durations in ms");
  if (!in->report)
    return set_result(out, false, MXC_SIDE_CLIENT, expected, mxc_strdup(NO_REPORT));
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(in->report, "timings"), *it;
  int n = 0;
  bool numbers = cJSON_IsObject(t);
  cJSON_ArrayForEach(it, t) {
    numbers &= cJSON_IsNumber(it) && it->valuedouble >= 0;
    n++;
  }
  return set_result(
      out, numbers && n > 0, MXC_SIDE_CLIENT, expected,
      mxc_asprintf("%s with %d value(s)", cJSON_IsObject(t) ? "timings" : "no timings", n));
}

static int check_message_hides_password(const mxc_expectation *e, const mxc_verdict_input *in,
                                        mxc_check_result *out) {
  char *expected =
      mxc_asprintf("attempt %d: the message does not contain the password", e->attempt + 1);
  int rc = 0;
  const cJSON *a = attempt_of(e, in, out, expected, &rc);
  if (!a)
    return rc;
  const char *msg = str_of(a, "validation_message");
  const char *pw = (size_t)e->attempt < in->nattempts ? in->passwords[e->attempt] : NULL;
  bool leaked = msg && pw && *pw && strstr(msg, pw);
  /* the seen text never repeats the message when it leaked: reports must not carry it */
  return set_result(
      out, !leaked, MXC_SIDE_CLIENT, expected,
      mxc_strdup(leaked ? "the message contains the password" : "no password in the message"));
}

static int check_restarted(const mxc_expectation *e, const mxc_verdict_input *in,
                           mxc_check_result *out) {
  const cJSON *t = in->transcript;
  if (!in->report)
    return set_result(out, false, MXC_SIDE_CLIENT,
                      mxc_asprintf("client reports restarted=%s", e->bool_value ? "true" : "false"),
                      mxc_strdup(NO_REPORT));
  bool client = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in->report, "restarted"));
  if (client != e->bool_value)
    return set_result(out, false, MXC_SIDE_CLIENT,
                      mxc_asprintf("client reports restarted=%s", e->bool_value ? "true" : "false"),
                      mxc_asprintf("client reports restarted=%s", client ? "true" : "false"));
  const cJSON *x;
  if (e->bool_value) {
    /* OK-1: the first /xas/ call after the 200 login is get_session_data with its cookie */
    const char *new_id = NULL;
    const cJSON *next = NULL;
    cJSON_ArrayForEach(x, exchanges(t)) {
      const char *a = str_of(x, "action");
      if (new_id && a && *a) {
        next = x;
        break;
      }
      if (is_action(x, "login") && int_of(x, "status", 0) == 200)
        new_id = str_of(x, "session_out");
    }
    char *expected = mxc_strdup("wire: after the 200 login, get_session_data carrying the new "
                                "XASSESSIONID the login set");
    if (!new_id)
      return set_result(out, false, MXC_SIDE_WIRE, expected,
                        mxc_strdup("wire: no login was answered 200"));
    if (!next)
      return set_result(out, false, MXC_SIDE_WIRE, expected,
                        mxc_strdup("wire: no /xas/ call after the 200 login"));
    const char *sent = session_in_id(next);
    bool ok = is_action(next, "get_session_data") && sent && strcmp(sent, new_id) == 0;
    const char *which = !sent                       ? "no session cookie"
                        : strcmp(sent, new_id) == 0 ? "the new session cookie"
                                                    : "another session cookie (not the login's)";
    return set_result(out, ok, MXC_SIDE_WIRE, expected,
                      mxc_asprintf("wire: next call %s with %s", str_of(next, "action"), which));
  }
  /* no restart: nothing asks for session data once a login was sent */
  bool after_login = false;
  int restarts = 0;
  cJSON_ArrayForEach(x, exchanges(t)) {
    if (is_action(x, "login"))
      after_login = true;
    else if (after_login && is_action(x, "get_session_data"))
      restarts++;
  }
  return set_result(
      out, restarts == 0, MXC_SIDE_WIRE,
      mxc_strdup("wire: no get_session_data after a login request"),
      mxc_asprintf("wire: %d get_session_data call(s) after a login request", restarts));
}

static int check_page(const mxc_expectation *e, const mxc_verdict_input *in,
                      mxc_check_result *out) {
  char *expected = mxc_asprintf("page %s", e->str_value);
  if (!in->report)
    return set_result(out, false, MXC_SIDE_CLIENT, expected, mxc_strdup(NO_REPORT));
  const char *page = str_of(in->report, "page");
  return set_result(out, page && strcmp(page, e->str_value) == 0, MXC_SIDE_CLIENT, expected,
                    mxc_asprintf("page %.200s", page && *page ? page : "(none)"));
}

static int check_page_matches_roles(const mxc_verdict_input *in, mxc_check_result *out) {
  const cJSON *last = NULL, *x;
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    if (is_action(x, "get_session_data") && int_of(x, "status", 0) == 200 &&
        cJSON_GetObjectItemCaseSensitive(x, "roles"))
      last = x;
  }
  if (!last)
    return set_result(out, false, MXC_SIDE_WIRE,
                      mxc_strdup("wire: session data served to the client"),
                      mxc_strdup("wire: no get_session_data was answered"));
  const char *want = NULL;
  const cJSON *role;
  mxc_buf roles;
  mxc_buf_init(&roles, 4096);
  cJSON_ArrayForEach(role, cJSON_GetObjectItemCaseSensitive(last, "roles")) {
    if (!cJSON_IsString(role))
      continue;
    mxc_buf_printf(&roles, "%s%s", roles.len ? "," : "", role->valuestring);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(in->navigation, role->valuestring);
    if (!want && cJSON_IsString(p))
      want = p->valuestring;
  }
  char *expected = mxc_asprintf("page %s (home page of roles [%s] last served)",
                                want ? want : "(none)", roles.data ? roles.data : "");
  mxc_buf_cleanup(&roles);
  if (!in->report)
    return set_result(out, false, MXC_SIDE_CLIENT, expected, mxc_strdup(NO_REPORT));
  const char *page = str_of(in->report, "page");
  bool ok = page && strcmp(page, want ? want : "") == 0;
  return set_result(out, ok, MXC_SIDE_CLIENT, expected,
                    mxc_asprintf("page %.200s", page && *page ? page : "(none)"));
}

static int check_login_requests(const mxc_expectation *e, const mxc_verdict_input *in,
                                mxc_check_result *out) {
  int n = count_action(in->transcript, "login");
  return set_result(out, n == e->int_value, MXC_SIDE_WIRE,
                    mxc_asprintf("wire: %d login request(s)", e->int_value),
                    mxc_asprintf("wire: %d login request(s)", n));
}

static int check_login_attempted(const mxc_verdict_input *in, mxc_check_result *out) {
  int n = count_action(in->transcript, "login");
  return set_result(out, n > 0, MXC_SIDE_WIRE, mxc_strdup("wire: at least one login request"),
                    mxc_asprintf("wire: %d login request(s)", n));
}

static int check_session_from_token(const mxc_verdict_input *in, mxc_check_result *out) {
  const cJSON *x;
  int gsd = 0;
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    if (!is_action(x, "get_session_data"))
      continue;
    gsd++;
    const char *how = str_of(x, "session_created");
    if (how && strcmp(how, "authtoken") == 0)
      return set_result(out, true, MXC_SIDE_WIRE,
                        mxc_strdup("wire: a session restored from the authtoken cookie"),
                        mxc_asprintf("wire: get_session_data #%d restored the user's session",
                                     int_of(x, "seq", -1)));
  }
  return set_result(out, false, MXC_SIDE_WIRE,
                    mxc_strdup("wire: a session restored from the authtoken cookie"),
                    mxc_asprintf("wire: none of %d get_session_data call(s) carried a valid "
                                 "authtoken without a live session",
                                 gsd));
}

static int check_csrf_after_restart(const mxc_verdict_input *in, mxc_check_result *out) {
  bool after = false;
  const cJSON *x;
  char *expected = mxc_strdup("wire: after the 200 login, no stale csrftoken");
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    if (after) {
      const char *csrf = str_of(x, "csrf");
      if (csrf && strcmp(csrf, "mismatch") == 0)
        return set_result(out, false, MXC_SIDE_WIRE, expected,
                          mxc_asprintf("wire: request #%d (%s) carried another session's "
                                       "csrftoken",
                                       int_of(x, "seq", -1), str_of(x, "action")));
    }
    if (is_action(x, "login") && int_of(x, "status", 0) == 200)
      after = true;
  }
  if (!after)
    return set_result(out, false, MXC_SIDE_WIRE, expected,
                      mxc_strdup("wire: no login was answered 200"));
  return set_result(out, true, MXC_SIDE_WIRE, expected,
                    mxc_strdup("wire: every later request had its session's token or none"));
}

/* NET-5: the client refused the bad channel before sending anything on it. */
static int check_no_data_over_failed_tls(const mxc_verdict_input *in, mxc_check_result *out) {
  char *expected = mxc_strdup("wire: a bad TLS channel, and no application data over it");
  int bad = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(in->transcript, "connections")) {
    const cJSON *tls = cJSON_GetObjectItemCaseSensitive(c, "tls");
    const char *hs = str_of(tls, "handshake");
    bool failed = (hs && strcmp(hs, "failed") == 0) || str_of(tls, "fault");
    if (!failed)
      continue;
    bad++;
    int leaked = int_of(c, "app_data_before_failure", 0);
    if (leaked > 0)
      return set_result(out, false, MXC_SIDE_WIRE, expected,
                        mxc_asprintf("wire: connection %d: %d bytes of application data over a "
                                     "channel the client should have refused",
                                     int_of(c, "id", -1), leaked));
  }
  if (bad == 0)
    return set_result(out, false, MXC_SIDE_WIRE, expected,
                      mxc_strdup("wire: no TLS channel failed (the fault never applied)"));
  return set_result(out, true, MXC_SIDE_WIRE, expected,
                    mxc_asprintf("wire: %d bad channel(s), no application data over them", bad));
}

static int check_credentials_in_body(const mxc_verdict_input *in, mxc_check_result *out) {
  const cJSON *x;
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    const cJSON *leaks = cJSON_GetObjectItemCaseSensitive(x, "credentials_outside_body");
    const cJSON *first = cJSON_GetArrayItem(leaks, 0);
    if (cJSON_IsString(first))
      return set_result(out, false, MXC_SIDE_WIRE,
                        mxc_strdup("wire: passwords only in request bodies"),
                        mxc_asprintf("wire: a password in the %s of request #%d",
                                     first->valuestring, int_of(x, "seq", -1)));
  }
  return set_result(out, true, MXC_SIDE_WIRE, mxc_strdup("wire: passwords only in request bodies"),
                    mxc_strdup("wire: no password outside a body"));
}

/* Every login request's field `key` (under session_in when nested) equals `want`. */
static int check_each_login(const mxc_verdict_input *in, mxc_check_result *out, bool csrf) {
  const char *what =
      csrf ? "X-Csrf-Token equal to the session's csrftoken" : "the live anonymous session cookie";
  char *expected = mxc_asprintf("wire: every login request carries %s", what);
  int n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, exchanges(in->transcript)) {
    if (!is_action(x, "login"))
      continue;
    n++;
    const char *state = csrf ? str_of(x, "csrf") : session_in_state(x);
    const char *want = csrf ? "match" : "anonymous";
    if (!state || strcmp(state, want) != 0)
      return set_result(out, false, MXC_SIDE_WIRE, expected,
                        mxc_asprintf("wire: login request #%d: %s %s", int_of(x, "seq", -1),
                                     csrf ? "csrf token" : "session cookie",
                                     state ? state : "absent"));
  }
  if (n == 0)
    return set_result(out, false, MXC_SIDE_WIRE, expected,
                      mxc_strdup("wire: no login request reached the mock"));
  return set_result(out, true, MXC_SIDE_WIRE, expected,
                    mxc_asprintf("wire: %d login request(s), all with it", n));
}

int mxc_verdict_check(const mxc_expectation *e, const mxc_verdict_input *in,
                      mxc_check_result *out) {
  memset(out, 0, sizeof *out);
  out->rule = e->rule;
  out->level = e->level;
  out->kind = e->kind;
  switch (e->kind) {
  case MXC_CHECK_STARTUP: return check_startup(in, out);
  case MXC_CHECK_STATUS: return check_status(e, in, out);
  case MXC_CHECK_MESSAGE: return check_message(e, in, out);
  case MXC_CHECK_MESSAGES_DIFFER: return check_messages_differ(e, in, out);
  case MXC_CHECK_TIMINGS_REPORTED: return check_timings_reported(in, out);
  case MXC_CHECK_SESSION_FROM_TOKEN: return check_session_from_token(in, out);
  case MXC_CHECK_CSRF_AFTER_RESTART: return check_csrf_after_restart(in, out);
  case MXC_CHECK_MESSAGE_CONTAINS: return check_message_contains(e, in, out);
  case MXC_CHECK_MESSAGE_HIDES_PASSWORD: return check_message_hides_password(e, in, out);
  case MXC_CHECK_RESTARTED: return check_restarted(e, in, out);
  case MXC_CHECK_PAGE: return check_page(e, in, out);
  case MXC_CHECK_PAGE_MATCHES_ROLES: return check_page_matches_roles(in, out);
  case MXC_CHECK_LOGIN_REQUESTS: return check_login_requests(e, in, out);
  case MXC_CHECK_LOGIN_ATTEMPTED: return check_login_attempted(in, out);
  case MXC_CHECK_NO_DATA_OVER_FAILED_TLS: return check_no_data_over_failed_tls(in, out);
  case MXC_CHECK_CREDENTIALS_IN_BODY: return check_credentials_in_body(in, out);
  case MXC_CHECK_SESSION_COOKIE_ON_LOGIN: return check_each_login(in, out, false);
  case MXC_CHECK_CSRF_ON_LOGIN: return check_each_login(in, out, true);
  case MXC_CHECK__COUNT: break;
  }
  return MXC_EINVAL;
}
