/* mxc_strerror: texts of the error table in mxc_error.h. */
#include "common/mxc_error.h"

#include <uv.h>

const char *mxc_strerror(int err) {
  switch (err) {
  case MXC_OK: return "success";
#define XX(name, text)                                                                             \
  case MXC_E##name: return text;
    MXC_ERRNO_MAP(XX)
#undef XX
  default: break;
  }
  if (err < 0 && err > MXC__ERRNO_BASE)
    return uv_strerror(err);
  return "unknown error";
}
