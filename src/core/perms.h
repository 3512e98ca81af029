/* The fixed permission catalogue. A role's permissions are a bit mask over it; effective
 * permissions are the union over a user's roles and its groups' roles. Thread-safe (constant). */
#ifndef GH_CORE_PERMS_H
#define GH_CORE_PERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define GH_PERMS(X)                                                                                \
    X(USERS_READ, "users.read", "See back-office users")                                           \
    X(USERS_CREATE, "users.create", "Add back-office users")                                       \
    X(USERS_UPDATE, "users.update", "Edit back-office users")                                      \
    X(USERS_DISABLE, "users.disable", "Disable and enable back-office users")                      \
    X(USERS_DELETE, "users.delete", "Delete back-office users")                                    \
    X(USERS_ONBOARD, "users.onboard", "Send onboarding e-mails")                                   \
    X(USERS_MFA_RESET, "users.mfa_reset", "Refresh two-factor authentication")                     \
    X(USERS_UNBAN, "users.unban", "Unban users")                                                   \
    X(USERS_FORCE_RESET, "users.force_reset", "Force password reset")                              \
    X(ROLES_READ, "roles.read", "See roles")                                                       \
    X(ROLES_CREATE, "roles.create", "Add roles")                                                   \
    X(ROLES_UPDATE, "roles.update", "Edit roles")                                                  \
    X(ROLES_DELETE, "roles.delete", "Delete roles")                                                \
    X(GROUPS_READ, "groups.read", "See groups")                                                    \
    X(GROUPS_CREATE, "groups.create", "Add groups")                                                \
    X(GROUPS_UPDATE, "groups.update", "Edit groups")                                               \
    X(GROUPS_DELETE, "groups.delete", "Delete groups")                                             \
    X(TENANTS_READ, "tenants.read", "See service providers and accounts")                          \
    X(TENANTS_CREATE, "tenants.create", "Add service providers and accounts")                      \
    X(TENANTS_UPDATE, "tenants.update", "Rename service providers and accounts")                   \
    X(TENANTS_DELETE, "tenants.delete", "Remove service providers and accounts")                   \
    X(AUDIT_READ, "audit.read", "Read the audit trail")                                            \
    X(SETTINGS_READ, "settings.read", "See settings")                                              \
    X(SETTINGS_UPDATE, "settings.update", "Change settings")

enum {
#define GH_PERM_BIT(id, name, text) GH_PERM_BIT_##id,
    GH_PERMS(GH_PERM_BIT)
#undef GH_PERM_BIT
        GH_PERM_COUNT
};

#define GH_PERM(id) ((uint64_t)1 << GH_PERM_BIT_##id)
#define GH_PERM_ALL (((uint64_t)1 << GH_PERM_COUNT) - 1)
#define GH_PERM_USERS_ALL                                                                          \
    (GH_PERM(USERS_READ) | GH_PERM(USERS_CREATE) | GH_PERM(USERS_UPDATE) |                         \
     GH_PERM(USERS_DISABLE) | GH_PERM(USERS_DELETE) | GH_PERM(USERS_ONBOARD) |                     \
     GH_PERM(USERS_MFA_RESET) | GH_PERM(USERS_UNBAN) | GH_PERM(USERS_FORCE_RESET))

/* Name and description of bit i (0 <= i < GH_PERM_COUNT). */
const char *gh_perm_name(int i);
const char *gh_perm_text(int i);
/* The bit of a permission name; 0 when unknown. */
uint64_t gh_perm_from_name(const char *name);
/* Effective mask of a principal (a superadmin holds everything). */
uint64_t gh_perm_effective(const gh_principal *p);
/* Whether p holds every bit of mask. */
bool gh_perm_has(const gh_principal *p, uint64_t mask);

#endif
