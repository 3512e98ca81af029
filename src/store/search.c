/* The users' search: the folded text each user is found by, and the term's SQL in each engine.
 *
 * A user's username, names and e-mail address are folded once, when the row is written (Unicode
 * case folding, compatibility decomposition, combining marks dropped: "Émile" and "EMILE" are
 * both "emile", a full-width "Ｌｉ" is "li") into two columns of migration 009:
 *   search_key    the folded fields, space-separated, with the family name followed by the given
 *                 name written together when either is in a script without spaces (李 + 伟 also
 *                 gives 李伟), so that a name is found in the order its script writes it;
 *   search_grams  the short terms the user is found by: the first one and two characters of each
 *                 word (a run of letters and digits), and every character and pair of adjacent
 *                 characters of Chinese, Japanese and Korean text, where any position starts a
 *                 word.
 * A term of three characters or more matches anywhere in search_key (FTS5's trigram index on
 * SQLite, pg_trgm's on PostgreSQL; terms with Han text go through the pairs of search_grams on
 * PostgreSQL, whose trigram extraction depends on the server's locale); a term of one or two
 * letters or digits matches a word's start (or any CJK position) through search_grams; a short
 * term with other characters ("@q") is a substring scan, bounded like any walk (users.c). */
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "store/query.h"
#include "util/utf8.h"

/* ---- folding ---- */

char *gh_store_search_fold(gh_arena *a, const char *s)
{
    if (s == NULL)
        return gh_arena_strdup(a, "");
    size_t n = 0;
    uint8_t *f = u8_casefold((const uint8_t *)s, strlen(s), NULL, UNINORM_NFKD, NULL, &n);
    if (f == NULL) /* not UTF-8 (the API accepts none such): keep it as it is */
        return gh_arena_strdup(a, s);
    char *out = gh_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        ucs4_t uc;
        int len = u8_mbtouc(&uc, f + i, n - i);
        if (!uc_is_general_category(uc, UC_CATEGORY_M)) {
            memcpy(out + o, f + i, (size_t)len);
            o += (size_t)len;
        }
        i += (size_t)len;
    }
    out[o] = '\0';
    free(f);
    return out;
}

/* ---- short grams ---- */

typedef struct grams {
    gh_arena *a;
    char *buf;
    size_t len, cap;
} grams;

/* Appends the gram [p, p + n) unless the list holds it already. */
static void gram_add(grams *g, const uint8_t *p, size_t n)
{
    for (const char *c = g->buf; c != NULL && c < g->buf + g->len;) {
        const char *end = strchr(c, ' ');
        size_t m = end ? (size_t)(end - c) : strlen(c);
        if (m == n && memcmp(c, p, n) == 0)
            return;
        c += m + 1;
    }
    if (g->len + n + 2 > g->cap) {
        size_t cap = (g->cap + n + 2) * 2;
        char *nb = gh_arena_alloc(g->a, cap);
        if (g->len > 0)
            memcpy(nb, g->buf, g->len);
        g->buf = nb;
        g->cap = cap;
    }
    if (g->len > 0)
        g->buf[g->len++] = ' ';
    memcpy(g->buf + g->len, p, n);
    g->len += n;
    g->buf[g->len] = '\0';
}

static void grams_of(grams *g, const char *folded)
{
    const uint8_t *p = (const uint8_t *)folded;
    const uint8_t *word = NULL, *prev_cjk = NULL; /* where the current run started */
    int word_chars = 0;
    while (*p) {
        ucs4_t uc;
        int len = u8_mbtouc(&uc, p, strlen((const char *)p));
        if (len <= 0)
            break;
        if (gh_utf8_is_cjk(uc)) {
            word = NULL;
            gram_add(g, p, (size_t)len);
            if (prev_cjk != NULL)
                gram_add(g, prev_cjk, (size_t)(p + len - prev_cjk));
            prev_cjk = p;
        } else if (uc_is_alnum(uc)) {
            prev_cjk = NULL;
            if (word == NULL) {
                word = p;
                word_chars = 0;
            }
            word_chars++;
            if (word_chars <= 2)
                gram_add(g, word, (size_t)(p + len - word));
        } else {
            word = prev_cjk = NULL;
        }
        p += len;
    }
}

void gh_store_search_fields(gh_arena *a, const char *username, const char *first, const char *last,
                            const char *email, char **key, char **grams_out)
{
    char *u = gh_store_search_fold(a, username), *f = gh_store_search_fold(a, first);
    char *l = gh_store_search_fold(a, last), *e = gh_store_search_fold(a, email);
    if (gh_utf8_has_cjk(f) || gh_utf8_has_cjk(l))
        *key = gh_arena_printf(a, "%s %s %s %s%s %s", u, f, l, l, f, e);
    else
        *key = gh_arena_printf(a, "%s %s %s %s", u, f, l, e);
    grams g = {.a = a};
    grams_of(&g, *key);
    *grams_out = g.buf != NULL ? g.buf : gh_arena_strdup(a, "");
}

/* ---- terms ---- */

/* '%term%' for LIKE ... ESCAPE '\' */
static char *like_pattern(gh_arena *a, const char *t)
{
    size_t n = strlen(t);
    char *like = gh_arena_alloc(a, 2 * n + 3), *p = like;
    *p++ = '%';
    for (const char *c = t; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            *p++ = '\\';
        *p++ = *c;
    }
    *p++ = '%';
    *p = '\0';
    return like;
}

