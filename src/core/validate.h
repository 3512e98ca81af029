/* Format checks for user-supplied values. Pure functions; thread-safe. Lengths are checked by
 * http/ against http/limits.h before these run. */
#ifndef GH_CORE_VALIDATE_H
#define GH_CORE_VALIDATE_H

#include <stdbool.h>

/* 1-64 of [A-Za-z0-9._@-], starting with a letter or digit. */
bool gh_valid_username(const char *s);
/* A pragmatic addr-spec: local@domain, no spaces or control characters, a dot in the domain. */
bool gh_valid_email(const char *s);
/* E.164: '+', a non-zero digit, up to 15 digits in all. */
bool gh_valid_phone(const char *s);
/* An IANA zone present in the system's tzdata (/usr/share/zoneinfo). */
bool gh_valid_timezone(const char *s);
/* An ISO 3166-1 alpha-2 code in upper case. */
bool gh_valid_country(const char *s);
/* "en" or "zh". */
bool gh_valid_language(const char *s);
/* No control characters (names, descriptions). */
bool gh_valid_text(const char *s);
/* Where a browser may be sent after sign-in (SECURITY I5): a relative path of one of the
 * console's own sections, /users, /roles, /groups, /tenants, /audit or /profile, then segments
 * of [A-Za-z0-9_-] and an optional query of [A-Za-z0-9_=&%.+-], at most 300 characters; the same
 * rule as the console's safeNext (web/app/main.js). So //x, /\x, %2f%2f, schemes and anything
 * else are refused. */
bool gh_valid_next(const char *s);
/* A slug: [a-z0-9][a-z0-9-]{0,62} (an SSO source's name). */
bool gh_valid_slug(const char *s);
/* An ID-token claim name: [A-Za-z0-9_]{1,64}. */
bool gh_valid_claim_name(const char *s);
/* OAuth scopes: RFC 6749 scope-tokens separated by single spaces, none twice, openid among
 * them. */
bool gh_valid_scopes(const char *s);

#endif
