/* See version.h. gh_build_info.h is written by cmake/build_info.cmake at build time. */
#include "util/version.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

#include "gh_build_info.h"
#include "util/metrics.h"

static gh_library libs[GH_LIBRARIES];
static char pq[16];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill(void)
{
    int v = PQlibVersion(); /* 150018: 15.18 (major * 10000 + minor since version 10) */
    snprintf(pq, sizeof pq, "%d.%d", v / 10000, v % 10000);
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
    libs[0] = (gh_library){"sqlite", sqlite3_libversion()};
    libs[1] = (gh_library){"libpq", pq};
    libs[2] = (gh_library){"libmicrohttpd", MHD_get_version()};
    libs[3] = (gh_library){"libsodium", sodium_version_string()};
    libs[4] = (gh_library){"libcurl", curl != NULL ? curl->version : "unknown"};
    libs[5] = (gh_library){"jansson", jansson_version_str()};
}

const char *gh_version(void)
{
    return GH_BUILD_VERSION;
}

const char *gh_commit(void)
{
    return GH_BUILD_COMMIT;
}

const gh_library *gh_libraries(void)
{
    pthread_once(&once, fill);
    return libs;
}

void gh_version_metric(void)
{
    const gh_library *l = gh_libraries();
    gh_metric_set(GH_M_BUILD_INFO, 1,
                  GH_LABELS(gh_version(), gh_commit(), l[0].version, l[1].version, l[2].version,
                            l[3].version, l[4].version, l[5].version));
}
