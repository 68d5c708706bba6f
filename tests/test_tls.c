/* HTTPS in the mock (PROTOCOL.md NET-5): a sign-in over TLS with libcurl verifying the
 * run-local CA, every TLS fault against libcurl (the exact CURLcode) and `openssl s_client`
 * (exit status and verify error), the transcript's "tls" records and app_data_before_failure,
 * Secure and __Host- cookies, and TLS fault selectors and parsing. */
#include "support.h"
#include "support_http.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENT_TIMEOUT_MS 3000L

#define LOGIN_BODY                                                                                 \
  "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret\"}}"

/* ---- a mock over HTTPS ---- */

typedef struct https_mock {
  char dir[64];
  mxc_tls_material *tm;
  mxc_test_mock *mock;
  int port;
  char url[96]; /* https://HOST:PORT/xas/ */
} https_mock;

/* Starts an HTTPS mock with the default accounts, `faults` (specs, NULL-terminated) and
 * runtime flags; its certificates also name `extra_host` (NULL: only the loopback names). */
static void https_start_for(https_mock *h, const char *const *specs, bool host_prefix,
                            const char *extra_host) {
  memset(h, 0, sizeof *h);
  snprintf(h->dir, sizeof h->dir, "/tmp/mxc-tls-XXXXXX");
  cr_assert_not_null(mkdtemp(h->dir));
  cr_assert_eq(mxc_tls_material_create_for(h->dir, extra_host, &h->tm), 0);
  mxc_fault faults[8];
  size_t n = 0;
  for (; specs && specs[n]; n++) {
    char err[256];
    cr_assert_eq(mxc_fault_from_spec(specs[n], &faults[n], err, sizeof err), 0, "%s: %s", specs[n],
                 err);
  }
  mxc_mock_config cfg = {.faults = faults, .nfaults = n, .seed = 7, .tls = h->tm};
  cfg.runtime.accounts = mxc_test_accounts(&cfg.runtime.naccounts);
  cfg.runtime.host_prefix_cookies = host_prefix;
  h->mock = mxc_test_mock_start(&cfg);
  for (size_t i = 0; i < n; i++)
    mxc_fault_cleanup(&faults[i]);
  h->port = mxc_test_mock_port(h->mock);
  snprintf(h->url, sizeof h->url, "https://localhost:%d/xas/", h->port);
}

static void https_start(https_mock *h, const char *const *specs, bool host_prefix) {
  https_start_for(h, specs, host_prefix, NULL);
}

/* Stops the mock, frees the material, removes the directory; returns the transcript. */
static cJSON *https_stop(https_mock *h) {
  cJSON *tr = mxc_test_mock_stop(h->mock);
  char path[128];
  snprintf(path, sizeof path, "%s/ca.pem", h->dir);
  mxc_tls_material_free(h->tm);
  remove(path);
  rmdir(h->dir);
  return tr;
}

static const char *ca_file(const https_mock *h) { return mxc_tls_ca_file(h->tm); }

/* ---- a libcurl client ---- */

typedef mxc_test_reply reply;

static CURL *client_new(const https_mock *h) {
  return mxc_test_curl(CLIENT_TIMEOUT_MS, true, ca_file(h));
}

static void post(CURL *c, const char *url, const char *body, const char *csrf, reply *r) {
  mxc_test_http(c, &(mxc_test_request){"POST", url, body, NULL, csrf}, r);
}

/* One login over a fresh client; returns the CURLcode (error text into err). */
static CURLcode login_once(const https_mock *h, char *err, size_t errlen) {
  CURL *c = client_new(h);
  reply r;
  post(c, h->url, LOGIN_BODY, NULL, &r);
  snprintf(err, errlen, "%s", r.error);
  CURLcode rc = r.rc;
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  return rc;
}

/* ---- transcript helpers ---- */

static const cJSON *conn_rec(const cJSON *tr, int i) {
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(tr, "connections"), i);
  cr_assert_not_null(c, "no connection record %d", i);
  return c;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  cr_assert(cJSON_IsNumber(v), "no number '%s'", key);
  return v->valuedouble;
}

