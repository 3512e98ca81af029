/* Password policy, see policy.h. What cracklib 2.9.6 (Debian 12, dictionary built from
 * american-english and cracklib-small) does, measured while writing this file:
 *
 * - FascistCheck() checks the passwd entry of the *process* (getuid()): the server's own account
 *   name, and "you are not registered in the password file" for a uid without an entry, which
 *   would refuse every password in a container. We call FascistCheckUser() with the user's own
 *   username and names instead; the checks are otherwise the same.
 * - It looks at the first 255 bytes only and returns its messages through gettext (the cracklib
 *   domain is translated into many languages), so they are compared with dgettext() below.
 * - Long passphrases: "correct horse battery staple" and "a long enough password for tests" pass.
 *   "it does not contain enough DIFFERENT characters" (fewer than 5 different bytes) only hit
 *   text that is really repetitive ("the the the the the", "abab abab abab abab"); kept.
 * - "it is too simplistic/systematic" counts pairs of neighbouring characters anywhere in the
 *   lower-cased text ("st", "on", "fe", and "rS", "TU" after lower-casing) and refuses more than
 *   3 + 0.09 x length of them. English text holds about that many, so it misfires on long input:
 *   0.4% of 100,000 generated 20-character passwords ("phDjtHfG6uiSrUTChtUV"), 1.9% of 20,000
 *   random 3-6 word passphrases ("jiggled reefed acted") and 12 of 1,503 sentences of licence
 *   text. The verdict is therefore skipped when the password has at least 15 code points
 *   (GH_PASSWORD_MIN) outside runs of sequences (see seq_lines) and is not one plain word: length
 *   is what makes such a password strong (NIST SP 800-63B-4), and the pairs are scattered. It is
 *   still followed for "password123456789" and "abolitionist123" (sequences), for short
 *   passwords, and for one word such as "constitutionally" (11 of the 1,120 dictionary words of
 *   15+ letters get this verdict instead of the dictionary one, as cracklib stops at its first
 *   finding). What a skip loses is cracklib's later stages for that password: its name check (ours
 *   below is stricter) and its dictionary check, which for 15+ code points only matches one word
 *   with at most 3 characters added or removed at either end.
 * - It accepts keyboard walks such as "qwertyuiopasdfgh" and "!@#$%^&*()_+{}:", and "p@ssw0rd"
 *   ("@" is not among its substitutions); the sequence rule below refuses the walks. */
#include "auth/policy.h"

#include <libintl.h>
#include <locale.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h> /* before crack.h, which uses size_t without including it */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

#include <crack.h>

#include "auth/auth.h"
#include "util/log.h"

#define MIN_DISTINCT GH_PASSWORD_MIN_DISTINCT
#define FACT_BYTES   256

/* Each refusal: its code (policy.h) and its sentence. */
#define REFUSAL(id, code, text) static const gh_password_refusal id = {code, text};
REFUSAL(R_MISSING, "required", "No password was given.")
REFUSAL(R_LONG, "too_long", "The password is longer than 256 characters.")
REFUSAL(R_UTF8, "not_utf8", "The password is not valid UTF-8 text.")
REFUSAL(R_USERNAME, "contains_username", "The password must not contain your username.")
REFUSAL(R_FIRST, "contains_first_name", "The password must not contain your first name.")
REFUSAL(R_LAST, "contains_last_name", "The password must not contain your last name.")
REFUSAL(R_EMAIL, "contains_email",
        "The password must not contain the first part of your e-mail address.")
REFUSAL(R_WORD, "contains_word",
        "The password must not contain the name of this service or of your organisation.")
REFUSAL(R_NAME, "based_on_name", "The password must not be based on your name.")
REFUSAL(R_DISTINCT, "too_few_distinct",
        "The password uses too few different characters; try a few unrelated words.")
REFUSAL(R_SEQUENCE, "sequence",
        "The password is too short once sequences and repeats such as \"abcd\", \"1234\", "
        "\"qwerty\" or \"0000\" are left out; add a few unrelated words.")
REFUSAL(R_SYSTEMATIC, "too_simple",
        "The password follows too regular a pattern of neighbouring letters or digits; try a few "
        "unrelated words.")
REFUSAL(R_DICTIONARY, "dictionary",
        "The password is based on a dictionary word; a few unrelated words together are much "
        "stronger.")
REFUSAL(R_WEAK, "weak",
        "The password is too easy to guess; try a longer phrase of a few unrelated words.")
#undef REFUSAL
#define CRACK_SYSTEMATIC "it is too simplistic/systematic"

/* cracklib's messages (msgids of its gettext domain) and what each becomes. A message not listed
 * still refuses the password, with R_WEAK. */
