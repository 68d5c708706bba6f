/* The fault table: kinds, parameters and presets; JSON and spec parsing; the seeded RNG. */
#include "mocks/faults.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct kind_def {
  const char *name;
  mxc_fault_stage stage;
  const char *doc;
} kinds[] = {{"none", MXC_STAGE_REPLACE, ""},
#define XX(e, name, stage, doc) {name, stage, doc},
             MXC_FAULT_KINDS(XX)
#undef XX
};

const char *mxc_fault_kind_name(mxc_fault_kind k) {
  return (size_t)k < sizeof kinds / sizeof kinds[0] ? kinds[k].name : "?";
}

mxc_fault_stage mxc_fault_stage_of(mxc_fault_kind k) {
  return (size_t)k < sizeof kinds / sizeof kinds[0] ? kinds[k].stage : MXC_STAGE_REPLACE;
}

/* ---- parameters ---- */

typedef enum { P_INT, P_DOUBLE, P_STRING, P_HEADER } param_type;

#define K(e) (1ull << MXC_FAULT_##e)
#define ANSWERS                                                                                    \
  (K(STATUS) | K(FORBIDDEN) | K(RATE_LIMITED) | K(SERVER_ERROR) | K(BAD_GATEWAY) |                 \
   K(MAINTENANCE) | K(ERROR_560) | K(REDIRECT) | K(BAD_JSON) | K(WRONG_TYPE))
#define SELECTABLE (~(K(REFUSED) | K(UNRESOLVABLE)))

static const struct param {
  const char *name;
  param_type type;
  uint64_t kinds;
  double min, max;
  size_t offset;
  const char *doc;
} params[] = {
    {"times", P_INT, SELECTABLE, 0, 1e6, offsetof(mxc_fault, times),
     "apply to at most N matches (0: all)"},
    {"nth", P_INT, SELECTABLE, 0, 1e6, offsetof(mxc_fault, nth),
     "only the Nth matching request (1-based)"},
    {"conn", P_INT, SELECTABLE, 0, 1e6, offsetof(mxc_fault, conn),
     "only requests on the Nth connection"},
    {"p", P_DOUBLE, SELECTABLE, 1e-9, 1, offsetof(mxc_fault, p), "probability per match (seeded)"},
    {"after", P_INT, K(REFUSED), 0, 1e6, offsetof(mxc_fault, after),
     "answers served before refusing"},
    {"code", P_INT, ANSWERS, 100, 599, offsetof(mxc_fault, code), "HTTP status"},
    {"body", P_STRING, ANSWERS, 0, 0, offsetof(mxc_fault, body), "response body"},
    {"content_type", P_STRING, ANSWERS, 0, 0, offsetof(mxc_fault, content_type), "Content-Type"},
    {"header", P_HEADER, ANSWERS, 0, 0, offsetof(mxc_fault, headers),
     "extra \"Name: value\" (repeatable)"},
    {"ms", P_INT, K(DELAY), 0, 600000, offsetof(mxc_fault, ms), "fixed delay"},
    {"min_ms", P_INT, K(DELAY), 0, 600000, offsetof(mxc_fault, min_ms),
     "uniform delay, lower bound"},
    {"max_ms", P_INT, K(DELAY), 0, 600000, offsetof(mxc_fault, max_ms),
     "uniform delay, upper bound"},
    {"median_ms", P_DOUBLE, K(DELAY), 0.001, 600000, offsetof(mxc_fault, median_ms),
     "lognormal delay, median"},
    {"sigma", P_DOUBLE, K(DELAY), 0, 10, offsetof(mxc_fault, sigma), "lognormal delay, shape"},
    {"bytes", P_INT, K(GARBAGE) | K(DRIBBLE) | K(CLOSE_AFTER_BYTES) | K(CHUNKED), 1, 1 << 20,
     offsetof(mxc_fault, bytes), "byte count"},
    {"interval_ms", P_INT, K(DRIBBLE), 0, 600000, offsetof(mxc_fault, interval_ms),
     "pause between writes"},
    {"rate", P_INT, K(BANDWIDTH), 1, 1 << 30, offsetof(mxc_fault, rate), "bytes per second"},
    {"missing", P_INT, K(TRUNCATE), 1, 1 << 20, offsetof(mxc_fault, missing),
     "body bytes left out"},
    {"idle_ms", P_INT, K(STALE), 0, 600000, offsetof(mxc_fault, idle_ms),
     "idle time before the close"},
};

