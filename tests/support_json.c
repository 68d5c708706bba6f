/* Test helpers for JSON reports: reading files, a small JSON Schema check, and the
 * normalisation that makes two runs of the same scenarios comparable. */
#include "support.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *mxc_test_slurp(const char *path) {
  char *text = NULL;
  size_t len;
  int rc = mxc_file_read(path, 64u << 20, &text, &len);
  cr_assert_eq(rc, 0, "cannot read %s: %s", path, mxc_strerror(rc));
  return text;
}

/* ---- a small JSON Schema check in C: type, const, enum, required, properties,
 * additionalProperties: false, items, oneOf and local $ref; enough for report-schema.json ---- */

static bool type_is(const cJSON *v, const char *type) {
  if (strcmp(type, "object") == 0)
    return cJSON_IsObject(v);
  if (strcmp(type, "array") == 0)
    return cJSON_IsArray(v);
  if (strcmp(type, "string") == 0)
    return cJSON_IsString(v);
  if (strcmp(type, "boolean") == 0)
    return cJSON_IsBool(v);
  if (strcmp(type, "null") == 0)
    return cJSON_IsNull(v);
  if (strcmp(type, "number") == 0)
    return cJSON_IsNumber(v);
  if (strcmp(type, "integer") == 0)
    return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
  return false;
}

static bool problem(mxc_buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records what is wrong in *why; returns false. */
static bool problem(mxc_buf *why, const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  mxc_buf_printf(why, "%s", line);
  return false;
}

/* Checks v against schema s; records the first problem found in *why ("$.path: what") and
 * returns false. */
static bool schema_check(const cJSON *root, const cJSON *s, const cJSON *v, const char *path,
                         mxc_buf *why) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");
  if (cJSON_IsString(ref)) {
    cr_assert(strncmp(ref->valuestring, "#/$defs/", 8) == 0, "unsupported $ref %s",
              ref->valuestring);
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "$defs"), ref->valuestring + 8);
    cr_assert_not_null(target, "dangling $ref %s", ref->valuestring);
    if (!schema_check(root, target, v, path, why))
      return false;
  }
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
  if (type) {
    bool ok = false;
    if (cJSON_IsString(type))
      ok = type_is(v, type->valuestring);
    const cJSON *types = cJSON_IsArray(type) ? type : NULL, *t;
    cJSON_ArrayForEach(t, types) ok |= type_is(v, t->valuestring);
    if (!ok)
      return problem(why, "%s: wrong type", path);
  }
  const cJSON *konst = cJSON_GetObjectItemCaseSensitive(s, "const");
  if (konst && !cJSON_Compare(konst, v, true))
    return problem(why, "%s: not the constant", path);
  const cJSON *enumeration = cJSON_GetObjectItemCaseSensitive(s, "enum");
  if (enumeration) {
    bool found = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, enumeration) found |= cJSON_Compare(e, v, true);
    if (!found)
      return problem(why, "%s: not one of the enum", path);
  }
  const cJSON *one_of = cJSON_GetObjectItemCaseSensitive(s, "oneOf");
  if (one_of) {
    int matches = 0;
    const cJSON *alt;
    char *deepest = NULL; /* with no match, the most specific problem says the most */
    cJSON_ArrayForEach(alt, one_of) {
      mxc_buf alt_why;
      mxc_buf_init(&alt_why, 1u << 16);
      bool ok = schema_check(root, alt, v, path, &alt_why);
      matches += ok;
      if (!ok && (!deepest || alt_why.len > strlen(deepest))) {
        free(deepest);
        deepest = mxc_buf_detach(&alt_why);
      }
      mxc_buf_cleanup(&alt_why);
    }
    if (matches != 1) {
      if (matches == 0 && deepest)
        problem(why, "%s", deepest);
      else
        problem(why, "%s: %d oneOf alternatives match", path, matches);
      free(deepest);
      return false;
    }
    free(deepest);
  }
  if (cJSON_IsObject(v)) {
    const cJSON *req;
    cJSON_ArrayForEach(req, cJSON_GetObjectItemCaseSensitive(s, "required")) {
      if (!cJSON_GetObjectItemCaseSensitive(v, req->valuestring))
        return problem(why, "%s: required \"%s\" missing", path, req->valuestring);
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
    bool closed = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "additionalProperties"));
    const cJSON *member;
    cJSON_ArrayForEach(member, v) {
      const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, member->string);
      char *sub = mxc_asprintf("%s.%s", path, member->string);
      bool ok = true;
      if (ps)
        ok = schema_check(root, ps, member, sub, why);
      else if (closed)
        ok = problem(why, "%s: not in the schema", sub);
      free(sub);
      if (!ok)
        return false;
    }
  }
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
  if (items && cJSON_IsArray(v)) {
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
      char *sub = mxc_asprintf("%s[%d]", path, i++);
      bool ok = schema_check(root, items, item, sub, why);
      free(sub);
      if (!ok)
        return false;
    }
  }
  return true;
}

