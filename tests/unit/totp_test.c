/* Unit tests of auth/totp: sealing and the key file, base32, TOTP verification against RFC 6238
 * vectors and the real `oathtool` (A10), the enrolment URI, the QR code (rasterised from its SVG
 * path and compared with libqrencode's matrix; decoded by `zbarimg` when installed) and the
 * recovery codes (A11). Each test makes its own temporary directory when it needs files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/totp.h"

/* RFC 6238 appendix B: the SHA-1 secret is the ASCII string "12345678901234567890". */
static const unsigned char rfc_secret[GH_TOTP_SECRET_BYTES] = "12345678901234567890";
#define RFC_BASE32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

/* ---- helpers ---- */

typedef struct tmpdir {
    char dir[64];
    char path[128];
} tmpdir;

static void tmpdir_make(tmpdir *t, const char *file)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/gh-totp-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, file);
}

static void tmpdir_remove(tmpdir *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

/* The code `oathtool --totp --base32 -N @epoch` prints, into out (7 bytes). */
static void oathtool_code(const char *base32, int64_t epoch, char out[7])
{
    char cmd[256], line[64] = {0};
    snprintf(cmd, sizeof cmd, "oathtool --totp --base32 -N @%lld %s", (long long)epoch, base32);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_int_equal(strlen(line), 7);
    assert_int_equal(line[6], '\n');
    memcpy(out, line, 6);
    out[6] = '\0';
}

static bool has_command(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* ---- sealing ---- */

static void seal_round_trip(void **state)
{
    gh_arena *a = gh_arena_new();
    unsigned char key[GH_SECRET_KEY_BYTES], secret[GH_TOTP_SECRET_BYTES], out[64];
    size_t n = 0;
    randombytes_buf(key, sizeof key);
    gh_totp_new_secret(secret);
    char *s1 = gh_seal(a, key, secret, sizeof secret);
    char *s2 = gh_seal(a, key, secret, sizeof secret);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_string_not_equal(s1, s2); /* a fresh nonce every time */
    assert_int_equal(strspn(s1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     strlen(s1));
    assert_int_equal(gh_unseal(key, s1, out, sizeof out, &n), GH_OK);
    assert_int_equal(n, sizeof secret);
    assert_memory_equal(out, secret, sizeof secret);
    assert_int_equal(gh_unseal(key, s2, out, sizeof secret, &n), GH_OK); /* exactly cap */
    assert_memory_equal(out, secret, sizeof secret);
    /* the empty message too */
    char *empty = gh_seal(a, key, (const unsigned char *)"", 0);
    assert_non_null(empty);
    n = 99;
    assert_int_equal(gh_unseal(key, empty, out, sizeof out, &n), GH_OK);
    assert_int_equal(n, 0);
    gh_arena_free(a);
}

static void unseal_refuses_tampered_and_truncated(void **state)
{
    gh_arena *a = gh_arena_new();
    unsigned char key[GH_SECRET_KEY_BYTES], msg[GH_TOTP_SECRET_BYTES], out[64];
    randombytes_buf(key, sizeof key);
    randombytes_buf(msg, sizeof msg);
    const char *sealed = gh_seal(a, key, msg, sizeof msg);
    size_t len = strlen(sealed);
    /* one changed character in the nonce, the MAC, the body and the last one */
    size_t at[] = {0, 20, 40, len - 2, len - 1};
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        char *t = gh_arena_strdup(a, sealed);
        t[at[i]] = t[at[i]] == 'A' ? 'B' : 'A';
        size_t n = 12345;
        memset(out, 0x5a, sizeof out);
        assert_int_equal(gh_unseal(key, t, out, sizeof out, &n), GH_EINVAL);
        assert_int_equal(n, 12345); /* outputs untouched on failure */
        assert_int_equal(out[0], 0x5a);
    }
    /* truncated, extended, not base64 at all, empty */
    const char *bad[] = {gh_arena_strndup(a, sealed, len - 1),
                         gh_arena_strndup(a, sealed, len - 4),
                         gh_arena_strndup(a, sealed, 20),
                         gh_arena_printf(a, "%sAAAA", sealed),
                         gh_arena_printf(a, "%s=", sealed),
                         gh_arena_printf(a, "%.10s+%s", sealed, sealed + 11),
                         "",
                         "not base64 at all!"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 0;
        assert_int_equal(gh_unseal(key, bad[i], out, sizeof out, &n), GH_EINVAL);
    }
    size_t n = 0;
    assert_int_equal(gh_unseal(key, NULL, out, sizeof out, &n), GH_EINVAL);
    gh_arena_free(a);
}

static void unseal_refuses_another_key(void **state)
{
    gh_arena *a = gh_arena_new();
    unsigned char key[GH_SECRET_KEY_BYTES], other[GH_SECRET_KEY_BYTES], out[64];
    randombytes_buf(key, sizeof key);
    memcpy(other, key, sizeof key);
    other[31] ^= 1;
    const char *sealed = gh_seal(a, key, (const unsigned char *)"hello", 5);
    size_t n = 0;
    assert_int_equal(gh_unseal(other, sealed, out, sizeof out, &n), GH_EINVAL);
    assert_int_equal(gh_unseal(key, sealed, out, sizeof out, &n), GH_OK);
    assert_int_equal(n, 5);
    gh_arena_free(a);
}

static void unseal_refuses_what_exceeds_cap(void **state)
{
    gh_arena *a = gh_arena_new();
    unsigned char key[GH_SECRET_KEY_BYTES], out[8];
    randombytes_buf(key, sizeof key);
    const char *sealed = gh_seal(a, key, (const unsigned char *)"123456789", 9);
    size_t n = 0;
    assert_int_equal(gh_unseal(key, sealed, out, sizeof out, &n), GH_ETOOLARGE);
    gh_arena_free(a);
}

/* ---- the key file ---- */

static void key_file_created_0600_and_reread(void **state)
{
    tmpdir t;
    tmpdir_make(&t, "secret.key");
    unsigned char k1[GH_SECRET_KEY_BYTES], k2[GH_SECRET_KEY_BYTES], disk[64];
    assert_int_equal(gh_secret_key_load(t.path, k1), GH_OK);
    struct stat st;
    assert_int_equal(stat(t.path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, GH_SECRET_KEY_BYTES);
    int fd = open(t.path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, disk, sizeof disk), GH_SECRET_KEY_BYTES);
    close(fd);
    assert_memory_equal(disk, k1, sizeof k1);
    assert_int_equal(gh_secret_key_load(t.path, k2), GH_OK);
    assert_memory_equal(k1, k2, sizeof k1);
    /* what the key sealed, the re-read key opens */
    gh_arena *a = gh_arena_new();
    unsigned char out[8];
    size_t n = 0;
    assert_int_equal(gh_unseal(k2, gh_seal(a, k1, (const unsigned char *)"x", 1), out, 8, &n),
                     GH_OK);
    gh_arena_free(a);
    tmpdir_remove(&t);
}

static void key_file_readable_by_others_refused(void **state)
{
    static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602};
    tmpdir t;
    tmpdir_make(&t, "secret.key");
    unsigned char bytes[GH_SECRET_KEY_BYTES], key[GH_SECRET_KEY_BYTES];
    randombytes_buf(bytes, sizeof bytes);
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        write_file(t.path, bytes, sizeof bytes, modes[i]);
        memset(key, 0x77, sizeof key);
        assert_int_equal(gh_secret_key_load(t.path, key), GH_EINVAL);
        assert_int_equal(key[0], 0x77); /* not written on failure */
    }
    write_file(t.path, bytes, sizeof bytes, 0600); /* the same bytes are fine at 0600 */
    assert_int_equal(gh_secret_key_load(t.path, key), GH_OK);
    assert_memory_equal(key, bytes, sizeof key);
    write_file(t.path, bytes, sizeof bytes, 0400);
    assert_int_equal(gh_secret_key_load(t.path, key), GH_OK);
    tmpdir_remove(&t);
}