static const struct param *param_find(const char *name) {
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
    if (strcmp(params[i].name, name) == 0)
      return &params[i];
  return NULL;
}

static void set_defaults(mxc_fault *f) {
  f->after = 1;
  f->bytes = f->kind == MXC_FAULT_GARBAGE             ? 64
             : f->kind == MXC_FAULT_CLOSE_AFTER_BYTES ? 10
             : f->kind == MXC_FAULT_CHUNKED           ? 16
                                                      : 1;
  f->interval_ms = 10;
  f->rate = 1000;
  f->missing = 1;
  f->idle_ms = 0;
  f->ms = f->min_ms = f->max_ms = -1;
  f->median_ms = f->sigma = -1;
}

static int add_header(mxc_fault *f, const cJSON *it, char *err, size_t errlen) {
  if (!cJSON_IsString(it) || !strchr(it->valuestring, ':') || it->valuestring[0] == ':' ||
      strpbrk(it->valuestring, "\r\n")) {
    snprintf(err, errlen, "header: expected \"Name: value\" (no CR/LF)");
    return MXC_EINVAL;
  }
  if (f->nheaders >= MXC_FAULT_MAX_HEADERS) {
    snprintf(err, errlen, "header: at most %d headers", MXC_FAULT_MAX_HEADERS);
    return MXC_EINVAL;
  }
  return (f->headers[f->nheaders++] = mxc_strdup(it->valuestring)) ? 0 : MXC_ENOMEM;
}

static int set_param(mxc_fault *f, const struct param *p, const cJSON *v, char *err,
                     size_t errlen) {
  char *field = (char *)f + p->offset;
  if (p->type == P_INT || p->type == P_DOUBLE) {
    bool whole = cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
    if (!cJSON_IsNumber(v) || (p->type == P_INT && !whole) || v->valuedouble < p->min ||
        v->valuedouble > p->max) {
      snprintf(err, errlen, "%s: expected %s from %g to %g", p->name,
               p->type == P_INT ? "a whole number" : "a number", p->min, p->max);
      return MXC_EINVAL;
    }
    if (p->type == P_INT)
      *(int *)field = (int)v->valuedouble;
    else
      *(double *)field = v->valuedouble;
    return 0;
  }
  if (p->type == P_HEADER) {
    if (cJSON_IsString(v))
      return add_header(f, v, err, errlen);
    if (!cJSON_IsArray(v)) {
      snprintf(err, errlen, "%s: expected \"Name: value\" or a list of them", p->name);
      return MXC_EINVAL;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
      int rc = add_header(f, it, err, errlen);
      if (rc)
        return rc;
    }
    return 0;
  }
  if (!cJSON_IsString(v)) {
    snprintf(err, errlen, "%s: expected a string", p->name);
    return MXC_EINVAL;
  }
  char **slot = (char **)field;
  free(*slot);
  *slot = mxc_strdup(v->valuestring);
  return *slot ? 0 : MXC_ENOMEM;
}

static int check_kind_needs(mxc_fault *f, char *err, size_t errlen) {
  if (mxc_fault_stage_of(f->kind) == MXC_STAGE_HANDSHAKE && strcmp(f->match, "*") != 0) {
    snprintf(err, errlen,
             "match: fault kind '%s' acts at the TLS handshake, before any request is known: "
             "use \"*\" (conn, nth, times and p select connections)",
             kinds[f->kind].name);
    return MXC_EINVAL;
  }
  if (f->kind == MXC_FAULT_STATUS && f->code == 0) {
    snprintf(err, errlen, "code: fault kind 'status' needs a code");
    return MXC_EINVAL;
  }
  if (f->kind == MXC_FAULT_DELAY) {
    int modes =
        (f->ms >= 0) + (f->min_ms >= 0 || f->max_ms >= 0) + (f->median_ms >= 0 || f->sigma >= 0);
    if (modes != 1) {
      snprintf(err, errlen, "ms: a delay needs exactly one of ms, min_ms+max_ms, median_ms+sigma");
      return MXC_EINVAL;
    }
    if ((f->min_ms >= 0) != (f->max_ms >= 0) || f->min_ms > f->max_ms) {
      snprintf(err, errlen, "min_ms: a uniform delay needs min_ms <= max_ms, both given");
      return MXC_EINVAL;
    }
    if ((f->median_ms >= 0) != (f->sigma >= 0)) {
      snprintf(err, errlen, "median_ms: a lognormal delay needs median_ms and sigma");
      return MXC_EINVAL;
    }
  }
  return 0;
}

