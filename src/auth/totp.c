/* See totp.h. liboath computes the codes and libqrencode the QR matrix; libsodium gives the
 * randomness, the sealing, the constant-time comparison and the hashes. */
#include "auth/totp.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define SEAL_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define B64_VARIANT   sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* ---- the key file ---- */

static void log_refused(const char *path, const char *reason)
{
    gh_log("error", "secret_key_refused", "path", path, "reason", reason, NULL);
}

static void log_io(const char *path, const char *op, int errnum)
{
    char buf[128];
    gh_log("error", "secret_key_io", "path", path, "op", op, "detail",
           strerror_r(errnum, buf, sizeof buf), NULL);
}

/* Reads exactly n bytes; false on error or early end of file. */
static bool read_all(int fd, unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf += r;
        n -= (size_t)r;
    }
    return true;
}

/* Checks the open file fd and reads the key from it; closes fd. */
static gh_err read_key(int fd, const char *path, unsigned char key[GH_SECRET_KEY_BYTES])
{
    gh_err err = GH_EINVAL;
    unsigned char buf[GH_SECRET_KEY_BYTES];
    struct stat st;
    if (fstat(fd, &st) != 0) {
        log_io(path, "fstat", errno);
        err = GH_EINTERNAL;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        log_refused(path, "not a regular file");
        goto out;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        log_refused(path, "group or others have access; chmod 600");
        goto out;
    }
    if (st.st_size != GH_SECRET_KEY_BYTES) {
        log_refused(path, "the file must hold exactly 32 bytes");
        goto out;
    }
    if (!read_all(fd, buf, sizeof buf)) {
        log_io(path, "read", errno);
        err = GH_EINTERNAL;
        goto out;
    }
    memcpy(key, buf, sizeof buf);
    err = GH_OK;
out:
    sodium_memzero(buf, sizeof buf);
    close(fd);
    return err;
}

/* Makes the new directory entry of path durable; a key lost in a crash would make every sealed
 * secret unreadable. */
static bool sync_parent(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return false;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (dfd < 0)
        return false;
    bool ok = fsync(dfd) == 0;
    close(dfd);
    return ok;
}

/* Creates path with a new key. GH_ECONFLICT when the file appeared meanwhile (read it instead). */
static gh_err create_key(const char *path, unsigned char key[GH_SECRET_KEY_BYTES])
{
    gh_err err = GH_EINTERNAL;
    unsigned char buf[GH_SECRET_KEY_BYTES];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return GH_ECONFLICT;
        log_io(path, "create", errno);
        return GH_EINTERNAL;
    }
    randombytes_buf(buf, sizeof buf);
    bool ok = write_all(fd, buf, sizeof buf) && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || !sync_parent(path)) {
        log_io(path, "write", ok ? errno : saved);
        unlink(path);
        goto out;
    }
    memcpy(key, buf, sizeof buf);
    gh_log("info", "secret_key_created", "path", path, NULL);
    err = GH_OK;
out:
    sodium_memzero(buf, sizeof buf);
    return err;
}

gh_err gh_secret_key_load(const char *path, unsigned char key[GH_SECRET_KEY_BYTES])
{
    /* The second round covers another process creating the file between our open and create. */
    for (int round = 0; round < 2; round++) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            return read_key(fd, path, key);
        if (errno == ELOOP) {
            log_refused(path, "a symbolic link");
            return GH_EINVAL;
        }
        if (errno != ENOENT) {
            log_io(path, "open", errno);
            return GH_EINTERNAL;
        }
        gh_err err = create_key(path, key);
        if (err != GH_ECONFLICT)
            return err;
    }
    return GH_EINTERNAL;
}

/* ---- sealing ---- */

char *gh_seal(gh_arena *a, const unsigned char key[GH_SECRET_KEY_BYTES], const unsigned char *msg,
              size_t n)
{
    if (n > crypto_secretbox_MESSAGEBYTES_MAX || n > SIZE_MAX / 2)
        return NULL;
    size_t raw_len = SEAL_OVERHEAD + n;
    unsigned char *raw = gh_arena_alloc(a, raw_len);
    randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
    if (crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, msg, n, raw, key) != 0)
        return NULL;
    size_t b64_len = sodium_base64_ENCODED_LEN(raw_len, B64_VARIANT);
    char *out = gh_arena_alloc(a, b64_len);
    sodium_bin2base64(out, b64_len, raw, raw_len, B64_VARIANT);
    return out;
}

/* The number of bytes that len characters of unpadded base64 decode to; SIZE_MAX when no string of
 * that length is valid. */
static size_t b64_decoded_len(size_t len)
{
    if (len % 4 == 1)
        return SIZE_MAX;
    return len / 4 * 3 + (len % 4 != 0 ? len % 4 - 1 : 0);
}

