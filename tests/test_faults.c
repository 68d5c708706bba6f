/* The fault engine as a client sees it: every kind against a real libcurl client (the exact
 * CURLcode, status, bytes and timing), the selectors, the reference client end to end
 * (PROTOCOL.md 1, "What status 0 means") and the control API's faults endpoint. Parsing fault
 * specs and objects: tests/test_fault_specs.c. */
#include "support.h"
#include "support_http.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The client gives up after this long: blackhole and stall_after_headers end with it. */
#define CLIENT_TIMEOUT_MS 1500L
/* How much longer than a fixed delay a loopback exchange may take. */
#define DELAY_SLACK_MS 50.0

/* ---- a blocking libcurl client (tests/support_http.h) ---- */

typedef mxc_test_reply reply;

static CURL *client_new(void) {
  return mxc_test_curl(CLIENT_TIMEOUT_MS, true, NULL); /* a cookie jar, as a real client keeps */
}

/* `method` to `url` (absolute) with `body` (NULL: none). */
static void http_url(CURL *h, const char *method, const char *url, const char *body, reply *r) {
  mxc_test_http(h, &(mxc_test_request){method, url, body, NULL, NULL}, r);
}

static void http(CURL *h, const mxc_test_mock *m, const char *method, const char *path,
                 const char *body, reply *r) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", mxc_test_mock_url(m), path[0] == '/' ? path + 1 : path);
  http_url(h, method, url, body, r);
}

/* POST /xas/ {"action": action}. */
static void xas(CURL *h, const mxc_test_mock *m, const char *action, reply *r) {
  char body[128];
  snprintf(body, sizeof body, "{\"action\":\"%s\",\"params\":{}}", action);
  http(h, m, "POST", "/xas/", body, r);
}

#define LOGIN_BODY                                                                                 \
  "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret\"}}"

static void login(CURL *h, const mxc_test_mock *m, reply *r) {
  http(h, m, "POST", "/xas/", LOGIN_BODY, r);
}

static void assert_header(const reply *r, const char *name, const char *want) {
  char got[512];
  cr_assert(mxc_test_header_get(r, name, got, sizeof got), "no %s header in:\n%s", name,
            r->head.data);
  cr_assert_str_eq(got, want, "%s: expected '%s', got '%s'", name, want, got);
}

static void assert_rc(const reply *r, CURLcode want, const char *what) {
  cr_assert_eq(r->rc, want, "%s: expected CURLcode %d (%s), got %d (%s)", what, (int)want,
               curl_easy_strerror(want), (int)r->rc, curl_easy_strerror(r->rc));
}

/* ---- the mock and its transcript ---- */

/* A mock with the faults of the NULL-terminated `specs`. */
static mxc_test_mock *mock_with(const char *const *specs, uint64_t seed, bool control) {
  mxc_fault faults[8];
  size_t n = 0;
  char err[256];
  for (; specs && specs[n]; n++) {
    cr_assert_lt(n, sizeof faults / sizeof faults[0]);
    int rc = mxc_fault_from_spec(specs[n], &faults[n], err, sizeof err);
    cr_assert_eq(rc, 0, "spec '%s': %s", specs[n], err);
  }
  mxc_mock_config cfg = {0};
  cfg.runtime.accounts = mxc_test_accounts(&cfg.runtime.naccounts);
  cfg.faults = faults;
  cfg.nfaults = n;
  cfg.seed = seed;
  cfg.control.enabled = control;
  mxc_test_mock *m = mxc_test_mock_start(&cfg);
  for (size_t i = 0; i < n; i++)
    mxc_fault_cleanup(&faults[i]);
  return m;
}

static mxc_test_mock *mock_with_one(const char *spec) {
  const char *specs[] = {spec, NULL};
  return mock_with(specs, 1, false);
}

static double jnum(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  cr_assert(cJSON_IsNumber(v), "no number '%s'", key);
  return v->valuedouble;
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

/* The connection an exchange came on. */
static const cJSON *connection_of_exchange(const cJSON *tr, const cJSON *x) {
  return connection_of(tr, jnum(x, "conn"));
}

/* The fault recorded on exchange x, which must be exactly one, of kind `kind`. */
static const cJSON *assert_faulted(const cJSON *x, const char *kind) {
  const cJSON *fs = cJSON_GetObjectItem(x, "faults");
  cr_assert(cJSON_IsArray(fs) && cJSON_GetArraySize(fs) == 1,
            "expected one fault '%s' recorded on the exchange", kind);
  const cJSON *f = cJSON_GetArrayItem(fs, 0);
  mxc_test_assert_jstr(f, "kind", kind);
  return f;
}

/* ---- every kind, one login each ---- */

/* A mock with `spec`; a start-up (get_session_data, not faulted) and then one login on the same
 * handle, whose outcome is *r. Returns the transcript. */
static cJSON *login_with(const char *spec, reply *r) {
  mxc_test_mock *m = mock_with_one(spec);
  CURL *h = client_new();
  reply s;
  xas(h, m, "get_session_data", &s);
  assert_rc(&s, CURLE_OK, "start-up");
  cr_assert_eq(s.status, 200, "the fault hit the start-up");
  mxc_test_reply_cleanup(&s);
  login(h, m, r);
  curl_easy_cleanup(h);
  return mxc_test_mock_stop(m);
}

/* The end of the login's connection. */
static const char *login_end(const cJSON *tr) {
  return mxc_test_jstr(connection_of_exchange(tr, mxc_test_exchange_of(tr, "login", 0)), "end");
}

/* A connection the server held open until the client gave up (or the mock stopped). */
static void assert_held_open(const cJSON *tr) {
  const char *end = login_end(tr);
  cr_assert(end && (strcmp(end, "client_closed") == 0 || strcmp(end, "server_stopped") == 0),
            "the server ended a held connection itself: %s", end ? end : "(open)");
}

Test(faults, refused_is_couldnt_connect, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:refused", &r);
  assert_rc(&r, CURLE_COULDNT_CONNECT, "refused");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  /* the login never reached the mock */
  cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 1);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 1);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, unresolvable_is_couldnt_resolve_host, .timeout = 20) {
  /* a harness-stage kind: the mock does not act on it; the client is given a base URL whose
   * host cannot resolve (harness/runner.c) */
  mxc_fault f;
  char err[256];
  cr_assert_eq(mxc_fault_from_spec("login:unresolvable", &f, err, sizeof err), 0, "%s", err);
  cr_assert_eq(mxc_fault_stage_of(f.kind), MXC_STAGE_HARNESS);
  mxc_fault_cleanup(&f);
  mxc_test_mock *m = mock_with_one("login:unresolvable");
  CURL *h = client_new();
  char url[128];
  snprintf(url, sizeof url, "http://mxc-unreachable.invalid:%d/xas/", mxc_test_mock_port(m));
  reply r;
  http_url(h, "POST", url, LOGIN_BODY, &r);
  assert_rc(&r, CURLE_COULDNT_RESOLVE_HOST, "unresolvable");
  cr_assert_eq(r.status, 0);
  mxc_test_reply_cleanup(&r);
  reply ok; /* and the mock itself answers logins normally */
  login(h, m, &ok);
  assert_rc(&ok, CURLE_OK, "login to the real address");
  cr_assert_eq(ok.status, 200);
  mxc_test_reply_cleanup(&ok);
  curl_easy_cleanup(h);
  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(mxc_test_exchanges(tr)), 1);
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 0), "faults"));
  cJSON_Delete(tr);
}

