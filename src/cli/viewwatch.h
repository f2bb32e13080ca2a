/* The running node's view check (`ronda run --view-check SECONDS`): ronda_store_check_views
 * on a thread of its own, with its own database connection, at start and then every period
 * on the monotonic clock, so the sync loop never waits for it. The loop reads the latest
 * result (a copy under a mutex) for the log, the dashboard's banner and /metrics. */
#ifndef RONDA_CLI_VIEWWATCH_H
#define RONDA_CLI_VIEWWATCH_H

#include <stdint.h>

#include "ronda/ronda.h"

typedef struct view_state {
    uint64_t checks;        /* checks finished (0: none yet) */
    ronda_err err;          /* the last check: RONDA_OK, RONDA_ERR_VIEW, or why it could not run */
    uint64_t disagreements; /* differences the last check found */
    uint64_t checked_ms;    /* wall clock when it finished */
    char first[3][240];     /* the first differences' details ("" when fewer) */
} view_state;

typedef struct viewwatch viewwatch;

/* Start checking the database at db_path every every_s seconds (> 0), the first check at
 * once. On success *out is the watcher, which the caller stops with viewwatch_stop. */
ronda_err viewwatch_start(const char *db_path, unsigned every_s, viewwatch **out) RONDA_MUST_CHECK;
/* The latest result. */
void viewwatch_get(viewwatch *w, view_state *out);
/* Stop (waits for a check under way to finish) and free; accepts NULL, clears *w. */
void viewwatch_stop(viewwatch **w);

#endif
