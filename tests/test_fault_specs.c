/* Fault specs (MATCH:KIND[:PARAM=VALUE,...] and JSON objects): every kind and parameter
 * parses, errors name the part that is wrong, and the JSON form round-trips. */
#include "support.h"

#include "common/mxc_error.h"
#include "mocks/faults.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

Test(fault_specs, spec_parses_kinds_parameters_and_selectors, .timeout = 10) {
  mxc_fault f;
  char err[256] = "";
  cr_assert_eq(mxc_fault_from_spec("login:delay:ms=300", &f, err, sizeof err), 0, "%s", err);
  cr_assert_eq(f.kind, MXC_FAULT_DELAY);
  cr_assert_str_eq(f.match, "login");
  cr_assert_eq(f.ms, 300);
  cr_assert_eq(f.min_ms, -1);
  mxc_fault_cleanup(&f);

  cr_assert_eq(mxc_fault_from_spec("*:reset:p=0.25,nth=3,conn=2,times=4", &f, err, sizeof err), 0,
               "%s", err);
  cr_assert_eq(f.kind, MXC_FAULT_RESET);
  cr_assert_str_eq(f.match, "*");
  cr_assert_float_eq(f.p, 0.25, 1e-12);
  cr_assert_eq(f.nth, 3);
  cr_assert_eq(f.conn, 2);
  cr_assert_eq(f.times, 4);
  mxc_fault_cleanup(&f);

  cr_assert_eq(mxc_fault_from_spec("login:status:code=503,body=down,content_type=text/plain,"
                                   "header=Retry-After: 5,header=X-A: b",
                                   &f, err, sizeof err),
               0, "%s", err);
  cr_assert_eq(f.code, 503);
  cr_assert_str_eq(f.body, "down");
  cr_assert_str_eq(f.content_type, "text/plain");
  cr_assert_eq(f.nheaders, 2);
  cr_assert_str_eq(f.headers[0], "Retry-After: 5");
  cr_assert_str_eq(f.headers[1], "X-A: b");
  mxc_fault_cleanup(&f);

  /* defaults */
  cr_assert_eq(mxc_fault_from_spec("login:garbage", &f, err, sizeof err), 0);
  cr_assert_eq(f.bytes, 64);
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("login:close_after_bytes", &f, err, sizeof err), 0);
  cr_assert_eq(f.bytes, 10);
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("login:truncate", &f, err, sizeof err), 0);
  cr_assert_eq(f.missing, 1);
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("login:refused", &f, err, sizeof err), 0);
  cr_assert_eq(f.after, 1);
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("login:delay:min_ms=5,max_ms=5", &f, err, sizeof err), 0, "%s",
               err);
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("login:delay:median_ms=5,sigma=0", &f, err, sizeof err), 0, "%s",
               err);
  mxc_fault_cleanup(&f);

  /* every kind in the table parses by name, and the table names them all */
  const char *help = mxc_fault_kinds_help();
  for (int k = 1; k < MXC_FAULT__COUNT; k++) {
    char spec[64];
    const char *name = mxc_fault_kind_name((mxc_fault_kind)k);
    snprintf(spec, sizeof spec, "%s:%s%s",
             mxc_fault_stage_of((mxc_fault_kind)k) == MXC_STAGE_HANDSHAKE ? "*" : "login", name,
             k == MXC_FAULT_DELAY    ? ":ms=1"
             : k == MXC_FAULT_STATUS ? ":code=500"
                                     : "");
    cr_assert_eq(mxc_fault_from_spec(spec, &f, err, sizeof err), 0, "%s: %s", spec, err);
    cr_assert_eq(f.kind, (mxc_fault_kind)k);
    mxc_fault_cleanup(&f);
    cr_assert_not_null(strstr(help, name), "'%s' is not in the help", name);
  }
}

/* Values with commas: escaped in a spec, or the fault object as JSON. */
Test(fault_specs, spec_values_can_hold_commas, .timeout = 10) {
  mxc_fault f;
  char err[300];
  cr_assert_eq(mxc_fault_from_spec("login:status:code=500,body={\"a\":1\\,\"b\":\"x\\\\y\"},", &f,
                                   err, sizeof err),
               0, "%s", err);
  cr_expect_eq(f.code, 500);
  cr_expect_str_eq(f.body, "{\"a\":1,\"b\":\"x\\y\"}");
  mxc_fault_cleanup(&f);
  cr_assert_eq(mxc_fault_from_spec("{\"match\": \"login\", \"kind\": \"status\", \"code\": 502, "
                                   "\"body\": \"a,b\"}",
                                   &f, err, sizeof err),
               0, "%s", err);
  cr_expect_eq(f.kind, MXC_FAULT_STATUS);
  cr_expect_eq(f.code, 502);
  cr_expect_str_eq(f.body, "a,b");
  cr_expect_str_eq(f.match, "login");
  mxc_fault_cleanup(&f);
  /* the JSON form is held to the same rules */
  cr_expect_eq(mxc_fault_from_spec("{\"match\": \"login\", \"kind\": \"status\", \"cod\": 1}", &f,
                                   err, sizeof err),
               MXC_EINVAL);
  cr_expect(strstr(err, "cod") != NULL, "%s", err);
  cr_expect_eq(mxc_fault_from_spec("{\"match\": ", &f, err, sizeof err), MXC_EINVAL);
  cr_expect(strstr(err, "not a JSON object") != NULL, "%s", err);
}

