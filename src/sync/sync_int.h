/* The sync core's shared state (sync.c and the files each part of the protocol has:
 * push.c), private to src/sync/. sync.h is the API; sync.c's file-top comment lists the
 * invariants this state keeps. */
#ifndef RONDA_SYNC_INT_H
#define RONDA_SYNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "record/canon.h"
#include "ronda/ronda.h"
#include "sync/sync.h"

#define RECENT_MAX 2048u   /* ids of records recently received, to avoid pushing them back */
#define SKIP_SPANS_MAX 16u /* row spans of large replies, not pushed on */

typedef struct want {
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t target; /* the peer's seq for this author */
} want;

/* One outstanding WANT. Several may cover consecutive ranges of one author: replies on a
 * connection arrive in order, so the window keeps the peer streaming while we apply, and the
 * reply to a later WANT (or probe) means every WANT before it that is still outstanding was
 * lost, or its reply was. */
typedef struct inflight {
    int used;
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t from, to; /* requested seqs, inclusive */
    uint64_t target;
    uint64_t sent_ms;
    uint64_t order; /* send order on this connection */
} inflight;

typedef struct outmsg {
    uint8_t *data;
    size_t len;
    struct outmsg *next;
} outmsg;

typedef struct peer {
    uint32_t id; /* 0 = free slot */
    int banned;  /* cut this peer off */
    uint64_t next_hello_ms;
    want *wants; /* pending requests, at most SYNC_WANTS_MAX */
    size_t nwants;
    inflight fl[SYNC_INFLIGHT_MAX];
    uint64_t requests; /* WANTs and probes sent on this connection: the next one's order */
    outmsg *qhead, *qtail;
    size_t qlen;
    uint64_t bad;                 /* refused records */
    uint64_t up_ms, last_sync_ms; /* when it came up; last round that found equal digests */
    /* A frontier of more than SYNC_WANTS_MAX authors goes out SYNC_WANTS_MAX at a time, each
     * round starting after the last author the previous one sent, so every author is
     * offered within a few rounds. */
    int frontier_cursor;
    uint8_t frontier_after[RONDA_KEY_BYTES];
    int has_offset;           /* its HELLO carried its wall clock */
    int64_t offset_ms;        /* our wall clock minus its, at its last HELLO */
    int clock_off;            /* its offset was beyond RONDA_CLOCK_AHEAD_MAX_MS, as last logged */
    uint64_t clock_log_ms;    /* when that was logged (monotonic; 0: never) */
    uint64_t future_log_ms;   /* when a record of its too far ahead was last logged (monotonic) */
    uint64_t future_unlogged; /* such records since then */
    /* Our own chain as this peer claims it: believed only once it delivers (guard_after). */
    uint64_t self_claim;    /* the largest seq its frontier named for our key */
    int self_delivered;     /* the batch being applied stored records of ours from it */
    uint64_t undelivered;   /* its replies that delivered none of the records of ours it claimed */
    unsigned evidence_sent; /* fork-evidence WANTs sent to it this round */
    int64_t push_after;     /* store rows up to this one are pushed to it (or passed over) */
} peer;

/* Store rows not to push: those of large replies (see apply_records). Ascending, pruned once
 * every cursor has passed them; when full, the oldest span goes and its rows are pushed. */
typedef struct skip_span {
    int64_t from, to;
} skip_span;

typedef struct recent {
    uint8_t id[8]; /* id prefix: enough to recognise our own recent receipts */
    uint32_t peer;
} recent;

/* The records of one RECORDS message: pointers into its bytes, and what checking them gave. */
typedef struct rx_batch {
    const uint8_t **bufs;
    size_t *lens;
    ronda_record *recs;
    ronda_err *errs;
    ronda_detail *dets;
    uint32_t got; /* records read (a malformed item ends the batch) */
} rx_batch;

/* A large reply taken under sync_hold, whose records are being checked on worker threads
 * while this thread applies the replies before it (see defer_records). */
typedef struct rx_pending {
    uint32_t peer;
    uint64_t hold; /* the hold it was taken in (sync_core.holds) */
    uint8_t *msg;  /* a copy of the message: the batch and author point into it */
    uint64_t reply, now;
    const uint8_t *author;
    uint32_t count;
    rx_batch b;
    ronda_open_async *job; /* the checks; NULL once joined */
} rx_pending;

struct sync_core {
    ronda_store *s;
    uint8_t authority[RONDA_KEY_BYTES];
    sync_log_fn log;
    void *log_ctx;
    sync_ban_fn on_ban; /* sync_on_ban(): told of every peer the core cuts off, once */
    void *ban_ctx;
    peer peers[SYNC_PEERS_MAX];
    uint32_t rr;               /* round-robin cursor for sync_next_out */
    int64_t pushed_rowid;      /* highest store row a push scan reached: a new peer's cursor */
    int64_t pushed_fork_rowid; /* fork evidence rows already pushed */
    recent recent[RECENT_MAX];
    size_t recent_next;
    skip_span skip[SKIP_SPANS_MAX];
    size_t nskip;
    unsigned verify_threads;        /* signature-check threads per batch (0: one per core) */
    int hold;                       /* sync_hold: RECORDS messages share one transaction */
    uint64_t holds;                 /* sync_hold calls that began a hold */
    rx_pending rxq[SYNC_DEFER_MAX]; /* large replies being checked, oldest first (rx_settle) */
    size_t nrx;
    int txn_open; /* this core began the store's open write transaction */
    sync_stats st;
    uint8_t self[RONDA_KEY_BYTES]; /* this node's author key */
    ronda_guard guard;             /* the restore guard (src/store/guard.c), as last stored */
    uint64_t guard_seq;
    uint64_t mono_ms, wall_ms; /* both clocks as the last entry point was given them */
    uint64_t self_proof;       /* the largest seq of a verified record of our own key received but not held */
    /* Refusals that do not count against the peer (log_deferred): lines logged in the
     * current window, lines left out of it, and when the window began. */
    uint32_t deferred_logged;
    uint64_t deferred_suppressed, deferred_window_ms;
    sync_stats checked; /* the counters at the last sync_check (invariant 11: none goes back) */
};

/* sync.c: queue a finished message for a peer (a full queue drops it; `droppable`: a push,
 * which gets less room than replies and round messages). */
void sync_enqueue(sync_core *c, peer *p, cwr *w, int droppable);
/* sync.c: whether the record with this id recently came from peer_id. */
int sync_recent_has(const sync_core *c, const uint8_t *id, uint32_t peer_id);

/* push.c */
int64_t sync_max_rowid(ronda_store *s, int fork); /* the store's last row (0 on error) */
ronda_err sync_push_records(sync_core *c);        /* new rows to every peer, from its cursor */
ronda_err sync_push_forks(sync_core *c);          /* new fork evidence, one record a message */

#endif
