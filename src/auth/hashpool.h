/* Argon2id off the server threads: a fixed set of workers and a bounded queue. A sign-in flood
 * fills the queue and gets 429 at once, while the server threads keep answering the rest of the
 * API (SECURITY I8). Each pool is an object of its owner (the server); submitting and reserving
 * are thread-safe, start and stop run before and after the threads that submit. */
#ifndef GH_AUTH_HASHPOOL_H
#define GH_AUTH_HASHPOOL_H

#include <stdbool.h>

#include "auth/auth.h"

typedef struct gh_hash_job gh_hash_job;
struct gh_hash_job {
    /* input: verify password against hash, or (hash == NULL) hash the password */
    const char *password;
    const char *hash;
    const char *new_password; /* with hash: once password verifies, hash this into new_hash */
    /* output */
    bool ok;       /* verified, or hashed */
    bool rehashed; /* verified and new_hash holds a hash at today's parameters */
    char new_hash[GH_HASH_BYTES];
    /* called on a worker thread when done */
    void (*done)(gh_hash_job *job);
    void *arg, *arg2; /* the caller's */
    gh_hash_job *next;
};

typedef struct gh_hashpool gh_hashpool;

/* Starts a pool of `workers` threads (outside 1..16: 2) where queue_cap jobs may wait, into
 * *out; the caller frees it with gh_hashpool_stop(). GH_ENOMEM, or GH_EINTERNAL when not one
 * worker could be started (then nothing is left running). */
gh_err gh_hashpool_start(int workers, int queue_cap, gh_hashpool **out) GH_MUST_USE;
/* Finishes the queued jobs, joins the workers and frees p. No job may be submitted from the
 * call on. NULL: nothing. */
void gh_hashpool_stop(gh_hashpool *p);
/* Queues a job on p; GH_ERATE when the queue is full (the caller answers 429). The job must
 * stay valid until done() runs. */
gh_err gh_hashpool_submit(gh_hashpool *p, gh_hash_job *job) GH_MUST_USE;
/* Two-step form for callers that must prepare between knowing there is room and queueing (the
 * server suspends the connection): reserve a place, then submit into it (never refused). */
gh_err gh_hashpool_reserve(gh_hashpool *p) GH_MUST_USE;
void gh_hashpool_submit_reserved(gh_hashpool *p, gh_hash_job *job);
/* The jobs queued or reserved, waiting for a worker (*depth), and how many may be (*cap), for
 * metrics.
 * Thread-safe. */
void gh_hashpool_depth(gh_hashpool *p, int *depth, int *cap);

#endif
