/* The reference client: the sign-in app of the seed page, as a library on a libuv loop.
 * Start-up, attempts, restart after 200, relaunch; its report is the adapter's result JSON. */
#ifndef MXC_CLIENT_H
#define MXC_CLIENT_H

#include "clients/case.h"
#include "clients/defects.h"

#include <cjson/cJSON.h>
#include <uv.h>

/* The validation messages the reference app shows. */
#define MXC_MSG_EMPTY "Please enter your username and password."
#define MXC_MSG_DENIED "The username or password is incorrect."
#define MXC_MSG_NETWORK "Cannot reach the server. Check your connection and try again."

typedef struct mxc_client mxc_client;
typedef void (*mxc_client_done_cb)(mxc_client *c, void *arg);

/* Starts the app on loop: start-up, then the case's attempts. `cs` is borrowed and must stay
 * valid until the done callback. `defect` is MXC_DEFECT_NONE except in selftests. `done` is
 * called exactly once, from the loop, when the app finished (whatever the outcomes). Returns
 * 0 or a negative code. */
int mxc_client_start(uv_loop_t *loop, const mxc_case *cs, mxc_defect defect,
                     mxc_client_done_cb done, void *arg, mxc_client **out);
/* The result object of PROTOCOL.md section 3 ({"attempts", "restarted", "page"} plus
 * "timings" in ms). Caller owns it. NULL on out of memory. */
cJSON *mxc_client_report(const mxc_client *c);
/* Stops anything still running and releases the client; its libuv handles close on the
 * loop (run the loop to let them). NULL-safe. */
void mxc_client_close(mxc_client *c);

#endif