static void key_file_wrong_size_or_kind_refused(void **state)
{
    static const size_t sizes[] = {0, 1, 31, 33, 64};
    tmpdir t;
    tmpdir_make(&t, "secret.key");
    unsigned char bytes[64] = {1}, key[GH_SECRET_KEY_BYTES];
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        write_file(t.path, bytes, sizes[i], 0600);
        assert_int_equal(gh_secret_key_load(t.path, key), GH_EINVAL);
    }
    /* a symbolic link to a good key file, and a directory */
    write_file(t.path, bytes, GH_SECRET_KEY_BYTES, 0600);
    char link[160], dir[160];
    snprintf(link, sizeof link, "%s/link.key", t.dir);
    assert_int_equal(symlink(t.path, link), 0);
    assert_int_equal(gh_secret_key_load(link, key), GH_EINVAL);
    snprintf(dir, sizeof dir, "%s/dir.key", t.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(gh_secret_key_load(dir, key), GH_EINVAL);
    /* a directory that does not exist: cannot create, and says so */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/secret.key", t.dir);
    assert_int_equal(gh_secret_key_load(missing, key), GH_EINTERNAL);
    tmpdir_remove(&t);
}

/* ---- base32 ---- */

static void base32_known_vectors(void **state)
{
    gh_arena *a = gh_arena_new();
    assert_string_equal(gh_totp_base32(a, rfc_secret), RFC_BASE32);
    /* RFC 4648 section 10: BASE32("fooba") = "MZXW6YTB", BASE32("foobar") = "MZXW6YTBOI======" */
    unsigned char foobar[GH_TOTP_SECRET_BYTES] = "foobar";
    assert_string_equal(gh_totp_base32(a, foobar), "MZXW6YTBOIAAAAAAAAAAAAAAAAAAAAAA");
    unsigned char ff[GH_TOTP_SECRET_BYTES];
    memset(ff, 0xff, sizeof ff);
    assert_string_equal(gh_totp_base32(a, ff), "77777777777777777777777777777777");
    unsigned char secret[GH_TOTP_SECRET_BYTES];
    gh_totp_new_secret(secret);
    const char *b = gh_totp_base32(a, secret);
    assert_int_equal(strlen(b), 32);
    assert_int_equal(strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
    gh_arena_free(a);
}

/* ---- TOTP ---- */

static void totp_rfc6238_vectors(void **state)
{
    /* RFC 6238 appendix B, SHA-1, last six of the eight digits */
    static const struct {
        int64_t t;
        const char *code;
    } v[] = {{59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
             {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        int64_t step = -1;
        assert_int_equal(gh_totp_verify(rfc_secret, v[i].code, v[i].t, -1, &step), GH_OK);
        assert_int_equal(step, v[i].t / 30);
    }
}

static void totp_accepts_oathtool_codes(void **state)
{
    gh_arena *a = gh_arena_new();
    static const int64_t epochs[] = {1700000000, 1700000029, 1800000015, 4102444800};
    for (int round = 0; round < 3; round++) {
        unsigned char secret[GH_TOTP_SECRET_BYTES];
        gh_totp_new_secret(secret);
        const char *b32 = gh_totp_base32(a, secret);
        for (size_t i = 0; i < sizeof epochs / sizeof *epochs; i++) {
            char code[7];
            int64_t step = 0;
            oathtool_code(b32, epochs[i], code);
            assert_int_equal(gh_totp_verify(secret, code, epochs[i], 0, &step), GH_OK);
            assert_int_equal(step, epochs[i] / 30);
        }
    }
    gh_arena_free(a);
}

/* Around T_FIXED (step S): S-2 = 276857, S-1 = 921300, S = 732303, S+1 = 136087, all distinct. */
#define T_FIXED 1700000015

static void totp_window_is_current_and_previous_step(void **state)
{
    const int64_t s = T_FIXED / 30;
    char now[7], prev[7], old[7], next[7];
    oathtool_code(RFC_BASE32, T_FIXED, now);
    oathtool_code(RFC_BASE32, T_FIXED - 30, prev);
    oathtool_code(RFC_BASE32, T_FIXED - 60, old);
    oathtool_code(RFC_BASE32, T_FIXED + 30, next);
    /* the test means something only if the four codes differ */
    assert_string_not_equal(now, prev);
    assert_string_not_equal(now, old);
    assert_string_not_equal(now, next);
    assert_string_not_equal(prev, old);
    assert_string_not_equal(prev, next);
    int64_t step = 42;
    assert_int_equal(gh_totp_verify(rfc_secret, now, T_FIXED, 0, &step), GH_OK);
    assert_int_equal(step, s);
    assert_int_equal(gh_totp_verify(rfc_secret, prev, T_FIXED, 0, &step), GH_OK);
    assert_int_equal(step, s - 1);
    step = 42;
    assert_int_equal(gh_totp_verify(rfc_secret, old, T_FIXED, 0, &step), GH_EUNAUTH);
    assert_int_equal(gh_totp_verify(rfc_secret, next, T_FIXED, 0, &step), GH_EUNAUTH);
    assert_int_equal(gh_totp_verify(rfc_secret, "000000", T_FIXED, 0, &step), GH_EUNAUTH);
    assert_int_equal(step, 42); /* not written on failure */
    /* the previous step's code stays good to the last second of the current step only */
    assert_int_equal(gh_totp_verify(rfc_secret, prev, s * 30 + 29, 0, &step), GH_OK);
    assert_int_equal(gh_totp_verify(rfc_secret, prev, s * 30 + 30, 0, &step), GH_EUNAUTH);
}

static void totp_code_is_accepted_once(void **state)
{
    const int64_t s = T_FIXED / 30;
    char now[7], prev[7];
    oathtool_code(RFC_BASE32, T_FIXED, now);
    oathtool_code(RFC_BASE32, T_FIXED - 30, prev);
    int64_t step = 42;
    assert_int_equal(gh_totp_verify(rfc_secret, now, T_FIXED, s, &step), GH_EUNAUTH); /* replay */
    assert_int_equal(gh_totp_verify(rfc_secret, now, T_FIXED, s + 5, &step), GH_EUNAUTH);
    assert_int_equal(step, 42);
    assert_int_equal(gh_totp_verify(rfc_secret, now, T_FIXED, s - 1, &step), GH_OK);
    assert_int_equal(step, s);
    /* after the previous step's code was used, it is not accepted again, but the current is */
    assert_int_equal(gh_totp_verify(rfc_secret, prev, T_FIXED, s - 1, &step), GH_EUNAUTH);
    assert_int_equal(gh_totp_verify(rfc_secret, prev, T_FIXED, s - 2, &step), GH_OK);
    assert_int_equal(step, s - 1);
}

static void totp_refuses_malformed_codes(void **state)
{
    char now[7];
    oathtool_code(RFC_BASE32, T_FIXED, now);
    char padded[16], trailing[16];
    snprintf(padded, sizeof padded, " %s", now);
    snprintf(trailing, sizeof trailing, "%s\n", now);
    const char *bad[] = {"12345", "1234567", "12a456", " 123456", padded,        trailing,
                         "",      "+12345",  "-12345", "12 456",  "１２３４５６"};
    int64_t step = 42;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(gh_totp_verify(rfc_secret, bad[i], T_FIXED, 0, &step), GH_EINVAL);
    assert_int_equal(gh_totp_verify(rfc_secret, NULL, T_FIXED, 0, &step), GH_EINVAL);
    assert_int_equal(gh_totp_verify(rfc_secret, now, -1, -5, &step), GH_EINVAL);
    assert_int_equal(step, 42);
    /* step 0 has no previous step; its code is the previous one during step 1 only */
    char first[7];
    oathtool_code(RFC_BASE32, 0, first);
    assert_int_equal(gh_totp_verify(rfc_secret, first, 29, -1, &step), GH_OK);
    assert_int_equal(step, 0);
    assert_int_equal(gh_totp_verify(rfc_secret, "287082", 29, -1, &step), GH_EUNAUTH);
    assert_int_equal(gh_totp_verify(rfc_secret, first, 59, -1, &step), GH_OK);
    assert_int_equal(step, 0);
    assert_int_equal(gh_totp_verify(rfc_secret, first, 60, -1, &step), GH_EUNAUTH);
}

/* ---- URI ---- */

static void uri_encodes_issuer_and_account(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *uri = gh_totp_uri(a, "Gate House", "ann:b doe@example.com", rfc_secret);
    assert_string_equal(uri,
                        "otpauth://totp/Gate%20House:ann%3Ab%20doe%40example.com?secret=" RFC_BASE32
                        "&issuer=Gate%20House&algorithm=SHA1&digits=6&period=30");
    assert_non_null(strstr(uri, "secret=" RFC_BASE32));
    assert_non_null(strstr(uri, "issuer=Gate%20House"));
    /* unreserved characters stay, everything else (UTF-8 bytes too) is encoded */
    uri = gh_totp_uri(a, "A-z_0.9~", "é/?&#=+%", rfc_secret);
    assert_non_null(strstr(uri, "totp/A-z_0.9~:%C3%A9%2F%3F%26%23%3D%2B%25?"));
    gh_arena_free(a);
}

/* ---- QR code ---- */

typedef struct edge {
    int x, y0, y1;
} edge;

/* The vertical edges of the path data d (absolute and relative M, H, V, L, Z with integer
 * coordinates and only axis-parallel lines, which is all a QR code needs) into *edges. */
static size_t path_edges(const char *d, edge **edges)
{
    size_t n = 0, cap = 1024;
    *edges = malloc(cap * sizeof **edges);
    assert_non_null(*edges);
    int x = 0, y = 0, sx = 0, sy = 0;
    char cmd = 0;
    for (const char *p = d; *p;) {
        if (*p == ' ' || *p == ',') {
            p++;
            continue;
        }
        if (strchr("MmHhVvLlZz", *p) != NULL)
            cmd = *p++;
        else if (cmd == 0 || cmd == 'Z' || cmd == 'z')
            fail_msg("path data: no command before \"%.10s\"", p);
        int nx = x, ny = y;
        if (cmd == 'Z' || cmd == 'z') {
            nx = sx, ny = sy;
        } else {
            char *end;
            long v1 = strtol(p, &end, 10), v2 = 0;
            assert_true(end > p);
            p = end;
            if (strchr("MmLl", cmd) != NULL) {
                while (*p == ' ' || *p == ',')
                    p++;
                v2 = strtol(p, &end, 10);
                assert_true(end > p);
                p = end;
            }
            bool rel = cmd >= 'a';
            if (cmd == 'H' || cmd == 'h')
                nx = (int)v1 + (rel ? x : 0);
            else if (cmd == 'V' || cmd == 'v')
                ny = (int)v1 + (rel ? y : 0);
            else
                nx = (int)v1 + (rel ? x : 0), ny = (int)v2 + (rel ? y : 0);
        }
        if (cmd == 'M' || cmd == 'm') {
            sx = nx, sy = ny;
            cmd = cmd == 'M' ? 'L' : 'l'; /* further pairs are lines */
        } else {
            assert_true(nx == x || ny == y);
            if (nx == x && ny != y) {
                if (n == cap)
                    assert_non_null(*edges = realloc(*edges, (cap *= 2) * sizeof **edges));
                (*edges)[n++] = (edge){x, y < ny ? y : ny, y < ny ? ny : y};
            }
        }
        x = nx, y = ny;
    }
    return n;
}

/* Rasterises the SVG's single path at one sample per module (non-zero and even-odd agree for
 * the disjoint squares we draw) into a size x size matrix of 0/1; returns it (free it). */
static unsigned char *rasterise(const char *svg, int *size)
{
    const char *vb = strstr(svg, "viewBox=\"0 0 ");
    assert_non_null(vb);
    int w = 0, h = 0;
    assert_int_equal(sscanf(vb, "viewBox=\"0 0 %d %d\"", &w, &h), 2);
    assert_int_equal(w, h);
    const char *path = strstr(svg, "<path");
    assert_non_null(path);
    assert_null(strstr(path + 1, "<path")); /* one path */
    const char *d = strstr(path, " d=\"");
    assert_non_null(d);
    d += 4;
    const char *end = strchr(d, '"');
    assert_non_null(end);
    char *data = strndup(d, (size_t)(end - d));
    edge *edges;
    size_t n = path_edges(data, &edges);
    unsigned char *m = calloc((size_t)w * (size_t)w, 1);
    assert_non_null(m);
    for (int my = 0; my < w; my++)
        for (int mx = 0; mx < w; mx++) {
            int crossings = 0;
            for (size_t i = 0; i < n; i++)
                crossings += edges[i].x > mx && edges[i].y0 <= my && my < edges[i].y1;
            m[my * w + mx] = crossings & 1;
        }
    free(edges);
    free(data);
    *size = w;
    return m;
}

static void qr_svg_matches_libqrencode(void **state)
{
    gh_arena *a = gh_arena_new();
    const char *text = gh_totp_uri(a, "Gatehouse", "ann@example.com", rfc_secret);
    const char *svg = gh_totp_qr_svg(a, text);
    assert_non_null(svg);
    assert_true(strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0);
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "<path"));
    assert_non_null(strstr(svg, "</svg>"));
    int size = 0;
    unsigned char *m = rasterise(svg, &size);
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    assert_int_equal(size, qr->width + 8);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            bool inside = x >= 4 && y >= 4 && x < qr->width + 4 && y < qr->width + 4;
            int want = inside ? qr->data[(y - 4) * qr->width + (x - 4)] & 1 : 0;
            assert_int_equal(m[y * size + x], want);
        }
    /* the top-left finder pattern: a dark 7x7 ring just inside the quiet zone */
    for (int i = 0; i < 7; i++)
        assert_true(m[4 * size + 4 + i] && m[(4 + i) * size + 4] && m[10 * size + 4 + i]);
    QRcode_free(qr);
    free(m);
    gh_arena_free(a);
}

