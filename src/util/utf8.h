/* UTF-8 checks for text that comes from outside the JSON parser (header values copied into
 * records, SECURITY I11): jansson refuses to encode invalid UTF-8, so such text must be made
 * valid before it is stored, or the record could never be shown. */
#ifndef GH_UTIL_UTF8_H
#define GH_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/* The length (1-4) of the valid UTF-8 character starting at p, or 0 when p starts none: a stray
 * continuation byte, an overlong form, a surrogate, a code point beyond U+10FFFF or a sequence
 * cut short (a NUL inside it). p is NUL-terminated. Thread-safe. */
size_t gh_utf8_seq(const unsigned char *p);

/* A copy of s (NUL-terminated) in a, valid UTF-8 and at most max bytes long: each byte that
 * starts no valid character becomes U+FFFD, and the copy ends before the first character that
 * would not fit whole (never inside one). s NULL gives "". Never NULL; thread-safe. */
char *gh_utf8_clean(gh_arena *a, const char *s, size_t max);

/* Whether the code point is written in a script without spaces between words: Chinese
 * characters (ideographs), Japanese kana or Korean Hangul. */
bool gh_utf8_is_cjk(uint32_t uc);
/* Whether the UTF-8 text s holds such a character (false for NULL or invalid text). */
bool gh_utf8_has_cjk(const char *s);
/* A person's name for people to read: "given family", or, when either part is in such a script,
 * family name then given name without a space (李 and 伟: "李伟"), as those names are written in
 * any language. NULL parts count as empty. Never NULL; thread-safe. */
char *gh_person_name(gh_arena *a, const char *first, const char *last);

#endif
