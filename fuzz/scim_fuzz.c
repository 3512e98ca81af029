/* libFuzzer target: the SCIM filter parser (core/scim_filter.c) of GET /scim/v2/Users and
 * /Groups (SECURITY.md I7, I1: a filter becomes a tree of values, never SQL text).
 *
 * Input: one byte choosing the resource (even: Users, odd: Groups), then the filter text (cut at
 * its first NUL, as a query parameter is).
 *
 * Checks besides crashes and sanitizer reports:
 *  - a refusal always carries a non-empty sentence (the SCIM error's detail);
 *  - an accepted tree is well formed: AND/OR have both sides, NOT one, a comparison's attribute
 *    belongs to the resource, at most GH_SCIM_FILTER_MAX_CMP comparisons (a members comparison
 *    weighing four), and its text (if any) is a NUL-free string no longer than the input;
 *  - text longer than GH_SCIM_FILTER_MAX_BYTES is always refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "scim_fuzz: check failed at line %d: %s\n", __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool of_users(gh_scim_attr a)
{
    return a <= GH_SA_LAST_MODIFIED || a == GH_SA_GROUP;
}

/* Walks f; returns the weight of its comparisons. */
static int walk(const gh_scim_filter *f, gh_scim_resource res, size_t len, int depth)
{
    CHECK(f != NULL && depth < 200);
    switch (f->node) {
    case GH_SF_AND:
    case GH_SF_OR:
        return walk(f->l, res, len, depth + 1) + walk(f->r, res, len, depth + 1);
    case GH_SF_NOT:
        return walk(f->l, res, len, depth + 1);
    case GH_SF_CONST:
        CHECK(res == GH_SCIM_USERS);
        return 0;
    case GH_SF_CMP:
        CHECK(res == GH_SCIM_USERS ? of_users(f->attr) : !of_users(f->attr));
        CHECK(f->op <= GH_SO_LE);
        if (f->text != NULL)
            CHECK(strlen(f->text) <= 4 * len);
        return f->attr == GH_SA_MEMBER ? 4 : 1;
    }
    CHECK(!"unknown node");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    gh_scim_resource res = (data[0] & 1) ? GH_SCIM_GROUPS : GH_SCIM_USERS;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = strlen(text);
    gh_arena *a = gh_arena_new();
    const gh_scim_filter *f = NULL;
    const char *detail = NULL;
    if (gh_scim_filter_parse(a, res, text, &f, &detail)) {
        CHECK(len <= GH_SCIM_FILTER_MAX_BYTES);
        CHECK(walk(f, res, len, 0) <= GH_SCIM_FILTER_MAX_CMP);
    } else {
        CHECK(detail != NULL && detail[0] != '\0');
    }
    gh_arena_free(a);
    free(text);
    return 0;
}
