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

#endif
