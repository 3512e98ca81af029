/* Unit tests of util/: the arena, the clock, JSON escaping of the log, the error table and UTF-8
 * cleaning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/arena.h"
#include "util/clock.h"
#include "util/csv.h"
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

/* ---- arena ---- */

static void arena_alloc_is_aligned_and_zeroed(void **state)
{
    static const size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 4095};
    gh_arena *a = gh_arena_new();
    unsigned char *prev = NULL;
    size_t prev_size = 0;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            unsigned char *p = gh_arena_alloc(a, sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
            for (size_t j = 0; j < sizes[i]; j++)
                assert_int_equal(p[j], 0);
            memset(p, 0xab, sizes[i]);
            /* the previous block keeps its bytes: blocks do not overlap */
            for (size_t j = 0; prev != NULL && j < prev_size; j++)
                assert_int_equal(prev[j], 0xab);
            prev = p;
            prev_size = sizes[i];
        }
    }
    /* a zero-size request still gives a distinct usable pointer */
    void *z1 = gh_arena_alloc(a, 0), *z2 = gh_arena_alloc(a, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    gh_arena_free(a);
}

static void arena_strings(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *src = "hello, world";
    char *d = gh_arena_strdup(a, src);
    assert_string_equal(d, src);
    assert_ptr_not_equal(d, src);
    assert_string_equal(gh_arena_strndup(a, src, 5), "hello");
    assert_string_equal(gh_arena_strndup(a, src, 0), "");
    assert_null(gh_arena_strdup(a, NULL));
    assert_null(gh_arena_strndup(a, NULL, 3));
    assert_string_equal(gh_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.25), "x-42-003.2");
    assert_string_equal(gh_arena_printf(a, "%s", ""), "");
    /* longer than a chunk */
    char *big = gh_arena_printf(a, "[%20000d]", 7);
    assert_int_equal(strlen(big), 20002);
    assert_int_equal(big[0], '[');
    assert_int_equal(big[20000], '7');
    assert_int_equal(big[20001], ']');
    gh_arena_free(a);
}

static void arena_big_allocations(void **state)
{
    gh_arena *a = gh_arena_new();
    /* big first: no chunk yet */
    unsigned char *b1 = gh_arena_alloc(a, 100000);
    memset(b1, 1, 100000);
    char *s1 = gh_arena_strdup(a, "small after big");
    unsigned char *b2 = gh_arena_alloc(a, 1 << 20);
    memset(b2, 2, 1 << 20);
    char *s2 = gh_arena_strdup(a, "small after second big");
    unsigned char *b3 = gh_arena_alloc(a, 8193);
    memset(b3, 3, 8193);
    assert_int_equal((uintptr_t)b2 % _Alignof(max_align_t), 0);
    assert_int_equal((uintptr_t)b3 % _Alignof(max_align_t), 0);
    for (size_t i = 0; i < 100000; i++)
        assert_int_equal(b1[i], 1);
    for (size_t i = 0; i < (1 << 20); i++)
        assert_int_equal(b2[i], 2);
    for (size_t i = 0; i < 8193; i++)
        assert_int_equal(b3[i], 3);
    assert_string_equal(s1, "small after big");
    assert_string_equal(s2, "small after second big");
    /* many small allocations across several chunks */
    char *keep[2000];
    for (int i = 0; i < 2000; i++)
        keep[i] = gh_arena_printf(a, "item-%d", i);
    for (int i = 0; i < 2000; i++) {
        char want[32];
        snprintf(want, sizeof want, "item-%d", i);
        assert_string_equal(keep[i], want);
    }
    gh_arena_free(a);
}

static void arena_free_null_is_noop(void **state)
{
    gh_arena_free(NULL);
    gh_arena *a = gh_arena_new();
    gh_arena_free(a); /* an arena that never allocated */
}

/* ---- clock ---- */

#define T_2026 1795341600 /* 2026-11-22T10:00:00Z */