/* Bad specs: each error message names the part that is wrong. */
Test(fault_specs, spec_errors_name_the_parameter, .timeout = 10) {
  static const struct {
    const char *spec;
    const char *named;
  } bad[] = {
      {"login:nosuch", "kind"},
      {"login:nosuch", "nosuch"},
      {"nocolon", "MATCH:KIND"},
      {":reset", "MATCH:KIND"},
      {"login:reset:foo=1", "foo"},
      {"login:reset:ms=5", "ms"}, /* a parameter of another kind */
      {"login:reset:ms=5", "reset"},
      {"login:refused:nth=2", "nth"}, /* refused is not selectable */
      {"login:reset:p", "PARAM=VALUE"},
      {"login:reset:=3", "PARAM=VALUE"},
      {"login:reset:p=0", "p"},
      {"login:reset:p=1.5", "p"},
      {"login:reset:nth=two", "nth"},
      {"login:reset:nth=1.5", "nth"},
      {"login:reset:nth=", "nth"},
      {"login:reset:nth=1,nth=2", "nth"},
      {"login:status", "code"},
      {"login:status:code=99", "code"},
      {"login:status:code=600", "code"},
      {"login:status:code=503,header=NoColon", "header"},
      {"login:status:code=503,header=: x", "header"},
      {"login:garbage:bytes=0", "bytes"},
      {"login:bandwidth:rate=0", "rate"},
      {"login:truncate:missing=0", "missing"},
      {"login:delay", "ms"},
      {"login:delay:ms=-1", "ms"},
      {"login:delay:ms=abc", "ms"},
      {"login:delay:ms=1,min_ms=1,max_ms=2", "ms"},
      {"login:delay:ms=1,median_ms=1,sigma=1", "median_ms"},
      {"login:delay:min_ms=5", "max_ms"},
      {"login:delay:max_ms=5", "min_ms"},
      {"login:delay:min_ms=9,max_ms=5", "min_ms"},
      {"login:delay:median_ms=5", "sigma"},
      {"login:delay:sigma=1", "median_ms"},
      {"login:delay:median_ms=0,sigma=1", "median_ms"},
      {"login:delay:median_ms=5,sigma=11", "sigma"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mxc_fault f;
    char err[256] = "";
    int rc = mxc_fault_from_spec(bad[i].spec, &f, err, sizeof err);
    cr_assert_eq(rc, MXC_EINVAL, "'%s' was accepted", bad[i].spec);
    cr_assert_not_null(strstr(err, bad[i].named), "'%s': the message '%s' does not name '%s'",
                       bad[i].spec, err, bad[i].named);
  }
  /* the JSON form: unknown keys, wrong types */
  static const struct {
    const char *json;
    const char *named;
  } badj[] = {
      {"{\"match\":\"login\"}", "kind"},
      {"{\"kind\":5}", "kind"},
      {"{\"kind\":\"reset\",\"extra\":1}", "extra"},
      {"{\"kind\":\"reset\",\"match\":\"a:b\"}", "match"},
      {"{\"kind\":\"reset\",\"match\":\"\"}", "match"},
      {"{\"kind\":\"delay\",\"ms\":\"300\"}", "ms"},
      {"{\"kind\":\"status\",\"code\":503,\"body\":5}", "body"},
      {"{\"kind\":\"status\",\"code\":503,\"header\":[\"A: b\",7]}", "header"},
      {"[]", "object"},
  };
  for (size_t i = 0; i < sizeof badj / sizeof badj[0]; i++) {
    mxc_fault f;
    char err[256] = "";
    cJSON *o = cJSON_Parse(badj[i].json);
    cr_assert_not_null(o);
    int rc = mxc_fault_from_json(o, &f, err, sizeof err);
    cJSON_Delete(o);
    cr_assert_eq(rc, MXC_EINVAL, "'%s' was accepted", badj[i].json);
    cr_assert_not_null(strstr(err, badj[i].named), "'%s': the message '%s' does not name '%s'",
                       badj[i].json, err, badj[i].named);
  }
}

static void assert_same_fault(const mxc_fault *a, const mxc_fault *b, const char *spec) {
  cr_assert_eq(a->kind, b->kind, "%s: kind", spec);
  if (mxc_fault_stage_of(a->kind) != MXC_STAGE_LISTENER &&
      mxc_fault_stage_of(a->kind) != MXC_STAGE_HARNESS)
    cr_assert_str_eq(a->match, b->match, "%s: match", spec);
  cr_assert_eq(a->nth, b->nth, "%s: nth", spec);
  cr_assert_eq(a->conn, b->conn, "%s: conn", spec);
  cr_assert_eq(a->times, b->times, "%s: times", spec);
  cr_assert_eq(a->p, b->p, "%s: p", spec);
  cr_assert_eq(a->after, b->after, "%s: after", spec);
  cr_assert_eq(a->code, b->code, "%s: code", spec);
  cr_assert((a->body == NULL) == (b->body == NULL) && (!a->body || !strcmp(a->body, b->body)),
            "%s: body", spec);
  cr_assert((a->content_type == NULL) == (b->content_type == NULL) &&
                (!a->content_type || !strcmp(a->content_type, b->content_type)),
            "%s: content_type", spec);
  cr_assert_eq(a->nheaders, b->nheaders, "%s: headers", spec);
  for (size_t i = 0; i < a->nheaders; i++)
    cr_assert_str_eq(a->headers[i], b->headers[i], "%s: header %zu", spec, i);
  cr_assert_eq(a->ms, b->ms, "%s: ms %d, then %d", spec, a->ms, b->ms);
  cr_assert_eq(a->min_ms, b->min_ms, "%s: min_ms %d, then %d", spec, a->min_ms, b->min_ms);
  cr_assert_eq(a->max_ms, b->max_ms, "%s: max_ms %d, then %d", spec, a->max_ms, b->max_ms);
  cr_assert_eq(a->median_ms, b->median_ms, "%s: median_ms", spec);
  cr_assert_eq(a->sigma, b->sigma, "%s: sigma", spec);
  cr_assert_eq(a->bytes, b->bytes, "%s: bytes", spec);
  cr_assert_eq(a->interval_ms, b->interval_ms, "%s: interval_ms %d, then %d", spec, a->interval_ms,
               b->interval_ms);
  cr_assert_eq(a->rate, b->rate, "%s: rate", spec);
  cr_assert_eq(a->missing, b->missing, "%s: missing", spec);
  cr_assert_eq(a->idle_ms, b->idle_ms, "%s: idle_ms %d, then %d", spec, a->idle_ms, b->idle_ms);
}

/* What mxc_fault_to_json writes (the transcript, the control API) reads back the same. */
Test(fault_specs, json_round_trip, .timeout = 10) {
  static const char *specs[] = {
      "login:refused:after=3",
      "login:refused:after=0",
      "*:unresolvable",
      "login:reset:p=0.25,nth=3,conn=2,times=4",
      "info:close",
      "*:blackhole",
      "login:garbage:bytes=7",
      "login:bad_status_line",
      "login:status:code=503,body=down,content_type=text/plain,header=Retry-After: 5,"
      "header=X-A: b",
      "login:forbidden",
      "login:rate_limited:header=X-B: c",
      "login:server_error:code=501",
      "login:bad_gateway",
      "login:maintenance:body=later",
      "login:error_560",
      "login:redirect",
      "login:bad_json",
      "login:wrong_content_type",
      "login:delay:ms=300",
      "login:delay:ms=0",
      "login:delay:min_ms=10,max_ms=20",
      "login:delay:min_ms=0,max_ms=20",
      "login:delay:min_ms=0,max_ms=0",
      "login:delay:median_ms=40,sigma=0.5",
      "login:delay:median_ms=40,sigma=0",
      "login:dribble:bytes=3,interval_ms=7",
      "login:dribble:interval_ms=0",
      "login:bandwidth:rate=123",
      "login:stall_after_headers",
      "login:close_after_headers",
      "login:close_after_bytes:bytes=99",
      "login:truncate:missing=4",
      "login:chunked_unterminated",
      "login:stale:idle_ms=75",
      "login:stale:idle_ms=0",
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    mxc_fault a, b;
    char err[256] = "";
    cr_assert_eq(mxc_fault_from_spec(specs[i], &a, err, sizeof err), 0, "%s: %s", specs[i], err);
    cJSON *j = mxc_fault_to_json(&a);
    cr_assert_not_null(j);
    char *text = cJSON_PrintUnformatted(j);
    int rc = mxc_fault_from_json(j, &b, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: its JSON %s does not read back: %s", specs[i], text, err);
    assert_same_fault(&a, &b, specs[i]);
    cJSON *j2 = mxc_fault_to_json(&b);
    cr_assert(cJSON_Compare(j, j2, true), "%s: %s changed on the round trip", specs[i], text);
    cJSON_Delete(j2);
    free(text);
    cJSON_Delete(j);
    mxc_fault_cleanup(&a);
    mxc_fault_cleanup(&b);
  }
}
