/* The wire part of the HTML report: a transcript as a readable sequence of events and an inline
 * SVG timing chart. Transcripts come from files too: every field is optional here. */
#include "reports/html_page.h"

#include "common/mxc_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- events in time order ---- */

typedef enum { EV_OPEN, EV_EXCHANGE, EV_CLOSE } event_kind;

typedef struct event {
  double t_us; /* meaningful when timed */
  bool timed;
  event_kind kind;
  const cJSON *o; /* the connection or the exchange */
  size_t order;
} event;

static int event_cmp(const void *a, const void *b) {
  const event *x = a, *y = b;
  if (x->timed != y->timed)
    return x->timed ? -1 : 1; /* untimed events after the timed ones */
  if (x->timed && x->t_us != y->t_us)
    return x->t_us < y->t_us ? -1 : 1;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static bool num_of(const cJSON *o, const char *k, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return false;
  *out = v->valuedouble;
  return true;
}

static const cJSON *list_of(const cJSON *transcript, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(transcript, k);
  return cJSON_IsArray(v) ? v : NULL;
}

/* Appends the event of `o` that happens at its member `time_key` (untimed when it has none). */
static void push_event(event *ev, size_t *n, event_kind kind, const cJSON *o,
                       const char *time_key) {
  event *e = &ev[*n];
  *e = (event){.kind = kind, .o = o, .order = *n};
  e->timed = num_of(o, time_key, &e->t_us);
  (*n)++;
}

/* The events of the transcript, sorted (caller frees); *t0 is the first time (0 when none). */
static event *events_of(const cJSON *transcript, size_t *n, double *t0, int *rc) {
  const cJSON *conns = list_of(transcript, "connections");
  const cJSON *xs = list_of(transcript, "exchanges");
  size_t cap = 2 * (size_t)cJSON_GetArraySize(conns) + (size_t)cJSON_GetArraySize(xs);
  event *ev = calloc(cap ? cap : 1, sizeof *ev);
  *n = 0;
  if (!ev) {
    *rc = MXC_ENOMEM;
    return NULL;
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, conns) {
    if (cJSON_IsObject(c)) {
      push_event(ev, n, EV_OPEN, c, "opened_us");
      push_event(ev, n, EV_CLOSE, c, "closed_us");
    }
  }
  cJSON_ArrayForEach(c, xs) {
    if (cJSON_IsObject(c))
      push_event(ev, n, EV_EXCHANGE, c, "t_us");
  }
  qsort(ev, *n, sizeof *ev, event_cmp);
  *t0 = *n && ev[0].timed ? ev[0].t_us : 0;
  return ev;
}

/* ---- the sequence ---- */

/* A JSON value of the model as text: strings as they are, anything else as compact JSON. */
static void value(mxc__html *h, const cJSON *v) {
  if (cJSON_IsString(v)) {
    mxc__html_text(h, v->valuestring);
    return;
  }
  char *s = v ? cJSON_PrintUnformatted(v) : NULL;
  if (v && !s && !h->rc)
    h->rc = MXC_ENOMEM;
  mxc__html_text(h, s ? s : "");
  free(s);
}

static void fact(mxc__html *h, const cJSON *x, const char *key, const char *label) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
  if (!v || cJSON_IsNull(v) || (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0) ||
      (cJSON_IsString(v) && !*v->valuestring))
    return;
  mxc__html_put(h, " &#xb7; %s ", label);
  value(h, v);
}

