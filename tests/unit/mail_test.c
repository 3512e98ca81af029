/* Unit tests of mail/: header checks (I4), RFC 2047 encoded words, the MIME builder, the embedded
 * templates, SMTP URLs, the backoff, and the outbox as the sender sees it (claim, mint, retry,
 * cancel) over a fresh database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "auth/auth.h"
#include "core/validate.h"
#include "mail/mail.h"
#include "mail/mime.h"
#include "mail/smtp.h"
#include "mail/templates.h"
#include "store/store.h"
#include "testdb.h"
#include "util/clock.h"

/* ---- header checks ---- */

static void header_safe_refuses_cr_and_lf(void **state)
{
    assert_true(gh_mail_header_safe("Plain subject"));
    assert_true(gh_mail_header_safe(""));
    assert_true(gh_mail_header_safe("中文 ok"));
    assert_false(gh_mail_header_safe(NULL));
    assert_false(gh_mail_header_safe("a\r\nBcc: evil@example.com"));
    assert_false(gh_mail_header_safe("a\nb"));
    assert_false(gh_mail_header_safe("a\rb"));
}

static void address_check(void **state)
{
    static const char *const good[] = {"a@example.com", "first.last+tag@sub.example.org",
                                       "o'brien@example.ie", NULL};
    static const char *const bad[] = {
        "",
        "a",
        "@example.com",
        "a@",
        "a@b",
        "a@@example.com",
        "a@example.com\r\nBcc: x@example.com",
        "a@example.com\n",
        "a b@example.com",
        "<a@example.com>",
        "a@example.com, b@example.com",
        "\"a\"@example.com",
        "a@.example.com",
        NULL,
    };
    for (int i = 0; good[i] != NULL; i++)
        assert_true(gh_mail_address_ok(good[i]));
    for (int i = 0; bad[i] != NULL; i++)
        assert_false(gh_mail_address_ok(bad[i]));
    assert_false(gh_mail_address_ok(NULL));
}

/* I4 starts at input: the validator core applies to every e-mail address refuses CR/LF. */
static void email_validator_refuses_line_breaks(void **state)
{
    static const char *const bad[] = {"a@example.com\r\nBcc: evil@example.com",
                                      "a@example.com\n",
                                      "a@exam\rple.com",
                                      "a\n@example.com",
                                      "a@example.com\r\n\r\nbody",
                                      "Name <a@example.com>",
                                      "a@example.com,b@example.com",
                                      NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        assert_false(gh_valid_email(bad[i]));
        assert_false(gh_mail_address_ok(bad[i]));
    }
    assert_true(gh_valid_email("a@example.com"));
    assert_false(gh_valid_text("Bob\r\nBcc: evil@example.com")); /* names */
    assert_false(gh_valid_text("Bob\n"));
}

static void mailbox_parse(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *name = "x", *addr = "x";
    assert_int_equal(gh_mail_parse_mailbox(a, "Back Office <noreply@example.org>", &name, &addr),
                     GH_OK);
    assert_string_equal(name, "Back Office");
    assert_string_equal(addr, "noreply@example.org");
    assert_int_equal(gh_mail_parse_mailbox(a, "\"Quoted, Name\" <q@example.org>", &name, &addr),
                     GH_OK);
    assert_string_equal(name, "Quoted, Name");
    assert_int_equal(gh_mail_parse_mailbox(a, "bare@example.org", &name, &addr), GH_OK);
    assert_string_equal(name, "");
    assert_string_equal(addr, "bare@example.org");
    name = addr = "untouched";
    assert_int_equal(
        gh_mail_parse_mailbox(a, "Evil\r\nBcc: x@example.com <a@example.com>", &name, &addr),
        GH_EINVAL);
    assert_int_equal(gh_mail_parse_mailbox(a, "Name <not an address>", &name, &addr), GH_EINVAL);
    assert_int_equal(gh_mail_parse_mailbox(a, "Name <a@example.com", &name, &addr), GH_EINVAL);
    assert_string_equal(name, "untouched"); /* outputs only on success */
    assert_string_equal(addr, "untouched");
    gh_arena_free(a);
}

