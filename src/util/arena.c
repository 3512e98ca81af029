/* A list of chunks; large requests get a chunk of their own. */
#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 8192

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
} chunk;

struct gh_arena {
    chunk *head;
};

static void *xcalloc(size_t n)
{
    void *p = calloc(1, n);
    if (p == NULL) {
        fputs("{\"level\":\"fatal\",\"event\":\"out_of_memory\"}\n", stderr);
        abort();
    }
    return p;
}

gh_arena *gh_arena_new(void)
{
    return xcalloc(sizeof(gh_arena));
}

void gh_arena_free(gh_arena *a)
{
    if (a == NULL)
        return;
    chunk *c = a->head;
    while (c != NULL) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *gh_arena_alloc(gh_arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    chunk *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        chunk *n = xcalloc(sizeof(chunk) + cap);
        n->size = cap;
        if (size > CHUNK_SIZE && c != NULL) {
            /* keep the partly used chunk at the head for later small allocations */
            n->next = c->next;
            c->next = n;
            n->used = size;
            return n->data;
        }
        n->next = c;
        a->head = c = n;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

char *gh_arena_strndup(gh_arena *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *d = gh_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gh_arena_strdup(gh_arena *a, const char *s)
{
    return s == NULL ? NULL : gh_arena_strndup(a, s, strlen(s));
}

char *gh_arena_printf(gh_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return gh_arena_strdup(a, "");
    char *d = gh_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void gh_sbuf_put(gh_sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = gh_arena_alloc(b->a, cap);
        if (b->len > 0)
            memcpy(p, b->s, b->len);
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void gh_sbuf_str(gh_sbuf *b, const char *s)
{
    gh_sbuf_put(b, s, strlen(s));
}
