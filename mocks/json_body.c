/* A request body's JSON without allocating: a scanner for the usual shape that builds the
 * same tree cJSON_ParseWithLength (cJSON 1.7) would, in nodes and text kept in the caller's
 * mxc_json_body. It gives up (and cJSON parses) on anything else: numbers, arrays, escapes,
 * a byte-order mark, deep nesting, and the end of the input before the root object closes
 * (where cJSON has quirks of its own). */
#include "mocks/json_body.h"

#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 4

typedef struct scan {
  const unsigned char *s;
  size_t pos, len;
  mxc_json_body *b;
  size_t nnodes, ntext;
} scan;

/* Skips what cJSON counts as whitespace (every byte up to 32); false at the end of input. */
static bool skip_ws(scan *p) {
  while (p->pos < p->len && p->s[p->pos] <= 32)
    p->pos++;
  return p->pos < p->len;
}

static cJSON *node_new(scan *p) {
  if (p->nnodes == MXC_JSON_BODY_NODES)
    return NULL;
  cJSON *n = &p->b->nodes[p->nnodes++];
  memset(n, 0, sizeof *n);
  return n;
}

/* The string at p->pos (a '"') when it has no escapes, copied into the text area; NULL
 * otherwise. */
static char *scan_string(scan *p) {
  const unsigned char *start = p->s + p->pos + 1;
  const unsigned char *q = memchr(start, '"', p->len - p->pos - 1);
  if (!q || memchr(start, '\\', (size_t)(q - start)))
    return NULL;
  size_t n = (size_t)(q - start);
  if (n >= sizeof p->b->text - p->ntext)
    return NULL;
  char *out = p->b->text + p->ntext;
  memcpy(out, start, n);
  out[n] = '\0';
  p->ntext += n + 1;
  p->pos = (size_t)(q - p->s) + 1;
  return out;
}

static bool scan_object(scan *p, cJSON *item, int depth);

/* A value at p->pos (not at the end of input); its span is recorded. */
static bool scan_value(scan *p, cJSON *item, int depth) {
  size_t *span = p->b->span[item - p->b->nodes];
  span[0] = p->pos;
  const unsigned char *at = p->s + p->pos;
  size_t left = p->len - p->pos;
  if (left >= 4 && memcmp(at, "null", 4) == 0) {
    item->type = cJSON_NULL;
    p->pos += 4;
  } else if (left >= 5 && memcmp(at, "false", 5) == 0) {
    item->type = cJSON_False;
    p->pos += 5;
  } else if (left >= 4 && memcmp(at, "true", 4) == 0) {
    item->type = cJSON_True;
    item->valueint = 1;
    p->pos += 4;
  } else if (*at == '"') {
    item->valuestring = scan_string(p);
    if (!item->valuestring)
      return false;
    item->type = cJSON_String;
  } else if (*at != '{' || !scan_object(p, item, depth + 1)) {
    return false;
  }
  span[1] = p->pos;
  return true;
}

/* An object at p->pos (a '{'). */
static bool scan_object(scan *p, cJSON *item, int depth) {
  if (depth > MAX_DEPTH)
    return false;
  p->pos++;
  if (!skip_ws(p))
    return false;
  cJSON *head = NULL, *last = NULL;
  if (p->s[p->pos] != '}') {
    for (;;) {
      cJSON *child = node_new(p);
      if (!child || p->s[p->pos] != '"' || !(child->string = scan_string(p)))
        return false;
      if (!skip_ws(p) || p->s[p->pos] != ':')
        return false;
      p->pos++;
      if (!skip_ws(p) || !scan_value(p, child, depth) || !skip_ws(p))
        return false;
      if (last) {
        last->next = child;
        child->prev = last;
      } else {
        head = child;
      }
      last = child;
      if (p->s[p->pos] != ',')
        break;
      p->pos++;
      if (!skip_ws(p))
        return false;
    }
    if (p->s[p->pos] != '}')
      return false;
  }
  p->pos++;
  if (head)
    head->prev = last; /* as cJSON links a parsed object's children */
  item->type = cJSON_Object;
  item->child = head;
  return true;
}

cJSON *mxc_json_body_parse(mxc_json_body *b, const char *text, size_t len) {
  scan p = {.s = (const unsigned char *)text, .len = len, .b = b};
  b->root = b->parsed = NULL;
  /* a leading 0xEF may be a byte-order mark, which cJSON skips */
  if (text && len && p.s[0] != 0xEF && skip_ws(&p) && p.s[p.pos] == '{') {
    cJSON *root = node_new(&p);
    if (scan_value(&p, root, -1)) /* what follows the root is ignored, as by cJSON */
      return b->root = root;
  }
  b->root = b->parsed = cJSON_ParseWithLength(text ? text : "", len);
  return b->root;
}

bool mxc_json_body_span(const mxc_json_body *b, const cJSON *node, size_t *start, size_t *end) {
  if (b->parsed || !b->root || node < b->nodes || node >= b->nodes + MXC_JSON_BODY_NODES)
    return false;
  *start = b->span[node - b->nodes][0];
  *end = b->span[node - b->nodes][1];
  return true;
}

void mxc_json_body_cleanup(mxc_json_body *b) {
  if (!b)
    return;
  cJSON_Delete(b->parsed);
  b->root = b->parsed = NULL;
}
