/* What this build is: the version (the project's, CMakeLists.txt), the commit it was built from
 * ("unknown" outside a git checkout) and the versions of the libraries it runs with, as they
 * answer at run time (a library upgraded under the binary shows its new version). Shown by
 * `gatehouse version`, /healthz and the gatehouse_build_info metric. Thread-safe. */
#ifndef GH_UTIL_VERSION_H
#define GH_UTIL_VERSION_H

#include <stddef.h>

typedef struct gh_library {
    const char *name;    /* sqlite, libpq, libmicrohttpd, libsodium, libcurl, jansson */
    const char *version; /* e.g. "3.40.1" */
} gh_library;

#define GH_LIBRARIES 6

const char *gh_version(void);
const char *gh_commit(void);
/* The libraries in a fixed order, the same at every call (static strings). */
const gh_library *gh_libraries(void);

/* Sets the gatehouse_build_info gauge (util/metrics.h) to 1 with these as labels. */
void gh_version_metric(void);

#endif