static const struct {
    const char *msgid;
    gh_err err;
    const gh_password_refusal *reason;
} crack_map[] = {
    {"it is WAY too short", GH_EINVAL, &R_WEAK},
    {"it is too short", GH_EINVAL, &R_WEAK},
    {"it does not contain enough DIFFERENT characters", GH_EINVAL, &R_DISTINCT},
    {"it is all whitespace", GH_EINVAL, &R_WEAK},
    {CRACK_SYSTEMATIC, GH_EINVAL, &R_SYSTEMATIC},
    {"it looks like a National Insurance number.", GH_EINVAL, &R_WEAK},
    {"it is based on your username", GH_EINVAL, &R_USERNAME},
    {"it is based upon your password entry", GH_EINVAL, &R_NAME},
    {"it is derived from your password entry", GH_EINVAL, &R_NAME},
    {"it's derived from your password entry", GH_EINVAL, &R_NAME},
    {"it is derivable from your password entry", GH_EINVAL, &R_NAME},
    {"it's derivable from your password entry", GH_EINVAL, &R_NAME},
    {"it is based on a dictionary word", GH_EINVAL, &R_DICTIONARY},
    {"it is based on a (reversed) dictionary word", GH_EINVAL, &R_DICTIONARY},
    {"error loading dictionary", GH_EINTERNAL, NULL},
    {"memory allocation error", GH_ENOMEM, NULL},
};

/* Lines along which a run of characters is a sequence rather than a choice: the alphabet, the
 * digits, the rows of QWERTY, QWERTZ and AZERTY keyboards. Runs count in both directions from
 * 4 letters or 3 digits or symbols. */
static const char *const seq_lines[] = {
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "1234567890",
    "!@#$%^&*()",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "yxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
};

/* cracklib keeps global state (PWOpen() refuses a second open dictionary, Mangle() returns a
 * static buffer): one check at a time. */
static pthread_mutex_t crack_lock = PTHREAD_MUTEX_INITIALIZER;

/* Case mapping: the C.UTF-8 locale, made once and kept for the life of the process. Without it
 * (newlocale failed) only ASCII letters are folded. */
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;
static locale_t fold_locale;

/* The password as code points, as typed and case-folded; wiped before gh_password_policy
 * returns. */
typedef struct {
    uint32_t cp[GH_PASSWORD_MAX], folded[GH_PASSWORD_MAX];
    size_t n;
} pw_text;

static void fold_init(void)
{
    fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Simple lower-case mapping of one code point. */
static uint32_t fold(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    if (fold_locale == (locale_t)0 || c > 0x10ffff)
        return c;
    return (uint32_t)towlower_l((wint_t)c, fold_locale);
}

/* The code point starting at s (len bytes available) and its length in *used; -1 when the bytes
 * are not valid UTF-8 (truncated, overlong, a surrogate, above U+10FFFF). */
static long utf8_next(const unsigned char *s, size_t len, size_t *used)
{
    static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
    unsigned char c = s[0];
    size_t extra = c < 0x80                 ? 0
                   : c >= 0xc2 && c <= 0xdf ? 1
                   : (c & 0xf0) == 0xe0     ? 2
                   : c >= 0xf0 && c <= 0xf4 ? 3
                                            : 4;
    if (extra == 4 || extra >= len)
        return -1;
    uint32_t v = extra == 0 ? c : c & (0x3fu >> extra);
    for (size_t i = 1; i <= extra; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < least[extra] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -1;
    *used = extra + 1;
    return (long)v;
}

/* Decodes len bytes at s, storing at most cap code points at out; returns how many code points s
 * holds (possibly more than cap). Invalid UTF-8 gives -1, or with lenient set (for facts, which
 * the policy does not judge) each bad byte becomes 0x110000 + byte, which no password holds. */
static long utf8_decode(const char *s, size_t len, uint32_t *out, size_t cap, bool lenient)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    for (size_t i = 0, used = 1; i < len; i += used, n++) {
        long c = utf8_next(p + i, len - i, &used);
        if (c < 0 && !lenient)
            return -1;
        if (c < 0) {
            c = 0x110000L + p[i];
            used = 1;
        }
        if ((size_t)n < cap)
            out[n] = (uint32_t)c;
    }
    return n;
}

static bool contains(const uint32_t *hay, size_t n, const uint32_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m * sizeof *needle) == 0)
            return true;
    return false;
}

/* Whether the password holds fact (len bytes), both case-folded; a fact under
 * GH_PASSWORD_FACT_MIN code points is not sought. */