static void clock_format(void **state)
{
    char buf[32];
    gh_clock_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    gh_clock_format(T_2026, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-22T10:00:00Z");
    gh_clock_format(951868799, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T23:59:59Z");
    char small[21];
    gh_clock_format(T_2026, small, sizeof small);
    assert_string_equal(small, "2026-11-22T10:00:00Z");
}

static void clock_parse_accepts_rfc3339(void **state)
{
    static const struct {
        const char *s;
        int64_t t;
    } ok[] = {
        {"2026-11-22T10:00:00Z", T_2026},      {"2026-11-22T10:00:00z", T_2026},
        {"2026-11-22T10:00:00.5Z", T_2026},    {"2026-11-22T10:00:00.123456789Z", T_2026},
        {"2026-11-22T11:00:00+01:00", T_2026}, {"2026-11-22T04:30:00-05:30", T_2026},
        {"2026-11-22T10:00:00+00:00", T_2026}, {"2026-11-22T10:00:00.25+00:00", T_2026},
        {"2026-11-23T00:59:00+14:59", T_2026}, {"1970-01-01T00:00:00Z", 0},
        {"2000-02-29T23:59:59Z", 951868799},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t t = -1;
        if (gh_clock_parse(ok[i].s, &t) != 0)
            fail_msg("rejected %s", ok[i].s);
        if (t != ok[i].t)
            fail_msg("%s: got %lld want %lld", ok[i].s, (long long)t, (long long)ok[i].t);
    }
    /* round trip */
    char buf[32];
    int64_t t = 0;
    gh_clock_format(1234567890, buf, sizeof buf);
    assert_int_equal(gh_clock_parse(buf, &t), 0);
    assert_int_equal(t, 1234567890);
}

static void clock_parse_rejects_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "2026-11-22",
        "2026-11-22T10:00:00",
        "2026-11-22T10:00Z",
        "2026-11-22 10:00:00Z",
        "2026-11-22T10:00:00ZZ",
        "2026-11-22T10:00:00Z ",
        "2026-11-22T10:00:00Zjunk",
        "2026-11-22T10:00:00+0100",
        "2026-11-22T10:00:00+01",
        "2026-11-22T10:00:00+01:00:00",
        "2026-11-22T10:00:00+24:00",
        "2026-11-22T10:00:00+01:60",
        "2026-11-22T10:00:00+-1:00",
        "2026-11-22T10:00:00+ 1:00",
        "2026-11-22T10:00:00+1a:00",
        "2026-11-22T10:00:00.Z1",
        "2026-13-01T00:00:00Z",
        "2026-11-32T00:00:00Z",
        "2026-11-22T25:00:00Z",
        "2026-11-22T10:00:00UTC",
        "2026-1-2T3:4:5Z",
        " 2026-11-22T10:00:00Z",
        "26-11-22T10:00:00Z",
        "2026-11-22T10:00: 0Z",
        "2026-11-22T10:00:00.Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t t = 42;
        if (gh_clock_parse(bad[i], &t) == 0)
            fail_msg("accepted \"%s\" as %lld", bad[i], (long long)t);
        assert_int_equal(t, 42); /* output untouched on failure */
    }
}

static void clock_offset_moves_now(void **state)
{
    int64_t before = gh_clock_now();
    gh_clock_set_offset(86400);
    int64_t moved = gh_clock_now();
    gh_clock_set_offset(-3600);
    int64_t back = gh_clock_now();
    gh_clock_set_offset(0);
    int64_t after = gh_clock_now();
    assert_true(moved - before >= 86400 && moved - before <= 86402);
    assert_true(before - back >= 3598 && before - back <= 3600);
    assert_true(after - before >= 0 && after - before <= 2);
}

/* ---- log escaping ---- */

/* Escapes s into a fresh buffer and returns it NUL-terminated (static storage). */
static const char *escape(const char *s)
{
    static char buf[512];
    size_t len = 0;
    gh_json_escape(buf, sizeof buf - 1, &len, s);
    assert_true(len < sizeof buf);
    buf[len] = '\0';
    return buf;
}

