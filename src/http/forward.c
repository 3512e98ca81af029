/* Forward-auth's protected applications (forward.h). */
#include "http/forward.h"

#include <ctype.h>
#include <string.h>

#include "model/model.h"

/* A host as a proxy names it: letters, digits, '-', '.', and one ':' before a port. */
static bool host_ok(const char *s, size_t n)
{
    if (n == 0 || n > GH_FORWARD_HOST_MAX)
        return false;
    bool port = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':' && !port && i > 0 && i + 1 < n)
            port = true;
        else if (port ? !isdigit(c) : !(isalnum(c) || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static void lower_copy(char *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[n] = '\0';
}

bool gh_forward_parse(const char *spec, gh_forward_app *apps, size_t *n, const char **error)
{
    *n = 0;
    for (const char *p = spec; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && *p == ' ')
            p++, len--;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        const char *eq = memchr(p, '=', len);
        size_t host_len = eq != NULL ? (size_t)(eq - p) : len;
        if (len == 0 || !host_ok(p, host_len)) {
            *error = "an entry is not HOST, HOST=PERMISSION or HOST=group:NAME";
            return false;
        }
        if (*n == GH_FORWARD_APPS_MAX) {
            *error = "more applications than Gatehouse protects (64)";
            return false;
        }
        gh_forward_app *a = &apps[*n];
        *a = (gh_forward_app){.perm = 0};
        lower_copy(a->host, p, host_len);
        if (gh_forward_find(apps, *n, a->host) != NULL) {
            *error = "a host is named twice";
            return false;
        }
        if (eq != NULL) {
            const char *req = eq + 1;
            size_t req_len = len - host_len - 1;
            if (req_len > 6 && strncmp(req, "group:", 6) == 0) {
                if (req_len - 6 >= sizeof a->group) {
                    *error = "a group name is longer than 100 characters";
                    return false;
                }
                memcpy(a->group, req + 6, req_len - 6);
                a->group[req_len - 6] = '\0';
            } else {
                char name[64];
                if (req_len == 0 || req_len >= sizeof name) {
                    *error = "an entry's requirement is not a permission or group:NAME";
                    return false;
                }
                memcpy(name, req, req_len);
                name[req_len] = '\0';
                if ((a->perm = gh_perm_from_name(name)) == 0) {
                    *error = "an entry names a permission that does not exist";
                    return false;
                }
            }
        }
        (*n)++;
        p = end != NULL ? end + 1 : NULL;
    }
    return true;
}

const gh_forward_app *gh_forward_find(const gh_forward_app *apps, size_t n, const char *host)
{
    if (host == NULL || *host == '\0')
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(apps[i].host, host) == 0)
            return &apps[i];
    return NULL;
}

bool gh_forward_url_host(const char *url, char *out, size_t cap)
{
    size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
    if (skip == 0 || strlen(url) > 2000)
        return false;
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '\\')
            return false;
    const char *host = url + skip;
    size_t n = strcspn(host, "/?#");
    if (memchr(host, '@', n) != NULL || n >= cap || !host_ok(host, n))
        return false;
    lower_copy(out, host, n);
    return true;
}

bool gh_forward_domain_ok(const char *d)
{
    size_t n = strlen(d);
    return host_ok(d, n) && strchr(d, ':') == NULL && strchr(d, '.') != NULL && d[0] != '.' &&
           d[n - 1] != '.';
}
