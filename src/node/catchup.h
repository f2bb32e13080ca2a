/* Catch-up progress of a running node: while peers hold records this node does not (the
 * sync core's backlog), how many it has fetched of how many. A pure tracker over two
 * counters, so the daemon only renders what it returns (a progress line, a log line) and
 * a test can drive it with numbers. */
#ifndef RONDA_NODE_CATCHUP_H
#define RONDA_NODE_CATCHUP_H

#include <stdint.h>

typedef struct node_catchup {
    int active;    /* a catch-up is going on */
    uint64_t base; /* records stored from peers when it began */
} node_catchup;

typedef enum node_catchup_event {
    NODE_CATCHUP_IDLE,  /* nothing to fetch, none going on */
    NODE_CATCHUP_BEGAN, /* records to fetch appeared: a catch-up began (and is going on) */
    NODE_CATCHUP_GOING, /* still fetching */
    NODE_CATCHUP_ENDED  /* the backlog is empty again: done == total */
} node_catchup_event;

/* One look at the counters: `stored` is the sync core's records stored from peers so far
 * (sync_stats.stored, never decreasing), `backlog` the records peers are known to hold
 * that this node does not (sync_backlog). *done and *total are this catch-up's records
 * fetched and fetched + still to fetch (0 and 0 when IDLE). */
node_catchup_event node_catchup_update(node_catchup *c, uint64_t stored, uint64_t backlog, uint64_t *done,
                                       uint64_t *total);

#endif
