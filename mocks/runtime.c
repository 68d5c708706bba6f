/* The runtime profile: accounts, blocking, sessions, auth tokens, CSRF and the /xas/ actions. */
#include "mocks/runtime.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "mocks/json_body.h"
#include "mocks/sessions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct account_state {
  int failures;
  uint64_t blocked_until_ms;
  size_t password_len; /* of the configured password (for redaction) */
} account_state;

struct mxc_runtime {
  mxc_runtime_config cfg;
  account_state *accounts;
  mxc_sessions store; /* sessions and auth tokens */
};

/* What cJSON_GetObjectItem returns (the first member whose key matches name, ignoring ASCII
 * case), with glibc's strcasecmp instead of cJSON's byte loop. For the request body. */
static const cJSON *json_get(const cJSON *object, const char *name) {
  int first = tolower((unsigned char)name[0]); /* saves most strcasecmp calls */
  for (const cJSON *c = object ? object->child : NULL; c; c = c->next)
    if (c->string && tolower((unsigned char)c->string[0]) == first &&
        strcasecmp(name, c->string) == 0)
      return c;
  return NULL;
}

/* Writes v in decimal, NUL-terminated; out holds at least 21 bytes. */
static void u64_to_decimal(char *out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
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
  for (size_t i = 0; i < cfg->naccounts; i++)
    rt->accounts[i].password_len =
        cfg->accounts[i].password ? strlen(cfg->accounts[i].password) : 0;
  mxc_sessions_init(&rt->store, rt->cfg.session_idle_ms);
  return rt;
}

void mxc_runtime_free(mxc_runtime *rt) {
  if (!rt)
    return;
  free(rt->accounts);
  mxc_sessions_cleanup(&rt->store);
  free(rt);
}

void mxc_runtime_expire_sessions(mxc_runtime *rt) { mxc_sessions_expire_all(&rt->store); }

static int account_find(const mxc_runtime *rt, const char *username) {
  for (size_t i = 0; i < rt->cfg.naccounts; i++)
    if (strcmp(rt->cfg.accounts[i].username, username) == 0)
      return (int)i;
  return -1;
}

