/* The mock runtime as a client sees it: real libcurl requests and raw sockets (PROTOCOL.md 1). */
#include "support.h"
#include "support_http.h"

#include "common/mxc_util.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- a blocking libcurl client ---- */

typedef mxc_test_reply reply;

/* A client handle. With `jar`, cookies persist across requests like in a real client. */
static CURL *client_new(bool jar) { return mxc_test_curl(5000L, jar, NULL); }

/* Sends `method` to mock path `path` with `body` (NULL: none). `cookie`: an explicit Cookie
 * header value (NULL: only what the jar has); `csrf`: X-Csrf-Token (NULL: none). */
static void http(CURL *h, const mxc_test_mock *m, const char *method, const char *path,
                 const char *cookie, const char *csrf, const char *body, reply *r) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", mxc_test_mock_url(m), path[0] == '/' ? path + 1 : path);
  mxc_test_http(h, &(mxc_test_request){method, url, body, cookie, csrf}, r);
}

/* POST /xas/ with body {"action": action, "params": params_json}. */
static void xas(CURL *h, const mxc_test_mock *m, const char *cookie, const char *csrf,
                const char *action, const char *params_json, reply *r) {
  char body[1024];
  snprintf(body, sizeof body, "{\"action\":\"%s\",\"params\":%s}", action,
           params_json ? params_json : "{}");
  http(h, m, "POST", "/xas/", cookie, csrf, body, r);
}

static void login(CURL *h, const mxc_test_mock *m, const char *cookie, const char *csrf,
                  const char *user, const char *password, reply *r) {
  char params[256];
  snprintf(params, sizeof params, "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
  xas(h, m, cookie, csrf, "login", params, r);
}

/* The Set-Cookie line (after "Set-Cookie: ") for cookie `name`; false when none was set. */
static bool set_cookie(const reply *r, const char *name, char *out, size_t outlen) {
  size_t nlen = strlen(name);
  for (const char *line = r->head.data; line && *line;) {
    const char *eol = strstr(line, "\r\n");
    size_t llen = eol ? (size_t)(eol - line) : strlen(line);
    if (llen > 12 && strncasecmp(line, "Set-Cookie: ", 12) == 0 &&
        strncmp(line + 12, name, nlen) == 0 && line[12 + nlen] == '=') {
      snprintf(out, outlen, "%.*s", (int)(llen - 12), line + 12);
      return true;
    }
    line = eol ? eol + 2 : line + llen;
  }
  return false;
}

/* The value of cookie `name` as set by the response ("" when set empty). Aborts if not set. */
static void cookie_value(const reply *r, const char *name, char *out, size_t outlen) {
  char line[512];
  cr_assert(set_cookie(r, name, line, sizeof line), "no Set-Cookie for %s in:\n%s", name,
            r->head.data);
  const char *v = line + strlen(name) + 1;
  const char *end = strchr(v, ';');
  snprintf(out, outlen, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
}

static bool is_uuid(const char *s) {
  if (strlen(s) != 36)
    return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
      return false;
  }
  return true;
}

/* The roles of a session-data body as "A,B". */
static void roles_of(const cJSON *sd, char *out, size_t outlen) {
  out[0] = '\0';
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(sd, "roles")) {
    size_t l = strlen(out);
    snprintf(out + l, outlen - l, "%s%s", l ? "," : "", cJSON_IsString(it) ? it->valuestring : "?");
  }
}

static int is_anonymous(const cJSON *sd) {
  const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(sd, "user"), "attributes");
  const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(attrs, "IsAnonymous"), "value");
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static void assert_empty_object(const reply *r) {
  cr_assert(cJSON_IsObject(r->json) && r->json->child == NULL, "expected body {}, got '%s'",
            r->body.data);
}

/* ---- the mock and its transcript ---- */

static mxc_mock_config config(void) {
  mxc_mock_config cfg = {0};
  cfg.runtime.accounts = mxc_test_accounts(&cfg.runtime.naccounts);
  return cfg;
}

static const cJSON *connection_of(const cJSON *tr, double id) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(tr, "connections")) {
    if (cJSON_GetNumberValue(cJSON_GetObjectItem(c, "id")) == id)
      return c;
  }
  cr_assert_fail("no connection %g in the transcript", id);
  return NULL;
}

/* An anonymous start-up: fills the session cookie header ("XASSESSIONID=..; XASID=..") and
 * the csrftoken. */
