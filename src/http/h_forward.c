/* Forward-auth for reverse proxies: the proxy asks Gatehouse about each request to a protected
 * application (--protect) and passes the user's identity on to it.
 *   GET /auth/verify   nginx auth_request: 200 with the identity headers, 401 when not signed in,
 *                      403 when the user may not use the application (nginx turns any other
 *                      status into 500);
 *   GET /auth/forward  Traefik ForwardAuth, Caddy forward_auth: the same, but a request that is
 *                      not signed in gets 302 to the console's sign-in, with the original URL
 *                      (X-Forwarded-Proto, -Host, -Uri) to come back to;
 *   GET /auth/return   where the sign-in page sends the browser once signed in: 302 to that URL
 *                      when its host is a protected application, else to the console.
 * The application is the original request's host (X-Original-URL from nginx, or
 * X-Forwarded-Host), looked up in --protect's allow-list; a host not in it is refused. The
 * identity goes in Remote-User, Remote-Email, Remote-Name, Remote-Groups and
 * Remote-Permissions (comma-separated), the names Authelia uses; the proxy must set them on the
 * upstream request from these answers, so that a client's own Remote-User never passes. */
#include <ctype.h>
#include <string.h>

#include <jansson.h>

#include "http/forward.h"
#include "http/internal.h"
#include "core/core.h"
#include "util/utf8.h"

/* s percent-encoded for a query value (RFC 3986: all but the unreserved characters). */
static const char *url_encode(gh_arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = gh_arena_alloc(a, 3 * strlen(s) + 1), *p = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("-._~", *c) != NULL) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

/* The original request's URL as the proxy tells it, or NULL. */
static const char *original_url(gh_req *r)
{
    const char *url = gh_http_header(r, "X-Original-URL");
    if (url != NULL)
        return url;
    const char *proto = gh_http_header(r, "X-Forwarded-Proto");
    const char *host = gh_http_header(r, "X-Forwarded-Host");
    const char *uri = gh_http_header(r, "X-Forwarded-Uri");
    if (host == NULL)
        return NULL;
    return gh_arena_printf(r->a, "%s://%s%s", proto != NULL ? proto : "https", host,
                           uri != NULL ? uri : "/");
}

/* The protected application of the original request; GH_EFORBIDDEN when there is none. */
static gh_err find_app(gh_req *r, const char **url, const gh_forward_app **app)
{
    char host[GH_FORWARD_HOST_MAX + 1];
    *url = original_url(r);
    *app = *url != NULL && gh_forward_url_host(*url, host, sizeof host)
               ? gh_http_forward_app(r, host)
               : NULL;
    return *app != NULL ? GH_OK
                        : gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL,
                                  "the original request's host is not an application that "
                                  "Gatehouse protects (--protect)");
}

/* A comma-separated list of names in the arena. */
static const char *joined(gh_arena *a, const char *const *names, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *out = gh_arena_alloc(a, len), *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t m = strlen(names[i]);
        if (i > 0)
            *p++ = ',';
        memcpy(p, names[i], m);
        p += m;
    }
    *p = '\0';
    return out;
}

/* The signed-in user's identity for app: the headers, or GH_EFORBIDDEN when it lacks what the
 * application needs. */
static gh_err identify(gh_req *r, const gh_forward_app *app)
{
    gh_user u;
    const char **groups = NULL;
    gh_err err = gh_core_me_identity(&r->ctx, &u, &groups);
    if (err != GH_OK)
        return err;
    bool member = false;
    for (size_t i = 0; i < u.group_ids.n; i++)
        member = member || strcmp(groups[i], app->group) == 0;
    if (app->perm != 0 && !gh_perm_has(&r->who, app->perm))
        return gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL,
                       "your roles do not hold the permission this application needs");
    if (app->group[0] != '\0' && !member)
        return gh_fail(&r->ctx, GH_EFORBIDDEN, NULL, NULL,
                       "this application is for the members of a group you are not in");
    const char *perms[GH_PERM_COUNT];
    size_t np = 0;
    uint64_t mask = gh_perm_effective(&r->who);
    for (int i = 0; i < GH_PERM_COUNT; i++)
        if (mask & ((uint64_t)1 << i))
            perms[np++] = gh_perm_name(i);
    const char *name = gh_person_name(r->a, u.first_name, u.last_name);
    gh_http_add_header(r, "Remote-User", u.username);
    gh_http_add_header(r, "Remote-Email", u.email);
    gh_http_add_header(r, "Remote-Name", name[0] != '\0' ? name : u.username);
    gh_http_add_header(r, "Remote-Groups", joined(r->a, groups, u.group_ids.n));
    gh_http_add_header(r, "Remote-Permissions", joined(r->a, perms, np));
    r->out = json_pack("{s:s, s:s}", "user", u.username, "application", app->host);
    return r->out != NULL ? GH_OK : GH_ENOMEM;
}

gh_err gh_h_auth_verify(gh_req *r)
{
    const char *url;
    const gh_forward_app *app;
    gh_err err = find_app(r, &url, &app);
    if (err == GH_OK)
        err = gh_http_signed_in(r);
    return err == GH_OK ? identify(r, app) : err;
}

/* The sign-in, then back to url (through /auth/return). */
static gh_err to_signin(gh_req *r, const char *url)
{
    const char *origin = gh_http_external_origin(r);
    if (origin == NULL) /* the proxy's browser cannot be sent anywhere it would reach us */
        return gh_fail(&r->ctx, GH_EUNAUTH, NULL, NULL,
                       "sign in first (the server has no --external-url to send you to)");
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
    r->status = 302;
    r->location = gh_arena_printf(r->a, "%s/signin?rd=%s", origin, url_encode(r->a, url));
    return GH_OK;
}

gh_err gh_h_auth_forward(gh_req *r)
{
    const char *url;
    const gh_forward_app *app;
    gh_err err = find_app(r, &url, &app);
    if (err == GH_OK && (err = gh_http_signed_in(r)) == GH_EUNAUTH)
        return to_signin(r, url);
    return err == GH_OK ? identify(r, app) : err;
}

gh_err gh_h_auth_return(gh_req *r)
{
    const char *rd = gh_query(r, "rd");
    char host[GH_FORWARD_HOST_MAX + 1];
    bool ok = rd != NULL && gh_forward_url_host(rd, host, sizeof host) &&
              gh_http_forward_app(r, host) != NULL;
    gh_err err = gh_http_signed_in(r);
    if (err != GH_OK && err != GH_EUNAUTH)
        return err;
    r->ctx.err_field = r->ctx.err_reason = r->ctx.err_detail = NULL;
    r->status = 302;
    if (err == GH_EUNAUTH) /* not (or no longer) signed in: the sign-in, then here again */
        r->location = ok ? gh_arena_printf(r->a, "/signin?rd=%s", url_encode(r->a, rd)) : "/signin";
    else /* signed in: the application when it is protected, else the console */
        r->location = ok ? rd : "/";
    return GH_OK;
}