gh_err gh_unseal(const unsigned char key[GH_SECRET_KEY_BYTES], const char *sealed,
                 unsigned char *out, size_t cap, size_t *n)
{
    gh_err err = GH_EINVAL;
    unsigned char *raw = NULL, *plain = NULL;
    size_t len = sealed != NULL ? strlen(sealed) : 0;
    size_t raw_len = b64_decoded_len(len), bin_len = 0, mlen = 0;
    const char *end = NULL;
    if (sealed == NULL || raw_len == SIZE_MAX || raw_len < SEAL_OVERHEAD)
        goto out;
    mlen = raw_len - SEAL_OVERHEAD;
    if (mlen > cap) {
        err = GH_ETOOLARGE;
        mlen = 0;
        goto out;
    }
    raw = malloc(raw_len);
    plain = malloc(mlen > 0 ? mlen : 1);
    if (raw == NULL || plain == NULL) {
        err = GH_ENOMEM;
        goto out;
    }
    if (sodium_base642bin(raw, raw_len, sealed, len, NULL, &bin_len, &end, B64_VARIANT) != 0 ||
        end != sealed + len || bin_len != raw_len)
        goto out;
    if (crypto_secretbox_open_easy(plain, raw + crypto_secretbox_NONCEBYTES,
                                   raw_len - crypto_secretbox_NONCEBYTES, raw, key) != 0)
        goto out;
    memcpy(out, plain, mlen);
    *n = mlen;
    err = GH_OK;
out:
    if (plain != NULL)
        sodium_memzero(plain, mlen);
    free(plain);
    free(raw);
    return err;
}

/* ---- TOTP ---- */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_CRYPTO_ERROR;

static void oath_start(void)
{
    oath_status = oath_init();
}

/* Initialises liboath once per process; pthread_once publishes oath_status to every caller. */
static gh_err oath_ready(void)
{
    if (pthread_once(&oath_once, oath_start) != 0 || oath_status != OATH_OK) {
        gh_log("error", "oath_init_failed", NULL);
        return GH_EINTERNAL;
    }
    return GH_OK;
}

void gh_totp_new_secret(unsigned char secret[GH_TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, GH_TOTP_SECRET_BYTES);
}