Test(faults, reset_is_recv_error, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:reset", &r);
  assert_rc(&r, CURLE_RECV_ERROR, "reset");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  assert_faulted(x, "reset");
  cr_assert_null(cJSON_GetObjectItem(x, "status"), "a reset has no status");
  cr_assert_str_eq(login_end(tr), "fault_reset");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, close_is_got_nothing, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:close", &r);
  assert_rc(&r, CURLE_GOT_NOTHING, "close");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "close");
  cr_assert_str_eq(login_end(tr), "fault_close");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, blackhole_times_out, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:blackhole", &r);
  assert_rc(&r, CURLE_OPERATION_TIMEDOUT, "blackhole");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  cr_assert_geq(r.elapsed_ms, (double)CLIENT_TIMEOUT_MS - 1);
  cr_assert_lt(r.elapsed_ms, (double)CLIENT_TIMEOUT_MS + 1000);
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "blackhole");
  assert_held_open(tr);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* curl 7.88 refuses a reply that does not start like HTTP (HTTP/0.9 is off by default). */
Test(faults, garbage_is_unsupported_protocol, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:garbage:bytes=100", &r);
  assert_rc(&r, CURLE_UNSUPPORTED_PROTOCOL, "garbage");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  cr_assert_eq(jnum(assert_faulted(x, "garbage"), "bytes"), 100);
  const cJSON *c = connection_of_exchange(tr, x);
  cr_assert_eq(jnum(c, "bytes_out"),
               100 + jnum(mxc_test_exchange_of(tr, "get_session_data", 0), "response_bytes"));
  cr_assert_str_eq(login_end(tr), "fault_garbage");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, bad_status_line_is_unsupported_protocol, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:bad_status_line", &r);
  assert_rc(&r, CURLE_UNSUPPORTED_PROTOCOL, "bad_status_line");
  cr_assert_eq(r.status, 0);
  cr_assert_eq(r.size, 0);
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "bad_status_line");
  cr_assert_str_eq(login_end(tr), "fault_bad_status_line");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* The REPLACE kinds that answer with a status: what the client sees, byte for byte. */
typedef struct preset_case {
  const char *spec;
  long status;
  const char *content_type;
  const char *body;
  const char *header, *value; /* one more header to check, or NULL */
  const char *header2, *value2;
} preset_case;

static const preset_case presets[] = {
    {"login:status:code=418,body=short and stout,content_type=text/plain,header=X-Teapot: yes", 418,
     "text/plain", "short and stout", "X-Teapot", "yes", NULL, NULL},
    {"login:status:code=503", 503, "application/json;charset=utf-8", "{}", NULL, NULL, NULL, NULL},
    {"login:forbidden", 403, "application/json;charset=utf-8",
     "{\"error\":\"CSRF token missing or wrong\"}", NULL, NULL, NULL, NULL},
    {"login:rate_limited", 429, "application/json;charset=utf-8", "{}", "Retry-After", "5", NULL,
     NULL},
    {"login:server_error", 500, "text/html;charset=utf-8",
     "<html><body><h1>500 Internal Server Error</h1></body></html>", NULL, NULL, NULL, NULL},
    {"login:bad_gateway", 502, "text/html",
     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
     "Gateway</h1></center><hr><center>nginx</center></body></html>",
     NULL, NULL, NULL, NULL},
    {"login:maintenance", 503, "text/plain;charset=utf-8",
     "This app is currently unavailable due to maintenance. Please try again later.",
     "X-Mendix-Cloud-Mode", "maintenance", "Retry-After", "60"},
    {"login:error_560", 560, "application/json;charset=utf-8",
     "{\"description\":\"The server is temporarily unable to handle your request.\"}", NULL, NULL,
     NULL, NULL},
    {"login:redirect", 302, "text/html;charset=utf-8", "<a href=\"/login.html\">Found</a>",
     "Location", "/login.html", NULL, NULL},
    {"login:bad_json", 200, "application/json;charset=utf-8",
     "{\"csrftoken\": <html><body>Error</body></html>", NULL, NULL, NULL, NULL},
    {"login:wrong_content_type", 200, "text/html;charset=utf-8", "{}", NULL, NULL, NULL, NULL},
    /* parameters override the preset's, a header of the same name included */
    {"login:rate_limited:header=Retry-After: 120,code=503", 503, "application/json;charset=utf-8",
     "{}", "Retry-After", "120", NULL, NULL},
    {"login:maintenance:header=x-mendix-cloud-mode: sleeping,body=zzz", 503,
     "text/plain;charset=utf-8", "zzz", "X-Mendix-Cloud-Mode", "sleeping", "Retry-After", "60"},
};

