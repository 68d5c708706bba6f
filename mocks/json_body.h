/* A request body's JSON, parsed as cJSON_ParseWithLength parses it, without allocating for
 * the usual shape of a runtime request (an object of objects, strings, true, false, null,
 * with no escapes). Other bodies go to cJSON itself. */
#ifndef MXC_JSON_BODY_H
#define MXC_JSON_BODY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define MXC_JSON_BODY_NODES 32
#define MXC_JSON_BODY_TEXT 1024

typedef struct mxc_json_body {
  cJSON *root;   /* what cJSON_ParseWithLength returns (NULL: not JSON) */
  cJSON *parsed; /* root when cJSON allocated it, to be deleted */
  cJSON nodes[MXC_JSON_BODY_NODES];
  size_t span[MXC_JSON_BODY_NODES][2]; /* where each node's value is in the input */
  char text[MXC_JSON_BODY_TEXT];       /* keys and string values */
} mxc_json_body;

/* Parses text[0..len) into b->root (read-only: do not detach, add or delete items) and
 * returns it. The tree lives until mxc_json_body_cleanup. */
cJSON *mxc_json_body_parse(mxc_json_body *b, const char *text, size_t len);
/* Where the value of node (of b's tree) is in the parsed input: [*start, *end), its JSON text
 * as it came (an object from '{' to '}', a string with its quotes). false when cJSON parsed
 * the input (no positions are known). */
bool mxc_json_body_span(const mxc_json_body *b, const cJSON *node, size_t *start, size_t *end);
/* Frees what the parse allocated. NULL-safe, idempotent. */
void mxc_json_body_cleanup(mxc_json_body *b);

#endif
