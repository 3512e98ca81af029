/* The metrics registry; see metrics.h. Each family owns a fixed array of series, found by the
 * hash of their rendered label text with linear probing. A series is claimed once (empty ->
 * writing -> ready, by compare-and-swap) and never moves or goes away, so readers need no lock:
 * they skip slots that are not ready yet. */
#include "util/metrics.h"

#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_BYTES 256
/* v[0 .. GH_METRIC_NBUCKETS-1]: observations per bucket (not cumulative), v[NBUCKETS]: those
 * above the last bound, v[NBUCKETS+1]: the sum in nanoseconds. A counter or gauge uses v[0]. */
#define SLOTS (GH_METRIC_NBUCKETS + 2)

enum { EMPTY, WRITING, READY };

typedef struct series {
    atomic_int state;
    char key[KEY_BYTES]; /* the label text inside the braces: route="/x",status="200" */
    atomic_ullong v[SLOTS];
} series;

typedef struct family {
    const char *name, *labels, *help;
    gh_metric_type type;
    size_t max;
    series *s;
} family;

#define GH_METRIC_STORE(id, type, name, labels, max, help) static series store_##id[max];
GH_METRICS(GH_METRIC_STORE)
#undef GH_METRIC_STORE

static family families[GH_METRIC_COUNT] = {
#define GH_METRIC_FAMILY(id, type, name, labels, max, help)                                        \
    [id] = {name, labels, help, GH_METRIC_##type, max, store_##id},
    GH_METRICS(GH_METRIC_FAMILY)
#undef GH_METRIC_FAMILY
};

static const double bounds[GH_METRIC_NBUCKETS] = GH_METRIC_BUCKETS;

/* Appends v to key as a label value: backslash, double quote and newline escaped (the format's
 * only escapes); other control characters become '?' so that a record stays one line. */
static void put_value(char *key, size_t cap, size_t *len, const char *v)
{
    for (const char *p = v != NULL ? v : ""; *p != '\0' && *len + 3 < cap; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            key[(*len)++] = '\\';
            key[(*len)++] = *p == '\n' ? 'n' : *p;
        } else {
            key[(*len)++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
        }
    }
}

/* The label text of f's series for labels into key: name="value",... */
static void render_key(const family *f, const char *const *labels, char *key)
{
    size_t len = 0;
    const char *name = f->labels;
    for (int i = 0; *name != '\0'; i++) {
        size_t n = strcspn(name, ",");
        if (len + n + 8 < KEY_BYTES) {
            if (len > 0)
                key[len++] = ',';
            memcpy(key + len, name, n);
            len += n;
            key[len++] = '=';
            key[len++] = '"';
            put_value(key, KEY_BYTES - 2, &len, labels != NULL ? labels[i] : NULL);
            key[len++] = '"';
        }
        name += n + (name[n] == ',');
    }
    key[len] = '\0';
}

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The series of f for labels, made when new; NULL when f is full. */
static series *find(family *f, const char *const *labels)
{
    char key[KEY_BYTES];
    render_key(f, labels, key);
    size_t start = (size_t)(hash_key(key) % f->max);
    for (size_t i = 0; i < f->max; i++) {
        series *s = &f->s[(start + i) % f->max];
        int st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st == EMPTY &&
            atomic_compare_exchange_strong_explicit(&s->state, &st, WRITING, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            memcpy(s->key, key, sizeof key);
            atomic_store_explicit(&s->state, READY, memory_order_release);
            return s;
        }
        while (st == WRITING) { /* another thread is writing this slot's key: a few stores */
            sched_yield();
            st = atomic_load_explicit(&s->state, memory_order_acquire);
        }
        if (strcmp(s->key, key) == 0)
            return s;
    }
    if (f != &families[GH_M_DROPPED]) {
        series *dropped = find(&families[GH_M_DROPPED], NULL);
        if (dropped != NULL)
            atomic_fetch_add_explicit(&dropped->v[0], 1, memory_order_relaxed);
    }
    return NULL;
}

void gh_metric_add(gh_metric_id id, uint64_t n, const char *const *labels)
{
    series *s = find(&families[id], labels);
    if (s != NULL && n > 0)
        atomic_fetch_add_explicit(&s->v[0], n, memory_order_relaxed);
}

void gh_metric_set(gh_metric_id id, int64_t value, const char *const *labels)
{
    series *s = find(&families[id], labels);
    if (s != NULL)
        atomic_store_explicit(&s->v[0], (unsigned long long)value, memory_order_relaxed);
}

void gh_metric_observe(gh_metric_id id, double seconds, const char *const *labels)
{
    series *s = find(&families[id], labels);
    if (s == NULL)
        return;
    if (!(seconds >= 0)) /* negative or NaN: a clock that stepped back */
        seconds = 0;
    int b = 0;
    while (b < GH_METRIC_NBUCKETS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&s->v[b], 1, memory_order_relaxed);
    double ns = seconds * 1e9;
    atomic_fetch_add_explicit(&s->v[GH_METRIC_NBUCKETS + 1],
                              ns < 1.8e19 ? (unsigned long long)ns : 0, memory_order_relaxed);
}

int64_t gh_metric_value(gh_metric_id id, const char *const *labels)
{
    family *f = &families[id];
    char key[KEY_BYTES];
    render_key(f, labels, key);
    for (size_t i = 0; i < f->max; i++)
        if (atomic_load_explicit(&f->s[i].state, memory_order_acquire) == READY &&
            strcmp(f->s[i].key, key) == 0)
            return (int64_t)atomic_load_explicit(&f->s[i].v[0], memory_order_relaxed);
    return 0;
}

/* ---- rendering ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

__attribute__((format(printf, 2, 3))) static void bprintf(buf *b, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !b->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* name{key} or name{key,extra} or name{extra} or name. */
static void series_name(buf *b, const char *name, const char *suffix, const char *key,
                        const char *extra)
{
    bool braces = key[0] != '\0' || extra != NULL;
    bprintf(b, "%s%s%s%s%s%s%s", name, suffix, braces ? "{" : "", key,
            key[0] != '\0' && extra != NULL ? "," : "", extra != NULL ? extra : "",
            braces ? "}" : "");
}

static void render_histogram(buf *b, const family *f, series *s)
{
    unsigned long long total = 0;
    for (int i = 0; i <= GH_METRIC_NBUCKETS; i++) {
        total += atomic_load_explicit(&s->v[i], memory_order_relaxed);
        char le[32];
        if (i < GH_METRIC_NBUCKETS)
            snprintf(le, sizeof le, "le=\"%g\"", bounds[i]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        series_name(b, f->name, "_bucket", s->key, le);
        bprintf(b, " %llu\n", total);
    }
    unsigned long long ns =
        atomic_load_explicit(&s->v[GH_METRIC_NBUCKETS + 1], memory_order_relaxed);
    series_name(b, f->name, "_sum", s->key, NULL);
    bprintf(b, " %.9f\n", (double)ns / 1e9);
    series_name(b, f->name, "_count", s->key, NULL);
    bprintf(b, " %llu\n", total);
}

static void render_family(buf *b, const family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->type]);
    for (size_t i = 0; i < f->max; i++) {
        series *s = &f->s[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) != READY)
            continue;
        if (f->type == GH_METRIC_HISTOGRAM) {
            render_histogram(b, f, s);
            continue;
        }
        unsigned long long v = atomic_load_explicit(&s->v[0], memory_order_relaxed);
        series_name(b, f->name, "", s->key, NULL);
        if (f->type == GH_METRIC_GAUGE)
            bprintf(b, " %lld\n", (long long)v);
        else
            bprintf(b, " %llu\n", v);
    }
}

bool gh_metrics_render(char **out, size_t *len)
{
    buf b = {.p = malloc(16384), .cap = 16384};
    if (b.p == NULL)
        return false;
    b.p[0] = '\0';
    for (int id = 0; id < GH_METRIC_COUNT; id++)
        render_family(&b, &families[id]);
    if (b.failed) {
        free(b.p);
        return false;
    }
    *out = b.p;
    *len = b.len;
    return true;
}
