/* See model.h: the state names and the permission catalogue. */
#include "model/model.h"

#include <string.h>

/* One name table and its two converters per state list. */
#define GH_MODEL_NAME(id, name) [id] = name,
#define GH_MODEL_DEFINE(type, list)                                                                \
    static const char *const type##_names[] = {list(GH_MODEL_NAME)};                               \
    const char *type##_name(type v)                                                                \
    {                                                                                              \
        size_t i = (size_t)v;                                                                      \
        return i < sizeof type##_names / sizeof type##_names[0] ? type##_names[i] : "?";           \
    }                                                                                              \
    bool type##_parse(const char *s, type *out)                                                    \
    {                                                                                              \
        for (size_t i = 0; s != NULL && i < sizeof type##_names / sizeof type##_names[0]; i++)     \
            if (strcmp(s, type##_names[i]) == 0) {                                                 \
                *out = (type)i;                                                                    \
                return true;                                                                       \
            }                                                                                      \
        return false;                                                                              \
    }
GH_MODEL_DEFINE(gh_access_level, GH_ACCESS_LEVELS)
GH_MODEL_DEFINE(gh_user_status, GH_USER_STATUSES)
GH_MODEL_DEFINE(gh_signin_stage, GH_SIGNIN_STAGES)
GH_MODEL_DEFINE(gh_tenant_kind, GH_TENANT_KINDS)
GH_MODEL_DEFINE(gh_role_kind, GH_ROLE_KINDS)
GH_MODEL_DEFINE(gh_link_purpose, GH_LINK_PURPOSES)
GH_MODEL_DEFINE(gh_link_state, GH_LINK_STATES)
GH_MODEL_DEFINE(gh_mail_state, GH_MAIL_STATES)
#undef GH_MODEL_DEFINE
#undef GH_MODEL_NAME

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

bool gh_user_list_status_parse(const char *s, gh_user_list_status *out)
{
    static const gh_user_list_status of_status[] = {
        [GH_STATUS_INVITED] = GH_LIST_INVITED,
        [GH_STATUS_ACTIVE] = GH_LIST_ACTIVE,
        [GH_STATUS_DISABLED] = GH_LIST_DISABLED,
        [GH_STATUS_DELETED] = GH_LIST_DELETED,
    };
    gh_user_status status;
    if (s != NULL && strcmp(s, "banned") == 0)
        *out = GH_LIST_BANNED;
    else if (gh_user_status_parse(s, &status))
        *out = of_status[status];
    else
        return false;
    return true;
}
