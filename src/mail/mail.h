/* The mail sender: a thread that delivers the outbox over SMTP with retries and exponential
 * backoff, mints the token of a message's link when it sends it (only its hash is stored), and
 * records each outcome (state, attempts, SMTP error; audit rows mail.sent and mail.failed, and
 * onboarding.sent for an onboarding e-mail).
 * Rows are claimed with a lease, so a message being sent is not taken twice, and rows left
 * pending by a process that died are picked up at the next start. Thread-safe. */
#ifndef GH_MAIL_MAIL_H
#define GH_MAIL_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "mail/smtp.h"
#include "store/store.h"

#define GH_MAIL_LEASE_S      120  /* a claimed message is retried after this if nothing is heard */
#define GH_MAIL_RETRY_BASE_S 30   /* the first retry waits this long, each next one twice as long */
#define GH_MAIL_RETRY_MAX_S  3600 /* never longer than this */
#define GH_MAIL_MAX_ATTEMPTS 8    /* then the message is failed */
#define GH_MAIL_DEFAULT_FROM "Gatehouse <gatehouse@localhost.localdomain>"

typedef struct gh_mail_config {
    const char *db_url;       /* the sender opens its own connection */
    gh_smtp_config smtp;      /* smtp.url NULL: nothing is sent, messages stay queued */
    const char *from;         /* "Name <addr>" or "addr" */
    const char *external_url; /* links are {external_url}/onboarding/{token}, /reset/{token} */
    int64_t retry_base_s;     /* 0: GH_MAIL_RETRY_BASE_S */
    int max_attempts;         /* 0: GH_MAIL_MAX_ATTEMPTS */
} gh_mail_config;

/* The sender of the outbox: one thread with its own database connection, owned by the program
 * that made it. */
typedef struct gh_mailer gh_mailer;
/* Makes a sender from c, copying what it needs; with an SMTP URL, checks it and the From address
 * first: GH_EINVAL (and a log line saying why) when they are unusable. No thread runs yet, and
 * without an SMTP URL none ever does: messages stay queued, links can still be made. */
gh_err gh_mailer_new(const gh_mail_config *c, gh_mailer **out) GH_MUST_USE;
/* Sets the site links point at when c had no external_url (the server's own address, known once
 * it listens) and, with an SMTP URL, starts the thread. Call once. */
gh_err gh_mailer_start(gh_mailer *m, const char *site) GH_MUST_USE;
/* Stops the thread after the message in hand, if any, and frees m; NULL: a no-op. */
void gh_mailer_free(gh_mailer *m);
/* The link to a token of purpose (onboarding, password_reset, setup): {site}/onboarding/{token},
 * {site}/reset/{token}, {site}/setup/{token} (arena); with m NULL, the path alone. Thread-safe:
 * an admin can hand a link over when no e-mail can be sent. */
char *gh_mail_link(gh_mailer *m, gh_arena *a, gh_link_purpose purpose, const char *token);
/* Wakes m's thread to look for due messages now (a no-op when none runs or m is NULL). */
void gh_mail_kick(gh_mailer *m);

/* The delay before attempt number attempts + 1, after `attempts` failed ones (>= 1). */
int64_t gh_mail_backoff(int64_t base_s, int64_t attempts);

/* Builds the whole message for m with its link token (NULL when it has none) into *out
 * (arena): the rendered template in m's language, the headers, MIME. GH_EINVAL when a header
 * value would be unsafe (I4). */
gh_err gh_mail_compose(gh_arena *a, const gh_mail_config *c, const gh_mail *m, const char *token,
                       int64_t now, char **out) GH_MUST_USE;

/* Attempts one due message on db, if any: claim, mint, send, record. *did says whether there
 * was one. For the sender thread and tests. */
gh_err gh_mail_deliver_one(gh_db *db, const gh_mail_config *c, bool *did) GH_MUST_USE;

/* `gatehouse mail test`: sends the test message to `to` now (no outbox) and puts the SMTP
 * outcome in result. GH_OK when the server accepted it. */
gh_err gh_mail_send_test(const gh_mail_config *c, const char *to, char *result,
                         size_t cap) GH_MUST_USE;

#endif