static int exchanges(const cJSON *tr) {
  return cJSON_GetArraySize(cJSON_GetObjectItem(tr, "exchanges"));
}

/* ---- sign-in over HTTPS ---- */

Test(tls, sign_in_over_https_with_secure_cookies, .timeout = 20) {
  https_mock h;
  https_start(&h, NULL, false);
  CURL *c = client_new(&h);
  reply r;
  post(c, h.url, "{\"action\":\"get_session_data\",\"params\":{}}", NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
  cr_assert_eq(r.status, 200);
  cr_assert_not_null(strstr(r.head.data, "XASSESSIONID="));
  cr_assert_not_null(strstr(r.head.data, "SameSite=Strict; Secure\r\n"), "%s", r.head.data);
  cJSON *data = cJSON_Parse(r.body.data);
  const char *csrf = str(data, "csrftoken");
  cr_assert_not_null(csrf);
  char token[128];
  snprintf(token, sizeof token, "%s", csrf);
  cJSON_Delete(data);
  mxc_test_reply_cleanup(&r);
  post(c, h.url, LOGIN_BODY, token, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
  cr_assert_eq(r.status, 200);
  mxc_test_reply_cleanup(&r);
  post(c, h.url, "{\"action\":\"get_session_data\",\"params\":{}}", NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK);
  cr_assert_not_null(strstr(r.body.data, "alice"), "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  cJSON *tr = https_stop(&h);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tr, "connections")), 1, "keep-alive");
  const cJSON *tls = cJSON_GetObjectItem(conn_rec(tr, 0), "tls");
  cr_assert_str_eq(str(tls, "handshake"), "ok");
  cr_assert_str_eq(str(tls, "version"), "TLSv1.3");
  cr_assert_str_eq(str(tls, "alpn"), "http/1.1");
  cr_assert(str(tls, "cipher") && str(tls, "cipher")[0]);
  cr_assert_null(cJSON_GetObjectItem(tls, "fault"));
  cr_assert_null(cJSON_GetObjectItem(tls, "alert"));
  cr_assert_eq(num(conn_rec(tr, 0), "app_data_before_failure"), 0);
  cr_assert_eq(exchanges(tr), 3);
  const cJSON *login = cJSON_GetArrayItem(cJSON_GetObjectItem(tr, "exchanges"), 1);
  cr_assert_str_eq(str(login, "outcome"), "ok");
  cr_assert_str_eq(str(login, "csrf"), "match");
  cJSON_Delete(tr);
}

Test(tls, host_prefix_cookie_round_trips_and_plain_name_is_accepted, .timeout = 20) {
  https_mock h;
  https_start(&h, NULL, true);
  CURL *c = client_new(&h);
  reply r;
  post(c, h.url, LOGIN_BODY, NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
  cr_assert_eq(r.status, 200);
  cr_assert_not_null(strstr(r.head.data, "Set-Cookie: __Host-XASSESSIONID="), "%s", r.head.data);
  const char *line = strstr(r.head.data, "__Host-XASSESSIONID=");
  const char *eol = strstr(line, "\r\n");
  char cookie[256];
  snprintf(cookie, sizeof cookie, "%.*s", (int)(eol - line), line);
  cr_assert_not_null(strstr(cookie, "; Path=/"), "%s", cookie);
  cr_assert_not_null(strstr(cookie, "; Secure"), "%s", cookie);
  cr_assert_null(strstr(cookie, "Domain"), "%s", cookie);
  char id[64];
  snprintf(id, sizeof id, "%.36s", cookie + strlen("__Host-XASSESSIONID="));
  mxc_test_reply_cleanup(&r);
  /* the jar sends it back under its prefixed name */
  post(c, h.url, "{\"action\":\"get_session_data\",\"params\":{}}", NULL, &r);
  cr_assert_not_null(strstr(r.body.data, "alice"), "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  /* the unprefixed name is accepted too */
  c = client_new(&h);
  char plain[128];
  snprintf(plain, sizeof plain, "XASSESSIONID=%s", id);
  mxc_test_http(c,
                &(mxc_test_request){"POST", h.url,
                                    "{\"action\":\"get_session_data\",\"params\":{}}", plain, NULL},
                &r);
  cr_assert_not_null(strstr(r.body.data, "alice"), "%s", r.body.data);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  cJSON *tr = https_stop(&h);
  const cJSON *x = cJSON_GetObjectItem(tr, "exchanges");
  cr_assert_str_eq(str(cJSON_GetObjectItem(cJSON_GetArrayItem(x, 1), "session_in"), "state"),
                   "user");
  cr_assert_str_eq(str(cJSON_GetObjectItem(cJSON_GetArrayItem(x, 2), "session_in"), "state"),
                   "user");
  cJSON_Delete(tr);
}

/* ---- every TLS fault against libcurl ---- */

static const struct curl_case {
  const char *spec;
  CURLcode rc;
  const char *error; /* in libcurl's error text */
  const char *end;   /* the first connection's "end" */
  const char *handshake;
  const char *alert; /* NULL: none recorded */
} curl_cases[] = {
    {"*:tls_untrusted", CURLE_PEER_FAILED_VERIFICATION, "unable to get local issuer certificate",
     "tls_handshake_failed", "failed", "unknown CA"},
    {"*:tls_expired", CURLE_PEER_FAILED_VERIFICATION, "certificate has expired",
     "tls_handshake_failed", "failed", "certificate expired"},
    /* the handshake completes; libcurl checks the name after it, then hangs up (whether the mock
     * reads that before it stops is a race, so the end is not checked) */
    {"*:tls_wrong_host", CURLE_PEER_FAILED_VERIFICATION, "no alternative certificate subject name",
     NULL, "ok", NULL},
    {"*:tls_handshake_reset", CURLE_SSL_CONNECT_ERROR, "Connection reset by peer",
     "fault_tls_handshake_reset", "failed", NULL},
    /* OpenSSL 3 takes TLS 1.0, then refuses its MD5+SHA1 handshake signature */
    {"*:tls_old_protocol", CURLE_SSL_CONNECT_ERROR, "legacy sigalg disallowed or unsupported",
     "tls_handshake_failed", "failed", "internal error"},
    {"login:tls_close_notify_mid_response", CURLE_PARTIAL_FILE, "bytes remaining to read",
     "fault_tls_close_notify_mid_response", "ok", NULL},
    /* libcurl ignores a missing close_notify (SSL_OP_IGNORE_UNEXPECTED_EOF): only the short body
     * tells; tls_truncation_is_an_unexpected_eof shows the difference on the wire */
    {"login:tls_truncation", CURLE_PARTIAL_FILE, "bytes remaining to read", "fault_tls_truncation",
     "ok", NULL},
};

Test(tls, every_fault_against_libcurl, .timeout = 60) {
  for (size_t i = 0; i < sizeof curl_cases / sizeof curl_cases[0]; i++) {
    const struct curl_case *k = &curl_cases[i];
    const char *specs[] = {k->spec, NULL};
    https_mock h;
    https_start(&h, specs, false);
    char err[CURL_ERROR_SIZE];
    CURLcode rc = login_once(&h, err, sizeof err);
    cJSON *tr = https_stop(&h);
    cr_assert_eq(rc, k->rc, "%s: CURLcode %d (%s), expected %d", k->spec, rc, err, k->rc);
    cr_assert_not_null(strstr(err, k->error), "%s: '%s' lacks '%s'", k->spec, err, k->error);
    const cJSON *c = conn_rec(tr, 0);
    const cJSON *tls = cJSON_GetObjectItem(c, "tls");
    if (k->end)
      cr_assert_str_eq(str(c, "end"), k->end, "%s: end %s", k->spec, str(c, "end"));
    cr_assert_str_eq(str(tls, "handshake"), k->handshake, "%s", k->spec);
    if (k->alert)
      cr_assert_str_eq(str(tls, "alert"), k->alert, "%s: alert %s", k->spec, str(tls, "alert"));
    else
      cr_assert_null(cJSON_GetObjectItem(tls, "alert"), "%s: alert %s", k->spec, str(tls, "alert"));
    bool handshake_kind = k->spec[0] == '*';
    if (handshake_kind) { /* nothing of the request crossed the failed channel */
      cr_assert_str_eq(str(tls, "fault"), k->spec + 2, "%s", k->spec);
      cr_assert_eq(num(c, "app_data_before_failure"), 0, "%s", k->spec);
      cr_assert_eq(exchanges(tr), 0, "%s: %d exchanges", k->spec, exchanges(tr));
    } else {
      cr_assert_eq(exchanges(tr), 1, "%s", k->spec);
    }
    cJSON_Delete(tr);
  }
}

/* ---- openssl s_client ---- */

static const struct sclient_case {
  const char *spec; /* NULL: no fault */
  int status;
  const char *text; /* in s_client's output */
} sclient_cases[] = {
    {NULL, 0, "Verify return code: 0 (ok)"},
    {"*:tls_untrusted", 1, "verify error:num=20:unable to get local issuer certificate"},
    {"*:tls_expired", 1, "verify error:num=10:certificate has expired"},
    {"*:tls_wrong_host", 1, "verify error:num=62:hostname mismatch"},
    {"*:tls_handshake_reset", 1, "errno=104"},
    {"*:tls_old_protocol", 1, "legacy sigalg disallowed or unsupported"},
};

Test(tls, handshake_faults_against_openssl_s_client, .timeout = 60) {
  for (size_t i = 0; i < sizeof sclient_cases / sizeof sclient_cases[0]; i++) {
    const struct sclient_case *k = &sclient_cases[i];
    const char *specs[] = {k->spec, NULL};
    https_mock h;
    https_start(&h, specs, false);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl s_client -connect 127.0.0.1:%d -CAfile '%s' -verify_return_error "
             "-servername localhost -verify_hostname localhost </dev/null 2>&1",
             h.port, ca_file(&h));
    char *out = NULL;
    int st = mxc_test_sh(cmd, &out);
    cJSON *tr = https_stop(&h);
    const char *name = k->spec ? k->spec : "no fault";
    cr_assert_eq(st, k->status, "%s: exit %d\n%s", name, st, out);
    cr_assert_not_null(strstr(out, k->text), "%s: no '%s' in\n%s", name, k->text, out);
    cr_assert_eq(num(conn_rec(tr, 0), "app_data_before_failure"), 0, "%s", name);
    free(out);
    cJSON_Delete(tr);
  }
}

/* ---- NET-5: credentials over a channel the client should have refused ---- */

Test(tls, insecure_client_is_caught_sending_credentials, .timeout = 20) {
  const char *specs[] = {"*:tls_untrusted", NULL};
  https_mock h;
  https_start(&h, specs, false);
  CURL *c = client_new(&h);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* the defect NET-5 forbids */
  reply r;
  post(c, h.url, LOGIN_BODY, NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
  size_t sent = strlen(LOGIN_BODY);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  cJSON *tr = https_stop(&h);
  const cJSON *rec = conn_rec(tr, 0);
  cr_assert_str_eq(str(cJSON_GetObjectItem(rec, "tls"), "handshake"), "ok");
  cr_assert_gt(num(rec, "app_data_before_failure"), (double)sent);
  cr_assert_eq(exchanges(tr), 1);
  cJSON_Delete(tr);
}

/* ---- selectors ---- */

Test(tls, handshake_fault_selectors_count_connections, .timeout = 30) {
  char err[CURL_ERROR_SIZE];
  /* conn=2: the first connection is fine, the second is not */
  const char *on2[] = {"*:tls_expired:conn=2", NULL};
  https_mock h;
  https_start(&h, on2, false);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_OK, "%s", err);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_PEER_FAILED_VERIFICATION, "%s", err);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_OK, "%s", err);
  cJSON *tr = https_stop(&h);
  cr_assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(conn_rec(tr, 0), "tls"), "fault"));
  cr_assert_str_eq(str(cJSON_GetObjectItem(conn_rec(tr, 1), "tls"), "fault"), "tls_expired");
  cJSON_Delete(tr);
  /* times=2: two refused handshakes, then good ones */
  const char *twice[] = {"*:tls_handshake_reset:times=2", NULL};
  https_start(&h, twice, false);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_SSL_CONNECT_ERROR, "%s", err);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_SSL_CONNECT_ERROR, "%s", err);
  cr_assert_eq(login_once(&h, err, sizeof err), CURLE_OK, "%s", err);
  cJSON_Delete(https_stop(&h));
  /* response-time TLS faults select requests: only the login is cut */
  const char *cut[] = {"login:tls_truncation", NULL};
  https_start(&h, cut, false);
  CURL *c = client_new(&h);
  reply r;
  post(c, h.url, "{\"action\":\"get_session_data\",\"params\":{}}", NULL, &r);
  cr_assert_eq(r.rc, CURLE_OK, "%s", r.error);
  mxc_test_reply_cleanup(&r);
  post(c, h.url, LOGIN_BODY, NULL, &r);
  cr_assert_eq(r.rc, CURLE_PARTIAL_FILE, "%s", r.error);
  mxc_test_reply_cleanup(&r);
  curl_easy_cleanup(c);
  cJSON_Delete(https_stop(&h));
}