int mxc_fault_from_json(const cJSON *o, mxc_fault *f, char *err, size_t errlen) {
  int rc = MXC_EINVAL;
  memset(f, 0, sizeof *f);
  snprintf(f->match, sizeof f->match, "*");
  if (!cJSON_IsObject(o)) {
    snprintf(err, errlen, "expected an object");
    return MXC_EINVAL;
  }
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
  if (!cJSON_IsString(kind)) {
    snprintf(err, errlen, "kind: missing or not a string");
    return MXC_EINVAL;
  }
  for (size_t k = 1; k < sizeof kinds / sizeof kinds[0]; k++)
    if (strcmp(kinds[k].name, kind->valuestring) == 0)
      f->kind = (mxc_fault_kind)k;
  if (f->kind == MXC_FAULT_NONE) {
    snprintf(err, errlen, "kind: unknown fault kind '%.80s' (see docs/faults.md)",
             kind->valuestring);
    return MXC_EINVAL;
  }
  set_defaults(f);
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    if (strcmp(it->string, "kind") == 0)
      continue;
    if (strcmp(it->string, "match") == 0) {
      if (!cJSON_IsString(it) || !it->valuestring[0] ||
          strlen(it->valuestring) >= sizeof f->match || strchr(it->valuestring, ':')) {
        snprintf(err, errlen, "match: expected an XAS action name or \"*\"");
        goto fail;
      }
      snprintf(f->match, sizeof f->match, "%s", it->valuestring);
      continue;
    }
    const struct param *p = param_find(it->string);
    if (!p || !(p->kinds & (1ull << f->kind))) {
      snprintf(err, errlen, "%.80s: not a parameter of fault kind '%s'", it->string,
               kinds[f->kind].name);
      goto fail;
    }
    if ((rc = set_param(f, p, it, err, errlen)) != 0)
      goto fail;
    rc = MXC_EINVAL;
  }
  if (check_kind_needs(f, err, errlen) == 0)
    return 0;
fail:
  mxc_fault_cleanup(f);
  return rc;
}

/* The next PARAM=VALUE of a spec's parameter list at *cursor, split at the first comma that
 * no backslash escapes; a backslash before a comma or a backslash is removed (in place), so a
 * value can hold commas. NULL at the end. */
static char *next_param(char **cursor) {
  char *start = *cursor, *out = start, *in = start;
  if (!start)
    return NULL;
  for (; *in && *in != ','; in++) {
    if (in[0] == '\\' && (in[1] == ',' || in[1] == '\\'))
      in++;
    *out++ = *in;
  }
  *cursor = *in ? in + 1 : NULL;
  *out = '\0';
  return start;
}

int mxc_fault_from_spec(const char *spec, mxc_fault *f, char *err, size_t errlen) {
  int rc = MXC_EINVAL;
  memset(f, 0, sizeof *f);
  if (spec[0] == '{') { /* a fault object, as scenario files write it */
    cJSON *o = cJSON_Parse(spec);
    if (!o) {
      snprintf(err, errlen, "'%.80s': not a JSON object", spec);
      return MXC_EINVAL;
    }
    rc = mxc_fault_from_json(o, f, err, errlen);
    cJSON_Delete(o);
    return rc;
  }
  const char *c1 = strchr(spec, ':');
  if (!c1 || c1 == spec) {
    snprintf(err, errlen, "'%.80s': expected MATCH:KIND[:PARAM=VALUE,...]", spec);
    return MXC_EINVAL;
  }
  const char *c2 = strchr(c1 + 1, ':');
  char *match = mxc_strndup(spec, (size_t)(c1 - spec));
  char *kind = c2 ? mxc_strndup(c1 + 1, (size_t)(c2 - c1 - 1)) : mxc_strdup(c1 + 1);
  cJSON *o = cJSON_CreateObject();
  cJSON *hdrs = NULL;
  char *rest = c2 ? mxc_strdup(c2 + 1) : NULL;
  if (!match || !kind || !o || (c2 && !rest)) {
    rc = MXC_ENOMEM;
    goto out;
  }
  cJSON_AddStringToObject(o, "match", match);
  cJSON_AddStringToObject(o, "kind", kind);
  char *cursor = rest;
  for (char *kv = next_param(&cursor); kv; kv = next_param(&cursor)) {
    if (!*kv)
      continue; /* "a=1,,b=2" or a trailing comma */
    char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
      snprintf(err, errlen, "'%.60s': expected PARAM=VALUE", kv);
      goto out;
    }
    *eq = '\0';
    const char *val = eq + 1;
    const struct param *p = param_find(kv);
    if (!p) {
      snprintf(err, errlen, "%.60s: not a parameter of fault kind '%.40s'", kv, kind);
      goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, kv) && p->type != P_HEADER) {
      snprintf(err, errlen, "%.60s: given twice", kv);
      goto out;
    }
    if (p->type == P_INT || p->type == P_DOUBLE) {
      char *end;
      double d = strtod(val, &end);
      if (!*val || *end) {
        snprintf(err, errlen, "%.60s: '%.40s' is not a number", kv, val);
        goto out;
      }
      cJSON_AddNumberToObject(o, kv, d);
    } else if (p->type == P_HEADER) {
      if (!hdrs && !(hdrs = cJSON_AddArrayToObject(o, kv))) {
        rc = MXC_ENOMEM;
        goto out;
      }
      cJSON_AddItemToArray(hdrs, cJSON_CreateString(val));
    } else {
      cJSON_AddStringToObject(o, kv, val);
    }
  }
  rc = mxc_fault_from_json(o, f, err, errlen);
