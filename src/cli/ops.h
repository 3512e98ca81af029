/* What the gatehouse command tells a person: `gatehouse version`, and the banner `serve` prints
 * at a terminal. Both write to the given stream only; neither ever holds a password (A7). */
#ifndef GH_CLI_OPS_H
#define GH_CLI_OPS_H

#include <stdio.h>

/* "gatehouse 0.1.0 (commit abc1234)", then "<library> <version>" per linked library. */
void gh_cli_print_version(FILE *out);

typedef struct gh_cli_banner {
    const char *console;  /* the console's URL */
    const char *database; /* the database as logs show it (no password) */
    const char *engine;   /* "SQLite" or "PostgreSQL" */
    const char *setup;    /* the one-time set-up link, or NULL when an administrator exists */
} gh_cli_banner;

/* The start banner: version, console, database, set-up link (when there is one), how to stop. */
void gh_cli_print_banner(FILE *out, const gh_cli_banner *b);

#endif
