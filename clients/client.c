/* The reference client's behaviour: one state machine over libcurl transfers on libuv. */
#include "clients/client.h"

#include "clients/curl_uv.h"
#include "clients/defects.h"
#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RESPONSE (1024u * 1024u)

typedef enum {
  STEP_STARTUP,  /* get_session_data at launch */
  STEP_LOGIN,    /* the current attempt's login request */
  STEP_RESTART,  /* get_session_data after a 200 */
  STEP_RELAUNCH, /* get_session_data after closing and launching the app again */
  STEP_DONE,
} step;

typedef struct attempt_result {
  int status;
  char *message;
} attempt_result;

struct mxc_client {
  uv_loop_t *loop;
  const mxc_case *cs;
  mxc_curl_uv *cu;
  CURL *easy;
  struct curl_slist *headers;
  mxc_buf response;
  step step;
  size_t attempt; /* index of the attempt being made */
  attempt_result *results;
  size_t nresults;
  bool restarted;
  char *page;
  char *csrf;
  char *cookie_file;
  char *own_state_dir; /* made when the case has no MXC_STATE_DIR */
  uint64_t req_counter;
  uint64_t step_started_us;
  double startup_ms, signin_ms, restart_ms, relaunch_ms;
  mxc_client_done_cb done;
  void *done_arg;
  bool finished;
  mxc_defect defect;                /* a deliberate bug (selftest), MXC_DEFECT_NONE normally */
  bool retried;                     /* retry-after-401 */
  bool headers_complete;            /* the answer's header section ended with its blank line */
  struct curl_slist *anonymous_jar; /* restart-anonymous-cookie: the jar before the login */
};

static const mxc_defect_def defect_defs[] = {{"none", "must", "", ""},
#define XX(e, name, level, rule, doc) {name, level, rule, doc},
                                             MXC_DEFECTS(XX)
#undef XX
};

mxc_defect mxc_defect_find(const char *name) {
  for (size_t i = 1; i < sizeof defect_defs / sizeof defect_defs[0]; i++)
    if (strcmp(defect_defs[i].name, name) == 0)
      return (mxc_defect)i;
  return MXC_DEFECT_NONE;
}

const mxc_defect_def *mxc_defect_def_of(mxc_defect d) {
  return d > MXC_DEFECT_NONE && d < MXC_DEFECT__COUNT ? &defect_defs[d] : NULL;
}

#define DEFECT(c, name) ((c)->defect == MXC_DEFECT_##name)

static void send_next_attempt(mxc_client *c);
static void finish(mxc_client *c);

/* ---- HTTP plumbing ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
  mxc_client *c = arg;
  if (mxc_buf_append(&c->response, data, size * n) != 0)
    return 0; /* too large: the transfer fails with CURLE_WRITE_ERROR */
  return size * n;
}

/* Notes the end of the header section: libcurl takes an answer cut inside its headers as
 * complete, and such an answer is no HTTP response (NET-3). */
static size_t on_header(char *data, size_t size, size_t n, void *arg) {
  mxc_client *c = arg;
  size_t len = size * n;
  if ((len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n'))
    c->headers_complete = true;
  return len;
}

/* A fresh easy handle for a launch of the app: persistent cookies come from the state dir,
 * session cookies do not (CURLOPT_COOKIESESSION). */
static int launch_handle(mxc_client *c) {
  if (c->easy) {
    curl_easy_setopt(c->easy, CURLOPT_COOKIELIST, "FLUSH");
    curl_easy_cleanup(c->easy); /* also writes the jar */
  }
  c->easy = curl_easy_init();
  if (!c->easy)
    return MXC_ENOMEM;
  CURL *e = c->easy;
  if (!DEFECT(c, IGNORE_SET_COOKIE)) {
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, c->cookie_file);
    curl_easy_setopt(e, CURLOPT_COOKIEJAR, c->cookie_file);
    curl_easy_setopt(e, CURLOPT_COOKIESESSION, 1L);
  }
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, DEFECT(c, NO_TIMEOUT) ? 0L : (long)c->cs->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cs->timeout_ms);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "mxclient/" MXC_VERSION);
  if (c->cs->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, c->cs->ca_file);
  if (DEFECT(c, INSECURE_TLS)) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return 0;
}

static void on_done(CURL *easy, CURLcode result, void *arg);

/* Posts {"action": action, "params": params} to {base}xas/ (plus `query` when not NULL).
 * Takes params. */
