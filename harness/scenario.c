/* Scenario loader: strict validation with the file and JSON path of every problem. */
#include "harness/scenario.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct load_ctx {
  const char *file;
  char *err; /* first error, malloc'ed */
} load_ctx;

static int bad(load_ctx *cx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(load_ctx *cx, const char *path, const char *fmt, ...) {
  if (cx->err)
    return MXC_ESCENARIO;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cx->err = mxc_asprintf("%s: %s: %s", cx->file, path, msg);
  return MXC_ESCENARIO;
}

static const char *type_name(const cJSON *v) {
  if (!v)
    return "nothing";
  if (cJSON_IsString(v))
    return "a string";
  if (cJSON_IsNumber(v))
    return "a number";
  if (cJSON_IsBool(v))
    return "a boolean";
  if (cJSON_IsNull(v))
    return "null";
  if (cJSON_IsArray(v))
    return "an array";
  return "an object";
}

/* Rejects keys of o that are not in allowed (NULL-terminated). */
static int only_keys(load_ctx *cx, const cJSON *o, const char *path, const char *const *allowed) {
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    bool ok = false;
    for (const char *const *k = allowed; *k && !ok; k++)
      ok = strcmp(*k, it->string) == 0;
    if (!ok)
      return bad(cx, path, "unknown key \"%s\"", it->string);
  }
  return 0;
}

static const cJSON *need(load_ctx *cx, const cJSON *o, const char *path, const char *key,
                         cJSON_bool (*is)(const cJSON *), const char *what) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) {
    bad(cx, path, "missing \"%s\" (%s)", key, what);
    return NULL;
  }
  if (!is(v)) {
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, key);
    bad(cx, p, "expected %s, got %s", what, type_name(v));
    return NULL;
  }
  return v;
}

static bool valid_id(const char *s) {
  if (!*s || strlen(s) > 120)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_' || *s == '.'))
      return false;
  return true;
}

/* Parses an array of accounts; `base` is its JSON path ("$.accounts", or "$"). On error the
 * accounts parsed so far stay in *out for the caller to free. */
static int load_accounts(load_ctx *cx, const cJSON *arr, const char *base, mxc_account **out,
                         size_t *count) {
  static const char *const keys[] = {"username", "password", "roles", "active", NULL};
  size_t n = (size_t)cJSON_GetArraySize(arr);
  *count = 0;
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out)
    return MXC_ENOMEM;
  const cJSON *a;
  cJSON_ArrayForEach(a, arr) {
    char path[96];
    snprintf(path, sizeof path, "%s[%zu]", base, *count);
    if (!cJSON_IsObject(a))
      return bad(cx, path, "expected an object, got %s", type_name(a));
    if (only_keys(cx, a, path, keys))
      return MXC_ESCENARIO;
    const cJSON *u = need(cx, a, path, "username", cJSON_IsString, "a string");
    const cJSON *p = need(cx, a, path, "password", cJSON_IsString, "a string");
    const cJSON *roles = need(cx, a, path, "roles", cJSON_IsArray, "an array of role names");
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(a, "active");
    if (!u || !p || !roles)
      return MXC_ESCENARIO;
    if (active && !cJSON_IsBool(active)) {
      char ap[160];
      snprintf(ap, sizeof ap, "%s.active", path);
      return bad(cx, ap, "expected a boolean, got %s", type_name(active));
    }
    mxc_account *acc = &(*out)[(*count)++];
    acc->username = mxc_strdup(u->valuestring);
    acc->password = mxc_strdup(p->valuestring);
    acc->active = !active || cJSON_IsTrue(active);
    acc->roles = calloc((size_t)cJSON_GetArraySize(roles) + 1, sizeof *acc->roles);
    if (!acc->username || !acc->password || !acc->roles)
      return MXC_ENOMEM;
    const cJSON *r;
    cJSON_ArrayForEach(r, roles) {
      if (!cJSON_IsString(r)) {
        char rp[160];
        snprintf(rp, sizeof rp, "%s.roles[%zu]", path, acc->nroles);
        return bad(cx, rp, "expected a role name (string), got %s", type_name(r));
      }
      if (!(acc->roles[acc->nroles++] = mxc_strdup(r->valuestring)))
        return MXC_ENOMEM;
    }
  }
  return 0;
}