Test(faults, status_kinds_and_presets_answer_exactly, .timeout = 30) {
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    const preset_case *pc = &presets[i];
    reply r;
    cJSON *tr = login_with(pc->spec, &r);
    cr_assert_eq(r.rc, CURLE_OK, "%s: %s", pc->spec, curl_easy_strerror(r.rc));
    cr_assert_eq(r.status, pc->status, "%s: status %ld", pc->spec, r.status);
    assert_header(&r, "Content-Type", pc->content_type);
    cr_assert_str_eq(r.body.data, pc->body, "%s: body", pc->spec);
    cr_assert_eq(r.size, (curl_off_t)strlen(pc->body), "%s: bytes received", pc->spec);
    if (pc->header)
      assert_header(&r, pc->header, pc->value);
    if (pc->header2)
      assert_header(&r, pc->header2, pc->value2);
    char cookie[256];
    cr_assert(!mxc_test_header_get(&r, "Set-Cookie", cookie, sizeof cookie),
              "%s: a replaced answer set a cookie", pc->spec);
    if (pc->header)
      cr_assert_eq(mxc_test_header_count(&r, pc->header), 1, "%s: %s more than once", pc->spec,
                   pc->header);
    if (strstr(pc->spec, "bad_json"))
      cr_assert_null(r.json, "bad_json parsed as JSON");
    if (strstr(pc->spec, "error_560"))
      cr_assert(cJSON_IsString(cJSON_GetObjectItem(r.json, "description")));
    const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
    const char *kind = pc->spec + strlen("login:");
    char kname[32];
    snprintf(kname, sizeof kname, "%.*s", (int)strcspn(kind, ":"), kind);
    assert_faulted(x, kname);
    cr_assert_eq(jnum(x, "status"), pc->status, "%s: transcript status", pc->spec);
    cr_assert_null(cJSON_GetObjectItem(x, "outcome"), "%s: the runtime saw the login", pc->spec);
    const char *end = login_end(tr);
    cr_assert(end == NULL || strcmp(end, "client_closed") == 0 ||
                  strcmp(end, "server_stopped") == 0,
              "%s: a status answer closed the connection (%s)", pc->spec, end);
    mxc_test_reply_cleanup(&r);
    cJSON_Delete(tr);
  }
}