Test(tls, handshake_faults_need_https_and_match_star, .timeout = 10) {
  mxc_fault f;
  char err[256] = "";
  cr_assert_eq(mxc_fault_from_spec("login:tls_expired", &f, err, sizeof err), MXC_EINVAL);
  cr_assert_not_null(strstr(err, "match"), "%s", err);
  cr_assert_eq(mxc_fault_from_spec("*:tls_expired:conn=3,times=1", &f, err, sizeof err), 0, "%s",
               err);
  /* a plain HTTP mock refuses it: it has no handshake to act on */
  mxc_mock_config cfg = {.faults = &f, .nfaults = 1};
  uv_loop_t loop;
  uv_loop_init(&loop);
  mxc_mock *m = NULL;
  cr_assert_eq(mxc_mock_start(&loop, &cfg, &m), MXC_EINVAL);
  cr_assert_null(m);
  cr_assert_eq(uv_loop_close(&loop), 0);
  mxc_fault_cleanup(&f);
  cr_assert_not_null(strstr(mxc_fault_kinds_help(), "tls_truncation"));
}

/* ---- a plain OpenSSL client (strict about close_notify, as OpenSSL 3 is by default) ---- */

static SSL *ossl_connect(const https_mock *h, int max_version, int *fd_out) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (max_version)
    SSL_CTX_set_max_proto_version(ctx, max_version);
  cr_assert_eq(SSL_CTX_load_verify_locations(ctx, ca_file(h), NULL), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  SSL *ssl = SSL_new(ctx);
  SSL_CTX_free(ctx); /* the SSL keeps a reference */
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "localhost");
  cr_assert_eq(SSL_connect(ssl), 1);
  *fd_out = fd;
  return ssl;
}

