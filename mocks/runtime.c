/* The runtime profile: accounts, blocking, sessions, auth tokens, CSRF and the /xas/ actions. */
#include "mocks/runtime.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define ID_LEN 36

typedef struct session {
  char id[ID_LEN + 1];
  char xasid[ID_LEN + 1];
  char csrf[ID_LEN + 1];
  char guid[32];
  int account; /* index into accounts, -1 for anonymous */
  uint64_t last_used_ms;
} session;

typedef struct auth_token {
  char value[ID_LEN + 1];
  int account;
} auth_token;

typedef struct account_state {
  int failures;
  uint64_t blocked_until_ms;
} account_state;

struct mxc_runtime {
  mxc_runtime_config cfg;
  account_state *accounts;
  session *sessions;
  size_t nsessions, asessions;
  auth_token *tokens;
  size_t ntokens, atokens;
  uint64_t anon_guid_seq;
};

/* ---- responses ---- */

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
  char *line = mxc_strdup(tmp);
  if (!line)
    return MXC_ENOMEM;
  res->headers[res->nheaders++] = line;
  return 0;
}

int mxc_http_response_set_json(mxc_http_response *res, int status, const cJSON *body) {
  char *text = cJSON_PrintUnformatted(body);
  if (!text)
    return MXC_ENOMEM;
  free(res->body);
  res->body = text;
  res->body_len = strlen(text);
  res->status = status;
  return 0;
}

void mxc_http_response_cleanup(mxc_http_response *res) {
  if (!res)
    return;
  free(res->body);
  res->body = NULL;
  for (size_t i = 0; i < res->nheaders; i++)
    free(res->headers[i]);
  res->nheaders = 0;
}

const char *mxc_http_header_get(const mxc_http_header *h, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(h[i].name, name) == 0)
      return h[i].value;
  return NULL;
}

/* ---- runtime lifetime ---- */

mxc_runtime *mxc_runtime_new(const mxc_runtime_config *cfg) {
  mxc_runtime *rt = calloc(1, sizeof *rt);
  if (!rt)
    return NULL;
  rt->cfg = *cfg;
  if (!rt->cfg.block_ms)
    rt->cfg.block_ms = MXC_RUNTIME_BLOCK_MS_DEFAULT;
  if (!rt->cfg.session_idle_ms)
    rt->cfg.session_idle_ms = MXC_RUNTIME_SESSION_IDLE_MS_DEFAULT;
  rt->accounts = calloc(cfg->naccounts ? cfg->naccounts : 1, sizeof *rt->accounts);
  if (!rt->accounts) {
    free(rt);
    return NULL;
  }
  return rt;
}

void mxc_runtime_free(mxc_runtime *rt) {
  if (!rt)
    return;
  free(rt->accounts);
  free(rt->sessions);
  free(rt->tokens);
  free(rt);
}

