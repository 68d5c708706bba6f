/* `mxconform serve`: the mock alone, with its control API. */
#ifndef MXC_SERVE_H
#define MXC_SERVE_H

/* argv[1] is "serve". Returns the exit status. */
int mxc_serve_main(int argc, char **argv);

#endif
