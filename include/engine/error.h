/* engine/error.h: error codes. Every fallible function returns 0 or one of these. */
#ifndef ENGINE_ERROR_H
#define ENGINE_ERROR_H

#include <errno.h>

#ifndef ENG_EXTERN
# if defined(ENG_BUILDING) && defined(__GNUC__)
#  define ENG_EXTERN __attribute__((visibility("default")))
# else
#  define ENG_EXTERN
# endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message). Codes that have an errno equal -errno; engine-specific
 * codes live at -4000 and below so they can never collide with an errno. */
#define ENG_ERRNO_MAP(X)                                                              \
  X(EINVAL,     -EINVAL,     "invalid argument")                                      \
  X(ENOMEM,     -ENOMEM,     "out of memory")                                         \
  X(EAGAIN,     -EAGAIN,     "resource temporarily unavailable (queue full)")         \
  X(ETIMEDOUT,  -ETIMEDOUT,  "timed out")                                             \
  X(ECANCELED,  -ECANCELED,  "operation canceled")                                    \
  X(ENOENT,     -ENOENT,     "no such file or directory")                             \
  X(EIO,        -EIO,        "input/output error")                                    \
  X(ERANGE,     -ERANGE,     "value out of range")                                    \
  X(EBUSY,      -EBUSY,      "resource busy")                                         \
  X(ENOSYS,     -ENOSYS,     "not supported on this system")                          \
  X(EPARSE,     -4001,       "parse error")                                           \
  X(ENAN,       -4002,       "input contains NaN or infinity")                        \
  X(ESHUTDOWN,  -4003,       "engine is shutting down")                               \
  X(EMISUSE,    -4004,       "library used incorrectly (wrong thread or state)")      \
  X(EDEADLINE,  -4005,       "task dropped: it would have started after its deadline") \
  X(ECUTOFF,    -4006,       "result exceeds the cutoff")                             \
  X(ESHORT,     -4007,       "series too short for the requested parameters")         \
  X(ECONST,     -4008,       "series is constant")                                    \
  X(EDIM,       -4009,       "mismatched dimensions")                                 \
  X(ETYPE,      -4010,       "value has the wrong type")

typedef enum {
#define ENG_ERR_ENUM_(name, value, msg) ENG_##name = (value),
  ENG_ERRNO_MAP(ENG_ERR_ENUM_)
#undef ENG_ERR_ENUM_
  ENG_OK = 0
} eng_errno;

/* Human-readable message for an error code; never NULL ("unknown error" for
 * unknown codes). Thread: any thread. */
ENG_EXTERN const char *eng_strerror(int code);

/* Symbolic name without the ENG_ prefix ("EAGAIN"), or "UNKNOWN". Thread: any thread. */
ENG_EXTERN const char *eng_err_name(int code);

#ifdef __cplusplus
}
#endif
#endif
