/* Password policy for every set-password path (SECURITY.md A1, A2): length in code points, valid
 * UTF-8, cracklib's verdict, keyboard and alphabet sequences, and the user's own data. Kept apart
 * from auth.c so that only policy.c depends on cracklib. Thread-safe. */
#ifndef GH_AUTH_POLICY_H
#define GH_AUTH_POLICY_H

#include "util/err.h"

#define GH_PASSWORD_FLOOR        8    /* a configured minimum below this is raised to it */
#define GH_PASSWORD_MAX_BYTES    1024 /* 256 code points of up to 4 bytes; longer is refused first */
#define GH_PASSWORD_FACT_MIN     3 /* a name, local part or word shorter than this is not sought */
#define GH_PASSWORD_MIN_DISTINCT 5 /* different characters (cracklib's MINDIFF, in code points) */

typedef struct gh_password_facts {
    const char *username, *first_name, *last_name, *email; /* any may be NULL */
    const char *const *words; /* other words the password must not be built on (product name
                               * "gatehouse", tenant names), NULL-terminated; may be NULL */
} gh_password_facts;

/* Why a password was refused: code, a stable snake_case token for clients to translate (the
 * answer's errors[].code is "password.<code>"), and text, one English sentence the user can act
 * on. The codes: required (none given), too_short, too_long, not_utf8, contains_username,
 * contains_first_name, contains_last_name, contains_email (its local part), contains_word (the
 * service's or the organisation's name), based_on_name, too_few_distinct, sequence (too short
 * without its sequences and repeats), too_simple (cracklib: too systematic), dictionary and weak
 * (any other verdict of cracklib). */
typedef struct gh_password_refusal {
    const char *code;
    const char *text;
} gh_password_refusal;

/* The NIST SP 800-63B-4 rules of SECURITY.md A1 and A2: at least min_len characters (code points;
 * min_len below 8 is treated as 8), at most 256, valid UTF-8, no composition rules, compared as
 * typed (no trimming or case folding of the password itself); refused when cracklib's FascistCheck
 * finds it weak or dictionary-based, or when it contains (case-insensitively) the username, the
 * first or last name (when at least 3 characters), the e-mail's local part (when at least 3
 * characters) or one of the words. A password over 1024 bytes is refused before any other work.
 * On refusal returns GH_EINVAL and fills *refusal (its sentence holds no fragment of the
 * password). Thread-safe (serialise FascistCheck with a mutex).
 *
 * Details of this implementation:
 * - The username and the words, like the names, are sought only from GH_PASSWORD_FACT_MIN code
 *   points on: a 1-2 letter username or a tenant called "HR" would otherwise forbid most
 *   passwords ("three"). Case-insensitive means Unicode simple case mapping (C.UTF-8), so
 *   "JÜRGENS" matches the last name "Jürgens". facts itself may be NULL.
 * - min_len above 256 is treated as 256.
 * - Also refused: fewer than 5 different characters, and passwords that are still shorter than
 *   min_len when the characters in runs of sequences ("abcd", "1234", "qwerty", "!@#") and
 *   repeats (the 3rd and later of identical characters in a row, a copy of 4+ characters following
 *   its original: "passwordpassword") are not counted. cracklib accepts "qwertyuiopasdfgh",
 *   "monkey0000000000" and "passwordpassword"; this rule refuses them.
 * - cracklib's "too simplistic/systematic" verdict is not followed for a password that has 15
 *   code points outside such runs and is not one plain word; policy.c says why.
 * - GH_EINTERNAL when cracklib cannot load its dictionary (fail closed: nothing is accepted
 *   without it), GH_ENOMEM when it runs out of memory; *refusal is then left untouched.
 * - refusal's strings are static, except the sentence about the minimum length, which is in
 *   thread-local storage and stays valid until the same thread refuses another password as too
 *   short (with the same min_len, the text is the same). */
gh_err gh_password_policy(const char *pw, int min_len, const gh_password_facts *facts,
                          gh_password_refusal *refusal) GH_MUST_USE;

#endif