static void random_uuid(char out[ID_LEN + 1]) {
  unsigned char b[16];
  if (uv_random(NULL, NULL, b, sizeof b, 0, NULL) != 0) {
    /* uv_random only fails without an entropy source; fall back to the clock. */
    uint64_t t = mxc_now_us();
    for (size_t i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, ID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
           b[14], b[15]);
}

/* ---- sessions and tokens ---- */

static session *session_find(mxc_runtime *rt, const char *id) {
  if (!id)
    return NULL;
  uint64_t now = mxc_now_ms();
  for (size_t i = 0; i < rt->nsessions; i++) {
    session *s = &rt->sessions[i];
    if (strcmp(s->id, id) != 0)
      continue;
    if (now - s->last_used_ms > rt->cfg.session_idle_ms)
      return NULL;
    return s;
  }
  return NULL;
}

static void session_destroy(mxc_runtime *rt, session *s) {
  size_t i = (size_t)(s - rt->sessions);
  rt->sessions[i] = rt->sessions[--rt->nsessions];
}

static session *session_create(mxc_runtime *rt, int account) {
  if (rt->nsessions == rt->asessions) {
    size_t n = rt->asessions ? rt->asessions * 2 : 8;
    session *p = realloc(rt->sessions, n * sizeof *p);
    if (!p)
      return NULL;
    rt->sessions = p;
    rt->asessions = n;
  }
  session *s = &rt->sessions[rt->nsessions++];
  memset(s, 0, sizeof *s);
  random_uuid(s->id);
  random_uuid(s->xasid);
  random_uuid(s->csrf);
  s->account = account;
  if (account >= 0)
    snprintf(s->guid, sizeof s->guid, "%llu", 281474976710657ull + (unsigned long long)account);
  else
    snprintf(s->guid, sizeof s->guid, "%llu", 562949953421313ull + rt->anon_guid_seq++);
  s->last_used_ms = mxc_now_ms();
  return s;
}

void mxc_runtime_expire_sessions(mxc_runtime *rt) { rt->nsessions = 0; }

static auth_token *token_find(mxc_runtime *rt, const char *value) {
  if (!value)
    return NULL;
  for (size_t i = 0; i < rt->ntokens; i++)
    if (strcmp(rt->tokens[i].value, value) == 0)
      return &rt->tokens[i];
  return NULL;
}

static auth_token *token_create(mxc_runtime *rt, int account) {
  if (rt->ntokens == rt->atokens) {
    size_t n = rt->atokens ? rt->atokens * 2 : 4;
    auth_token *p = realloc(rt->tokens, n * sizeof *p);
    if (!p)
      return NULL;
    rt->tokens = p;
    rt->atokens = n;
  }
  auth_token *t = &rt->tokens[rt->ntokens++];
  random_uuid(t->value);
  t->account = account;
  return t;
}

static int account_find(const mxc_runtime *rt, const char *username) {
  for (size_t i = 0; i < rt->cfg.naccounts; i++)
    if (strcmp(rt->cfg.accounts[i].username, username) == 0)
      return (int)i;
  return -1;
}

bool mxc_runtime_redact(const mxc_runtime *rt, char *s) {
  bool hit = false;
  if (!s)
    return false;
  for (size_t i = 0; i < rt->cfg.naccounts; i++) {
    const char *pw = rt->cfg.accounts[i].password;
    size_t n = pw ? strlen(pw) : 0;
    if (n == 0)
      continue;
    for (char *p = strstr(s, pw); p; p = strstr(p + n, pw)) {
      memset(p, '*', n);
      hit = true;
    }
  }
  return hit;
}

/* ---- cookies ---- */

/* Finds cookie `name` in a Cookie header; copies its value into out. */
static bool cookie_get(const char *header, const char *name, char *out, size_t outlen) {
  if (!header)
    return false;
  size_t nlen = strlen(name);
  const char *p = header;
  while (*p) {
    while (*p == ' ' || *p == ';' || *p == '\t')
      p++;
    const char *eq = strchr(p, '=');
    const char *end = strchr(p, ';');
    if (!end)
      end = p + strlen(p);
    if (eq && eq < end && (size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0) {
      size_t vlen = (size_t)(end - eq - 1);
      if (vlen >= outlen)
        vlen = outlen - 1;
      memcpy(out, eq + 1, vlen);
      out[vlen] = '\0';
      return true;
    }
    p = end;
  }
  return false;
}

static int set_session_cookies(mxc_http_response *res, const session *s) {
  int rc = mxc_http_response_add_header(
      res, "Set-Cookie: XASSESSIONID=%s; Path=/; HttpOnly; SameSite=Strict", s->id);
  if (!rc)
    rc = mxc_http_response_add_header(res, "Set-Cookie: XASID=0.%s; Path=/", s->xasid);
  return rc;
}

/* ---- actions ---- */

typedef struct xas_ctx {
  mxc_runtime *rt;
  const mxc_http_request *req;
  mxc_http_response *res;
  cJSON *rec;
  const cJSON *params;
  const char *cookie_header;
  session *sess; /* live session of the request's cookie, or NULL */
} xas_ctx;

static int answer_empty(xas_ctx *x, int status) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return MXC_ENOMEM;
  int rc = mxc_http_response_set_json(x->res, status, o);
  cJSON_Delete(o);
  return rc;
}

static int answer_error(mxc_http_response *res, int status, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "error", msg)) {
    cJSON_Delete(o);
    return MXC_ENOMEM;
  }
  int rc = mxc_http_response_set_json(res, status, o);
  cJSON_Delete(o);
  return rc;
}