static int load_runtime(load_ctx *cx, const cJSON *o, mxc_scenario *sc) {
  static const char *const keys[] = {"block_ms", "session_idle_ms", "csrf", "host_prefix_cookies",
                                     NULL};
  if (!cJSON_IsObject(o))
    return bad(cx, "$.runtime", "expected an object, got %s", type_name(o));
  if (only_keys(cx, o, "$.runtime", keys))
    return MXC_ESCENARIO;
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    char path[64];
    snprintf(path, sizeof path, "$.runtime.%s", v->string);
    if (strcmp(v->string, "csrf") == 0) {
      if (!cJSON_IsString(v) ||
          (strcmp(v->valuestring, "record") != 0 && strcmp(v->valuestring, "enforce") != 0))
        return bad(cx, path, "expected \"record\" or \"enforce\"");
      sc->runtime.csrf_enforce = strcmp(v->valuestring, "enforce") == 0;
    } else if (strcmp(v->string, "host_prefix_cookies") == 0) {
      if (!cJSON_IsBool(v))
        return bad(cx, path, "expected true or false");
      sc->runtime.host_prefix_cookies = cJSON_IsTrue(v);
    } else {
      if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 86400000.0 ||
          v->valuedouble != (double)(long long)v->valuedouble)
        return bad(cx, path, "expected a whole number of milliseconds from 1 to 86400000");
      if (strcmp(v->string, "block_ms") == 0)
        sc->runtime.block_ms = (uint64_t)v->valuedouble;
      else
        sc->runtime.session_idle_ms = (uint64_t)v->valuedouble;
    }
  }
  return 0;
}

static int load_faults(load_ctx *cx, const cJSON *arr, mxc_scenario *sc) {
  if (!cJSON_IsArray(arr))
    return bad(cx, "$.faults", "expected an array, got %s", type_name(arr));
  size_t n = (size_t)cJSON_GetArraySize(arr);
  sc->faults = calloc(n ? n : 1, sizeof *sc->faults);
  if (!sc->faults)
    return MXC_ENOMEM;
  const cJSON *f;
  cJSON_ArrayForEach(f, arr) {
    char path[64], msg[300];
    snprintf(path, sizeof path, "$.faults[%zu]", sc->nfaults);
    if (mxc_fault_from_json(f, &sc->faults[sc->nfaults], msg, sizeof msg) != 0) {
      const char *colon = strstr(msg, ": ");
      if (!colon || memchr(msg, ' ', (size_t)(colon - msg)))
        return bad(cx, path, "%s", msg);
      char kp[160];
      snprintf(kp, sizeof kp, "%s.%.*s", path, (int)(colon - msg), msg);
      return bad(cx, kp, "%s", colon + 2);
    }
    sc->nfaults++;
  }
  return 0;
}

static int load_client(load_ctx *cx, const cJSON *o, mxc_scenario *sc) {
  static const char *const keys[] = {"timeout_ms", "use_auth_token", "navigation",
                                     "attempts",   "relaunch",       NULL};
  if (only_keys(cx, o, "$.client", keys))
    return MXC_ESCENARIO;
  cJSON *copy = cJSON_Duplicate(o, 1);
  if (!copy || !cJSON_AddStringToObject(copy, "base_url", "http://127.0.0.1:1/") ||
      !cJSON_AddStringToObject(copy, "scenario", sc->id)) {
    cJSON_Delete(copy);
    return MXC_ENOMEM;
  }
  char msg[400];
  int rc = mxc_case_from_json(copy, &sc->client, msg, sizeof msg);
  cJSON_Delete(copy);
  if (rc == 0)
    return 0;
  /* the case parser names paths from its own root: "$.attempts[0]: ..." */
  const char *colon = strstr(msg, ": ");
  if (strncmp(msg, "$", 1) == 0 && colon) {
    char path[200];
    snprintf(path, sizeof path, "$.client%.*s", (int)(colon - msg - 1), msg + 1);
    return bad(cx, path, "%s", colon + 2);
  }
  return bad(cx, "$.client", "%s", msg);
}

