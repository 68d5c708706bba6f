/* The verdict engine: declarative expectations of a scenario, evaluated against the client's
 * report and the mock's transcript. One table of check kinds. */
#ifndef MXC_VERDICT_H
#define MXC_VERDICT_H

#include "harness/rules.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { MXC_SIDE_CLIENT, MXC_SIDE_WIRE, MXC_SIDE_BOTH } mxc_side;
typedef enum { MXC_VALUE_NONE, MXC_VALUE_INT, MXC_VALUE_BOOL, MXC_VALUE_STRING } mxc_value_type;

/* XX(enum suffix, name, side, takes attempt, value key or NULL, value type, what it checks) */
#define MXC_CHECKS(XX)                                                                             \
  XX(STARTUP, "startup", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,                               \
     "the first /xas/ call is get_session_data without a session cookie, answered with an "        \
     "anonymous session")                                                                          \
  XX(STATUS, "status", MXC_SIDE_CLIENT, true, "equals", MXC_VALUE_INT,                             \
     "the status SignIn returned for the attempt")                                                 \
  XX(MESSAGE, "message", MXC_SIDE_CLIENT, true, "empty", MXC_VALUE_BOOL,                           \
     "whether the attempt's validation message is empty")                                          \
  XX(MESSAGE_CONTAINS, "message_contains", MXC_SIDE_CLIENT, true, "text", MXC_VALUE_STRING,        \
     "the attempt's validation message contains the text")                                         \
  XX(MESSAGES_DIFFER, "messages_differ", MXC_SIDE_CLIENT, true, "other", MXC_VALUE_INT,            \
     "the attempt's message differs from attempt `other`'s (both non-empty)")                      \
  XX(TIMINGS_REPORTED, "timings_reported", MXC_SIDE_CLIENT, false, NULL, MXC_VALUE_NONE,           \
     "the report carries step timings (\"timings\": {name: ms})")                                  \
  XX(MESSAGE_HIDES_PASSWORD, "message_hides_password", MXC_SIDE_CLIENT, true, NULL,                \
     MXC_VALUE_NONE, "the attempt's validation message does not contain its password")             \
  XX(RESTARTED, "restarted", MXC_SIDE_BOTH, false, "equals", MXC_VALUE_BOOL,                       \
     "the client reports a restart, and the wire shows (or does not show) get_session_data "       \
     "carrying the session cookie a login response set")                                           \
  XX(PAGE, "page", MXC_SIDE_CLIENT, false, "equals", MXC_VALUE_STRING,                             \
     "the page on screen when the client finished")                                                \
  XX(PAGE_MATCHES_ROLES, "page_matches_roles", MXC_SIDE_BOTH, false, NULL, MXC_VALUE_NONE,         \
     "the page on screen is the navigation's home page for the roles of the last session data "    \
     "the mock served")                                                                            \
  XX(LOGIN_REQUESTS, "login_requests", MXC_SIDE_WIRE, false, "equals", MXC_VALUE_INT,              \
     "how many login requests reached the mock")                                                   \
  XX(LOGIN_ATTEMPTED, "login_attempted", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,               \
     "at least one login request reached the mock (the client really tried)")                      \
  XX(SESSION_FROM_TOKEN, "session_from_token", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,         \
     "a get_session_data without a live session got the user's session from the authtoken "        \
     "cookie")                                                                                     \
  XX(CSRF_AFTER_RESTART, "csrf_after_restart", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,         \
     "after the 200 login no request carries a csrftoken other than its session's")                \
  XX(NO_DATA_OVER_FAILED_TLS, "no_data_over_failed_tls", MXC_SIDE_WIRE, false, NULL,               \
     MXC_VALUE_NONE,                                                                               \
     "no application data (credentials) arrived over a TLS channel that failed or served a bad "   \
     "certificate, and at least one such channel was refused")                                     \
  XX(CREDENTIALS_IN_BODY, "credentials_in_body", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,       \
     "no password appeared in a request target or header")                                         \
  XX(SESSION_COOKIE_ON_LOGIN, "session_cookie_on_login", MXC_SIDE_WIRE, false, NULL,               \
     MXC_VALUE_NONE, "every login request carried the live anonymous session cookie")              \
  XX(CSRF_ON_LOGIN, "csrf_on_login", MXC_SIDE_WIRE, false, NULL, MXC_VALUE_NONE,                   \
     "every login request carried the session's csrftoken in X-Csrf-Token")

typedef enum {
#define XX(e, name, side, att, key, type, doc) MXC_CHECK_##e,
  MXC_CHECKS(XX)
#undef XX
      MXC_CHECK__COUNT
} mxc_check_kind;

typedef struct mxc_check_def {
  mxc_check_kind kind;
  const char *name;
  mxc_side side;
  bool takes_attempt;
  const char *value_key;
  mxc_value_type value_type;
  const char *doc;
} mxc_check_def;

const mxc_check_def *mxc_check_find(const char *name);
const mxc_check_def *mxc_check_def_of(mxc_check_kind kind);
const char *mxc_side_name(mxc_side side);

/* One expectation of a scenario file. */
typedef struct mxc_expectation {
  const mxc_rule *rule;
  mxc_level level; /* the rule's level, or a weaker one the scenario gives */
  mxc_check_kind kind;
  int attempt;
  int int_value;
  bool bool_value;
  char *str_value;
} mxc_expectation;

/* What evaluating one expectation found. Owned strings. */
typedef struct mxc_check_result {
  const mxc_rule *rule;
  mxc_level level; /* of the expectation: decides whether a failure fails the scenario */
  mxc_check_kind kind;
  bool passed;
  mxc_side side; /* the side whose evidence decided a failure (or the check's side) */
  char *expected;
  char *seen;
} mxc_check_result;

/* The scenario facts a verdict needs besides the two reports. */
typedef struct mxc_verdict_input {
  const cJSON *report;          /* the client's result object, or NULL when the client erred */
  const cJSON *transcript;      /* the mock's transcript */
  const cJSON *navigation;      /* role -> page of the case */
  const char *const *passwords; /* the password typed in each attempt */
  size_t nattempts;
} mxc_verdict_input;

/* Evaluates one expectation. Returns 0 or MXC_ENOMEM. */
int mxc_verdict_check(const mxc_expectation *e, const mxc_verdict_input *in, mxc_check_result *out);
void mxc_check_result_cleanup(mxc_check_result *r);

/* Checks that a client's last stdout line has the shape of PROTOCOL.md section 3. Returns NULL
 * when it does, or a static description of the first problem. */
const char *mxc_report_shape_error(const cJSON *report);

#endif
