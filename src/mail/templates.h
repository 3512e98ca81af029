/* Mail templates: src/mail/templates/<lang>/<kind>.txt and .html, compiled into the binary by
 * cmake/embed_templates.cmake. The first line of a .txt template is "Subject: ..."; the rest is
 * the plain-text body. {{name}}, {{username}}, {{link}}, {{validity}}, {{site}}, {{sso}}, {{date}}
 * and {{days}} are replaced (HTML-escaped in .html templates). Thread-safe (constant data). */
#ifndef GH_MAIL_TEMPLATES_H
#define GH_MAIL_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

typedef struct gh_mail_template {
    const char *lang, *kind, *ext, *text;
} gh_mail_template;

/* Generated; ends with an entry whose text is NULL. */
extern const gh_mail_template gh_mail_templates[];

typedef struct gh_mail_vars {
    const char *name;     /* how to greet: first name, else the username */
    const char *username; /* the account */
    const char *link;     /* the single-use link, or "" */
    const char *validity; /* "24 hours", "1 小时", ... or "" */
    const char *site;     /* the external URL */
    const char *sso;      /* an SSO source's button text (onboarding_sso), or "" */
    const char *date;     /* dormant_warning: the day the account is disabled (YYYY-MM-DD, UTC) */
    const char *days;     /* dormant_warning: the rule's number of days */
} gh_mail_vars;

typedef struct gh_mail_rendered {
    const char *subject, *text, *html;
} gh_mail_rendered;

/* Renders kind in lang (falling back to "en" when lang has no such template) into out (arena).
 * GH_ENOTFOUND when there is no template; GH_EINTERNAL when a template is malformed (no subject
 * line, an unknown {{variable}}). A NULL variable renders as "". */
gh_err gh_mail_render(gh_arena *a, const char *kind, const char *lang, const gh_mail_vars *v,
                      gh_mail_rendered *out) GH_MUST_USE;
/* "24 hours" / "1 hour" in English, "24 小时" in Chinese (arena). */
const char *gh_mail_validity(gh_arena *a, const char *lang, int64_t seconds);

#endif