static int load_expect(load_ctx *cx, const cJSON *arr, mxc_scenario *sc) {
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (n == 0)
    return bad(cx, "$.expect", "needs at least one expectation");
  sc->expect = calloc(n, sizeof *sc->expect);
  if (!sc->expect)
    return MXC_ENOMEM;
  bool wire = false;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    char path[64];
    snprintf(path, sizeof path, "$.expect[%zu]", sc->nexpect);
    if (!cJSON_IsObject(e))
      return bad(cx, path, "expected an object, got %s", type_name(e));
    const cJSON *rule = need(cx, e, path, "rule", cJSON_IsString, "a rule ID");
    const cJSON *check = need(cx, e, path, "check", cJSON_IsString, "a check name");
    if (!rule || !check)
      return MXC_ESCENARIO;
    mxc_expectation *x = &sc->expect[sc->nexpect++];
    x->rule = mxc_rule_find(rule->valuestring);
    if (!x->rule)
      return bad(cx, path, "unknown rule \"%s\" (see PROTOCOL.md section 2)", rule->valuestring);
    bool cited = false;
    for (size_t i = 0; i < sc->nrules; i++)
      cited |= sc->rules[i] == x->rule;
    if (!cited)
      return bad(cx, path, "rule \"%s\" is not listed in $.rules", rule->valuestring);
    const mxc_check_def *def = mxc_check_find(check->valuestring);
    if (!def)
      return bad(cx, path, "unknown check \"%s\"", check->valuestring);
    x->kind = def->kind;
    wire |= def->side != MXC_SIDE_CLIENT;
    const char *keys[6] = {"rule", "check", "level", NULL, NULL, NULL};
    size_t nk = 3;
    if (def->takes_attempt)
      keys[nk++] = "attempt";
    if (def->value_key)
      keys[nk++] = def->value_key;
    if (only_keys(cx, e, path, keys))
      return MXC_ESCENARIO;
    /* a rule with a weaker part ("REQ-6 ... SHOULD likewise after a network failure") */
    x->level = x->rule->level;
    const cJSON *lv = cJSON_GetObjectItemCaseSensitive(e, "level");
    if (lv) {
      const char *v = cJSON_IsString(lv) ? lv->valuestring : "";
      int l = strcasecmp(v, "must") == 0     ? MXC_LEVEL_MUST
              : strcasecmp(v, "should") == 0 ? MXC_LEVEL_SHOULD
              : strcasecmp(v, "info") == 0   ? MXC_LEVEL_INFO
                                             : -1;
      if (l < 0 || l > (int)x->rule->level)
        return bad(cx, path, "\"level\" must be MUST, SHOULD or INFO, and no stronger than %s's %s",
                   x->rule->id, mxc_level_name(x->rule->level));
      x->level = (mxc_level)l;
    }
    if (def->takes_attempt) {
      const cJSON *a = need(cx, e, path, "attempt", cJSON_IsNumber, "an attempt index from 0");
      if (!a)
        return MXC_ESCENARIO;
      if (a->valuedouble < 0 || a->valuedouble >= (double)sc->client.nattempts ||
          a->valuedouble != (double)(int)a->valuedouble) {
        char ap[160];
        snprintf(ap, sizeof ap, "%s.attempt", path);
        if (sc->client.nattempts == 0)
          return bad(cx, ap, "no attempt to index: $.client.attempts is empty");
        return bad(cx, ap, "must index $.client.attempts (0 to %zu)", sc->client.nattempts - 1);
      }
      x->attempt = a->valueint;
    }
    if (def->value_key) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, def->value_key);
      const char *want = def->value_type == MXC_VALUE_INT    ? "a whole number"
                         : def->value_type == MXC_VALUE_BOOL ? "a boolean"
                                                             : "a string";
      if (!v)
        return bad(cx, path, "missing \"%s\" (%s)", def->value_key, want);
      bool ok = def->value_type == MXC_VALUE_INT
                    ? cJSON_IsNumber(v) && v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX &&
                          v->valuedouble == (double)(int)v->valuedouble
                : def->value_type == MXC_VALUE_BOOL ? cJSON_IsBool(v)
                                                    : cJSON_IsString(v);
      if (!ok) {
        char vp[96];
        snprintf(vp, sizeof vp, "%s.%s", path, def->value_key);
        return bad(cx, vp, "expected %s, got %s", want, type_name(v));
      }
      x->int_value = cJSON_IsNumber(v) ? v->valueint : 0;
      x->bool_value = cJSON_IsTrue(v);
      /* messages_differ compares with another attempt: it must exist and not be itself */
      if (x->kind == MXC_CHECK_MESSAGES_DIFFER &&
          (x->int_value < 0 || (size_t)x->int_value >= sc->client.nattempts ||
           x->int_value == x->attempt)) {
        char vp[96];
        snprintf(vp, sizeof vp, "%s.%s", path, def->value_key);
        return bad(cx, vp, "must index another attempt of $.client.attempts (0 to %zu, not %d)",
                   sc->client.nattempts - 1, x->attempt);
      }
      if (cJSON_IsString(v) && !(x->str_value = mxc_strdup(v->valuestring)))
        return MXC_ENOMEM;
    }
  }
  if (!wire)
    return bad(cx, "$.expect",
               "needs at least one check with wire evidence (verdicts use both sides)");
  return 0;
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && text[i]; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