static void client_to_mock(mxc__html *h, const cJSON *x) {
  mxc__html_put(h, "<div class=\"dir c2m\">client &#x2192; mock: ");
  mxc__html_text(h, mxc__jstr(x, "method", "?"));
  mxc__html_put(h, " ");
  mxc__html_text(h, mxc__jstr(x, "target", "?"));
  const char *action = mxc__jstr(x, "action", NULL);
  if (action) {
    mxc__html_put(h, " <b>");
    mxc__html_text(h, action);
    mxc__html_put(h, "</b>");
  }
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(x, "params");
  if (cJSON_IsObject(params) && params->child) {
    mxc__html_put(h, " {");
    const cJSON *p;
    cJSON_ArrayForEach(p, params) {
      mxc__html_put(h, "%s", p == params->child ? "" : ", ");
      mxc__html_text(h, p->string);
      mxc__html_put(h, ": ");
      if (p->string && strcasecmp(p->string, "password") == 0)
        mxc__html_text(h, "[redacted]"); /* it is already; a report never carries one */
      else
        value(h, p);
    }
    mxc__html_put(h, "}");
  }
  const cJSON *sess = cJSON_GetObjectItemCaseSensitive(x, "session_in");
  if (cJSON_IsObject(sess)) {
    mxc__html_put(h, " &#xb7; session ");
    mxc__html_text(h, mxc__jstr(sess, "state", "?"));
  }
  fact(h, x, "csrf", "csrf");
  const cJSON *creds = cJSON_GetObjectItemCaseSensitive(x, "credentials_outside_body");
  if (cJSON_IsArray(creds) && cJSON_GetArraySize(creds) > 0) {
    mxc__html_put(h, " &#xb7; <span class=\"flt\">password outside the body: ");
    value(h, creds);
    mxc__html_put(h, "</span>");
  }
  const char *error = mxc__jstr(x, "error", NULL);
  if (error) {
    mxc__html_put(h, " &#xb7; <span class=\"flt\">bad request: ");
    mxc__html_text(h, error);
    mxc__html_put(h, "</span>");
  }
  const cJSON *f;
  cJSON_ArrayForEach(f, list_of(x, "faults")) {
    mxc__html_put(h, " &#xb7; <span class=\"flt\">fault ");
    mxc__html_text(h, mxc__jstr(f, "kind", "?"));
    double ms;
    if (num_of(f, "delay_ms", &ms))
      mxc__html_put(h, " (%.0f ms)", ms);
    mxc__html_put(h, "</span>");
  }
  mxc__html_put(h, "</div>\n");
}

static void mock_to_client(mxc__html *h, const cJSON *x) {
  mxc__html_put(h, "<div class=\"dir m2c\">mock &#x2192; client: ");
  double status;
  if (num_of(x, "status", &status))
    mxc__html_put(h, "<b>%.0f</b>", status);
  else
    mxc__html_put(h, "<b>no response</b>");
  fact(h, x, "outcome", "outcome");
  fact(h, x, "session_created", "session created");
  fact(h, x, "session_user", "user");
  fact(h, x, "roles", "roles");
  fact(h, x, "session_destroyed", "destroyed session");
  fact(h, x, "authtoken_issued", "authtoken issued");
  const cJSON *cookie;
  cJSON_ArrayForEach(cookie, list_of(x, "set_cookies")) {
    mxc__html_put(h, " &#xb7; set-cookie ");
    value(h, cookie);
  }
  double bytes;
  if (num_of(x, "response_bytes", &bytes))
    mxc__html_put(h, " &#xb7; %.0f bytes", bytes);
  mxc__html_put(h, "</div>\n");
}

static void time_cell(mxc__html *h, const event *e, double t0) {
  if (e->timed)
    mxc__html_put(h, "<span class=\"t\">+%.3f ms</span>", (e->t_us - t0) / 1000.0);
  else
    mxc__html_put(h, "<span class=\"t\">(no time)</span>");
}

void mxc__html_wire(mxc__html *h, const cJSON *transcript) {
  if (h->rc)
    return;
  size_t n;
  double t0;
  event *ev = events_of(transcript, &n, &t0, &h->rc);
  if (!ev)
    return;
  if (n == 0)
    mxc__html_put(h, "<p class=\"muted\">the mock recorded nothing</p>\n");
  else
    mxc__html_put(h, "<ol class=\"wire\">\n");
  for (size_t i = 0; i < n && !h->rc; i++) {
    const event *e = &ev[i];
    const cJSON *o = e->o;
    if (e->kind == EV_CLOSE && !e->timed && !mxc__jstr(o, "end", NULL))
      continue; /* still open, as far as the transcript knows */
    mxc__html_put(h, "<li class=\"ev %s\">",
                  e->kind == EV_OPEN    ? "open"
                  : e->kind == EV_CLOSE ? "close"
                                        : "x");
    time_cell(h, e, t0);
    if (e->kind == EV_EXCHANGE) {
      mxc__html_put(h, " conn %.0f &#xb7; #%.0f\n", mxc__jnum(o, "conn", 0),
                    mxc__jnum(o, "seq", -1));
      client_to_mock(h, o);
      mock_to_client(h, o);
    } else if (e->kind == EV_OPEN) {
      mxc__html_put(h, " conn %.0f opened from ", mxc__jnum(o, "id", 0));
      mxc__html_text(h, mxc__jstr(o, "peer", "?"));
      const cJSON *tls = cJSON_GetObjectItemCaseSensitive(o, "tls");
      if (cJSON_IsObject(tls)) {
        mxc__html_put(h, " &#xb7; TLS ");
        mxc__html_text(h, mxc__jstr(tls, "version", ""));
        mxc__html_put(h, " handshake ");
        mxc__html_text(h, mxc__jstr(tls, "handshake", "?"));
        fact(h, tls, "alert", "alert");
        fact(h, tls, "fault", "fault");
      }
    } else {
      mxc__html_put(h, " conn %.0f closed: <b>", mxc__jnum(o, "id", 0));
      mxc__html_text(h, mxc__jstr(o, "end", "?"));
      mxc__html_put(h, "</b> &#xb7; %.0f bytes in, %.0f out", mxc__jnum(o, "bytes_in", 0),
                    mxc__jnum(o, "bytes_out", 0));
      double app;
      if (num_of(o, "app_data_before_failure", &app) && app > 0)
        mxc__html_put(h,
                      " &#xb7; <span class=\"flt\">%.0f bytes of data over a failed TLS "
                      "channel</span>",
                      app);
    }
    mxc__html_put(h, "</li>\n");
  }
  if (n)
    mxc__html_put(h, "</ol>\n");
  free(ev);
}

