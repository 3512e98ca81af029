/* See hashpool.h. */
#include "auth/hashpool.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 16

/* The queue and its workers; mu guards every member but workers and n_workers, which only
 * start and stop touch. */
struct gh_hashpool {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job was queued, or the pool stops */
    gh_hash_job *head, *tail;
    int queued; /* jobs queued or reserved */
    int cap;
    bool stopping;
    int n_workers;
    pthread_t workers[MAX_WORKERS];
};

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

static void *worker(void *arg)
{
    gh_hashpool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        gh_hash_job *job = p->head;
        if (job != NULL) {
            p->head = job->next;
            if (p->head == NULL)
                p->tail = NULL;
            p->queued--;
        }
        pthread_mutex_unlock(&p->mu);
        if (job == NULL)
            return NULL; /* stopping and drained */
        run(job);
        job->done(job);
    }
}

/* Asks the workers to finish what is queued and joins them. */
static void join_workers(gh_hashpool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i], NULL);
    p->n_workers = 0;
}

gh_err gh_hashpool_start(int n, int queue_cap, gh_hashpool **out)
{
    if (n < 1 || n > MAX_WORKERS)
        n = 2;
    gh_hashpool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return GH_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->cap = queue_cap;
    for (p->n_workers = 0; p->n_workers < n; p->n_workers++)
        if (pthread_create(&p->workers[p->n_workers], NULL, worker, p) != 0)
            break;
    if (p->n_workers == 0) {
        gh_hashpool_stop(p);
        return GH_EINTERNAL;
    }
    *out = p;
    return GH_OK;
}

void gh_hashpool_stop(gh_hashpool *p)
{
    if (p == NULL)
        return;
    join_workers(p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

gh_err gh_hashpool_reserve(gh_hashpool *p)
{
    pthread_mutex_lock(&p->mu);
    bool room = p->queued < p->cap && !p->stopping;
    if (room)
        p->queued++; /* counted from the reservation on */
    pthread_mutex_unlock(&p->mu);
    return room ? GH_OK : GH_ERATE;
}

void gh_hashpool_submit_reserved(gh_hashpool *p, gh_hash_job *job)
{
    pthread_mutex_lock(&p->mu);
    job->next = NULL;
    if (p->tail != NULL)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

gh_err gh_hashpool_submit(gh_hashpool *p, gh_hash_job *job)
{
    gh_err err = gh_hashpool_reserve(p);
    if (err == GH_OK)
        gh_hashpool_submit_reserved(p, job);
    return err;
}

void gh_hashpool_depth(gh_hashpool *p, int *depth, int *cap)
{
    pthread_mutex_lock(&p->mu);
    *depth = p->queued;
    *cap = p->cap;
    pthread_mutex_unlock(&p->mu);
}
