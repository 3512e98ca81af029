/* JSON lines to stderr: one record per call, written with one write(2) so that threads never
 * interleave. Values are escaped, so a username holding a newline stays one record. Never pass a
 * password, code, seed, session id or token here. Thread-safe. */
#ifndef GH_UTIL_LOG_H
#define GH_UTIL_LOG_H

#include <stddef.h>

/* gh_log("info", "listening", "port", "8080", NULL): string key/value pairs ended by NULL. */
void gh_log(const char *level, const char *event, ...) __attribute__((sentinel));

/* Appends s as a JSON string literal (with quotes) to buf of size cap at *len; truncates safely.
 * Shared by the log and by anything else that must emit a JSON string without jansson. */
void gh_json_escape(char *buf, size_t cap, size_t *len, const char *s);

#endif
