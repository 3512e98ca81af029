/* Times one Argon2id verification at the server's parameters (GH_ARGON2_OPSLIMIT and
 * GH_ARGON2_MEMLIMIT), the unit of work of every sign-in: `gh-hashtime [RUNS]` prints the median
 * and the fastest of RUNS verifications as "RESULT argon2id_verify_ms <median>" lines. The
 * sign-in benchmark divides its sign-ins per second by cores / this time. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 15;
    if (runs < 1 || runs > 1000 || sodium_init() < 0)
        return 2;
    static const char pw[] = "a benchmark password of some length";
    char hash[GH_HASH_BYTES];
    if (gh_password_hash(pw, hash) != GH_OK)
        return 1;
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (ms == NULL)
        return 1;
    for (int i = 0; i < runs; i++) {
        double t = now_ms();
        if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
            return 1;
        ms[i] = now_ms() - t;
    }
    qsort(ms, (size_t)runs, sizeof *ms, by_value);
    printf("argon2id m=%u KiB t=%u p=1: %d verifications, median %.2f ms, fastest %.2f ms\n",
           GH_ARGON2_MEMLIMIT / 1024u, GH_ARGON2_OPSLIMIT, runs, ms[runs / 2], ms[0]);
    printf("RESULT argon2id_verify_ms %.2f\n", ms[runs / 2]);
    printf("RESULT argon2id_verify_fastest_ms %.2f\n", ms[0]);
    free(ms);
    return 0;
}