Test(faults, delay_fixed_waits_exactly, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:delay:ms=300", &r);
  assert_rc(&r, CURLE_OK, "delay");
  cr_assert_eq(r.status, 200);
  cr_assert_geq(r.elapsed_ms, 300.0, "answered after %.1f ms", r.elapsed_ms);
  cr_assert_lt(r.elapsed_ms, 300.0 + DELAY_SLACK_MS, "answered after %.1f ms", r.elapsed_ms);
  const cJSON *f = assert_faulted(mxc_test_exchange_of(tr, "login", 0), "delay");
  cr_assert_eq(jnum(f, "delay_ms"), 300);
  cr_assert_eq(jnum(f, "ms"), 300);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* A delay on the start-up does not hold the login behind it, and a zero delay is no delay. */
Test(faults, delay_zero_and_other_actions, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:delay:ms=0", &r);
  assert_rc(&r, CURLE_OK, "delay 0");
  cr_assert_lt(r.elapsed_ms, DELAY_SLACK_MS);
  cr_assert_eq(jnum(assert_faulted(mxc_test_exchange_of(tr, "login", 0), "delay"), "delay_ms"), 0);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* Random delays: each draw is recorded, lies in its range, and is what the client waited;
 * the same seed draws the same delays. */
static void random_delays(const char *spec, uint64_t seed, double *drawn, int n) {
  const char *specs[] = {spec, NULL};
  mxc_test_mock *m = mock_with(specs, seed, false);
  CURL *h = client_new();
  double waited[8];
  for (int i = 0; i < n; i++) {
    reply r;
    login(h, m, &r);
    assert_rc(&r, CURLE_OK, spec);
    waited[i] = r.elapsed_ms;
    mxc_test_reply_cleanup(&r);
  }
  curl_easy_cleanup(h);
  cJSON *tr = mxc_test_mock_stop(m);
  for (int i = 0; i < n; i++) {
    drawn[i] = jnum(assert_faulted(mxc_test_exchange_of(tr, "login", i), "delay"), "delay_ms");
    cr_assert_geq(waited[i], drawn[i], "%s: waited %.1f ms of a %.0f ms delay", spec, waited[i],
                  drawn[i]);
    cr_assert_lt(waited[i], drawn[i] + DELAY_SLACK_MS, "%s: waited %.1f ms of a %.0f ms delay",
                 spec, waited[i], drawn[i]);
  }
  cJSON_Delete(tr);
}

Test(faults, delay_uniform_and_lognormal_are_drawn_and_seeded, .timeout = 30) {
  double a[4], b[4];
  random_delays("login:delay:min_ms=20,max_ms=120", 11, a, 4);
  random_delays("login:delay:min_ms=20,max_ms=120", 11, b, 4);
  bool all_same = true;
  for (int i = 0; i < 4; i++) {
    cr_assert(a[i] >= 20 && a[i] <= 120, "uniform draw %.0f outside 20..120", a[i]);
    cr_assert_eq(a[i], b[i], "the same seed drew %.0f and %.0f", a[i], b[i]);
    all_same &= a[i] == a[0];
  }
  cr_assert(!all_same, "four uniform draws were all %.0f", a[0]);
  random_delays("login:delay:median_ms=40,sigma=0.5", 5, a, 4);
  random_delays("login:delay:median_ms=40,sigma=0.5", 5, b, 4);
  for (int i = 0; i < 4; i++) {
    cr_assert(a[i] > 0 && a[i] < 40 * exp(0.5 * 6), "lognormal draw %.0f", a[i]);
    cr_assert_eq(a[i], b[i]);
  }
}

/* Paced answers arrive whole, no sooner than their pacing allows. */
Test(faults, dribble_paces_the_answer, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:dribble:bytes=16,interval_ms=10", &r);
  assert_rc(&r, CURLE_OK, "dribble");
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.body.data, "{}");
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  assert_faulted(x, "dribble");
  double len = jnum(x, "response_bytes");
  double writes = ceil(len / 16);
  cr_assert_geq(r.elapsed_ms, (writes - 1) * 10, "%g bytes in %g writes took %.1f ms", len, writes,
                r.elapsed_ms);
  cr_assert_lt(r.elapsed_ms, (writes - 1) * 10 * 4 + 500);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, bandwidth_limits_the_rate, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:bandwidth:rate=2000", &r);
  assert_rc(&r, CURLE_OK, "bandwidth");
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.body.data, "{}");
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  cr_assert_eq(jnum(assert_faulted(x, "bandwidth"), "rate"), 2000);
  double len = jnum(x, "response_bytes");
  double expect_ms = len * 1000 / 2000;
  cr_assert_geq(r.elapsed_ms, expect_ms - 10, "%g bytes at 2000 B/s took %.1f ms", len,
                r.elapsed_ms);
  cr_assert_lt(r.elapsed_ms, expect_ms * 4 + 500);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, stall_after_headers_times_out_with_the_status, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:stall_after_headers", &r);
  assert_rc(&r, CURLE_OPERATION_TIMEDOUT, "stall_after_headers");
  cr_assert_eq(r.status, 200, "the headers arrived");
  cr_assert_eq(r.size, 0);
  assert_header(&r, "Content-Length", "2");
  cr_assert_geq(r.elapsed_ms, (double)CLIENT_TIMEOUT_MS - 1);
  cr_assert_lt(r.elapsed_ms, (double)CLIENT_TIMEOUT_MS + 1000);
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "stall_after_headers");
  assert_held_open(tr);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, close_after_headers_is_partial_file, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:close_after_headers", &r);
  assert_rc(&r, CURLE_PARTIAL_FILE, "close_after_headers");
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.size, 0);
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "close_after_headers");
  cr_assert_str_eq(login_end(tr), "fault_close_after_headers");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* A fixed answer (a status fault) whose headers have a known length, cut by close_after_bytes
 * inside the status line, inside the headers and inside the body. */
#define FIXED_ANSWER "login:status:code=200,body=0123456789abcdef,content_type=text/plain"
#define FIXED_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\n"

static cJSON *cut_login(int bytes, reply *r) {
  char cut[64];
  snprintf(cut, sizeof cut, "login:close_after_bytes:bytes=%d", bytes);
  const char *specs[] = {FIXED_ANSWER, cut, NULL};
  mxc_test_mock *m = mock_with(specs, 1, false);
  CURL *h = client_new();
  login(h, m, r);
  curl_easy_cleanup(h);
  return mxc_test_mock_stop(m);
}

