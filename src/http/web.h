/* The web console's static files: compiled into the binary from web/ at build time
 * (cmake/embed_web.cmake writes the table), or read from a folder given by --web-dir while
 * developing (gh_server_config.web_dir: each server has its own, read on every request, so edits
 * show on reload). Served by gh_h_web (h_web.c) with a Content-Type, an ETag and Cache-Control. */
#ifndef GH_HTTP_WEB_H
#define GH_HTTP_WEB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gh_web_file {
    const char *path;         /* "/index.html", "/app/main.js", ... */
    const char *content_type; /* from the file's extension */
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted: a prefix of the content's SHA-256 */
} gh_web_file;

/* The embedded files, ended by an entry whose path is NULL (generated). */
extern const gh_web_file gh_web_files[];

/* The embedded file at path, or NULL. */
const gh_web_file *gh_web_find(const char *path);

/* The Content-Type for a path by its extension (application/octet-stream when unknown). */
const char *gh_web_content_type(const char *path);

/* Whether a console path may name a file: absolute, at most 200 bytes of [A-Za-z0-9._/-], no
 * empty segment and no segment starting with a dot (so no "..", no hidden files). */
bool gh_web_path_ok(const char *path);

/* The file a console path is answered with: its own for the static files (/index.html,
 * /style.css, /favicon.svg, /app/..., /i18n/...), /index.html for every page of the app. */
const char *gh_web_file_for(const char *path);

#endif
