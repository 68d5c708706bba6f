/* The rule catalog: every rule ID of PROTOCOL.md section 2 with its level. */
#include "harness/rules.h"

#include <string.h>
#include <strings.h>

#define MUST MXC_LEVEL_MUST
#define SHOULD MXC_LEVEL_SHOULD
#define INFO MXC_LEVEL_INFO

static const mxc_rule catalog[] = {
    {"START-1", MUST, "START", "At launch: get_session_data, anonymous session, the sign-in page"},
    {"REQ-1", MUST, "REQ",
     "Sign-in is POST {base}xas/ with action login and params.username/password"},
    {"REQ-2", MUST, "REQ", "Credentials travel only in the body"},
    {"REQ-3", MUST, "REQ", "The login request carries the start-up session cookie"},
    {"REQ-4", SHOULD, "REQ",
     "The login request carries X-Csrf-Token equal to the session's csrftoken"},
    {"REQ-5", MUST, "REQ", "An empty username or password sends no request: 401 and a message"},
    {"REQ-6", MUST, "REQ", "One tap, one login request: no automatic resubmission"},
    {"OK-1", MUST, "OK",
     "After 200 the next /xas/ call is get_session_data with the new session cookie"},
    {"OK-2", MUST, "OK", "After the restart the signed-in role's home page is shown"},
    {"OK-3", MUST, "OK", "No validation message after 200"},
    {"OK-4", MUST, "OK", "After the restart the new session's csrftoken is used"},
    {"OK-5", MUST, "OK", "A slow, dribbled, chunked or Connection: close 200 is still a success"},
    {"OK-6", MUST, "OK",
     "With useAuthToken, a relaunch after session expiry reaches the home page"},
    {"DENY-1", MUST, "DENY", "After 401: a validation message, the sign-in page stays, no restart"},
    {"DENY-2", MUST, "DENY", "The message never contains the password"},
    {"DENY-3", MUST, "DENY", "Unknown user, wrong password, inactive and blocked accounts alike"},
    {"DENY-4", MUST, "DENY", "After a 401, the right credentials sign in"},
    {"DENY-5", SHOULD, "DENY", "The 401 message differs from the network-failure message"},
    {"NET-1", MUST, "NET", "Every status-0 cause: status 0, a message, no restart, still usable"},
    {"NET-2", MUST, "NET", "The client gives up within its own timeout plus a small grace"},
    {"NET-3", MUST, "NET", "A response cut short is a network failure, never a success"},
    {"NET-4", SHOULD, "NET", "After the network comes back, the next attempt signs in"},
    {"NET-5", MUST, "NET",
     "TLS failures are network failures; no credentials over a failed channel"},
    {"OTHER-1", SHOULD, "OTHER", "Other statuses: no restart, a message, the status handed on"},
    {"OTHER-2", SHOULD, "OTHER", "A 560 shows the body's description"},
    {"ROB-1", SHOULD, "ROB",
     "A keep-alive connection closed while idle does not fail the next sign-in"},
    {"ROB-2", INFO, "ROB", "Timing of each step is reported"},
};

const mxc_rule *mxc_rule_find(const char *id) {
  for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++)
    if (strcmp(catalog[i].id, id) == 0)
      return &catalog[i];
  return NULL;
}

const mxc_rule *mxc_rules(size_t *n) {
  *n = sizeof catalog / sizeof catalog[0];
  return catalog;
}

const char *mxc_level_name(mxc_level level) {
  switch (level) {
  case MXC_LEVEL_MUST: return "MUST";
  case MXC_LEVEL_SHOULD: return "SHOULD";
  default: return "INFO";
  }
}

int mxc_level_parse(const char *s) {
  if (strcasecmp(s, "must") == 0)
    return MXC_LEVEL_MUST;
  if (strcasecmp(s, "should") == 0)
    return MXC_LEVEL_SHOULD;
  if (strcasecmp(s, "all") == 0)
    return MXC_LEVEL_INFO;
  return -1;
}
