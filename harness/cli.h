/* The mxconform command line. */
#ifndef MXC_CLI_H
#define MXC_CLI_H

/* Exit statuses CI can trust. */
enum {
  MXC_EXIT_PASS = 0,     /* every selected scenario passed */
  MXC_EXIT_FAIL = 1,     /* a conformance failure (or a client error) */
  MXC_EXIT_USAGE = 2,    /* bad usage or a bad scenario file */
  MXC_EXIT_INTERNAL = 3, /* the harness itself failed */
};

int mxc_cli_main(int argc, char **argv);

#endif