static void qr_svg_refuses_what_cannot_be_encoded(void **state)
{
    gh_arena *a = gh_arena_new();
    assert_null(gh_totp_qr_svg(a, NULL));
    assert_null(gh_totp_qr_svg(a, ""));
    char *big = gh_arena_alloc(a, 4000); /* more than version 40-M holds (2331 bytes) */
    memset(big, 'x', 3999);
    assert_null(gh_totp_qr_svg(a, big));
    big[1000] = '\0';
    assert_non_null(gh_totp_qr_svg(a, big));
    gh_arena_free(a);
}

/* PNG with stored (uncompressed) deflate blocks: enough for zbarimg, no zlib needed. */
static uint32_t crc32_of(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void png_chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char head[8], tail[4];
    put32(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    uint32_t crc = crc32_of(head + 4, 4, 0);
    put32(tail, crc32_of(data, n, crc));
    assert_int_equal(fwrite(head, 1, 8, f), 8);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fwrite(tail, 1, 4, f), 4);
}

/* Writes the module matrix m (size x size) as a grey PNG, scale pixels per module. */
static void write_png(const char *path, const unsigned char *m, int size, int scale)
{
    size_t px = (size_t)size * (size_t)scale, row = px + 1, raw_len = row * px;
    unsigned char *raw = malloc(raw_len);
    assert_non_null(raw);
    for (size_t y = 0; y < px; y++) {
        raw[y * row] = 0; /* filter: none */
        for (size_t x = 0; x < px; x++)
            raw[y * row + 1 + x] =
                m[(y / (size_t)scale) * (size_t)size + x / (size_t)scale] ? 0 : 255;
    }
    size_t blocks = raw_len / 65535 + 1, z_len = 2 + raw_len + blocks * 5 + 4, k = 0;
    unsigned char *z = malloc(z_len);
    assert_non_null(z);
    z[k++] = 0x78, z[k++] = 0x01;
    uint32_t s1 = 1, s2 = 0;
    size_t off = 0;
    do {
        size_t n = raw_len - off < 65535 ? raw_len - off : 65535;
        z[k++] = off + n == raw_len; /* BFINAL on the last block, BTYPE 00 (stored) */
        z[k++] = (unsigned char)n, z[k++] = (unsigned char)(n >> 8);
        z[k++] = (unsigned char)~n, z[k++] = (unsigned char)(~n >> 8);
        memcpy(z + k, raw + off, n);
        k += n;
        off += n;
    } while (off < raw_len);
    for (size_t i = 0; i < raw_len; i++) {
        s1 = (s1 + raw[i]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    put32(z + k, s2 << 16 | s1);
    k += 4;
    unsigned char ihdr[13] = {0};
    put32(ihdr, (uint32_t)px);
    put32(ihdr + 4, (uint32_t)px);
    ihdr[8] = 8; /* bit depth; colour type 0 (grey), deflate, no filter, no interlace */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("\x89PNG\r\n\x1a\n", 1, 8, f), 8);
    png_chunk(f, "IHDR", ihdr, sizeof ihdr);
    png_chunk(f, "IDAT", z, k);
    png_chunk(f, "IEND", (const unsigned char *)"", 0);
    assert_int_equal(fclose(f), 0);
    free(z);
    free(raw);
}

static void qr_svg_decodes_with_zbarimg(void **state)
{
    if (!has_command("zbarimg")) {
        fprintf(stderr, "zbarimg not installed (apt-get install zbar-tools): QR decode SKIPPED\n");
        skip();
    }
    gh_arena *a = gh_arena_new();
    unsigned char secret[GH_TOTP_SECRET_BYTES];
    gh_totp_new_secret(secret);
    const char *texts[] = {gh_totp_uri(a, "Gate House", "ann:b doe@example.com", secret), "hello",
                           gh_totp_uri(a, "G", "a", rfc_secret)};
    tmpdir t;
    tmpdir_make(&t, "qr.png");
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        int size = 0;
        unsigned char *m = rasterise(gh_totp_qr_svg(a, texts[i]), &size);
        write_png(t.path, m, size, 4);
        free(m);
        char cmd[256], out[1024] = {0};
        snprintf(cmd, sizeof cmd, "zbarimg --raw -q --nodbus '%s'", t.path);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof out - 1, p);
        assert_int_equal(pclose(p), 0);
        assert_true(n > 0 && out[n - 1] == '\n');
        out[n - 1] = '\0';
        assert_string_equal(out, texts[i]);
    }
    tmpdir_remove(&t);
    gh_arena_free(a);
}

