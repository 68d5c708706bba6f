/* Case file parsing and printing (the adapter contract's input). */
#include "clients/case.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *path, const char *msg) {
  snprintf(err, errlen, "%s: %s", path, msg);
  return MXC_EINVAL;
}

int mxc_case_from_json(const cJSON *o, mxc_case *cs, char *err, size_t errlen) {
  int rc = 0;
  memset(cs, 0, sizeof *cs);
  cs->use_auth_token = -1;
  cs->timeout_ms = -1;
  if (!cJSON_IsObject(o))
    return fail(err, errlen, "$", "expected an object");
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    const char *k = it->string;
    char path[260];
    snprintf(path, sizeof path, "$.%.100s", k);
    if (strcmp(k, "scenario") == 0 || strcmp(k, "base_url") == 0) {
      if (!cJSON_IsString(it)) {
        rc = fail(err, errlen, path, "expected a string");
        goto out;
      }
      char **slot = k[0] == 's' ? &cs->scenario : &cs->base_url;
      *slot = mxc_strdup(it->valuestring);
    } else if (strcmp(k, "timeout_ms") == 0) {
      if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 3600000 ||
          it->valuedouble != (double)(int)it->valuedouble) {
        rc = fail(err, errlen, path, "expected a whole number of milliseconds from 1 to 3600000");
        goto out;
      }
      cs->timeout_ms = it->valueint;
    } else if (strcmp(k, "use_auth_token") == 0) {
      if (cJSON_IsNull(it))
        cs->use_auth_token = -1;
      else if (cJSON_IsBool(it))
        cs->use_auth_token = cJSON_IsTrue(it) ? 1 : 0;
      else {
        rc = fail(err, errlen, path, "expected true, false or null");
        goto out;
      }
    } else if (strcmp(k, "navigation") == 0) {
      if (!cJSON_IsObject(it)) {
        rc = fail(err, errlen, path, "expected an object of role name to page name");
        goto out;
      }
      const cJSON *page;
      cJSON_ArrayForEach(page, it) {
        if (!cJSON_IsString(page)) {
          snprintf(path, sizeof path, "$.navigation.%.100s", page->string);
          rc = fail(err, errlen, path, "expected a page name (string)");
          goto out;
        }
      }
      cs->navigation = cJSON_Duplicate(it, 1);
    } else if (strcmp(k, "attempts") == 0) {
      if (!cJSON_IsArray(it)) {
        rc = fail(err, errlen, path, "expected an array");
        goto out;
      }
      size_t n = (size_t)cJSON_GetArraySize(it);
      cs->attempts = calloc(n ? n : 1, sizeof *cs->attempts);
      if (!cs->attempts) {
        rc = MXC_ENOMEM;
        goto out;
      }
      const cJSON *a;
      cJSON_ArrayForEach(a, it) {
        snprintf(path, sizeof path, "$.attempts[%zu]", cs->nattempts);
        if (!cJSON_IsObject(a)) {
          rc = fail(err, errlen, path, "expected an object with username and password");
          goto out;
        }
        const cJSON *f;
        cJSON_ArrayForEach(f, a) {
          if (strcmp(f->string, "username") != 0 && strcmp(f->string, "password") != 0) {
            char p2[400];
            snprintf(p2, sizeof p2, "%s.%.100s", path, f->string);
            rc = fail(err, errlen, p2, "unknown key");
            goto out;
          }
        }
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(a, "username");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(a, "password");
        const char *field = !cJSON_IsString(u)   ? "username"
                            : !cJSON_IsString(p) ? "password"
                                                 : NULL;
        if (field) {
          const cJSON *v = field[0] == 'u' ? u : p;
          char p2[400];
          snprintf(p2, sizeof p2, "%s%s%s", path, v ? "." : "", v ? field : "");
          char msg[64];
          if (v)
            snprintf(msg, sizeof msg, "expected a string");
          else
            snprintf(msg, sizeof msg, "missing \"%s\" (a string)", field);
          rc = fail(err, errlen, p2, msg);
          goto out;
        }
        mxc_attempt_input *ai = &cs->attempts[cs->nattempts++];
        ai->username = mxc_strdup(u->valuestring);
        ai->password = mxc_strdup(p->valuestring);
      }
    } else if (strcmp(k, "relaunch") == 0) {
      if (!cJSON_IsBool(it)) {
        rc = fail(err, errlen, path, "expected true or false");
        goto out;
      }
      cs->relaunch = cJSON_IsTrue(it);
    } else {
      rc = fail(err, errlen, path, "unknown key");
      goto out;
    }
  }
  if (!cs->base_url) {
    rc = fail(err, errlen, "$.base_url", "missing");
    goto out;
  }
  if (cs->timeout_ms < 0) {
    rc = fail(err, errlen, "$.timeout_ms", "missing");
    goto out;
  }
  if (!cs->attempts) {
    rc = fail(err, errlen, "$.attempts", "missing");
    goto out;
  }
  if (!cs->navigation) {
    rc = fail(err, errlen, "$.navigation", "missing");
    goto out;
  }
