/* Secrets: Argon2id password hashes, random passwords and API tokens. Thread-safe after
 * gh_auth_init(). A leaf: it includes only util/, and nothing of the domain or the store. */
#ifndef GH_AUTH_AUTH_H
#define GH_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define GH_PASSWORD_MIN 15
#define GH_PASSWORD_MAX 256
/* Argon2id at the OWASP parameters: m=19 MiB, t=2, p=1 (libsodium's p is always 1). */
#define GH_ARGON2_MEMLIMIT  (19u * 1024u * 1024u)
#define GH_ARGON2_OPSLIMIT  2u
#define GH_HASH_BYTES       128 /* crypto_pwhash_STRBYTES */
#define GH_TOKEN_CHARS      48  /* "gh_" + 43 base64url characters + NUL, rounded */
#define GH_TOKEN_HASH_CHARS 65

/* Initialises libsodium; GH_EINTERNAL when it cannot. */
gh_err gh_auth_init(void) GH_MUST_USE;

/* Hashes pw into out (GH_HASH_BYTES). */
gh_err gh_password_hash(const char *pw, char out[GH_HASH_BYTES]) GH_MUST_USE;
/* A random 20-character password from an unambiguous alphabet, into out (at least 21 bytes). */
void gh_password_generate(char *out, size_t cap);

/* A new bearer token (256 random bits) into token and the hex SHA-256 of it into hash. */
void gh_token_new(char token[GH_TOKEN_CHARS], char hash[GH_TOKEN_HASH_CHARS]);
/* The hex SHA-256 of a presented token. */
void gh_token_hash(const char *token, char hash[GH_TOKEN_HASH_CHARS]);

#endif
