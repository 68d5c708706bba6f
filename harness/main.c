/* mxconform: entry point. */
#include "harness/cli.h"

int main(int argc, char **argv) { return mxc_cli_main(argc, argv); }