cJSON *mxc_json_document(const char *file, const char *text, size_t len, char **err) {
  const char *end = NULL;
  bool trailing = false;
  *err = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (doc && end) {
    while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
      end++;
    if (end < text + len) {
      cJSON_Delete(doc);
      doc = NULL;
      trailing = true;
    }
  }
  if (!doc) {
    int line, col;
    line_col(text, end && end >= text ? (size_t)(end - text) : 0, &line, &col);
    *err = mxc_asprintf("%s:%d:%d: invalid JSON%s", file, line, col,
                        trailing ? " (text after the end of the document)" : "");
  }
  return doc;
}

static cJSON *parse_document(load_ctx *cx, const char *text, size_t len) {
  return mxc_json_document(cx->file, text, len, &cx->err);
}

int mxc_scenario_parse(const char *file, const char *text, size_t len, mxc_scenario *sc,
                       char **err) {
  static const char *const keys[] = {"id",       "title",     "description", "rules",
                                     "accounts", "runtime",   "faults",      "client",
                                     "expect",   "transport", NULL};
  load_ctx cx = {.file = file};
  int rc = 0;
  memset(sc, 0, sizeof *sc);
  *err = NULL;
  cJSON *doc = parse_document(&cx, text, len);
  if (!doc) {
    rc = MXC_ESCENARIO;
    goto out;
  }
  if (!cJSON_IsObject(doc)) {
    rc = bad(&cx, "$", "expected an object, got %s", type_name(doc));
    goto out;
  }
  if ((rc = only_keys(&cx, doc, "$", keys)))
    goto out;
  sc->file = mxc_strdup(file);
  const cJSON *id = need(&cx, doc, "$", "id", cJSON_IsString, "a string");
  const cJSON *title = need(&cx, doc, "$", "title", cJSON_IsString, "a string");
  const cJSON *desc = need(&cx, doc, "$", "description", cJSON_IsString, "a string");
  const cJSON *rules = need(&cx, doc, "$", "rules", cJSON_IsArray, "an array of rule IDs");
  const cJSON *accounts = need(&cx, doc, "$", "accounts", cJSON_IsArray, "an array");
  const cJSON *client = need(&cx, doc, "$", "client", cJSON_IsObject, "an object");
  const cJSON *expect = need(&cx, doc, "$", "expect", cJSON_IsArray, "an array");
  if (!id || !title || !desc || !rules || !accounts || !client || !expect) {
    rc = MXC_ESCENARIO;
    goto out;
  }
  if (!valid_id(id->valuestring)) {
    rc = bad(&cx, "$.id", "use letters, digits, '-', '_' and '.' only (1 to 120 characters)");
    goto out;
  }
  sc->id = mxc_strdup(id->valuestring);
  sc->title = mxc_strdup(title->valuestring);
  sc->description = mxc_strdup(desc->valuestring);
  size_t nr = (size_t)cJSON_GetArraySize(rules);
  sc->rules = calloc(nr ? nr : 1, sizeof *sc->rules);
  if (!sc->id || !sc->title || !sc->description || !sc->rules) {
    rc = MXC_ENOMEM;
    goto out;
  }
  if (nr == 0) {
    rc = bad(&cx, "$.rules", "cite at least one rule");
    goto out;
  }
  const cJSON *r;
  cJSON_ArrayForEach(r, rules) {
    char path[64];
    snprintf(path, sizeof path, "$.rules[%zu]", sc->nrules);
    const mxc_rule *rule = cJSON_IsString(r) ? mxc_rule_find(r->valuestring) : NULL;
    if (!rule) {
      rc = cJSON_IsString(r)
               ? bad(&cx, path, "unknown rule \"%s\" (see PROTOCOL.md section 2)", r->valuestring)
               : bad(&cx, path, "expected a rule ID, got %s", type_name(r));
      goto out;
    }
    if (sc->nrules == 0 || rule->level > sc->level)
      sc->level = rule->level;
    sc->rules[sc->nrules++] = rule;
  }
  if ((rc = load_accounts(&cx, accounts, "$.accounts", &sc->accounts, &sc->naccounts)))
    goto out;
  sc->runtime.accounts = sc->accounts;
  sc->runtime.naccounts = sc->naccounts;
  const cJSON *transport = cJSON_GetObjectItemCaseSensitive(doc, "transport");
  if (transport) {
    if (!cJSON_IsString(transport) || (strcmp(transport->valuestring, "http") != 0 &&
                                       strcmp(transport->valuestring, "https") != 0)) {
      rc = bad(&cx, "$.transport", "expected \"http\" or \"https\"");
      goto out;
    }
    sc->https = strcmp(transport->valuestring, "https") == 0;
  }
  const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(doc, "runtime");
  if (runtime && (rc = load_runtime(&cx, runtime, sc)))
    goto out;
  const cJSON *faults = cJSON_GetObjectItemCaseSensitive(doc, "faults");
  if (faults && (rc = load_faults(&cx, faults, sc)))
    goto out;
  if ((rc = load_client(&cx, client, sc)))
    goto out;
  rc = load_expect(&cx, expect, sc);
out:
  cJSON_Delete(doc);
  if (rc) {
    if (!cx.err)
      cx.err = mxc_asprintf("%s: %s", file, mxc_strerror(rc));
    *err = cx.err;
    mxc_scenario_cleanup(sc);
    return MXC_ESCENARIO;
  }
  return 0;
}

