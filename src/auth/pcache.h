/* The per-instance principal cache (issue 13; SECURITY C5, S4): token hash or session hash ->
 * the principal behind it (user, permission mask, scope), the session's record, and the
 * revocation counters (gh_auth_stamp) read in the same snapshot as that principal.
 *
 * The cache never decides alone. An item is only a candidate: the caller (core/session.c) reads
 * the counters again in the request's own snapshot and uses the item only when both are equal to
 * the item's and its time limits (token expiry, session expiry and idleness) still hold;
 * otherwise it loads the principal from the database and puts the fresh one here. Every write
 * that narrows (or widens) a principal moves a counter in its own transaction (migration 010), so
 * a request whose snapshot sees that write never uses an item read before it, on any instance.
 *
 * Bounded: a fixed table of slots allocated once (calloc: pages a slot never used cost no
 * memory); a new item replaces whatever held its slot. Strings that do not fit a slot's buffers
 * are not cached (the request then reads the database, as without a cache). Thread-safe (one
 * lock); open and close run before and after the threads that use it. */
#ifndef GH_AUTH_PCACHE_H
#define GH_AUTH_PCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define GH_PCACHE_DEFAULT_SLOTS 4096

typedef struct gh_pcache gh_pcache;

typedef enum { GH_PCACHE_TOKEN, GH_PCACHE_SESSION } gh_pcache_kind;

typedef struct gh_pcache_item {
    gh_principal who;   /* access.ids are never held (the scope queries read them) */
    gh_session session; /* GH_PCACHE_SESSION only */
    gh_auth_stamp stamp;
} gh_pcache_item;

/* A cache of `slots` items (0: GH_PCACHE_DEFAULT_SLOTS) into *out; the caller frees it with
 * gh_pcache_close(). GH_ENOMEM. */
gh_err gh_pcache_open(size_t slots, gh_pcache **out) GH_MUST_USE;
/* Frees the cache; NULL is a no-op. */
void gh_pcache_close(gh_pcache *c);
/* The item of (kind, hash) into *out, its strings copied into a; false when none is held. */
bool gh_pcache_get(gh_pcache *c, gh_pcache_kind kind, const char *hash, gh_arena *a,
                   gh_pcache_item *out);
/* Holds a copy of item under (kind, hash), replacing what held its slot; an item whose strings
 * do not fit is not held (and an older item of the same key is dropped). */
void gh_pcache_put(gh_pcache *c, gh_pcache_kind kind, const char *hash, const gh_pcache_item *item);
/* Forgets the item of (kind, hash), if held. */
void gh_pcache_drop(gh_pcache *c, gh_pcache_kind kind, const char *hash);
/* Records that session session_id (held under hash) was seen at last_seen_at in the database. */
void gh_pcache_touch(gh_pcache *c, const char *hash, int64_t session_id, int64_t last_seen_at);

#endif
