/* Argon2id off the server threads: a fixed set of workers and a bounded queue. A sign-in flood
 * fills the queue and gets 429 at once, while the server threads keep answering the rest of the
 * API (SECURITY I8). Thread-safe. */
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

/* Starts the workers; queue_cap jobs may wait. */
gh_err gh_hashpool_start(int workers, int queue_cap) GH_MUST_USE;
/* Finishes queued jobs and joins the workers. */
void gh_hashpool_stop(void);
/* Queues a job; GH_ERATE when the queue is full (the caller answers 429). The job must stay
 * valid until done() runs. */
gh_err gh_hashpool_submit(gh_hash_job *job) GH_MUST_USE;
/* Two-step form for callers that must prepare between knowing there is room and queueing (the
 * server suspends the connection): reserve a place, then submit into it (never refused). */
gh_err gh_hashpool_reserve(void) GH_MUST_USE;
void gh_hashpool_submit_reserved(gh_hash_job *job);

#endif
