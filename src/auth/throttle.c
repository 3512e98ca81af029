/* See throttle.h. */
#include "auth/throttle.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WAYS      8  /* addresses per set: the most a lookup compares */
#define KEY_BYTES 17 /* family (4, 6 or 0) and up to 16 bytes of address */

typedef struct entry {
    unsigned char key[KEY_BYTES];
    bool used;
    int64_t head;                         /* the second the newest counter stands for */
    int64_t noted;                        /* when a refusal was last reported as first */
    uint32_t total;                       /* sum of count[] */
    uint16_t count[GH_THROTTLE_WINDOW_S]; /* attempts in second s, at s % GH_THROTTLE_WINDOW_S */
} entry;

typedef struct set {
    pthread_mutex_t mu;
    entry e[WAYS];
} set;

struct gh_throttle {
    set *sets;
    size_t n_sets; /* a power of two */
    uint32_t limit;
    unsigned char hash_key[crypto_shorthash_KEYBYTES]; /* random: collisions cannot be aimed */
};

gh_err gh_throttle_start(int per_minute, int addresses, gh_throttle **out)
{
    if (per_minute < 1 || per_minute > GH_THROTTLE_MAX_RATE || addresses < 1)
        return GH_EINVAL;
    if (sodium_init() < 0)
        return GH_EINTERNAL;
    size_t n = 1;
    while (n * WAYS < (size_t)addresses)
        n *= 2;
    gh_throttle *t = calloc(1, sizeof *t);
    set *s = calloc(n, sizeof *s);
    if (t == NULL || s == NULL) {
        free(t);
        free(s);
        return GH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        pthread_mutex_init(&s[i].mu, NULL);
    randombytes_buf(t->hash_key, sizeof t->hash_key);
    t->limit = (uint32_t)per_minute;
    t->n_sets = n;
    t->sets = s;
    *out = t;
    return GH_OK;
}

void gh_throttle_stop(gh_throttle *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_sets; i++)
        pthread_mutex_destroy(&t->sets[i].mu);
    free(t->sets);
    sodium_memzero(t->hash_key, sizeof t->hash_key);
    free(t);
}

/* The key of an address: IPv4 whole (an IPv4-mapped IPv6 address too), IPv6 by its /64. */
static void make_key(const char *addr, unsigned char key[KEY_BYTES])
{
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    unsigned char a[16];
    memset(key, 0, KEY_BYTES);
    if (inet_pton(AF_INET, addr, a) == 1) {
        key[0] = 4;
        memcpy(key + 1, a, 4);
    } else if (inet_pton(AF_INET6, addr, a) == 1 && memcmp(a, v4_mapped, 12) == 0) {
        key[0] = 4;
        memcpy(key + 1, a + 12, 4);
    } else if (inet_pton(AF_INET6, addr, a) == 1) {
        key[0] = 6;
        memcpy(key + 1, a, 8);
    }
}

static set *set_of(const gh_throttle *t, const unsigned char key[KEY_BYTES])
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v = 0;
    crypto_shorthash(h, key, KEY_BYTES, t->hash_key);
    memcpy(&v, h, sizeof v);
    return &t->sets[v & (t->n_sets - 1)];
}

static size_t slot(int64_t second)
{
    return (size_t)(((second % GH_THROTTLE_WINDOW_S) + GH_THROTTLE_WINDOW_S) %
                    GH_THROTTLE_WINDOW_S);
}

/* Drops the counters that left the window by now. A clock that stepped back keeps counting in
 * the newest second. */
static void age(entry *e, int64_t now)
{
    if (now <= e->head)
        return;
    if (now - e->head >= GH_THROTTLE_WINDOW_S) {
        memset(e->count, 0, sizeof e->count);
        e->total = 0;
    } else {
        for (int64_t s = e->head + 1; s <= now; s++) {
            e->total -= e->count[slot(s)];
            e->count[slot(s)] = 0;
        }
    }
    e->head = now;
}

static entry *find(set *s, const unsigned char key[KEY_BYTES])
{
    for (int i = 0; i < WAYS; i++)
        if (s->e[i].used && memcmp(s->e[i].key, key, KEY_BYTES) == 0)
            return &s->e[i];
    return NULL;
}

/* A way for a new address: a free one, else the one with the fewest failures in the window
 * (the least recently counted among equals): forgetting it gives away the least. */
static entry *claim(set *s, const unsigned char key[KEY_BYTES], int64_t now)
{
    entry *victim = NULL;
    for (int i = 0; i < WAYS; i++) {
        entry *e = &s->e[i];
        if (!e->used) {
            victim = e;
            break;
        }
        age(e, now);
        if (victim == NULL || e->total < victim->total ||
            (e->total == victim->total && e->head < victim->head))
            victim = e;
    }
    memset(victim, 0, sizeof *victim);
    memcpy(victim->key, key, KEY_BYTES);
    victim->used = true;
    victim->head = now;
    victim->noted = INT64_MIN / 2;
    return victim;
}

/* Seconds until the oldest counted attempt leaves the window. */
static int64_t retry_after(const entry *e, int64_t now)
{
    for (int64_t s = e->head - GH_THROTTLE_WINDOW_S + 1; s <= e->head; s++)
        if (e->count[slot(s)] > 0)
            return s + GH_THROTTLE_WINDOW_S - now > 0 ? s + GH_THROTTLE_WINDOW_S - now : 1;
    return 1;
}

gh_err gh_throttle_take(gh_throttle *t, const char *addr, int64_t now, int64_t *retry_after_s,
                        bool *first_refusal)
{
    if (t == NULL)
        return GH_OK;
    unsigned char key[KEY_BYTES];
    make_key(addr != NULL ? addr : "", key);
    set *s = set_of(t, key);
    pthread_mutex_lock(&s->mu);
    entry *e = find(s, key);
    if (e != NULL)
        age(e, now);
    if (e != NULL && e->total >= t->limit) {
        bool first = now - e->noted >= GH_THROTTLE_WINDOW_S;
        if (first)
            e->noted = now;
        int64_t wait = retry_after(e, now);
        pthread_mutex_unlock(&s->mu);
        *retry_after_s = wait;
        *first_refusal = first;
        return GH_ERATE;
    }
    if (e == NULL)
        e = claim(s, key, now);
    e->count[slot(e->head)]++;
    e->total++;
    pthread_mutex_unlock(&s->mu);
    return GH_OK;
}

void gh_throttle_give_back(gh_throttle *t, const char *addr, int64_t now)
{
    if (t == NULL)
        return;
    unsigned char key[KEY_BYTES];
    make_key(addr != NULL ? addr : "", key);
    set *s = set_of(t, key);
    pthread_mutex_lock(&s->mu);
    entry *e = find(s, key);
    if (e != NULL) {
        age(e, now);
        for (int64_t sec = e->head; sec > e->head - GH_THROTTLE_WINDOW_S; sec--) {
            if (e->count[slot(sec)] > 0) {
                e->count[slot(sec)]--;
                e->total--;
                break;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
}