/* Decodes a header made of =?UTF-8?B?...?= words (folded or not) back to its text. */
static char *decode_words(gh_arena *a, const char *h)
{
    char *out = gh_arena_alloc(a, strlen(h) + 1);
    size_t len = 0;
    for (const char *p = h; (p = strstr(p, "=?UTF-8?B?")) != NULL;) {
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        size_t got = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + len, strlen(h) - len, p,
                                           (size_t)(end - p), NULL, &got, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        /* each word holds whole characters: it is valid UTF-8 on its own */
        assert_true(got > 0);
        assert_true(((unsigned char)out[len] & 0xc0) != 0x80);
        len += got;
        p = end + 2;
    }
    out[len] = '\0';
    return out;
}

static void encoded_words(void **state)
{
    gh_arena *a = gh_arena_new();
    assert_string_equal(gh_mail_encode_words(a, "Reset your password", false),
                        "Reset your password");
    static const char zh[] =
        "您的 Gatehouse 账户：请设置密码，该链接只能使用一次并在二十四小时后失效";
    char *enc = gh_mail_encode_words(a, zh, false);
    assert_non_null(enc);
    assert_true(strncmp(enc, "=?UTF-8?B?", 10) == 0);
    for (const unsigned char *p = (const unsigned char *)enc; *p; p++)
        assert_true(*p < 0x80); /* 7-bit */
    /* folded into words of at most 64 characters, one per line */
    for (char *line = enc; line != NULL;) {
        char *next = strstr(line, "\r\n ");
        size_t n = next ? (size_t)(next - line) : strlen(line);
        assert_true(n <= 64);
        line = next ? next + 3 : NULL;
    }
    assert_string_equal(decode_words(a, enc), zh);
    /* "=?" in plain text would be read as an encoded word: it is encoded */
    assert_string_equal(decode_words(a, gh_mail_encode_words(a, "a =?b?= c", false)), "a =?b?= c");
    /* a phrase (display name) with specials is encoded rather than left raw */
    char *phrase = gh_mail_encode_words(a, "Smith, John <x>", true);
    assert_true(strncmp(phrase, "=?UTF-8?B?", 10) == 0);
    assert_string_equal(decode_words(a, phrase), "Smith, John <x>");
    assert_string_equal(gh_mail_encode_words(a, "John O'Brien", true), "John O'Brien");
    /* CR/LF are refused, not encoded */
    assert_null(gh_mail_encode_words(a, "x\r\nBcc: evil@example.com", false));
    assert_null(gh_mail_encode_words(a, "中文\n", true));
    gh_arena_free(a);
}

static void rfc5322_date(void **state)
{
    char buf[40];
    gh_mail_date(1795341600, buf, sizeof buf); /* 2026-11-22T10:00:00Z */
    assert_string_equal(buf, "Sun, 22 Nov 2026 10:00:00 +0000");
    gh_mail_date(0, buf, sizeof buf);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 +0000");
}

/* ---- the MIME builder ---- */

static const char *header_of(gh_arena *a, const char *msg, const char *name)
{
    const char *full = gh_arena_printf(a, "\r\n%s", msg); /* every header follows a CRLF */
    const char *end = strstr(full, "\r\n\r\n");
    char *needle = gh_arena_printf(a, "\r\n%s: ", name);
    const char *p = strstr(full, needle);
    if (p == NULL || p > end)
        return NULL;
    p += strlen(needle);
    const char *e = strstr(p, "\r\n");
    while (e[2] == ' ' || e[2] == '\t') /* folded */
        e = strstr(e + 2, "\r\n");
    return gh_arena_strndup(a, p, (size_t)(e - p));
}

