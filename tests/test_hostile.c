/* Hostile and malformed peers: a table of raw requests, each answered with the right status
 * (or a close), after which the mock still serves a clean request; many connections; slow
 * peers; idle timeouts. */
#include "support.h"

#include "common/mxc_util.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INFO "{\"action\":\"info\"}" /* 17 bytes */
#define POST_XAS "POST /xas/ HTTP/1.1\r\nHost: mock\r\n"
#define CL17 "Content-Length: 17\r\n"
#define NUL_CASE "POST /xas/ HTTP/1.1\r\nHost: mo\0ck\r\n" CL17 "\r\n" INFO

typedef struct hostile_case {
  const char *name;
  const char *bytes;
  size_t len;  /* 0: strlen(bytes) */
  int status;  /* expected status of the first response; 0: no response at all */
  bool closes; /* the server closes the connection by itself */
} hostile_case;

static const hostile_case cases[] = {
    /* not HTTP at all */
    {"tls_client_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 400, true},
    {"text_garbage", "HELLO THERE\r\n\r\n", 0, 400, true},
    {"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, 400, true},
    {"binary_zeros", "\0\0\0\0\0\0\0\0", 8, 400, true},
    /* request line */
    {"unknown_method", "FROB /xas/ HTTP/1.1\r\nHost: mock\r\n\r\n", 0, 400, true},
    {"lowercase_method", "post /xas/ HTTP/1.1\r\nHost: mock\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"no_version", "POST /xas/\r\nHost: mock\r\n\r\n", 0, 400, true},
    {"bad_version", "POST /xas/ HTTP/7.3\r\nHost: mock\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"url_too_long", NULL, 0, 414, true}, /* built below */
    {"space_in_target", "POST /x as/ HTTP/1.1\r\nHost: mock\r\n\r\n", 0, 400, true},
    /* framing and smuggling shapes */
    {"cl_and_te", POST_XAS CL17 "Transfer-Encoding: chunked\r\n\r\n11\r\n" INFO "\r\n0\r\n\r\n", 0,
     400, true},
    {"two_different_cl", POST_XAS CL17 "Content-Length: 18\r\n\r\n" INFO " ", 0, 400, true},
    {"cl_list", POST_XAS "Content-Length: 17, 17\r\n\r\n" INFO, 0, 400, true},
    {"cl_negative", POST_XAS "Content-Length: -1\r\n\r\n", 0, 400, true},
    {"cl_plus_sign", POST_XAS "Content-Length: +17\r\n\r\n" INFO, 0, 400, true},
    {"cl_hex", POST_XAS "Content-Length: 0x11\r\n\r\n" INFO, 0, 400, true},
    {"cl_overflow", POST_XAS "Content-Length: 999999999999999999999999\r\n\r\n", 0, 400, true},
    {"cl_over_1mib", POST_XAS "Content-Length: 1048577\r\n\r\n", 0, 413, true},
    {"te_gzip_chunked",
     POST_XAS "Transfer-Encoding: gzip, chunked\r\n\r\n11\r\n" INFO "\r\n0\r\n\r\n", 0, 501, true},
    {"te_identity", POST_XAS "Transfer-Encoding: identity\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"chunk_size_not_hex", POST_XAS "Transfer-Encoding: chunked\r\n\r\nzz\r\n" INFO "\r\n0\r\n\r\n",
     0, 400, true},
    {"chunk_size_overflow", POST_XAS "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n",
     0, 400, true},
    {"chunked_over_1mib", POST_XAS "Transfer-Encoding: chunked\r\n\r\n100001\r\n", 0, 413, true},
    /* header syntax */
    {"obs_fold", POST_XAS "X-Folded: a\r\n b\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"space_before_colon", POST_XAS "Content-Length : 17\r\n\r\n" INFO, 0, 400, true},
    {"nul_in_value", NUL_CASE, sizeof NUL_CASE - 1, 400, true},
    {"header_without_colon", POST_XAS "Just-A-Name\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"bare_lf_everywhere", "POST /xas/ HTTP/1.1\nHost: mock\nContent-Length: 17\n\n" INFO, 0, 400,
     true},
    {"bare_cr", POST_XAS "X-A: a\rb\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"no_host_http11", "POST /xas/ HTTP/1.1\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"two_hosts", POST_XAS "Host: other\r\n" CL17 "\r\n" INFO, 0, 400, true},
    {"header_section_over_16k", NULL, 0, 431, true}, /* built below */
    {"over_100_headers", NULL, 0, 431, true},        /* built below */
    /* well-formed HTTP the runtime rejects: the connection stays usable */
    {"get_on_xas", "GET /xas/ HTTP/1.1\r\nHost: mock\r\n\r\n", 0, 405, false},
    {"unknown_path", "POST /index.html HTTP/1.1\r\nHost: mock\r\n" CL17 "\r\n" INFO, 0, 404, false},
    {"body_not_json", POST_XAS "Content-Length: 9\r\n\r\nnot json!", 0, 400, false},
    {"body_json_array", POST_XAS "Content-Length: 2\r\n\r\n[]", 0, 400, false},
    {"action_not_string", POST_XAS "Content-Length: 13\r\n\r\n{\"action\":42}", 0, 400, false},
    {"unknown_action", POST_XAS "Content-Length: 20\r\n\r\n{\"action\":\"explode\"}", 0, 400,
     false},
    {"login_without_params", POST_XAS "Content-Length: 18\r\n\r\n{\"action\":\"login\"}", 0, 400,
     false},
    {"invalid_utf8_json", POST_XAS "Content-Length: 18\r\n\r\n{\"action\":\"in\xff\xfeo\"}", 0, 400,
     false},
    {"deeply_nested_json", NULL, 0, 400, false}, /* built below */
    {"empty_body", POST_XAS "Content-Length: 0\r\n\r\n", 0, 400, false},
    /* accepted shapes */
    {"chunked_body", POST_XAS "Transfer-Encoding: chunked\r\n\r\n11\r\n" INFO "\r\n0\r\n\r\n", 0,
     200, false},
    {"chunked_in_pieces",
     POST_XAS "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"act\r\nc\r\nion\":\"info\"}\r\n0\r\n\r\n",
     0, 200, false},
    {"http10_closes", "POST /xas/ HTTP/1.0\r\n" CL17 "\r\n" INFO, 0, 200, true},
    {"connection_close", POST_XAS "Connection: close\r\n" CL17 "\r\n" INFO, 0, 200, true},
    {"expect_100_continue", POST_XAS "Expect: 100-continue\r\n" CL17 "\r\n" INFO, 0, 100, false},
    /* cut short: nothing to answer */
    {"headers_then_eof", POST_XAS CL17, 0, 0, true},
    {"body_cut_short", POST_XAS CL17 "\r\n{\"act", 0, 0, true},
};

/* Builds the cases whose bytes are generated. Returns a malloc'ed buffer. */
static char *generated(const char *name, size_t *len) {
  mxc_buf b;
  mxc_buf_init(&b, 8u << 20);
  if (strcmp(name, "url_too_long") == 0) {
    mxc_buf_printf(&b, "POST /xas/?");
    for (int i = 0; i < 9000; i++)
      mxc_buf_append(&b, "a", 1);
    mxc_buf_printf(&b, " HTTP/1.1\r\nHost: mock\r\n\r\n");
  } else if (strcmp(name, "header_section_over_16k") == 0) {
    mxc_buf_printf(&b, POST_XAS "X-Big: ");
    for (int i = 0; i < 17000; i++)
      mxc_buf_append(&b, "b", 1);
    mxc_buf_printf(&b, "\r\n" CL17 "\r\n" INFO);
  } else if (strcmp(name, "over_100_headers") == 0) {
    mxc_buf_printf(&b, POST_XAS);
    for (int i = 0; i < 120; i++)
      mxc_buf_printf(&b, "X-H%d: v\r\n", i);
    mxc_buf_printf(&b, CL17 "\r\n" INFO);
  } else if (strcmp(name, "deeply_nested_json") == 0) {
    size_t depth = 100000;
    mxc_buf_printf(&b, POST_XAS "Content-Length: %zu\r\n\r\n", depth);
    for (size_t i = 0; i < depth; i++)
      mxc_buf_append(&b, "[", 1);
  }
  *len = b.len;
  return mxc_buf_detach(&b);
}

static int first_status(const char *resp) {
  int st = 0;
  if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
    return 0;
  return st;
}

static mxc_test_mock *start_mock(uint64_t idle_ms) {
  size_t n;
  const mxc_account *acc = mxc_test_accounts(&n);
  mxc_mock_config cfg = {.runtime = {.accounts = acc, .naccounts = n}, .idle_ms = idle_ms};
  return mxc_test_mock_start(&cfg);
}

static const char clean[] = POST_XAS CL17 "\r\n" INFO;

Test(hostile, every_case_gets_its_status_and_the_mock_survives, .timeout = 120) {
  mxc_test_mock *m = start_mock(0);
  int port = mxc_test_mock_port(m);
  size_t n = sizeof cases / sizeof cases[0];
  cr_assert_geq(n, 40, "the table must hold at least 40 cases");
  for (size_t i = 0; i < n; i++) {
    const hostile_case *hc = &cases[i];
    size_t len = hc->len ? hc->len : hc->bytes ? strlen(hc->bytes) : 0;
    char *owned = hc->bytes ? NULL : generated(hc->name, &len);
    const char *bytes = owned ? owned : hc->bytes;
    bool half_close = hc->status == 0; /* the cut-short cases end with the client's EOF */
    bool closed = false;
    size_t rlen = 0;
    /* a kept-alive connection is recognised by a read that times out with it open */
    char *resp =
        mxc_test_raw_ex(port, bytes, len, half_close, hc->closes ? 3000 : 300, &rlen, &closed);
    cr_assert_not_null(resp, "%s: connect failed", hc->name);
    int st = first_status(resp);
    cr_expect_eq(st, hc->status, "%s: expected status %d, got %d (%.80s)", hc->name, hc->status, st,
                 resp);
    if (hc->status == 0)
      cr_expect_eq(rlen, 0, "%s: expected no response, got %.80s", hc->name, resp);
    cr_expect_eq(closed, hc->closes, "%s: the server %s the connection", hc->name,
                 closed ? "closed" : "kept");
    free(resp);
    free(owned);
    /* still serving: a clean request on a new connection */
    resp = mxc_test_raw(port, clean, sizeof clean - 1, 1, 2000, NULL);
    cr_assert_not_null(resp, "after %s: connect failed", hc->name);
    cr_assert_eq(first_status(resp), 200, "after %s: the mock no longer answers (%.80s)", hc->name,
                 resp);
    free(resp);
  }
  cJSON *t = mxc_test_mock_stop(m);
  /* rejected requests are in the transcript with the reason */
  char *text = cJSON_PrintUnformatted(t);
  cr_expect(strstr(text, "\"error\"") != NULL);
  free(text);
  cJSON_Delete(t);
}

Test(hostile, expect_100_continue_then_the_answer, .timeout = 20) {
  mxc_test_mock *m = start_mock(0);
  const char req[] = POST_XAS "Expect: 100-continue\r\n" CL17 "\r\n" INFO;
  char *resp = mxc_test_raw(mxc_test_mock_port(m), req, sizeof req - 1, 1, 2000, NULL);
  cr_assert_not_null(resp);
  cr_expect(strncmp(resp, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 42) == 0, "%s", resp);
  free(resp);
  cJSON_Delete(mxc_test_mock_stop(m));
}

Test(hostile, pipelined_requests_answered_in_order, .timeout = 30) {
  mxc_test_mock *m = start_mock(0);
  mxc_buf b;
  mxc_buf_init(&b, 1u << 20);
  const int n = 200;
  for (int i = 0; i < n; i++) {
    if (i % 2)
      mxc_buf_printf(&b, POST_XAS "Content-Length: 2\r\n\r\n[]");
    else
      mxc_buf_printf(&b, "%s", clean);
  }
  size_t rlen = 0;
  char *resp = mxc_test_raw(mxc_test_mock_port(m), b.data, b.len, 1, 3000, &rlen);
  cr_assert_not_null(resp);
  int seen = 0;
  for (const char *p = strstr(resp, "HTTP/1.1 "); p; p = strstr(p + 1, "HTTP/1.1 ")) {
    int want = seen % 2 ? 400 : 200;
    cr_expect_eq(first_status(p), want, "response %d out of order", seen);
    seen++;
  }
  cr_expect_eq(seen, n, "%d responses for %d requests", seen, n);
  free(resp);
  mxc_buf_cleanup(&b);
  cJSON_Delete(mxc_test_mock_stop(m));
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* Reads one response head+body of a small answer; returns its status. */
static int read_status(int fd, int timeout_ms) {
  char buf[2048];
  size_t got = 0;
  while (got < sizeof buf - 1) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
      break;
    ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
    if (n <= 0)
      break;
    got += (size_t)n;
    buf[got] = '\0';
    const char *end = strstr(buf, "\r\n\r\n");
    const char *cl = strstr(buf, "Content-Length: ");
    if (end && cl && got >= (size_t)(end + 4 - buf) + (size_t)atoi(cl + 16))
      break;
  }
  buf[got] = '\0';
  return first_status(buf);
}

Test(hostile, hundreds_of_keepalive_connections_do_not_starve_a_fresh_one, .timeout = 60) {
  mxc_test_mock *m = start_mock(0);
  int port = mxc_test_mock_port(m);
  enum { N = 300 };
  int fds[N];
  for (int i = 0; i < N; i++) {
    fds[i] = connect_to(port);
    cr_assert_eq(send(fds[i], clean, sizeof clean - 1, MSG_NOSIGNAL), (ssize_t)(sizeof clean - 1));
  }
  for (int i = 0; i < N; i++)
    cr_expect_eq(read_status(fds[i], 5000), 200, "connection %d", i);
  /* all 300 stay open and idle; a new client is served */
  int fresh = connect_to(port);
  send(fresh, clean, sizeof clean - 1, MSG_NOSIGNAL);
  cr_expect_eq(read_status(fresh, 5000), 200);
  /* and the old ones are still usable */
  send(fds[N - 1], clean, sizeof clean - 1, MSG_NOSIGNAL);
  cr_expect_eq(read_status(fds[N - 1], 5000), 200);
  close(fresh);
  for (int i = 0; i < N; i++)
    close(fds[i]);
  cJSON *t = mxc_test_mock_stop(m);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(t, "connections")), N + 1);
  cJSON_Delete(t);
}

Test(hostile, a_slow_peer_does_not_delay_others, .timeout = 30) {
  mxc_test_mock *m = start_mock(0);
  int port = mxc_test_mock_port(m);
  int slow = connect_to(port);
  /* half a request, one byte at a time */
  for (const char *p = POST_XAS; *p && p < POST_XAS + 20; p++)
    send(slow, p, 1, MSG_NOSIGNAL);
  /* a body that never completes */
  int stuck = connect_to(port);
  const char partial[] = POST_XAS "Content-Length: 1000\r\n\r\n{\"action\":";
  send(stuck, partial, sizeof partial - 1, MSG_NOSIGNAL);
  for (int i = 0; i < 20; i++) {
    int fd = connect_to(port);
    send(fd, clean, sizeof clean - 1, MSG_NOSIGNAL);
    cr_expect_eq(read_status(fd, 2000), 200, "request %d behind a slow peer", i);
    close(fd);
  }
  close(slow);
  close(stuck);
  cJSON_Delete(mxc_test_mock_stop(m));
}

Test(hostile, idle_connections_time_out, .timeout = 30) {
  mxc_test_mock *m = start_mock(200);
  bool closed = false;
  uint64_t t0 = mxc_now_ms();
  char *resp = mxc_test_raw_ex(mxc_test_mock_port(m), "", 0, 0, 5000, NULL, &closed);
  cr_assert_not_null(resp);
  cr_expect(closed, "an idle connection was not closed");
  cr_expect_lt(mxc_now_ms() - t0, 4000);
  free(resp);
  cJSON *t = mxc_test_mock_stop(m);
  char *text = cJSON_PrintUnformatted(t);
  cr_expect(strstr(text, "\"end\":\"idle_timeout\"") != NULL, "%s", text);
  free(text);
  cJSON_Delete(t);
}
