/* Every report a command asked for, each written whole or not at all. */
#include "reports/report.h"

#include "common/mxc_error.h"

int mxc_reports_write(const mxc_report_paths *p, const mxc_run_result *const *runs, size_t nruns,
                      FILE *out) {
  const struct {
    const char *what, *path;
    int (*write)(const char *path, const mxc_run_result *const *runs, size_t nruns);
  } kinds[] = {{"JUnit", p->junit, mxc_junit_write},
               {"TAP", p->tap, NULL},
               {"JSON", p->json, mxc_json_write},
               {"HTML", p->html, mxc_html_write}};
  int first = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (!kinds[i].path)
      continue;
    int rc;
    if (kinds[i].write)
      rc = kinds[i].write(kinds[i].path, runs, nruns);
    else if (nruns == 1) /* TAP is one stream of test points: one run */
      rc = mxc_tap_write(kinds[i].path, runs[0]);
    else
      rc = MXC_EINVAL;
    if (rc) {
      fprintf(stderr, "mxconform: cannot write %s: %s\n", kinds[i].path,
              rc == MXC_EINVAL ? "a TAP report holds one run, and there are several"
                               : mxc_strerror(rc));
      first = first ? first : rc;
    } else {
      fprintf(out, "%s report: %s\n", kinds[i].what, kinds[i].path);
    }
  }
  return first;
}
