/* Deliberate defects of the reference client: plausible real bugs, each switched on in one
 * place of clients/client.c, used by `mxconform selftest` to prove the catalog catches them. */
#ifndef MXC_DEFECTS_H
#define MXC_DEFECTS_H

/* XX(enum suffix, name, level at which the catalog must catch it, rule it breaks, what it does) */
#define MXC_DEFECTS(XX)                                                                            \
  XX(NO_RESTART, "no-restart", "must", "OK-1", "after a 200 the app does not restart")             \
  XX(RESTART_ANONYMOUS, "restart-anonymous-cookie", "must", "OK-1",                                \
     "the restart sends the anonymous session cookie, not the one the login set")                  \
  XX(NO_CSRF, "no-csrf-header", "should", "REQ-4", "X-Csrf-Token is never sent")                   \
  XX(PASSWORD_IN_QUERY, "password-in-query", "must", "REQ-2",                                      \
     "the password also travels in the login URL's query string")                                  \
  XX(RETRY_AFTER_401, "retry-after-401", "must", "REQ-6", "a 401 is resubmitted once, silently")   \
  XX(SENDS_EMPTY, "empty-password-sent", "must", "REQ-5",                                          \
     "an empty username or password is sent to the runtime")                                       \
  XX(SAME_MESSAGE, "same-message-401-and-0", "should", "DENY-5",                                   \
     "a network failure shows the wrong-password message")                                         \
  XX(TRUNCATED_SUCCESS, "truncated-200-success", "must", "NET-3",                                  \
     "a 200 cut short of its Content-Length counts as a success")                                  \
  XX(NO_TIMEOUT, "no-timeout", "must", "NET-2",                                                    \
     "no client timeout: a silent runtime hangs the app")                                          \
  XX(CRASH_ON_RESET, "crash-on-reset", "must", "NET-1", "a connection reset crashes the app")      \
  XX(PASSWORD_IN_MESSAGE, "password-in-message", "must", "DENY-2",                                 \
     "the 401 message repeats the password")                                                       \
  XX(IGNORE_SET_COOKIE, "ignore-set-cookie", "must", "REQ-3",                                      \
     "cookies the runtime sets are ignored")                                                       \
  XX(FOLLOW_REDIRECT, "follow-redirect", "must", "NET-1", "a redirect is taken as a success")      \
  XX(SERVER_ERROR_SUCCESS, "5xx-success", "should", "OTHER-1", "a 5xx counts as a success")        \
  XX(NO_MESSAGE_401, "no-message-401", "must", "DENY-1", "a 401 shows no message")                 \
  XX(DROP_AUTH_TOKEN, "drop-auth-token", "must", "OK-6", "the auth token is lost at relaunch")     \
  XX(FIXED_HOME_PAGE, "fixed-home-page", "must", "OK-2",                                           \
     "after sign-in the app always shows Home_User, whatever the role")                            \
  XX(INSECURE_TLS, "insecure-tls", "must", "NET-5",                                                \
     "HTTPS without certificate or host name verification")

typedef enum {
  MXC_DEFECT_NONE = 0,
#define XX(e, name, level, rule, doc) MXC_DEFECT_##e,
  MXC_DEFECTS(XX)
#undef XX
      MXC_DEFECT__COUNT
} mxc_defect;

typedef struct mxc_defect_def {
  const char *name;
  const char *level; /* "must" or "should" */
  const char *rule;
  const char *doc;
} mxc_defect_def;

/* The defect named so, or MXC_DEFECT_NONE. */
mxc_defect mxc_defect_find(const char *name);
/* Its description (NULL for NONE or out of range). */
const mxc_defect_def *mxc_defect_def_of(mxc_defect d);

#endif