static void startup(CURL *h, const mxc_test_mock *m, char *cookie, size_t cookielen, char *csrf,
                    size_t csrflen) {
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", curl_easy_strerror(r.rc));
  cr_assert_eq(r.status, 200);
  char sid[64], xasid[64];
  cookie_value(&r, "XASSESSIONID", sid, sizeof sid);
  cookie_value(&r, "XASID", xasid, sizeof xasid);
  snprintf(cookie, cookielen, "XASSESSIONID=%s; XASID=%s", sid, xasid);
  const char *tok = mxc_test_jstr(r.json, "csrftoken");
  cr_assert_not_null(tok);
  snprintf(csrf, csrflen, "%s", tok);
  mxc_test_reply_cleanup(&r);
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ---- start-up and sign-in ---- */

Test(mock, startup_gives_anonymous_session, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", curl_easy_strerror(r.rc));
  cr_assert_eq(r.status, 200);
  cr_assert(cJSON_IsObject(r.json), "body is not JSON: %s", r.body.data);
  const char *tok = mxc_test_jstr(r.json, "csrftoken");
  cr_assert(tok && tok[0], "no csrftoken");
  cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(r.json, "keepalive")), "no keepalive");
  cr_assert_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(r.json, "keepalive")), 0);
  cr_assert_eq(is_anonymous(r.json), 1);
  char roles[128];
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "Anonymous");

  char line[512], v[128];
  cr_assert(set_cookie(&r, "XASSESSIONID", line, sizeof line));
  cookie_value(&r, "XASSESSIONID", v, sizeof v);
  cr_assert(is_uuid(v), "XASSESSIONID is not a uuid: %s", v);
  cr_assert_not_null(strstr(line, "; Path=/"), "%s", line);
  cr_assert_not_null(strstr(line, "; HttpOnly"), "%s", line);
  cr_assert_not_null(strstr(line, "; SameSite=Strict"), "%s", line);
  cookie_value(&r, "XASID", v, sizeof v);
  cr_assert(strncmp(v, "0.", 2) == 0 && is_uuid(v + 2), "XASID is not 0.<uuid>: %s", v);
  cr_assert(mxc_test_header_get(&r, "Content-Type", v, sizeof v));
  cr_assert_str_eq(v, "application/json;charset=utf-8");

  /* a second start-up gets a different session and token */
  reply r2;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r2);
  char v2[128];
  cookie_value(&r, "XASSESSIONID", v, sizeof v);
  cookie_value(&r2, "XASSESSIONID", v2, sizeof v2);
  cr_assert_str_neq(v, v2);
  cr_assert_str_neq(mxc_test_jstr(r.json, "csrftoken"), mxc_test_jstr(r2.json, "csrftoken"));
  mxc_test_reply_cleanup(&r);
  mxc_test_reply_cleanup(&r2);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "get_session_data", 0);
  mxc_test_assert_jstr(x, "session_created", "anonymous");
  mxc_test_assert_jstr(x, "method", "POST");
  mxc_test_assert_jstr(x, "target", "/xas/");
  cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "status")), 200);
  cJSON_Delete(tr);
}

Test(mock, login_success_rotates_into_user_session, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(true); /* a real client: the jar carries the cookies */
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  char anon[128], csrf[128];
  cookie_value(&r, "XASSESSIONID", anon, sizeof anon);
  snprintf(csrf, sizeof csrf, "%s", mxc_test_jstr(r.json, "csrftoken"));
  mxc_test_reply_cleanup(&r);

  login(h, m, NULL, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", curl_easy_strerror(r.rc));
  cr_assert_eq(r.status, 200, "login: %ld %s", r.status, r.body.data);
  assert_empty_object(&r);
  char v[256], user[128];
  cr_assert(mxc_test_header_get(&r, "Content-Type", v, sizeof v));
  cr_assert_str_eq(v, "application/json;charset=utf-8");
  cr_assert(mxc_test_header_get(&r, "Cache-Control", v, sizeof v));
  cr_assert_str_eq(v, "no-store");
  cookie_value(&r, "XASSESSIONID", user, sizeof user);
  cr_assert(is_uuid(user), "%s", user);
  cr_assert_str_neq(user, anon, "login kept the anonymous session id (session fixation)");
  cr_assert(set_cookie(&r, "XASID", v, sizeof v));
  cr_assert(!set_cookie(&r, "useAuthToken", v, sizeof v), "useAuthToken set though not asked");
  mxc_test_reply_cleanup(&r);

  /* the restart: get_session_data with the jar's (new) cookie */
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(!set_cookie(&r, "XASSESSIONID", v, sizeof v), "a live session got a new cookie");
  char roles[128];
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "User");
  cr_assert_eq(is_anonymous(r.json), 0);
  const cJSON *name = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "user"), "attributes"),
                          "Name"),
      "value");
  cr_assert(cJSON_IsString(name) && strcmp(name->valuestring, "alice") == 0);
  cr_assert_str_neq(mxc_test_jstr(r.json, "csrftoken"), csrf,
                    "the user session reuses the csrftoken");
  mxc_test_reply_cleanup(&r);

  /* an Administrator gets its role */
  CURL *h2 = client_new(true);
  login(h2, m, NULL, NULL, "root", "toor", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  xas(h2, m, NULL, NULL, "get_session_data", NULL, &r);
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "Administrator");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h2);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  mxc_test_assert_jstr(x, "outcome", "ok");
  mxc_test_assert_jstr(x, "session_destroyed", anon);
  mxc_test_assert_jstr(x, "session_out", user);
  mxc_test_assert_jstr(cJSON_GetObjectItem(x, "session_in"), "id", anon);
  mxc_test_assert_jstr(cJSON_GetObjectItem(x, "session_in"), "state", "anonymous");
  x = mxc_test_exchange_of(tr, "get_session_data", 1);
  mxc_test_assert_jstr(cJSON_GetObjectItem(x, "session_in"), "state", "user");
  mxc_test_assert_jstr(x, "session_user", "alice");
  cJSON_Delete(tr);
}

Test(mock, anonymous_cookie_dead_after_login, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char anon_cookie[256], csrf[128];
  startup(h, m, anon_cookie, sizeof anon_cookie, csrf, sizeof csrf);
  reply r;
  xas(h, m, anon_cookie, csrf, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 200, "the anonymous session is live before login");
  mxc_test_reply_cleanup(&r);
  login(h, m, anon_cookie, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);

  xas(h, m, anon_cookie, NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 401, "the anonymous session survived the login");
  mxc_test_reply_cleanup(&r);
  xas(h, m, anon_cookie, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  char fresh[128];
  cookie_value(&r, "XASSESSIONID", fresh, sizeof fresh);
  cr_assert_null(strstr(anon_cookie, fresh), "the old anonymous session came back");
  cr_assert_eq(is_anonymous(r.json), 1);
  char roles[128];
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "Anonymous");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "get_session_data", 1);
  mxc_test_assert_jstr(cJSON_GetObjectItem(x, "session_in"), "state", "unknown");
  mxc_test_assert_jstr(x, "session_created", "anonymous");
  cJSON_Delete(tr);
}

