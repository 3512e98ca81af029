/* See templates.h. */
#include "mail/templates.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const char *find(const char *kind, const char *lang, const char *ext)
{
    for (const gh_mail_template *t = gh_mail_templates; t->text != NULL; t++)
        if (strcmp(t->kind, kind) == 0 && strcmp(t->lang, lang) == 0 && strcmp(t->ext, ext) == 0)
            return t->text;
    return NULL;
}

static void put_escaped(gh_sbuf *b, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        if (e != NULL)
            gh_sbuf_put(b, e, strlen(e));
        else
            gh_sbuf_put(b, s, 1);
    }
}

static const char *var_value(const gh_mail_vars *v, const char *name, size_t n, bool *known)
{
    static const struct {
        const char *name;
        size_t off;
    } vars[] = {
        {"name", offsetof(gh_mail_vars, name)}, {"username", offsetof(gh_mail_vars, username)},
        {"link", offsetof(gh_mail_vars, link)}, {"validity", offsetof(gh_mail_vars, validity)},
        {"site", offsetof(gh_mail_vars, site)}, {"sso", offsetof(gh_mail_vars, sso)},
        {"date", offsetof(gh_mail_vars, date)}, {"days", offsetof(gh_mail_vars, days)},
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (strlen(vars[i].name) == n && memcmp(vars[i].name, name, n) == 0) {
            const char *s = *(const char *const *)((const char *)v + vars[i].off);
            *known = true;
            return s != NULL ? s : "";
        }
    *known = false;
    return NULL;
}

/* Replaces every {{variable}} of tmpl; *out is NULL when a variable is unknown. */
static char *expand(gh_arena *a, const char *tmpl, const gh_mail_vars *v, bool html)
{
    gh_sbuf b = {.a = a};
    gh_sbuf_put(&b, "", 0);
    for (const char *p = tmpl; *p;) {
        const char *open = strstr(p, "{{");
        if (open == NULL) {
            gh_sbuf_put(&b, p, strlen(p));
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (close == NULL)
            return NULL;
        bool known = false;
        const char *val = var_value(v, open + 2, (size_t)(close - open - 2), &known);
        if (!known)
            return NULL;
        gh_sbuf_put(&b, p, (size_t)(open - p));
        if (html)
            put_escaped(&b, val);
        else
            gh_sbuf_put(&b, val, strlen(val));
        p = close + 2;
    }
    return b.s;
}

gh_err gh_mail_render(gh_arena *a, const char *kind, const char *lang, const gh_mail_vars *v,
                      gh_mail_rendered *out)
{
    const char *txt = find(kind, lang, "txt"), *html = find(kind, lang, "html");
    if (txt == NULL || html == NULL) {
        txt = find(kind, "en", "txt");
        html = find(kind, "en", "html");
    }
    if (txt == NULL || html == NULL)
        return GH_ENOTFOUND;
    if (strncmp(txt, "Subject: ", 9) != 0 || strchr(txt, '\n') == NULL)
        return GH_EINTERNAL;
    const char *nl = strchr(txt, '\n'), *body = nl + 1;
    while (*body == '\n')
        body++;
    char *subject_tmpl = gh_arena_strndup(a, txt + 9, (size_t)(nl - txt - 9));
    char *subject = expand(a, subject_tmpl, v, false);
    char *text = expand(a, body, v, false);
    char *h = expand(a, html, v, true);
    if (subject == NULL || text == NULL || h == NULL)
        return GH_EINTERNAL;
    *out = (gh_mail_rendered){.subject = subject, .text = text, .html = h};
    return GH_OK;
}

const char *gh_mail_validity(gh_arena *a, const char *lang, int64_t seconds)
{
    long long hours = (long long)((seconds + 3599) / 3600);
    if (lang != NULL && strcmp(lang, "zh") == 0)
        return gh_arena_printf(a, "%lld 小时", hours);
    return gh_arena_printf(a, "%lld hour%s", hours, hours == 1 ? "" : "s");
}