/* NULL when the report text satisfies the schema, else a malloc'ed description. */
char *mxc_test_schema_problem(const char *report_text) {
  char *schema_text = mxc_test_slurp(mxc_test_src("docs/report-schema.json"));
  cJSON *schema = cJSON_Parse(schema_text);
  cr_assert_not_null(schema, "docs/report-schema.json is not JSON");
  cJSON *doc = cJSON_Parse(report_text);
  cr_assert_not_null(doc);
  mxc_buf why;
  mxc_buf_init(&why, 1u << 16);
  bool ok = schema_check(schema, schema, doc, "$", &why);
  char *problem = ok ? NULL : mxc_buf_detach(&why);
  mxc_buf_cleanup(&why);
  cJSON_Delete(doc);
  cJSON_Delete(schema);
  free(schema_text);
  return problem;
}

/* ---- normalising reports: what differs between two runs of the same scenarios and seed ---- */

/* Keys whose values are times (or hold times): replaced whole. */
static const char *const TIME_KEYS[] = {"duration_ms", "started", "t_us", "opened_us",
                                        "closed_us",   "timings", NULL};

static bool is_time_key(const char *key) {
  for (size_t i = 0; key && TIME_KEYS[i]; i++)
    if (strcmp(key, TIME_KEYS[i]) == 0)
      return true;
  return false;
}

typedef struct norm_ctx {
  regex_t port, uuid, reqtoken;
  char *ids[4096]; /* the random ids met in this scenario, numbered in order of appearance */
  size_t nids;
} norm_ctx;

/* s with every match of re replaced by what name(match) gives. */
static char *replace_all(norm_ctx *cx, const char *s, const regex_t *re,
                         void (*name)(norm_ctx *, const char *, size_t, mxc_buf *)) {
  mxc_buf out;
  mxc_buf_init(&out, 64u << 20);
  regmatch_t m;
  const char *p = s;
  while (*p && regexec(re, p, 1, &m, p == s ? 0 : REG_NOTBOL) == 0 && m.rm_eo > m.rm_so) {
    mxc_buf_append(&out, p, (size_t)m.rm_so);
    name(cx, p + m.rm_so, (size_t)(m.rm_eo - m.rm_so), &out);
    p += m.rm_eo;
  }
  mxc_buf_append(&out, p, strlen(p));
  return mxc_buf_detach(&out);
}

static void name_port(norm_ctx *cx, const char *m, size_t len, mxc_buf *out) {
  (void)cx, (void)m, (void)len;
  mxc_buf_printf(out, "127.0.0.1:<port>");
}

static void name_reqtoken(norm_ctx *cx, const char *m, size_t len, mxc_buf *out) {
  (void)cx, (void)m, (void)len;
  mxc_buf_printf(out, "<unix-ms>-<n>");
}

static void name_id(norm_ctx *cx, const char *m, size_t len, mxc_buf *out) {
  size_t i = 0;
  while (i < cx->nids && !(strlen(cx->ids[i]) == len && memcmp(cx->ids[i], m, len) == 0))
    i++;
  if (i == cx->nids && cx->nids < sizeof cx->ids / sizeof cx->ids[0])
    cx->ids[cx->nids++] = mxc_strndup(m, len);
  mxc_buf_printf(out, "<id%zu>", i);
}

/* A new string item that keeps the key of the item it replaces. */
static void replace_with_marker(cJSON *parent, cJSON *item, const char *marker) {
  cJSON *m = cJSON_CreateString(marker);
  m->string = mxc_strdup(item->string);
  cJSON_ReplaceItemViaPointer(parent, item, m);
}