Test(mock, login_failures_are_401_and_never_record_password, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char cookie[256], csrf[128];
  startup(h, m, cookie, sizeof cookie, csrf, sizeof csrf);
  static const struct {
    const char *user, *password, *outcome;
  } cases[] = {
      {"alice", "Wr0ngPassw0rd", "wrong_password"},
      {"mallory", "M4lloryPass", "unknown_user"},
      {"bob", "hunter2", "inactive"},
      {"alice", "", "empty_credentials"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply r;
    login(h, m, cookie, csrf, cases[i].user, cases[i].password, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 401, "%s: got %ld", cases[i].outcome, r.status);
    assert_empty_object(&r);
    char v[128];
    cr_assert(mxc_test_header_get(&r, "Content-Type", v, sizeof v));
    cr_assert_str_eq(v, "application/json;charset=utf-8");
    cr_assert(mxc_test_header_get(&r, "Cache-Control", v, sizeof v));
    cr_assert_str_eq(v, "no-store");
    cr_assert(!set_cookie(&r, "XASSESSIONID", v, sizeof v), "a failed login set a session");
    mxc_test_reply_cleanup(&r);
  }
  /* the session is untouched by the failures, and the right password still works */
  reply r;
  xas(h, m, cookie, csrf, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const cJSON *x = mxc_test_exchange_of(tr, "login", (int)i);
    mxc_test_assert_jstr(x, "outcome", cases[i].outcome);
    mxc_test_assert_jstr(cJSON_GetObjectItem(x, "params"), "username", cases[i].user);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "status")), 401);
  }
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 4), "outcome", "ok");
  char *text = cJSON_Print(tr);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (cases[i].password[0])
      cr_assert_null(strstr(text, cases[i].password), "password '%s' is in the transcript",
                     cases[i].password);
  cr_assert_null(strstr(text, "s3cret"), "the right password is in the transcript");
  free(text);
  cJSON_Delete(tr);
}

Test(mock, three_failures_block_until_the_block_ends, .timeout = 20) {
  mxc_mock_config cfg = config();
  cfg.runtime.block_ms = 300;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char cookie[256], csrf[128];
  startup(h, m, cookie, sizeof cookie, csrf, sizeof csrf);
  reply r;
  for (int i = 0; i < 3; i++) {
    login(h, m, cookie, csrf, "alice", "nope", &r);
    cr_assert_eq(r.status, 401);
    mxc_test_reply_cleanup(&r);
  }
  login(h, m, cookie, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 401, "a blocked account signed in");
  assert_empty_object(&r);
  mxc_test_reply_cleanup(&r);
  /* another account is not affected */
  CURL *h2 = client_new(true);
  login(h2, m, NULL, NULL, "root", "toor", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h2);

  sleep_ms(450); /* the block (300 ms) ends */
  login(h, m, cookie, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200, "the block did not end: %ld", r.status);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 0), "outcome", "wrong_password");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 1), "outcome", "wrong_password");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 2), "outcome",
                       "wrong_password_now_blocked");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 3), "outcome", "blocked");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 5), "outcome", "ok");
  cJSON_Delete(tr);
}

Test(mock, success_resets_the_failure_count, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  const char *seq[] = {"x", "x", "s3cret", "x", "x", "s3cret"};
  for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
    reply r;
    login(h, m, NULL, NULL, "alice", seq[i], &r);
    cr_assert_eq(r.status, strcmp(seq[i], "s3cret") == 0 ? 200 : 401, "attempt %zu: %ld", i,
                 r.status);
    mxc_test_reply_cleanup(&r);
  }
  curl_easy_cleanup(h);
  cJSON_Delete(mxc_test_mock_stop(m));
}

/* ---- the other actions and request errors ---- */

Test(mock, logout_destroys_the_session, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  reply r;
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  char sid[128], cookie[256];
  cookie_value(&r, "XASSESSIONID", sid, sizeof sid);
  snprintf(cookie, sizeof cookie, "XASSESSIONID=%s", sid);
  mxc_test_reply_cleanup(&r);
  xas(h, m, cookie, NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);

  xas(h, m, cookie, NULL, "logout", NULL, &r);
  cr_assert_eq(r.status, 200);
  assert_empty_object(&r);
  char line[256];
  cr_assert(set_cookie(&r, "XASSESSIONID", line, sizeof line));
  cr_assert_not_null(strstr(line, "Max-Age=0"), "logout does not expire the cookie: %s", line);
  mxc_test_reply_cleanup(&r);
  xas(h, m, cookie, NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 401, "the session survived logout");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);
  cJSON_Delete(mxc_test_mock_stop(m));
}

Test(mock, keepalive_and_info, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char cookie[256], csrf[128];
  startup(h, m, cookie, sizeof cookie, csrf, sizeof csrf);
  reply r;
  xas(h, m, cookie, csrf, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 200);
  assert_empty_object(&r);
  mxc_test_reply_cleanup(&r);
  xas(h, m, NULL, NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 401, "keepalive without a session");
  mxc_test_reply_cleanup(&r);
  xas(h, m, "XASSESSIONID=00000000-0000-4000-8000-000000000000", NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 401, "keepalive with an unknown session");
  mxc_test_reply_cleanup(&r);
  xas(h, m, NULL, NULL, "info", NULL, &r);
  cr_assert_eq(r.status, 200);
  assert_empty_object(&r);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);
  cJSON_Delete(mxc_test_mock_stop(m));
}

