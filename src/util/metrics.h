/* The process's Prometheus metrics: a fixed catalogue of families (GH_METRICS below), each with a
 * fixed list of label names, and series made on first use for each set of label values. Counters
 * and histograms are bumped from any thread without a lock (C11 atomics); gauges are set, most of
 * them at scrape time by whoever knows the figure. gh_metrics_render writes the text exposition
 * format 0.0.4, with HELP and TYPE for every family.
 *
 * Adding a metric: one X(...) line in GH_METRICS (id, type, name, label names joined by commas,
 * the number of series it may hold, help text), then gh_metric_add / gh_metric_observe /
 * gh_metric_set where the event happens. Label values must come from a fixed set (route
 * patterns, factor names, outcomes), never from a request's raw input: every set of values is a
 * series kept for the life of the process. When a family is full, new series are dropped and
 * counted in gatehouse_metrics_series_dropped_total. */
#ifndef GH_UTIL_METRICS_H
#define GH_UTIL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { GH_METRIC_COUNTER, GH_METRIC_GAUGE, GH_METRIC_HISTOGRAM } gh_metric_type;

/* X(id, type, name, labels, max_series, help) */
#define GH_METRICS(X)                                                                              \
    X(GH_M_BUILD_INFO, GAUGE, "gatehouse_build_info",                                              \
      "version,commit,sqlite,libpq,libmicrohttpd,libsodium,libcurl,jansson", 1,                    \
      "The version and commit of this build and the library versions it runs with (always 1).")    \
    X(GH_M_HTTP_REQUESTS, COUNTER, "gatehouse_http_requests_total", "route,method,status", 2048,   \
      "HTTP requests answered, by route pattern (unmatched for unknown paths), method and "        \
      "status.")                                                                                   \
    X(GH_M_HTTP_DURATION, HISTOGRAM, "gatehouse_http_request_duration_seconds",                    \
      "route,method,status", 2048,                                                                 \
      "Time from a request's headers to its answer, by route pattern, method and status.")         \
    X(GH_M_HTTP_CONNECTIONS, GAUGE, "gatehouse_http_connections", "", 1,                           \
      "Open client connections.")                                                                  \
    X(GH_M_HTTP_IN_FLIGHT, GAUGE, "gatehouse_http_requests_in_flight", "", 1,                      \
      "Requests whose headers are in and whose answer is not sent yet.")                           \
    X(GH_M_SIGNINS, COUNTER, "gatehouse_signin_attempts_total", "factor,outcome", 64,              \
      "Sign-in steps by factor and outcome (success, failure, throttled).")                        \
    X(GH_M_LOCKOUTS, COUNTER, "gatehouse_lockouts_total", "", 1,                                   \
      "Accounts banned after too many failed sign-in steps in a row.")                             \
    X(GH_M_HASH_QUEUE, GAUGE, "gatehouse_argon2_queue_depth", "", 1,                               \
      "Argon2id checks waiting for a worker.")                                                     \
    X(GH_M_HASH_QUEUE_CAP, GAUGE, "gatehouse_argon2_queue_capacity", "", 1,                        \
      "Argon2id checks that may wait before sign-ins get 429.")                                    \
    X(GH_M_OUTBOX_DEPTH, GAUGE, "gatehouse_outbox_depth", "queue", 4,                              \
      "Messages waiting for delivery, by queue (mail, webhooks).")                                 \
    X(GH_M_DELIVERY_FAILURES, COUNTER, "gatehouse_delivery_failures_total", "queue,result", 8,     \
      "Failed delivery attempts by queue (mail, webhooks) and result (retry: tried again later, "  \
      "failed: given up).")                                                                        \
    X(GH_M_DB_ERRORS, COUNTER, "gatehouse_db_errors_total", "op", 16,                              \
      "Database errors by operation (connect, prepare, step, exec, commit).")                      \
    X(GH_M_DROPPED, COUNTER, "gatehouse_metrics_series_dropped_total", "", 1,                      \
      "Updates dropped because their metric family had no room for another series.")

#define GH_METRIC_ENUM(id, type, name, labels, max, help) id,
typedef enum { GH_METRICS(GH_METRIC_ENUM) GH_METRIC_COUNT } gh_metric_id;
#undef GH_METRIC_ENUM

/* Histogram buckets (upper bounds in seconds; +Inf is implied). */
#define GH_METRIC_BUCKETS                                                                          \
    {                                                                                              \
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10                     \
    }
#define GH_METRIC_NBUCKETS 13

/* Label values for a family, in the order of its label names; NULL for a family without labels.
 * GH_LABELS("a", "b") writes such an array in place. */
#define GH_LABELS(...) ((const char *const[]){__VA_ARGS__})

/* Adds n to a counter's series of these label values (made at 0 first when new). n 0 makes the
 * series without moving it: families with a known set of values show all of them from the
 * start. Thread-safe, lock-free. */
void gh_metric_add(gh_metric_id id, uint64_t n, const char *const *labels);
/* Records one observation of seconds into a histogram. Thread-safe, lock-free. */
void gh_metric_observe(gh_metric_id id, double seconds, const char *const *labels);
/* Sets a gauge. Thread-safe, lock-free. */
void gh_metric_set(gh_metric_id id, int64_t value, const char *const *labels);
/* The counter's or gauge's value of a series (0 when it does not exist): for tests. */
int64_t gh_metric_value(gh_metric_id id, const char *const *labels);

/* The exposition text of every family into *out (malloc'd, NUL-terminated; the caller frees it)
 * and *len. False when memory ran out (nothing written). Thread-safe; a series made during
 * the call may or may not appear. */
bool gh_metrics_render(char **out, size_t *len);

#endif
