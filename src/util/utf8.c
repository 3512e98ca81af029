/* See utf8.h. The decoder follows RFC 3629's table of well-formed byte sequences; scripts come
 * from libunistring. */
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "util/utf8.h"

size_t gh_utf8_seq(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
               : p[0] >= 0xe0 && p[0] <= 0xef ? 3
               : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL that ends the text */
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] > 0x9f) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] > 0x8f))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
}

char *gh_utf8_clean(gh_arena *a, const char *s, size_t max)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t in = strlen((const char *)p);
    /* each input byte gives at most 3 output bytes, and never more than max in all */
    char *out = gh_arena_alloc(a, (in < max / 3 + 1 ? in * 3 : max) + 1);
    size_t len = 0;
    while (*p != '\0') {
        size_t n = gh_utf8_seq(p);
        const char *piece = n > 0 ? (const char *)p : replacement;
        size_t piece_len = n > 0 ? n : 3;
        if (len + piece_len > max)
            break;
        memcpy(out + len, piece, piece_len);
        len += piece_len;
        p += n > 0 ? n : 1;
    }
    out[len] = '\0';
    return out;
}

bool gh_utf8_is_cjk(uint32_t uc)
{
    if (uc_is_property_ideographic(uc))
        return true;
    const uc_script_t *s = uc_script(uc);
    return s != NULL && (strcmp(s->name, "Hiragana") == 0 || strcmp(s->name, "Katakana") == 0 ||
                         strcmp(s->name, "Hangul") == 0);
}

bool gh_utf8_has_cjk(const char *s)
{
    if (s == NULL || u8_check((const uint8_t *)s, strlen(s)) != NULL)
        return false;
    const uint8_t *p = (const uint8_t *)s;
    ucs4_t uc;
    while ((p = u8_next(&uc, p)) != NULL)
        if (gh_utf8_is_cjk(uc))
            return true;
    return false;
}

char *gh_person_name(gh_arena *a, const char *first, const char *last)
{
    const char *f = first != NULL ? first : "", *l = last != NULL ? last : "";
    if (gh_utf8_has_cjk(f) || gh_utf8_has_cjk(l))
        return gh_arena_printf(a, "%s%s", l, f);
    return gh_arena_printf(a, "%s%s%s", f, f[0] && l[0] ? " " : "", l);
}