Test(mock, bad_requests_get_4xx, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  reply r;
  xas(h, m, NULL, NULL, "frobnicate", NULL, &r);
  cr_assert_eq(r.status, 400);
  cr_assert(cJSON_IsObject(r.json), "unknown action: body is not JSON: %s", r.body.data);
  cr_assert_not_null(strstr(r.body.data, "frobnicate"), "body does not name the action: %s",
                     r.body.data);
  mxc_test_reply_cleanup(&r);

  static const char *methods[] = {"GET", "PUT", "DELETE"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    http(h, m, methods[i], "/xas/", NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 405, "%s /xas/: %ld", methods[i], r.status);
    char allow[64];
    cr_assert(mxc_test_header_get(&r, "Allow", allow, sizeof allow));
    cr_assert_str_eq(allow, "POST");
    mxc_test_reply_cleanup(&r);
  }
  http(h, m, "HEAD", "/xas/", NULL, NULL, NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "HEAD: %s", curl_easy_strerror(r.rc));
  cr_assert_eq(r.status, 405);
  mxc_test_reply_cleanup(&r);

  http(h, m, "POST", "/nope", NULL, NULL, "{\"action\":\"info\"}", &r);
  cr_assert_eq(r.status, 404);
  mxc_test_reply_cleanup(&r);
  http(h, m, "GET", "/", NULL, NULL, NULL, &r);
  cr_assert_eq(r.status, 404);
  mxc_test_reply_cleanup(&r);
  http(h, m, "POST", "/xas/?x=1", NULL, NULL, "{\"action\":\"info\"}", &r);
  cr_assert_eq(r.status, 200, "a query string on /xas/ is still /xas/");
  mxc_test_reply_cleanup(&r);

  static const char *bodies[] = {"this is not json", "{\"action\":", "[1,2]", "{\"params\":{}}",
                                 "{\"action\":42}"};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    http(h, m, "POST", "/xas/", NULL, NULL, bodies[i], &r);
    cr_assert_eq(r.status, 400, "body '%s': %ld", bodies[i], r.status);
    cr_assert(cJSON_IsObject(r.json), "400 body is not JSON: %s", r.body.data);
    mxc_test_reply_cleanup(&r);
  }
  login(h, m, NULL, NULL, "alice", "s3cret", &r); /* the mock still works */
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  xas(h, m, NULL, NULL, "login", "{\"username\":\"alice\"}", &r);
  cr_assert_eq(r.status, 400, "login without a password");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);
  cJSON_Delete(mxc_test_mock_stop(m));
}

/* ---- CSRF ---- */

Test(mock, csrf_is_recorded_on_login, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char cookie[256], csrf[128];
  startup(h, m, cookie, sizeof cookie, csrf, sizeof csrf);
  reply r;
  login(h, m, cookie, csrf, "nobody", "x", &r);
  cr_assert_eq(r.status, 401);
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, "not-the-token", "nobody", "x", &r);
  cr_assert_eq(r.status, 401, "a wrong token is only recorded by default");
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, NULL, "nobody", "x", &r);
  cr_assert_eq(r.status, 401, "an absent token is only recorded by default");
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200, "an absent token is only recorded by default");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 0), "csrf", "match");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 1), "csrf", "mismatch");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 2), "csrf", "absent");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 3), "csrf", "absent");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "get_session_data", 0), "csrftoken_out", csrf);
  cJSON_Delete(tr);
}

Test(mock, csrf_enforced_when_configured, .timeout = 20) {
  mxc_mock_config cfg = config();
  cfg.runtime.csrf_enforce = true;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  char cookie[256], csrf[128];
  startup(h, m, cookie, sizeof cookie, csrf, sizeof csrf);
  reply r;
  login(h, m, cookie, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 403, "login without the token: %ld", r.status);
  cr_assert(cJSON_IsObject(r.json));
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, "not-the-token", "alice", "s3cret", &r);
  cr_assert_eq(r.status, 403, "login with a wrong token: %ld", r.status);
  mxc_test_reply_cleanup(&r);
  login(h, m, cookie, csrf, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200, "login with the token: %ld", r.status);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 0), "csrf", "absent");
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 0), "outcome"),
                 "a 403 login reached the credential check");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 1), "csrf", "mismatch");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "login", 2), "outcome", "ok");
  cJSON_Delete(tr);
}

/* ---- auth tokens and session expiry ---- */

