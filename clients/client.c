/* The reference client's behaviour: one state machine over libcurl transfers on libuv. */
#include "clients/client.h"

#include "clients/curl_uv.h"
#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
};

static void send_next_attempt(mxc_client *c);
static void finish(mxc_client *c);

/* ---- HTTP plumbing ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
  mxc_client *c = arg;
  if (mxc_buf_append(&c->response, data, size * n) != 0)
    return 0; /* too large: the transfer fails with CURLE_WRITE_ERROR */
  return size * n;
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
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, c->cookie_file);
  curl_easy_setopt(e, CURLOPT_COOKIEJAR, c->cookie_file);
  curl_easy_setopt(e, CURLOPT_COOKIESESSION, 1L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->cs->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cs->timeout_ms);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "mxclient/" MXC_VERSION);
  if (c->cs->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, c->cs->ca_file);
  return 0;
}

static void on_done(CURL *easy, CURLcode result, void *arg);

/* Posts {"action": action, "params": params} to {base}xas/. Takes params. */
static int xas_post(mxc_client *c, const char *action, cJSON *params) {
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
  url = mxc_asprintf("%s%sxas/", base, blen && base[blen - 1] == '/' ? "" : "/");
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
  snprintf(line, sizeof line, "X-Mx-ReqToken: %llu-%llu",
           (unsigned long long)(mxc_now_us() / 1000u), (unsigned long long)++c->req_counter);
  c->headers = curl_slist_append(c->headers, line);
  if (c->csrf) {
    snprintf(line, sizeof line, "X-Csrf-Token: %.200s", c->csrf);
    c->headers = curl_slist_append(c->headers, line);
  }
  mxc_buf_reset(&c->response);
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
static int signin_status(CURL *easy, CURLcode result) {
  long code = 0;
  if (result != CURLE_OK)
    return 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 300 && code < 400)
    return 0;
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
      c->page = mxc_strdup(page->valuestring);
      break;
    }
  }
  cJSON_Delete(doc);
}

static char *message_for(mxc_client *c, int status) {
  if (status == 401)
    return mxc_strdup(MXC_MSG_DENIED);
  if (status == 0)
    return mxc_strdup(MXC_MSG_NETWORK);
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
  if (xas_post(c, "get_session_data", cJSON_CreateObject()) != 0)
    finish(c);
}

static void relaunch(mxc_client *c) {
  free(c->csrf);
  c->csrf = NULL;
  if (launch_handle(c) != 0) {
    finish(c);
    return;
  }
  start_get_session_data(c, STEP_RELAUNCH);
}

static void after_attempts(mxc_client *c) {
  if (c->cs->relaunch)
    relaunch(c);
  else
    finish(c);
}

static void on_done(CURL *easy, CURLcode result, void *arg) {
  mxc_client *c = arg;
  int status = signin_status(easy, result);
  switch (c->step) {
  case STEP_STARTUP:
    c->startup_ms = elapsed_ms(c);
    apply_session_data(c, status);
    c->attempt = 0;
    send_next_attempt(c);
    break;
  case STEP_LOGIN:
    c->signin_ms = elapsed_ms(c);
    record_attempt(c, status, status == 200 ? NULL : message_for(c, status));
    c->attempt++;
    if (status == 200) {
      c->restarted = true; /* the app restarts; remaining attempts are not made */
      free(c->csrf);
      c->csrf = NULL;
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
    if (a->username[0] == '\0' || a->password[0] == '\0') {
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
    /* a fresh connection: libcurl silently resends a request whose reused connection died,
     * and one tap must be one login request (REQ-6) */
    curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 1L);
    int rc = xas_post(c, "login", params);
    curl_easy_setopt(c->easy, CURLOPT_FRESH_CONNECT, 0L);
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

int mxc_client_start(uv_loop_t *loop, const mxc_case *cs, mxc_client_done_cb done, void *arg,
                     mxc_client **out) {
  int rc = 0;
  *out = NULL;
  mxc_client *c = calloc(1, sizeof *c);
  if (!c)
    return MXC_ENOMEM;
  c->loop = loop;
  c->cs = cs;
  c->done = done;
  c->done_arg = arg;
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
