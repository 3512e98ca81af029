/* libFuzzer target: the Cookie and Authorization headers of a request, through the server.
 *
 * Cookies are split into names and values by libmicrohttpd (MHD_COOKIE_KIND); our code then
 * takes the session cookie and the bearer token (server.c, authenticate()), bounds them, hashes
 * them and looks the hash up. This target fuzzes that chain as it runs in production: each input
 * is "<Cookie value>[\n<Authorization value>]", sent as GET /api/v1/session to the server of
 * harness.h, where "@SESSION@" and "@TOKEN@" stand for the administrator's valid session cookie
 * value and bearer token, "@SESSION2@" for a valid session at its change_password step
 * (SECURITY.md S1, I7).
 *
 * Checks besides crashes, leaks and sanitizer reports: never a 500; a 200 (a session) only when
 * a valid session value is in the Cookie header; a 403 (a valid bearer token, which
 * this session-only route refuses) only when the valid token is in the Authorization header.
 * Anything else that looks like a credential is a 401, whatever its bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 8192

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    gh_fuzz_server_init();
    return 0;
}

static void fail(const char *why, const char *req, const gh_fuzz_reply *rep)
{
    fprintf(gh_fuzz_report(), "cookie_fuzz: %s\n--- request:\n%s\n--- reply:\n%s\n", why, req,
            rep->text);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned count;
    static gh_fuzz_reply rep;
    if (size > MAX_INPUT)
        return 0;
    char *in = NULL;
    size_t n = gh_fuzz_expand(data, size, &in);
    char *nl = memchr(in, '\n', n), *auth = NULL;
    size_t cookie_len = n;
    if (nl != NULL) {
        cookie_len = (size_t)(nl - in);
        auth = nl + 1;
    }
    size_t cap = n + 200;
    char *req = malloc(cap);
    size_t len = (size_t)snprintf(req, cap, "GET /api/v1/session HTTP/1.1\r\nHost: localhost\r\n");
    len += (size_t)snprintf(req + len, cap - len, "Cookie: %.*s\r\n", (int)cookie_len, in);
    if (auth != NULL)
        len += (size_t)snprintf(req + len, cap - len, "Authorization: %.*s\r\n",
                                (int)(n - cookie_len - 1), auth);
    len += (size_t)snprintf(req + len, cap - len, "\r\n");

    gh_fuzz_exchange(req, len, &rep);
    gh_fuzz_check_reply(req, len, &rep);
    bool has_session = memmem(in, cookie_len, gh_fuzz_session(), strlen(gh_fuzz_session())) ||
                       memmem(in, cookie_len, gh_fuzz_session2(), strlen(gh_fuzz_session2()));
    bool has_token =
        auth != NULL && memmem(auth, n - cookie_len - 1, gh_fuzz_token(), strlen(gh_fuzz_token()));
    if (rep.status == 200 && !has_session)
        fail("signed in without the session cookie", req, &rep);
    if (rep.status == 403 && !has_token && !has_session)
        fail("authenticated without a credential", req, &rep);
    free(req);
    free(in);
    if (rep.timed_out || ++count % 64 == 0)
        gh_fuzz_check_alive();
    return 0;
}
