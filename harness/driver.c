/* Running a client: the built-in library, or /bin/sh -c CMD in its own process group. */
#include "harness/driver.h"

#include "clients/client.h"
#include "common/mxc_error.h"
#include "common/mxc_util.h"
#include "harness/verdict.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

#define PIPE_LINGER_MS 500u

struct mxc_driver {
  uv_loop_t *loop;
  mxc_driver_spec spec;
  mxc_driver_done_cb done;
  void *done_arg;
  mxc_client_outcome outcome;
  uint64_t started_us;
  int handles_open;
  bool finished;
  bool closing;
  /* deadline, and the short timer that defers finishing to a clean point of the loop */
  uv_timer_t deadline;
  uv_timer_t settle;
  /* built-in */
  mxc_client *client;
  bool client_done;
  /* external */
  uv_process_t proc;
  uv_pipe_t out_pipe, err_pipe;
  bool proc_running, out_open, err_open;
  bool flooded;
  char token[20]; /* MXC_RUN_TOKEN: marks every process the client starts */
  mxc_buf out, err;
};

void mxc_client_outcome_cleanup(mxc_client_outcome *o) {
  if (!o)
    return;
  cJSON_Delete(o->report);
  free(o->error);
  free(o->stderr_tail);
  memset(o, 0, sizeof *o);
}

cJSON *mxc_driver_parse_result(const char *out, size_t len, const char **why) {
  while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' ' ||
                     out[len - 1] == '\t'))
    len--;
  if (len == 0) {
    *why = "no output on stdout (the last line must be the result JSON)";
    return NULL;
  }
  size_t start = len;
  while (start > 0 && out[start - 1] != '\n')
    start--;
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(out + start, len - start, &end, 0);
  if (doc && end) {
    while (end < out + len && (*end == ' ' || *end == '\t' || *end == '\r'))
      end++;
    if (end < out + len) { /* something after the object on the same line */
      cJSON_Delete(doc);
      doc = NULL;
    }
  }
  if (!doc) {
    *why = "the last line of stdout is not valid JSON";
    return NULL;
  }
  const char *shape = mxc_report_shape_error(doc);
  if (shape) {
    cJSON_Delete(doc);
    *why = shape;
    return NULL;
  }
  return doc;
}

static void set_error(mxc_driver *d, char *msg) {
  if (d->outcome.error)
    free(msg);
  else
    d->outcome.error = msg;
}

/* Kills every process that carries this run's token in its environment: what the client
 * left behind outside its process group (a daemon that called setsid, say). */
static void kill_marked(const char *token) {
  char want[64];
  int wlen = snprintf(want, sizeof want, "MXC_RUN_TOKEN=%s", token);
  DIR *proc = opendir("/proc");
  if (!proc)
    return;
  struct dirent *de;
  while ((de = readdir(proc))) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9')
      continue;
    char path[300], *env = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/%s/environ", de->d_name);
    if (mxc_file_read(path, 1u << 20, &env, &len) != 0)
      continue;
    for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
      if (strncmp(env + off, want, (size_t)wlen) == 0 && env[off + (size_t)wlen] == '\0') {
        kill((pid_t)atol(de->d_name), SIGKILL);
        break;
      }
    }
    free(env);
  }
  closedir(proc);
}

static void kill_group(mxc_driver *d) {
  if (d->proc.pid > 0)
    kill(-d->proc.pid, SIGKILL);
}

/* ---- finishing ---- */

static void finish(mxc_driver *d) {
  if (d->finished)
    return;
  d->finished = true;
  if (d->spec.client_cmd)
    kill_marked(d->token);
  uv_timer_stop(&d->deadline);
  uv_timer_stop(&d->settle);
  d->outcome.duration_ms = (double)(mxc_now_us() - d->started_us) / 1000.0;
  if (d->spec.client_cmd) {
    if (!d->outcome.error && !d->outcome.timed_out) {
      const char *why = NULL;
      d->outcome.report = mxc_driver_parse_result(d->out.data ? d->out.data : "", d->out.len, &why);
      if (d->outcome.term_signal)
        set_error(d, mxc_asprintf("killed by signal %d (%s)%s", d->outcome.term_signal,
                                  strsignal(d->outcome.term_signal),
                                  d->outcome.report ? "" : ", no result"));
      else if (d->outcome.exit_status > 128 && d->outcome.exit_status < 128 + 32)
        /* /bin/sh reports a command that died of signal N as exit status 128+N */
        set_error(d, mxc_asprintf("died of signal %d (%s): /bin/sh exit status %d%s",
                                  d->outcome.exit_status - 128,
                                  strsignal(d->outcome.exit_status - 128), d->outcome.exit_status,
                                  d->outcome.report ? "" : ", no result"));
      else if (!d->outcome.report && d->outcome.exit_status == 127)
        set_error(d, mxc_strdup("exit status 127, command not found: the command runs in a fresh "
                                "temporary directory, so give programs as absolute paths"));
      else if (!d->outcome.report)
        set_error(d, mxc_asprintf("no valid result: %s", why));
      else if (d->outcome.exit_status != 0)
        set_error(d, mxc_asprintf("exit status %d (0 is required)", d->outcome.exit_status));
    }
    if (d->outcome.error && d->outcome.report) {
      cJSON_Delete(d->outcome.report);
      d->outcome.report = NULL;
    }
    d->outcome.stderr_tail = d->err.len ? mxc_strdup(d->err.data) : NULL;
  }
  d->done(d, d->done_arg);
}