static cJSON *session_data_json(const mxc_runtime *rt, const session *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON *user = cJSON_AddObjectToObject(o, "user");
  cJSON *attrs = cJSON_AddObjectToObject(user, "attributes");
  cJSON *roles = cJSON_AddArrayToObject(o, "roles");
  cJSON_AddStringToObject(o, "csrftoken", s->csrf);
  cJSON_AddNumberToObject(o, "keepalive", (double)(rt->cfg.session_idle_ms / 2));
  cJSON_AddStringToObject(user, "guid", s->guid);
  cJSON *name = cJSON_AddObjectToObject(attrs, "Name");
  cJSON *anon = cJSON_AddObjectToObject(attrs, "IsAnonymous");
  if (s->account >= 0) {
    const mxc_account *a = &rt->cfg.accounts[s->account];
    cJSON_AddStringToObject(name, "value", a->username);
    cJSON_AddBoolToObject(anon, "value", 0);
    for (size_t i = 0; i < a->nroles; i++)
      cJSON_AddItemToArray(roles, cJSON_CreateString(a->roles[i]));
  } else {
    char anon_name[64];
    snprintf(anon_name, sizeof anon_name, "Anonymous_%s", s->guid);
    cJSON_AddStringToObject(name, "value", anon_name);
    cJSON_AddBoolToObject(anon, "value", 1);
    cJSON_AddItemToArray(roles, cJSON_CreateString("Anonymous"));
  }
  if (!cJSON_GetObjectItem(o, "keepalive")) { /* an allocation failed somewhere above */
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int do_get_session_data(xas_ctx *x) {
  mxc_runtime *rt = x->rt;
  session *s = x->sess;
  char value[128];
  int rc = 0;
  if (!s) {
    int account = -1;
    const char *source = "anonymous";
    if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
      auth_token *t = token_find(rt, value);
      if (t && rt->cfg.accounts[t->account].active) {
        account = t->account;
        source = "authtoken";
      } else {
        source = "anonymous_bad_token";
      }
    }
    s = session_create(rt, account);
    if (!s)
      return MXC_ENOMEM;
    rc = set_session_cookies(x->res, s);
    cJSON_AddStringToObject(x->rec, "session_created", source);
    cJSON_AddStringToObject(x->rec, "session_out", s->id);
  }
  if (s->account >= 0 && cookie_get(x->cookie_header, "useAuthToken", value, sizeof value) &&
      strcmp(value, "true") == 0) {
    auth_token *t = token_create(rt, s->account);
    if (!t)
      return MXC_ENOMEM;
    if (!rc)
      rc = mxc_http_response_add_header(
          x->res, "Set-Cookie: authtoken=%s; Path=/; HttpOnly; Max-Age=31536000", t->value);
    if (!rc)
      rc = mxc_http_response_add_header(x->res, "Set-Cookie: useAuthToken=; Path=/; Max-Age=0");
    cJSON_AddBoolToObject(x->rec, "authtoken_issued", 1);
  }
  if (rc)
    return rc;
  cJSON_AddStringToObject(x->rec, "session_user",
                          s->account >= 0 ? rt->cfg.accounts[s->account].username : "");
  cJSON *body = session_data_json(rt, s);
  if (!body)
    return MXC_ENOMEM;
  cJSON *roles = cJSON_Duplicate(cJSON_GetObjectItem(body, "roles"), 1);
  if (roles)
    cJSON_AddItemToObject(x->rec, "roles", roles);
  cJSON_AddStringToObject(x->rec, "csrftoken_out", s->csrf);
  rc = mxc_http_response_set_json(x->res, 200, body);
  cJSON_Delete(body);
  return rc;
}

static bool wants_auth_token(const cJSON *params) {
  const cJSON *v = cJSON_GetObjectItem(params, "useAuthToken");
  if (!v)
    v = cJSON_GetObjectItem(params, "shouldgeneratetoken");
  if (cJSON_IsTrue(v))
    return true;
  /* "default": native apps use auth tokens by default (documented in docs/serve.md). */
  return cJSON_IsString(v) && strcmp(v->valuestring, "default") == 0;
}

static int do_login(xas_ctx *x) {
  mxc_runtime *rt = x->rt;
  const cJSON *u = cJSON_GetObjectItem(x->params, "username");
  const cJSON *p = cJSON_GetObjectItem(x->params, "password");
  if (!cJSON_IsString(u) || !cJSON_IsString(p)) {
    cJSON_AddStringToObject(x->rec, "outcome", "bad_params");
    return answer_error(x->res, 400, "login needs string params.username and params.password");
  }
  const char *outcome;
  int status = 401;
  int idx = account_find(rt, u->valuestring);
  uint64_t now = mxc_now_ms();
  if (u->valuestring[0] == '\0' || p->valuestring[0] == '\0') {
    outcome = "empty_credentials";
  } else if (idx < 0) {
    outcome = "unknown_user";
  } else if (rt->accounts[idx].blocked_until_ms > now) {
    outcome = "blocked";
  } else if (!rt->cfg.accounts[idx].active) {
    outcome = "inactive";
  } else if (strcmp(rt->cfg.accounts[idx].password, p->valuestring) != 0) {
    outcome = "wrong_password";
    if (++rt->accounts[idx].failures >= MXC_RUNTIME_MAX_FAILURES) {
      rt->accounts[idx].blocked_until_ms = now + rt->cfg.block_ms;
      rt->accounts[idx].failures = 0;
      outcome = "wrong_password_now_blocked";
    }
  } else {
    outcome = "ok";
    status = 200;
  }
  cJSON_AddStringToObject(x->rec, "outcome", outcome);
  if (status != 200)
    return answer_empty(x, 401);

  rt->accounts[idx].failures = 0;
  if (x->sess) { /* no session fixation: the anonymous session dies */
    cJSON_AddStringToObject(x->rec, "session_destroyed", x->sess->id);
    session_destroy(rt, x->sess);
    x->sess = NULL;
  }
  session *s = session_create(rt, idx);
  if (!s)
    return MXC_ENOMEM;
  int rc = set_session_cookies(x->res, s);
  if (!rc && wants_auth_token(x->params))
    rc = mxc_http_response_add_header(x->res, "Set-Cookie: useAuthToken=true; Path=/; HttpOnly");
  cJSON_AddStringToObject(x->rec, "session_out", s->id);
  cJSON_AddStringToObject(x->rec, "session_user", rt->cfg.accounts[idx].username);
  return rc ? rc : answer_empty(x, 200);
}

static int do_logout(xas_ctx *x) {
  char value[128];
  if (x->sess)
    session_destroy(x->rt, x->sess);
  x->sess = NULL;
  if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
    auth_token *t = token_find(x->rt, value);
    if (t)
      *t = x->rt->tokens[--x->rt->ntokens];
  }
  int rc = mxc_http_response_add_header(x->res, "Set-Cookie: XASSESSIONID=; Path=/; Max-Age=0");
  if (!rc)
    rc = mxc_http_response_add_header(x->res, "Set-Cookie: XASID=; Path=/; Max-Age=0");
  if (!rc)
    rc = mxc_http_response_add_header(x->res, "Set-Cookie: authtoken=; Path=/; Max-Age=0");
  return rc ? rc : answer_empty(x, 200);
}

