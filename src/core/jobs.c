/* The server's periodic job: the dormant rules (core/dormant.c) every interval, on a thread of
 * its own with its own database connection, as the system principal. Every instance of a group
 * runs it; the run's conditional writes make each warning and each disable happen once whichever
 * instance gets there first, so no leader is elected. Its clock is gh_clock_now(), so a test
 * clock moves what it sees (not how often it wakes). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "util/clock.h"
#include "util/log.h"

struct gh_job {
    char *db_url;
    int interval_s;
    const struct gh_signin_config *signin;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    unsigned interval_gen; /* moves when gh_core_job_set_interval changes interval_s */
};

/* Waits one interval (under mu, as interval_s is read); false when the job is stopping. A new
 * interval starts the wait again from the moment it was set. */
static bool wait_interval(gh_job *j)
{
    struct timespec until;
    pthread_mutex_lock(&j->mu);
    unsigned gen = j->interval_gen - 1;
    while (!j->stopping) {
        if (gen != j->interval_gen) {
            gen = j->interval_gen;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += j->interval_s;
        }
        if (pthread_cond_timedwait(&j->cv, &j->mu, &until) != 0 && gen == j->interval_gen)
            break;
    }
    bool go = !j->stopping;
    pthread_mutex_unlock(&j->mu);
    return go;
}

void gh_core_job_set_interval(gh_job *j, int interval_s)
{
    pthread_mutex_lock(&j->mu);
    j->interval_s = interval_s;
    j->interval_gen++;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

static void run_once(gh_job *j, gh_db **db)
{
    if (*db == NULL && gh_db_open(j->db_url, db) != GH_OK) {
        *db = NULL;
        gh_log("error", "dormant_job_error", "detail", "cannot open the database", NULL);
        return;
    }
    gh_principal sys = gh_core_system_principal();
    gh_ctx ctx = {.db = *db,
                  .a = gh_arena_new(),
                  .who = &sys,
                  .ip = "job",
                  .request_id = "dormant",
                  .now = gh_clock_now(),
                  .signin = j->signin};
    gh_dormant_report r;
    gh_err err = gh_core_dormant_run(&ctx, &r);
    if (err != GH_OK) {
        gh_log("error", "dormant_job_error", "detail", gh_err_str(err), NULL);
    } else if (r.n > 0) {
        char w[24], d[24], k[24];
        snprintf(w, sizeof w, "%lld", (long long)r.warned);
        snprintf(d, sizeof d, "%lld", (long long)r.disabled);
        snprintf(k, sizeof k, "%lld", (long long)r.kept);
        gh_log("info", "dormant_run", "warned", w, "disabled", d, "kept", k, NULL);
    }
    gh_arena_free(ctx.a);
}

static void *run(void *arg)
{
    gh_job *j = arg;
    gh_db *db = NULL;
    while (wait_interval(j))
        run_once(j, &db);
    gh_db_close(db);
    return NULL;
}

gh_err gh_core_job_start(const char *db_url, int interval_s, const struct gh_signin_config *signin,
                         gh_job **out)
{
    gh_job *j = calloc(1, sizeof *j);
    if (j == NULL || (j->db_url = strdup(db_url)) == NULL) {
        free(j);
        return GH_ENOMEM;
    }
    j->interval_s = interval_s;
    j->signin = signin;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pthread_create(&j->thread, NULL, run, j) != 0) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        free(j->db_url);
        free(j);
        return GH_EINTERNAL;
    }
    *out = j;
    return GH_OK;
}

void gh_core_job_stop(gh_job *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j->db_url);
    free(j);
}
