/* See perms.h. */
#include "core/perms.h"

#include <string.h>

static const char *const names[] = {
#define GH_PERM_NAME(id, name, text) name,
    GH_PERMS(GH_PERM_NAME)
#undef GH_PERM_NAME
};

static const char *const texts[] = {
#define GH_PERM_TEXT(id, name, text) text,
    GH_PERMS(GH_PERM_TEXT)
#undef GH_PERM_TEXT
};

const char *gh_perm_name(int i)
{
    return i >= 0 && i < GH_PERM_COUNT ? names[i] : NULL;
}

const char *gh_perm_text(int i)
{
    return i >= 0 && i < GH_PERM_COUNT ? texts[i] : NULL;
}

uint64_t gh_perm_from_name(const char *name)
{
    for (int i = 0; i < GH_PERM_COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return (uint64_t)1 << i;
    return 0;
}

uint64_t gh_perm_effective(const gh_principal *p)
{
    return p->superadmin ? GH_PERM_ALL : (p->perms & GH_PERM_ALL);
}

bool gh_perm_has(const gh_principal *p, uint64_t mask)
{
    return (gh_perm_effective(p) & mask) == mask;
}