static int do_keepalive(xas_ctx *x) { return answer_empty(x, x->sess ? 200 : 401); }

static int do_info(xas_ctx *x) { return answer_empty(x, 200); }

typedef int (*action_fn)(xas_ctx *);

static const struct action_entry {
  const char *name;
  action_fn fn;
  bool csrf_checked; /* whether a session's token is expected on this action */
} actions[] = {
    {"get_session_data", do_get_session_data, false},
    {"login", do_login, true},
    {"logout", do_logout, true},
    {"keepalive", do_keepalive, true},
    {"info", do_info, false},
};

static void record_params(cJSON *rec, const cJSON *params) {
  if (!cJSON_IsObject(params))
    return;
  cJSON *copy = cJSON_Duplicate(params, 1);
  if (!copy)
    return;
  cJSON *pw = cJSON_GetObjectItem(copy, "password");
  if (cJSON_IsString(pw) && pw->valuestring[0])
    cJSON_ReplaceItemInObject(copy, "password", cJSON_CreateString("[redacted]"));
  cJSON_AddItemToObject(rec, "params", copy);
}

static void record_session_in(xas_ctx *x) {
  char id[128];
  bool has = cookie_get(x->cookie_header, "XASSESSIONID", id, sizeof id);
  cJSON *o = cJSON_AddObjectToObject(x->rec, "session_in");
  if (!o)
    return;
  if (has)
    cJSON_AddStringToObject(o, "id", id);
  else
    cJSON_AddNullToObject(o, "id");
  const char *state = !has                   ? "none"
                      : !x->sess             ? "unknown"
                      : x->sess->account < 0 ? "anonymous"
                                             : "user";
  cJSON_AddStringToObject(o, "state", state);
}

