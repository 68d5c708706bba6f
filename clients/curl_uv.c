/* libcurl multi interface driven by libuv polls and a timer (curl's multi-uv example shape). */
#include "clients/curl_uv.h"

#include "common/mxc_error.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  mxc_curl_uv *cu;
  struct sock_ctx *prev, *next;
} sock_ctx;

typedef struct transfer {
  mxc_curl_done_cb cb;
  void *arg;
} transfer;

struct mxc_curl_uv {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  sock_ctx *socks;
  int handles_open;
  bool closing;
  mxc_curl_uv_closed_cb closed_cb;
  void *closed_arg;
};

static void maybe_freed(mxc_curl_uv *cu) {
  if (cu->closing && cu->handles_open == 0) {
    mxc_curl_uv_closed_cb cb = cu->closed_cb;
    void *arg = cu->closed_arg;
    free(cu);
    if (cb)
      cb(arg);
  }
}

static void sock_closed(uv_handle_t *h) {
  sock_ctx *s = h->data;
  mxc_curl_uv *cu = s->cu;
  free(s);
  cu->handles_open--;
  maybe_freed(cu);
}

static void sock_release(sock_ctx *s) {
  mxc_curl_uv *cu = s->cu;
  if (s->prev)
    s->prev->next = s->next;
  else
    cu->socks = s->next;
  if (s->next)
    s->next->prev = s->prev;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, sock_closed);
}

static void check_done(mxc_curl_uv *cu) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(cu->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    curl_multi_remove_handle(cu->multi, easy);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    if (t) {
      mxc_curl_done_cb cb = t->cb;
      void *arg = t->arg;
      free(t);
      cb(easy, result, arg);
    }
  }
}

static void on_poll(uv_poll_t *p, int status, int events) {
  sock_ctx *s = p->data;
  mxc_curl_uv *cu = s->cu;
  int flags = 0;
  int running;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  curl_multi_socket_action(cu->multi, s->fd, flags, &running);
  check_done(cu);
}

static void on_timeout(uv_timer_t *t) {
  mxc_curl_uv *cu = t->data;
  int running;
  curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(cu);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp) {
  mxc_curl_uv *cu = userp;
  sock_ctx *s = socketp;
  (void)easy;
  if (action == CURL_POLL_REMOVE) {
    if (s) {
      if (!cu->closing)
        curl_multi_assign(cu->multi, fd, NULL);
      sock_release(s);
    }
    return 0;
  }
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s)
      return -1;
    s->fd = fd;
    s->cu = cu;
    if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
      free(s);
      return -1;
    }
    s->poll.data = s;
    cu->handles_open++;
    s->next = cu->socks;
    if (cu->socks)
      cu->socks->prev = s;
    cu->socks = s;
    curl_multi_assign(cu->multi, fd, s);
  }
  int events = 0;
  if (action & CURL_POLL_IN)
    events |= UV_READABLE;
  if (action & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  mxc_curl_uv *cu = userp;
  (void)multi;
  if (timeout_ms < 0)
    uv_timer_stop(&cu->timer);
  else
    uv_timer_start(&cu->timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

mxc_curl_uv *mxc_curl_uv_new(uv_loop_t *loop) {
  mxc_curl_uv *cu = calloc(1, sizeof *cu);
  if (!cu)
    return NULL;
  cu->loop = loop;
  cu->multi = curl_multi_init();
  if (!cu->multi) {
    free(cu);
    return NULL;
  }
  uv_timer_init(loop, &cu->timer);
  cu->timer.data = cu;
  cu->handles_open = 1;
  curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
  curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
  return cu;
}

int mxc_curl_uv_add(mxc_curl_uv *cu, CURL *easy, mxc_curl_done_cb cb, void *arg) {
  transfer *t = malloc(sizeof *t);
  if (!t)
    return MXC_ENOMEM;
  t->cb = cb;
  t->arg = arg;
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    free(t);
    return MXC_ECURL;
  }
  return 0;
}

void mxc_curl_uv_remove(mxc_curl_uv *cu, CURL *easy) {
  transfer *t = NULL;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
  if (!t)
    return;
  curl_multi_remove_handle(cu->multi, easy);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
  free(t);
}

static void timer_closed(uv_handle_t *h) {
  mxc_curl_uv *cu = h->data;
  cu->handles_open--;
  maybe_freed(cu);
}

void mxc_curl_uv_close(mxc_curl_uv *cu, mxc_curl_uv_closed_cb cb, void *arg) {
  if (cu->closing)
    return;
  cu->closing = true;
  cu->closed_cb = cb;
  cu->closed_arg = arg;
  curl_multi_cleanup(cu->multi); /* may still call socket_cb with CURL_POLL_REMOVE */
  cu->multi = NULL;
  while (cu->socks)
    sock_release(cu->socks);
  uv_timer_stop(&cu->timer);
  uv_close((uv_handle_t *)&cu->timer, timer_closed);
}