Test(faults, close_after_bytes_cuts_where_it_says, .timeout = 20) {
  int head = (int)strlen(FIXED_HEAD);
  /* in the body: the headers and 6 body bytes arrive */
  reply r;
  cJSON *tr = cut_login(head + 6, &r);
  assert_rc(&r, CURLE_PARTIAL_FILE, "close_after_bytes in the body");
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.size, 6);
  cr_assert_str_eq(r.body.data, "012345");
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  const cJSON *fs = cJSON_GetObjectItem(x, "faults");
  cr_assert_eq(cJSON_GetArraySize(fs), 2, "both faults are recorded");
  mxc_test_assert_jstr(cJSON_GetArrayItem(fs, 0), "kind", "status");
  mxc_test_assert_jstr(cJSON_GetArrayItem(fs, 1), "kind", "close_after_bytes");
  cr_assert_eq(jnum(connection_of_exchange(tr, x), "bytes_out"), head + 6);
  cr_assert_str_eq(login_end(tr), "fault_close_after_bytes");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);

  /* the whole header section and no body: as close_after_headers */
  tr = cut_login(head, &r);
  assert_rc(&r, CURLE_PARTIAL_FILE, "close_after_bytes at the end of the headers");
  cr_assert_eq(r.size, 0);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);

  /* inside the headers, after the status line: curl 7.88 takes the close as the end of a
   * response with no body and reports success with the status. A client must check that the
   * header section ended to see that no HTTP response arrived (PROTOCOL.md 1: status 0). */
  /* Once it has seen the Content-Length, it reports the missing body instead. */
  int cuts[] = {(int)strlen("HTTP/1.1 200 OK\r\n"), (int)strlen("HTTP/1.1 200 OK\r\nCont"),
                head - 10, head - 1};
  CURLcode want[] = {CURLE_OK, CURLE_OK, CURLE_OK, CURLE_PARTIAL_FILE};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "close_after_bytes at %d, inside the headers", cuts[i]);
    tr = cut_login(cuts[i], &r);
    assert_rc(&r, want[i], what);
    cr_assert_eq(r.status, 200, "cut at %d", cuts[i]);
    cr_assert_eq(r.size, 0, "cut at %d", cuts[i]);
    mxc_test_reply_cleanup(&r);
    cJSON_Delete(tr);
  }
  /* inside the status line, its CRLF not yet sent */
  tr = cut_login((int)strlen("HTTP/1.1 200 OK"), &r);
  assert_rc(&r, CURLE_GOT_NOTHING, "close_after_bytes before the status line's end");
  cr_assert_eq(r.status, 0);
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);

  /* inside the status line (the default, 10 bytes: "HTTP/1.1 2") */
  reply d;
  cJSON *td = login_with("login:close_after_bytes", &d);
  assert_rc(&d, CURLE_GOT_NOTHING, "close_after_bytes default");
  cr_assert_eq(d.status, 0);
  cr_assert_eq(d.size, 0);
  const cJSON *dx = mxc_test_exchange_of(td, "login", 0);
  cr_assert_eq(jnum(assert_faulted(dx, "close_after_bytes"), "bytes"), 10);
  const cJSON *sd = mxc_test_exchange_of(td, "get_session_data", 0);
  cr_assert_eq(jnum(connection_of_exchange(td, dx), "bytes_out"), jnum(sd, "response_bytes") + 10);
  mxc_test_reply_cleanup(&d);
  cJSON_Delete(td);

  /* a cut past the end of the answer changes nothing but the close */
  tr = cut_login(head + 100, &r);
  assert_rc(&r, CURLE_OK, "close_after_bytes past the end");
  cr_assert_str_eq(r.body.data, "0123456789abcdef");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, truncate_is_partial_file, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:truncate", &r);
  assert_rc(&r, CURLE_PARTIAL_FILE, "truncate");
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.size, 1, "'{}' one byte short");
  cr_assert_str_eq(r.body.data, "{");
  assert_header(&r, "Content-Length", "2");
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "truncate");
  cr_assert_str_eq(login_end(tr), "fault_truncate");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);

  const char *specs[] = {FIXED_ANSWER, "login:truncate:missing=10", NULL};
  mxc_test_mock *m = mock_with(specs, 1, false);
  CURL *h = client_new();
  login(h, m, &r);
  curl_easy_cleanup(h);
  tr = mxc_test_mock_stop(m);
  assert_rc(&r, CURLE_PARTIAL_FILE, "truncate missing=10");
  cr_assert_eq(r.size, 6);
  cr_assert_str_eq(r.body.data, "012345");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

Test(faults, chunked_unterminated_is_partial_file, .timeout = 20) {
  reply r;
  cJSON *tr = login_with("login:chunked_unterminated", &r);
  assert_rc(&r, CURLE_PARTIAL_FILE, "chunked_unterminated");
  cr_assert_eq(r.status, 200);
  assert_header(&r, "Transfer-Encoding", "chunked");
  char cl[32];
  cr_assert(!mxc_test_header_get(&r, "Content-Length", cl, sizeof cl),
            "chunked with a Content-Length");
  cr_assert_eq(r.size, 2, "the one chunk arrives");
  cr_assert_str_eq(r.body.data, "{}");
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "chunked_unterminated");
  cr_assert_str_eq(login_end(tr), "fault_chunked_unterminated");
  mxc_test_reply_cleanup(&r);
  cJSON_Delete(tr);
}

/* Waits until the peer closes the connection behind curl's last socket; returns how long. */
static double wait_peer_close(CURL *h, int timeout_ms) {
  curl_socket_t fd = CURL_SOCKET_BAD;
  cr_assert_eq(curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd), CURLE_OK);
  cr_assert_neq(fd, CURL_SOCKET_BAD, "curl kept no connection alive");
  double t0 = mxc_test_now_ms();
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  cr_assert_eq(poll(&pfd, 1, timeout_ms), 1, "the server never closed the kept-alive connection");
  char b;
  cr_assert_eq(recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT), 0, "bytes instead of a close");
  return mxc_test_now_ms() - t0;
}

/* The answer says keep-alive, then the server closes the idle connection: curl notices and
 * reconnects for the next request, which succeeds. */
Test(faults, stale_closes_the_kept_alive_connection, .timeout = 20) {
  mxc_test_mock *m = mock_with_one("login:stale:idle_ms=150,times=1");
  CURL *h = client_new();
  reply r;
  xas(h, m, "get_session_data", &r);
  cr_assert_eq(r.connects, 1);
  mxc_test_reply_cleanup(&r);
  login(h, m, &r);
  assert_rc(&r, CURLE_OK, "stale login");
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.connects, 0, "the login reused the start-up's connection");
  char conn[32];
  cr_assert(!mxc_test_header_get(&r, "Connection", conn, sizeof conn), "a stale answer says close");
  mxc_test_reply_cleanup(&r);
  double idle = wait_peer_close(h, 3000);
  cr_assert_geq(idle, 150.0 - 10, "closed after %.1f ms idle", idle);
  cr_assert_lt(idle, 150.0 + 500);
  xas(h, m, "get_session_data", &r);
  assert_rc(&r, CURLE_OK, "the request after the stale close");
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.connects, 1, "curl reconnected");
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(h);

  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 2);
  const cJSON *x = mxc_test_exchange_of(tr, "login", 0);
  cr_assert_eq(jnum(assert_faulted(x, "stale"), "idle_ms"), 150);
  cr_assert_eq(jnum(x, "conn"), 1);
  mxc_test_assert_jstr(connection_of(tr, 1), "end", "fault_stale");
  cr_assert_eq(jnum(mxc_test_exchange_of(tr, "get_session_data", 1), "conn"), 2);
  cJSON_Delete(tr);
}

