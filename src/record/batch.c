/* Opening records in parallel (ronda_open_batch, ronda_open_start/wait, and
 * record_open_jobs for the store's verify): the stateless checks of ronda_record_open,
 * spread over up to RONDA_VERIFY_THREADS_MAX threads. No state, no store: whoever holds
 * the bytes (a bundle, a sync reply, the ledger's own rows) opens them here and applies
 * the results in order itself, through the check-ahead pipeline (record_pipeline_run) when
 * the records come in batches. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/batch.h"

typedef struct slice {
    record_job *jobs;
    size_t n;
} slice;

static void run_jobs(record_job *jobs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        record_job *j = &jobs[i];
        *j->err = j->bytes ? ronda_record_open(j->bytes, j->len, j->rec, j->detail)
                           : ronda_record_open_parts(j->env, j->env_len, j->sig, j->sig_len, j->body, j->body_len,
                                                     j->rec, j->detail);
    }
}

static void *worker(void *arg) {
    slice *sl = arg;
    run_jobs(sl->jobs, sl->n);
    return NULL;
}

static unsigned thread_count(unsigned threads) {
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    return threads > RONDA_VERIFY_THREADS_MAX ? RONDA_VERIFY_THREADS_MAX : threads;
}

/* Split the jobs into contiguous slices, one per thread; the caller's thread takes the
 * first. A thread that cannot start leaves its slice to the caller. */
void record_open_jobs(record_job *jobs, size_t n, unsigned threads) {
    threads = thread_count(threads);
    if (n < 64 || threads == 1) {
        run_jobs(jobs, n);
        return;
    }
    pthread_t tid[RONDA_VERIFY_THREADS_MAX];
    slice sl[RONDA_VERIFY_THREADS_MAX];
    int started[RONDA_VERIFY_THREADS_MAX] = {0};
    size_t per = (n + threads - 1) / threads;
    for (unsigned t = 0; t < threads; t++) {
        size_t lo = t * per < n ? t * per : n, hi = lo + per < n ? lo + per : n;
        sl[t].jobs = jobs + lo;
        sl[t].n = hi - lo;
        if (t > 0 && sl[t].n > 0) started[t] = pthread_create(&tid[t], NULL, worker, &sl[t]) == 0;
    }
    run_jobs(sl[0].jobs, sl[0].n);
    for (unsigned t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_jobs(sl[t].jobs, sl[t].n);
    }
}

/* One job per whole encoded record, its results into recs[i], errs[i] and details[i]. */
static void fill_jobs(record_job *jobs, const uint8_t *const *bufs, const size_t *lens, size_t n, ronda_record *recs,
                      ronda_err *errs, ronda_detail *details) {
    for (size_t i = 0; i < n; i++) {
        jobs[i].bytes = bufs[i];
        jobs[i].len = lens[i];
        jobs[i].rec = &recs[i];
        jobs[i].err = &errs[i];
        jobs[i].detail = details ? &details[i] : NULL;
    }
}

void ronda_open_batch(const uint8_t *const *bufs, const size_t *lens, size_t n, unsigned threads, ronda_record *recs,
                      ronda_err *errs, ronda_detail *details) {
    record_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!jobs) {
        for (size_t i = 0; i < n; i++) errs[i] = RONDA_ERR_NOMEM;
        return;
    }
    fill_jobs(jobs, bufs, lens, n, recs, errs, details);
    record_open_jobs(jobs, n, threads);
    free(jobs);
}

/* Asynchronous opening: the records are claimed a few at a time, by the worker threads and
 * by the caller once it waits, so a caller that would otherwise sit idle in ronda_open_wait
 * checks the rest itself. */
#define OPEN_CLAIM 16u /* records per claim: ~1 ms of checks, few atomic operations */

struct ronda_open_async {
    record_job *jobs;
    size_t n;
    atomic_size_t next; /* the first record not claimed yet */
    unsigned threads;
    pthread_t tid[RONDA_VERIFY_THREADS_MAX];
    int started[RONDA_VERIFY_THREADS_MAX];
};

static void claim_jobs(ronda_open_async *a) {
    for (;;) {
        size_t i = atomic_fetch_add(&a->next, OPEN_CLAIM);
        if (i >= a->n) return;
        run_jobs(a->jobs + i, a->n - i < OPEN_CLAIM ? a->n - i : OPEN_CLAIM);
    }
}

static void *claimer(void *arg) {
    claim_jobs(arg);
    return NULL;
}

ronda_err ronda_open_start(const uint8_t *const *bufs, const size_t *lens, size_t n, unsigned threads,
                           ronda_record *recs, ronda_err *errs, ronda_detail *details, ronda_open_async **out) {
    ronda_open_async *a = calloc(1, sizeof *a);
    record_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    if (!a || !jobs) {
        free(a);
        free(jobs);
        return RONDA_ERR_NOMEM;
    }
    fill_jobs(jobs, bufs, lens, n, recs, errs, details);
    a->jobs = jobs;
    a->n = n;
    atomic_init(&a->next, 0);
    a->threads = thread_count(threads);
    /* No more threads than claims; one that cannot start leaves its share to the others
     * and to the caller's wait. */
    for (unsigned t = 0; t < a->threads && (size_t)t * OPEN_CLAIM < n; t++)
        a->started[t] = pthread_create(&a->tid[t], NULL, claimer, a) == 0;
    *out = a;
    return RONDA_OK;
}

void ronda_open_wait(ronda_open_async **ap) {
    if (!ap || !*ap) return;
    ronda_open_async *a = *ap;
    claim_jobs(a); /* what no worker has claimed yet is checked here */
    for (unsigned t = 0; t < a->threads; t++)
        if (a->started[t]) pthread_join(a->tid[t], NULL);
    free(a->jobs);
    free(a);
    *ap = NULL;
}

/* Start checking a batch; a batch whose workers cannot start is checked here and now. */
static void check_start(const record_batch *b, unsigned threads, ronda_open_async **out) {
    *out = NULL;
    if (b->n > 0 && ronda_open_start(b->bufs, b->lens, b->n, threads, b->recs, b->errs, b->dets, out) != RONDA_OK)
        ronda_open_batch(b->bufs, b->lens, b->n, 1, b->recs, b->errs, b->dets);
}

ronda_err record_pipeline_run(const record_pipeline *pl) {
    record_batch cur, ahead;
    ronda_open_async *cur_job = NULL, *ahead_job = NULL;
    if (!pl->next(pl->ctx, &cur)) return RONDA_OK;
    if (!pl->checked) check_start(&cur, pl->threads, &cur_job);
    for (;;) {
        int more = pl->next(pl->ctx, &ahead);
        if (more && !pl->checked) check_start(&ahead, pl->threads, &ahead_job);
        ronda_open_wait(&cur_job); /* what no worker has taken yet is checked here */
        int stop = 0;
        ronda_err e = pl->apply(pl->ctx, &cur, &stop);
        if (e != RONDA_OK || stop || !more) {
            ronda_open_wait(&ahead_job); /* its arrays are the caller's: no worker outlives the run */
            return e;
        }
        cur = ahead;
        cur_job = ahead_job;
        ahead_job = NULL;
    }
}