static int xas_post(mxc_client *c, const char *action, cJSON *params, const char *query) {
  int rc = 0;
  char *url = NULL, *body = NULL;
  cJSON *doc = cJSON_CreateObject();
  if (!doc || !params) {
    cJSON_Delete(params);
    rc = MXC_ENOMEM;
    goto out;
  }
  cJSON_AddStringToObject(doc, "action", action);
  cJSON_AddItemToObject(doc, "params", params);
  body = cJSON_PrintUnformatted(doc);
  const char *base = c->cs->base_url;
  size_t blen = strlen(base);
  url = mxc_asprintf("%s%sxas/%s", base, blen && base[blen - 1] == '/' ? "" : "/",
                     query ? query : "");
  if (!body || !url) {
    rc = MXC_ENOMEM;
    goto out;
  }
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  char line[256];
  c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
  c->headers = curl_slist_append(c->headers, "Accept: application/json");
  c->headers = curl_slist_append(c->headers, "Expect:");
  struct timespec now; /* PROTOCOL.md: <unix-ms>-<counter>, wall clock */
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(line, sizeof line, "X-Mx-ReqToken: %llu-%llu",
           (unsigned long long)now.tv_sec * 1000ull + (unsigned long long)(now.tv_nsec / 1000000),
           (unsigned long long)++c->req_counter);
  c->headers = curl_slist_append(c->headers, line);
  if (c->csrf && !DEFECT(c, NO_CSRF)) {
    snprintf(line, sizeof line, "X-Csrf-Token: %.200s", c->csrf);
    c->headers = curl_slist_append(c->headers, line);
  }
  mxc_buf_reset(&c->response);
  c->headers_complete = false;
  /* login on a fresh connection: libcurl silently resends a request whose reused connection
   * died, and one tap must be one login request (REQ-6) */
  curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, strcmp(action, "login") == 0 ? 1L : 0L);
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
  curl_easy_setopt(c->easy, CURLOPT_COPYPOSTFIELDS, body);
  c->step_started_us = mxc_now_us();
  rc = mxc_curl_uv_add(c->cu, c->easy, on_done, c);
out:
  free(url);
  free(body);
  cJSON_Delete(doc);
  return rc;
}

/* What SignIn hands back: the HTTP status, or 0 when no usable HTTP response arrived (any
 * transport error, a cut-short body, and redirects, which the Mendix client does not follow). */
static int signin_status(const mxc_client *c, CURL *easy, CURLcode result) {
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  if (DEFECT(c, TRUNCATED_SUCCESS) && result == CURLE_PARTIAL_FILE)
    return (int)code;
  if (result != CURLE_OK || !c->headers_complete)
    return 0;
  if (code >= 300 && code < 400)
    return DEFECT(c, FOLLOW_REDIRECT) ? 200 : 0;
  if (code >= 500 && code < 600 && DEFECT(c, SERVER_ERROR_SUCCESS))
    return 200;
  return (int)code;
}

/* ---- session data and pages ---- */

/* Applies a get_session_data answer: keeps the csrftoken, shows the home page of the first
 * role that has one. */
static void apply_session_data(mxc_client *c, int status) {
  free(c->page);
  c->page = NULL;
  if (status != 200)
    return;
  cJSON *doc = cJSON_ParseWithLength(c->response.data ? c->response.data : "", c->response.len);
  const cJSON *tok = cJSON_GetObjectItem(doc, "csrftoken");
  if (cJSON_IsString(tok)) {
    free(c->csrf);
    c->csrf = mxc_strdup(tok->valuestring);
  }
  const cJSON *role;
  cJSON_ArrayForEach(role, cJSON_GetObjectItem(doc, "roles")) {
    if (!cJSON_IsString(role))
      continue;
    const cJSON *page = cJSON_GetObjectItemCaseSensitive(c->cs->navigation, role->valuestring);
    if (cJSON_IsString(page)) {
      bool anonymous = strcmp(role->valuestring, "Anonymous") == 0;
      c->page =
          mxc_strdup(DEFECT(c, FIXED_HOME_PAGE) && !anonymous ? "Home_User" : page->valuestring);
      break;
    }
  }
  cJSON_Delete(doc);
}