Test(mock, auth_token_signs_in_after_the_session_expired, .timeout = 20) {
  mxc_mock_config cfg = config();
  cfg.control.enabled = true; /* for /_mxconform/expire: the "long pause" on the loop thread */
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(true);
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  char csrf[128];
  snprintf(csrf, sizeof csrf, "%s", mxc_test_jstr(r.json, "csrftoken"));
  mxc_test_reply_cleanup(&r);
  xas(h, m, NULL, csrf, "login",
      "{\"username\":\"alice\",\"password\":\"s3cret\",\"useAuthToken\":true}", &r);
  cr_assert_eq(r.status, 200);
  char line[512];
  cr_assert(set_cookie(&r, "useAuthToken", line, sizeof line), "no useAuthToken cookie");
  cr_assert(strncmp(line, "useAuthToken=true;", 18) == 0, "%s", line);
  cr_assert_not_null(strstr(line, "HttpOnly"), "%s", line);
  mxc_test_reply_cleanup(&r);

  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(set_cookie(&r, "authtoken", line, sizeof line), "no authtoken cookie:\n%s",
            r.head.data);
  cr_assert_not_null(strstr(line, "Max-Age=31536000"), "%s", line);
  cr_assert_not_null(strstr(line, "HttpOnly"), "%s", line);
  char token[128];
  cookie_value(&r, "authtoken", token, sizeof token);
  cr_assert(token[0], "empty authtoken");
  char cleared[128];
  cookie_value(&r, "useAuthToken", cleared, sizeof cleared);
  cr_assert_str_eq(cleared, "", "useAuthToken was not cleared");
  mxc_test_reply_cleanup(&r);

  /* only the first get_session_data issues the token */
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert(!set_cookie(&r, "authtoken", line, sizeof line), "a second token was issued");
  mxc_test_reply_cleanup(&r);

  CURL *relaunched = client_new(false);
  http(relaunched, m, "POST", "/_mxconform/expire", NULL, NULL, "", &r);
  cr_assert_eq(r.status, 200, "expire: %ld %s", r.status, r.body.data);
  mxc_test_reply_cleanup(&r);
  xas(h, m, NULL, NULL, "keepalive", NULL, &r);
  cr_assert_eq(r.status, 401, "the session outlived the expiry");
  mxc_test_reply_cleanup(&r);
  char cookie[256];
  snprintf(cookie, sizeof cookie, "authtoken=%s", token);
  xas(relaunched, m, cookie, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  char roles[64];
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "User", "the token did not sign alice in: %s", r.body.data);
  cr_assert_eq(is_anonymous(r.json), 0);
  char sid[128];
  cookie_value(&r, "XASSESSIONID", sid, sizeof sid);
  cr_assert(is_uuid(sid));
  mxc_test_reply_cleanup(&r);

  /* the first client's session cookie is dead too; its jar's token signs alice in again */
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  roles_of(r.json, roles, sizeof roles);
  cr_assert_str_eq(roles, "User", "the jar's token did not sign alice in: %s", r.body.data);
  cr_assert(set_cookie(&r, "XASSESSIONID", line, sizeof line), "no new session cookie");
  mxc_test_reply_cleanup(&r);
  /* a wrong token gives an anonymous session */
  xas(relaunched, m, "authtoken=forged", NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(is_anonymous(r.json), 1);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(relaunched);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "get_session_data", 1),
                                                "authtoken_issued")),
               1);
  const cJSON *x = mxc_test_exchange_of(tr, "get_session_data", 3);
  mxc_test_assert_jstr(x, "session_created", "authtoken");
  mxc_test_assert_jstr(x, "session_user", "alice");
  mxc_test_assert_jstr(
      cJSON_GetObjectItem(mxc_test_exchange_of(tr, "get_session_data", 4), "session_in"), "state",
      "unknown");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "get_session_data", 4), "session_created",
                       "authtoken");
  mxc_test_assert_jstr(mxc_test_exchange_of(tr, "get_session_data", 5), "session_created",
                       "anonymous_bad_token");
  cJSON_Delete(tr);
}