/* Sends a login and reads the answer until the stream ends; returns SSL_get_error's verdict
 * on the end and the reason of a failed read (0 if none) in *reason. */
static int ossl_login_end(const https_mock *h, unsigned long *reason, size_t *got) {
  int fd;
  SSL *ssl = ossl_connect(h, 0, &fd);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "POST /xas/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   strlen(LOGIN_BODY), LOGIN_BODY);
  cr_assert_eq(SSL_write(ssl, req, n), n);
  char buf[4096];
  int r, e;
  *got = 0;
  ERR_clear_error();
  while ((r = SSL_read(ssl, buf, sizeof buf)) > 0)
    *got += (size_t)r;
  e = SSL_get_error(ssl, r);
  *reason = ERR_GET_REASON(ERR_peek_error());
  ERR_clear_error();
  SSL_free(ssl);
  close(fd);
  return e;
}

Test(tls, tls_truncation_is_an_unexpected_eof, .timeout = 20) {
  unsigned long reason;
  size_t got;
  const char *notify[] = {"login:tls_close_notify_mid_response", NULL};
  https_mock h;
  https_start(&h, notify, false);
  cr_assert_eq(ossl_login_end(&h, &reason, &got), SSL_ERROR_ZERO_RETURN, "close_notify");
  cr_assert_gt(got, 0);
  cJSON_Delete(https_stop(&h));
  const char *cut[] = {"login:tls_truncation", NULL};
  https_start(&h, cut, false);
  cr_assert_eq(ossl_login_end(&h, &reason, &got), SSL_ERROR_SSL);
  cr_assert_eq(reason, SSL_R_UNEXPECTED_EOF_WHILE_READING, "reason %lu", reason);
  cr_assert_gt(got, 0);
  cJSON_Delete(https_stop(&h));
}