static char *message_for(mxc_client *c, int status, const char *password) {
  if (status == 401 && DEFECT(c, NO_MESSAGE_401))
    return mxc_strdup("");
  if (status == 401 && DEFECT(c, PASSWORD_IN_MESSAGE))
    return mxc_asprintf("The password '%s' is incorrect.", password);
  if (status == 401)
    return mxc_strdup(MXC_MSG_DENIED);
  if (status == 0)
    return mxc_strdup(DEFECT(c, SAME_MESSAGE) ? MXC_MSG_DENIED : MXC_MSG_NETWORK);
  if (status == 560) {
    cJSON *doc = cJSON_ParseWithLength(c->response.data ? c->response.data : "", c->response.len);
    const cJSON *d = cJSON_GetObjectItem(doc, "description");
    char *msg = cJSON_IsString(d) && d->valuestring[0] ? mxc_strdup(d->valuestring) : NULL;
    cJSON_Delete(doc);
    if (msg)
      return msg;
  }
  return mxc_asprintf("Sign-in failed (HTTP %d). Please try again later.", status);
}

static void record_attempt(mxc_client *c, int status, char *message) {
  attempt_result *r = &c->results[c->nresults++];
  r->status = status;
  r->message = message ? message : mxc_strdup("");
}

static double elapsed_ms(const mxc_client *c) {
  return (double)(mxc_now_us() - c->step_started_us) / 1000.0;
}

/* ---- the flow ---- */

static void start_get_session_data(mxc_client *c, step s) {
  c->step = s;
  if (xas_post(c, "get_session_data", cJSON_CreateObject(), NULL) != 0)
    finish(c);
}

static void relaunch(mxc_client *c) {
  free(c->csrf);
  c->csrf = NULL;
  if (launch_handle(c) != 0) {
    finish(c);
    return;
  }
  if (DEFECT(c, DROP_AUTH_TOKEN))
    unlink(c->cookie_file); /* the persistent cookies, auth token included, are gone */
  start_get_session_data(c, STEP_RELAUNCH);
}

static void after_attempts(mxc_client *c) {
  if (c->cs->relaunch)
    relaunch(c);
  else
    finish(c);
}

/* restart-anonymous-cookie: the jar goes back to what it held before the login */
static void restore_anonymous_jar(mxc_client *c) {
  curl_easy_setopt(c->easy, CURLOPT_COOKIELIST, "ALL");
  for (struct curl_slist *l = c->anonymous_jar; l; l = l->next)
    curl_easy_setopt(c->easy, CURLOPT_COOKIELIST, l->data);
}

static void on_done(CURL *easy, CURLcode result, void *arg) {
  mxc_client *c = arg;
  if (DEFECT(c, CRASH_ON_RESET) && (result == CURLE_RECV_ERROR || result == CURLE_SEND_ERROR))
    abort();
  int status = signin_status(c, easy, result);
  switch (c->step) {
  case STEP_STARTUP:
    c->startup_ms = elapsed_ms(c);
    apply_session_data(c, status);
    c->attempt = 0;
    send_next_attempt(c);
    break;
  case STEP_LOGIN:
    c->signin_ms = elapsed_ms(c);
    if (status == 401 && DEFECT(c, RETRY_AFTER_401) && !c->retried) {
      c->retried = true; /* the same tap, sent again */
      send_next_attempt(c);
      break;
    }
    record_attempt(c, status,
                   status == 200 ? NULL
                                 : message_for(c, status, c->cs->attempts[c->attempt].password));
    c->attempt++;
    if (status == 200 && DEFECT(c, NO_RESTART)) {
      c->attempt = c->cs->nattempts; /* signed in, but the app stays where it is */
      after_attempts(c);
    } else if (status == 200) {
      c->restarted = true; /* the app restarts; remaining attempts are not made */
      free(c->csrf);
      c->csrf = NULL;
      if (DEFECT(c, RESTART_ANONYMOUS))
        restore_anonymous_jar(c);
      start_get_session_data(c, STEP_RESTART);
    } else {
      send_next_attempt(c);
    }
    break;
  case STEP_RESTART:
    c->restart_ms = elapsed_ms(c);
    apply_session_data(c, status);
    after_attempts(c);
    break;
  case STEP_RELAUNCH:
    c->relaunch_ms = elapsed_ms(c);
    apply_session_data(c, status);
    finish(c);
    break;
  case STEP_DONE: break;
  }
}