Test(mock, auth_token_request_forms, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  static const struct {
    const char *extra;
    bool token;
  } cases[] = {
      {",\"shouldgeneratetoken\":true", true},
      {",\"useAuthToken\":\"default\"", true},
      {",\"useAuthToken\":false", false},
      {"", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CURL *h = client_new(false);
    char params[256];
    snprintf(params, sizeof params, "{\"username\":\"alice\",\"password\":\"s3cret\"%s}",
             cases[i].extra);
    reply r;
    xas(h, m, NULL, NULL, "login", params, &r);
    cr_assert_eq(r.status, 200);
    char line[256];
    cr_assert_eq(set_cookie(&r, "useAuthToken", line, sizeof line), cases[i].token, "params %s",
                 params);
    mxc_test_reply_cleanup(&r);
    curl_easy_cleanup(h);
  }
  cJSON_Delete(mxc_test_mock_stop(m));
}

/* ---- HTTP over raw sockets ---- */

/* The status of the first response in raw bytes, 0 when there is none. */
static int raw_status(const char *resp) {
  int status = 0;
  if (!resp || sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
    return 0;
  return status;
}

static int count_of(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* Raw exchange that expects the server to close: fails when the connection stayed open. */
static char *raw_closed(int port, const char *req, size_t len) {
  uint64_t t0 = mxc_now_ms();
  char *resp = mxc_test_raw(port, req, len, 0, 4000, NULL);
  cr_assert_not_null(resp, "connect failed");
  cr_assert_lt(mxc_now_ms() - t0, 3000,
               "the server did not close the connection after:\n%.300s\n"
               "It answered:\n%s",
               req, resp);
  return resp;
}

static const char info_req[] =
    "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Content-Length: 17\r\nConnection: close\r\n\r\n{\"action\":\"info\"}";

Test(mock, malformed_http_is_400_and_the_server_goes_on, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  int port = mxc_test_mock_port(m);
  static const char *garbage[] = {
      "GARBAGE\r\n\r\n",
      "\x16\x03\x01\x02\x31\x01\xfc\x03\x03 not http",
      "POST /xas/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      "POST /xas/ HTTP/1.1\r\nNo colon here\r\n\r\n",
      "POST /xas/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      "POST /xas/ HTTP/9.9\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    char *resp = raw_closed(port, garbage[i], strlen(garbage[i]));
    cr_assert_eq(raw_status(resp), 400, "request %zu: got '%s'", i, resp);
    cr_assert_not_null(strstr(resp, "Connection: close"), "%s", resp);
    free(resp);
  }
  char *resp = raw_closed(port, info_req, sizeof info_req - 1);
  cr_assert_eq(raw_status(resp), 200, "a clean request after garbage: '%s'", resp);
  free(resp);
  CURL *h = client_new(false);
  reply r;
  xas(h, m, NULL, NULL, "info", NULL, &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = cJSON_GetArrayItem(mxc_test_exchanges(tr), 0);
  cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "status")), 400);
  cr_assert_not_null(mxc_test_jstr(x, "error"));
  cJSON_Delete(tr);
}

Test(mock, oversized_requests_are_rejected, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  int port = mxc_test_mock_port(m);
  /* one header over 16 KiB */
  mxc_buf b;
  mxc_buf_init(&b, 4u << 20);
  mxc_buf_printf(&b, "POST /xas/ HTTP/1.1\r\nHost: x\r\nX-Big: ");
  for (int i = 0; i < 17 * 1024; i++)
    mxc_buf_append(&b, "a", 1);
  mxc_buf_printf(&b, "\r\nContent-Length: 2\r\n\r\n{}");
  char *resp = raw_closed(port, b.data, b.len);
  cr_assert_eq(raw_status(resp), 431, "16 KiB header: '%.200s'", resp);
  free(resp);
  /* many small headers adding up past 16 KiB */
  mxc_buf_reset(&b);
  mxc_buf_printf(&b, "POST /xas/ HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 90; i++)
    mxc_buf_printf(&b, "X-H%d: %0200d\r\n", i, 0);
  mxc_buf_printf(&b, "Content-Length: 2\r\n\r\n{}");
  resp = raw_closed(port, b.data, b.len);
  cr_assert_eq(raw_status(resp), 431, "header section over 16 KiB: '%.200s'", resp);
  free(resp);
  /* too many headers */
  mxc_buf_reset(&b);
  mxc_buf_printf(&b, "POST /xas/ HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 150; i++)
    mxc_buf_printf(&b, "X-H%d: v\r\n", i);
  mxc_buf_printf(&b, "Content-Length: 2\r\n\r\n{}");
  resp = raw_closed(port, b.data, b.len);
  cr_assert_eq(raw_status(resp), 431, "150 headers: '%.200s'", resp);
  free(resp);
  /* Content-Length over 1 MiB: rejected before the body is read */
  static const char big_cl[] =
      "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n{\"action\":";
  resp = raw_closed(port, big_cl, sizeof big_cl - 1);
  cr_assert_eq(raw_status(resp), 413, "Content-Length 1 MiB + 1: '%.200s'", resp);
  free(resp);
  /* a chunked body over 1 MiB */
  mxc_buf_reset(&b);
  mxc_buf_printf(&b, "POST /xas/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  mxc_buf_printf(&b, "%x\r\n", (unsigned)(1100u * 1024u));
  for (int i = 0; i < 1100; i++) {
    char kb[1024];
    memset(kb, ' ', sizeof kb);
    mxc_buf_append(&b, kb, sizeof kb);
  }
  mxc_buf_printf(&b, "\r\n0\r\n\r\n");
  resp = raw_closed(port, b.data, b.len);
  cr_assert_eq(raw_status(resp), 413, "chunked 1.1 MiB: '%.200s'", resp);
  free(resp);
  mxc_buf_cleanup(&b);

  /* the server still answers */
  resp = raw_closed(port, info_req, sizeof info_req - 1);
  cr_assert_eq(raw_status(resp), 200);
  free(resp);
  cJSON_Delete(mxc_test_mock_stop(m));
}

Test(mock, keep_alive_serves_two_requests_on_one_connection, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(true);
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  char conn_hdr[64];
  cr_assert(!mxc_test_header_get(&r, "Connection", conn_hdr, sizeof conn_hdr) ||
                strcasecmp(conn_hdr, "close") != 0,
            "HTTP/1.1 response closes the connection");
  mxc_test_reply_cleanup(&r);
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  long new_conns = -1;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_conns);
  cr_assert_eq(new_conns, 0, "curl had to open a new connection for the second request");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 1);
  cr_assert_eq(
      cJSON_GetNumberValue(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 0), "conn")),
      cJSON_GetNumberValue(
          cJSON_GetObjectItem(mxc_test_exchange_of(tr, "get_session_data", 0), "conn")));
  cJSON_Delete(tr);
}

Test(mock, pipelined_requests_are_answered_in_order, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  int port = mxc_test_mock_port(m);
  static const char two[] =
      "POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
      "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"action\":\"info\"}"
      "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\nConnection: close\r\n\r\n"
      "{\"action\":\"third-one\"}  ";
  char *resp = raw_closed(port, two, sizeof two - 1);
  cr_assert_eq(count_of(resp, "HTTP/1.1 "), 3, "expected three responses:\n%s", resp);
  const char *a = strstr(resp, "HTTP/1.1 404");
  const char *b = strstr(resp, "HTTP/1.1 200");
  const char *c = strstr(resp, "HTTP/1.1 400");
  cr_assert(a && b && c && a < b && b < c, "responses out of order:\n%s", resp);
  cr_assert_not_null(strstr(c, "third-one"));
  free(resp);

  /* a HEAD response has no body, so the next pipelined response is not corrupted */
  static const char head[] = "HEAD /xas/ HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n"
                             "Connection: close\r\n\r\n{\"action\":\"info\"}";
  resp = raw_closed(port, head, sizeof head - 1);
  cr_assert_eq(raw_status(resp), 405, "%s", resp);
  const char *end = strstr(resp, "\r\n\r\n");
  cr_assert_not_null(end);
  cr_assert(strncmp(end + 4, "HTTP/1.1 200", 12) == 0, "HEAD response carried a body:\n%s", resp);
  free(resp);
  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 5);
  cJSON_Delete(tr);
}

