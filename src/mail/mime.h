/* E-mail messages: header checks (SECURITY I4), RFC 2047 encoded words, RFC 5322 dates and the
 * MIME multipart/alternative builder. Pure functions over the caller's arena; thread-safe. */
#ifndef GH_MAIL_MIME_H
#define GH_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

/* Whether s may go into a header: no CR, no LF (NULL is not safe). */
bool gh_mail_header_safe(const char *s);
/* Whether s is a bare addr-spec fit for a header and an SMTP envelope: one '@' with text on both
 * sides, a dot in the domain, no spaces, control characters, angle brackets, quotes or commas. */
bool gh_mail_address_ok(const char *s);
/* Splits "Display Name <addr>" or "addr" into *name ("" when none) and *addr (both in the
 * arena). GH_EINVAL when the address is not gh_mail_address_ok or the name holds CR/LF. */
gh_err gh_mail_parse_mailbox(gh_arena *a, const char *in, const char **name,
                             const char **addr) GH_MUST_USE;
/* text as header content: unchanged when it is printable ASCII without "=?", otherwise RFC 2047
 * B-encoded UTF-8 words of at most 39 bytes each (never splitting a character), folded with
 * CRLF SP. phrase true also encodes any character outside atext and space (display names).
 * NULL when text holds CR or LF. */
char *gh_mail_encode_words(gh_arena *a, const char *text, bool phrase);
/* "name <addr>" with the name encoded as a phrase, or "addr" when the name is empty; NULL when
 * either part is unfit for a header. */
char *gh_mail_mailbox(gh_arena *a, const char *name, const char *addr);
/* RFC 5322 date of t in UTC ("Sun, 22 Nov 2026 10:00:00 +0000") into buf (at least 32 bytes). */
void gh_mail_date(int64_t t, char *buf, size_t cap);

typedef struct gh_mime_message {
    const char *from_name, *from_addr; /* from_name may be "" */
    const char *to_name, *to_addr;     /* to_name may be "" */
    const char *subject;               /* UTF-8; encoded when needed */
    const char *text, *html;           /* UTF-8 bodies, LF or CRLF line ends */
    int64_t date;                      /* Unix seconds */
} gh_mime_message;

/* Builds the whole message (headers Date, From, To, Subject, Message-ID, MIME-Version,
 * Auto-Submitted, Content-Type multipart/alternative with a text/plain and a text/html part,
 * each UTF-8 and base64) with CRLF line ends into *out (arena). GH_EINVAL, and nothing written,
 * when a header value holds CR/LF or an address is not gh_mail_address_ok. */
gh_err gh_mime_build(gh_arena *a, const gh_mime_message *m, char **out) GH_MUST_USE;

#endif
