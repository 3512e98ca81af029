/* One error type for the whole program. The X-macro list generates the enum, the names and the
 * HTTP status map; only http/ looks at the status. */
#ifndef GH_UTIL_ERR_H
#define GH_UTIL_ERR_H

#define GH_ERRORS(X)                                                                               \
    X(GH_OK, 200, "ok")                                                                            \
    X(GH_EINVAL, 400, "invalid request")                                                           \
    X(GH_EUNAUTH, 401, "authentication required")                                                  \
    X(GH_EFORBIDDEN, 403, "forbidden")                                                             \
    X(GH_ENOTFOUND, 404, "not found")                                                              \
    X(GH_EMETHOD, 405, "method not allowed")                                                       \
    X(GH_ECONFLICT, 409, "conflict")                                                               \
    X(GH_EGONE, 410, "gone")                                                                       \
    X(GH_EPRECOND, 412, "precondition failed")                                                     \
    X(GH_ETOOLARGE, 413, "payload too large")                                                      \
    X(GH_EMEDIA, 415, "unsupported media type")                                                    \
    X(GH_ERATE, 429, "too many requests")                                                          \
    X(GH_ENOMEM, 500, "out of memory")                                                             \
    X(GH_EINTERNAL, 500, "internal error")                                                         \
    X(GH_EUPSTREAM, 502, "bad gateway")                                                            \
    X(GH_EDB, 503, "database unavailable")

typedef enum {
#define GH_ERR_ENUM(name, status, text) name,
    GH_ERRORS(GH_ERR_ENUM)
#undef GH_ERR_ENUM
} gh_err;

#define GH_MUST_USE __attribute__((warn_unused_result))

/* Short English text for an error; never NULL. */
const char *gh_err_str(gh_err err);
/* The HTTP status an error maps to; for http/ only. */
int gh_err_http_status(gh_err err);

#endif
