/* Error codes of mxconform: one X-macro table, negative values, libuv codes pass through. */
#ifndef MXC_ERROR_H
#define MXC_ERROR_H

/* Our codes live below libuv's range (UV_E* are > -4100 on Linux). */
#define MXC_ERRNO_MAP(XX)                                                                          \
  XX(NOMEM, "out of memory")                                                                       \
  XX(INVAL, "invalid argument")                                                                    \
  XX(SCENARIO, "invalid scenario file")                                                            \
  XX(IO, "input/output error")                                                                     \
  XX(CURL, "libcurl failure")                                                                      \
  XX(CLIENT, "client failed to run")                                                               \
  XX(LIMIT, "size limit exceeded")                                                                 \
  XX(STATE, "operation not valid in the current state")                                            \
  XX(REPORT, "invalid report file")

typedef enum {
  MXC_OK = 0,
  MXC__ERRNO_BASE = -30000,
#define XX(name, text) MXC_E##name,
  MXC_ERRNO_MAP(XX)
#undef XX
} mxc_errno;

/* A static, human-readable text for any mxconform or libuv error code. Never NULL. */
const char *mxc_strerror(int err);

#endif
