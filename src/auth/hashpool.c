/* See hashpool.h. */
#include "auth/hashpool.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static gh_hash_job *head, *tail;
static int queued, cap, n_workers;
static bool stopping;
static pthread_t workers[MAX_WORKERS];

/* Whether a verified hash is to be replaced: made by another algorithm (Argon2i) or with less
 * memory or fewer passes than today's parameters (A12). A stronger hash is kept: libsodium's
 * crypto_pwhash_str_needs_rehash() answers yes for any other parameters, which would turn it
 * into a weaker one at the next sign-in. */
static bool weaker_than_today(const char *hash)
{
    unsigned version = 0, m_kib = 0, t = 0, p = 0;
    if (sscanf(hash, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &version, &m_kib, &t, &p) != 4)
        return true;
    return m_kib < GH_ARGON2_MEMLIMIT / 1024u || t < GH_ARGON2_OPSLIMIT;
}

static void run(gh_hash_job *job)
{
    if (job->hash == NULL) {
        job->ok = gh_password_hash(job->password, job->new_hash) == GH_OK;
        return;
    }
    job->ok = crypto_pwhash_str_verify(job->hash, job->password, strlen(job->password)) == 0;
    if (job->new_password != NULL) {
        job->rehashed = job->ok && gh_password_hash(job->new_password, job->new_hash) == GH_OK;
        return;
    }
    job->rehashed = job->ok && weaker_than_today(job->hash) &&
                    gh_password_hash(job->password, job->new_hash) == GH_OK;
}

static void *worker(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (head == NULL && !stopping)
            pthread_cond_wait(&cv, &mu);
        gh_hash_job *job = head;
        if (job != NULL) {
            head = job->next;
            if (head == NULL)
                tail = NULL;
            queued--;
        }
        pthread_mutex_unlock(&mu);
        if (job == NULL)
            return NULL; /* stopping and drained */
        run(job);
        job->done(job);
    }
}

gh_err gh_hashpool_start(int n, int queue_cap)
{
    if (n < 1 || n > MAX_WORKERS)
        n = 2;
    cap = queue_cap;
    stopping = false;
    for (n_workers = 0; n_workers < n; n_workers++)
        if (pthread_create(&workers[n_workers], NULL, worker, NULL) != 0)
            break;
    return n_workers > 0 ? GH_OK : GH_EINTERNAL;
}

void gh_hashpool_stop(void)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i], NULL);
    n_workers = 0;
}

gh_err gh_hashpool_reserve(void)
{
    pthread_mutex_lock(&mu);
    bool room = queued < cap && n_workers > 0;
    if (room)
        queued++; /* counted from the reservation on */
    pthread_mutex_unlock(&mu);
    return room ? GH_OK : GH_ERATE;
}

void gh_hashpool_submit_reserved(gh_hash_job *job)
{
    pthread_mutex_lock(&mu);
    job->next = NULL;
    if (tail != NULL)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

gh_err gh_hashpool_submit(gh_hash_job *job)
{
    gh_err err = gh_hashpool_reserve();
    if (err == GH_OK)
        gh_hashpool_submit_reserved(job);
    return err;
}