static void send_next_attempt(mxc_client *c) {
  while (c->attempt < c->cs->nattempts) {
    const mxc_attempt_input *a = &c->cs->attempts[c->attempt];
    if ((a->username[0] == '\0' || a->password[0] == '\0') && !DEFECT(c, SENDS_EMPTY)) {
      /* the nanoflow validates before calling SignIn: no request, 401 */
      record_attempt(c, 401, mxc_strdup(MXC_MSG_EMPTY));
      c->attempt++;
      continue;
    }
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "username", a->username);
    cJSON_AddStringToObject(params, "password", a->password);
    if (c->cs->use_auth_token >= 0)
      cJSON_AddBoolToObject(params, "useAuthToken", c->cs->use_auth_token);
    c->step = STEP_LOGIN;
    char *query = NULL;
    if (DEFECT(c, PASSWORD_IN_QUERY)) {
      char *esc = curl_easy_escape(c->easy, a->password, 0);
      query = esc ? mxc_asprintf("?username=%s&password=%s", a->username, esc) : NULL;
      curl_free(esc);
    }
    if (DEFECT(c, RESTART_ANONYMOUS) && !c->anonymous_jar)
      curl_easy_getinfo(c->easy, CURLINFO_COOKIELIST, &c->anonymous_jar);
    int rc = xas_post(c, "login", params, query);
    free(query);
    if (rc != 0) {
      record_attempt(c, 0, mxc_strdup(MXC_MSG_NETWORK));
      c->attempt++;
      continue;
    }
    return;
  }
  after_attempts(c);
}

static void finish(mxc_client *c) {
  if (c->finished)
    return;
  c->finished = true;
  c->step = STEP_DONE;
  if (c->easy)
    curl_easy_setopt(c->easy, CURLOPT_COOKIELIST, "FLUSH");
  c->done(c, c->done_arg);
}

/* ---- public API ---- */

int mxc_client_start(uv_loop_t *loop, const mxc_case *cs, mxc_defect defect,
                     mxc_client_done_cb done, void *arg, mxc_client **out) {
  int rc = 0;
  *out = NULL;
  mxc_client *c = calloc(1, sizeof *c);
  if (!c)
    return MXC_ENOMEM;
  c->loop = loop;
  c->cs = cs;
  c->done = done;
  c->done_arg = arg;
  c->defect = defect;
  mxc_buf_init(&c->response, MAX_RESPONSE);
  c->results = calloc(cs->nattempts ? cs->nattempts : 1, sizeof *c->results);
  const char *state = cs->state_dir;
  if (!state) {
    c->own_state_dir = mxc_tempdir_create("mxclient-state");
    state = c->own_state_dir;
  }
  c->cookie_file = state ? mxc_asprintf("%s/cookies.txt", state) : NULL;
  c->cu = mxc_curl_uv_new(loop);
  if (!c->results || !c->cookie_file || !c->cu) {
    rc = MXC_ENOMEM;
    goto fail;
  }
  rc = launch_handle(c);
  if (rc)
    goto fail;
  start_get_session_data(c, STEP_STARTUP);
  *out = c;
  return 0;
fail:
  mxc_client_close(c);
  return rc;
}

cJSON *mxc_client_report(const mxc_client *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(o, "attempts");
  for (size_t i = 0; i < c->nresults; i++) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "status", c->results[i].status);
    cJSON_AddStringToObject(a, "validation_message", c->results[i].message);
    cJSON_AddItemToArray(arr, a);
  }
  cJSON_AddBoolToObject(o, "restarted", c->restarted);
  cJSON_AddStringToObject(o, "page", c->page ? c->page : "");
  cJSON *t = cJSON_AddObjectToObject(o, "timings");
  cJSON_AddNumberToObject(t, "startup_ms", c->startup_ms);
  cJSON_AddNumberToObject(t, "signin_ms", c->signin_ms);
  cJSON_AddNumberToObject(t, "restart_ms", c->restart_ms);
  cJSON_AddNumberToObject(t, "relaunch_ms", c->relaunch_ms);
  if (!cJSON_GetObjectItem(t, "relaunch_ms")) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

void mxc_client_close(mxc_client *c) {
  if (!c)
    return;
  if (c->easy) {
    if (c->cu)
      mxc_curl_uv_remove(c->cu, c->easy);
    curl_easy_cleanup(c->easy);
  }
  if (c->cu)
    mxc_curl_uv_close(c->cu, NULL, NULL);
  curl_slist_free_all(c->headers);
  curl_slist_free_all(c->anonymous_jar);
  mxc_buf_cleanup(&c->response);
  for (size_t i = 0; i < c->nresults; i++)
    free(c->results[i].message);
  free(c->results);
  free(c->page);
  free(c->csrf);
  free(c->cookie_file);
  if (c->own_state_dir) {
    mxc_tree_remove(c->own_state_dir);
    free(c->own_state_dir);
  }
  free(c);
}
