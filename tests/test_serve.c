/* `mxconform serve`: the ready line, a real independent client (the curl command line with a
 * cookie jar), the control API, clean stops on SIGINT/SIGTERM, and bad options. */
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
  char url[1024];
  char ca[1024];
  char *dir; /* scratch directory: cookie jar, transcript */
} served;

/* Starts `mxconform serve ARGS...` and waits for its ready line. */
static void serve_start(served *s, const char *const *args) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  s->dir = mxc_tempdir_create("mxc-serve");
  cr_assert_not_null(s->dir);
  s->pid = fork();
  cr_assert_geq(s->pid, 0);
  if (s->pid == 0) {
    const char *argv[16] = {mxc_test_bin("mxconform"), "serve"};
    size_t n = 2;
    for (; args && args[n - 2] && n < 15; n++)
      argv[n] = args[n - 2];
    argv[n] = NULL;
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  s->out = fdopen(fds[0], "r");
  char line[1024] = "";
  cr_assert_not_null(fgets(line, sizeof line, s->out), "serve printed no ready line");
  cr_assert(strncmp(line, "listening on http", 17) == 0, "ready line: %s", line);
  line[strcspn(line, "\n")] = '\0';
  char *ca = strstr(line, " ca=");
  s->ca[0] = '\0';
  if (ca) { /* --tls: "listening on https://... ca=PATH" */
    snprintf(s->ca, sizeof s->ca, "%s", ca + 4);
    *ca = '\0';
  }
  snprintf(s->url, sizeof s->url, "%s", line + strlen("listening on "));
}

/* Sends sig and returns the exit status. */
static int serve_stop(served *s, int sig) {
  int st = 0;
  kill(s->pid, sig);
  cr_assert_eq(waitpid(s->pid, &st, 0), s->pid);
  fclose(s->out);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void serve_cleanup(served *s) {
  mxc_tree_remove(s->dir);
  free(s->dir);
}

/* The curl command line with the scratch cookie jar; returns the body (or -w output). */
static char *curl(const served *s, const char *opts, const char *path) {
  char cacert[1100] = "";
  if (s->ca[0])
    snprintf(cacert, sizeof cacert, "--cacert '%s'", s->ca);
  char *cmd = mxc_asprintf("curl -s -S --max-time 5 %s -b '%s/jar' -c '%s/jar' %s '%s%s'", cacert,
                           s->dir, s->dir, opts, s->url, path);
  char *out = NULL;
  int st = mxc_test_sh(cmd, &out);
  cr_assert_eq(st, 0, "curl failed (%d): %s", st, cmd);
  free(cmd);
  return out;
}

static char *xas(const served *s, const char *body) {
  char *opts = mxc_asprintf("-H 'Content-Type: application/json' --data-raw '%s'", body);
  char *out = curl(s, opts, "xas/");
  free(opts);
  return out;
}

Test(serve, curl_with_a_cookie_jar_signs_in_and_restarts, .timeout = 30) {
  served s;
  char *tr = NULL;
  serve_start(&s, NULL);
  cr_expect(strstr(s.url, "http://127.0.0.1:") == s.url, "default must be loopback: %s", s.url);
  char *body = xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}");
  cr_expect(strstr(body, "\"roles\":[\"Anonymous\"]") != NULL, "%s", body);
  free(body);
  body = curl(&s,
              "-o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' "
              "--data-raw "
              "'{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"nope\"}}'",
              "xas/");
  cr_expect_str_eq(body, "401");
  free(body);
  body =
      xas(&s, "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret\"}}");
  cr_expect_str_eq(body, "{}");
  free(body);
  /* the restart: session data for alice through the new cookie in the jar */
  body = xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}");
  cr_expect(strstr(body, "\"roles\":[\"User\"]") != NULL, "%s", body);
  cr_expect(strstr(body, "\"IsAnonymous\":{\"value\":false}") != NULL, "%s", body);
  free(body);
  /* the control API sees the same traffic, without the password */
  tr = curl(&s, "", "_mxconform/transcript");
  cJSON *doc = cJSON_Parse(tr);
  cr_assert_not_null(doc, "%s", tr);
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "exchanges")), 4);
  cr_expect_null(strstr(tr, "s3cret"));
  cJSON_Delete(doc);
  free(tr);
  cr_expect_eq(serve_stop(&s, SIGTERM), 0);
  serve_cleanup(&s);
}

Test(serve, control_api_health_reset_expire_arm, .timeout = 30) {
  served s;
  serve_start(&s, NULL);
  char *body = curl(&s, "", "_mxconform/health");
  cr_expect(strstr(body, "\"status\":\"ok\"") != NULL, "%s", body);
  cr_expect(strstr(body, "\"scenario\":null") != NULL, "%s", body);
  free(body);
  /* expire: a live session dies */
  free(xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}"));
  char *code =
      curl(&s, "-o /dev/null -w '%{http_code}' --data-raw '{\"action\":\"keepalive\"}'", "xas/");
  cr_expect_str_eq(code, "200");
  free(code);
  free(curl(&s, "-X POST", "_mxconform/expire"));
  code = curl(&s, "-o /dev/null -w '%{http_code}' --data-raw '{\"action\":\"keepalive\"}'", "xas/");
  cr_expect_str_eq(code, "401");
  free(code);
  /* reset: the transcript starts again */
  free(curl(&s, "-X POST", "_mxconform/reset"));
  body = curl(&s, "", "_mxconform/transcript");
  cr_expect(strstr(body, "\"exchanges\":[]") != NULL, "%s", body);
  free(body);
  /* arm: the scenario's accounts replace the defaults */
  body = curl(&s, "-X POST", "_mxconform/arm?scenario=OK-1-signin-restarts-home");
  cr_expect(strstr(body, "OK-1-signin-restarts-home") != NULL, "%s", body);
  free(body);
  body = curl(&s, "", "_mxconform/health");
  cr_expect(strstr(body, "\"scenario\":\"OK-1-signin-restarts-home\"") != NULL, "%s", body);
  free(body);
  code = curl(
      &s,
      "-o /dev/null -w '%{http_code}' --data-raw "
      "'{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret-Alice\"}}'",
      "xas/");
  cr_expect_str_eq(code, "200");
  free(code);
  code = curl(&s, "-o /dev/null -w '%{http_code}' -X POST", "_mxconform/arm?scenario=NO-SUCH");
  cr_expect_str_eq(code, "404");
  free(code);
  code = curl(&s, "-o /dev/null -w '%{http_code}'", "_mxconform/nothing");
  cr_expect_str_eq(code, "404");
  free(code);
  cr_expect_eq(serve_stop(&s, SIGINT), 0);
  serve_cleanup(&s);
}

