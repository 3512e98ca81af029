/* A stand-in for the two request accessors of libmicrohttpd that json.c uses
 * (MHD_lookup_connection_value, MHD_get_connection_values), so that json_fuzz and route_fuzz can
 * drive the body parser, the field checks and the query helpers in-process, at full speed, with
 * headers and arguments taken from the fuzz input. Linked only into those two targets: their
 * definitions take the place of the shared library's. The real parsing of request lines,
 * headers, cookies and query strings by libmicrohttpd is fuzzed by http_fuzz and cookie_fuzz. */
#ifndef GH_FUZZ_FAKE_MHD_H
#define GH_FUZZ_FAKE_MHD_H

#include <microhttpd.h>
#include <stddef.h>

#define GH_FAKE_MAX_VALUES 64

/* Values are borrowed: they must outlive the lookups. */
typedef struct gh_fake_value {
    enum MHD_ValueKind kind;
    const char *key, *value; /* value NULL: "?key" without "=" */
} gh_fake_value;

struct MHD_Connection {
    gh_fake_value v[GH_FAKE_MAX_VALUES];
    size_t n;
};

void gh_fake_reset(struct MHD_Connection *c);
/* Adds a value; beyond GH_FAKE_MAX_VALUES it is dropped (the caller keeps inputs smaller). */
void gh_fake_add(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key,
                 const char *value);

#endif
