/* See fake_mhd.h. Header names compare without case, arguments exactly, as in libmicrohttpd. */
#include <string.h>
#include <strings.h>

#include "fake_mhd.h"

void gh_fake_reset(struct MHD_Connection *c)
{
    c->n = 0;
}

void gh_fake_add(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key,
                 const char *value)
{
    if (c->n < GH_FAKE_MAX_VALUES)
        c->v[c->n++] = (gh_fake_value){kind, key, value};
}

static int same_key(enum MHD_ValueKind kind, const char *a, const char *b)
{
    return kind == MHD_GET_ARGUMENT_KIND ? strcmp(a, b) == 0 : strcasecmp(a, b) == 0;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                        const char *key)
{
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if ((c->v[i].kind & kind) != 0 && key != NULL && same_key(c->v[i].kind, c->v[i].key, key))
            return c->v[i].value;
    return NULL;
}

int MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator it, void *cls)
{
    if (c == NULL)
        return -1;
    int count = 0;
    for (size_t i = 0; i < c->n; i++) {
        if ((c->v[i].kind & kind) == 0)
            continue;
        count++;
        if (it != NULL && it(cls, c->v[i].kind, c->v[i].key, c->v[i].value) != MHD_YES)
            break;
    }
    return count;
}