static bool holds_fact(const pw_text *t, const char *fact, size_t len)
{
    uint32_t f[GH_PASSWORD_MAX];
    if (fact == NULL)
        return false;
    long m = utf8_decode(fact, len, f, GH_PASSWORD_MAX, true);
    if (m < GH_PASSWORD_FACT_MIN || (size_t)m > t->n)
        return false;
    for (long i = 0; i < m; i++)
        f[i] = fold(f[i]);
    return contains(t->folded, t->n, f, (size_t)m);
}

static size_t len_or_0(const char *s)
{
    return s == NULL ? 0 : strlen(s);
}

/* The length of the local part of an e-mail address: up to its last "@", or all of it. */
static size_t local_part_len(const char *email)
{
    const char *at = email == NULL ? NULL : strrchr(email, '@');
    return at == NULL ? len_or_0(email) : (size_t)(at - email);
}

/* The refusal naming the first fact the password holds, or NULL. */
static const gh_password_refusal *facts_reason(const pw_text *t, const gh_password_facts *f)
{
    if (f == NULL)
        return NULL;
    const struct {
        const char *text;
        size_t len;
        const gh_password_refusal *reason;
    } items[] = {
        {f->username, len_or_0(f->username), &R_USERNAME},
        {f->first_name, len_or_0(f->first_name), &R_FIRST},
        {f->last_name, len_or_0(f->last_name), &R_LAST},
        {f->email, local_part_len(f->email), &R_EMAIL},
    };
    for (size_t i = 0; i < sizeof items / sizeof *items; i++)
        if (holds_fact(t, items[i].text, items[i].len))
            return items[i].reason;
    for (const char *const *w = f->words; w != NULL && *w != NULL; w++)
        if (holds_fact(t, *w, strlen(*w)))
            return &R_WORD;
    return NULL;
}

/* The character after c on line in direction d (+1 or -1), or 0 at its end or when c is not on
 * it. */
static uint32_t line_next(const char *line, uint32_t c, int d)
{
    const char *p = c > 0 && c < 0x80 ? strchr(line, (int)c) : NULL;
    if (p == NULL || (d < 0 && p == line))
        return 0;
    return (unsigned char)p[d];
}

/* How many code points of the folded password are in runs along one of seq_lines, or repeat
 * what came just before them. */
static size_t sequence_chars(const pw_text *t)
{
    bool in_run[GH_PASSWORD_MAX] = {false};
    size_t count = 0;
    for (size_t l = 0; l < sizeof seq_lines / sizeof *seq_lines; l++) {
        size_t least = seq_lines[l][0] >= 'a' ? 4 : 3; /* letters : digits, symbols */
        for (int d = -1; d <= 1; d += 2)
            for (size_t i = 0, j; i < t->n; i = j + 1) {
                for (j = i;
                     j + 1 < t->n && line_next(seq_lines[l], t->folded[j], d) == t->folded[j + 1];)
                    j++;
                for (size_t k = i; j + 1 - i >= least && k <= j; k++)
                    in_run[k] = true;
            }
    }
    /* Repeats count as well: a character said a third time and more ("monkey0000000000" keeps
     * two 0s; "vvv" in random text loses one) and a
     * stretch that copies the one before it ("passwordpassword" keeps one "password"); copies
     * of 2-3 characters are left alone, ordinary words hold them ("banana"). */
    for (size_t p = 1; p <= t->n / 2; p++)
        for (size_t i = p, j; i < t->n; i = j + 1) {
            for (j = i; j < t->n && t->folded[j] == t->folded[j - p];)
                j++;
            size_t len = j - i, least = p == 1 ? 2 : (p > 4 ? p : 4);
            for (size_t k = i + (p == 1); len >= least && k < j; k++)
                in_run[k] = true;
        }
    for (size_t i = 0; i < t->n; i++)
        count += in_run[i];
    return count;
}

static bool few_distinct(const pw_text *t)
{
    uint32_t seen[MIN_DISTINCT];
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = 0;
        while (j < k && seen[j] != t->cp[i])
            j++;
        if (j == k && k + 1 == MIN_DISTINCT)
            return false;
        if (j == k)
            seen[k++] = t->cp[i];
    }
    return true;
}

/* One plain word: ASCII letters only, lower case after an optional capital, or all capitals. */
static bool one_word(const char *pw)
{
    size_t lower = 0, upper = 0, n = strlen(pw);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)pw[i];
        if (c >= 'a' && c <= 'z')
            lower++;
        else if (c >= 'A' && c <= 'Z')
            upper += i == 0 ? 0 : 1;
        else
            return false;
    }
    return upper == 0 || lower == 0;
}

/* Whether cracklib's message is the one with msgid, in the process's language or in English. */
static bool crack_says(const char *msg, const char *msgid)
{
    return strcmp(msg, msgid) == 0 || strcmp(msg, dgettext("cracklib", msgid)) == 0;
}