char *gh_totp_base32(gh_arena *a, const unsigned char secret[GH_TOTP_SECRET_BYTES])
{
    /* 160 bits are 32 whole characters: no partial group, no padding. */
    _Static_assert(GH_TOTP_SECRET_BYTES * 8 % 5 == 0, "base32 of the secret needs padding");
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char *out = gh_arena_alloc(a, GH_TOTP_SECRET_BYTES * 8 / 5 + 1);
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < GH_TOTP_SECRET_BYTES; i++) {
        acc = (acc << 8 | secret[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            out[k++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    out[k] = '\0';
    return out;
}

/* s with everything but the RFC 3986 unreserved characters percent-encoded, in the arena. */
static char *pct_encode(gh_arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = gh_arena_alloc(a, 3 * strlen(s) + 1), *p = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        bool unreserved = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                          (*c >= '0' && *c <= '9') || (*c != '\0' && strchr("-._~", *c) != NULL);
        if (unreserved) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

char *gh_totp_uri(gh_arena *a, const char *issuer, const char *account,
                  const unsigned char secret[GH_TOTP_SECRET_BYTES])
{
    const char *iss = pct_encode(a, issuer);
    return gh_arena_printf(a,
                           "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d"
                           "&period=%d",
                           iss, pct_encode(a, account), gh_totp_base32(a, secret), iss,
                           GH_TOTP_DIGITS, GH_TOTP_PERIOD);
}

/* The code of step s into out (GH_TOTP_DIGITS + 1 bytes); liboath's return value. */
static int code_at(const unsigned char secret[GH_TOTP_SECRET_BYTES], int64_t s, char *out)
{
    return oath_totp_generate2((const char *)secret, GH_TOTP_SECRET_BYTES,
                               (time_t)(s * GH_TOTP_PERIOD), GH_TOTP_PERIOD,
                               OATH_TOTP_DEFAULT_START_TIME, GH_TOTP_DIGITS, 0, out);
}

static bool six_digits(const char *code)
{
    if (code == NULL)
        return false;
    for (int i = 0; i < GH_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[GH_TOTP_DIGITS] == '\0';
}

gh_err gh_totp_verify(const unsigned char secret[GH_TOTP_SECRET_BYTES], const char *code,
                      int64_t now, int64_t last_step, int64_t *step)
{
    char cur[GH_TOTP_DIGITS + 1] = {0}, prev[GH_TOTP_DIGITS + 1] = {0};
    if (!six_digits(code) || now < 0)
        return GH_EINVAL;
    gh_err err = oath_ready();
    if (err != GH_OK)
        return err;
    err = GH_EINTERNAL;
    int64_t s = now / GH_TOTP_PERIOD;
    bool has_prev = s > 0;
    if (code_at(secret, s, cur) != OATH_OK || (has_prev && code_at(secret, s - 1, prev) != OATH_OK))
        goto out;
    /* Both comparisons always run, so the time does not tell which step matched. */
    bool match_cur = sodium_memcmp(cur, code, GH_TOTP_DIGITS) == 0;
    bool match_prev = sodium_memcmp(prev, code, GH_TOTP_DIGITS) == 0 && has_prev;
    err = GH_EUNAUTH;
    if (match_cur && s > last_step) {
        *step = s;
        err = GH_OK;
    } else if (match_prev && s - 1 > last_step) {
        *step = s - 1;
        err = GH_OK;
    }
out:
    sodium_memzero(cur, sizeof cur);
    sodium_memzero(prev, sizeof prev);
    return err;
}

/* ---- QR code ---- */

/* Appends printf output to buf (capacity cap) at *len; false when it does not fit. */
static bool __attribute__((format(printf, 4, 5)))
append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= cap - *len)
        return false;
    *len += (size_t)r;
    return true;
}

/* Number of horizontal runs of dark modules: one path segment each. */
static size_t count_runs(const QRcode *qr)
{
    size_t runs = 0;
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if ((qr->data[y * qr->width + x] & 1) &&
                (x == 0 || !(qr->data[y * qr->width + x - 1] & 1)))
                runs++;
    return runs;
}

/* Writes the rows of qr as "M x y h len v1 h -len z" rectangles, shifted by the quiet zone. */
static bool append_runs(char *buf, size_t cap, size_t *len, const QRcode *qr, int quiet)
{
    int w = qr->width;
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int start = x;
            while (x < w && (qr->data[y * w + x] & 1))
                x++;
            if (!append(buf, cap, len, "M%d %dh%dv1h-%dz", start + quiet, y + quiet, x - start,
                        x - start))
                return false;
        }
    }
    return true;
}

char *gh_totp_qr_svg(gh_arena *a, const char *text)
{
    enum { QUIET = 4, PX_PER_MODULE = 4, RUN_CHARS = 24, FRAME_CHARS = 512 };
    if (text == NULL || *text == '\0')
        return NULL;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return NULL;
    int size = qr->width + 2 * QUIET;
    size_t cap = FRAME_CHARS + count_runs(qr) * RUN_CHARS, len = 0;
    char *svg = gh_arena_alloc(a, cap);
    bool ok = append(svg, cap, &len,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                     "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                     size * PX_PER_MODULE, size * PX_PER_MODULE, size, size, size, size) &&
              append_runs(svg, cap, &len, qr, QUIET) && append(svg, cap, &len, "\"/></svg>\n");
    QRcode_free(qr);
    return ok ? svg : NULL;
}

/* ---- recovery codes ---- */

/* Crockford's base32 in lower case: no i, l, o or u, so no two characters look alike. */
static const char recovery_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void gh_recovery_codes_new(char codes[GH_RECOVERY_CODES][GH_RECOVERY_CODE_CHARS + 1])
{
    unsigned char r[GH_RECOVERY_CODE_CHARS];
    for (int i = 0; i < GH_RECOVERY_CODES; i++) {
        randombytes_buf(r, sizeof r);
        for (int j = 0; j < GH_RECOVERY_CODE_CHARS; j++)
            codes[i][j] = (j == 4 || j == 9) ? '-' : recovery_alphabet[r[j] & 31];
        codes[i][GH_RECOVERY_CODE_CHARS] = '\0';
    }
    sodium_memzero(r, sizeof r);
}

/* The normalised form of one typed character, or 0 when it is dropped. */
static char normalise(unsigned char c)
{
    if (c == '-' || c == ' ')
        return 0;
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c - 'A' + 'a');
    return c == 'o' ? '0' : (c == 'i' || c == 'l') ? '1' : (char)c;
}

void gh_recovery_code_hash(const char *code, char hash[65])
{
    crypto_hash_sha256_state st;
    unsigned char chunk[64], digest[crypto_hash_sha256_BYTES];
    size_t k = 0;
    crypto_hash_sha256_init(&st);
    for (const unsigned char *p = (const unsigned char *)code; *p; p++) {
        char c = normalise(*p);
        if (c == 0)
            continue;
        chunk[k++] = (unsigned char)c;
        if (k == sizeof chunk) {
            crypto_hash_sha256_update(&st, chunk, k);
            k = 0;
        }
    }
    crypto_hash_sha256_update(&st, chunk, k);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hash, 65, digest, sizeof digest);
    sodium_memzero(chunk, sizeof chunk);
    sodium_memzero(&st, sizeof st);
}