int mxc_scenario_load_file(const char *path, mxc_scenario *sc, char **err) {
  char *text = NULL;
  size_t len = 0;
  memset(sc, 0, sizeof *sc);
  int rc = mxc_file_read(path, MXC_SCENARIO_MAX_FILE, &text, &len);
  if (rc) {
    *err = mxc_asprintf("%s: cannot read: %s", path, mxc_strerror(rc));
    return MXC_ESCENARIO;
  }
  rc = mxc_scenario_parse(path, text, len, sc, err);
  free(text);
  return rc;
}

void mxc_scenario_cleanup(mxc_scenario *sc) {
  if (!sc)
    return;
  free(sc->file);
  free(sc->id);
  free(sc->title);
  free(sc->description);
  free(sc->rules);
  mxc_accounts_free(sc->accounts, sc->naccounts);
  for (size_t i = 0; i < sc->nfaults; i++)
    mxc_fault_cleanup(&sc->faults[i]);
  free(sc->faults);
  mxc_case_cleanup(&sc->client);
  for (size_t i = 0; i < sc->nexpect; i++)
    free(sc->expect[i].str_value);
  free(sc->expect);
  memset(sc, 0, sizeof *sc);
}

/* ---- account lists (serve --accounts) ---- */

int mxc_accounts_parse(const char *file, const char *text, size_t len, mxc_account **out, size_t *n,
                       char **err) {
  load_ctx cx = {.file = file};
  *out = NULL;
  *n = 0;
  *err = NULL;
  cJSON *doc = parse_document(&cx, text, len);
  int rc;
  if (!doc) {
    rc = MXC_ESCENARIO;
  } else if (!cJSON_IsArray(doc)) {
    rc = bad(&cx, "$", "expected an array of accounts, got %s", type_name(doc));
  } else {
    rc = load_accounts(&cx, doc, "$", out, n);
  }
  cJSON_Delete(doc);
  if (rc) {
    mxc_accounts_free(*out, *n);
    *out = NULL;
    *n = 0;
    *err = cx.err ? cx.err : mxc_asprintf("%s: %s", file, mxc_strerror(rc));
    return MXC_ESCENARIO;
  }
  return 0;
}

