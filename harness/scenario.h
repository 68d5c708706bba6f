/* Scenarios: JSON files under scenarios/ (docs/scenarios.md), loaded and validated. */
#ifndef MXC_SCENARIO_H
#define MXC_SCENARIO_H

#include "clients/case.h"
#include "harness/rules.h"
#include "harness/verdict.h"
#include "mocks/faults.h"
#include "mocks/runtime.h"

#include <stddef.h>

#define MXC_SCENARIO_MAX_FILE (1024u * 1024u)

typedef struct mxc_scenario {
  char *file;
  char *id;
  char *title;
  char *description;
  const mxc_rule **rules;
  size_t nrules;
  mxc_level level; /* the strongest level among its rules */
  bool https;      /* "transport": "https": the mock serves TLS with run-local certificates */
  mxc_account *accounts;
  size_t naccounts;
  mxc_runtime_config runtime; /* .accounts points into this scenario */
  mxc_fault *faults;
  size_t nfaults;
  mxc_case client; /* base_url is a placeholder until the runner knows the port */
  mxc_expectation *expect;
  size_t nexpect;
} mxc_scenario;

typedef struct mxc_catalog {
  mxc_scenario *items;
  size_t n;
} mxc_catalog;

/* Loads one scenario file. On failure returns MXC_ESCENARIO and *err is a malloc'ed message
 * "FILE:LINE:COL: ..." for JSON syntax or "FILE: $.json.path: ..." for content. */
int mxc_scenario_load_file(const char *path, mxc_scenario *sc, char **err);
/* Parses scenario JSON text; `file` names it in messages. */
int mxc_scenario_parse(const char *file, const char *text, size_t len, mxc_scenario *sc,
                       char **err);
void mxc_scenario_cleanup(mxc_scenario *sc);

/* Parses text as exactly one JSON document (only white space may follow it). On a syntax error
 * returns NULL with *err = "FILE:LINE:COL: invalid JSON..." (malloc'ed; NULL on out of memory).
 */
cJSON *mxc_json_document(const char *file, const char *text, size_t len, char **err);

/* Parses a JSON list of accounts ({"username", "password", "roles", "active"}), with the
 * same strictness and messages as scenario files. Free with mxc_accounts_free. */
int mxc_accounts_parse(const char *file, const char *text, size_t len, mxc_account **out, size_t *n,
                       char **err);
void mxc_accounts_free(mxc_account *accounts, size_t n);

/* Loads every *.json below dir (recursively), in path order. Every problem is reported, one
 * line each, in *errors (malloc'ed, NULL when none); returns MXC_ESCENARIO when there were any
 * (duplicate IDs too). */
int mxc_catalog_load(const char *dir, mxc_catalog *cat, char **errors);
void mxc_catalog_cleanup(mxc_catalog *cat);

#endif
