/* The outbound side of oidc/ (SECURITY I13): the URL policy, checked on libcurl's own parse of a
 * URL (the same CURLU handle is then given to the transfer, so what was checked is what is
 * fetched), and the one function that performs a request: no proxy, no redirect, timeouts, a
 * size cap, and the address of every connection checked in CURLOPT_OPENSOCKETFUNCTION before the
 * socket exists (so a name that resolves to an internal address, or is rebound to one, is
 * refused whatever the URL said). */
#include "oidc/internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

gh_err gh_oidc_fail(gh_err err, char *why, size_t cap, const char *fmt, ...)
{
    if (why != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return err;
}

gh_err gh_oidc_init(void)
{
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return GH_EINTERNAL;
    return GH_OK;
}

json_t *gh_oidc_json_object(const char *s, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &e);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* ---- addresses ---- */

/* 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15,
 * 224/4 and 240/4 (multicast, reserved, broadcast): none is a provider on the Internet. */
static bool v4_internal(const unsigned char *a)
{
    return a[0] == 0 || a[0] == 10 || (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] == 127 ||
           (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 0 && a[2] == 0) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 198 && (a[1] & 0xfe) == 18) || a[0] >= 224;
}

/* The IPv4 address inside an IPv6 one (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96), or NULL. */
static const unsigned char *v6_embedded_v4(const unsigned char *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    return memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 ? a + 12 : NULL;
}

/* ::, ::1, fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10 (old site-local), ff00::/8
 * (multicast), and the embedded IPv4 forms of an internal IPv4 address. */
static bool v6_internal(const unsigned char *a)
{
    static const unsigned char zero[15] = {0};
    const unsigned char *v4 = v6_embedded_v4(a);
    if (v4 != NULL)
        return v4_internal(v4);
    return memcmp(a, zero, 15) == 0 || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && a[1] >= 0x80) ||
           a[0] == 0xff;
}

static bool v6_loopback(const unsigned char *a)
{
    static const unsigned char one[16] = {[15] = 1};
    const unsigned char *v4 = v6_embedded_v4(a);
    return memcmp(a, one, 16) == 0 || (v4 != NULL && v4[0] == 127);
}

/* Whether the socket address is loopback (want_loopback) or public (otherwise). */
static bool addr_is(const struct sockaddr_storage *ss, bool want_loopback)
{
    if (ss->ss_family == AF_INET) {
        const unsigned char *a =
            (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr.s_addr;
        return want_loopback ? a[0] == 127 : !v4_internal(a);
    }
    if (ss->ss_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
        return want_loopback ? v6_loopback(a) : !v6_internal(a);
    }
    return false;
}

/* A host name of a URL that is a loopback address: 127.0.0.0/8, [::1] or localhost. */
static bool host_is_loopback(const char *host)
{
    unsigned char a[16];
    char buf[64];
    size_t n = strlen(host);
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n < 2 || n - 2 >= sizeof buf || host[0] != '[' || host[n - 1] != ']')
        return false;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    return inet_pton(AF_INET6, buf, a) == 1 && v6_loopback(a);
}

/* ---- the URL policy ---- */

/* Whether part of u is present (anything but "missing"). */
static bool has_part(CURLU *u, CURLUPart part)
{
    char *s = NULL;
    CURLUcode rc = curl_url_get(u, part, &s, 0);
    curl_free(s);
    return rc == CURLUE_OK;
}

/* Parses url into *out (the caller curl_url_cleanup()s it) and checks the policy; *http is set
 * when the scheme is plain http (then only a loopback address may be connected to). */
/* What a stored URL may hold: printable ASCII, no space (libcurl would encode the rest). */
static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return false;
    return true;
}

