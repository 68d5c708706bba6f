/* Helpers shared by reporters: XML escaping and the readable form of a transcript. */
#include "reports/report.h"

#include <string.h>

int mxc_xml_escape(mxc_buf *out, const char *s) {
  int rc = 0;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && rc == 0; p++) {
    switch (*p) {
    case '&': rc = mxc_buf_append(out, "&amp;", 5); break;
    case '<': rc = mxc_buf_append(out, "&lt;", 4); break;
    case '>': rc = mxc_buf_append(out, "&gt;", 4); break;
    case '"': rc = mxc_buf_append(out, "&quot;", 6); break;
    case '\'': rc = mxc_buf_append(out, "&apos;", 6); break;
    default:
      if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
        rc = mxc_buf_append(out, "?", 1); /* not allowed in XML 1.0 */
      else
        rc = mxc_buf_append(out, p, 1);
    }
  }
  return rc;
}

static const char *jstr(const cJSON *o, const char *k, const char *dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double jnum(const cJSON *o, const char *k, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int mxc_transcript_lines(mxc_buf *out, const cJSON *transcript, const char *indent) {
  int rc = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(transcript, "exchanges")) {
    const cJSON *sess = cJSON_GetObjectItemCaseSensitive(x, "session_in");
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(x, "faults");
    const char *action = jstr(x, "action", "");
    rc = mxc_buf_printf(out, "%s#%.0f +%.1fms conn %.0f: %s %s%s%s", indent, jnum(x, "seq", -1),
                        jnum(x, "t_us", 0) / 1000.0, jnum(x, "conn", 0), jstr(x, "method", "?"),
                        jstr(x, "target", "?"), *action ? " " : "", action);
    if (!rc && sess)
      rc = mxc_buf_printf(out, " [session %s, csrf %s]", jstr(sess, "state", "?"),
                          jstr(x, "csrf", "-"));
    const cJSON *f;
    cJSON_ArrayForEach(f, faults) {
      if (rc)
        break;
      rc = mxc_buf_printf(out, " fault=%s", jstr(f, "kind", "?"));
      if (!rc && cJSON_GetObjectItemCaseSensitive(f, "delay_ms"))
        rc = mxc_buf_printf(out, "(%.0fms)", jnum(f, "delay_ms", 0));
    }
    if (!rc && cJSON_GetObjectItemCaseSensitive(x, "status"))
      rc = mxc_buf_printf(out, " -> %.0f", jnum(x, "status", 0));
    else if (!rc)
      rc = mxc_buf_printf(out, " -> no response");
    if (!rc && jstr(x, "outcome", NULL))
      rc = mxc_buf_printf(out, " (%s)", jstr(x, "outcome", ""));
    if (!rc && jstr(x, "error", NULL))
      rc = mxc_buf_printf(out, " (bad request: %s)", jstr(x, "error", ""));
    if (!rc)
      rc = mxc_buf_append(out, "\n", 1);
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(transcript, "connections")) {
    if (rc)
      break;
    rc = mxc_buf_printf(out, "%sconn %.0f from %s: %s, %.0f bytes in, %.0f out\n", indent,
                        jnum(c, "id", 0), jstr(c, "peer", "?"), jstr(c, "end", "open"),
                        jnum(c, "bytes_in", 0), jnum(c, "bytes_out", 0));
  }
  return rc;
}
