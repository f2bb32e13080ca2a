/* Opening records in parallel: the stateless checks (ronda_record_open) of many records
 * at once, spread over threads. The public face is ronda_open_batch and ronda_open_start /
 * ronda_open_wait (include/ronda/record.h); record_open_jobs is for callers inside the
 * library that hold records as parts (the store's verify reads rows). */
#ifndef RONDA_RECORD_BATCH_H
#define RONDA_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

/* One record to open: whole (bytes, len), or as its three parts when bytes is NULL. The
 * result goes to *rec, *err and (when not NULL) *detail. */
typedef struct record_job {
    const uint8_t *bytes; /* whole record, or NULL when the parts below are set */
    size_t len;
    const uint8_t *env, *sig, *body;
    size_t env_len, sig_len, body_len;
    ronda_record *rec;
    ronda_err *err;
    ronda_detail *detail;
} record_job;

/* Open n jobs on up to `threads` threads (0: one per core; at most
 * RONDA_VERIFY_THREADS_MAX), the caller's thread taking a share; returns when all are done. */
void record_open_jobs(record_job *jobs, size_t n, unsigned threads);

/* A batch of encoded records and where their checks go: views of the caller's arrays. */
typedef struct record_batch {
    const uint8_t *const *bufs;
    const size_t *lens;
    ronda_record *recs;
    ronda_err *errs;
    ronda_detail *dets;
    size_t n;   /* may be 0 (a source that ends with an error still has it applied) */
    void *slot; /* the caller's, for its apply: which of its buffers this is */
} record_batch;

/* The check-ahead pipeline, shared by `ronda import` (bundle.c) and sync (a catch-up reply
 * in chunks): batch k+1 is checked on worker threads while the caller's thread applies
 * batch k, since checks are stateless and the store has one writer.
 *
 * `next` hands out the next batch (returns 0 when there is none). It is called for batch
 * k+1 before batch k is applied, and for batch k+2 only after batch k's apply returned: two
 * buffers suffice, the one being applied and the one being checked. `apply` applies a
 * checked batch in order; an error it returns ends the run and is returned, and *stop = 1
 * ends it without one. Either way the batch ahead is not applied, and its checks are over
 * before record_pipeline_run returns. */
typedef struct record_pipeline {
    int (*next)(void *ctx, record_batch *b);
    ronda_err (*apply)(void *ctx, const record_batch *b, int *stop);
    void *ctx;
    unsigned threads; /* worker threads for the batch ahead (0: one per core) */
    int checked;      /* the batches were checked already: they are only applied, in order */
} record_pipeline;

ronda_err record_pipeline_run(const record_pipeline *pl);

#endif
