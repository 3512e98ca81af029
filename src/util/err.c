/* Names and HTTP statuses generated from GH_ERRORS. */
#include "util/err.h"

const char *gh_err_str(gh_err err)
{
    switch (err) {
#define GH_ERR_STR(name, status, text)                                                             \
    case name:                                                                                     \
        return text;
        GH_ERRORS(GH_ERR_STR)
#undef GH_ERR_STR
    }
    return "unknown error";
}

int gh_err_http_status(gh_err err)
{
    switch (err) {
#define GH_ERR_STATUS(name, status, text)                                                          \
    case name:                                                                                     \
        return status;
        GH_ERRORS(GH_ERR_STATUS)
#undef GH_ERR_STATUS
    }
    return 500;
}
