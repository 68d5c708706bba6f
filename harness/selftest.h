/* `mxconform selftest`: the catalog against the reference client and each of its defects. */
#ifndef MXC_SELFTEST_H
#define MXC_SELFTEST_H

/* argv[1] is "selftest". Returns the exit status: 0 when the reference client passes every
 * scenario and every defect is caught at its level. */
int mxc_selftest_main(int argc, char **argv);

#endif