static gh_err url_parse(const gh_oidc_net *net, const char *url, bool query_ok, CURLU **out,
                        bool *http, char *why, size_t cap)
{
    gh_err err = GH_EINVAL;
    char *scheme = NULL, *host = NULL;
    CURLU *u = NULL;
    if (url == NULL || *url == '\0')
        return gh_oidc_fail(GH_EINVAL, why, cap, "no URL");
    if (strlen(url) > GH_OIDC_MAX_URL_BYTES)
        return gh_oidc_fail(GH_EINVAL, why, cap, "URL too long");
    if ((u = curl_url()) == NULL)
        return gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0') {
        gh_oidc_fail(err, why, cap, "not a URL");
        goto out;
    }
    bool plain = strcmp(scheme, "http") == 0;
    size_t k = strlen(scheme);
    /* "https:///x" and "https://\\x" parse with host "x": a URL we store must say its host */
    if (strncasecmp(url, scheme, k) != 0 || strncmp(url + k, "://", 3) != 0 || url[k + 3] == '/' ||
        url[k + 3] == '\\')
        gh_oidc_fail(err, why, cap, "not a URL");
    else if (plain && !net->allow_loopback)
        gh_oidc_fail(err, why, cap, "not https");
    else if (plain && !host_is_loopback(host))
        gh_oidc_fail(err, why, cap, "http only to a loopback host");
    else if (!plain && strcmp(scheme, "https") != 0)
        gh_oidc_fail(err, why, cap, "not https");
    else if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
             has_part(u, CURLUPART_OPTIONS))
        gh_oidc_fail(err, why, cap, "user information in the URL");
    else if (!query_ok && (has_part(u, CURLUPART_QUERY) || strchr(url, '?') != NULL))
        gh_oidc_fail(err, why, cap, "query in the URL"); /* libcurl drops an empty one */
    else if (has_part(u, CURLUPART_FRAGMENT) || strchr(url, '#') != NULL)
        gh_oidc_fail(err, why, cap, "fragment in the URL");
    else if (!printable_ascii(url))
        gh_oidc_fail(err, why, cap, "not printable ASCII");
    else
        err = GH_OK;
out:
    curl_free(scheme);
    curl_free(host);
    if (err == GH_OK) {
        *out = u;
        *http = plain;
    } else {
        curl_url_cleanup(u);
    }
    return err;
}

gh_err gh_oidc_url_check(const gh_oidc_net *net, const char *url, bool query_ok, char *why,
                         size_t cap)
{
    CURLU *u = NULL;
    bool http = false;
    gh_err err = url_parse(net, url, query_ok, &u, &http, why, cap);
    curl_url_cleanup(u);
    return err;
}

gh_err gh_oidc_check_issuer(const gh_oidc_net *net, const char *url, char *why, size_t cap)
{
    return gh_oidc_url_check(net, url, false, why, cap);
}

gh_err gh_oidc_check_target(const gh_oidc_net *net, const char *url, char *why, size_t cap)
{
    return gh_oidc_url_check(net, url, true, why, cap);
}

/* ---- one request ---- */

typedef struct transfer {
    const gh_oidc_net *net;
    bool loopback_only; /* plain http: only a loopback address */
    bool refused;       /* an address was refused */
    bool too_large;
    char *buf; /* GH_OIDC_MAX_RESPONSE_BYTES + 1 */
    size_t len;
} transfer;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t k = size * n;
    if (k > GH_OIDC_MAX_RESPONSE_BYTES - t->len) {
        t->too_large = true;
        return 0; /* not k: libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(t->buf + t->len, p, k);
    t->len += k;
    return k;
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
    transfer *t = arg;
    struct sockaddr_storage ss = {0};
    memcpy(&ss, &sa->addr, sa->addrlen < sizeof ss ? sa->addrlen : sizeof ss);
    /* plain http: loopback only; https: anything when allowed, else public addresses only */
    bool ok = t->loopback_only ? addr_is(&ss, true) : t->net->allow_loopback || addr_is(&ss, false);
    ok = ok && purpose == CURLSOCKTYPE_IPCXN;
    if (!ok) {
        t->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

static void set_options(CURL *h, const gh_oidc_net *net, const gh_oidc_request *rq, CURLU *u,
                        transfer *t, struct curl_slist *headers, char *errbuf)
{
    long total = net->timeout_ms > 0 ? net->timeout_ms : GH_OIDC_TIMEOUT_MS;
    long connect = total < GH_OIDC_CONNECT_TIMEOUT_MS ? total : GH_OIDC_CONNECT_TIMEOUT_MS;
    curl_easy_setopt(h, CURLOPT_CURLU, u);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, t->loopback_only ? "http" : "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never one from the environment */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)GH_OIDC_MAX_RESPONSE_BYTES);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Gatehouse");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (rq->form != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->form);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->form_len);
    }
    if (rq->user != NULL) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, rq->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, rq->password);
    }
}