/* ---- recovery codes ---- */

static void recovery_codes_shape_and_distinct(void **state)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    char codes[GH_RECOVERY_CODES][GH_RECOVERY_CODE_CHARS + 1];
    memset(codes, 0x7f, sizeof codes);
    gh_recovery_codes_new(codes);
    for (int i = 0; i < GH_RECOVERY_CODES; i++) {
        const char *c = codes[i];
        assert_int_equal(strlen(c), GH_RECOVERY_CODE_CHARS);
        for (int j = 0; j < GH_RECOVERY_CODE_CHARS; j++) {
            if (j == 4 || j == 9)
                assert_int_equal(c[j], '-');
            else
                assert_non_null(memchr(alphabet, c[j], sizeof alphabet - 1));
        }
        for (int k = 0; k < i; k++)
            assert_string_not_equal(codes[k], c);
    }
    /* 32 symbols x 10 = 50 bits: over many codes every symbol shows up */
    int seen[256] = {0};
    for (int round = 0; round < 20; round++) {
        gh_recovery_codes_new(codes);
        for (int i = 0; i < GH_RECOVERY_CODES; i++)
            for (const char *p = codes[i]; *p; p++)
                seen[(unsigned char)*p]++;
    }
    for (const char *p = alphabet; *p; p++)
        assert_true(seen[(unsigned char)*p] > 0);
}

