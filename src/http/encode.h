/* The JSON encoders of the API's response bodies (see encode.c). Each returns a new value the
 * caller owns; none fails but for memory (then NULL, which jansson's packers treat as an error).
 * Thread-safe. */
#ifndef GH_HTTP_ENCODE_H
#define GH_HTTP_ENCODE_H

#include <jansson.h>

#include "store/store.h"

json_t *gh_json_user(const gh_user *u);
json_t *gh_json_role(const gh_role *r);
json_t *gh_json_group(const gh_group *g);
json_t *gh_json_tenant(const gh_tenant *t);
json_t *gh_json_sso_source(const gh_sso_source *s);
/* An audit row; its stored before/after text is parsed back (null when absent or unreadable). */
json_t *gh_json_audit(const gh_audit_entry *e);
json_t *gh_json_time(int64_t t); /* RFC 3339, or null for 0 */
json_t *gh_json_ids(const gh_ids *ids);

/* Compact text of j copied into the arena; steals the reference. NULL j gives NULL. */
char *gh_json_text(gh_arena *a, json_t *j);

#endif
