/* Helpers shared by reporters: XML and JSON/YAML string escaping, the readable form of a
 * transcript. */
#include "reports/report.h"

#include <string.h>

/* Decodes the UTF-8 sequence at p into *cp and returns its length (1-4), or 0 when it is not
 * valid UTF-8 (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_decode(const unsigned char *p, unsigned *cp) {
  size_t n;
  if (p[0] < 0x80)
    n = 1, *cp = p[0];
  else if (p[0] >= 0xC2 && p[0] <= 0xDF)
    n = 2, *cp = p[0] & 0x1Fu;
  else if (p[0] >= 0xE0 && p[0] <= 0xEF)
    n = 3, *cp = p[0] & 0x0Fu;
  else if (p[0] >= 0xF0 && p[0] <= 0xF4)
    n = 4, *cp = p[0] & 0x07u;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0u) != 0x80u) /* also stops at the terminating NUL */
      return 0;
    *cp = *cp << 6 | (p[i] & 0x3Fu);
  }
  if ((n == 3 && *cp < 0x800) || (*cp >= 0xD800 && *cp <= 0xDFFF) || (n == 4 && *cp < 0x10000) ||
      *cp > 0x10FFFF)
    return 0;
  return n;
}

int mxc_xml_escape(mxc_buf *out, const char *s) {
  int rc = 0;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && rc == 0;) {
    unsigned cp;
    size_t n = utf8_decode(p, &cp);
    if (n == 0) { /* not UTF-8: an XML parser would refuse the whole file */
      rc = mxc_buf_append(out, "\xef\xbf\xbd", 3);
      n = 1;
    } else if (cp == '&') {
      rc = mxc_buf_append(out, "&amp;", 5);
    } else if (cp == '<') {
      rc = mxc_buf_append(out, "&lt;", 4);
    } else if (cp == '>') {
      rc = mxc_buf_append(out, "&gt;", 4);
    } else if (cp == '"') {
      rc = mxc_buf_append(out, "&quot;", 6);
    } else if (cp == '\'') {
      rc = mxc_buf_append(out, "&apos;", 6);
    } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
               cp == 0xFFFF) {
      rc = mxc_buf_append(out, "?", 1); /* not allowed in XML 1.0 */
    } else {
      rc = mxc_buf_append(out, p, n);
    }
    p += n;
  }
  return rc;
}

int mxc_json_quote(mxc_buf *out, const char *s) {
  if (!s)
    return mxc_buf_append(out, "null", 4);
  int rc = mxc_buf_append(out, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;) {
    unsigned cp;
    size_t n = utf8_decode(p, &cp);
    if (n == 0) {
      rc = mxc_buf_append(out, "\\ufffd", 6);
      n = 1;
    } else if (cp == '"' || cp == '\\') {
      rc = mxc_buf_printf(out, "\\%c", (char)cp);
    } else if (cp == '\n' || cp == '\r' || cp == '\t') {
      rc = mxc_buf_printf(out, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
      rc = mxc_buf_printf(out, "\\u%04x", cp); /* YAML wants these escaped too */
    } else {
      rc = mxc_buf_append(out, p, n);
    }
    p += n;
  }
  if (!rc)
    rc = mxc_buf_append(out, "\"", 1);
  return rc;
}

int mxc_utf8_sanitize(mxc_buf *out, const char *s) {
  int rc = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p && rc == 0) {
    const unsigned char *start = p;
    unsigned cp;
    size_t n;
    while (*p && (n = utf8_decode(p, &cp)) != 0)
      p += n;
    rc = mxc_buf_append(out, start, (size_t)(p - start));
    if (!rc && *p) {
      rc = mxc_buf_append(out, "\xef\xbf\xbd", 3);
      p++;
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