void mxc_accounts_free(mxc_account *accounts, size_t n) {
  for (size_t i = 0; accounts && i < n; i++) {
    free(accounts[i].username);
    free(accounts[i].password);
    for (size_t j = 0; j < accounts[i].nroles; j++)
      free(accounts[i].roles[j]);
    free(accounts[i].roles);
  }
  free(accounts);
}

/* ---- catalog ---- */

typedef struct path_list {
  char **items;
  size_t n, alloc;
} path_list;

static int collect(const char *dir, path_list *out, int depth) {
  if (depth > 16)
    return 0;
  DIR *d = opendir(dir);
  if (!d)
    return MXC_EIO;
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *p = mxc_asprintf("%s/%s", dir, de->d_name);
    if (!p) {
      rc = MXC_ENOMEM;
      break;
    }
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      rc = collect(p, out, depth + 1);
      free(p);
      continue;
    }
    size_t len = strlen(p);
    if (len < 5 || strcmp(p + len - 5, ".json") != 0) {
      free(p);
      continue;
    }
    if (out->n == out->alloc) {
      size_t na = out->alloc ? out->alloc * 2 : 32;
      char **np = realloc(out->items, na * sizeof *np);
      if (!np) {
        free(p);
        rc = MXC_ENOMEM;
        break;
      }
      out->items = np;
      out->alloc = na;
    }
    out->items[out->n++] = p;
  }
  closedir(d);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int mxc_catalog_load(const char *dir, mxc_catalog *cat, char **errors) {
  path_list paths = {0};
  mxc_buf errs;
  mxc_buf_init(&errs, 1u << 20);
  memset(cat, 0, sizeof *cat);
  *errors = NULL;
  int rc = collect(dir, &paths, 0);
  if (rc) {
    mxc_buf_printf(&errs, "%s: cannot read the scenario directory: %s\n", dir, mxc_strerror(rc));
    goto out;
  }
  if (paths.n == 0) {
    mxc_buf_printf(&errs, "%s: no scenario files (*.json)\n", dir);
    goto out;
  }
  qsort(paths.items, paths.n, sizeof *paths.items, cmp_str);
  cat->items = calloc(paths.n, sizeof *cat->items);
  if (!cat->items) {
    mxc_buf_printf(&errs, "out of memory\n");
    goto out;
  }
  for (size_t i = 0; i < paths.n; i++) {
    char *err = NULL;
    mxc_scenario *sc = &cat->items[cat->n];
    if (mxc_scenario_load_file(paths.items[i], sc, &err) != 0) {
      mxc_buf_printf(&errs, "%s\n", err ? err : paths.items[i]);
      free(err);
      continue;
    }
    for (size_t j = 0; j < cat->n; j++) {
      if (strcmp(cat->items[j].id, sc->id) == 0) {
        mxc_buf_printf(&errs, "%s: $.id: \"%s\" is already the id of %s\n", sc->file, sc->id,
                       cat->items[j].file);
        break;
      }
    }
    cat->n++;
  }
out:
  for (size_t i = 0; i < paths.n; i++)
    free(paths.items[i]);
  free(paths.items);
  if (errs.len) {
    *errors = mxc_buf_detach(&errs);
    return MXC_ESCENARIO;
  }
  mxc_buf_cleanup(&errs);
  return 0;
}

void mxc_catalog_cleanup(mxc_catalog *cat) {
  if (!cat)
    return;
  for (size_t i = 0; i < cat->n; i++)
    mxc_scenario_cleanup(&cat->items[i]);
  free(cat->items);
  cat->items = NULL;
  cat->n = 0;
}
