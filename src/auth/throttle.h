/* Per-address sign-in throttle (SECURITY I8, A4): at most `per_minute` failed sign-in steps from
 * one client address in any GH_THROTTLE_WINDOW_S seconds. Lock-out bans an account after five
 * failures; this stops one address from spraying guesses over many accounts, and it refuses
 * before any Argon2id work is spent.
 *
 * A sliding window of one counter per second, per address, in a fixed set-associative table
 * allocated once at start: no allocation per request, O(1) per call (a fixed number of ways and
 * counters). IPv4 addresses count one by one; IPv6 addresses by their /64 (one subscriber's
 * network: anyone holding one can use 2^64 addresses). When every way of a set is in use, the
 * address with the fewest recent failures is forgotten.
 *
 * An attempt is taken from the budget when the step starts, so that parallel requests cannot
 * overrun it, and given back when the step did not fail. A throttle is an object of its owner
 * (the server): take and give_back are thread-safe (one lock per set); start and stop run before
 * and after the threads that use it. */
#ifndef GH_AUTH_THROTTLE_H
#define GH_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define GH_THROTTLE_WINDOW_S 60
#define GH_THROTTLE_MAX_RATE 10000 /* per_minute above this is refused */

typedef struct gh_throttle gh_throttle;

/* Makes a throttle with a table for `addresses` addresses (rounded up) and the budget, into
 * *out; the caller frees it with gh_throttle_stop(). GH_EINVAL for per_minute outside
 * 1..GH_THROTTLE_MAX_RATE or addresses < 1, GH_ENOMEM, GH_EINTERNAL when libsodium cannot
 * start. A new throttle has counted nothing. */
gh_err gh_throttle_start(int per_minute, int addresses, gh_throttle **out) GH_MUST_USE;
/* Frees t. NULL: nothing. */
void gh_throttle_stop(gh_throttle *t);

/* Takes one attempt from addr's budget in t at `now` (seconds). addr is the client address as
 * text (IPv4 or IPv6; anything else shares one budget). GH_OK: go ahead. GH_ERATE: over budget;
 * *retry_after gets the seconds until an attempt frees up (at least 1) and *first_refusal tells
 * whether this is the first refusal of the address for a window (to be audited once rather than
 * for every request of a flood). A refused attempt is not counted. t NULL: no throttle, every
 * attempt is allowed. */
gh_err gh_throttle_take(gh_throttle *t, const char *addr, int64_t now, int64_t *retry_after,
                        bool *first_refusal) GH_MUST_USE;
/* Gives back an attempt taken for addr: the step passed or could not be tried. Takes back the
 * newest counted attempt; nothing happens when there is none left in the window, or t is NULL. */
void gh_throttle_give_back(gh_throttle *t, const char *addr, int64_t now);

#endif
