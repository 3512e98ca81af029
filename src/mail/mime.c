/* See mime.h. */
#include "mail/mime.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WORD_BYTES 39 /* raw bytes per encoded word: "Subject: " + word stays within 78 */
#define LINE_CHARS 76 /* base64 body line length (RFC 2045) */

bool gh_mail_header_safe(const char *s)
{
    return s != NULL && strpbrk(s, "\r\n") == NULL;
}

bool gh_mail_address_ok(const char *s)
{
    if (s == NULL)
        return false;
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strlen(s) > 254)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    const char *dot = strrchr(at + 1, '.');
    return at[1] != '\0' && at[1] != '.' && dot != NULL && dot[1] != '\0';
}

gh_err gh_mail_parse_mailbox(gh_arena *a, const char *in, const char **name, const char **addr)
{
    if (!gh_mail_header_safe(in))
        return GH_EINVAL;
    const char *lt = strrchr(in, '<');
    const char *n = "", *ad = in;
    if (lt != NULL) {
        size_t len = strlen(lt);
        if (len < 3 || lt[len - 1] != '>')
            return GH_EINVAL;
        ad = gh_arena_strndup(a, lt + 1, len - 2);
        size_t nlen = (size_t)(lt - in);
        while (nlen > 0 && in[nlen - 1] == ' ')
            nlen--;
        const char *start = in;
        while (*start == ' ' && start < in + nlen)
            start++, nlen--;
        if (nlen >= 2 && start[0] == '"' && start[nlen - 1] == '"')
            start++, nlen -= 2;
        n = gh_arena_strndup(a, start, nlen);
    }
    if (!gh_mail_address_ok(ad))
        return GH_EINVAL;
    *name = n;
    *addr = gh_arena_strdup(a, ad);
    return GH_OK;
}

/* atext of RFC 5322 plus the space between words of a phrase. */
static bool phrase_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr(" !#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool needs_encoding(const char *text, bool phrase)
{
    if (strstr(text, "=?") != NULL)
        return true;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f)
            return true;
        if (phrase && !phrase_char(*p))
            return true;
    }
    return false;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 boundary. */
static size_t utf8_prefix(const unsigned char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && (s[k] & 0xc0) == 0x80)
        k--;
    return k > 0 ? k : max; /* a malformed run longer than max: cut anyway */
}

char *gh_mail_encode_words(gh_arena *a, const char *text, bool phrase)
{
    if (!gh_mail_header_safe(text))
        return NULL;
    if (!needs_encoding(text, phrase))
        return gh_arena_strdup(a, text);
    gh_sbuf b = {.a = a};
    const unsigned char *p = (const unsigned char *)text;
    size_t left = strlen(text);
    char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    while (left > 0) {
        size_t k = utf8_prefix(p, left, WORD_BYTES);
        sodium_bin2base64(b64, sizeof b64, p, k, sodium_base64_VARIANT_ORIGINAL);
        if (b.len > 0)
            gh_sbuf_str(&b, "\r\n ");
        gh_sbuf_str(&b, "=?UTF-8?B?");
        gh_sbuf_str(&b, b64);
        gh_sbuf_str(&b, "?=");
        p += k;
        left -= k;
    }
    return b.s;
}

char *gh_mail_mailbox(gh_arena *a, const char *name, const char *addr)
{
    if (name == NULL)
        name = "";
    if (!gh_mail_address_ok(addr) || !gh_mail_header_safe(name))
        return NULL;
    if (name[0] == '\0')
        return gh_arena_strdup(a, addr);
    char *enc = gh_mail_encode_words(a, name, true);
    return enc != NULL ? gh_arena_printf(a, "%s <%s>", enc, addr) : NULL;
}

void gh_mail_date(int64_t t, char *buf, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Appends text as base64 lines, after turning bare LF line ends into CRLF. */
static void put_base64_body(gh_sbuf *b, gh_arena *a, const char *text)
{
    gh_sbuf crlf = {.a = a};
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r'))
            gh_sbuf_put(&crlf, "\r", 1);
        gh_sbuf_put(&crlf, p, 1);
    }
    size_t n = crlf.len, per_line = LINE_CHARS / 4 * 3;
    char line[LINE_CHARS + 1];
    for (size_t off = 0; off < n; off += per_line) {
        size_t k = n - off < per_line ? n - off : per_line;
        sodium_bin2base64(line, sizeof line, (const unsigned char *)crlf.s + off, k,
                          sodium_base64_VARIANT_ORIGINAL);
        gh_sbuf_str(b, line);
        gh_sbuf_str(b, "\r\n");
    }
}

static void put_part(gh_sbuf *b, gh_arena *a, const char *boundary, const char *type,
                     const char *body)
{
    gh_sbuf_str(b, "--");
    gh_sbuf_str(b, boundary);
    gh_sbuf_str(b, "\r\nContent-Type: ");
    gh_sbuf_str(b, type);
    gh_sbuf_str(b, "; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    put_base64_body(b, a, body);
}

/* "<random hex>@<domain of the sender>" */
static char *message_id(gh_arena *a, const char *from_addr)
{
    unsigned char raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return gh_arena_printf(a, "<%s@%s>", hex, strchr(from_addr, '@') + 1);
}

gh_err gh_mime_build(gh_arena *a, const gh_mime_message *m, char **out)
{
    char *from = gh_mail_mailbox(a, m->from_name, m->from_addr);
    char *to = gh_mail_mailbox(a, m->to_name, m->to_addr);
    char *subject = gh_mail_encode_words(a, m->subject, false);
    if (from == NULL || to == NULL || subject == NULL || m->text == NULL || m->html == NULL)
        return GH_EINVAL;
    unsigned char raw[12];
    char hex[25], date[40];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    const char *boundary = gh_arena_printf(a, "=_gh_%s", hex); /* "=_" never occurs in base64 */
    gh_mail_date(m->date, date, sizeof date);
    gh_sbuf b = {.a = a};
    gh_sbuf_str(&b,
                gh_arena_printf(a,
                                "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
                                "Message-ID: %s\r\nMIME-Version: 1.0\r\n"
                                "Auto-Submitted: auto-generated\r\n"
                                "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
                                date, from, to, subject, message_id(a, m->from_addr), boundary));
    put_part(&b, a, boundary, "text/plain", m->text);
    put_part(&b, a, boundary, "text/html", m->html);
    gh_sbuf_str(&b, gh_arena_printf(a, "--%s--\r\n", boundary));
    *out = b.s;
    return GH_OK;
}
