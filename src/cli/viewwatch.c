/* The running node's view check on a thread of its own (viewwatch.h). The thread holds its
 * own connection: a check reads one WAL snapshot of the database, which never blocks the
 * daemon's writes, and writes only its private temporary tables (and `suspect` when it
 * changed: a short write transaction of its own). The period is waited on a monotonic
 * condition variable, so neither a wall-clock step nor a long check shifts it much: the next
 * check starts every_s after the last one ended. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/viewwatch.h"

struct viewwatch {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int stop;          /* under mu */
    unsigned every_s;
    char path[4200];
    view_state state;   /* under mu: the last result */
    view_state working; /* the thread's own, while a check runs */
};

static void on_finding(void *ctx, const ronda_finding *f) {
    view_state *st = ctx;
    for (int i = 0; i < 3; i++)
        if (!st->first[i][0]) {
            snprintf(st->first[i], sizeof st->first[i], "%s", f->detail);
            return;
        }
}

static void *run(void *arg) {
    viewwatch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        pthread_mutex_unlock(&w->mu);
        memset(&w->working, 0, sizeof w->working);
        ronda_store *s = NULL;
        ronda_view_check vc;
        memset(&vc, 0, sizeof vc);
        ronda_err e = ronda_store_open(w->path, NULL, &s);
        if (e == RONDA_OK) e = ronda_store_check_views(s, on_finding, &w->working, &vc);
        ronda_store_close(&s);
        pthread_mutex_lock(&w->mu);
        w->working.checks = w->state.checks + 1;
        w->working.err = e;
        w->working.disagreements = vc.disagreements;
        w->working.checked_ms = ronda_wall_now().ms;
        w->state = w->working;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)w->every_s;
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0) {}
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

ronda_err viewwatch_start(const char *db_path, unsigned every_s, viewwatch **out) {
    if (!every_s || strlen(db_path) >= sizeof((viewwatch *)0)->path) return RONDA_ERR_INVALID;
    viewwatch *w = calloc(1, sizeof *w);
    if (!w) return RONDA_ERR_NOMEM;
    snprintf(w->path, sizeof w->path, "%s", db_path);
    w->every_s = every_s;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return RONDA_ERR_IO;
    }
    *out = w;
    return RONDA_OK;
}

void viewwatch_get(viewwatch *w, view_state *out) {
    pthread_mutex_lock(&w->mu);
    *out = w->state;
    pthread_mutex_unlock(&w->mu);
}

void viewwatch_stop(viewwatch **wp) {
    viewwatch *w = wp ? *wp : NULL;
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    *wp = NULL;
}