out:
  free(match);
  free(kind);
  free(rest);
  cJSON_Delete(o);
  return rc;
}

cJSON *mxc_fault_to_json(const mxc_fault *f) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "kind", mxc_fault_kind_name(f->kind));
  if (mxc_fault_stage_of(f->kind) != MXC_STAGE_LISTENER &&
      mxc_fault_stage_of(f->kind) != MXC_STAGE_HARNESS)
    cJSON_AddStringToObject(o, "match", f->match);
  /* a 0 is written when it is not what an absent parameter reads back as (after=0, ms=0,
   * min_ms=0, sigma=0, interval_ms=0, idle_ms=0) */
  mxc_fault defaults = {.kind = f->kind};
  set_defaults(&defaults);
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    const struct param *p = &params[i];
    if (!(p->kinds & (1ull << f->kind)))
      continue;
    const char *field = (const char *)f + p->offset;
    const char *dflt = (const char *)&defaults + p->offset;
    if (p->type == P_INT) {
      int v = *(const int *)field;
      if (v > 0 || (v == 0 && *(const int *)dflt != 0))
        cJSON_AddNumberToObject(o, p->name, v);
    } else if (p->type == P_DOUBLE) {
      double v = *(const double *)field;
      if (v > 0 || (v == 0 && *(const double *)dflt != 0))
        cJSON_AddNumberToObject(o, p->name, v);
    } else if (p->type == P_HEADER) {
      if (f->nheaders) {
        cJSON *arr = cJSON_AddArrayToObject(o, p->name);
        for (size_t h = 0; h < f->nheaders; h++)
          cJSON_AddItemToArray(arr, cJSON_CreateString(f->headers[h]));
      }
    } else if (*(char *const *)field) {
      cJSON_AddStringToObject(o, p->name, *(char *const *)field);
    }
  }
  return o;
}

int mxc_fault_copy(mxc_fault *dst, const mxc_fault *src) {
  *dst = *src;
  dst->body = mxc_strdup(src->body);
  dst->content_type = mxc_strdup(src->content_type);
  int rc = (src->body && !dst->body) || (src->content_type && !dst->content_type) ? MXC_ENOMEM : 0;
  for (size_t i = 0; i < src->nheaders; i++)
    if (!(dst->headers[i] = mxc_strdup(src->headers[i])))
      rc = MXC_ENOMEM;
  if (rc)
    mxc_fault_cleanup(dst);
  return rc;
}

void mxc_fault_cleanup(mxc_fault *f) {
  if (!f)
    return;
  free(f->body);
  free(f->content_type);
  for (size_t i = 0; i < f->nheaders; i++)
    free(f->headers[i]);
  f->body = f->content_type = NULL;
  f->nheaders = 0;
}

/* ---- answers of the REPLACE kinds ---- */

#define JSON_TYPE "application/json;charset=utf-8"

