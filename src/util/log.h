/* Structured logging to stderr: one record per call, written with one write(2) so that threads
 * never interleave. Two formats (docs/logging.md): JSON lines (the default when stderr is not a
 * terminal), and text for a person at a terminal ("HH:MM:SS level event key=value ..."). In both,
 * values are escaped, so a username holding a newline stays one record (SECURITY L4). Never pass
 * a password, code, seed, session id or token here. Thread-safe. */
#ifndef GH_UTIL_LOG_H
#define GH_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { GH_LOG_JSON, GH_LOG_TEXT } gh_log_format;

/* gh_log("info", "listening", "port", "8080", NULL): string key/value pairs ended by NULL. The
 * record holds time, level, event, request_id (the pair's, else the thread's gh_log_request,
 * else none), then the pairs in order. */
void gh_log(const char *level, const char *event, ...) __attribute__((sentinel));

/* The format of every record from now on (set once at start, before other threads log). */
void gh_log_set_format(gh_log_format f);
gh_log_format gh_log_get_format(void);
/* "json" or "text" into *out; false (nothing written) for anything else. */
bool gh_log_parse_format(const char *s, gh_log_format *out);
/* The request this thread is working on (NULL: none): its id goes into the thread's records
 * that name none. The string must outlive the call that clears it. */
void gh_log_request(const char *request_id);

/* Appends s as a JSON string literal (with quotes) to buf of size cap at *len; truncates safely.
 * Shared by the log and by anything else that must emit a JSON string without jansson. */
void gh_json_escape(char *buf, size_t cap, size_t *len, const char *s);

#endif
