/* The HTTP server's public interface: start a server from a gh_server_config, learn its port,
 * hand it a connection accepted elsewhere (fuzzing, tests) and stop it. What the server does with
 * a request (router, handlers, JSON) is internal to http/ (http/internal.h). */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <sys/socket.h>

#include "util/err.h"

struct gh_signin_config;

/* What a server is started with. gh_server_start copies what it keeps, except db_url and signin,
 * which the caller keeps alive and unchanged until gh_server_stop. */
typedef struct gh_server_config {
    const char *listen_host; /* e.g. "127.0.0.1" */
    int port;                /* 0: any free port */
    const char *db_url;
    int threads;
    int per_ip_limit;
    const char *trusted_proxies; /* comma-separated addresses whose X-Forwarded-For is believed */
    const char *external_url;    /* https://... turns on Secure, __Host- cookies and HSTS */
    const char *web_dir;         /* serve the console from this folder, not the embedded files */
    /* whole-request deadlines in seconds (I10, limits.h); 0: GH_HEADER_DEADLINE_S and
     * GH_BODY_DEADLINE_S; 1 to GH_DEADLINE_MAX_S, anything else fails the start */
    int header_deadline_s, body_deadline_s;
    /* the sign-in settings of every request (core/signin.h), NULL: gh_signin_defaults; the
     * caller keeps them alive and unchanged until gh_server_stop */
    const struct gh_signin_config *signin;
} gh_server_config;

typedef struct gh_server gh_server;

/* Starts the server; every thread opens its own connection to db_url. The caller stops it with
 * gh_server_stop(). */
gh_err gh_server_start(const gh_server_config *cfg, gh_server **out) GH_MUST_USE;
int gh_server_port(const gh_server *s);
/* Serves a connection accepted elsewhere as if it came in on s's listening socket: fd (a
 * connected stream socket, e.g. one end of a socketpair) and the address of the client it stands
 * for (peer, len: what client addresses, trusted proxies and per-address limits see). s owns fd
 * from the call on and closes it, also on failure (GH_EINTERNAL). For the fuzz harness and
 * tests: a whole request through the real server, no port. Thread-safe. */
gh_err gh_server_add_connection(gh_server *s, int fd, const struct sockaddr *peer,
                                socklen_t len) GH_MUST_USE;
/* Stops accepting, lets in-flight requests finish (up to GH_SHUTDOWN_GRACE_S) and frees it. */
void gh_server_stop(gh_server *s);

#endif