static void normalise_value(norm_ctx *cx, cJSON *v, const char *key) {
  if (cJSON_IsString(v)) {
    char *a = replace_all(cx, v->valuestring, &cx->port, name_port);
    char *b = replace_all(cx, a, &cx->uuid, name_id);
    char *c = key && strcmp(key, "X-Mx-ReqToken") == 0
                  ? replace_all(cx, b, &cx->reqtoken, name_reqtoken)
                  : mxc_strdup(b);
    cJSON_SetValuestring(v, c);
    free(a);
    free(b);
    free(c);
    return;
  }
  /* a header is ["Name", "value"]: the name decides how the value is read */
  const char *header =
      cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 && cJSON_IsString(cJSON_GetArrayItem(v, 0))
          ? cJSON_GetArrayItem(v, 0)->valuestring
          : NULL;
  /* a TLS connection's byte counts vary with the run's fresh certificates (signature sizes) */
  bool tls = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, "tls"));
  cJSON *next;
  for (cJSON *child = v->child; child; child = next) {
    next = child->next; /* a replaced child is freed */
    if (tls && child->string &&
        (strcmp(child->string, "bytes_in") == 0 || strcmp(child->string, "bytes_out") == 0)) {
      replace_with_marker(v, child, "<tls-bytes>");
      continue;
    }
    if (is_time_key(child->string))
      replace_with_marker(v, child, "<time>");
    else
      normalise_value(cx, child, child->string ? child->string : header);
  }
}

/* Byte counts that depend on timing: a faulted answer (paced, delayed, stalled) that the client
 * gave up on part-way left after as many bytes as the clock allowed. */
static void normalise_paced(cJSON *transcript) {
  double conns[256];
  size_t nconns = 0;
  cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(transcript, "exchanges")) {
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(x, "faults")) == 0)
      continue;
    cJSON *bytes = cJSON_GetObjectItemCaseSensitive(x, "response_bytes");
    if (bytes)
      replace_with_marker(x, bytes, "<paced-bytes>");
    cJSON *conn = cJSON_GetObjectItemCaseSensitive(x, "conn");
    if (cJSON_IsNumber(conn) && nconns < 256)
      conns[nconns++] = conn->valuedouble;
  }
  cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(transcript, "connections")) {
    cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    bool paced = false;
    for (size_t i = 0; cJSON_IsNumber(id) && i < nconns; i++)
      paced |= conns[i] == id->valuedouble;
    cJSON *out = cJSON_GetObjectItemCaseSensitive(c, "bytes_out");
    if (paced && out)
      replace_with_marker(c, out, "<paced-bytes>");
    /* the client ended it: whether its kernel sent FIN or RST depends on whether an answer's
     * bytes were still unread when it closed, which is a matter of timing */
    cJSON *end = cJSON_GetObjectItemCaseSensitive(c, "end");
    if (cJSON_IsString(end) && (strcmp(end->valuestring, "client_closed") == 0 ||
                                strcmp(end->valuestring, "client_reset") == 0))
      replace_with_marker(c, end, "<client-ended>");
  }
}

static void normalise_run(norm_ctx *cx, cJSON *run) {
  cJSON *next;
  for (cJSON *child = run->child; child; child = next) {
    next = child->next; /* a replaced child is freed */
    if (child->string && strcmp(child->string, "scenarios") == 0) {
      cJSON *sc;
      cJSON_ArrayForEach(sc, child) {
        normalise_paced(cJSON_GetObjectItemCaseSensitive(sc, "transcript"));
        normalise_value(cx, sc, NULL);
        for (size_t i = 0; i < cx->nids; i++)
          free(cx->ids[i]);
        cx->nids = 0; /* ids are numbered per scenario */
      }
    } else if (child->string && strcmp(child->string, "runs") == 0) {
      cJSON *r;
      cJSON_ArrayForEach(r, child) normalise_run(cx, r);
    } else {
      if (is_time_key(child->string))
        replace_with_marker(run, child, "<time>");
    }
  }
}

char *mxc_test_report_normalised(const char *json_text) {
  cJSON *doc = cJSON_Parse(json_text);
  cr_assert_not_null(doc, "not JSON:\n%.2000s", json_text);
  static norm_ctx cx;
  cr_assert_eq(regcomp(&cx.port, "127\\.0\\.0\\.1:[0-9]+", REG_EXTENDED), 0);
  cr_assert_eq(regcomp(&cx.uuid, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                       REG_EXTENDED),
               0);
  cr_assert_eq(regcomp(&cx.reqtoken, "[0-9]+-[0-9]+", REG_EXTENDED), 0);
  normalise_run(&cx, doc);
  regfree(&cx.port);
  regfree(&cx.uuid);
  regfree(&cx.reqtoken);
  char *out = cJSON_Print(doc);
  cJSON_Delete(doc);
  return out;
}

void mxc_test_expect_same_text(const char *got, const char *want, const char *what) {
  if (strcmp(got, want) == 0)
    return;
  size_t line = 1, i = 0;
  while (got[i] && got[i] == want[i])
    line += got[i++] == '\n';
  size_t start = i;
  while (start > 0 && got[start - 1] != '\n')
    start--;
  cr_expect_fail("%s differ from line %zu:\n  got:  %.200s\n  want: %.200s", what, line,
                 got + start, want + start);
}