static const struct preset {
  mxc_fault_kind kind;
  int code;
  const char *content_type;
  const char *body;
  const char *header1, *header2;
} presets[] = {
    {MXC_FAULT_STATUS, 0, JSON_TYPE, "{}", NULL, NULL},
    {MXC_FAULT_FORBIDDEN, 403, JSON_TYPE, "{\"error\":\"CSRF token missing or wrong\"}", NULL,
     NULL},
    {MXC_FAULT_RATE_LIMITED, 429, JSON_TYPE, "{}", "Retry-After: 5", NULL},
    {MXC_FAULT_SERVER_ERROR, 500, "text/html;charset=utf-8",
     "<html><body><h1>500 Internal Server Error</h1></body></html>", NULL, NULL},
    {MXC_FAULT_BAD_GATEWAY, 502, "text/html",
     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
     "Gateway</h1></center><hr><center>nginx</center></body></html>",
     NULL, NULL},
    {MXC_FAULT_MAINTENANCE, 503, "text/plain;charset=utf-8",
     "This app is currently unavailable due to maintenance. Please try again later.",
     "X-Mendix-Cloud-Mode: maintenance", "Retry-After: 60"},
    {MXC_FAULT_ERROR_560, 560, JSON_TYPE,
     "{\"description\":\"The server is temporarily unable to handle your request.\"}", NULL, NULL},
    {MXC_FAULT_REDIRECT, 302, "text/html;charset=utf-8", "<a href=\"/login.html\">Found</a>",
     "Location: /login.html", NULL},
    {MXC_FAULT_BAD_JSON, 200, JSON_TYPE, "{\"csrftoken\": <html><body>Error</body></html>", NULL,
     NULL},
    {MXC_FAULT_WRONG_TYPE, 200, "text/html;charset=utf-8", "{}", NULL, NULL},
};

/* Whether the fault has a header named like the "Name: value" line h (case-insensitive). */
static bool header_given(const mxc_fault *f, const char *h) {
  size_t nlen = strcspn(h, ":");
  for (size_t i = 0; i < f->nheaders; i++)
    if (strcspn(f->headers[i], ":") == nlen && strncasecmp(f->headers[i], h, nlen) == 0)
      return true;
  return false;
}

void mxc_fault_answer_of(const mxc_fault *f, mxc_fault_answer *a) {
  memset(a, 0, sizeof *a);
  const struct preset *p = &presets[0];
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
    if (presets[i].kind == f->kind)
      p = &presets[i];
  a->code = f->code ? f->code : p->code;
  a->content_type = f->content_type ? f->content_type : p->content_type;
  a->body = f->body ? f->body : p->body;
  /* a header of the fault replaces the preset's of the same name */
  const char *preset_headers[] = {p->header1, p->header2};
  for (size_t i = 0; i < 2; i++)
    if (preset_headers[i] && !header_given(f, preset_headers[i]))
      a->headers[a->nheaders++] = preset_headers[i];
  for (size_t i = 0; i < f->nheaders; i++)
    a->headers[a->nheaders++] = f->headers[i];
}

/* ---- randomness ---- */

void mxc_rng_seed(mxc_rng *r, uint64_t seed) { r->state = seed; }

uint64_t mxc_rng_next(mxc_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double mxc_rng_unit(mxc_rng *r) { return (double)(mxc_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t mxc_seed_mix(uint64_t seed, const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; s && *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  mxc_rng r = {seed ^ h};
  return mxc_rng_next(&r);
}

uint64_t mxc_fault_delay_ms(const mxc_fault *f, mxc_rng *r) {
  if (f->median_ms > 0) {
    /* Box-Muller: a standard normal from two uniforms */
    double u1 = mxc_rng_unit(r), u2 = mxc_rng_unit(r);
    double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
    double d = f->median_ms * exp(f->sigma * z);
    return d > 600000 ? 600000 : (uint64_t)(d + 0.5);
  }
  if (f->max_ms >= 0) {
    uint64_t span = (uint64_t)(f->max_ms - f->min_ms) + 1;
    return (uint64_t)f->min_ms + mxc_rng_next(r) % span;
  }
  return f->ms > 0 ? (uint64_t)f->ms : 0;
}

/* ---- help ---- */

const char *mxc_fault_kinds_help(void) {
  static char text[8192];
  if (text[0])
    return text;
  size_t off = 0;
  for (size_t k = 1; k < sizeof kinds / sizeof kinds[0] && off < sizeof text; k++) {
    off += (size_t)snprintf(text + off, sizeof text - off, "  %-22s %s\n", kinds[k].name,
                            kinds[k].doc);
  }
  if (off < sizeof text)
    snprintf(text + off, sizeof text - off,
             "  selectors (all but refused/unresolvable): times, nth, conn, p\n"
             "  tls_* kinds need HTTPS; the handshake ones (all but tls_close_notify_mid_response\n"
             "  and tls_truncation) take match \"*\" and count connections, not requests\n");
  return text;
}
