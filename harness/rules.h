/* The rule catalog of PROTOCOL.md section 2: one table, one place. */
#ifndef MXC_RULES_H
#define MXC_RULES_H

#include <stddef.h>

typedef enum { MXC_LEVEL_INFO = 0, MXC_LEVEL_SHOULD = 1, MXC_LEVEL_MUST = 2 } mxc_level;

typedef struct mxc_rule {
  const char *id; /* "OK-1" */
  mxc_level level;
  const char *group; /* "OK" */
  const char *summary;
} mxc_rule;

/* The rule with this id, or NULL. */
const mxc_rule *mxc_rule_find(const char *id);
/* The whole catalog, in PROTOCOL.md order. */
const mxc_rule *mxc_rules(size_t *n);
const char *mxc_level_name(mxc_level level);
/* Parses "must", "should", "all" (= info and up), case-insensitive. -1 when unknown. */
int mxc_level_parse(const char *s);

#endif
