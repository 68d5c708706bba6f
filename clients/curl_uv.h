/* libcurl's multi interface on a libuv loop (socket and timer callbacks). */
#ifndef MXC_CURL_UV_H
#define MXC_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

typedef struct mxc_curl_uv mxc_curl_uv;
/* Called once per transfer, after the easy handle was removed from the multi handle. */
typedef void (*mxc_curl_done_cb)(CURL *easy, CURLcode result, void *arg);
typedef void (*mxc_curl_uv_closed_cb)(void *arg);

/* NULL on out of memory. curl_global_init must have been called. */
mxc_curl_uv *mxc_curl_uv_new(uv_loop_t *loop);
/* Starts a transfer. The easy handle stays the caller's. 0 or MXC_ECURL. */
int mxc_curl_uv_add(mxc_curl_uv *cu, CURL *easy, mxc_curl_done_cb cb, void *arg);
/* Aborts a running transfer without calling its callback. */
void mxc_curl_uv_remove(mxc_curl_uv *cu, CURL *easy);
/* Cleans up the multi handle and closes the libuv handles; `cb` runs once they are closed
 * and the struct is freed. Running transfers must have been removed. */
void mxc_curl_uv_close(mxc_curl_uv *cu, mxc_curl_uv_closed_cb cb, void *arg);

#endif