/* ---- the chart ---- */

enum {
  CHART_W = 960,
  LEFT = 170,
  RIGHT = 110,
  TOP = 8,
  LANE = 26,
  AXIS = 30
}; /* RIGHT: room for the labels of bars that end at the right edge */

typedef struct lane {
  const cJSON *conn; /* NULL: exchanges on connections the transcript does not list */
  double start, end; /* us; end < start: not known */
} lane;

static double x_of(double t_us, double t0, double span) {
  return LEFT + (t_us - t0) / span * (CHART_W - LEFT - RIGHT);
}

/* A step of 1, 2 or 5 times a power of ten giving at most about eight ticks over span_ms. */
static double tick_step(double span_ms) {
  double raw = span_ms / 8, p = pow(10, floor(log10(raw)));
  return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

/* A step timing the chart can draw: a number of ms, from 0 to a day. */
static bool step_ok(const cJSON *t) {
  return cJSON_IsNumber(t) && t->valuedouble >= 0 && t->valuedouble <= 86400000.0;
}

void mxc__html_chart(mxc__html *h, const cJSON *transcript, const cJSON *report) {
  if (h->rc)
    return;
  size_t n;
  double t0;
  event *ev = events_of(transcript, &n, &t0, &h->rc);
  if (!ev)
    return;
  const cJSON *conns = list_of(transcript, "connections");
  lane *lanes = calloc((size_t)cJSON_GetArraySize(conns) + 1, sizeof *lanes);
  if (!lanes) {
    h->rc = MXC_ENOMEM;
    free(ev);
    return;
  }
  size_t nl = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, conns) {
    if (!cJSON_IsObject(c))
      continue;
    lanes[nl] = (lane){.conn = c, .start = -1, .end = -1};
    num_of(c, "opened_us", &lanes[nl].start);
    num_of(c, "closed_us", &lanes[nl].end);
    nl++;
  }
  size_t nconn = nl;
  bool stray = false; /* exchanges on a connection not listed: one more lane */
  double tmax = t0;
  for (size_t i = 0; i < n; i++) {
    if (!ev[i].timed)
      continue;
    tmax = fmax(tmax, ev[i].t_us);
    if (ev[i].kind != EV_EXCHANGE)
      continue;
    size_t l = 0;
    while (l < nconn && mxc__jnum(lanes[l].conn, "id", -1) != mxc__jnum(ev[i].o, "conn", -2))
      l++;
    stray |= l == nconn;
    if (l < nconn && lanes[l].start < 0) /* no accept time: from the first exchange */
      lanes[l].start = ev[i].t_us;
    if (l < nconn && !num_of(lanes[l].conn, "closed_us", &lanes[l].end))
      lanes[l].end = ev[i].t_us; /* no close time: to the last exchange */
  }
  if (stray)
    lanes[nl++] = (lane){.conn = NULL, .start = -1, .end = -1};
  const cJSON *timings = cJSON_GetObjectItemCaseSensitive(report, "timings");
  if (!cJSON_IsObject(timings))
    timings = NULL;
  double steps_us = 0;
  size_t nsteps = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, timings) {
    if (step_ok(t)) {
      steps_us += t->valuedouble * 1000.0;
      nsteps++;
    }
  }
  if (nl == 0 && nsteps == 0) {
    mxc__html_put(h, "<p class=\"muted\">no timed events</p>\n");
    goto out;
  }
  double span = fmax(fmax(tmax - t0, steps_us), 1.0);
  int height = TOP + (int)(nl + nsteps) * LANE + AXIS;
  mxc__html_put(h,
                "<svg class=\"chart\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" font-size=\"10\" "
                "font-family=\"DejaVu Sans,sans-serif\">\n",
                CHART_W, height, CHART_W, height);
  for (size_t l = 0; l < nl; l++) {
    int y = TOP + (int)l * LANE;
    mxc__html_put(h, "<text x=\"4\" y=\"%d\">", y + 17);
    if (lanes[l].conn) {
      mxc__html_put(h, "conn %.0f ", mxc__jnum(lanes[l].conn, "id", 0));
      mxc__html_text(h, mxc__jstr(lanes[l].conn, "end", "open"));
    } else {
      mxc__html_put(h, "conn (not listed)");
    }
    mxc__html_put(h, "</text>\n");
    if (lanes[l].conn && lanes[l].start >= 0) {
      double x1 = x_of(lanes[l].start, t0, span);
      double x2 = lanes[l].end >= lanes[l].start ? x_of(lanes[l].end, t0, span) : x1;
      mxc__html_put(h,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"#9ecae1\">"
                    "<title>conn %.0f: %.3f to %.3f ms</title></rect>\n",
                    x1, y + 12, fmax(x2 - x1, 1.0), mxc__jnum(lanes[l].conn, "id", 0),
                    (lanes[l].start - t0) / 1000.0,
                    (fmax(lanes[l].end, lanes[l].start) - t0) / 1000.0);
    }
  }
  for (size_t i = 0; i < n; i++) { /* exchange markers, on their connection's lane */
    if (ev[i].kind != EV_EXCHANGE || !ev[i].timed)
      continue;
    size_t l = 0;
    while (l < nl && lanes[l].conn &&
           mxc__jnum(lanes[l].conn, "id", -1) != mxc__jnum(ev[i].o, "conn", -2))
      l++;
    if (l == nl)
      continue;
    int y = TOP + (int)l * LANE;
    double x = x_of(ev[i].t_us, t0, span), status;
    bool answered = num_of(ev[i].o, "status", &status);
    const char *colour = !answered ? "#555555" : status < 300 ? "#1b5e20" : "#b71c1c";
    mxc__html_put(h, "<g><rect x=\"%.1f\" y=\"%d\" width=\"3\" height=\"14\" fill=\"%s\"/>",
                  x - 1.5, y + 10, colour);
    mxc__html_put(h, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">", x + 3, y + 9, colour);
    mxc__html_text(h, mxc__jstr(ev[i].o, "action", mxc__jstr(ev[i].o, "method", "?")));
    if (answered)
      mxc__html_put(h, " %.0f", status);
    else
      mxc__html_put(h, " &#x2013;");
    mxc__html_put(h, "</text><title>+%.3f ms</title></g>\n", (ev[i].t_us - t0) / 1000.0);
  }
  double at = 0; /* the client's steps, laid end to end from the chart's origin */
  size_t s = 0;
  cJSON_ArrayForEach(t, timings) {
    if (!step_ok(t))
      continue;
    int y = TOP + (int)(nl + s++) * LANE;
    double x1 = x_of(t0 + at, t0, span), x2 = x_of(t0 + at + t->valuedouble * 1000.0, t0, span);
    mxc__html_put(h, "<text x=\"4\" y=\"%d\">client: ", y + 17);
    mxc__html_text(h, t->string);
    mxc__html_put(h,
                  "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" "
                  "fill=\"#fdae6b\"/><text x=\"%.1f\" y=\"%d\">%.3f ms</text>\n",
                  x1, y + 12, fmax(x2 - x1, 1.0), fmax(x2, x1 + 1) + 3, y + 21, t->valuedouble);
    at += t->valuedouble * 1000.0;
  }
  int ya = TOP + (int)(nl + nsteps) * LANE + 4;
  mxc__html_put(h, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", LEFT, ya,
                CHART_W - RIGHT, ya);
  double step = tick_step(span / 1000.0);
  for (int k = 0; k * step <= span / 1000.0 + 1e-9 && k < 100; k++) {
    double x = x_of(t0 + k * step * 1000.0, t0, span);
    mxc__html_put(h,
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
                  "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                  x, ya, x, ya + 4, x, ya + 15, k * step);
  }
  mxc__html_put(h, "<text x=\"4\" y=\"%d\">ms since first event</text></svg>\n", ya + 15);
out:
  free(lanes);
  free(ev);
}