/* The decoded body of the part whose Content-Type starts with type. */
static char *part_body(gh_arena *a, const char *msg, const char *type)
{
    const char *p = strstr(msg, gh_arena_printf(a, "Content-Type: %s; charset=utf-8\r\n", type));
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n") + 4;
    const char *end = strstr(p, "\r\n--");
    char *b64 = gh_arena_alloc(a, (size_t)(end - p) + 1);
    size_t n = 0;
    for (const char *q = p; q < end; q++)
        if (*q != '\r' && *q != '\n')
            b64[n++] = *q;
    char *out = gh_arena_alloc(a, n + 1);
    size_t got = 0;
    assert_int_equal(sodium_base642bin((unsigned char *)out, n, b64, n, NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    out[got] = '\0';
    return out;
}

static gh_mime_message sample_message(void)
{
    return (gh_mime_message){.from_name = "Gatehouse",
                             .from_addr = "noreply@example.org",
                             .to_name = "伟 张",
                             .to_addr = "wei@example.cn",
                             .subject = "您的 Gatehouse 账户：请设置密码",
                             .text = "第一行\n第二行 https://x.example/onboarding/gh_abc\n",
                             .html = "<p>你好</p>\n",
                             .date = 1795341600};
}

static void mime_build_structure(void **state)
{
    gh_arena *a = gh_arena_new();
    gh_mime_message m = sample_message();
    char *msg = NULL;
    assert_int_equal(gh_mime_build(a, &m, &msg), GH_OK);
    assert_non_null(msg);
    /* CRLF only, 7-bit, no line over 78 characters */
    for (const char *p = msg; *p; p++) {
        assert_true((unsigned char)*p < 0x80);
        if (*p == '\n')
            assert_true(p > msg && p[-1] == '\r');
    }
    for (const char *line = msg; *line;) {
        const char *e = strstr(line, "\r\n");
        assert_non_null(e);
        assert_true(e - line <= 78);
        line = e + 2;
    }
    assert_string_equal(header_of(a, msg, "Date"), "Sun, 22 Nov 2026 10:00:00 +0000");
    assert_string_equal(header_of(a, msg, "From"), "Gatehouse <noreply@example.org>");
    assert_string_equal(header_of(a, msg, "MIME-Version"), "1.0");
    const char *mid = header_of(a, msg, "Message-ID");
    assert_non_null(mid);
    assert_int_equal(strlen(mid), 1 + 32 + 1 + strlen("example.org") + 1);
    assert_non_null(strstr(mid, "@example.org>"));
    const char *to = header_of(a, msg, "To");
    assert_non_null(strstr(to, " <wei@example.cn>"));
    assert_string_equal(decode_words(a, to), "伟 张");
    assert_string_equal(decode_words(a, header_of(a, msg, "Subject")), m.subject);
    const char *ct = header_of(a, msg, "Content-Type");
    assert_true(strncmp(ct, "multipart/alternative; boundary=\"=_gh_", 38) == 0);
    /* the boundary opens both parts and closes the message */
    char *boundary = gh_arena_strndup(a, ct + 33, strlen(ct) - 34);
    assert_non_null(
        strstr(msg, gh_arena_printf(a, "\r\n--%s\r\nContent-Type: text/plain", boundary)));
    assert_non_null(
        strstr(msg, gh_arena_printf(a, "\r\n--%s\r\nContent-Type: text/html", boundary)));
    char *close = gh_arena_printf(a, "\r\n--%s--\r\n", boundary);
    assert_string_equal(msg + strlen(msg) - strlen(close), close);
    /* bodies: UTF-8, base64, line ends made CRLF */
    assert_string_equal(part_body(a, msg, "text/plain"),
                        "第一行\r\n第二行 https://x.example/onboarding/gh_abc\r\n");
    assert_string_equal(part_body(a, msg, "text/html"), "<p>你好</p>\r\n");
    /* two builds never share a boundary or a Message-ID */
    char *again = NULL;
    assert_int_equal(gh_mime_build(a, &m, &again), GH_OK);
    assert_string_not_equal(header_of(a, again, "Message-ID"), mid);
    assert_string_not_equal(header_of(a, again, "Content-Type"), ct);
    gh_arena_free(a);
}

static void mime_build_refuses_header_injection(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *evil = "x\r\nBcc: evil@example.com";
    for (int i = 0; i < 6; i++) {
        gh_mime_message m = sample_message();
        switch (i) {
        case 0:
            m.subject = evil;
            break;
        case 1:
            m.to_name = evil;
            break;
        case 2:
            m.to_addr = "wei@example.cn\r\nBcc: evil@example.com";
            break;
        case 3:
            m.from_name = "Gate\nhouse";
            break;
        case 4:
            m.from_addr = "not-an-address";
            break;
        default:
            m.to_addr = "wei@example.cn, evil@example.com";
            break;
        }
        char untouched[] = "untouched";
        char *out = untouched;
        assert_int_equal(gh_mime_build(a, &m, &out), GH_EINVAL);
        assert_string_equal(out, "untouched");
    }
    gh_mime_message plain = sample_message();
    plain.to_name = "";
    plain.subject = "ASCII only";
    char *out = NULL;
    assert_int_equal(gh_mime_build(a, &plain, &out), GH_OK);
    assert_string_equal(header_of(a, out, "To"), "wei@example.cn");
    assert_string_equal(header_of(a, out, "Subject"), "ASCII only");
    gh_arena_free(a);
}

/* ---- templates ---- */

static void every_template_renders(void **state)
{
    static const char *const kinds[] = {"onboarding",  "password_reset", "mfa_enrol",
                                        "force_reset", "mfa_reset",      "test"};
    static const char *const langs[] = {"en", "zh"};
    gh_arena *a = gh_arena_new();
    gh_mail_vars v = {.name = "<Ada & \"Bob\">",
                      .username = "ada",
                      .link = "https://gh.example/onboarding/gh_tok?x=1&y=2",
                      .validity = "24 hours",
                      .site = "https://gh.example"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        for (size_t l = 0; l < 2; l++) {
            gh_mail_rendered r;
            assert_int_equal(gh_mail_render(a, kinds[k], langs[l], &v, &r), GH_OK);
            assert_true(r.subject[0] != '\0');
            assert_true(gh_mail_header_safe(r.subject));
            assert_null(strstr(r.text, "{{"));
            assert_null(strstr(r.html, "{{"));
            assert_non_null(strstr(r.html, gh_arena_printf(a, "<html lang=\"%s\">", langs[l])));
            /* variables are escaped in HTML, verbatim in text */
            assert_null(strstr(r.html, "<Ada"));
            if (strcmp(kinds[k], "test") != 0) {
                assert_non_null(strstr(r.html, "&lt;Ada &amp; &quot;Bob&quot;&gt;"));
                assert_non_null(strstr(r.text, "<Ada & \"Bob\">"));
            }
            bool has_link =
                strcmp(kinds[k], "onboarding") == 0 || strcmp(kinds[k], "password_reset") == 0;
            assert_int_equal(strstr(r.text, v.link) != NULL, has_link);
            if (has_link)
                assert_non_null(
                    strstr(r.html, "href=\"https://gh.example/onboarding/gh_tok?x=1&amp;y=2\""));
        }
    gh_mail_rendered r;
    assert_int_equal(gh_mail_render(a, "onboarding", "zh", &v, &r), GH_OK);
    assert_non_null(strstr(r.subject, "设置密码"));
    assert_int_equal(gh_mail_render(a, "onboarding", "fr", &v, &r), GH_OK); /* falls back to en */
    assert_non_null(strstr(r.subject, "choose a password"));
    assert_int_equal(gh_mail_render(a, "no_such_kind", "en", &v, &r), GH_ENOTFOUND);
    assert_string_equal(gh_mail_validity(a, "en", 3600), "1 hour");
    assert_string_equal(gh_mail_validity(a, "en", 86400), "24 hours");
    assert_string_equal(gh_mail_validity(a, "zh", 86400), "24 小时");
    gh_arena_free(a);
}

/* ---- SMTP URLs and the backoff ---- */

static void smtp_urls(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *u = NULL;
    gh_smtp_tls tls = GH_SMTP_TLS_TRY;
    assert_int_equal(gh_smtp_url_parse(a, "smtp://mail.example:25", &u, &tls), GH_OK);
    assert_string_equal(u, "smtp://mail.example:25");
    assert_int_equal(tls, GH_SMTP_TLS_NONE);
    assert_int_equal(gh_smtp_url_parse(a, "smtp://mail.example:587?starttls=required", &u, &tls),
                     GH_OK);
    assert_string_equal(u, "smtp://mail.example:587");
    assert_int_equal(tls, GH_SMTP_TLS_REQUIRED);
    assert_int_equal(
        gh_smtp_url_parse(a, "smtp://mail.example:587/helo.example?starttls=try", &u, &tls), GH_OK);
    assert_string_equal(u, "smtp://mail.example:587/helo.example");
    assert_int_equal(tls, GH_SMTP_TLS_TRY);
    assert_int_equal(gh_smtp_url_parse(a, "smtps://mail.example:465", &u, &tls), GH_OK);
    assert_int_equal(tls, GH_SMTP_TLS_REQUIRED);
    static const char *const bad[] = {"http://mail.example",
                                      "smtp://",
                                      "smtp://:25",
                                      "smtp://mail.example?tls=1",
                                      "smtps://mail.example?starttls=try",
                                      "smtp://mail.example\r\n",
                                      "mail.example:25",
                                      NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        u = "untouched";
        assert_int_equal(gh_smtp_url_parse(a, bad[i], &u, &tls), GH_EINVAL);
        assert_string_equal(u, "untouched");
    }
    assert_int_equal(gh_smtp_url_parse(a, NULL, &u, &tls), GH_EINVAL);
    gh_arena_free(a);
}

static void backoff_doubles_up_to_an_hour(void **state)
{
    assert_int_equal(gh_mail_backoff(30, 1), 30);
    assert_int_equal(gh_mail_backoff(30, 2), 60);
    assert_int_equal(gh_mail_backoff(30, 3), 120);
    assert_int_equal(gh_mail_backoff(30, 20), GH_MAIL_RETRY_MAX_S);
    assert_int_equal(gh_mail_backoff(0, 1), GH_MAIL_RETRY_BASE_S);
    assert_int_equal(gh_mail_backoff(1, 4), 8);
}

/* ---- the outbox as the sender sees it ---- */

typedef struct fx {
    testdb t;
    gh_arena *a;
    int64_t user_id;
} fx;

static int setup_db(void **state)
{
    fx *f = calloc(1, sizeof *f);
    testdb_open(&f->t);
    f->a = gh_arena_new();
    gh_user u = {.username = "ada",
                 .first_name = "Ada",
                 .last_name = "",
                 .email = "ada@example.com",
                 .phone = "",
                 .language = "en",
                 .timezone = "UTC",
                 .country = "",
                 .status = GH_STATUS_INVITED,
                 .login_enabled = true,
                 .access = {.level = GH_ACCESS_PLATFORM},
                 .created_at = 1000};
    assert_int_equal(gh_store_user_insert(f->t.db, &u, &f->user_id), GH_OK);
    *state = f;
    return 0;
}

static int teardown_db(void **state)
{
    fx *f = *state;
    gh_arena_free(f->a);
    testdb_close(&f->t);
    free(f);
    return 0;
}

/* Queues an onboarding e-mail with its link, as core does; returns the outbox id. */
static int64_t queue_onboarding(fx *f, int64_t now, int64_t *link_id)
{
    gh_mail m = {.kind = "onboarding",
                 .user_id = f->user_id,
                 .to_addr = "ada@example.com",
                 .to_name = "Ada",
                 .username = "ada",
                 .language = "en",
                 .next_attempt_at = now,
                 .created_at = now};
    int64_t id = 0;
    assert_int_equal(gh_db_begin(f->t.db), GH_OK);
    assert_int_equal(gh_store_mail_insert(f->t.db, &m, &id), GH_OK);
    gh_link l = {.user_id = f->user_id,
                 .purpose = GH_LINK_ONBOARDING,
                 .origin = "create",
                 .outbox_id = id,
                 .ttl = 86400,
                 .created_at = now};
    assert_int_equal(gh_store_link_insert(f->t.db, &l, link_id), GH_OK);
    assert_int_equal(gh_db_commit(f->t.db), GH_OK);
    return id;
}

static void claim_mint_and_use(void **state)
{
    fx *f = *state;
    gh_db *db = f->t.db;
    int64_t link = 0, id = queue_onboarding(f, 5000, &link);
    gh_mail m;
    assert_int_equal(gh_store_mail_claim(db, f->a, 4999, 120, &m), GH_ENOTFOUND); /* not due */
    assert_int_equal(gh_store_mail_claim(db, f->a, 5000, 120, &m), GH_OK);
    assert_int_equal(m.id, id);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.link_id, link);
    assert_int_equal(m.link_ttl, 86400);
    assert_int_equal(m.link_purpose, GH_LINK_ONBOARDING);
    assert_string_equal(m.to_addr, "ada@example.com");
    /* leased: nobody else takes it until the lease ends */
    gh_mail other;
    assert_int_equal(gh_store_mail_claim(db, f->a, 5100, 120, &other), GH_ENOTFOUND);
    /* the token exists only from minting on, and only as a hash */
    char tok[GH_TOKEN_CHARS], hash[GH_TOKEN_HASH_CHARS], tok2[GH_TOKEN_CHARS],
        hash2[GH_TOKEN_HASH_CHARS];
    gh_token_new(tok, hash);
    gh_token_new(tok2, hash2);
    gh_link l;
    assert_int_equal(gh_store_link_mint(db, link, hash, 5000), GH_OK);
    assert_int_equal(gh_store_link_mint(db, link, hash2, 5001), GH_OK); /* a retry replaces it */
    assert_int_equal(gh_store_link_by_hash(db, f->a, hash, &l), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_by_hash(db, f->a, hash2, &l), GH_OK);
    assert_int_equal(l.expires_at, 5001 + 86400);
    assert_int_equal(gh_store_mail_finish(db, id, GH_MAIL_SENT, NULL, 0, 5010), GH_OK);
    assert_int_equal(gh_store_link_sent(db, id, 5010), GH_OK);
    assert_int_equal(gh_store_link_by_hash(db, f->a, hash2, &l), GH_OK);
    assert_int_equal(l.sent_at, 5010);
    assert_int_equal(l.expires_at, 5010 + 86400); /* 24 h after sending */
    /* the user record shows it */
    gh_user u;
    assert_int_equal(gh_store_user_get(db, f->a, f->user_id, &u), GH_OK);
    assert_true(u.onboarding.exists);
    assert_int_equal(u.onboarding.delivery, GH_MAIL_SENT);
    assert_int_equal(u.onboarding.attempts, 1);
    assert_int_equal(u.onboarding.sent_at, 5010);
    /* single use; not after expiry */
    assert_int_equal(gh_store_link_use(db, l.id, 5010 + 86400), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_use(db, l.id, 6000), GH_OK);
    assert_int_equal(gh_store_link_use(db, l.id, 6001), GH_ENOTFOUND);
    assert_int_equal(gh_store_link_mint(db, link, hash, 6002), GH_ENOTFOUND); /* used: no more */
    sodium_memzero(tok, sizeof tok);
    sodium_memzero(tok2, sizeof tok2);
}

static void a_voided_link_is_cancelled_not_sent(void **state)
{
    fx *f = *state;
    gh_db *db = f->t.db;
    int64_t link = 0, id = queue_onboarding(f, 100, &link), count = 0, oldest = 0;
    assert_int_equal(
        gh_store_link_count(db, f->user_id, GH_LINK_ONBOARDING, "create", 0, &count, &oldest),
        GH_OK);
    assert_int_equal(count, 1);
    assert_int_equal(oldest, 100);
    assert_int_equal(gh_store_link_void(db, f->user_id, GH_LINK_ONBOARDING, 150), GH_OK);
    gh_mail_config c = {.smtp = {.url = "smtp://127.0.0.1:1"}, .external_url = "http://gh.test"};
    bool did = false;
    assert_int_equal(gh_mail_deliver_one(db, &c, &did), GH_OK);
    assert_true(did);
    gh_user u;
    assert_int_equal(gh_store_user_get(db, f->a, f->user_id, &u), GH_OK);
    assert_int_equal(u.onboarding.delivery, GH_MAIL_CANCELLED);
    assert_int_equal(u.onboarding.voided_at, 150);
    assert_int_equal(gh_mail_deliver_one(db, &c, &did), GH_OK);
    assert_false(did); /* nothing else is due */
    (void)id;
}

static void a_refused_connection_is_retried_with_backoff(void **state)
{
    fx *f = *state;
    gh_db *db = f->t.db;
    int64_t link = 0;
    queue_onboarding(f, 100, &link); /* long due */
    gh_mail_config c = {.smtp = {.url = "smtp://127.0.0.1:1"},
                        .external_url = "http://gh.test",
                        .retry_base_s = 50};
    bool did = false;
    assert_int_equal(gh_mail_deliver_one(db, &c, &did), GH_OK);
    assert_true(did);
    gh_user u;
    assert_int_equal(gh_store_user_get(db, f->a, f->user_id, &u), GH_OK);
    assert_int_equal(u.onboarding.delivery, GH_MAIL_QUEUED);
    assert_int_equal(u.onboarding.attempts, 1);
    assert_non_null(u.onboarding.error);
    assert_non_null(strstr(u.onboarding.error, "connect"));
    assert_int_equal(u.onboarding.sent_at, 0);
    /* not due again until the backoff has passed */
    assert_int_equal(gh_mail_deliver_one(db, &c, &did), GH_OK);
    assert_false(did);
    gh_mail m;
    assert_int_equal(gh_store_mail_claim(db, f->a, gh_clock_now() + 51, 120, &m), GH_OK);
    assert_int_equal(m.attempts, 2);
}

static void compose_puts_the_link_in_the_message(void **state)
{
    gh_arena *a = gh_arena_new();
    gh_mail m = {.kind = "password_reset",
                 .to_addr = "ada@example.com",
                 .to_name = "Ada",
                 .username = "ada",
                 .language = "en",
                 .link_id = 1,
                 .link_purpose = GH_LINK_PASSWORD_RESET,
                 .link_ttl = 3600};
    gh_mail_config c = {.from = "Ops <ops@example.org>", .external_url = "https://gh.example"};
    char *msg = NULL;
    assert_int_equal(gh_mail_compose(a, &c, &m, "gh_TOKEN", 1795341600, &msg), GH_OK);
    assert_non_null(strstr(msg, "From: Ops <ops@example.org>\r\n"));
    assert_non_null(strstr(part_body(a, msg, "text/plain"), "https://gh.example/reset/gh_TOKEN"));
    assert_non_null(strstr(part_body(a, msg, "text/plain"), "expires 1 hour after"));
    m.to_addr = "ada@example.com\r\nBcc: evil@example.com";
    char untouched[] = "untouched";
    msg = untouched;
    assert_int_equal(gh_mail_compose(a, &c, &m, "gh_TOKEN", 0, &msg), GH_EINVAL);
    assert_string_equal(msg, "untouched");
    gh_arena_free(a);
}

int main(void)
{
    if (sodium_init() < 0 || gh_smtp_init() != GH_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_safe_refuses_cr_and_lf),
        cmocka_unit_test(address_check),
        cmocka_unit_test(email_validator_refuses_line_breaks),
        cmocka_unit_test(mailbox_parse),
        cmocka_unit_test(encoded_words),
        cmocka_unit_test(rfc5322_date),
        cmocka_unit_test(mime_build_structure),
        cmocka_unit_test(mime_build_refuses_header_injection),
        cmocka_unit_test(every_template_renders),
        cmocka_unit_test(smtp_urls),
        cmocka_unit_test(backoff_doubles_up_to_an_hour),
        cmocka_unit_test_setup_teardown(claim_mint_and_use, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(a_voided_link_is_cancelled_not_sent, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(a_refused_connection_is_retried_with_backoff, setup_db,
                                        teardown_db),
        cmocka_unit_test(compose_puts_the_link_in_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