/* A new request before idle_ms keeps the connection: only an idle one goes stale. */
Test(faults, stale_is_disarmed_by_the_next_request, .timeout = 20) {
  mxc_test_mock *m = mock_with_one("*:stale:idle_ms=2000");
  CURL *h = client_new();
  for (int i = 0; i < 5; i++) {
    reply r;
    xas(h, m, "info", &r);
    assert_rc(&r, CURLE_OK, "info");
    cr_assert_eq(r.connects, i == 0 ? 1 : 0, "request %d opened a connection", i);
    mxc_test_reply_cleanup(&r);
  }
  curl_easy_cleanup(h);
  cJSON *tr = mxc_test_mock_stop(m);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 1);
  cJSON_Delete(tr);
}

/* ---- selectors ---- */

/* The statuses of `n` requests of the given actions (one handle) into out; the transcript. */
static cJSON *statuses(const char *const *specs, uint64_t seed, const char *const *actions,
                       long *out, int n) {
  mxc_test_mock *m = mock_with(specs, seed, false);
  CURL *h = client_new();
  for (int i = 0; i < n; i++) {
    reply r;
    xas(h, m, actions[i], &r);
    assert_rc(&r, CURLE_OK, actions[i]);
    out[i] = r.status;
    mxc_test_reply_cleanup(&r);
  }
  curl_easy_cleanup(h);
  return mxc_test_mock_stop(m);
}

Test(faults, match_hits_only_its_action, .timeout = 20) {
  const char *specs[] = {"info:status:code=418", NULL};
  const char *actions[] = {"get_session_data", "info", "keepalive", "info", "logout"};
  long st[5];
  cJSON *tr = statuses(specs, 1, actions, st, 5);
  cr_assert_eq(st[0], 200);
  cr_assert_eq(st[1], 418);
  cr_assert_eq(st[2], 200);
  cr_assert_eq(st[3], 418);
  cr_assert_eq(st[4], 200);
  const cJSON *x;
  cJSON_ArrayForEach(x, mxc_test_exchanges(tr)) {
    bool info = strcmp(mxc_test_jstr(x, "action"), "info") == 0;
    cr_assert_eq(cJSON_GetObjectItem(x, "faults") != NULL, info, "%s", mxc_test_jstr(x, "action"));
  }
  cJSON_Delete(tr);
}

Test(faults, nth_hits_only_the_nth_match, .timeout = 20) {
  const char *specs[] = {"info:status:code=418,nth=2", NULL};
  const char *actions[] = {"info", "get_session_data", "info", "info", "info"};
  long st[5];
  cJSON *tr = statuses(specs, 1, actions, st, 5);
  long want[] = {200, 200, 418, 200, 200};
  for (int i = 0; i < 5; i++)
    cr_assert_eq(st[i], want[i], "request %d: %ld", i, st[i]);
  cr_assert_not_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "info", 1), "faults"));
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "info", 0), "faults"));
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "info", 2), "faults"));
  cJSON_Delete(tr);
}

Test(faults, times_limits_the_hits, .timeout = 20) {
  const char *specs[] = {"*:status:code=418,times=1", "info:status:code=419,times=2", NULL};
  const char *actions[] = {"info", "info", "info", "info"};
  long st[4];
  cJSON *tr = statuses(specs, 1, actions, st, 4);
  /* the first REPLACE that matches wins; a fault that is spent lets the next one through */
  long want[] = {418, 419, 419, 200};
  for (int i = 0; i < 4; i++)
    cr_assert_eq(st[i], want[i], "request %d: %ld", i, st[i]);
  cJSON_Delete(tr);
}

Test(faults, conn_hits_only_the_nth_connection, .timeout = 20) {
  const char *specs[] = {"*:status:code=418,conn=2", NULL};
  mxc_test_mock *m = mock_with(specs, 1, false);
  CURL *a = client_new(), *b = client_new();
  reply r;
  xas(a, m, "info", &r); /* connection 1 */
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  for (int i = 0; i < 2; i++) { /* connection 2, kept alive */
    xas(b, m, "info", &r);
    cr_assert_eq(r.status, 418, "request %d on connection 2", i);
    cr_assert_eq(r.connects, i == 0 ? 1 : 0);
    mxc_test_reply_cleanup(&r);
  }
  xas(a, m, "info", &r); /* connection 1 again */
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.connects, 0);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(a);
  curl_easy_cleanup(b);
  cJSON *tr = mxc_test_mock_stop(m);
  const cJSON *x;
  int faulted = 0;
  cJSON_ArrayForEach(x, mxc_test_exchanges(tr)) {
    bool on2 = jnum(x, "conn") == 2;
    faulted += on2;
    cr_assert_eq(cJSON_GetObjectItem(x, "faults") != NULL, on2);
  }
  cr_assert_eq(faulted, 2);
  cJSON_Delete(tr);
}

#define P_REQUESTS 200