Test(serve, armed_scenario_and_transcript_file_on_stop, .timeout = 30) {
  served s;
  char *dir = mxc_tempdir_create("mxc-serve-tr");
  char *path = mxc_asprintf("%s/transcript.json", dir);
  const char *args[] = {"--scenario", "DENY-1-wrong-password", "--transcript", path, NULL};
  serve_start(&s, args);
  free(xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}"));
  free(xas(
      &s,
      "{\"action\":\"login\",\"params\":{\"username\":\"alice\",\"password\":\"s3cret-Alice\"}}"));
  cr_expect_eq(serve_stop(&s, SIGTERM), 0);
  char *text = NULL;
  cr_assert_eq(mxc_file_read(path, 1u << 20, &text, NULL), 0, "no transcript at %s", path);
  cr_expect(strstr(text, "\"outcome\":\t\"ok\"") != NULL ||
                strstr(text, "\"outcome\": \"ok\"") != NULL ||
                strstr(text, "\"outcome\":\"ok\"") != NULL,
            "%s", text);
  cr_expect_null(strstr(text, "s3cret-Alice"));
  free(text);
  serve_cleanup(&s);
  mxc_tree_remove(dir);
  free(dir);
  free(path);
}

Test(serve, accounts_file_and_bad_options, .timeout = 30) {
  char *dir = mxc_tempdir_create("mxc-serve-acc");
  char *good = mxc_asprintf("%s/good.json", dir), *bad = mxc_asprintf("%s/bad.json", dir);
  const char *g = "[{\"username\":\"zoe\",\"password\":\"pw-zoe\",\"roles\":[\"Manager\"]}]";
  const char *b = "[{\"username\":\"zoe\",\"password\":7,\"roles\":[]}]";
  mxc_file_write_atomic(good, g, strlen(g));
  mxc_file_write_atomic(bad, b, strlen(b));
  served s;
  const char *args[] = {"--accounts", good, "--listen", "127.0.0.1:0", NULL};
  serve_start(&s, args);
  free(xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}"));
  free(xas(&s, "{\"action\":\"login\",\"params\":{\"username\":\"zoe\",\"password\":\"pw-zoe\"}}"));
  char *body = xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}");
  cr_expect(strstr(body, "\"roles\":[\"Manager\"]") != NULL, "%s", body);
  free(body);
  cr_expect_eq(serve_stop(&s, SIGTERM), 0);
  serve_cleanup(&s);

  char *out = NULL;
  char *cmd = mxc_asprintf("'%s' serve --accounts '%s' 2>&1", mxc_test_bin("mxconform"), bad);
  cr_expect_eq(mxc_test_sh(cmd, &out), 2);
  cr_expect(strstr(out, "bad.json: $[0].password") != NULL, "%s", out);
  free(out);
  free(cmd);
  cmd = mxc_asprintf("'%s' serve --listen nonsense 2>&1", mxc_test_bin("mxconform"));
  cr_expect_eq(mxc_test_sh(cmd, &out), 2);
  cr_expect(strstr(out, "--listen") != NULL, "%s", out);
  free(out);
  free(cmd);
  cmd = mxc_asprintf("'%s' serve --scenario NO-SUCH 2>&1", mxc_test_bin("mxconform"));
  cr_expect_eq(mxc_test_sh(cmd, &out), 2);
  cr_expect(strstr(out, "NO-SUCH") != NULL, "%s", out);
  free(out);
  free(cmd);
  mxc_tree_remove(dir);
  free(dir);
  free(good);
  free(bad);
}

Test(serve, tls_serves_https_and_names_its_ca, .timeout = 30) {
  served s;
  const char *args[] = {"--tls", NULL};
  serve_start(&s, args);
  cr_expect(strncmp(s.url, "https://127.0.0.1:", 18) == 0, "%s", s.url);
  cr_assert(s.ca[0], "no ca= on the ready line");
  /* verified against the named CA only (curl checks the host name too) */
  char *body = xas(&s, "{\"action\":\"get_session_data\",\"params\":{}}");
  cr_expect(strstr(body, "\"roles\":[\"Anonymous\"]") != NULL, "%s", body);
  free(body);
  char *headers = curl(&s, "-o /dev/null -D - --data-raw '{\"action\":\"info\"}'", "xas/");
  free(headers);
  char *dir = mxc_strdup(s.ca);
  *strrchr(dir, '/') = '\0';
  cr_expect_eq(serve_stop(&s, SIGTERM), 0);
  /* the run-local CA goes with the run */
  char *test = mxc_asprintf("test -e '%s'", dir);
  cr_expect_neq(mxc_test_sh(test, NULL), 0, "%s outlived serve", dir);
  free(test);
  free(dir);
  serve_cleanup(&s);
}
