/* The program's notion of "now", in seconds since the epoch (UTC). Tests move it with
 * gh_clock_set_offset() (unit tests) or a clock file (`--test-clock FILE`, API tests); production
 * reads the real clock. Thread-safe. */
#ifndef GH_UTIL_CLOCK_H
#define GH_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t gh_clock_now(void);
void gh_clock_set_offset(int64_t seconds);
/* Tests move a running server's clock: when set, every gh_clock_now() adds the number of seconds
 * written in this file (missing or unreadable: 0). Only the explicit --test-clock flag sets it,
 * never the environment, and `serve` accepts it only on a loopback address (cli/main.c). */
void gh_clock_use_file(const char *path);
/* RFC 3339 UTC ("2026-11-22T10:00:00Z") of t into buf (at least 21 bytes). */
void gh_clock_format(int64_t t, char *buf, size_t cap);
/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (fraction and offsets accepted); returns 0 on success. */
int gh_clock_parse(const char *s, int64_t *out);

#endif
