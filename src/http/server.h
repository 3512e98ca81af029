/* The HTTP server's public interface: start a server from a gh_server_config, learn its port,
 * hand it a connection accepted elsewhere (fuzzing, tests) and stop it. What the server does with
 * a request (router, handlers, JSON) is internal to http/ (http/internal.h). */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <sys/socket.h>

#include "util/err.h"

struct gh_signin_config;
struct gh_mailer;
struct gh_hooks;
struct gh_sso_env;

/* What a server is started with. gh_server_start copies what it keeps, except db_url, signin
 * and mail, which the caller keeps alive (and the first two unchanged) until gh_server_stop. */
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
    /* the Argon2id workers of the server's hash pool (auth/hashpool.h), 0: one per online core;
     * and how many hash jobs may wait, 0: GH_HASH_QUEUE (limits.h) */
    int hash_workers, hash_queue;
    /* the per-address sign-in throttle (auth/throttle.h): failed sign-in steps per address per
     * minute, 0: GH_SIGNIN_RATE_PER_MINUTE, else 1 to GH_THROTTLE_MAX_RATE (anything else fails
     * the start); and the addresses it remembers, 0: GH_SIGNIN_THROTTLE_ADDRESSES */
    int signin_rate_per_minute, throttle_addresses;
    /* the outbox's sender every request's gh_ctx gets (mail/mail.h; NULL: none); the caller
     * frees it after gh_server_stop */
    struct gh_mailer *mail;
    /* single sign-on's environment (core/sso.h: outbound policy, providers' keys; NULL: no SSO
     * sign-in, the /sso/ pages say so); the caller frees it after gh_server_stop */
    struct gh_sso_env *sso;
    /* the webhook sender every request's gh_ctx gets (hooks/hooks.h; NULL: deliveries wait);
     * the caller frees it after gh_server_stop */
    struct gh_hooks *hooks;
    /* forward-auth (http/forward.h): the protected applications (--protect), and the parent
     * domain the session cookie is scoped to so that their hosts receive it (--cookie-domain);
     * NULL: none. A bad value fails the start. */
    const char *protect, *cookie_domain;
} gh_server_config;

typedef struct gh_server gh_server;

/* Starts the server, with its own hash pool and sign-in throttle; every thread opens its own
 * connection to db_url. The caller stops it with gh_server_stop(). GH_EINVAL for a bad listen
 * address, deadline or sign-in rate, or when it cannot listen; GH_ENOMEM, GH_EINTERNAL; nothing is
 * left running on failure. */
gh_err gh_server_start(const gh_server_config *cfg, gh_server **out) GH_MUST_USE;
int gh_server_port(const gh_server *s);
/* Serves a connection accepted elsewhere as if it came in on s's listening socket: fd (a
 * connected stream socket, e.g. one end of a socketpair) and the address of the client it stands
 * for (peer, len: what client addresses, trusted proxies and per-address limits see). s owns fd
 * from the call on and closes it, also on failure (GH_EINTERNAL). For the fuzz harness and
 * tests: a whole request through the real server, no port. Thread-safe. */
gh_err gh_server_add_connection(gh_server *s, int fd, const struct sockaddr *peer,
                                socklen_t len) GH_MUST_USE;
/* Makes c the sign-in settings of the requests that start from now on (a reload of the
 * configuration: password minimum, lock-out, session lifetimes); requests under way keep the
 * settings they started with. The caller keeps c alive and unchanged until gh_server_stop.
 * Thread-safe (an atomic swap). */
void gh_server_set_signin(gh_server *s, const struct gh_signin_config *c);
/* Stops accepting, lets in-flight requests finish (up to GH_SHUTDOWN_GRACE_S), stops the daemon,
 * then its hash pool and throttle, and frees it all. NULL: nothing. */
void gh_server_stop(gh_server *s);

#endif
