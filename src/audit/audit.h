/* The audit trail and the canonical JSON form of domain objects. The same snapshot functions
 * give the before/after of audit rows and the bodies http/ sends, so the two never disagree and
 * neither can leak a hash (gh_user carries none). Thread-safe; results live in the arena. */
#ifndef GH_AUDIT_AUDIT_H
#define GH_AUDIT_AUDIT_H

#include <jansson.h>

#include "store/store.h"

/* New JSON values; the caller owns the reference. */
json_t *gh_json_user(const gh_user *u);
json_t *gh_json_role(const gh_role *r);
json_t *gh_json_group(const gh_group *g);
json_t *gh_json_tenant(const gh_tenant *t);
json_t *gh_json_audit(const gh_audit_entry *e);
json_t *gh_json_time(int64_t t); /* RFC 3339, or null for 0 */
json_t *gh_json_ids(const gh_ids *ids);

/* Compact text of j copied into the arena; steals the reference. NULL j gives NULL. */
char *gh_json_text(gh_arena *a, json_t *j);

/* Appends a row; the caller's transaction makes it atomic with the change it records. */
gh_err gh_audit_record(gh_db *db, const gh_audit_entry *e) GH_MUST_USE;

#endif