/* Records whether the request carries the session's csrftoken; true when it may proceed. */
static bool check_csrf(xas_ctx *x, const struct action_entry *a) {
  const char *tok = mxc_http_header_get(x->req->headers, x->req->nheaders, "X-Csrf-Token");
  const char *state;
  if (!x->sess)
    state = tok ? "no_session" : "absent";
  else if (!tok)
    state = "absent";
  else
    state = strcmp(tok, x->sess->csrf) == 0 ? "match" : "mismatch";
  cJSON_AddStringToObject(x->rec, "csrf", state);
  if (!a->csrf_checked || !x->rt->cfg.csrf_enforce || !x->sess)
    return true;
  return strcmp(state, "match") == 0;
}

int mxc_runtime_handle(mxc_runtime *rt, const mxc_http_request *req, mxc_http_response *res,
                       cJSON *rec) {
  int rc = 0;
  cJSON *body = NULL;
  char path[256];
  const char *q = strchr(req->target, '?');
  size_t plen = q ? (size_t)(q - req->target) : strlen(req->target);
  if (plen >= sizeof path)
    plen = sizeof path - 1;
  memcpy(path, req->target, plen);
  path[plen] = '\0';

  if (strcmp(path, "/xas/") != 0) {
    rc = answer_error(res, 404, "no such path");
    goto out;
  }
  if (strcmp(req->method, "POST") != 0) {
    rc = answer_error(res, 405, "only POST is allowed on /xas/");
    if (!rc)
      rc = mxc_http_response_add_header(res, "Allow: POST");
    goto out;
  }
  body = cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
  const cJSON *action = cJSON_GetObjectItem(body, "action");
  if (!cJSON_IsObject(body) || !cJSON_IsString(action)) {
    cJSON_AddStringToObject(rec, "action", "");
    rc = answer_error(res, 400,
                      body ? "request body needs a string \"action\"" : "request body is not JSON");
    goto out;
  }
  cJSON_AddStringToObject(rec, "action", action->valuestring);
  xas_ctx x = {.rt = rt, .req = req, .res = res, .rec = rec};
  x.params = cJSON_GetObjectItem(body, "params");
  record_params(rec, x.params);
  x.cookie_header = mxc_http_header_get(req->headers, req->nheaders, "Cookie");
  char id[128];
  if (cookie_get(x.cookie_header, "XASSESSIONID", id, sizeof id))
    x.sess = session_find(rt, id);
  record_session_in(&x);
  if (x.sess)
    x.sess->last_used_ms = mxc_now_ms();

  const struct action_entry *a = NULL;
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(actions[i].name, action->valuestring) == 0)
      a = &actions[i];
  if (!a) {
    char msg[200];
    snprintf(msg, sizeof msg, "unknown action '%.100s'", action->valuestring);
    rc = answer_error(res, 400, msg);
    goto out;
  }
  if (!check_csrf(&x, a)) {
    rc = answer_error(res, 403, "CSRF token missing or wrong");
    goto out;
  }
  rc = a->fn(&x);
out:
  cJSON_Delete(body);
  if (rc == 0) {
    rc = mxc_http_response_add_header(res, "Content-Type: application/json;charset=utf-8");
    if (!rc)
      rc = mxc_http_response_add_header(res, "Cache-Control: no-store");
  }
  if (rc) {
    mxc_http_response_cleanup(res);
    res->status = 500;
  }
  return rc;
}
