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
 * overrun it, and given back when the step did not fail. Thread-safe between start and stop
 * (one lock per set); start and stop themselves run before and after the server threads. */
#ifndef GH_AUTH_THROTTLE_H
#define GH_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define GH_THROTTLE_WINDOW_S 60
#define GH_THROTTLE_MAX_RATE 10000 /* per_minute above this is refused */

/* Sets up the table for `addresses` addresses (rounded up) and the budget. GH_EINVAL for
 * per_minute outside 1..GH_THROTTLE_MAX_RATE or addresses < 1, GH_ENOMEM. A second start
 * replaces the first (and forgets every count). Until started, every attempt is allowed (the
 * CLI never signs anyone in). */
gh_err gh_throttle_start(int per_minute, int addresses) GH_MUST_USE;
/* Frees the table; every attempt is allowed again. */
void gh_throttle_stop(void);

/* Takes one attempt from addr's budget at `now` (seconds). addr is the client address as text
 * (IPv4 or IPv6; anything else shares one budget). GH_OK: go ahead. GH_ERATE: over budget;
 * *retry_after gets the seconds until an attempt frees up (at least 1) and *first_refusal tells
 * whether this is the first refusal of the address for a window (to be audited once rather than
 * for every request of a flood). A refused attempt is not counted. */
gh_err gh_throttle_take(const char *addr, int64_t now, int64_t *retry_after,
                        bool *first_refusal) GH_MUST_USE;
/* Gives back an attempt taken for addr: the step passed or could not be tried. Takes back the
 * newest counted attempt; nothing happens when there is none left in the window. */
void gh_throttle_give_back(const char *addr, int64_t now);

#endif
