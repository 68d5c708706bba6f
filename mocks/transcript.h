/* The transcript: what the mock saw and did on the wire, as a JSON document (docs/transcript.md).
 * It is the only thing the mock hands the harness; verdicts query it. */
#ifndef MXC_TRANSCRIPT_H
#define MXC_TRANSCRIPT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#define MXC_TRANSCRIPT_VERSION 1

typedef struct mxc_transcript {
  cJSON *root;        /* {"version", "connections": [...], "exchanges": [...]} */
  cJSON *connections; /* borrowed from root */
  cJSON *exchanges;   /* borrowed from root */
  uint64_t t0_us;     /* monotonic origin of every *_us field */
  uint64_t next_seq;
} mxc_transcript;

/* 0 or MXC_ENOMEM. */
int mxc_transcript_init(mxc_transcript *t);
void mxc_transcript_cleanup(mxc_transcript *t);
/* Microseconds since the transcript began. */
uint64_t mxc_transcript_now(const mxc_transcript *t);
/* Appends a connection record {"id", "peer", "opened_us"}; returns it (borrowed) or NULL. */
cJSON *mxc_transcript_connection(mxc_transcript *t, uint64_t id, const char *peer);
/* Marks a connection record ended: "closed_us", "end" (how), bytes in and out. */
void mxc_transcript_connection_end(mxc_transcript *t, cJSON *conn, const char *how,
                                   uint64_t bytes_in, uint64_t bytes_out);
/* Appends an exchange record {"seq", "conn", "t_us"}; returns it (borrowed) or NULL. */
cJSON *mxc_transcript_exchange(mxc_transcript *t, uint64_t conn_id);
/* Hands the document to the caller and leaves t empty (re-initialised on next use). */
cJSON *mxc_transcript_take(mxc_transcript *t);

#endif
