/* A blocking libcurl client for tests that talk to a mock the way an independent client does. */
#ifndef MXC_TEST_SUPPORT_HTTP_H
#define MXC_TEST_SUPPORT_HTTP_H

#include "common/mxc_util.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>

/* One HTTP exchange as the client saw it. */
typedef struct mxc_test_reply {
  CURLcode rc;
  long status;
  curl_off_t size;   /* CURLINFO_SIZE_DOWNLOAD_T: body bytes received */
  long connects;     /* CURLINFO_NUM_CONNECTS: new connections this transfer made */
  double elapsed_ms; /* around curl_easy_perform */
  mxc_buf head;      /* header lines of the final response (a 100 Continue is dropped), CRLF kept */
  mxc_buf body;
  cJSON *json; /* body parsed, or NULL */
  char error[CURL_ERROR_SIZE];
} mxc_test_reply;

typedef struct mxc_test_request {
  const char *method; /* GET, POST, HEAD, or any other (sent as a custom method) */
  const char *url;    /* absolute */
  const char *body;   /* NULL: none; sent as application/json */
  const char *cookie; /* an explicit Cookie header value (NULL: only what the jar has) */
  const char *csrf;   /* X-Csrf-Token (NULL: none) */
} mxc_test_request;

/* A client handle with the given total timeout. `jar`: cookies persist across requests like in a
 * real client. `ca_file`: trust only this CA and verify peer and host (NULL: plain HTTP use). */
CURL *mxc_test_curl(long timeout_ms, bool jar, const char *ca_file);
/* Performs the request into *r (clean it up with mxc_test_reply_cleanup). */
void mxc_test_http(CURL *h, const mxc_test_request *rq, mxc_test_reply *r);
void mxc_test_reply_cleanup(mxc_test_reply *r);

/* Value of response header `name` (first occurrence) into out; false when absent. */
bool mxc_test_header_get(const mxc_test_reply *r, const char *name, char *out, size_t outlen);
/* How many times response header `name` occurs. */
int mxc_test_header_count(const mxc_test_reply *r, const char *name);

/* The monotonic clock in milliseconds. */
double mxc_test_now_ms(void);

#endif
