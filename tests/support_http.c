/* A blocking libcurl client for tests (tests/support_http.h). */
#include "support_http.h"

#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>
#include <time.h>

double mxc_test_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  mxc_buf_append(&((mxc_test_reply *)arg)->body, p, size * n);
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  mxc_test_reply *r = arg;
  if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
    mxc_buf_reset(&r->head); /* a 100 Continue came first: keep the final response only */
  mxc_buf_append(&r->head, p, size * n);
  return size * n;
}

CURL *mxc_test_curl(long timeout_ms, bool jar, const char *ca_file) {
  CURL *h = curl_easy_init();
  cr_assert_not_null(h);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 2000 ? timeout_ms : 2000L);
  if (jar)
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
  if (ca_file) {
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  return h;
}

void mxc_test_http(CURL *h, const mxc_test_request *rq, mxc_test_reply *r) {
  memset(r, 0, sizeof *r);
  mxc_buf_init(&r->head, 1u << 20);
  mxc_buf_init(&r->body, 4u << 20);
  mxc_buf_append(&r->head, "", 0);
  mxc_buf_append(&r->body, "", 0);
  bool head = strcmp(rq->method, "HEAD") == 0;
  struct curl_slist *hdrs = NULL;
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  hdrs = curl_slist_append(hdrs, "Expect:");
  if (rq->body)
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  char tok[256];
  if (rq->csrf) {
    snprintf(tok, sizeof tok, "X-Csrf-Token: %s", rq->csrf);
    hdrs = curl_slist_append(hdrs, tok);
  }
  curl_easy_setopt(h, CURLOPT_URL, rq->url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_COOKIE, rq->cookie);
  curl_easy_setopt(h, CURLOPT_NOBODY, head ? 1L : 0L);
  if (rq->body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
  } else if (!head) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); /* (it would also undo NOBODY) */
  }
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                   head || strcmp(rq->method, rq->body ? "POST" : "GET") == 0 ? NULL : rq->method);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->error);
  double t0 = mxc_test_now_ms();
  r->rc = curl_easy_perform(h);
  r->elapsed_ms = mxc_test_now_ms() - t0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &r->size);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  r->json = cJSON_Parse(r->body.data);
  curl_slist_free_all(hdrs);
}

void mxc_test_reply_cleanup(mxc_test_reply *r) {
  mxc_buf_cleanup(&r->head);
  mxc_buf_cleanup(&r->body);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}

/* The value of the first header line named `name` at or after `from` (its length in *vlen), or
 * NULL. */
static const char *header_line(const char *from, const char *name, size_t *vlen) {
  size_t nlen = strlen(name);
  for (const char *line = from; line && *line;) {
    const char *eol = strstr(line, "\r\n");
    size_t llen = eol ? (size_t)(eol - line) : strlen(line);
    if (llen > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
      const char *v = line + nlen + 1;
      while (*v == ' ')
        v++;
      *vlen = (size_t)(line + llen - v);
      return v;
    }
    line = eol ? eol + 2 : line + llen;
  }
  return NULL;
}

bool mxc_test_header_get(const mxc_test_reply *r, const char *name, char *out, size_t outlen) {
  size_t vlen;
  const char *v = header_line(r->head.data, name, &vlen);
  if (v)
    snprintf(out, outlen, "%.*s", (int)vlen, v);
  return v != NULL;
}

int mxc_test_header_count(const mxc_test_reply *r, const char *name) {
  int n = 0;
  size_t vlen;
  for (const char *v = header_line(r->head.data, name, &vlen); v;
       v = header_line(v + vlen, name, &vlen))
    n++;
  return n;
}
