/* One Gatehouse server for a whole fuzzing run (http_fuzz, cookie_fuzz), and exchanges with it
 * over a socketpair handed to libmicrohttpd with MHD_add_connection (SECURITY.md I7).
 *
 * The server runs as `gatehouse serve` would: a temporary SQLite database (in /dev/shm when it
 * exists, so that synchronous=FULL costs no disk flush), migrated at start, a first administrator
 * and an API token made by the same core functions as `gatehouse admin create` and `gatehouse
 * token create`, the sign-in throttle and the Argon2id pool started, a signed-in session of
 * that administrator, a few rows made through the API for the seeds to use (tenants 1-3, a role,
 * a group, user "ann"), and a user signed in at its first step (change_password). 127.0.0.1, the
 * address the harness connects from, is a trusted proxy, so that X-Forwarded-For is parsed. The
 * temporary folder is removed at exit (after a crash, by the next run). With GH_FUZZ_VERBOSE set
 * in the environment, each exchange prints one line (time, sizes, statuses). Not thread-safe:
 * libFuzzer runs one input at a time. Any failure of the harness itself aborts with a message. */
#ifndef GH_FUZZ_HARNESS_H
#define GH_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* In inputs, these markers stand for the administrator's bearer token and session cookie value,
 * and for the session of a user at its first sign-in (stage change_password), so that seeds can
 * reach the authenticated routes and the sign-in steps. */
#define GH_FUZZ_TOKEN_MARK    "@TOKEN@"
#define GH_FUZZ_SESSION_MARK  "@SESSION@"
#define GH_FUZZ_SESSION2_MARK "@SESSION2@"

typedef struct gh_fuzz_reply {
    int status;       /* of the first response; 0 when none came */
    int responses;    /* status lines seen */
    bool closed;      /* the server closed the connection */
    bool timed_out;   /* nothing more came within the time allowed */
    size_t len;       /* bytes received (the first sizeof text - 1 are kept) */
    char text[65536]; /* the first bytes received, NUL-terminated */
} gh_fuzz_reply;

/* Starts the server on the first call; later calls do nothing. */
void gh_fuzz_server_init(void);
const char *gh_fuzz_token(void);
const char *gh_fuzz_session(void);
const char *gh_fuzz_session2(void);

/* Copies in[0..n) into a new buffer with the markers replaced; the caller frees *out. */
size_t gh_fuzz_expand(const uint8_t *in, size_t n, char **out);

/* Sends req[0..n) on a new connection, then reads until the server closes it or falls silent.
 * The connection is closed on return. */
void gh_fuzz_exchange(const char *req, size_t n, gh_fuzz_reply *out);

/* Checks that the administrator's token and session and the second session still work (an
 * input may have disabled, deleted or signed out their users: the token reaches every route)
 * and makes new ones when not. False when that failed. */
bool gh_fuzz_refresh(void);

/* Where the harness and the targets write why they abort: stderr as it was at start. */
FILE *gh_fuzz_report(void);

/* Aborts unless GET /healthz answers 200 (the server threads are neither dead nor stuck). */
void gh_fuzz_check_alive(void);

/* Aborts when a reply shows what the server must never produce, whatever the input: a 500
 * (malformed input is a 4xx, SECURITY.md I2), one of our answers without the security headers
 * (S8), or a problem+json body that does not parse or lacks its status, detail or errors. */
void gh_fuzz_check_reply(const char *req, size_t n, const gh_fuzz_reply *rep);

#endif