static void maybe_finish_external(mxc_driver *d) {
  if (!d->proc_running && !d->out_open && !d->err_open)
    finish(d);
}

static void on_settle(uv_timer_t *t) {
  mxc_driver *d = t->data;
  if (!d->spec.client_cmd) {
    finish(d);
    return;
  }
  /* the client exited but something it started still holds its pipes: stop waiting */
  if (d->out_open) {
    d->out_open = false;
    uv_read_stop((uv_stream_t *)&d->out_pipe);
  }
  if (d->err_open) {
    d->err_open = false;
    uv_read_stop((uv_stream_t *)&d->err_pipe);
  }
  maybe_finish_external(d);
}

static void on_deadline(uv_timer_t *t) {
  mxc_driver *d = t->data;
  d->outcome.timed_out = true;
  set_error(d, mxc_asprintf("did not finish within the deadline of %llu ms; killed",
                            (unsigned long long)d->spec.deadline_ms));
  if (d->spec.client_cmd) {
    kill_group(d);
    uv_timer_start(&d->settle, on_settle, PIPE_LINGER_MS, 0);
  } else {
    finish(d);
  }
}

/* ---- built-in ---- */

static void on_client_done(mxc_client *c, void *arg) {
  mxc_driver *d = arg;
  d->client_done = true;
  d->outcome.report = mxc_client_report(c);
  d->outcome.exit_status = 0;
  if (!d->outcome.report)
    set_error(d, mxc_strdup("out of memory building the report"));
  /* we are inside libcurl's completion handling: finish from a clean loop turn */
  uv_timer_start(&d->settle, on_settle, 0, 0);
}

/* ---- external ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  mxc_driver *d = s->data;
  if (n > 0 && !d->flooded && mxc_buf_append(&d->out, buf->base, (size_t)n) != 0) {
    d->flooded = true;
    set_error(d, mxc_asprintf("flooded stdout past %u bytes; killed", MXC_DRIVER_MAX_STDOUT));
    kill_group(d);
  }
  free(buf->base);
  if (n < 0) {
    uv_read_stop(s);
    d->out_open = false;
    maybe_finish_external(d);
  }
}

static void on_err(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  mxc_driver *d = s->data;
  if (n > 0) {
    if (d->err.len + (size_t)n > d->err.cap) {
      /* keep only the tail */
      size_t keep = MXC_DRIVER_STDERR_TAIL;
      if ((size_t)n >= keep) {
        mxc_buf_reset(&d->err);
        mxc_buf_append(&d->err, buf->base + (size_t)n - keep, keep);
      } else {
        size_t from = d->err.len > keep - (size_t)n ? d->err.len - (keep - (size_t)n) : 0;
        memmove(d->err.data, d->err.data + from, d->err.len - from);
        d->err.len -= from;
        mxc_buf_append(&d->err, buf->base, (size_t)n);
      }
    } else {
      mxc_buf_append(&d->err, buf->base, (size_t)n);
    }
  }
  free(buf->base);
  if (n < 0) {
    uv_read_stop(s);
    d->err_open = false;
    maybe_finish_external(d);
  }
}

static void on_child_exit(uv_process_t *p, int64_t status, int term_signal) {
  mxc_driver *d = p->data;
  d->proc_running = false;
  d->outcome.exit_status = term_signal ? -1 : (int)status;
  d->outcome.term_signal = term_signal;
  kill_group(d); /* whatever it left behind in its group goes too */
  if (d->out_open || d->err_open)
    uv_timer_start(&d->settle, on_settle, PIPE_LINGER_MS, 0);
  maybe_finish_external(d);
}

static char **child_env(const mxc_driver_spec *spec, const char *token) {
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + 9, sizeof *env);
  if (!env)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "MXC_", 4) != 0)
      env[k++] = mxc_strdup(environ[i]);
  const mxc_case *cs = spec->cs;
  env[k++] = mxc_asprintf("MXC_RUN_TOKEN=%s", token);
  env[k++] = mxc_asprintf("MXC_CASE=%s", spec->case_path);
  env[k++] = mxc_asprintf("MXC_BASE_URL=%s", cs->base_url);
  env[k++] = mxc_asprintf("MXC_TIMEOUT_MS=%d", cs->timeout_ms);
  env[k++] = mxc_asprintf("MXC_USERNAME=%s", cs->nattempts ? cs->attempts[0].username : "");
  env[k++] = mxc_asprintf("MXC_PASSWORD=%s", cs->nattempts ? cs->attempts[0].password : "");
  if (cs->state_dir)
    env[k++] = mxc_asprintf("MXC_STATE_DIR=%s", cs->state_dir);
  if (cs->ca_file)
    env[k++] = mxc_asprintf("MXC_CA_FILE=%s", cs->ca_file);
  for (size_t i = 0; i < k; i++) {
    if (!env[i]) {
      for (size_t j = 0; j < k; j++)
        free(env[j]);
      free(env);
      return NULL;
    }
  }
  return env;
}

