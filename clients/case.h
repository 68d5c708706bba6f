/* The case a client runs (PROTOCOL.md section 3): read from the case file and environment,
 * written by the harness. One format for the built-in client and external ones. */
#ifndef MXC_CASE_H
#define MXC_CASE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mxc_attempt_input {
  char *username;
  char *password;
} mxc_attempt_input;

typedef struct mxc_case {
  char *scenario;
  char *base_url;
  int timeout_ms;
  int use_auth_token; /* -1: absent (the app's default), 0: false, 1: true */
  cJSON *navigation;  /* owned object: role name -> page name */
  mxc_attempt_input *attempts;
  size_t nattempts;
  bool relaunch;
  /* from the environment, not the case file */
  char *state_dir; /* MXC_STATE_DIR; may be NULL */
  char *ca_file;   /* MXC_CA_FILE; may be NULL */
} mxc_case;

#define MXC_CASE_MAX_FILE (1024u * 1024u)

/* Parses a case object. Unknown keys and wrong types are errors: returns MXC_EINVAL with
 * "$.path: problem" in err. */
int mxc_case_from_json(const cJSON *o, mxc_case *cs, char *err, size_t errlen);
/* The case file form (without the environment-only fields). NULL on out of memory. */
cJSON *mxc_case_to_json(const mxc_case *cs);
/* Reads $MXC_CASE (or `path` when non-NULL) plus MXC_STATE_DIR and MXC_CA_FILE. */
int mxc_case_load(const char *path, mxc_case *cs, char *err, size_t errlen);
void mxc_case_cleanup(mxc_case *cs);

#endif