/* Which of P_REQUESTS info requests a p=0.3 fault hit, with `seed`; returns how many. */
static int p_schedule(uint64_t seed, bool hit[P_REQUESTS]) {
  const char *specs[] = {"info:status:code=418,p=0.3", NULL};
  static const char *actions[P_REQUESTS];
  static long st[P_REQUESTS];
  for (int i = 0; i < P_REQUESTS; i++)
    actions[i] = "info";
  cJSON *tr = statuses(specs, seed, actions, st, P_REQUESTS);
  char seedtext[32];
  snprintf(seedtext, sizeof seedtext, "%llu", (unsigned long long)seed);
  mxc_test_assert_jstr(tr, "seed", seedtext);
  int n = 0;
  for (int i = 0; i < P_REQUESTS; i++) {
    cr_assert(st[i] == 200 || st[i] == 418);
    hit[i] = st[i] == 418;
    n += hit[i];
    cr_assert_eq(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "info", i), "faults") != NULL, hit[i],
                 "request %d: the transcript disagrees with the client", i);
  }
  cJSON_Delete(tr);
  return n;
}

Test(faults, p_is_reproducible_by_seed, .timeout = 30) {
  bool a[P_REQUESTS], b[P_REQUESTS], c[P_REQUESTS];
  int na = p_schedule(42, a);
  int nb = p_schedule(42, b);
  int nc = p_schedule(43, c);
  cr_assert_eq(memcmp(a, b, sizeof a), 0, "seed 42 gave two different schedules");
  cr_assert_eq(na, nb);
  cr_assert_neq(memcmp(a, c, sizeof a), 0, "seeds 42 and 43 gave the same schedule");
  cr_assert(na >= P_REQUESTS * 0.2 && na <= P_REQUESTS * 0.4, "p=0.3 hit %d of %d", na, P_REQUESTS);
  cr_assert(nc >= P_REQUESTS * 0.2 && nc <= P_REQUESTS * 0.4, "p=0.3 hit %d of %d", nc, P_REQUESTS);
}

/* ---- the reference client end to end (PROTOCOL.md 1, "What status 0 means") ---- */

#define OK_SCENARIO "OK-1-signin-restarts-home"

/* A directory holding only the OK scenario (the rest of the catalog is not this suite's
 * concern). Remove it with ok_dir_remove. */
static void ok_dir_make(char dir[64]) {
  snprintf(dir, 64, "/tmp/mxc-faults-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  char src[4096], dst[128];
  snprintf(src, sizeof src, "%s", mxc_test_src("scenarios/ok/" OK_SCENARIO ".json"));
  snprintf(dst, sizeof dst, "%s/" OK_SCENARIO ".json", dir);
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  cr_assert(in && out, "cannot copy %s to %s", src, dst);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    cr_assert_eq(fwrite(buf, 1, n, out), n);
  fclose(in);
  cr_assert_eq(fclose(out), 0);
}

static void ok_dir_remove(const char *dir) {
  char path[128];
  snprintf(path, sizeof path, "%s/" OK_SCENARIO ".json", dir);
  remove(path);
  rmdir(dir);
}

/* Runs the OK scenario with one --fault and returns its output (stdout and stderr). */
static char *run_ok_with(const char *dir, const char *spec, int *status) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "'%s' run --seed 7 --scenarios '%s' --filter " OK_SCENARIO " --fault '%s' 2>&1",
           mxc_test_bin("mxconform"), dir, spec);
  char *out = NULL;
  *status = mxc_test_sh(cmd, &out);
  return out;
}

Test(faults, reference_client_reports_status_0_for_every_network_failure, .timeout = 40) {
  static const char *kinds[] = {
      "refused",
      "unresolvable",
      "reset",
      "close",
      "blackhole",
      "garbage",
      "bad_status_line",
      "redirect",
      "truncate",
      "chunked_unterminated",
      "close_after_headers",
      "stall_after_headers",
      "close_after_bytes",
  };
  char dir[64];
  ok_dir_make(dir);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char spec[64];
    snprintf(spec, sizeof spec, "login:%s", kinds[i]);
    int status;
    char *out = run_ok_with(dir, spec, &status);
    cr_assert_eq(status, 1, "%s: exit %d\n%s", spec, status, out);
    cr_assert_not_null(strstr(out, "FAIL  " OK_SCENARIO), "%s:\n%s", spec, out);
    cr_assert_not_null(strstr(out, "expected: attempt 1: status 200\n"), "%s:\n%s", spec, out);
    cr_assert_not_null(strstr(out, "seen:     attempt 1: status 0\n"), "%s:\n%s", spec, out);
    free(out);
  }
  ok_dir_remove(dir);
}

Test(faults, reference_client_reports_the_status_of_status_kinds, .timeout = 20) {
  static const struct {
    const char *spec;
    int status;
  } cases[] = {
      {"login:status:code=418", 418}, {"login:forbidden", 403},   {"login:rate_limited", 429},
      {"login:server_error", 500},    {"login:bad_gateway", 502}, {"login:maintenance", 503},
      {"login:error_560", 560},
  };
  char dir[64];
  ok_dir_make(dir);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int status;
    char *out = run_ok_with(dir, cases[i].spec, &status);
    char want[64];
    snprintf(want, sizeof want, "seen:     attempt 1: status %d\n", cases[i].status);
    cr_assert_eq(status, 1, "%s: exit %d\n%s", cases[i].spec, status, out);
    cr_assert_not_null(strstr(out, want), "%s: no '%s' in:\n%s", cases[i].spec, want, out);
    free(out);
  }
  /* a 200 that is no usable answer is still status 200 to SignIn: the status check passes,
   * the restart does not happen */
  static const char *two_hundreds[] = {"login:bad_json", "login:wrong_content_type"};
  for (size_t i = 0; i < 2; i++) {
    int status;
    char *out = run_ok_with(dir, two_hundreds[i], &status);
    cr_assert_eq(status, 1, "%s: exit %d\n%s", two_hundreds[i], status, out);
    cr_assert_null(strstr(out, "seen:     attempt 1: status"), "%s:\n%s", two_hundreds[i], out);
    cr_assert_not_null(strstr(out, "seen:     page Login\n"), "%s:\n%s", two_hundreds[i], out);
    free(out);
  }
  /* shapes that deliver the whole answer leave the scenario passing */
  static const char *harmless[] = {"login:delay:ms=50", "login:dribble:bytes=64,interval_ms=1",
                                   "login:stale"};
  for (size_t i = 0; i < 3; i++) {
    int status;
    char *out = run_ok_with(dir, harmless[i], &status);
    cr_assert_eq(status, 0, "%s: exit %d\n%s", harmless[i], status, out);
    cr_assert_not_null(strstr(out, "PASS  " OK_SCENARIO), "%s:\n%s", harmless[i], out);
    free(out);
  }
  ok_dir_remove(dir);
}