Test(mock, http10_and_half_closed_requests_are_answered, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  int port = mxc_test_mock_port(m);
  static const char v10[] =
      "POST /xas/ HTTP/1.0\r\nContent-Length: 17\r\n\r\n{\"action\":\"info\"}";
  char *resp = raw_closed(port, v10, sizeof v10 - 1);
  cr_assert_eq(raw_status(resp), 200, "%s", resp);
  cr_assert_not_null(strstr(resp, "Connection: close"), "%s", resp);
  cr_assert_not_null(strstr(resp, "\r\n\r\n{}"), "%s", resp);
  free(resp);
  /* HTTP/1.0 with keep-alive asked stays open for a second request */
  static const char v10ka[] =
      "POST /xas/ HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 17\r\n\r\n"
      "{\"action\":\"info\"}"
      "POST /xas/ HTTP/1.0\r\nContent-Length: 17\r\n\r\n{\"action\":\"info\"}";
  resp = raw_closed(port, v10ka, sizeof v10ka - 1);
  cr_assert_eq(count_of(resp, "HTTP/1.1 200"), 2, "%s", resp);
  cr_assert_not_null(strstr(resp, "Connection: keep-alive"), "%s", resp);
  free(resp);
  /* a client that half-closes after its request still gets the answer */
  static const char half[] =
      "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"action\":\"info\"}";
  resp = mxc_test_raw(port, half, sizeof half - 1, 1, 3000, NULL);
  cr_assert_eq(raw_status(resp), 200, "half-closed request: '%s'", resp ? resp : "(null)");
  free(resp);
  /* Expect: 100-continue */
  static const char cont[] = "POST /xas/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             "Content-Length: 17\r\nConnection: close\r\n\r\n{\"action\":\"info\"}";
  resp = raw_closed(port, cont, sizeof cont - 1);
  cr_assert_eq(raw_status(resp), 100, "%s", resp);
  cr_assert_not_null(strstr(resp, "HTTP/1.1 200"), "%s", resp);
  free(resp);
  cJSON *tr = mxc_test_mock_stop(m);
  mxc_test_assert_jstr(cJSON_GetArrayItem(mxc_test_exchanges(tr), 0), "http", "1.0");
  cJSON_Delete(tr);
}

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

Test(mock, a_stalled_peer_does_not_stall_others, .timeout = 20) {
  mxc_mock_config cfg = config();
  cfg.idle_ms = 300;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  int port = mxc_test_mock_port(m);
  int stalled = raw_connect(port);
  static const char part[] = "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
  cr_assert_eq(send(stalled, part, sizeof part - 1, MSG_NOSIGNAL), (ssize_t)(sizeof part - 1));
  int silent = raw_connect(port);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(stalled, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  CURL *h = client_new(false);
  reply r;
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);
  /* the idle timeout (300 ms) closes both */
  char c;
  uint64_t t0 = mxc_now_ms();
  cr_assert_eq(recv(silent, &c, 1, 0), 0, "the idle connection was not closed cleanly");
  cr_assert_eq(recv(stalled, &c, 1, 0), 0, "the stalled connection was not closed cleanly");
  cr_assert_lt(mxc_now_ms() - t0, 3000);
  close(stalled);
  close(silent);
  cJSON *tr = mxc_test_mock_stop(m);
  int idle = 0;
  const cJSON *conn;
  cJSON_ArrayForEach(conn, cJSON_GetObjectItem(tr, "connections")) {
    const char *how = mxc_test_jstr(conn, "end");
    idle += how && strcmp(how, "idle_timeout") == 0;
  }
  cr_assert_eq(idle, 2, "expected two idle_timeout connections");
  cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 1, "the partial request was answered");
  cJSON_Delete(tr);
}

Test(mock, credentials_outside_the_body_are_flagged_and_redacted, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  static const char body[] =
      "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret\"}}";
  char req[512];
  snprintf(req, sizeof req,
           "POST /xas/?user=alice&pass=s3cret HTTP/1.1\r\nHost: x\r\nX-Password: s3cret\r\n"
           "Authorization: Basic s3cret\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
           sizeof body - 1, body);
  char *resp = mxc_test_raw(mxc_test_mock_port(m), req, strlen(req), 0, 3000, NULL);
  cr_assert_eq(raw_status(resp), 200, "%s", resp ? resp : "(null)");
  free(resp);
  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  char *where = cJSON_PrintUnformatted(cJSON_GetObjectItem(x, "credentials_outside_body"));
  cr_assert_str_eq(where, "[\"url\",\"header:X-Password\",\"header:Authorization\"]");
  free(where);
  char *text = cJSON_Print(tr);
  cr_assert_null(strstr(text, "s3cret"), "the password is in the transcript:\n%s", text);
  free(text);
  cJSON_Delete(tr);
}

/* A password anywhere in params never reaches the transcript: a second "password" key (the
 * runtime reads the first), typed into the user name, in an escaped string (slow parse). */
Test(mock, passwords_anywhere_in_params_are_masked, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  static const char *const bodies[] = {
      "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":true,"
      "\"password\":\"s3cret\"}}",
      "{\"action\":\"login\",\"params\":{\"username\":\"s3cret\",\"password\":\"x\"}}",
      "{\"action\":\"login\",\"params\":{\"username\":\"al\\u0069ce\",\"password\":\"wrong\","
      "\"note\":\"my s3cret\"}}",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    char req[512];
    snprintf(req, sizeof req,
             "POST /xas/ HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(bodies[i]), bodies[i]);
    char *resp = mxc_test_raw(mxc_test_mock_port(m), req, strlen(req), 0, 3000, NULL);
    cr_assert_not_null(resp);
    free(resp);
  }
  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 3);
  char *text = cJSON_Print(tr);
  cr_expect_null(strstr(text, "s3cret"), "the password is in the transcript:\n%s", text);
  /* what is not a password stays readable */
  const cJSON *params = cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 2), "params");
  cr_expect_str_eq(mxc_test_jstr(params, "username"), "alice", "%s", text);
  cr_expect_str_eq(mxc_test_jstr(params, "password"), "[redacted]", "%s", text);
  free(text);
  cJSON_Delete(tr);
}

