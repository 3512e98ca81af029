/* Forward-auth: the applications a reverse proxy protects with Gatehouse (--protect). Parsed once
 * at start; then read-only. Pure functions, thread-safe. */
#ifndef GH_HTTP_FORWARD_H
#define GH_HTTP_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_FORWARD_APPS_MAX 64
#define GH_FORWARD_HOST_MAX 253

/* One protected application: its host (lower case, with a port when it has one) and what a user
 * needs to reach it besides signing in: every bit of perm (0: nothing), and membership of the
 * group named group ("": none). */
typedef struct gh_forward_app {
    char host[GH_FORWARD_HOST_MAX + 1];
    uint64_t perm;
    char group[101];
} gh_forward_app;

/* Parses --protect: entries separated by commas, each HOST, HOST=PERMISSION (a catalogue name,
 * e.g. users.read) or HOST=group:NAME. At most GH_FORWARD_APPS_MAX. False with *error (static
 * text naming the entry's fault) on a bad entry, an unknown permission or a host twice. spec NULL
 * or empty: no application (*n 0). */
bool gh_forward_parse(const char *spec, gh_forward_app *apps, size_t *n, const char **error);

/* The application of host (compared without case; "" or NULL: none). */
const gh_forward_app *gh_forward_find(const gh_forward_app *apps, size_t n, const char *host);

/* The host of an absolute http(s) URL into out (lower case): false for anything else, a URL with
 * user information (@), a backslash, a control character or space, or over 2,000 characters. */
bool gh_forward_url_host(const char *url, char *out, size_t cap);

/* A domain name for the session cookie's Domain (--cookie-domain): a host without a port, with a
 * dot in it (a parent domain such as example.com). */
bool gh_forward_domain_ok(const char *d);

#endif