/* ---- the control API ---- */

Test(faults, control_api_arms_lists_and_clears_faults, .timeout = 20) {
  mxc_test_mock *m = mock_with(NULL, 1, true);
  CURL *h = client_new();
  reply r;
  http(h, m, "GET", "/_mxconform/faults", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(cJSON_IsArray(r.json) && cJSON_GetArraySize(r.json) == 0, "%s", r.body.data);
  mxc_test_reply_cleanup(&r);

  http(h, m, "POST", "/_mxconform/faults", "login:status:code=503", &r);
  cr_assert_eq(r.status, 200, "%s", r.body.data);
  cr_assert(cJSON_IsArray(r.json) && cJSON_GetArraySize(r.json) == 1, "%s", r.body.data);
  mxc_test_reply_cleanup(&r);

  login(h, m, &r);
  cr_assert_eq(r.status, 503, "the armed fault did not answer the login");
  mxc_test_reply_cleanup(&r);
  xas(h, m, "info", &r);
  cr_assert_eq(r.status, 200, "the armed fault hit another action");
  mxc_test_reply_cleanup(&r);

  http(h, m, "GET", "/_mxconform/faults", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(cJSON_GetArraySize(r.json), 1, "%s", r.body.data);
  const cJSON *f = cJSON_GetArrayItem(r.json, 0);
  mxc_test_assert_jstr(f, "kind", "status");
  mxc_test_assert_jstr(f, "match", "login");
  cr_assert_eq(jnum(f, "code"), 503);
  mxc_test_reply_cleanup(&r);

  /* the JSON forms */
  http(h, m, "POST", "/_mxconform/faults", "{\"spec\":\"info:rate_limited:times=1\"}", &r);
  cr_assert_eq(r.status, 200, "%s", r.body.data);
  cr_assert_eq(cJSON_GetArraySize(r.json), 2, "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  http(h, m, "POST", "/_mxconform/faults", "{\"kind\":\"forbidden\",\"match\":\"keepalive\"}", &r);
  cr_assert_eq(r.status, 200, "%s", r.body.data);
  cr_assert_eq(cJSON_GetArraySize(r.json), 3, "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  xas(h, m, "info", &r);
  cr_assert_eq(r.status, 429);
  assert_header(&r, "Retry-After", "5");
  mxc_test_reply_cleanup(&r);
  xas(h, m, "keepalive", &r);
  cr_assert_eq(r.status, 403);
  mxc_test_reply_cleanup(&r);

  http(h, m, "DELETE", "/_mxconform/faults", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(cJSON_IsArray(r.json) && cJSON_GetArraySize(r.json) == 0, "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  login(h, m, &r);
  cr_assert_eq(r.status, 200, "the cleared fault still answered");
  mxc_test_reply_cleanup(&r);
  http(h, m, "GET", "/_mxconform/faults", NULL, &r);
  cr_assert_eq(cJSON_GetArraySize(r.json), 0);
  mxc_test_reply_cleanup(&r);

  /* bad specs: 400 naming the problem, nothing armed */
  static const struct {
    const char *body;
    const char *named;
  } bad[] = {
      {"login:status", "code"},
      {"login:nosuch", "kind"},
      {"login:delay:ms=abc", "ms"},
      {"login:reset:foo=1", "foo"},
      {"{\"spec\":\"login:delay\"}", "ms"},
      {"{\"kind\":\"reset\",\"bogus\":true}", "bogus"},
      {"login:unresolvable", "harness"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    http(h, m, "POST", "/_mxconform/faults", bad[i].body, &r);
    cr_assert_eq(r.status, 400, "%s: %ld", bad[i].body, r.status);
    const char *msg = mxc_test_jstr(r.json, "error");
    cr_assert(msg && strstr(msg, bad[i].named), "%s: error '%s' does not name '%s'", bad[i].body,
              msg ? msg : r.body.data, bad[i].named);
    mxc_test_reply_cleanup(&r);
  }
  http(h, m, "GET", "/_mxconform/faults", NULL, &r);
  cr_assert_eq(cJSON_GetArraySize(r.json), 0, "a bad spec armed something: %s", r.body.data);
  mxc_test_reply_cleanup(&r);
  http(h, m, "PUT", "/_mxconform/faults", "x", &r);
  cr_assert_eq(r.status, 405);
  mxc_test_reply_cleanup(&r);

  curl_easy_cleanup(h);
  cJSON *tr = mxc_test_mock_stop(m);
  /* control requests are not exchanges; the faulted ones are */
  const cJSON *x;
  cJSON_ArrayForEach(x, mxc_test_exchanges(tr)) {
    const char *target = mxc_test_jstr(x, "target");
    cr_assert(target && strncmp(target, "/_mxconform/", 12) != 0, "a control request recorded");
  }
  assert_faulted(mxc_test_exchange_of(tr, "login", 0), "status");
  cr_assert_null(cJSON_GetObjectItem(mxc_test_exchange_of(tr, "login", 1), "faults"));
  cJSON_Delete(tr);
}
