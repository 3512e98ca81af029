/* See smtp.h. */
#include "mail/smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "mail/mime.h"

#define CONNECT_TIMEOUT_S 10
#define SEND_TIMEOUT_S    60

gh_err gh_smtp_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? GH_OK : GH_EINTERNAL;
}

gh_err gh_smtp_url_parse(gh_arena *a, const char *url, const char **curl_url, gh_smtp_tls *tls)
{
    if (url == NULL || !gh_mail_header_safe(url))
        return GH_EINVAL;
    bool smtps = strncmp(url, "smtps://", 8) == 0;
    if (!smtps && strncmp(url, "smtp://", 7) != 0)
        return GH_EINVAL;
    const char *host = url + (smtps ? 8 : 7);
    if (*host == '\0' || *host == '/' || *host == ':' || *host == '?')
        return GH_EINVAL;
    gh_smtp_tls mode = smtps ? GH_SMTP_TLS_REQUIRED : GH_SMTP_TLS_NONE;
    const char *q = strchr(url, '?');
    if (q != NULL) {
        if (smtps)
            return GH_EINVAL; /* TLS from the start: nothing to ask for */
        if (strcmp(q, "?starttls=required") == 0 || strcmp(q, "?starttls") == 0)
            mode = GH_SMTP_TLS_REQUIRED;
        else if (strcmp(q, "?starttls=try") == 0)
            mode = GH_SMTP_TLS_TRY;
        else
            return GH_EINVAL;
    }
    *curl_url = q != NULL ? gh_arena_strndup(a, url, (size_t)(q - url)) : gh_arena_strdup(a, url);
    *tls = mode;
    return GH_OK;
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
    upload *u = arg;
    size_t room = size * n, left = u->len - u->off;
    size_t k = left < room ? left : room;
    memcpy(buf, u->data + u->off, k);
    u->off += k;
    return k;
}

/* The server's replies reach the header callback: keep the last one (the QUIT reply aside) and
 * the last refusal (4xx or 5xx), as one log-safe line each. */
typedef struct replies {
    char last[256], refusal[256];
} replies;

static size_t reply_cb(char *buf, size_t size, size_t n, void *arg)
{
    replies *r = arg;
    size_t len = size * n, k = len;
    while (k > 0 && (buf[k - 1] == '\r' || buf[k - 1] == '\n'))
        k--;
    if (k >= sizeof r->last)
        k = sizeof r->last - 1;
    if (k < 3 || strncmp(buf, "221", 3) == 0)
        return len;
    char *dst = buf[0] == '4' || buf[0] == '5' ? r->refusal : r->last;
    memcpy(dst, buf, k);
    dst[k] = '\0';
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    return len;
}

static void set_options(CURL *h, const gh_smtp_config *c, const char *curl_url, gh_smtp_tls tls,
                        const char *from, struct curl_slist *rcpt, upload *up, char *errbuf,
                        replies *rep)
{
    curl_easy_setopt(h, CURLOPT_URL, curl_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, up);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     tls == GH_SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
                     : tls == GH_SMTP_TLS_TRY    ? (long)CURLUSESSL_TRY
                                                 : (long)CURLUSESSL_NONE);
    if (c->user != NULL) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, reply_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, rep);
}

gh_err gh_smtp_send(const gh_smtp_config *c, const char *from_addr, const char *to_addr,
                    const char *msg, char *err, size_t cap, bool *permanent)
{
    gh_arena *a = gh_arena_new();
    const char *curl_url = NULL;
    gh_smtp_tls tls = GH_SMTP_TLS_NONE;
    char errbuf[CURL_ERROR_SIZE] = "";
    replies rep = {"", ""};
    struct curl_slist *rcpt = NULL;
    CURL *h = NULL;
    gh_err out = GH_EINTERNAL;
    *permanent = true;
    if (gh_smtp_url_parse(a, c->url, &curl_url, &tls) != GH_OK || !gh_mail_address_ok(from_addr) ||
        !gh_mail_address_ok(to_addr)) {
        snprintf(err, cap, "refused before sending: bad SMTP URL or address");
        goto done;
    }
    *permanent = false;
    upload up = {.data = msg, .len = strlen(msg)};
    rcpt = curl_slist_append(NULL, gh_arena_printf(a, "<%s>", to_addr));
    if (rcpt == NULL || (h = curl_easy_init()) == NULL) {
        snprintf(err, cap, "out of memory");
        goto done;
    }
    set_options(h, c, curl_url, tls, gh_arena_printf(a, "<%s>", from_addr), rcpt, &up, errbuf,
                &rep);
    CURLcode res = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (res == CURLE_OK) {
        snprintf(err, cap, "%s", rep.last[0] ? rep.last : "250 accepted");
        out = GH_OK;
    } else {
        snprintf(err, cap, "%s%s%s%s%s", curl_easy_strerror(res), errbuf[0] ? ": " : "", errbuf,
                 rep.refusal[0] ? "; server said: " : "", rep.refusal);
        *permanent = code >= 500 && code < 600;
    }
done:
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    gh_arena_free(a);
    return out;
}