/* The reason of a failed transfer; GH_EUPSTREAM. */
static gh_err transfer_failed(const transfer *t, CURLcode rc, const char *errbuf, char *why,
                              size_t cap)
{
    if (t->refused)
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "target address not allowed");
    if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "response too large");
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return gh_oidc_fail(GH_EUPSTREAM, why, cap, "timed out");
    return gh_oidc_fail(GH_EUPSTREAM, why, cap, "%s%s%s", curl_easy_strerror(rc),
                        *errbuf ? ": " : "", errbuf);
}

/* The header lines of rq, or NULL when memory ran out. */
static struct curl_slist *request_headers(const gh_oidc_request *rq)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json"), *next;
    if (h != NULL && rq->content_type != NULL) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
        if ((next = curl_slist_append(h, line)) == NULL)
            goto fail;
        h = next;
    }
    for (size_t i = 0; h != NULL && i < rq->n_headers; i++) {
        if ((next = curl_slist_append(h, rq->headers[i])) == NULL)
            goto fail;
        h = next;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

/* Performs rq; *status is any status that came back (3xx included), *res its body. */
static gh_err perform(const gh_oidc_net *net, const gh_oidc_request *rq, gh_oidc_response *res,
                      char *why, size_t cap)
{
    transfer t = {.net = net};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLU *u = NULL;
    CURL *h = NULL;
    struct curl_slist *headers = NULL;
    long status = 0;
    gh_err err = url_parse(net, rq->url, true, &u, &t.loopback_only, why, cap);
    if (err != GH_OK)
        return err;
    err = gh_oidc_fail(GH_ENOMEM, why, cap, "out of memory");
    if ((t.buf = malloc(GH_OIDC_MAX_RESPONSE_BYTES + 1)) == NULL ||
        (h = curl_easy_init()) == NULL || (headers = request_headers(rq)) == NULL)
        goto out;
    set_options(h, net, rq, u, &t, headers, errbuf);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        err = transfer_failed(&t, rc, errbuf, why, cap);
    } else {
        t.buf[t.len] = '\0';
        *res = (gh_oidc_response){.status = status, .body = t.buf, .len = t.len};
        t.buf = NULL;
        err = GH_OK;
    }
out:
    if (t.buf != NULL)
        sodium_memzero(t.buf, t.len);
    free(t.buf);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_url_cleanup(u);
    return err;
}

gh_err gh_oidc_http(const gh_oidc_net *net, const gh_oidc_request *rq, gh_oidc_response *res,
                    char *why, size_t cap)
{
    gh_oidc_response r;
    gh_err err = perform(net, rq, &r, why, cap);
    if (err == GH_OK && r.status >= 300 && r.status < 400) {
        err = gh_oidc_fail(GH_EUPSTREAM, why, cap, "redirect (HTTP %ld) not followed", r.status);
        gh_oidc_response_free(&r);
    }
    if (err == GH_OK)
        *res = r;
    return err;
}

gh_err gh_oidc_post(const gh_oidc_net *net, const char *url, const char *const *headers, size_t n,
                    const char *body, size_t len, long *status, char *why, size_t cap)
{
    gh_oidc_request rq = {.url = url,
                          .form = body,
                          .form_len = len,
                          .content_type = "application/json",
                          .headers = headers,
                          .n_headers = n};
    gh_oidc_response r;
    gh_err err = perform(net, &rq, &r, why, cap);
    if (err == GH_OK) {
        *status = r.status;
        gh_oidc_response_free(&r);
    }
    return err;
}

void gh_oidc_response_free(gh_oidc_response *res)
{
    if (res->body != NULL)
        sodium_memzero(res->body, res->len);
    free(res->body);
    res->body = NULL;
    res->len = 0;
}