/* The term as one FTS5 phrase, its double quotes doubled. */
static char *fts_phrase(gh_arena *a, const char *t)
{
    size_t n = strlen(t);
    char *phrase = gh_arena_alloc(a, 2 * n + 3), *p = phrase;
    *p++ = '"';
    for (const char *c = t; *c; c++) {
        if (*c == '"')
            *p++ = '"';
        *p++ = *c;
    }
    *p++ = '"';
    *p = '\0';
    return phrase;
}

/* The folded term without the spaces around it, its length in characters, and what it holds. */
typedef struct term {
    char *text;
    size_t chars;
    bool all_word, cjk, latin; /* every character a letter or digit; some CJK; some not CJK */
} term;

static term term_of(gh_arena *a, const char *q)
{
    term t = {.text = gh_store_search_fold(a, q), .all_word = true};
    while (*t.text == ' ' || *t.text == '\t')
        t.text++;
    size_t n = strlen(t.text);
    while (n > 0 && (t.text[n - 1] == ' ' || t.text[n - 1] == '\t'))
        t.text[--n] = '\0';
    const uint8_t *p = (const uint8_t *)t.text;
    ucs4_t uc;
    while ((p = u8_next(&uc, p)) != NULL) {
        t.chars++;
        bool c = gh_utf8_is_cjk(uc);
        t.cjk |= c;
        t.latin |= !c;
        if (!uc_is_alnum(uc))
            t.all_word = false;
    }
    return t;
}

/* The CJK pairs (or the single character of a one-character run) of a term, space-separated. */
static char *cjk_grams(gh_arena *a, const char *text)
{
    grams all = {.a = a}, pairs = {.a = a};
    grams_of(&all, text);
    /* keep the pairs, and single characters only where they stand alone */
    for (char *c = all.buf; c != NULL && *c;) {
        char *end = strchr(c, ' ');
        size_t m = end ? (size_t)(end - c) : strlen(c);
        const uint8_t *s = (const uint8_t *)c;
        ucs4_t uc;
        int first = u8_mbtouc(&uc, s, m);
        bool pair = first > 0 && (size_t)first < m;
        if (pair && gh_utf8_is_cjk(uc))
            gram_add(&pairs, s, m);
        c = end ? end + 1 : NULL;
    }
    if (pairs.buf == NULL) /* one CJK character among other text: its own gram */
        for (char *c = all.buf; c != NULL && *c;) {
            char *end = strchr(c, ' ');
            size_t m = end ? (size_t)(end - c) : strlen(c);
            ucs4_t uc;
            if (u8_mbtouc(&uc, (const uint8_t *)c, m) == (int)m && gh_utf8_is_cjk(uc))
                gram_add(&pairs, (const uint8_t *)c, m);
            c = end ? end + 1 : NULL;
        }
    return pairs.buf != NULL ? pairs.buf : gh_arena_strdup(a, "");
}

bool gh_store_user_search(gh_db *db, gh_arena *a, const char *q, gh_store_search *out)
{
    term t = term_of(a, q);
    if (t.chars == 0)
        return false;
    bool pg = gh_db_kind_of(db) == GH_DB_POSTGRES;
    gh_store_search s = {.join = "", .id_col = "u.id", .kind = GH_SEARCH_SUBSTRING};
    if (t.chars <= 2 && t.all_word && !(t.cjk && t.latin)) {
        s.kind = GH_SEARCH_GRAM;
        s.walk_match =
            pg ? "strpos(' ' || w.wg || ' ', ?) > 0" : "instr(' ' || w.wg || ' ', ?) > 0";
        s.walk_param = gh_arena_printf(a, " %s ", t.text);
        if (pg) {
            s.where =
                "string_to_array(u.search_grams, ' ') @> ARRAY[?::text] " GH_DB_PLAN_EACH_TIME;
            s.param = t.text;
        } else {
            s.join = " JOIN users_grams ON users_grams.rowid = u.id";
            s.where = "users_grams MATCH ?";
            s.param = fts_phrase(a, t.text);
            s.id_col = "users_grams.rowid";
            s.count_sql = "SELECT count(*) FROM (SELECT 1 FROM users_grams WHERE users_grams "
                          "MATCH ? LIMIT ?)";
        }
    } else if (t.chars <= 2) {
        s.kind = GH_SEARCH_SCAN;
        s.walk_match = "w.wk LIKE ? ESCAPE '\\'";
        s.walk_param = like_pattern(a, t.text);
    } else {
        s.walk_match = "w.wk LIKE ? ESCAPE '\\'";
        s.walk_param = like_pattern(a, t.text);
        if (!pg) {
            s.join = " JOIN users_fts ON users_fts.rowid = u.id";
            s.where = "users_fts MATCH ?";
            s.param = fts_phrase(a, t.text);
            s.id_col = "users_fts.rowid";
            s.count_sql =
                "SELECT count(*) FROM (SELECT 1 FROM users_fts WHERE users_fts MATCH ? LIMIT ?)";
        } else if (t.cjk) {
            s.where = "string_to_array(u.search_grams, ' ') @> string_to_array(?, ' ') AND "
                      "u.search_key LIKE ? ESCAPE "
                      "'\\' " GH_DB_PLAN_EACH_TIME;
            s.param = cjk_grams(a, t.text);
            s.param2 = s.walk_param;
        } else {
            /* pg_trgm's GIN index serves LIKE '%q%'; planned for its term at each execution:
             * whether the index or the id order finds the first page sooner depends on how
             * common the term is (the column's statistics say, see migration 009) */
            s.where = "u.search_key LIKE ? ESCAPE '\\' " GH_DB_PLAN_EACH_TIME;
            s.param = s.walk_param;
        }
    }
    *out = s;
    return true;
}
