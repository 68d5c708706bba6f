/* Baseline files: expected failures that shrink instead of rotting. */
#include "harness/baseline.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BASELINE_FILE (1024u * 1024u)

int mxc_baseline_load(const char *path, const mxc_catalog *cat, mxc_baseline *out, char **err) {
  char *text = NULL;
  memset(out, 0, sizeof *out);
  *err = NULL;
  int rc = mxc_file_read(path, MAX_BASELINE_FILE, &text, NULL);
  if (rc) {
    *err = mxc_asprintf("%s: cannot read: %s", path, mxc_strerror(rc));
    return MXC_ESCENARIO;
  }
  int line = 1;
  for (const char *p = text; *p; p++)
    line += *p == '\n';
  out->items = calloc((size_t)line + 1, sizeof *out->items);
  if (!out->items) {
    free(text);
    return MXC_ENOMEM;
  }
  line = 0;
  for (char *l = text; l && *l;) {
    char *nl = strchr(l, '\n');
    if (nl)
      *nl = '\0';
    line++;
    char *hash = strchr(l, '#');
    if (hash)
      *hash = '\0';
    while (isspace((unsigned char)*l))
      l++;
    char *end = l + strlen(l);
    while (end > l && isspace((unsigned char)end[-1]))
      *--end = '\0';
    if (*l) {
      char *id_end = l;
      while (*id_end && !isspace((unsigned char)*id_end))
        id_end++;
      char *reason = id_end;
      while (isspace((unsigned char)*reason))
        reason++;
      *id_end = '\0';
      bool known = false;
      for (size_t i = 0; i < cat->n && !known; i++)
        known = strcmp(cat->items[i].id, l) == 0;
      if (!known || !*reason) {
        *err = known ? mxc_asprintf("%s:%d: \"%s\" needs a reason after the ID", path, line, l)
                     : mxc_asprintf("%s:%d: no scenario \"%s\" in the catalog", path, line, l);
        free(text);
        mxc_baseline_cleanup(out);
        return MXC_ESCENARIO;
      }
      mxc_baseline_entry *e = &out->items[out->n++];
      e->id = mxc_strdup(l);
      e->reason = mxc_strdup(reason);
    }
    l = nl ? nl + 1 : NULL;
  }
  free(text);
  return 0;
}

void mxc_baseline_cleanup(mxc_baseline *b) {
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++) {
    free(b->items[i].id);
    free(b->items[i].reason);
  }
  free(b->items);
  memset(b, 0, sizeof *b);
}

void mxc_baseline_mark(const mxc_baseline *b, mxc_scenario_result *r) {
  for (size_t j = 0; b && j < b->n; j++) {
    if (strcmp(b->items[j].id, r->sc->id) != 0)
      continue;
    r->baseline_reason = b->items[j].reason;
    r->baseline_stale = r->verdict == MXC_VERDICT_PASS;
  }
}