static void recovery_code_hash_normalises(void **state)
{
    char h1[65], h2[65];
    gh_recovery_code_hash("k7qf-m2xr-9p", h1);
    /* sha256("k7qfm2xr9p"), computed independently */
    assert_string_equal(h1, "28b198d47613dc07654919c7d055a1c3dff339ef7762072103c5736aba5837ce");
    const char *same[] = {"K7QF-M2XR-9P", "k7qfm2xr9p", " k7qf m2xr 9p ", "K7QF--M2XR-9p"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        gh_recovery_code_hash(same[i], h2);
        assert_string_equal(h1, h2);
    }
    gh_recovery_code_hash("k7qf-m2xr-9q", h2);
    assert_string_not_equal(h1, h2);
    /* letters read as the digits they resemble */
    gh_recovery_code_hash("a0b1-c1d0-ee", h1);
    gh_recovery_code_hash("AOBI-cLdo-EE", h2);
    assert_string_equal(h1, h2);
    /* a long input is hashed whole, not truncated */
    char longer[200];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    gh_recovery_code_hash(longer, h1);
    longer[150] = 'b';
    gh_recovery_code_hash(longer, h2);
    assert_string_not_equal(h1, h2);
}

static int setup(void **state)
{
    return gh_auth_init() == GH_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_round_trip),
        cmocka_unit_test(unseal_refuses_tampered_and_truncated),
        cmocka_unit_test(unseal_refuses_another_key),
        cmocka_unit_test(unseal_refuses_what_exceeds_cap),
        cmocka_unit_test(key_file_created_0600_and_reread),
        cmocka_unit_test(key_file_readable_by_others_refused),
        cmocka_unit_test(key_file_wrong_size_or_kind_refused),
        cmocka_unit_test(base32_known_vectors),
        cmocka_unit_test(totp_rfc6238_vectors),
        cmocka_unit_test(totp_accepts_oathtool_codes),
        cmocka_unit_test(totp_window_is_current_and_previous_step),
        cmocka_unit_test(totp_code_is_accepted_once),
        cmocka_unit_test(totp_refuses_malformed_codes),
        cmocka_unit_test(uri_encodes_issuer_and_account),
        cmocka_unit_test(qr_svg_matches_libqrencode),
        cmocka_unit_test(qr_svg_refuses_what_cannot_be_encoded),
        cmocka_unit_test(qr_svg_decodes_with_zbarimg),
        cmocka_unit_test(recovery_codes_shape_and_distinct),
        cmocka_unit_test(recovery_code_hash_normalises),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
