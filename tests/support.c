/* Test helpers: a mock on a loop thread, raw socket exchanges, running built programs. */
#include "support.h"

#include "common/mxc_util.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

struct mxc_test_mock {
  uv_loop_t loop;
  uv_async_t stop;
  uv_thread_t thread;
  mxc_mock *mock;
  cJSON *transcript;
  char url[64];
};

static void on_closed(mxc_mock *m, void *arg) {
  mxc_test_mock *t = arg;
  t->transcript = mxc_mock_transcript_take(m);
}

static void on_stop(uv_async_t *a) {
  mxc_test_mock *t = a->data;
  mxc_mock_stop(t->mock, on_closed, t);
  uv_close((uv_handle_t *)a, NULL);
}

static void loop_thread(void *arg) {
  mxc_test_mock *t = arg;
  uv_run(&t->loop, UV_RUN_DEFAULT);
}

mxc_test_mock *mxc_test_mock_start(const mxc_mock_config *cfg) {
  signal(SIGPIPE, SIG_IGN);
  mxc_test_mock *t = calloc(1, sizeof *t);
  cr_assert_not_null(t);
  cr_assert_eq(uv_loop_init(&t->loop), 0);
  int rc = mxc_mock_start(&t->loop, cfg, &t->mock);
  cr_assert_eq(rc, 0, "mock did not start: %d", rc);
  uv_async_init(&t->loop, &t->stop, on_stop);
  t->stop.data = t;
  snprintf(t->url, sizeof t->url, "http://127.0.0.1:%d/", mxc_mock_port(t->mock));
  cr_assert_eq(uv_thread_create(&t->thread, loop_thread, t), 0);
  return t;
}

int mxc_test_mock_port(const mxc_test_mock *m) { return mxc_mock_port(m->mock); }

const char *mxc_test_mock_url(const mxc_test_mock *m) { return m->url; }

cJSON *mxc_test_mock_stop(mxc_test_mock *t) {
  uv_async_send(&t->stop);
  uv_thread_join(&t->thread);
  while (uv_run(&t->loop, UV_RUN_NOWAIT) != 0)
    ;
  mxc_mock_free(t->mock);
  cr_assert_eq(uv_loop_close(&t->loop), 0, "a libuv handle of the mock was left open");
  cJSON *tr = t->transcript;
  free(t);
  return tr;
}

static char *r_alice[] = {"User"};
static char *r_root[] = {"Administrator"};
static const mxc_account accounts[] = {
    {.username = "alice", .password = "s3cret", .roles = r_alice, .nroles = 1, .active = true},
    {.username = "bob", .password = "hunter2", .roles = r_alice, .nroles = 1, .active = false},
    {.username = "root", .password = "toor", .roles = r_root, .nroles = 1, .active = true},
};

const mxc_account *mxc_test_accounts(size_t *n) {
  *n = sizeof accounts / sizeof accounts[0];
  return accounts;
}

char *mxc_test_raw(int port, const void *bytes, size_t len, int shutdown_after, int timeout_ms,
                   size_t *out_len) {
  bool closed;
  return mxc_test_raw_ex(port, bytes, len, shutdown_after, timeout_ms, out_len, &closed);
}

char *mxc_test_raw_ex(int port, const void *bytes, size_t len, int shutdown_after, int timeout_ms,
                      size_t *out_len, bool *closed) {
  *closed = false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return NULL;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return NULL;
  }
  const char *p = bytes;
  size_t left = len;
  while (left > 0) {
    ssize_t w = send(fd, p, left, MSG_NOSIGNAL);
    if (w <= 0)
      break;
    p += w;
    left -= (size_t)w;
  }
  if (shutdown_after)
    shutdown(fd, SHUT_WR);
  mxc_buf b;
  mxc_buf_init(&b, 64u << 20);
  mxc_buf_append(&b, "", 0);
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) <= 0)
      break;
    char chunk[4096];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    mxc_buf_append(&b, chunk, (size_t)n);
  }
  close(fd);
  if (out_len)
    *out_len = b.len;
  return mxc_buf_detach(&b);
}

int mxc_test_sh(const char *cmdline, char **out) {
  FILE *f = popen(cmdline, "r");
  cr_assert_not_null(f, "popen failed for %s", cmdline);
  mxc_buf b;
  mxc_buf_init(&b, 256u << 20);
  mxc_buf_append(&b, "", 0);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    mxc_buf_append(&b, chunk, n);
  int st = pclose(f);
  if (out)
    *out = mxc_buf_detach(&b);
  else
    mxc_buf_cleanup(&b);
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

const char *mxc_test_bin(const char *name) {
  static char path[4096];
  const char *dir = getenv("MXC_BUILD_DIR");
  cr_assert_not_null(dir, "MXC_BUILD_DIR is not set (run the tests through ctest)");
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

const char *mxc_test_src(const char *rel) {
  static char path[4096];
  const char *dir = getenv("MXC_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/%s", dir ? dir : MXC_SOURCE_DIR, rel);
  return path;
}

/* ---- reading a transcript ---- */

const char *mxc_test_jstr(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

void mxc_test_assert_jstr(const cJSON *o, const char *key, const char *want) {
  const char *got = mxc_test_jstr(o, key);
  cr_assert(got && strcmp(got, want) == 0, "%s: expected '%s', got '%s'", key, want,
            got ? got : "(absent)");
}

const cJSON *mxc_test_exchanges(const cJSON *tr) {
  const cJSON *x = cJSON_GetObjectItem(tr, "exchanges");
  cr_assert(cJSON_IsArray(x), "transcript has no exchanges array");
  return x;
}

const cJSON *mxc_test_exchange_of(const cJSON *tr, const char *action, int nth) {
  const cJSON *x;
  int want = nth;
  cJSON_ArrayForEach(x, mxc_test_exchanges(tr)) {
    const char *a = mxc_test_jstr(x, "action");
    if (a && strcmp(a, action) == 0 && nth-- == 0)
      return x;
  }
  char *text = cJSON_Print(tr);
  cr_assert_fail("no exchange #%d for action '%s' in transcript:\n%s", want, action, text);
  free(text);
  return NULL;
}
