/* The checkpoint schedule of a running node (`ronda run`): an hq member writes a checkpoint
 * at start, after a catch-up that brought records (at most every RONDA_CHECKPOINT_GAP_MS)
 * and every `every` seconds (hourly by default), each only when the ledger changed since its
 * own newest; and after a catch-up it cosigns the other HQs' checkpoints its ledger can
 * vouch for (docs/audit.md). Timers run on the monotonic clock; the wall clock only stamps
 * what is written. Nodes of other roles write nothing. */
#ifndef RONDA_NODE_CHECKPOINTS_H
#define RONDA_NODE_CHECKPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

#define NODE_CHECKPOINT_EVERY_HQ_S 3600u                /* an hq node's default: one checkpoint an hour */
#define NODE_CHECKPOINT_EVERY_MAX_S (366ul * 24 * 3600) /* a longer period is a typing mistake */

typedef struct node_checkpoints {
    uint64_t every_ms;    /* 0: never */
    uint64_t next_ms;     /* the next periodic one (monotonic) */
    int hq;               /* this node is an hq member: it checkpoints and cosigns */
    uint64_t last_ms;     /* when this process last wrote one (monotonic); 0: not yet */
    int64_t content_mark; /* ronda_store_marks' content when it did */
    int64_t cosign_mark;  /* ronda_store_marks' any at the last cosign pass */
    int guarded;          /* this node's own chain forked: it writes nothing (appends refused) */
} node_checkpoints;

/* every_s: seconds between periodic checkpoints, 0 never, -1 the role's default (hourly for
 * hq, never otherwise; 0..NODE_CHECKPOINT_EVERY_MAX_S, checked by the caller). `note` gets
 * a line for the log ("" when there is nothing to say). Fails only when the store cannot
 * be read. */
ronda_err node_checkpoints_init(node_checkpoints *c, ronda_store *s, long every_s, ronda_mono now, char *note,
                                size_t len) RONDA_MUST_CHECK;
/* Each returns 0 when nothing was written, 1 when something was, -1 when writing failed;
 * `text` says what (for the log). The secret is the node's signing key (borrowed).
 *   _start:  at start, after the store opened: a checkpoint when the ledger changed;
 *   _tick:   on every loop: the periodic one when due;
 *   _synced: when a round with a peer ended in sync: cosignatures (at most
 *            RONDA_COSIGN_PASS_MAX a pass) and a checkpoint when records other than
 *            checkpoints and cosignatures arrived. */
int node_checkpoints_start(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                           char *text, size_t len);
int node_checkpoints_tick(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                          char *text, size_t len);
int node_checkpoints_synced(node_checkpoints *c, ronda_store *s, const uint8_t *secret, ronda_mono now, ronda_wall wall,
                            char *text, size_t len);

#endif
