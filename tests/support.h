/* Test helpers: a mock on its own loop thread, raw sockets, and running the built programs. */
#ifndef MXC_TEST_SUPPORT_H
#define MXC_TEST_SUPPORT_H

#include "mocks/server.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mxc_test_mock mxc_test_mock;

/* Starts a mock with cfg on a loop in a background thread; aborts the test on failure. */
mxc_test_mock *mxc_test_mock_start(const mxc_mock_config *cfg);
int mxc_test_mock_port(const mxc_test_mock *m);
/* "http://127.0.0.1:PORT/" (static buffer per mock). */
const char *mxc_test_mock_url(const mxc_test_mock *m);
/* Stops the mock, joins its thread, and returns the transcript (caller frees). */
cJSON *mxc_test_mock_stop(mxc_test_mock *m);

/* A default account set: alice/s3cret (User), bob/hunter2 inactive, root/toor (Administrator). */
const mxc_account *mxc_test_accounts(size_t *n);

/* Sends bytes on a new TCP connection to 127.0.0.1:port, half-closes when `shutdown_after`,
 * and reads what comes back until the server closes or timeout_ms of silence. Returns a
 * malloc'ed NUL-terminated buffer (length in *out_len) or NULL when the connect failed. */
char *mxc_test_raw(int port, const void *bytes, size_t len, int shutdown_after, int timeout_ms,
                   size_t *out_len);

/* Like mxc_test_raw; *closed tells whether the server closed the connection (rather than the
 * read timing out while it stayed open). */
char *mxc_test_raw_ex(int port, const void *bytes, size_t len, int shutdown_after, int timeout_ms,
                      size_t *out_len, bool *closed);

/* Runs a shell command line, capturing stdout (stderr goes to the test's stderr).
 * Returns the exit status (or 128+signal) and the output in *out (malloc'ed). */
int mxc_test_sh(const char *cmdline, char **out);

/* Path of a built program ("mxconform", "mxclient") from MXC_BUILD_DIR. Static buffer. */
const char *mxc_test_bin(const char *name);
/* Path under the source tree from MXC_SOURCE_DIR. Static buffer. */
const char *mxc_test_src(const char *rel);

/* Reading a transcript: a string member (NULL when absent or not a string), one that must
 * equal `want`, the exchanges array, and the nth (0-based) exchange of an action (each of the
 * last three aborts the test when it is not there). */
const char *mxc_test_jstr(const cJSON *o, const char *key);
void mxc_test_assert_jstr(const cJSON *o, const char *key, const char *want);
const cJSON *mxc_test_exchanges(const cJSON *tr);
const cJSON *mxc_test_exchange_of(const cJSON *tr, const char *action, int nth);

/* ---- support_json.c ---- */

/* A whole file, NUL-terminated (aborts the test when it cannot be read). */
char *mxc_test_slurp(const char *path);
/* NULL when the JSON text satisfies docs/report-schema.json, else a malloc'ed description. */
char *mxc_test_schema_problem(const char *report_text);
/* A JSON report (or merge) pretty-printed with what differs between two runs of the same
 * scenarios and seed replaced: times, ports, the random session ids (numbered per scenario in
 * order of appearance), the clock in X-Mx-ReqToken, TLS connections' byte counts and the bytes
 * of faulted answers (how much of a paced answer left depends on when the client gave up), and
 * whether a connection the client ended ended with FIN or RST. */
char *mxc_test_report_normalised(const char *json_text);
/* Fails the test (without aborting it) showing the first differing line when got != want. */
void mxc_test_expect_same_text(const char *got, const char *want, const char *what);

#endif