/* ---- faults ---- */

/* The first fault recorded on an exchange. */
static const cJSON *first_fault(const cJSON *x) {
  return cJSON_GetArrayItem(cJSON_GetObjectItem(x, "faults"), 0);
}

static mxc_fault fault(mxc_fault_kind kind, const char *match) {
  mxc_fault f = {.kind = kind, .after = 1};
  snprintf(f.match, sizeof f.match, "%s", match);
  return f;
}

Test(mock, fault_status_answers_without_the_runtime, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_fault f = fault(MXC_FAULT_STATUS, "login");
  f.code = 503;
  f.times = 1;
  f.body = "<html>Down for maintenance</html>";
  f.content_type = "text/html";
  cfg.faults = &f;
  cfg.nfaults = 1;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(true);
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200, "the fault hit an action it does not match");
  mxc_test_reply_cleanup(&r);
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.rc, CURLE_OK);
  cr_assert_eq(r.status, 503);
  cr_assert_str_eq(r.body.data, "<html>Down for maintenance</html>");
  char ct[64];
  cr_assert(mxc_test_header_get(&r, "Content-Type", ct, sizeof ct));
  cr_assert_str_eq(ct, "text/html");
  cr_assert(!set_cookie(&r, "XASSESSIONID", ct, sizeof ct));
  mxc_test_reply_cleanup(&r);
  login(h, m, NULL, NULL, "alice", "s3cret", &r); /* times: 1 */
  cr_assert_eq(r.status, 200, "the fault outlived its `times`");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  mxc_test_assert_jstr(first_fault(x), "kind", "status");
  cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(first_fault(x), "code")), 503);
  cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(x, "status")), 503);
  cr_assert_null(cJSON_GetObjectItem(x, "outcome"), "the faulted login reached the runtime");
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 1), "faults"));
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "get_session_data", 0), "faults"));
  char *text = cJSON_Print(tr);
  cr_assert_null(strstr(text, "s3cret"));
  free(text);
  cJSON_Delete(tr);
}

Test(mock, fault_reset_gives_no_response, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_fault f = fault(MXC_FAULT_RESET, "login");
  cfg.faults = &f;
  cfg.nfaults = 1;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  reply r;
  xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_neq(r.rc, CURLE_OK, "a reset login succeeded");
  cr_assert_eq(r.status, 0, "a reset login has an HTTP status: %ld", r.status);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  mxc_test_assert_jstr(first_fault(x), "kind", "reset");
  cr_assert_null(cJSON_GetObjectItem(x, "status"));
  mxc_test_assert_jstr(connection_of(tr, cJSON_GetNumberValue(cJSON_GetObjectItem(x, "conn"))),
                       "end", "fault_reset");
  cJSON_Delete(tr);
}

Test(mock, fault_close_gives_nothing, .timeout = 20) {
  mxc_mock_config cfg = config();
  mxc_fault f = fault(MXC_FAULT_CLOSE, "*");
  f.times = 1;
  cfg.faults = &f;
  cfg.nfaults = 1;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  CURL *h = client_new(false);
  reply r;
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.rc, CURLE_GOT_NOTHING, "got %s", curl_easy_strerror(r.rc));
  cr_assert_eq(r.status, 0);
  mxc_test_reply_cleanup(&r);
  login(h, m, NULL, NULL, "alice", "s3cret", &r);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  mxc_test_assert_jstr(first_fault(x), "kind", "close");
  mxc_test_assert_jstr(connection_of(tr, cJSON_GetNumberValue(cJSON_GetObjectItem(x, "conn"))),
                       "end", "fault_close");
  cJSON_Delete(tr);
}

/* Repeated: a client that reconnects the moment it has the response must be refused, never
 * accepted and then reset (the listener has to close before the response goes out). */
Test(mock, fault_refused_after_one_response, .timeout = 20) {
  for (int round = 0; round < 10; round++) {
    mxc_mock_config cfg = config();
    mxc_fault f = fault(MXC_FAULT_REFUSED, "*");
    cfg.faults = &f;
    cfg.nfaults = 1;
    mxc_test_mock *m = mxc_test_mock_start(&cfg);
    CURL *h = client_new(true);
    reply r;
    xas(h, m, NULL, NULL, "get_session_data", NULL, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 200, "the start-up is served before the refusal");
    mxc_test_reply_cleanup(&r);
    login(h, m, NULL, NULL, "alice", "s3cret", &r);
    cr_assert_eq(r.rc, CURLE_COULDNT_CONNECT, "round %d: got %s", round, curl_easy_strerror(r.rc));
    cr_assert_eq(r.status, 0);
    mxc_test_reply_cleanup(&r);
    char *resp = mxc_test_raw(mxc_test_mock_port(m), "x", 1, 0, 500, NULL);
    cr_assert_null(resp, "a raw connect was accepted after the refusal");
    curl_easy_cleanup(h);

    cJSON *tr = mxc_test_mock_stop(m);
    cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 1);
    cJSON_Delete(tr);
  }
}
