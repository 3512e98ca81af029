/* Second factor: TOTP secrets (RFC 6238 through liboath), their enrolment URI and QR code
 * (libqrencode), recovery codes, and the server key that keeps TOTP secrets encrypted at rest
 * (A10, A11). Every function is thread-safe (results that need memory come from the caller's
 * arena, which belongs to one thread); the random ones need gh_auth_init() to have run. Nothing
 * here logs a secret, a code or a key. */
#ifndef GH_AUTH_TOTP_H
#define GH_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

#define GH_TOTP_SECRET_BYTES 20 /* 160 bits from the CSPRNG (A11) */
#define GH_TOTP_DIGITS       6
#define GH_TOTP_PERIOD       30
#define GH_RECOVERY_CODES    10
/* e.g. "k7qf-m2xr-9p" shape: 10 base32 characters grouped, NUL not counted */
#define GH_RECOVERY_CODE_CHARS 12
#define GH_SECRET_KEY_BYTES    32

/* Loads the 32-byte key from path; when the file does not exist, creates it (O_EXCL, mode 0600)
 * with random bytes. Refuses a file of the wrong size or readable by group/others (GH_EINVAL,
 * logged). Also refuses (GH_EINVAL) what is not a regular file, a symbolic link, and a file that
 * group or others may write. Another failure to read or create is GH_EINTERNAL (logged); a file
 * this call could not finish writing is removed again. key is written only on success. */
gh_err gh_secret_key_load(const char *path, unsigned char key[GH_SECRET_KEY_BYTES]) GH_MUST_USE;
/* Seals msg with crypto_secretbox_easy under key and a random nonce; returns base64 (URL-safe, no
 * padding) of nonce||ciphertext, allocated in the arena. n may be 0. NULL only when n is too large
 * for secretbox. */
char *gh_seal(gh_arena *a, const unsigned char key[GH_SECRET_KEY_BYTES], const unsigned char *msg,
              size_t n);
/* Opens what gh_seal made; writes at most cap bytes to out and the length to *n. GH_EINVAL when
 * tampered, truncated or made with another key. GH_ETOOLARGE when the sealed message is longer
 * than cap; GH_ENOMEM when a working buffer cannot be had. out and *n are written only on
 * success. */
gh_err gh_unseal(const unsigned char key[GH_SECRET_KEY_BYTES], const char *sealed,
                 unsigned char *out, size_t cap, size_t *n) GH_MUST_USE;

/* A new random secret. */
void gh_totp_new_secret(unsigned char secret[GH_TOTP_SECRET_BYTES]);
/* RFC 4648 base32 without padding of the secret (what authenticator apps and oathtool take), arena.
 * 20 bytes give exactly 32 characters from A-Z2-7. */
char *gh_totp_base32(gh_arena *a, const unsigned char secret[GH_TOTP_SECRET_BYTES]);
/* otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 with
 * issuer and account percent-encoded (RFC 3986 unreserved kept), arena. */
char *gh_totp_uri(gh_arena *a, const char *issuer, const char *account,
                  const unsigned char secret[GH_TOTP_SECRET_BYTES]);
/* The QR code of text as a standalone SVG document (libqrencode, error correction M, a 4-module
 * quiet zone, black squares as one <path>), arena. NULL only if text cannot be encoded (NULL,
 * empty, too long for a QR code, or libqrencode out of memory). One SVG user unit is one module. */
char *gh_totp_qr_svg(gh_arena *a, const char *text);
/* Checks a 6-digit code for the time `now` (Unix seconds) through liboath (oath_totp_generate2):
 * only the current 30 s step and the previous one are accepted (A10), and only a step greater than
 * last_step (a code is never accepted twice). On success *step receives the step number (now/30
 * or now/30-1) to store as the new last_step; when the code fits both steps, the current one is
 * taken. Anything but exactly 6 ASCII digits is GH_EINVAL, and so is a negative now; a wrong, old
 * or replayed code is GH_EUNAUTH; liboath failing is GH_EINTERNAL. Constant-time comparison.
 * The caller still stores the new step by compare-and-set (two requests may pass here at once). */
gh_err gh_totp_verify(const unsigned char secret[GH_TOTP_SECRET_BYTES], const char *code,
                      int64_t now, int64_t last_step, int64_t *step) GH_MUST_USE;

/* Ten new recovery codes (each GH_RECOVERY_CODE_CHARS characters + NUL, from the CSPRNG, at least
 * 50 bits each, unambiguous lower-case alphabet, grouped with '-'). The alphabet is Crockford's
 * base32 in lower case (0-9 and a-z without i, l, o, u): exactly 50 bits per code, "xxxx-xxxx-xx".
 */
void gh_recovery_codes_new(char codes[GH_RECOVERY_CODES][GH_RECOVERY_CODE_CHARS + 1]);
/* Hex SHA-256 of the normalised code (lower-cased, '-' and spaces removed) into hash (65 bytes).
 * Normalising also reads the letters a user may type for the digits they resemble, as Crockford
 * does ('o' as '0', 'i' and 'l' as '1'); generated codes never hold those letters. */
void gh_recovery_code_hash(const char *code, char hash[65]);

#endif
