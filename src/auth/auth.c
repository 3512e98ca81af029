/* See auth.h. */
#include "auth/auth.h"

#include <sodium.h>
#include <string.h>

gh_err gh_auth_init(void)
{
    return sodium_init() < 0 ? GH_EINTERNAL : GH_OK;
}

gh_err gh_password_hash(const char *pw, char out[GH_HASH_BYTES])
{
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), GH_ARGON2_OPSLIMIT, GH_ARGON2_MEMLIMIT,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return GH_ENOMEM;
    return GH_OK;
}

void gh_password_generate(char *out, size_t cap)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t n = cap - 1 < 20 ? cap - 1 : 20;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[n] = '\0';
}

void gh_token_hash(const char *token, char hash[GH_TOKEN_HASH_CHARS])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hash, GH_TOKEN_HASH_CHARS, digest, sizeof digest);
}

void gh_token_new(char token[GH_TOKEN_CHARS], char hash[GH_TOKEN_HASH_CHARS])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, "gh_", 3);
    sodium_bin2base64(token + 3, GH_TOKEN_CHARS - 3, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    gh_token_hash(token, hash);
}
