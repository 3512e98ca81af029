/* One SMTP submission through libcurl: smtp:// (plain, or STARTTLS when the URL asks with
 * ?starttls=required or ?starttls=try), smtps:// (TLS from the start), optional AUTH.
 * Thread-safe after curl_global_init() (gh_smtp_init). */
#ifndef GH_MAIL_SMTP_H
#define GH_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

typedef enum { GH_SMTP_TLS_NONE, GH_SMTP_TLS_TRY, GH_SMTP_TLS_REQUIRED } gh_smtp_tls;

typedef struct gh_smtp_config {
    const char *url;      /* smtp://host:port[/helo-domain][?starttls=required|try] or smtps:// */
    const char *user;     /* NULL: no AUTH */
    const char *password; /* with user */
} gh_smtp_config;

/* Initialises libcurl once per process, before any thread sends; GH_EINTERNAL on failure. */
gh_err gh_smtp_init(void) GH_MUST_USE;

/* Splits url into what libcurl gets (*curl_url, arena: our ?starttls= removed) and the TLS mode
 * (smtps:// is TLS from the start: *tls is REQUIRED). GH_EINVAL for another scheme, a missing
 * host, an unknown query or a CR/LF. */
gh_err gh_smtp_url_parse(gh_arena *a, const char *url, const char **curl_url,
                         gh_smtp_tls *tls) GH_MUST_USE;

/* Submits msg (a whole RFC 5322 message, CRLF line ends) from from_addr to to_addr. On failure
 * returns GH_EINTERNAL with the reason (curl's error and the SMTP reply code) in err (at most
 * cap bytes, never holding the message) and *permanent true when the server refused for good
 * (5xx reply). The outcome line of the server ("250 ...") goes into err on success too. */
gh_err gh_smtp_send(const gh_smtp_config *c, const char *from_addr, const char *to_addr,
                    const char *msg, char *err, size_t cap, bool *permanent) GH_MUST_USE;

#endif