static void log_escape(void **state)
{
    assert_string_equal(escape("plain"), "\"plain\"");
    assert_string_equal(escape(""), "\"\"");
    assert_string_equal(escape(NULL), "\"\"");
    assert_string_equal(escape("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal(escape("a\\b"), "\"a\\\\b\"");
    assert_string_equal(escape("line1\nline2"), "\"line1\\u000aline2\"");
    assert_string_equal(escape("cr\rtab\t"), "\"cr\\u000dtab\\u0009\"");
    assert_string_equal(escape("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
    assert_string_equal(escape("caf\xc3\xa9 \xe4\xb8\xad"), "\"caf\xc3\xa9 \xe4\xb8\xad\"");
    /* whatever goes in, the output is one line of printable text that parses back */
    char all[256];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = '\0';
    const char *e = escape(all);
    for (const char *p = e; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
    json_error_t jerr;
    json_t *j = json_loads(e, JSON_DECODE_ANY, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), all);
    json_decref(j);
}

static void log_escape_appends_and_truncates(void **state)
{
    char buf[16];
    size_t len = 0;
    memset(buf, 'X', sizeof buf);
    gh_json_escape(buf, 8, &len, "abcdefghijkl");
    assert_int_equal(len, 8);
    assert_memory_equal(buf, "\"abcdefg", 8);
    assert_int_equal(buf[8], 'X'); /* nothing written past cap */
    gh_json_escape(buf, 8, &len, "more");
    assert_int_equal(len, 8);
    /* an escape sequence cut at the end stays within cap */
    memset(buf, 'X', sizeof buf);
    len = 0;
    gh_json_escape(buf, 5, &len, "\n\n");
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "\"\\u00", 5);
    assert_int_equal(buf[5], 'X');
    /* appending */
    char out[64];
    len = 0;
    gh_json_escape(out, sizeof out, &len, "a");
    out[len++] = ':';
    gh_json_escape(out, sizeof out, &len, "b");
    out[len] = '\0';
    assert_string_equal(out, "\"a\":\"b\"");
}

/* gh_log writes exactly one JSON line even when a value holds newlines and quotes. */
static void log_writes_one_line(void **state)
{
    char path[] = "/tmp/gh-unit-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    gh_log("info", "user_event", "username", "evil\n{\"level\":\"fatal\"}", "note", "tab\there",
           NULL);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    char text[4096];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    text[n] = '\0';
    assert_int_equal(text[n - 1], '\n');
    assert_ptr_equal(strchr(text, '\n'), &text[n - 1]);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "user_event");
    assert_string_equal(json_string_value(json_object_get(j, "username")),
                        "evil\n{\"level\":\"fatal\"}");
    assert_string_equal(json_string_value(json_object_get(j, "note")), "tab\there");
    assert_non_null(json_object_get(j, "time"));
    json_decref(j);
}

/* ---- errors ---- */

static void err_table(void **state)
{
    static const struct {
        gh_err err;
        const char *text;
        int status;
    } want[] = {
        {GH_OK, "ok", 200},
        {GH_EINVAL, "invalid request", 400},
        {GH_EUNAUTH, "authentication required", 401},
        {GH_EFORBIDDEN, "forbidden", 403},
        {GH_ENOTFOUND, "not found", 404},
        {GH_EMETHOD, "method not allowed", 405},
        {GH_ECONFLICT, "conflict", 409},
        {GH_EGONE, "gone", 410},
        {GH_EPRECOND, "precondition failed", 412},
        {GH_ETOOLARGE, "payload too large", 413},
        {GH_EMEDIA, "unsupported media type", 415},
        {GH_ERATE, "too many requests", 429},
        {GH_ENOMEM, "out of memory", 500},
        {GH_EINTERNAL, "internal error", 500},
        {GH_EUPSTREAM, "bad gateway", 502},
        {GH_EDB, "database unavailable", 503},
    };
    size_t n = sizeof want / sizeof *want;
    assert_int_equal(n, (size_t)GH_EDB + 1); /* every code is listed above */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(gh_err_str(want[i].err), want[i].text);
        assert_int_equal(gh_err_http_status(want[i].err), want[i].status);
    }
    assert_string_equal(gh_err_str((gh_err)999), "unknown error");
    assert_int_equal(gh_err_http_status((gh_err)999), 500);
}

