/* Parsing HTTP/1.1 requests: llhttp's callbacks, which collect a request into its connection
 * under the limits of PROTOCOL.md section 1 and check header syntax and framing. A refused
 * request leaves its status and reason in the connection (server.c answers it). */
#include "mocks/mock_internal.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

void mxc__request_reset(conn *c) {
  mxc_buf_reset(&c->url);
  mxc_buf_reset(&c->fields);
  mxc_buf_reset(&c->body);
  c->nheaders = 0;
  c->header_bytes = 0;
  c->field_state = FIELD_NONE;
  c->reject_status = 0;
  c->reject_reason = NULL;
  c->head = false;
}

/* Refuses the request being parsed: status and reason for the answer; -1 for llhttp. */
static int reject(conn *c, int status, const char *reason) {
  c->reject_status = status;
  c->reject_reason = reason;
  return -1;
}

static bool is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Field names are tokens; values hold no CR, LF or NUL (obs-fold is refused, RFC 9112 5.2). */
static int check_header_syntax(conn *c) {
  for (size_t i = 0; i < c->nheaders; i++) {
    const unsigned char *n = (const unsigned char *)c->headers[i].name;
    if (!*n)
      return reject(c, 400, "empty header field name");
    for (; *n; n++)
      if (!is_tchar(*n))
        return reject(c, 400, "invalid character in a header field name");
    if (strpbrk(c->headers[i].value, "\r\n"))
      return reject(c, 400, "line folding or a bare CR/LF in a header field value");
  }
  return 0;
}

/* Host exactly once in HTTP/1.1 (RFC 9112 3.2); chunked is the only transfer coding we know. */
static int check_framing(conn *c, llhttp_t *p) {
  size_t hosts = 0;
  for (size_t i = 0; i < c->nheaders; i++) {
    int first = tolower((unsigned char)c->headers[i].name[0]); /* saves most strcasecmp calls */
    if (first == 'h' && strcasecmp(c->headers[i].name, "Host") == 0)
      hosts++;
    else if (first == 't' && strcasecmp(c->headers[i].name, "Transfer-Encoding") == 0) {
      const char *v = c->headers[i].value;
      while (*v == ' ' || *v == '\t')
        v++;
      size_t len = strlen(v);
      while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
      if (len != 7 || strncasecmp(v, "chunked", 7) != 0)
        return reject(c, 501, "unsupported transfer coding");
    }
  }
  if (hosts > 1)
    return reject(c, 400, "more than one Host header");
  if (hosts == 0 && llhttp_get_http_major(p) == 1 && llhttp_get_http_minor(p) == 1)
    return reject(c, 400, "HTTP/1.1 request without Host");
  return 0;
}

static int on_chunk_header(llhttp_t *p) {
  conn *c = p->data;
  if (p->content_length > MXC_MOCK_MAX_BODY - c->body.len)
    return reject(c, 413, "body over 1 MiB");
  return 0;
}

/* mxc_buf_append, without the call when the bytes fit (the parser's callbacks append a few
 * bytes at a time). */
static inline int buf_add(mxc_buf *b, const char *at, size_t len) {
  if (b->data && len < b->alloc - b->len && len <= b->cap - b->len) {
    memcpy(b->data + b->len, at, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
  }
  return mxc_buf_append(b, at, len);
}

static int header_bytes_add(conn *c, size_t n) {
  c->header_bytes += n;
  if (c->header_bytes > MXC_MOCK_MAX_HEADER_BYTES) {
    return reject(c, 431, "header section over 16 KiB");
  }
  return 0;
}

static int on_message_begin(llhttp_t *p) {
  mxc__request_reset(p->data);
  return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  if (c->url.len + len > MXC__MAX_URL_BYTES)
    return reject(c, 414, "request target over 8 KiB");
  if (header_bytes_add(c, len) || buf_add(&c->url, at, len))
    return -1;
  return 0;
}

/* Ends the field's name (an empty one when none came) and starts its value. */
static int value_begin(conn *c) {
  if (c->field_state == FIELD_VALUE)
    return 0;
  if (c->field_state == FIELD_NONE)
    c->cur_name = (uint32_t)c->fields.len;
  if (buf_add(&c->fields, "", 1))
    return -1;
  c->cur_value = (uint32_t)c->fields.len;
  c->field_state = FIELD_VALUE;
  return 0;
}

/* Adds the field whose value was being parsed to the request's headers. */
static int push_header(conn *c) {
  if (c->field_state != FIELD_VALUE)
    return 0;
  if (c->nheaders >= MXC_MOCK_MAX_HEADERS)
    return reject(c, 431, "more than 100 header fields");
  if (buf_add(&c->fields, "", 1))
    return -1;
  c->name_off[c->nheaders] = c->cur_name;
  c->value_off[c->nheaders] = c->cur_value;
  c->nheaders++;
  c->field_state = FIELD_NONE;
  return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  if (push_header(c) || header_bytes_add(c, len))
    return -1;
  if (c->field_state == FIELD_NONE) {
    c->cur_name = (uint32_t)c->fields.len;
    c->field_state = FIELD_NAME;
  }
  return buf_add(&c->fields, at, len) ? -1 : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  /* a value never starts a line: when it does, llhttp is continuing an obs-fold */
  char before = at > c->feed_start ? at[-1] : c->prev_last;
  if (before == '\n')
    return reject(c, 400, "obsolete line folding in a header field value");
  if (value_begin(c) || header_bytes_add(c, len) || buf_add(&c->fields, at, len))
    return -1;
  return 0;
}

static int on_header_value_complete(llhttp_t *p) {
  conn *c = p->data;
  /* an empty value has no on_header_value call */
  return value_begin(c) || push_header(c) ? -1 : 0;
}

static int on_headers_complete(llhttp_t *p) {
  conn *c = p->data;
  c->head = llhttp_get_method(p) == HTTP_HEAD;
  if (push_header(c))
    return -1;
  for (size_t i = 0; i < c->nheaders; i++) {
    c->headers[i].name = c->fields.data + c->name_off[i];
    c->headers[i].value = c->fields.data + c->value_off[i];
  }
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > MXC_MOCK_MAX_BODY)
    return reject(c, 413, "body over 1 MiB");
  if (check_header_syntax(c) || check_framing(c, p))
    return -1;
  const char *expect = mxc_http_header_get(c->headers, c->nheaders, "Expect");
  if (expect && strcasecmp(expect, "100-continue") == 0) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    tx *t = mxc__tx_raw(cont, sizeof cont - 1, TX_KEEP);
    if (!t)
      return -1;
    mxc__tx_enqueue(c, t); /* behind any answer still on its way */
  }
  return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len) {
  conn *c = p->data;
  int rc = buf_add(&c->body, at, len);
  if (rc == MXC_ELIMIT)
    return reject(c, 413, "body over 1 MiB");
  return rc ? -1 : 0;
}

static int on_message_complete(llhttp_t *p) {
  (void)p;
  return HPE_PAUSED; /* answered in conn_feed, one request at a time, in order */
}

const llhttp_settings_t mxc__parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};
