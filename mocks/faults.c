/* Parsing and printing of faults; the table of kinds and their parameters lives here. */
#include "mocks/faults.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[] = {"none",
#define XX(e, name, doc) name,
                                   MXC_FAULT_KINDS(XX)
#undef XX
};

const char *mxc_fault_kind_name(mxc_fault_kind k) {
  if ((size_t)k >= sizeof kind_names / sizeof kind_names[0])
    return "?";
  return kind_names[k];
}

typedef enum { P_INT, P_STRING } param_type;

/* Every parameter: which kinds take it, its type and range. */
static const struct param {
  const char *name;
  param_type type;
  unsigned kinds; /* bit (1 << kind) */
  int min, max;
  size_t offset;
} params[] = {
    {"times", P_INT, ~0u, 0, 1000000, offsetof(mxc_fault, times)},
    {"after", P_INT, 1u << MXC_FAULT_REFUSED, 0, 1000000, offsetof(mxc_fault, after)},
    {"code", P_INT, 1u << MXC_FAULT_STATUS, 100, 599, offsetof(mxc_fault, code)},
    {"body", P_STRING, 1u << MXC_FAULT_STATUS, 0, 0, offsetof(mxc_fault, body)},
    {"content_type", P_STRING, 1u << MXC_FAULT_STATUS, 0, 0, offsetof(mxc_fault, content_type)},
};

int mxc_fault_from_json(const cJSON *o, mxc_fault *f, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->after = 1;
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
  for (size_t k = 1; k < sizeof kind_names / sizeof kind_names[0]; k++)
    if (strcmp(kind_names[k], kind->valuestring) == 0)
      f->kind = (mxc_fault_kind)k;
  if (f->kind == MXC_FAULT_NONE) {
    snprintf(err, errlen, "kind: unknown fault kind '%s'", kind->valuestring);
    return MXC_EINVAL;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    if (strcmp(it->string, "kind") == 0)
      continue;
    if (strcmp(it->string, "match") == 0) {
      if (!cJSON_IsString(it) || !it->valuestring[0] ||
          strlen(it->valuestring) >= sizeof f->match) {
        snprintf(err, errlen, "match: expected an XAS action name or \"*\"");
        goto fail;
      }
      snprintf(f->match, sizeof f->match, "%s", it->valuestring);
      continue;
    }
    const struct param *p = NULL;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
      if (strcmp(params[i].name, it->string) == 0)
        p = &params[i];
    if (!p || !(p->kinds & (1u << f->kind))) {
      snprintf(err, errlen, "%s: not a parameter of fault kind '%s'", it->string,
               kind->valuestring);
      goto fail;
    }
    char *field = (char *)f + p->offset;
    if (p->type == P_INT) {
      if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int)it->valuedouble ||
          it->valueint < p->min || it->valueint > p->max) {
        snprintf(err, errlen, "%s: expected a whole number from %d to %d", it->string, p->min,
                 p->max);
        goto fail;
      }
      *(int *)field = it->valueint;
    } else {
      if (!cJSON_IsString(it)) {
        snprintf(err, errlen, "%s: expected a string", it->string);
        goto fail;
      }
      char **slot = (char **)field;
      free(*slot);
      *slot = mxc_strdup(it->valuestring);
      if (!*slot) {
        snprintf(err, errlen, "out of memory");
        goto fail;
      }
    }
  }
  if (f->kind == MXC_FAULT_STATUS && f->code == 0) {
    snprintf(err, errlen, "code: fault kind 'status' needs a code");
    goto fail;
  }
  return 0;
fail:
  mxc_fault_cleanup(f);
  return MXC_EINVAL;
}

cJSON *mxc_fault_to_json(const mxc_fault *f) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "kind", mxc_fault_kind_name(f->kind));
  cJSON_AddStringToObject(o, "match", f->match);
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    const struct param *p = &params[i];
    if (!(p->kinds & (1u << f->kind)))
      continue;
    const char *field = (const char *)f + p->offset;
    if (p->type == P_INT)
      cJSON_AddNumberToObject(o, p->name, *(const int *)field);
    else if (*(char *const *)field)
      cJSON_AddStringToObject(o, p->name, *(char *const *)field);
  }
  return o;
}

int mxc_fault_copy(mxc_fault *dst, const mxc_fault *src) {
  *dst = *src;
  dst->body = mxc_strdup(src->body);
  dst->content_type = mxc_strdup(src->content_type);
  if ((src->body && !dst->body) || (src->content_type && !dst->content_type)) {
    mxc_fault_cleanup(dst);
    return MXC_ENOMEM;
  }
  return 0;
}

void mxc_fault_cleanup(mxc_fault *f) {
  if (!f)
    return;
  free(f->body);
  free(f->content_type);
  f->body = f->content_type = NULL;
}