/* ---- UTF-8 cleaning (SECURITY I11) ---- */

static void utf8_clean_keeps_valid_text(void **state)
{
    gh_arena *a = gh_arena_new();
    assert_string_equal(gh_utf8_clean(a, "curl/8.5.0", 200), "curl/8.5.0");
    assert_string_equal(gh_utf8_clean(a, "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 200),
                        "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
    assert_string_equal(gh_utf8_clean(a, "", 200), "");
    assert_string_equal(gh_utf8_clean(a, NULL, 200), "");
    gh_arena_free(a);
}

static void utf8_clean_replaces_invalid_sequences(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"}, /* never valid */
        {"a\x80"
         "b",
         "a\xef\xbf\xbd"
         "b"},                                                    /* stray continuation */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong '/' */
        {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong, 3 bytes */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
        {"ab\xe4\xb8", "ab\xef\xbf\xbd\xef\xbf\xbd"}, /* cut inside a character */
        {"\xe4"
         "x",
         "\xef\xbf\xbd"
         "x"}, /* lead byte without its tail */
    };
    gh_arena *a = gh_arena_new();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(gh_utf8_clean(a, cases[i].in, 200), cases[i].out);
    gh_arena_free(a);
}

static void utf8_clean_cuts_on_a_character_boundary(void **state)
{
    gh_arena *a = gh_arena_new();
    /* "é" is 2 bytes: 5 bytes hold "ab" and one "é", never half of the second */
    assert_string_equal(gh_utf8_clean(a, "ab\xc3\xa9\xc3\xa9", 5), "ab\xc3\xa9");
    assert_string_equal(gh_utf8_clean(a, "ab\xc3\xa9\xc3\xa9", 4), "ab\xc3\xa9");
    assert_string_equal(gh_utf8_clean(a, "ab\xc3\xa9", 3), "ab");
    assert_string_equal(gh_utf8_clean(a, "\xf0\x9f\x98\x80", 3), ""); /* 4-byte emoji */
    assert_string_equal(gh_utf8_clean(a, "a\xff", 3), "a");           /* U+FFFD takes 3 */
    assert_string_equal(gh_utf8_clean(a, "abcdef", 0), "");
    char big[1001];
    memset(big, 'x', 1000);
    big[1000] = '\0';
    assert_int_equal(strlen(gh_utf8_clean(a, big, 200)), 200);
    memset(big, 0xff, 1000); /* 1000 bad bytes, 3000 bytes of U+FFFD before the cut */
    char *out = gh_utf8_clean(a, big, 200);
    assert_int_equal(strlen(out), 198);
    assert_memory_equal(out, "\xef\xbf\xbd", 3);
    gh_arena_free(a);
}

/* Names in scripts without spaces read family name first and run together, in any language. */
static void person_names_in_their_order(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    assert_string_equal(gh_person_name(a, "Mei", "Chen"), "Mei Chen");
    assert_string_equal(gh_person_name(a, "伟", "李"), "李伟");
    assert_string_equal(gh_person_name(a, "娜", "欧阳"), "欧阳娜");
    assert_string_equal(gh_person_name(a, "はるか", "田中"), "田中はるか");
    assert_string_equal(gh_person_name(a, "민준", "김"), "김민준");
    assert_string_equal(gh_person_name(a, "Wei", "李"), "李Wei");
    assert_string_equal(gh_person_name(a, "Émile", ""), "Émile");
    assert_string_equal(gh_person_name(a, NULL, "Zola"), "Zola");
    assert_string_equal(gh_person_name(a, NULL, NULL), "");
    assert_true(gh_utf8_has_cjk("a李"));
    assert_false(gh_utf8_has_cjk("Núñez"));
    assert_false(gh_utf8_has_cjk("\xff\xfe"));
    assert_false(gh_utf8_has_cjk(NULL));
    gh_arena_free(a);
}

static void utf8_seq_lengths(void **state)
{
    assert_int_equal(gh_utf8_seq((const unsigned char *)"a"), 1);
    assert_int_equal(gh_utf8_seq((const unsigned char *)"\xc3\xa9"), 2);
    assert_int_equal(gh_utf8_seq((const unsigned char *)"\xe4\xb8\xad"), 3);
    assert_int_equal(gh_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80"), 4);
    assert_int_equal(gh_utf8_seq((const unsigned char *)"\xc3"), 0); /* the NUL ends it early */
    assert_int_equal(gh_utf8_seq((const unsigned char *)"\xf5\x80\x80\x80"), 0);
}

/* RFC 4180 records: CRLF, quotes doubled, a field with a comma, quote, CR or LF quoted. */
static void csv_quotes_as_rfc4180(void **state)
{
    (void)state;
    gh_csv_buf b = {0};
    gh_csv_cell(&b, "plain");
    gh_csv_cell(&b, "a,b");
    gh_csv_cell(&b, "say \"hi\"");
    gh_csv_cell(&b, "two\nlines");
    gh_csv_cell(&b, "cr\rhere");
    gh_csv_cell(&b, NULL);
    gh_csv_cell(&b, "");
    gh_csv_end_row(&b);
    gh_csv_cell(&b, "李伟");
    gh_csv_end_row(&b);
    assert_string_equal(gh_csv_text(&b),
                        "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",,\r\n"
                        "李伟\r\n");
    gh_csv_buf_free(&b);
    assert_null(b.p);
}

/* A cell a spreadsheet would run as a formula gets an apostrophe in front, and so does one that
 * starts with an apostrophe (a reader strips exactly one); elsewhere in the cell nothing. */
static void csv_neutralises_formulas(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"=1+1", "'=1+1"}, {"+4420", "'+4420"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},   {"\rx", "\"'\rx\""}, {"'x", "''x"}, {"=a,b", "\"'=a,b\""},
        {"a=b", "a=b"},    {"x-", "x-"},        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_csv_buf b = {0};
        gh_csv_cell(&b, cases[i].in);
        assert_string_equal(gh_csv_text(&b), cases[i].out);
        gh_csv_buf_free(&b);
    }
}

static void csv_list_items_escaped(void **state)
{
    (void)state;
    gh_csv_buf b = {0};
    gh_csv_list_item(&b, "Ops;Night", true);
    gh_csv_list_item(&b, "back\\slash", false);
    gh_csv_list_item(&b, "*", false);
    gh_csv_list_item(&b, "a*", false);
    assert_string_equal(gh_csv_text(&b), "Ops\\;Night;back\\\\slash;\\*;a*");
    gh_csv_buf_free(&b);
}

/* Reads every record of text into fields joined by '|' and records by '/' (bad ones as "!line"). */
static const char *csv_read_all(gh_arena *a, const char *text, size_t len)
{
    gh_csv_reader r;
    gh_csv_reader_init(&r, text, len);
    gh_csv_record rec;
    const char *why = NULL;
    const char *out = "";
    gh_csv_result res;
    while ((res = gh_csv_read(&r, a, &rec, &why)) != GH_CSV_END) {
        if (res == GH_CSV_BAD) {
            out = gh_arena_printf(a, "%s!%zu/", out, r.line);
            continue;
        }
        for (size_t i = 0; i < rec.n; i++)
            out = gh_arena_printf(a, "%s%s%s", out, i ? "|" : "", rec.fields[i]);
        out = gh_arena_printf(a, "%s@%zu/", out, rec.line);
    }
    return out;
}

/* Quotes, CRLF and LF, a byte-order mark, newlines inside quotes, blank lines, a last record
 * without a line end; bad records are reported and reading goes on at the next line. */
static void csv_reads_rfc4180(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a,b\r\nc,d\r\n", "a|b@1/c|d@2/"},
        {"a,b\nc,d", "a|b@1/c|d@2/"},
        {"\xEF\xBB\xBFuser,x\r\n", "user|x@1/"},
        {"\"a,b\",\"say \"\"hi\"\"\",\r\n", "a,b|say \"hi\"|@1/"},
        {"\"two\r\nlines\",x\r\nnext\r\n", "two\r\nlines|x@1/next@3/"},
        {"\r\n\na\r\n\r\nb", "a@3/b@5/"},
        {",,\r\n", "||@1/"},
        {"cr\rin,x\n", "cr\rin|x@1/"},
        {"ok\nbad\"quote\nok2\n", "ok@1/!3/ok2@3/"},
        {"\"closed\"x,y\nnext\n", "!2/next@2/"},
        {"a\n\"never closed\nb\n", "a@1/!4/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(csv_read_all(a, cases[i].in, strlen(cases[i].in)), cases[i].out);
    /* a NUL byte is refused, not taken for the end */
    assert_string_equal(csv_read_all(a, "a\0b\nc\n", 6), "!2/c@2/");
    gh_arena_free(a);
}

/* What the writer writes, the reader reads back, apostrophes and list escapes included. */
static void csv_round_trip(void **state)
{
    (void)state;
    static const char *const values[] = {"=1+1", "'x", "''", "a,\"b\"\r\nc", "@", "-", "plain", ""};
    gh_arena *a = gh_arena_new();
    gh_csv_buf b = {0};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        gh_csv_cell(&b, values[i]);
    gh_csv_end_row(&b);
    gh_csv_reader r;
    gh_csv_reader_init(&r, b.p, b.len);
    gh_csv_record rec;
    const char *why = NULL;
    assert_int_equal(gh_csv_read(&r, a, &rec, &why), GH_CSV_RECORD);
    assert_int_equal(rec.n, sizeof values / sizeof *values);
    for (size_t i = 0; i < rec.n; i++)
        assert_string_equal(gh_csv_value(rec.fields[i]), values[i]);
    assert_int_equal(gh_csv_read(&r, a, &rec, &why), GH_CSV_END);
    gh_csv_buf_free(&b);

    static const char *const items[] = {"Ops;Night", "back\\slash", "*", "x"};
    for (size_t i = 0; i < 4; i++)
        gh_csv_list_item(&b, items[i], i == 0);
    char **got = NULL;
    size_t n = 0;
    bool all = true;
    gh_csv_list(a, gh_csv_text(&b), &got, &n, &all);
    assert_false(all);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(got[i], items[i]);
    gh_csv_list(a, "*", &got, &n, &all);
    assert_true(all);
    assert_int_equal(n, 0);
    gh_csv_list(a, "", &got, &n, &all);
    assert_false(all);
    assert_int_equal(n, 0);
    gh_csv_buf_free(&b);
    gh_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_is_aligned_and_zeroed),
        cmocka_unit_test(arena_strings),
        cmocka_unit_test(arena_big_allocations),
        cmocka_unit_test(arena_free_null_is_noop),
        cmocka_unit_test(clock_format),
        cmocka_unit_test(clock_parse_accepts_rfc3339),
        cmocka_unit_test(clock_parse_rejects_garbage),
        cmocka_unit_test(clock_offset_moves_now),
        cmocka_unit_test(log_escape),
        cmocka_unit_test(log_escape_appends_and_truncates),
        cmocka_unit_test(log_writes_one_line),
        cmocka_unit_test(err_table),
        cmocka_unit_test(utf8_clean_keeps_valid_text),
        cmocka_unit_test(utf8_clean_replaces_invalid_sequences),
        cmocka_unit_test(utf8_clean_cuts_on_a_character_boundary),
        cmocka_unit_test(person_names_in_their_order),
        cmocka_unit_test(utf8_seq_lengths),
        cmocka_unit_test(csv_quotes_as_rfc4180),
        cmocka_unit_test(csv_neutralises_formulas),
        cmocka_unit_test(csv_list_items_escaped),
        cmocka_unit_test(csv_reads_rfc4180),
        cmocka_unit_test(csv_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