static int start_external(mxc_driver *d) {
  uint64_t r = 0;
  if (uv_random(NULL, NULL, &r, sizeof r, 0, NULL) != 0)
    r = mxc_now_us() ^ (uint64_t)getpid();
  snprintf(d->token, sizeof d->token, "%016llx", (unsigned long long)r);
  char **env = child_env(&d->spec, d->token);
  if (!env)
    return MXC_ENOMEM;
  uv_pipe_init(d->loop, &d->out_pipe, 0);
  uv_pipe_init(d->loop, &d->err_pipe, 0);
  d->out_pipe.data = d->err_pipe.data = d;
  d->handles_open += 2;
  char *args[] = {"/bin/sh", "-c", (char *)d->spec.client_cmd, NULL};
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE; /* /dev/null */
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&d->out_pipe;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&d->err_pipe;
  uv_process_options_t opt = {
      .exit_cb = on_child_exit,
      .file = "/bin/sh",
      .args = args,
      .env = env,
      .cwd = d->spec.workdir,
      .flags = UV_PROCESS_DETACHED, /* setsid: its own process group, killed as one */
      .stdio_count = 3,
      .stdio = stdio,
  };
  d->proc.data = d;
  int rc = uv_spawn(d->loop, &d->proc, &opt);
  for (size_t i = 0; env[i]; i++)
    free(env[i]);
  free(env);
  if (d->proc.type == UV_PROCESS)
    d->handles_open++; /* the process handle needs closing even when spawning failed */
  if (rc)
    return rc;
  d->proc_running = true;
  d->out_open = d->err_open = true;
  uv_read_start((uv_stream_t *)&d->out_pipe, on_alloc, on_out);
  uv_read_start((uv_stream_t *)&d->err_pipe, on_alloc, on_err);
  return 0;
}

/* ---- lifetime ---- */

static void handle_closed(uv_handle_t *h) {
  mxc_driver *d = h->data;
  if (--d->handles_open == 0) {
    mxc_client_outcome_cleanup(&d->outcome);
    mxc_buf_cleanup(&d->out);
    mxc_buf_cleanup(&d->err);
    free(d);
  }
}

int mxc_driver_start(uv_loop_t *loop, const mxc_driver_spec *spec, mxc_driver_done_cb done,
                     void *arg, mxc_driver **out) {
  *out = NULL;
  mxc_driver *d = calloc(1, sizeof *d);
  if (!d)
    return MXC_ENOMEM;
  d->loop = loop;
  d->spec = *spec;
  d->done = done;
  d->done_arg = arg;
  d->outcome.exit_status = -1;
  d->started_us = mxc_now_us();
  mxc_buf_init(&d->out, MXC_DRIVER_MAX_STDOUT);
  mxc_buf_init(&d->err, 4 * MXC_DRIVER_STDERR_TAIL);
  uv_timer_init(loop, &d->deadline);
  uv_timer_init(loop, &d->settle);
  d->deadline.data = d->settle.data = d;
  d->handles_open = 2;
  int rc = spec->client_cmd
               ? start_external(d)
               : mxc_client_start(loop, spec->cs, MXC_DEFECT_NONE, on_client_done, d, &d->client);
  if (rc) {
    mxc_driver_close(d);
    return rc;
  }
  uv_timer_start(&d->deadline, on_deadline, spec->deadline_ms, 0);
  *out = d;
  return 0;
}

void mxc_driver_take_outcome(mxc_driver *d, mxc_client_outcome *out) {
  *out = d->outcome;
  memset(&d->outcome, 0, sizeof d->outcome);
}

void mxc_driver_close(mxc_driver *d) {
  if (!d || d->closing)
    return;
  d->closing = true;
  d->finished = true;
  if (d->client) {
    mxc_client_close(d->client);
    d->client = NULL;
  }
  if (d->spec.client_cmd) {
    kill_group(d);
    if (d->proc.type == UV_PROCESS)
      uv_close((uv_handle_t *)&d->proc, handle_closed);
    if (d->out_pipe.type == UV_NAMED_PIPE)
      uv_close((uv_handle_t *)&d->out_pipe, handle_closed);
    if (d->err_pipe.type == UV_NAMED_PIPE)
      uv_close((uv_handle_t *)&d->err_pipe, handle_closed);
  }
  uv_close((uv_handle_t *)&d->deadline, handle_closed);
  uv_close((uv_handle_t *)&d->settle, handle_closed);
}