bool mxc_runtime_redact(const mxc_runtime *rt, char *s) {
  bool hit = false;
  size_t len = strlen(s); /* masking keeps it */
  for (size_t i = 0; i < rt->cfg.naccounts; i++)
    if (rt->accounts[i].password_len <= len) /* a longer secret cannot be in s */
      hit |= mxc_mask(s, rt->cfg.accounts[i].password);
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

/* The session cookie's name: __Host- prefixed when configured (RFC 6265bis 4.1.3.2). */
static const char *session_cookie_name(const mxc_runtime *rt) {
  return rt->cfg.host_prefix_cookies ? "__Host-XASSESSIONID" : "XASSESSIONID";
}

/* The session id a request sends, under either name (the prefixed one first). */
static bool session_cookie_get(const char *header, char *out, size_t outlen) {
  return cookie_get(header, "__Host-XASSESSIONID", out, outlen) ||
         cookie_get(header, "XASSESSIONID", out, outlen);
}

/* Adds "Set-Cookie: NAME=VALUE_HEAD ID ATTRS", with "; Secure" over HTTPS. */
static int set_cookie(const mxc_runtime *rt, mxc_http_response *res, const char *name,
                      const char *value_head, const char *id, const char *attrs) {
  bool secure = rt->cfg.secure_cookies || rt->cfg.host_prefix_cookies;
  const char *parts[] = {"Set-Cookie: ",          name, "=", value_head, id, attrs,
                         secure ? "; Secure" : ""};
  return mxc__response_add_parts(res, parts, sizeof parts / sizeof parts[0]);
}

static int set_session_cookies(const mxc_runtime *rt, mxc_http_response *res,
                               const mxc_session *s) {
  char id[MXC_ID_TEXT + 1];
  mxc_id_format(&s->id, id);
  int rc =
      set_cookie(rt, res, session_cookie_name(rt), "", id, "; Path=/; HttpOnly; SameSite=Strict");
  mxc_id_format(&s->xasid, id);
  if (!rc)
    rc = set_cookie(rt, res, "XASID", "0.", id, "; Path=/");
  return rc;
}

/* ---- actions ---- */

typedef struct xas_ctx {
  mxc_runtime *rt;
  const mxc_http_request *req;
  mxc_http_response *res;
  mxc_exchange *rec;
  const cJSON *params;
  const char *cookie_header;
  mxc_session *sess; /* live session of the request's cookie, or NULL */
} xas_ctx;

/* Answers `status` with the body {} (what mxc_http_response_set_json prints for an empty
 * object, without building one). */
static int answer_empty(xas_ctx *x, int status) {
  mxc__response_set_body(x->res, (char *)"{}", 2, true);
  x->res->status = status;
  return 0;
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

static cJSON *session_data_json(const mxc_runtime *rt, const mxc_session *s) {
  char csrf[MXC_ID_TEXT + 1], guid[21];
  mxc_id_format(&s->csrf, csrf);
  u64_to_decimal(guid, s->guid);
  cJSON *o = cJSON_CreateObject();
  cJSON *user = cJSON_AddObjectToObject(o, "user");
  cJSON *attrs = cJSON_AddObjectToObject(user, "attributes");
  cJSON *roles = cJSON_AddArrayToObject(o, "roles");
  cJSON_AddStringToObject(o, "csrftoken", csrf);
  cJSON_AddNumberToObject(o, "keepalive", (double)(rt->cfg.session_idle_ms / 2));
  cJSON_AddStringToObject(user, "guid", guid);
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
    snprintf(anon_name, sizeof anon_name, "Anonymous_%s", guid);
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
  mxc_session *s = x->sess;
  char value[128], id[MXC_ID_TEXT + 1];
  int rc = 0;
  if (!s) {
    int account = -1;
    const char *source = "anonymous";
    if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
      mxc_auth_token *t = mxc_token_find(&rt->store, value);
      if (t && rt->cfg.accounts[t->account].active) {
        account = t->account;
        source = "authtoken";
      } else {
        source = "anonymous_bad_token";
      }
    }
    s = mxc_session_create(&rt->store, account);
    if (!s)
      return MXC_ENOMEM;
    rc = set_session_cookies(rt, x->res, s);
    mxc_exchange_lit(x->rec, "session_created", source);
    mxc_id_format(&s->id, id);
    mxc_exchange_str(x->rec, "session_out", id);
  }
  if (s->account >= 0 && cookie_get(x->cookie_header, "useAuthToken", value, sizeof value) &&
      strcmp(value, "true") == 0) {
    mxc_auth_token *t = mxc_token_create(&rt->store, s->account);
    if (!t)
      return MXC_ENOMEM;
    mxc_id_format(&t->id, id);
    if (!rc)
      rc = set_cookie(rt, x->res, "authtoken", "", id, "; Path=/; HttpOnly; Max-Age=31536000");
    if (!rc)
      rc = set_cookie(rt, x->res, "useAuthToken", "", "", "; Path=/; Max-Age=0");
    mxc_exchange_bool(x->rec, "authtoken_issued", true);
  }
  if (rc)
    return rc;
  mxc_exchange_str(x->rec, "session_user",
                   s->account >= 0 ? rt->cfg.accounts[s->account].username : "");
  cJSON *body = session_data_json(rt, s);
  if (!body)
    return MXC_ENOMEM;
  cJSON *roles = cJSON_Duplicate(cJSON_GetObjectItem(body, "roles"), 1);
  if (!mxc_exchange_json(x->rec, "roles", roles))
    cJSON_Delete(roles);
  mxc_id_format(&s->csrf, id);
  mxc_exchange_str(x->rec, "csrftoken_out", id);
  rc = mxc_http_response_set_json(x->res, 200, body);
  cJSON_Delete(body);
  return rc;
}

static bool wants_auth_token(const cJSON *params) {
  const cJSON *v = json_get(params, "useAuthToken");
  if (!v)
    v = json_get(params, "shouldgeneratetoken");
  if (cJSON_IsTrue(v))
    return true;
  /* "default": native apps use auth tokens by default (documented in docs/serve.md). */
  return cJSON_IsString(v) && strcmp(v->valuestring, "default") == 0;
}

static int do_login(xas_ctx *x) {
  mxc_runtime *rt = x->rt;
  const cJSON *u = json_get(x->params, "username");
  const cJSON *p = json_get(x->params, "password");
  if (!cJSON_IsString(u) || !cJSON_IsString(p)) {
    mxc_exchange_lit(x->rec, "outcome", "bad_params");
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
  mxc_exchange_lit(x->rec, "outcome", outcome);
  if (status != 200)
    return answer_empty(x, 401);

  rt->accounts[idx].failures = 0;
  char id[MXC_ID_TEXT + 1];
  if (x->sess) { /* no session fixation: the anonymous session dies */
    mxc_id_format(&x->sess->id, id);
    mxc_exchange_str(x->rec, "session_destroyed", id);
    mxc_session_destroy(&rt->store, x->sess);
    x->sess = NULL;
  }
  mxc_session *s = mxc_session_create(&rt->store, idx);
  if (!s)
    return MXC_ENOMEM;
  int rc = set_session_cookies(rt, x->res, s);
  if (!rc && wants_auth_token(x->params))
    rc = set_cookie(rt, x->res, "useAuthToken", "true", "", "; Path=/; HttpOnly");
  mxc_id_format(&s->id, id);
  mxc_exchange_str(x->rec, "session_out", id);
  mxc_exchange_str(x->rec, "session_user", rt->cfg.accounts[idx].username);
  return rc ? rc : answer_empty(x, 200);
}

static int do_logout(xas_ctx *x) {
  char value[128];
  if (x->sess)
    mxc_session_destroy(&x->rt->store, x->sess);
  x->sess = NULL;
  if (cookie_get(x->cookie_header, "authtoken", value, sizeof value)) {
    mxc_auth_token *t = mxc_token_find(&x->rt->store, value);
    if (t)
      mxc_token_destroy(&x->rt->store, t);
  }
  int rc = set_cookie(x->rt, x->res, session_cookie_name(x->rt), "", "", "; Path=/; Max-Age=0");
  if (!rc)
    rc = set_cookie(x->rt, x->res, "XASID", "", "", "; Path=/; Max-Age=0");
  if (!rc)
    rc = set_cookie(x->rt, x->res, "authtoken", "", "", "; Path=/; Max-Age=0");
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

/* Records an object `params` of the request body, with a non-empty params.password (the
 * first key that cJSON_GetObjectItem matches) reading "[redacted]". When the body's text is
 * known (the fast parse), that text is recorded with the password's cut out, else a copy.
 * Any account password still in it (a second "password" key, a password typed as the user
 * name) is masked with '*', as in request targets and headers. */
static void record_params(const mxc_runtime *rt, mxc_exchange *rec, const mxc_http_request *req,
                          const mxc_json_body *parsed, const cJSON *params) {
  if (!rec || !cJSON_IsObject(params))
    return;
  const cJSON *pw = json_get(params, "password");
  bool secret = cJSON_IsString(pw) && pw->valuestring[0];
  size_t start, end, pw_start = 0, pw_end = 0;
  static const char mark[] = "\"[redacted]\"";
  char local[1024], *text = local, *printed = NULL;
  size_t n = 0;
  if (mxc_json_body_span(parsed, params, &start, &end) &&
      (!secret || mxc_json_body_span(parsed, pw, &pw_start, &pw_end))) {
    if (!secret)
      pw_start = pw_end = start;
    size_t head = pw_start - start, tail = end - pw_end, mid = secret ? sizeof mark - 1 : 0;
    n = head + mid + tail;
    if (n >= sizeof local && !(text = malloc(n + 1)))
      return;
    memcpy(text, req->body + start, head);
    memcpy(text + head, mark, mid);
    memcpy(text + head + mid, req->body + pw_end, tail);
    text[n] = '\0';
  } else {
    cJSON *copy = cJSON_Duplicate(params, true);
    cJSON *cpw = copy ? cJSON_GetObjectItem(copy, "password") : NULL;
    if (secret && cpw)
      cJSON_SetValuestring(cpw, "[redacted]");
    printed = copy ? cJSON_PrintUnformatted(copy) : NULL;
    cJSON_Delete(copy);
    if (!printed)
      return;
    text = printed;
    n = strlen(printed);
  }
  mxc_runtime_redact(rt, text);
  mxc_exchange_json_text(rec, "params", text, n, 0, 0, NULL);
  if (text != local)
    free(text);
}

static void record_session_in(xas_ctx *x) {
  char id[128];
  bool has = session_cookie_get(x->cookie_header, id, sizeof id);
  mxc_exchange_object(x->rec, "session_in");
  if (has)
    mxc_exchange_str(x->rec, "id", id);
  else
    mxc_exchange_null(x->rec, "id");
  const char *state = !has                   ? "none"
                      : !x->sess             ? "unknown"
                      : x->sess->account < 0 ? "anonymous"
                                             : "user";
  mxc_exchange_lit(x->rec, "state", state);
  mxc_exchange_end(x->rec);
}

/* Records whether the request carries the session's csrftoken; true when it may proceed. */
static bool check_csrf(xas_ctx *x, const struct action_entry *a) {
  const char *tok = mxc_http_header_get(x->req->headers, x->req->nheaders, "X-Csrf-Token");
  const char *state;
  if (!x->sess)
    state = tok ? "no_session" : "absent";
  else if (!tok)
    state = "absent";
  else {
    char csrf[MXC_ID_TEXT + 1];
    mxc_id_format(&x->sess->csrf, csrf);
    state = strcmp(tok, csrf) == 0 ? "match" : "mismatch";
  }
  mxc_exchange_lit(x->rec, "csrf", state);
  if (!a->csrf_checked || !x->rt->cfg.csrf_enforce || !x->sess)
    return true;
  return strcmp(state, "match") == 0;
}

void mxc_runtime_observe(mxc_runtime *rt, const mxc_http_request *req, mxc_exchange *rec) {
  static const struct action_entry observed = {"", NULL, false};
  mxc_json_body parsed;
  const cJSON *body = mxc_json_body_parse(&parsed, req->body, req->body_len);
  const cJSON *action = json_get(body, "action");
  mxc_exchange_str(rec, "action", cJSON_IsString(action) ? action->valuestring : "");
  xas_ctx x = {.rt = rt, .req = req, .rec = rec};
  record_params(rt, rec, req, &parsed, json_get(body, "params"));
  x.cookie_header = mxc_http_header_get(req->headers, req->nheaders, "Cookie");
  char id[128];
  if (session_cookie_get(x.cookie_header, id, sizeof id)) {
    mxc_session *s = mxc_session_find(&rt->store, id);
    x.sess =
        s && !mxc_session_expired(&rt->store, s, mxc_now_ms()) ? s : NULL; /* looked at, not used */
  }
  record_session_in(&x);
  check_csrf(&x, &observed);
  mxc_json_body_cleanup(&parsed);
}

int mxc_runtime_handle(mxc_runtime *rt, const mxc_http_request *req, mxc_http_response *res,
                       mxc_exchange *rec) {
  int rc = 0;
  mxc_json_body parsed; /* set by the parse below; nothing to clean up before it */
  parsed.parsed = NULL;
  const cJSON *body = NULL;
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
      rc = mxc__response_add_literal(res, "Allow: POST");
    goto out;
  }
  body = mxc_json_body_parse(&parsed, req->body, req->body_len);
  const cJSON *action = json_get(body, "action");
  if (!cJSON_IsObject(body) || !cJSON_IsString(action)) {
    mxc_exchange_lit(rec, "action", "");
    rc = answer_error(res, 400,
                      body ? "request body needs a string \"action\"" : "request body is not JSON");
    goto out;
  }
  mxc_exchange_str(rec, "action", action->valuestring);
  xas_ctx x = {.rt = rt, .req = req, .res = res, .rec = rec};
  x.params = json_get(body, "params");
  record_params(rt, rec, req, &parsed, x.params);
  x.cookie_header = mxc_http_header_get(req->headers, req->nheaders, "Cookie");
  char id[128];
  if (session_cookie_get(x.cookie_header, id, sizeof id))
    x.sess = mxc_session_use(&rt->store, id);
  record_session_in(&x);

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
  mxc_json_body_cleanup(&parsed);
  if (rc == 0) {
    rc = mxc__response_add_literal(res, "Content-Type: application/json;charset=utf-8");
    if (!rc)
      rc = mxc__response_add_literal(res, "Cache-Control: no-store");
  }
  if (rc) {
    mxc_http_response_cleanup(res);
    res->status = 500;
  }
  return rc;
}
