/* Unit tests of util/metrics.c (and the text format of util/log.c): counters and histograms
 * bumped from many threads at once add up exactly, label values are escaped, a full family drops
 * new series and counts them, and the exposition text has HELP and TYPE for every family. Run
 * once under ThreadSanitizer too (cmake -DGH_TSAN=ON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/metrics.h"

#define THREADS 8
#define ROUNDS  20000

static const char *const routes[] = {"/a", "/b/{id}", "/c", "/d/{id}/e"};

static void *bump(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        const char *route = routes[(t + i) % 4];
        gh_metric_add(GH_M_HTTP_REQUESTS, 1, GH_LABELS(route, "GET", "200"));
        gh_metric_observe(GH_M_HTTP_DURATION, (double)(i % 7) * 0.004,
                          GH_LABELS(route, "GET", "200"));
    }
    return NULL;
}

/* The value of the line starting with prefix (its last field), or -1. */
static double line_value(const char *text, const char *prefix)
{
    for (const char *p = text; p != NULL && *p != '\0';
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            const char *end = strchr(p, '\n');
            const char *sp = end;
            while (sp > p && sp[-1] != ' ')
                sp--;
            return atof(sp);
        }
    return -1;
}

static void parallel_updates_add_up(void **state)
{
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, bump, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    int64_t total = 0;
    for (int r = 0; r < 4; r++) {
        int64_t v = gh_metric_value(GH_M_HTTP_REQUESTS, GH_LABELS(routes[r], "GET", "200"));
        assert_int_equal(v, THREADS * ROUNDS / 4);
        total += v;
    }
    assert_int_equal(total, THREADS * ROUNDS);
    char *text = NULL;
    size_t len = 0;
    assert_true(gh_metrics_render(&text, &len));
    assert_int_equal(strlen(text), len);
    double count = line_value(text, "gatehouse_http_request_duration_seconds_count{route=\"/"
                                    "a\",method=\"GET\",status=\"200\"}");
    double inf = line_value(text, "gatehouse_http_request_duration_seconds_bucket{route=\"/a\","
                                  "method=\"GET\",status=\"200\",le=\"+Inf\"}");
    double small = line_value(text, "gatehouse_http_request_duration_seconds_bucket{route=\"/a\","
                                    "method=\"GET\",status=\"200\",le=\"0.001\"}");
    assert_true(count == THREADS * ROUNDS / 4 && inf == count);
    /* i % 7 == 0 gives 0 s: a seventh of the observations, give or take the rounding per thread */
    assert_true(small > count / 7 - THREADS && small < count / 7 + THREADS);
    free(text);
}

static void labels_escaped_and_families_described(void **state)
{
    gh_metric_add(GH_M_DB_ERRORS, 2, GH_LABELS("a\"b\\c\nd\re"));
    assert_int_equal(gh_metric_value(GH_M_DB_ERRORS, GH_LABELS("a\"b\\c\nd\re")), 2);
    gh_metric_add(GH_M_LOCKOUTS, 0, NULL);
    char *text = NULL;
    size_t len = 0;
    assert_true(gh_metrics_render(&text, &len));
    assert_non_null(strstr(text, "gatehouse_db_errors_total{op=\"a\\\"b\\\\c\\nd?e\"} 2\n"));
    assert_non_null(strstr(text, "\ngatehouse_lockouts_total 0\n"));
    static const char *const names[] = {"gatehouse_http_requests_total", "gatehouse_lockouts_total",
                                        "gatehouse_build_info", "gatehouse_outbox_depth"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char help[128], type[128];
        snprintf(help, sizeof help, "# HELP %s ", names[i]);
        snprintf(type, sizeof type, "# TYPE %s ", names[i]);
        assert_non_null(strstr(text, help));
        assert_non_null(strstr(text, type));
    }
    free(text);
}

static void a_full_family_drops_and_counts(void **state)
{
    char label[16];
    for (int i = 0; i < 4; i++) { /* gatehouse_outbox_depth holds 4 series */
        snprintf(label, sizeof label, "q%d", i);
        gh_metric_set(GH_M_OUTBOX_DEPTH, i + 10, GH_LABELS(label));
    }
    int64_t before = gh_metric_value(GH_M_DROPPED, NULL);
    gh_metric_set(GH_M_OUTBOX_DEPTH, 99, GH_LABELS("one too many"));
    assert_int_equal(gh_metric_value(GH_M_DROPPED, NULL), before + 1);
    assert_int_equal(gh_metric_value(GH_M_OUTBOX_DEPTH, GH_LABELS("one too many")), 0);
    assert_int_equal(gh_metric_value(GH_M_OUTBOX_DEPTH, GH_LABELS("q3")), 13);
    gh_metric_set(GH_M_OUTBOX_DEPTH, -1, GH_LABELS("q3")); /* a gauge may go below zero */
    char *text = NULL;
    size_t len = 0;
    assert_true(gh_metrics_render(&text, &len));
    assert_non_null(strstr(text, "gatehouse_outbox_depth{queue=\"q3\"} -1\n"));
    free(text);
}

/* The text record of gh_log under GH_LOG_TEXT, into buf. */
static void text_log(char *buf, size_t cap)
{
    char path[] = "/tmp/gh-unit-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    gh_log_set_format(GH_LOG_TEXT);
    gh_log_request("rid-1");
    gh_log("warn", "user_event", "username", "evil\nname=\"x\"", "plain", "word", "empty", "",
           NULL);
    gh_log_request(NULL);
    gh_log_set_format(GH_LOG_JSON);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    ssize_t n = pread(fd, buf, cap - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    buf[n] = '\0';
}

static void text_log_is_one_escaped_line(void **state)
{
    char text[4096];
    text_log(text, sizeof text);
    size_t n = strlen(text);
    assert_ptr_equal(strchr(text, '\n'), &text[n - 1]);
    /* "HH:MM:SS warn user_event request_id=rid-1 username=..." */
    assert_true(n > 9 && text[2] == ':' && text[5] == ':' && text[8] == ' ');
    assert_string_equal(text + 9, "warn user_event request_id=rid-1 "
                                  "username=\"evil\\nname=\\\"x\\\"\" plain=word empty=\"\"\n");
    gh_log_format f = GH_LOG_JSON;
    assert_true(gh_log_parse_format("text", &f) && f == GH_LOG_TEXT);
    assert_false(gh_log_parse_format("xml", &f));
    assert_int_equal(f, GH_LOG_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parallel_updates_add_up),
        cmocka_unit_test(labels_escaped_and_families_described),
        cmocka_unit_test(a_full_family_drops_and_counts),
        cmocka_unit_test(text_log_is_one_escaped_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