out:
  if (rc)
    mxc_case_cleanup(cs);
  return rc;
}

cJSON *mxc_case_to_json(const mxc_case *cs) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "scenario", cs->scenario ? cs->scenario : "");
  cJSON_AddStringToObject(o, "base_url", cs->base_url);
  cJSON_AddNumberToObject(o, "timeout_ms", cs->timeout_ms);
  if (cs->use_auth_token >= 0)
    cJSON_AddBoolToObject(o, "use_auth_token", cs->use_auth_token);
  cJSON_AddItemToObject(o, "navigation",
                        cs->navigation ? cJSON_Duplicate(cs->navigation, 1) : cJSON_CreateObject());
  cJSON *arr = cJSON_AddArrayToObject(o, "attempts");
  for (size_t i = 0; i < cs->nattempts; i++) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "username", cs->attempts[i].username);
    cJSON_AddStringToObject(a, "password", cs->attempts[i].password);
    cJSON_AddItemToArray(arr, a);
  }
  cJSON_AddBoolToObject(o, "relaunch", cs->relaunch);
  if (!cJSON_GetObjectItem(o, "relaunch")) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

int mxc_case_load(const char *path, mxc_case *cs, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  int rc;
  if (!path)
    path = getenv("MXC_CASE");
  if (!path || !*path) {
    snprintf(err, errlen, "no case file: set MXC_CASE or pass --case FILE");
    return MXC_EINVAL;
  }
  rc = mxc_file_read(path, MXC_CASE_MAX_FILE, &text, &len);
  if (rc) {
    snprintf(err, errlen, "%s: cannot read: %s", path, mxc_strerror(rc));
    return rc;
  }
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!doc) {
    snprintf(err, errlen, "%s: not valid JSON near byte %ld", path, end ? (long)(end - text) : -1L);
    rc = MXC_EINVAL;
    goto out;
  }
  char inner[400];
  rc = mxc_case_from_json(doc, cs, inner, sizeof inner);
  if (rc) {
    snprintf(err, errlen, "%s: %s", path, inner);
    goto out;
  }
  const char *sd = getenv("MXC_STATE_DIR");
  const char *ca = getenv("MXC_CA_FILE");
  cs->state_dir = sd && *sd ? mxc_strdup(sd) : NULL;
  cs->ca_file = ca && *ca ? mxc_strdup(ca) : NULL;
out:
  cJSON_Delete(doc);
  free(text);
  return rc;
}

void mxc_case_cleanup(mxc_case *cs) {
  if (!cs)
    return;
  free(cs->scenario);
  free(cs->base_url);
  cJSON_Delete(cs->navigation);
  for (size_t i = 0; i < cs->nattempts; i++) {
    free(cs->attempts[i].username);
    free(cs->attempts[i].password);
  }
  free(cs->attempts);
  free(cs->state_dir);
  free(cs->ca_file);
  memset(cs, 0, sizeof *cs);
}
