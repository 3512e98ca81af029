/* See validate.h. */
#include "core/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"

bool gh_valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64 || !isalnum((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._@-", *p))
            return false;
    return true;
}

bool gh_valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64 || strlen(s) > 254)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    const char *dom = at + 1, *dot = strrchr(dom, '.');
    if (*dom == '\0' || *dom == '.' || dot == NULL || dot[1] == '\0' || strstr(dom, ".."))
        return false;
    return dom[strlen(dom) - 1] != '-';
}

bool gh_valid_phone(const char *s)
{
    if (s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++)
        if (!isdigit((unsigned char)*p))
            return false;
    return n >= 2 && n <= 15;
}

/* A zone name is letters, digits and "/_-+"; no "..", no leading "/"; and a regular tzfile. */
bool gh_valid_timezone(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '/' || s[n - 1] == '/' || s[0] == '.' ||
        strstr(s, "..") != NULL || strstr(s, "//") != NULL)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
            return false;
    if (strncmp(s, "posix/", 6) == 0 || strncmp(s, "right/", 6) == 0)
        return false;
    char path[128];
    snprintf(path, sizeof path, ZONEINFO_DIR "%s", s);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    if (f == NULL)
        return false;
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    return got == 4 && memcmp(magic, "TZif", 4) == 0;
}

/* ISO 3166-1 alpha-2, officially assigned codes. */
static const char countries[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";

bool gh_valid_country(const char *s)
{
    if (strlen(s) != 2 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]))
        return false;
    /* codes sit every 3 bytes; the last has no space after it, so stop by size, not at NUL */
    for (size_t i = 0; i + 2 < sizeof countries; i += 3)
        if (countries[i] == s[0] && countries[i + 1] == s[1])
            return true;
    return false;
}

bool gh_valid_language(const char *s)
{
    return strcmp(s, "en") == 0 || strcmp(s, "zh") == 0;
}

bool gh_valid_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

bool gh_valid_next(const char *s)
{
    static const char *const sections[] = {"/users", "/roles",   "/groups",     "/tenants",
                                           "/audit", "/profile", "/sso-sources"};
    size_t n = strlen(s), len = 0;
    if (n > 300)
        return false;
    for (size_t i = 0; i < sizeof sections / sizeof *sections && len == 0; i++) {
        size_t k = strlen(sections[i]);
        if (strncmp(s, sections[i], k) == 0 && (s[k] == '\0' || s[k] == '/' || s[k] == '?'))
            len = k;
    }
    if (len == 0)
        return false;
    const char *p = s + len;
    while (*p == '/') { /* each segment: one or more of [A-Za-z0-9_-] */
        const char *seg = ++p;
        while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
            p++;
        if (p == seg)
            return false;
    }
    if (*p == '?')
        for (p++; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr("_=&%.+-", *p))
                return false;
    return *p == '\0';
}

bool gh_valid_slug(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

bool gh_valid_claim_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* A scope-token of RFC 6749 3.3: %x21 / %x23-5B / %x5D-7E. */
static bool scope_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

bool gh_valid_scopes(const char *s)
{
    bool openid = false;
    const char *p = s;
    if (*p == '\0')
        return false;
    while (*p != '\0') {
        size_t n = 0;
        while (scope_char((unsigned char)p[n]))
            n++;
        if (n == 0 || (p[n] != '\0' && (p[n] != ' ' || p[n + 1] == '\0')))
            return false; /* empty token, a bad byte, or a space that ends the text */
        for (const char *q = s; q < p; q += strcspn(q, " ") + 1) /* the tokens before this */
            if (strncmp(q, p, n) == 0 && (q[n] == ' ' || q[n] == '\0'))
                return false;
        openid = openid || (n == 6 && strncmp(p, "openid", 6) == 0);
        p += n + (p[n] == ' ');
    }
    return openid;
}
