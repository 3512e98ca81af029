/* The web console's files (see web.h): GET of /, the static files and the app's pages, each
 * with its Content-Type, an ETag (If-None-Match gives 304) and "Cache-Control: no-cache", so a
 * browser revalidates and an upgrade shows at once. The security headers (CSP without inline
 * script, nosniff, frame-ancestors 'none', no-referrer) are added by the server like for every
 * response. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/internal.h"
#include "http/web.h"

#define WEB_MAX_FILE (4 * 1024 * 1024) /* a file of --web-dir larger than this is not served */

const gh_web_file *gh_web_find(const char *path)
{
    for (const gh_web_file *f = gh_web_files; f->path != NULL; f++)
        if (strcmp(f->path, path) == 0)
            return f;
    return NULL;
}

const char *gh_web_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

bool gh_web_path_ok(const char *path)
{
    size_t n = strlen(path);
    if (n < 2 || n > 200 || path[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = path[i];
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        if (c == '/' && (path[i + 1] == '/' || path[i + 1] == '.' || path[i + 1] == '\0'))
            return false;
        if (!word && c != '/' && c != '.')
            return false;
    }
    return true;
}

const char *gh_web_file_for(const char *path)
{
    static const char *const files[] = {"/index.html", "/style.css", "/favicon.svg", NULL};
    static const char *const folders[] = {"/app/", "/i18n/", NULL};
    for (const char *const *f = files; *f != NULL; f++)
        if (strcmp(path, *f) == 0)
            return path;
    for (const char *const *d = folders; *d != NULL; d++)
        if (strncmp(path, *d, strlen(*d)) == 0)
            return path;
    return "/index.html";
}

/* Reads the server's --web-dir + path into the request's arena. GH_ENOTFOUND when it is not a
 * regular file. */
static gh_err read_disk(gh_req *r, const char *path, gh_web_file *out)
{
    char full[1300];
    snprintf(full, sizeof full, "%s%s", gh_http_web_dir(r), path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat st;
    gh_err err = GH_ENOTFOUND;
    if (fd < 0)
        return gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such file");
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > WEB_MAX_FILE)
        goto out;
    unsigned char *buf = gh_arena_alloc(r->a, (size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k <= 0)
            goto out;
        got += (size_t)k;
    }
    buf[got] = '\0';
    *out = (gh_web_file){
        .path = path,
        .content_type = gh_web_content_type(path),
        .data = buf,
        .len = got,
        .etag = gh_arena_printf(r->a, "\"d%llx-%zx\"", (unsigned long long)st.st_mtime, got)};
    err = GH_OK;
out:
    close(fd);
    return err == GH_OK ? GH_OK : gh_fail(&r->ctx, err, NULL, NULL, "no such file");
}

gh_err gh_h_web(gh_req *r)
{
    const char *path = gh_web_file_for(r->path);
    gh_web_file disk;
    const gh_web_file *f = NULL;
    if (!gh_web_path_ok(path))
        return gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such file");
    if (gh_http_web_dir(r)[0] != '\0') {
        gh_err err = read_disk(r, path, &disk);
        if (err != GH_OK)
            return err;
        f = &disk;
    } else if ((f = gh_web_find(path)) == NULL) {
        return gh_fail(&r->ctx, GH_ENOTFOUND, NULL, NULL, "no such file");
    }
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    r->etag = f->etag;
    r->cache_control = "no-cache";
    r->content_type = f->content_type;
    if (inm != NULL && strcmp(inm, f->etag) == 0) {
        r->status = 304;
        return GH_OK;
    }
    r->text = (const char *)f->data;
    r->text_len = f->len;
    return GH_OK;
}
