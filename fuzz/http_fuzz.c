/* libFuzzer target: the whole HTTP stack. Each input is raw bytes from a client (request lines,
 * headers, bodies, several pipelined requests, smuggling attempts...) written to a new
 * connection of one Gatehouse server started for the run (harness.h: libmicrohttpd, router,
 * authentication, handlers, core, store and SQLite) (SECURITY.md I2, I6, I7).
 *
 * "@TOKEN@" and "@SESSION@" in an input become the administrator's bearer token and session
 * cookie value, "@SESSION2@" the cookie of a session at its change_password step, so that seeds
 * reach the authenticated routes and their handlers.
 *
 * Checks besides crashes, leaks and sanitizer reports in any server thread: no response is a
 * 500 or a problem+json without a detail, and the server keeps answering GET /healthz (checked
 * after every input that timed out and every 64 inputs). Every 64 inputs the credentials are
 * checked and made again if an input disabled, deleted or signed out their users (harness.h). */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (256 * 1024) /* past the body and drain limits, which the server refuses */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    gh_fuzz_server_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned count;
    static gh_fuzz_reply rep;
    if (size > MAX_INPUT)
        return 0;
    char *req = NULL;
    size_t n = gh_fuzz_expand(data, size, &req);
    gh_fuzz_exchange(req, n, &rep);
    gh_fuzz_check_reply(req, n, &rep);
    free(req);
    if (rep.timed_out || ++count % 64 == 0) {
        gh_fuzz_check_alive();
        (void)gh_fuzz_refresh();
    }
    return 0;
}
