/* Internal to the HTML reporter (html.c, html_wire.c): a page being written, whose first failed
 * append is remembered so a page is written in one pass and checked once. */
#ifndef MXC_HTML_PAGE_H
#define MXC_HTML_PAGE_H

#include "common/mxc_util.h"

#include <cjson/cJSON.h>

typedef struct mxc__html {
  mxc_buf b;
  int rc; /* the first failure (then nothing more is appended), or 0 */
} mxc__html;

/* Appends markup as it is (printf form): never pass it text from the model. */
void mxc__html_put(mxc__html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text from the model, escaped for element content and attribute values; NULL is "". */
void mxc__html_text(mxc__html *h, const char *s);

/* Members of a JSON object of the model, type-checked: dflt when absent or of another type. */
const char *mxc__jstr(const cJSON *o, const char *k, const char *dflt);
double mxc__jnum(const cJSON *o, const char *k, double dflt);

/* The wire transcript as a readable sequence of events, times relative to the first one. */
void mxc__html_wire(mxc__html *h, const cJSON *transcript);
/* An inline SVG chart: a lane per connection with its exchanges, the client's step timings. */
void mxc__html_chart(mxc__html *h, const cJSON *transcript, const cJSON *report);

#endif
