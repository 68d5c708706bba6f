/* Serve-mode agents end to end: `mxconform serve --agents DIR` hands out cases, the agent loop
 * (examples/agent-loop.sh) runs an adapter on each and posts the result; every agent is judged
 * on its own mock's wire and gets its reports. */
#include "support.h"

#include "common/mxc_util.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct served {
  pid_t pid;
  FILE *out;
  char url[256];
  char *dir;
} served;

static void serve_agents_ex(served *s, const char *filter, const char *timeout) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  s->dir = mxc_tempdir_create("mxc-agents");
  cr_assert_not_null(s->dir);
  s->pid = fork();
  cr_assert_geq(s->pid, 0);
  if (s->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl(mxc_test_bin("mxconform"), "mxconform", "serve", "--agents", s->dir, "--filter", filter,
          "--seed", "9", "--agent-timeout", timeout, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  s->out = fdopen(fds[0], "r");
  char line[512] = "";
  cr_assert_not_null(fgets(line, sizeof line, s->out), "no ready line");
  cr_assert(sscanf(line, "listening on %255s", s->url) == 1, "%s", line);
}

static void serve_agents(served *s, const char *filter) { serve_agents_ex(s, filter, "300"); }

static int serve_stop(served *s) {
  int st = 0;
  kill(s->pid, SIGTERM);
  cr_assert_eq(waitpid(s->pid, &st, 0), s->pid);
  fclose(s->out);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void agent_loop(const served *s, const char *name, const char *adapter) {
  char *cmd = mxc_asprintf("'%s' '%s' '%s' '%s' 2>/dev/null",
                           mxc_test_src("examples/agent-loop.sh"), s->url, name, adapter);
  cr_assert_eq(mxc_test_sh(cmd, NULL), 0, "%s", cmd);
  free(cmd);
}

static char *report(const served *s, const char *name, const char *ext) {
  char *path = mxc_asprintf("%s/%s.%s", s->dir, name, ext);
  char *text = NULL;
  cr_assert_eq(mxc_file_read(path, 1u << 24, &text, NULL), 0, "no report %s", path);
  free(path);
  return text;
}

Test(agents, reference_and_liar_side_by_side, .timeout = 120) {
  served s;
  serve_agents(&s, "DENY*");
  char *liar = mxc_asprintf("%s/liar.sh", s.dir);
  const char *body = "#!/bin/sh\necho '{\"attempts\":[{\"status\":401,\"validation_message\":"
                     "\"Wrong.\"}],\"restarted\":false,\"page\":\"Login\"}'\n";
  cr_assert_eq(mxc_file_write_atomic(liar, body, strlen(body)), 0);
  char *chmod_cmd = mxc_asprintf("chmod +x '%s'", liar);
  cr_assert_eq(mxc_test_sh(chmod_cmd, NULL), 0);
  free(chmod_cmd);
  agent_loop(&s, "reference", mxc_test_bin("mxclient"));
  agent_loop(&s, "liar", liar);
  /* both ran every DENY case; reports are written when an agent has run them all */
  char *ref = report(&s, "reference", "junit.xml");
  char *lie = report(&s, "liar", "junit.xml");
  cr_expect(strstr(ref, "failures=\"0\" errors=\"0\"") != NULL, "%s", ref);
  cr_expect(strstr(ref, "name=\"agent\" value=\"reference\"") != NULL);
  /* the liar says what a DENY client says, but nothing reached the wire */
  cr_expect(strstr(lie, "<failure") != NULL, "%s", lie);
  cr_expect(strstr(lie, "no /xas/ call at all") != NULL, "%s", lie);
  char *json = report(&s, "reference", "json");
  cr_expect(strstr(json, "\"agent\":\t\"reference\"") != NULL ||
                strstr(json, "\"agent\": \"reference\"") != NULL ||
                strstr(json, "\"agent\":\"reference\"") != NULL,
            "%.300s", json);
  free(json);
  free(ref);
  free(lie);
  free(liar);
  cr_expect_eq(serve_stop(&s), 0);
  mxc_tree_remove(s.dir);
  free(s.dir);
}

Test(agents, stopping_mid_run_writes_incomplete_reports, .timeout = 60) {
  served s;
  serve_agents(&s, "*");
  /* one case handed out, no result posted */
  char *cmd =
      mxc_asprintf("curl -s -o /dev/null -w '%%{http_code}' '%s_mxconform/next?agent=half'", s.url);
  char *code = NULL;
  cr_assert_eq(mxc_test_sh(cmd, &code), 0);
  cr_expect_str_eq(code, "200");
  free(code);
  free(cmd);
  cr_expect_eq(serve_stop(&s), 0);
  char *xml = report(&s, "half", "junit.xml");
  cr_expect(strstr(xml, "type=\"interrupted\"") != NULL, "%s", xml);
  free(xml);
  mxc_tree_remove(s.dir);
  free(s.dir);
}

/* GET next (or POST a result) for an agent; returns the HTTP status, the body in *body. */
static int agent_call(const served *s, const char *what, const char *name, const char *data,
                      char **body) {
  char *cmd = mxc_asprintf("curl -s -w '\\n%%{http_code}' %s%s%s '%s_mxconform/%s?agent=%s'",
                           data ? "--data-binary '" : "", data ? data : "", data ? "'" : "", s->url,
                           what, name);
  char *out = NULL;
  cr_assert_eq(mxc_test_sh(cmd, &out), 0, "%s", cmd);
  char *nl = strrchr(out, '\n');
  cr_assert_not_null(nl, "%s", out);
  int code = atoi(nl + 1);
  *nl = '\0';
  *body = out;
  free(cmd);
  return code;
}

Test(agents, a_silent_agent_times_out_and_gets_the_next_case, .timeout = 60) {
  served s;
  serve_agents_ex(&s, "DENY-1-*", "0.5");
  char *first = NULL, *again = NULL, *late = NULL;
  cr_assert_eq(agent_call(&s, "next", "mute", NULL, &first), 200, "%s", first);
  usleep(1200 * 1000); /* past the 0.5 s deadline: the case is judged without it */
  cr_expect_eq(agent_call(&s, "result", "mute", "{\"attempts\":[]}", &late), 409,
               "a late result must not be taken for the next case: %s", late);
  cr_assert_eq(agent_call(&s, "next", "mute", NULL, &again), 200, "%s", again);
  cr_expect(strcmp(first, again) != 0, "the timed-out case was handed out again: %s", again);
  cr_expect_eq(serve_stop(&s), 0);
  char *json = report(&s, "mute", "json");
  cr_expect(strstr(json, "no result within 500 ms (serve --agent-timeout)") != NULL, "%.2000s",
            json);
  cr_expect(strstr(json, "\"timed_out\":\ttrue") != NULL, "%.2000s", json);
  cr_expect(strstr(json, "\"verdict\":\t\"ERROR\"") != NULL, "%.2000s", json);
  free(json);
  free(first);
  free(again);
  free(late);
  mxc_tree_remove(s.dir);
  free(s.dir);
}

Test(agents, https_cases_with_the_served_ca, .timeout = 120) {
  served s;
  serve_agents(&s, "NET-5*");
  char *pem = NULL;
  cr_assert_eq(agent_call(&s, "ca.pem", "x", NULL, &pem), 200, "%s", pem);
  cr_expect(strncmp(pem, "-----BEGIN CERTIFICATE-----", 27) == 0, "%s", pem);
  free(pem);
  char *insecure = mxc_asprintf("%s --defect insecure-tls", mxc_test_bin("mxclient"));
  agent_loop(&s, "reference", mxc_test_bin("mxclient"));
  agent_loop(&s, "insecure", insecure);
  cr_expect_eq(serve_stop(&s), 0);
  char *ref = report(&s, "reference", "junit.xml");
  char *bad = report(&s, "insecure", "junit.xml");
  /* the reference client trusts the served CA and refuses every bad certificate */
  cr_expect(strstr(ref, "tests=\"7\" failures=\"0\" errors=\"0\"") != NULL, "%s", ref);
  cr_expect(strstr(bad, "<failure") != NULL, "a client that skips verification passed: %s", bad);
  cr_expect(strstr(bad, "NET-5") != NULL);
  free(ref);
  free(bad);
  free(insecure);
  mxc_tree_remove(s.dir);
  free(s.dir);
}

Test(agents, no_ca_without_https_cases, .timeout = 30) {
  served s;
  serve_agents(&s, "DENY*");
  char *body = NULL;
  cr_expect_eq(agent_call(&s, "ca.pem", "x", NULL, &body), 404, "%s", body);
  free(body);
  cr_expect_eq(serve_stop(&s), 0);
  mxc_tree_remove(s.dir);
  free(s.dir);
}
