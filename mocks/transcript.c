/* Transcript records: connections and exchanges with monotonic microsecond timestamps. */
#include "mocks/transcript.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <string.h>

int mxc_transcript_init(mxc_transcript *t) {
  memset(t, 0, sizeof *t);
  t->root = cJSON_CreateObject();
  if (!t->root)
    return MXC_ENOMEM;
  cJSON_AddNumberToObject(t->root, "version", MXC_TRANSCRIPT_VERSION);
  t->connections = cJSON_AddArrayToObject(t->root, "connections");
  t->exchanges = cJSON_AddArrayToObject(t->root, "exchanges");
  if (!t->connections || !t->exchanges) {
    mxc_transcript_cleanup(t);
    return MXC_ENOMEM;
  }
  t->t0_us = mxc_now_us();
  return 0;
}

void mxc_transcript_cleanup(mxc_transcript *t) {
  if (!t)
    return;
  cJSON_Delete(t->root);
  memset(t, 0, sizeof *t);
}

uint64_t mxc_transcript_now(const mxc_transcript *t) { return mxc_now_us() - t->t0_us; }

cJSON *mxc_transcript_connection(mxc_transcript *t, uint64_t id, const char *peer) {
  cJSON *c = cJSON_CreateObject();
  if (!c)
    return NULL;
  cJSON_AddNumberToObject(c, "id", (double)id);
  cJSON_AddStringToObject(c, "peer", peer ? peer : "");
  cJSON_AddNumberToObject(c, "opened_us", (double)mxc_transcript_now(t));
  cJSON_AddItemToArray(t->connections, c);
  return c;
}

void mxc_transcript_connection_end(mxc_transcript *t, cJSON *conn, const char *how,
                                   uint64_t bytes_in, uint64_t bytes_out) {
  if (!conn)
    return;
  cJSON_AddNumberToObject(conn, "closed_us", (double)mxc_transcript_now(t));
  cJSON_AddStringToObject(conn, "end", how);
  cJSON_AddNumberToObject(conn, "bytes_in", (double)bytes_in);
  cJSON_AddNumberToObject(conn, "bytes_out", (double)bytes_out);
}

cJSON *mxc_transcript_exchange(mxc_transcript *t, uint64_t conn_id) {
  cJSON *x = cJSON_CreateObject();
  if (!x)
    return NULL;
  cJSON_AddNumberToObject(x, "seq", (double)t->next_seq++);
  cJSON_AddNumberToObject(x, "conn", (double)conn_id);
  cJSON_AddNumberToObject(x, "t_us", (double)mxc_transcript_now(t));
  cJSON_AddItemToArray(t->exchanges, x);
  return x;
}

cJSON *mxc_transcript_take(mxc_transcript *t) {
  cJSON *root = t->root;
  memset(t, 0, sizeof *t);
  return root;
}
