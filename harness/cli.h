/* The mxconform command line. */
#ifndef MXC_CLI_H
#define MXC_CLI_H

#include "mocks/faults.h"

#include <stddef.h>
#include <stdint.h>

/* Exit statuses CI can trust. */
enum {
  MXC_EXIT_PASS = 0,     /* every selected scenario passed */
  MXC_EXIT_FAIL = 1,     /* a conformance failure (or a client error) */
  MXC_EXIT_USAGE = 2,    /* bad usage or a bad scenario file */
  MXC_EXIT_INTERNAL = 3, /* the harness itself failed */
};

int mxc_cli_main(int argc, char **argv);

/* Shared by run and serve: parses a --fault SPEC into faults[*n] (returns -1 when fine, else
 * the exit status after printing why), a --seed value (0 or MXC_EINVAL), and a seed from the
 * clock when none is given. */
int mxc_cli_fault(const char *spec, mxc_fault *faults, size_t *n, size_t max);
int mxc_cli_seed(const char *text, uint64_t *seed);
uint64_t mxc_cli_clock_seed(void);
/* --jobs when not given: the CPUs this process may use, at most 8. */
size_t mxc_cli_default_jobs(void);

#endif
