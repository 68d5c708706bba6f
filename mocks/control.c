/* Control API: health, transcript, reset, expire, arm, for mocks run by `mxconform serve`. */
#include "mocks/control.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "mocks/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mxc_control_path(const char *target) {
  return strncmp(target, MXC_CONTROL_PREFIX, strlen(MXC_CONTROL_PREFIX)) == 0;
}

static int answer_msg(mxc_http_response *res, int status, const char *key, const char *msg) {
  cJSON *o = cJSON_CreateObject();
  if (o && key)
    cJSON_AddStringToObject(o, key, msg);
  return mxc_http_response_json(res, status, o);
}

/* Value of query parameter `name` in target (no decoding: IDs are plain). */
static bool query_param(const char *target, const char *name, char *out, size_t outlen) {
  const char *q = strchr(target, '?');
  size_t nlen = strlen(name);
  while (q && *q) {
    q++;
    if (strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
      const char *v = q + nlen + 1;
      size_t len = strcspn(v, "&");
      if (len >= outlen)
        return false;
      memcpy(out, v, len);
      out[len] = '\0';
      return true;
    }
    q = strchr(q, '&');
  }
  return false;
}

/* POST /_mxconform/faults: a fault as JSON ({"kind": ...}), {"spec": "MATCH:KIND:..."}, or a
 * bare spec as text. */
static int add_fault(mxc_mock *m, const char *body, size_t len, mxc_http_response *res) {
  char err[300];
  mxc_fault f;
  int rc;
  cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
  if (cJSON_IsString(spec)) {
    rc = mxc_fault_from_spec(spec->valuestring, &f, err, sizeof err);
  } else if (cJSON_IsObject(doc)) {
    rc = mxc_fault_from_json(doc, &f, err, sizeof err);
  } else {
    char *text = mxc_strndup(body ? body : "", len);
    rc = text ? mxc_fault_from_spec(text, &f, err, sizeof err) : MXC_ENOMEM;
    free(text);
  }
  cJSON_Delete(doc);
  if (rc)
    return answer_msg(res, 400, "error", rc == MXC_ENOMEM ? "out of memory" : err);
  rc = mxc_mock_faults_add(m, &f);
  mxc_fault_cleanup(&f);
  if (rc == MXC_EINVAL)
    return answer_msg(res, 400, "error", "this kind acts in the harness, not in the mock");
  if (rc)
    return answer_msg(res, 500, "error", mxc_strerror(rc));
  return mxc_http_response_json(res, 200, mxc_mock_faults_json(m));
}

int mxc_control_handle(mxc_mock *m, const mxc_control *ctl, const char *method, const char *target,
                       const char *body, size_t body_len, mxc_http_response *res) {
  const char *what = target + strlen(MXC_CONTROL_PREFIX);
  size_t wlen = strcspn(what, "?");
  bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
#define IS(name) (wlen == strlen(name) && strncmp(what, name, wlen) == 0)
  if (IS("health")) {
    if (!get)
      return answer_msg(res, 405, "error", "use GET");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "version", MXC_VERSION);
    cJSON_AddNumberToObject(o, "port", mxc_mock_port(m));
    const char *armed = mxc_mock_armed(m);
    if (armed)
      cJSON_AddStringToObject(o, "scenario", armed);
    else
      cJSON_AddNullToObject(o, "scenario");
    return mxc_http_response_json(res, 200, o);
  }
  if (IS("transcript")) {
    if (!get)
      return answer_msg(res, 405, "error", "use GET");
    return mxc_http_response_json(res, 200, cJSON_Duplicate(mxc_mock_transcript(m), 1));
  }
  if (IS("reset")) {
    if (!post)
      return answer_msg(res, 405, "error", "use POST");
    int rc = mxc_mock_reset(m, NULL);
    return rc ? answer_msg(res, 500, "error", mxc_strerror(rc))
              : mxc_http_response_json(res, 200, cJSON_CreateObject());
  }
  if (IS("expire")) {
    if (!post)
      return answer_msg(res, 405, "error", "use POST");
    mxc_mock_expire_sessions(m);
    return mxc_http_response_json(res, 200, cJSON_CreateObject());
  }
  if (IS("faults")) {
    if (get)
      return mxc_http_response_json(res, 200, mxc_mock_faults_json(m));
    if (post)
      return add_fault(m, body, body_len, res);
    if (strcmp(method, "DELETE") == 0) {
      int rc = mxc_mock_faults_clear(m);
      return rc ? answer_msg(res, 500, "error", mxc_strerror(rc))
                : mxc_http_response_json(res, 200, cJSON_CreateArray());
    }
    return answer_msg(res, 405, "error", "use GET, POST or DELETE");
  }
  if (IS("next") || IS("result")) {
    bool next = IS("next");
    if (!ctl->agent_next)
      return answer_msg(res, 404, "error", "this mock runs no agent flow (serve --agents DIR)");
    if (next ? !get : !post)
      return answer_msg(res, 405, "error", next ? "use GET" : "use POST");
    char agent[80] = "agent";
    if (query_param(target, "agent", agent, sizeof agent) &&
        (!*agent || strlen(agent) > 64 ||
         strspn(agent, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                       "qrstuvwxyz0123456789._-") != strlen(agent)))
      return answer_msg(res, 400, "error", "agent names are 1-64 of A-Z a-z 0-9 . _ -");
    return (next ? ctl->agent_next : ctl->agent_result)(agent, body, body_len, ctl->agent_arg, res);
  }
  if (IS("ca.pem")) { /* the CA of the agent flow's HTTPS cases */
    if (!ctl->agent_ca)
      return answer_msg(res, 404, "error", "this mock runs no agent flow (serve --agents DIR)");
    if (!get)
      return answer_msg(res, 405, "error", "use GET");
    return ctl->agent_ca("", body, body_len, ctl->agent_arg, res);
  }
  if (IS("arm")) {
    if (!post)
      return answer_msg(res, 405, "error", "use POST");
    char id[160], err[300];
    if (!ctl->arm)
      return answer_msg(res, 404, "error", "this mock has no scenario catalog to arm from");
    if (!query_param(target, "scenario", id, sizeof id) || !*id)
      return answer_msg(res, 400, "error", "arm needs ?scenario=ID");
    int rc = ctl->arm(m, id, ctl->arm_arg, err, sizeof err);
    if (rc)
      return answer_msg(res, rc == MXC_EINVAL ? 404 : 500, "error", err);
    return answer_msg(res, 200, "scenario", id);
  }
#undef IS
  return answer_msg(res, 404, "error", "unknown control endpoint (see docs/serve.md)");
}
