/* error.c: error code names and messages, generated from ENG_ERRNO_MAP. */
#include "engine.h"

const char *eng_strerror(int code) {
  switch (code) {
#define X(name, value, msg) case ENG_##name: return msg;
    ENG_ERRNO_MAP(X)
#undef X
    case 0: return "success";
    default: return "unknown error";
  }
}

const char *eng_err_name(int code) {
  switch (code) {
#define X(name, value, msg) case ENG_##name: return #name;
    ENG_ERRNO_MAP(X)
#undef X
    case 0: return "OK";
    default: return "UNKNOWN";
  }
}
