/* Per-request bump allocator. Everything allocated from an arena is freed at once by
 * gh_arena_free(). Allocation never returns NULL: running out of memory aborts the process (as
 * h2o does), which keeps every caller free of half-handled OOM paths. Not thread-safe: one
 * arena belongs to one request or one command. */
#ifndef GH_UTIL_ARENA_H
#define GH_UTIL_ARENA_H

#include <stddef.h>

typedef struct gh_arena gh_arena;

/* Returns a new arena; the caller frees it with gh_arena_free(). */
gh_arena *gh_arena_new(void);
/* Frees the arena and everything allocated from it; NULL is a no-op. */
void gh_arena_free(gh_arena *a);
/* Zeroed memory, aligned for any type. */
void *gh_arena_alloc(gh_arena *a, size_t size);
/* Copies of strings; a NULL source gives NULL. */
char *gh_arena_strdup(gh_arena *a, const char *s);
char *gh_arena_strndup(gh_arena *a, const char *s, size_t n);
char *gh_arena_printf(gh_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A string that grows in an arena: start with {.a = arena}; s is NUL-terminated once anything
 * was put (NULL before). The old copies stay in the arena until it is freed. */
typedef struct gh_sbuf {
    gh_arena *a;
    char *s;
    size_t len, cap;
} gh_sbuf;
void gh_sbuf_put(gh_sbuf *b, const char *s, size_t n);
void gh_sbuf_str(gh_sbuf *b, const char *s);

#endif