/* Copies s, ASCII lower-cased and truncated, into buf; cracklib lower-cases the password but not
 * the username it compares with. */
static void ascii_lower(char *buf, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < cap; i++)
        buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + ('a' - 'A')) : s[i];
    buf[i] = '\0';
}

/* cracklib's message about pw, NULL when it finds nothing. Without a username it gets one with a
 * capital, which its lower-cased candidates can never equal. */
static const char *crack_message(const char *pw, const gh_password_facts *f)
{
    char user[FACT_BYTES], gecos[2 * FACT_BYTES];
    const char *name = f != NULL ? f->username : NULL;
    if (name != NULL && name[0] != '\0')
        ascii_lower(user, sizeof user, name);
    else
        snprintf(user, sizeof user, "NOUSER");
    snprintf(gecos, sizeof gecos, "%s %s", f != NULL && f->first_name != NULL ? f->first_name : "",
             f != NULL && f->last_name != NULL ? f->last_name : "");
    pthread_mutex_lock(&crack_lock);
    const char *msg = FascistCheckUser(pw, GetDefaultCracklibDict(), user, gecos);
    pthread_mutex_unlock(&crack_lock);
    return msg;
}

/* cracklib's verdict: GH_OK, GH_EINVAL with *reason, or GH_EINTERNAL/GH_ENOMEM when it cannot
 * check. */
static gh_err crack_verdict(const char *pw, const pw_text *t, const gh_password_facts *f,
                            const gh_password_refusal **reason)
{
    const char *msg = crack_message(pw, f);
    if (msg == NULL)
        return GH_OK;
    if (crack_says(msg, CRACK_SYSTEMATIC) && !one_word(pw) &&
        t->n - sequence_chars(t) >= GH_PASSWORD_MIN)
        return GH_OK; /* scattered neighbour pairs in long text, see the top of this file */
    for (size_t i = 0; i < sizeof crack_map / sizeof *crack_map; i++) {
        if (!crack_says(msg, crack_map[i].msgid))
            continue;
        if (crack_map[i].err != GH_EINVAL)
            gh_log("error", "password_policy", "cracklib", crack_map[i].msgid, "dictionary",
                   GetDefaultCracklibDict(), NULL);
        *reason = crack_map[i].reason;
        return crack_map[i].err;
    }
    *reason = &R_WEAK;
    return GH_EINVAL;
}

/* The refusal about the minimum length, its sentence in thread-local storage (see policy.h). */
static const gh_password_refusal *too_short(int min)
{
    static _Thread_local char buf[160];
    static _Thread_local gh_password_refusal r;
    snprintf(buf, sizeof buf,
             "The password must be at least %d characters long; a few unrelated words make a "
             "long password that is easy to remember.",
             min);
    r = (gh_password_refusal){"too_short", buf};
    return &r;
}

/* Size, encoding and length: decodes pw into t, or returns why not. */
static const gh_password_refusal *shape_reason(const char *pw, int min, pw_text *t)
{
    if (pw == NULL)
        return &R_MISSING;
    size_t bytes = strnlen(pw, GH_PASSWORD_MAX_BYTES + 1);
    if (bytes > GH_PASSWORD_MAX_BYTES)
        return &R_LONG;
    long n = utf8_decode(pw, bytes, t->cp, GH_PASSWORD_MAX, false);
    if (n < 0)
        return &R_UTF8;
    if (n > GH_PASSWORD_MAX)
        return &R_LONG;
    if (n < min)
        return too_short(min);
    t->n = (size_t)n;
    for (size_t i = 0; i < t->n; i++)
        t->folded[i] = fold(t->cp[i]);
    return NULL;
}

gh_err gh_password_policy(const char *pw, int min_len, const gh_password_facts *facts,
                          gh_password_refusal *refusal)
{
    int min = min_len < GH_PASSWORD_FLOOR ? GH_PASSWORD_FLOOR
              : min_len > GH_PASSWORD_MAX ? GH_PASSWORD_MAX
                                          : min_len;
    pw_text t = {.n = 0};
    const gh_password_refusal *why = NULL;
    gh_err err = GH_EINVAL;
    pthread_once(&fold_once, fold_init);

    /* our own rules first: their reasons are the more precise, and they spare cracklib */
    if ((why = shape_reason(pw, min, &t)) != NULL || (why = facts_reason(&t, facts)) != NULL)
        goto out;
    if (few_distinct(&t))
        why = &R_DISTINCT;
    else if (t.n - sequence_chars(&t) < (size_t)min)
        why = &R_SEQUENCE;
    else
        err = crack_verdict(pw, &t, facts, &why);
out:
    sodium_memzero(&t, sizeof t);
    if (err == GH_EINVAL)
        *refusal = *why;
    return err;
}
