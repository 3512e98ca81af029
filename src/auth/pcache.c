/* See pcache.h. A direct-mapped table: the slot of a key is a hash of its kind and hash string;
 * one mutex guards the table (a lookup is a copy of a few hundred bytes). */
#include "auth/pcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
/* Buffers of a slot: longer strings are not cached (the request reads the database instead).
 * Wide enough for every username, client address and kept User-Agent the server accepts. */
#define NAME_CHARS 128
#define IP_CHARS   64
#define UA_CHARS   256

typedef struct slot {
    bool used;
    gh_pcache_kind kind;
    char hash[GH_TOKEN_HASH_CHARS];
    gh_pcache_item item; /* its string pointers are not used: the buffers below are */
    char username[NAME_CHARS];
    char ip[IP_CHARS];
    char user_agent[UA_CHARS];
} slot;

struct gh_pcache {
    pthread_mutex_t mu;
    size_t n;
    slot *slots;
};

gh_err gh_pcache_open(size_t slots, gh_pcache **out)
{
    gh_pcache *c = calloc(1, sizeof *c);
    size_t n = slots != 0 ? slots : GH_PCACHE_DEFAULT_SLOTS;
    if (c == NULL || (c->slots = calloc(n, sizeof *c->slots)) == NULL) {
        free(c);
        return GH_ENOMEM;
    }
    c->n = n;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return GH_OK;
}

void gh_pcache_close(gh_pcache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

static slot *slot_of(gh_pcache *c, gh_pcache_kind kind, const char *hash)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;
    for (const char *p = hash; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return &c->slots[h % c->n];
}

static bool holds(const slot *s, gh_pcache_kind kind, const char *hash)
{
    return s->used && s->kind == kind && strcmp(s->hash, hash) == 0;
}

/* Copies src into dst (of cap bytes); false when it does not fit. NULL stays NULL (*is_null). */
static bool copy_in(char *dst, size_t cap, const char *src, bool *is_null)
{
    *is_null = src == NULL;
    if (src == NULL) {
        dst[0] = '\0';
        return true;
    }
    size_t n = strlen(src);
    if (n >= cap)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

bool gh_pcache_get(gh_pcache *c, gh_pcache_kind kind, const char *hash, gh_arena *a,
                   gh_pcache_item *out)
{
    if (c == NULL || strlen(hash) >= GH_TOKEN_HASH_CHARS)
        return false;
    pthread_mutex_lock(&c->mu);
    slot *s = slot_of(c, kind, hash);
    bool found = holds(s, kind, hash);
    if (found) {
        *out = s->item;
        out->who.username = gh_arena_strdup(a, s->username);
        out->session.ip = s->item.session.ip != NULL ? gh_arena_strdup(a, s->ip) : NULL;
        out->session.user_agent =
            s->item.session.user_agent != NULL ? gh_arena_strdup(a, s->user_agent) : NULL;
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

void gh_pcache_put(gh_pcache *c, gh_pcache_kind kind, const char *hash, const gh_pcache_item *item)
{
    if (c == NULL || strlen(hash) >= GH_TOKEN_HASH_CHARS)
        return;
    pthread_mutex_lock(&c->mu);
    slot *s = slot_of(c, kind, hash);
    bool null_name, null_ip, null_ua;
    bool fits = copy_in(s->username, sizeof s->username, item->who.username, &null_name) &&
                copy_in(s->ip, sizeof s->ip, item->session.ip, &null_ip) &&
                copy_in(s->user_agent, sizeof s->user_agent, item->session.user_agent, &null_ua) &&
                !null_name;
    s->used = fits;
    if (fits) {
        s->kind = kind;
        memcpy(s->hash, hash, strlen(hash) + 1);
        s->item = *item;
        s->item.who.access.ids = (gh_ids){NULL, 0};
        /* non-NULL marks "has a value": the text is in the slot's buffers */
        s->item.who.username = s->username;
        s->item.session.ip = null_ip ? NULL : s->ip;
        s->item.session.user_agent = null_ua ? NULL : s->user_agent;
    }
    pthread_mutex_unlock(&c->mu);
}

void gh_pcache_drop(gh_pcache *c, gh_pcache_kind kind, const char *hash)
{
    if (c == NULL || strlen(hash) >= GH_TOKEN_HASH_CHARS)
        return;
    pthread_mutex_lock(&c->mu);
    slot *s = slot_of(c, kind, hash);
    if (holds(s, kind, hash))
        s->used = false;
    pthread_mutex_unlock(&c->mu);
}

void gh_pcache_touch(gh_pcache *c, const char *hash, int64_t session_id, int64_t last_seen_at)
{
    if (c == NULL || strlen(hash) >= GH_TOKEN_HASH_CHARS)
        return;
    pthread_mutex_lock(&c->mu);
    slot *s = slot_of(c, GH_PCACHE_SESSION, hash);
    if (holds(s, GH_PCACHE_SESSION, hash) && s->item.session.id == session_id &&
        s->item.session.last_seen_at < last_seen_at)
        s->item.session.last_seen_at = last_seen_at;
    pthread_mutex_unlock(&c->mu);
}
