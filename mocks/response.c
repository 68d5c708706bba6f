/* HTTP messages as the runtime sees them: the response it builds (header lines, body) and
 * header lookup in a parsed request. */
#include "mocks/runtime.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mxc_http_response_add_header(mxc_http_response *res, const char *fmt, ...) {
  if (res->nheaders >= MXC_HTTP_MAX_RESPONSE_HEADERS)
    return MXC_ELIMIT;
  va_list ap;
  va_start(ap, fmt);
  char tmp[1024];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp)
    return MXC_ELIMIT;
  char *line = mxc_strndup(tmp, (size_t)n);
  if (!line)
    return MXC_ENOMEM;
  res->headers[res->nheaders++] = line;
  return 0;
}

/* Adds the header line made of the n parts, without printf (the hot path sets such cookies on
 * every sign-in). n <= 8. */
int mxc__response_add_parts(mxc_http_response *res, const char *const *parts, size_t n) {
  size_t lens[8], total = 0;
  if (res->nheaders >= MXC_HTTP_MAX_RESPONSE_HEADERS || n > sizeof lens / sizeof lens[0])
    return MXC_ELIMIT;
  for (size_t i = 0; i < n; i++)
    total += lens[i] = strlen(parts[i]);
  char *line = malloc(total + 1);
  if (!line)
    return MXC_ENOMEM;
  char *p = line;
  for (size_t i = 0; i < n; i++) {
    memcpy(p, parts[i], lens[i]);
    p += lens[i];
  }
  *p = '\0';
  res->headers[res->nheaders++] = line;
  return 0;
}

/* Adds a constant header line (a string literal: not copied). */
int mxc__response_add_literal(mxc_http_response *res, const char *line) {
  if (res->nheaders >= MXC_HTTP_MAX_RESPONSE_HEADERS)
    return MXC_ELIMIT;
  res->borrowed |= 1u << res->nheaders;
  res->headers[res->nheaders++] = (char *)line;
  return 0;
}

/* Replaces the body (text: owned unless borrowed). */
void mxc__response_set_body(mxc_http_response *res, char *text, size_t len, bool borrowed) {
  if (!res->body_borrowed)
    free(res->body);
  res->body = text;
  res->body_len = len;
  res->body_borrowed = borrowed;
}

int mxc_http_response_set_json(mxc_http_response *res, int status, const cJSON *body) {
  char *text = cJSON_PrintUnformatted(body);
  if (!text)
    return MXC_ENOMEM;
  mxc__response_set_body(res, text, strlen(text), false);
  res->status = status;
  return 0;
}

int mxc_http_response_json(mxc_http_response *res, int status, cJSON *body) {
  int rc = body ? mxc_http_response_set_json(res, status, body) : MXC_ENOMEM;
  cJSON_Delete(body);
  if (!rc)
    rc = mxc_http_response_add_header(res, "Content-Type: application/json;charset=utf-8");
  if (!rc)
    rc = mxc_http_response_add_header(res, "Cache-Control: no-store");
  return rc;
}

void mxc_http_response_cleanup(mxc_http_response *res) {
  if (!res)
    return;
  mxc__response_set_body(res, NULL, 0, false);
  for (size_t i = 0; i < res->nheaders; i++)
    if (!(res->borrowed & (1u << i)))
      free(res->headers[i]);
  res->nheaders = 0;
  res->borrowed = 0;
}

const char *mxc_http_header_get(const mxc_http_header *h, size_t n, const char *name) {
  int first = tolower((unsigned char)name[0]); /* saves most strcasecmp calls */
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)h[i].name[0]) == first && strcasecmp(h[i].name, name) == 0)
      return h[i].value;
  return NULL;
}
