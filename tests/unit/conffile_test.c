/* Unit tests of cli/conffile: `name = value` lines with blanks and comments around them, values
 * holding `=` and spaces, CRLF line ends, a last line without its end, and the refusals (no `=`,
 * an empty name or value, a bad name, a NUL byte, a missing file) with the file and line named
 * and the line's text never repeated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/conffile.h"

/* A file holding len bytes of text; its path in path (cap bytes). */
static void write_file(char *path, size_t cap, const char *text, size_t len)
{
    snprintf(path, cap, "/tmp/gh-conffile-test-%ld.conf", (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static int read_text(const char *text, size_t len, gh_conf_file *out, char *why, size_t cap)
{
    char path[128];
    write_file(path, sizeof path, text, len);
    int rc = gh_conffile_read(path, out, why, cap);
    unlink(path);
    return rc;
}

static void settings_comments_and_blanks(void **state)
{
    (void)state;
    const char text[] = "# a comment\n"
                        "\n"
                        "   \t\n"
                        "listen = 127.0.0.1:8080\n"
                        "  smtp-url=smtp://mail:587?starttls=required  \r\n"
                        "   # indented comment\n"
                        "mail-from = Back Office <noreply@example.com>\n"
                        "password-min-length =20";
    gh_conf_file f;
    char why[200] = "";
    assert_int_equal(read_text(text, sizeof text - 1, &f, why, sizeof why), 0);
    assert_int_equal(f.n, 4);
    assert_string_equal(f.v[0].name, "listen");
    assert_string_equal(f.v[0].value, "127.0.0.1:8080");
    assert_int_equal(f.v[0].line, 4);
    assert_string_equal(f.v[1].name, "smtp-url");
    assert_string_equal(f.v[1].value, "smtp://mail:587?starttls=required");
    assert_string_equal(f.v[2].value, "Back Office <noreply@example.com>");
    assert_int_equal(f.v[2].line, 7);
    assert_string_equal(f.v[3].name, "password-min-length");
    assert_string_equal(f.v[3].value, "20");
    assert_int_equal(f.v[3].line, 8);
    gh_conffile_free(&f);
    gh_conffile_free(NULL);
}

static void bad_lines_name_their_line_not_their_text(void **state)
{
    (void)state;
    const struct {
        const char *text;
        const char *where;
    } cases[] = {
        {"listen = x\njust words with secret-ish text\n", ":2: not a `name = value` line"},
        {"= value\n", ":1: not a"},
        {"name =\n", ":1: not a"},
        {"name =   \n", ":1: not a"},
        {"Listen = x\n", ":1: not a"},
        {"li sten = x\n", ":1: not a"},
        {"a = b\n\n\nsmtp_url = x\n", ":4: not a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gh_conf_file f;
        char why[300] = "";
        assert_int_equal(read_text(cases[i].text, strlen(cases[i].text), &f, why, sizeof why), -1);
        assert_non_null(strstr(why, cases[i].where));
        assert_null(strstr(why, "secret-ish"));
    }
}

static void a_nul_byte_or_a_missing_file_is_refused(void **state)
{
    (void)state;
    gh_conf_file f;
    char why[300] = "";
    const char nul[] = "listen = a\0b\nthreads = 2\n";
    assert_int_equal(read_text(nul, sizeof nul - 1, &f, why, sizeof why), -1);
    assert_non_null(strstr(why, "NUL"));
    assert_int_equal(gh_conffile_read("/nonexistent/gatehouse.conf", &f, why, sizeof why), -1);
    assert_non_null(strstr(why, "/nonexistent/gatehouse.conf: cannot be read"));
}

static void an_empty_file_has_no_settings(void **state)
{
    (void)state;
    gh_conf_file f;
    char why[300] = "";
    assert_int_equal(read_text("", 0, &f, why, sizeof why), 0);
    assert_int_equal(f.n, 0);
    gh_conffile_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings_comments_and_blanks),
        cmocka_unit_test(bad_lines_name_their_line_not_their_text),
        cmocka_unit_test(a_nul_byte_or_a_missing_file_is_refused),
        cmocka_unit_test(an_empty_file_has_no_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