/* ---- renegotiation is refused ---- */

Test(tls, client_renegotiation_is_refused, .timeout = 20) {
  https_mock h;
  https_start(&h, NULL, false);
  int fd;
  SSL *ssl = ossl_connect(&h, TLS1_2_VERSION, &fd); /* TLS 1.3 has no renegotiation */
  cr_assert_str_eq(SSL_get_version(ssl), "TLSv1.2");
  cr_assert_eq(SSL_renegotiate(ssl), 1);
  SSL_do_handshake(ssl); /* sends the new ClientHello */
  char buf[64];
  int n = SSL_read(ssl, buf, sizeof buf); /* the server's no_renegotiation alert */
  cr_assert_leq(n, 0);
  cr_assert_eq(SSL_renegotiate_pending(ssl), 1, "the renegotiation completed");
  SSL_free(ssl);
  close(fd);
  cJSON *tr = https_stop(&h);
  const cJSON *tls = cJSON_GetObjectItem(conn_rec(tr, 0), "tls");
  cr_assert_str_eq(str(tls, "version"), "TLSv1.2");
  cr_assert_str_eq(str(tls, "alert"), "no renegotiation", "%s", str(tls, "alert"));
  cJSON_Delete(tr);
}

/* serve --agents --public-host NAME: the certificates name the host agents are told to use. */
Test(tls, certificates_name_the_public_host, .timeout = 30) {
  static const char *const hosts[] = {"agents.mxc.test", "192.0.2.7"};
  for (size_t i = 0; i < 2; i++) {
    for (int named = 0; named < 2; named++) {
      https_mock h;
      https_start_for(&h, NULL, false, named ? hosts[i] : NULL);
      CURL *c = client_new(&h);
      char url[128], route[128];
      snprintf(url, sizeof url, "https://%s:%d/xas/", hosts[i], h.port);
      snprintf(route, sizeof route, "%s:%d:127.0.0.1:%d", hosts[i], h.port, h.port);
      struct curl_slist *to = curl_slist_append(NULL, route);
      curl_easy_setopt(c, CURLOPT_CONNECT_TO, to);
      reply r;
      post(c, url, "{\"action\":\"get_session_data\",\"params\":{}}", NULL, &r);
      if (named)
        cr_expect(r.rc == CURLE_OK && r.status == 200, "%s: %s (%s)", hosts[i],
                  curl_easy_strerror(r.rc), r.error);
      else /* the loopback-only certificate does not name it: verification refuses */
        cr_expect_eq(r.rc, CURLE_PEER_FAILED_VERIFICATION, "%s: %s", hosts[i],
                     curl_easy_strerror(r.rc));
      mxc_test_reply_cleanup(&r);
      curl_slist_free_all(to);
      curl_easy_cleanup(c);
      cJSON_Delete(https_stop(&h));
    }
  }
}
