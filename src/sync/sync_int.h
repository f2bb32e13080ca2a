/* The sync core's shared state and the functions its parts call in each other, private to
 * src/sync/. sync.h is the API; sync.c's file-top comment lists the invariants this state
 * keeps. One file per part of the protocol:
 *   sync.c      the core: peers up and down, HELLO rounds, receiving (one decode per
 *               message, src/sync/wire.c), timers, the outgoing queues, counters;
 *   frontier.c  FRONTIER out;
 *   fetch.c     wants, the WANT window, fork-evidence WANTs, probes;
 *   records.c   RECORDS in: checking, applying, refusals, deferred replies;
 *   serve.c     WANT in: the reply;
 *   push.c      new rows out to every peer, and relay;
 *   restore.c   the restore guard's proofs from peers;
 *   check.c     sync_check(), the invariants. */
#ifndef RONDA_SYNC_INT_H
#define RONDA_SYNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "record/canon.h"
#include "ronda/ronda.h"
#include "sync/sync.h"
#include "sync/wire.h"

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
    int seen;       /* its reply has come (sync_span_seen), perhaps not applied yet */
} inflight;

/* A peer's frontier entry that still asks for something (delta frontiers, see claims). */
typedef struct claim {
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t seq, fork;
    uint8_t head[RONDA_ID_BYTES];
} claim;

typedef struct outmsg {
    uint8_t *data;
    size_t len;
    size_t records_raw; /* a RECORDS message: its bytes before compression; else 0 */
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
    int hello_items;        /* items of its last HELLO (0: none yet); below 6, an older build */
    uint64_t features;      /* what its last HELLO announced (SYNC_FEAT_*), 0 when nothing */
    /* Records one WANT asks for; 0 until the first reply on this connection shows what fits.
     * Until then one WANT per author is in flight (a slow start); a full reply sets it to
     * SYNC_BATCH_RECORDS, a reply cut short by the byte bound (records larger than
     * SYNC_BATCH_BYTES / SYNC_BATCH_RECORDS) to 7/8 of what it held, so the WANTs in flight
     * behind one another ask for ranges their replies fill, not ranges that begin after a
     * hole (whose records cannot be stored, and would be fetched again). */
    uint32_t want_span;
    /* Delta frontiers (proto/sync.md). Sent: the rounds sent on this connection (0: the next
     * is a full one, round 1) and the store rows they covered. Received: the last round and
     * chunk taken, the entries remembered (claims), and whether a round was missed, which
     * asks the peer for a full frontier by announcing no SYNC_FEAT_DELTA until one came. */
    uint64_t tx_round;
    int64_t tx_row, tx_fork_row;
    uint64_t rx_round, rx_chunk; /* rx_chunk: the next chunk expected of rx_round (0: a new round) */
    int rx_reset;
    claim *claims;
    size_t nclaims;
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
    uint64_t features;  /* what this node announces and uses (sync_set_features) */
    ZSTD_CCtx *zc;      /* zstd contexts, made when first needed and reused */
    ZSTD_DCtx *zd;
};

/* sync.c */
void sync_logf(sync_core *c, int level, uint32_t peer_id, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
peer *sync_find(sync_core *c, uint32_t id); /* a connected peer by id; NULL when none */
/* Queue a finished message for a peer (a full queue drops it). Flags: SYNC_Q_PUSH, a push,
 * which gets less room than replies and round messages; SYNC_Q_RECORDS, a RECORDS message,
 * compressed for a peer that takes ZSTD when that makes it smaller. */
#define SYNC_Q_PUSH 1
#define SYNC_Q_RECORDS 2
int sync_enqueue(sync_core *c, peer *p, cwr *w, int flags); /* 1: queued; 0: dropped */
/* Whether this peer's and our own latest HELLO announce a feature (SYNC_FEAT_*). */
int sync_peer_takes(const sync_core *c, const peer *p, uint64_t feature);
/* Cut a peer off (once): its queue, wants and window are dropped, the sync_on_ban hook told. */
void sync_ban(sync_core *c, peer *p);

/* frontier.c */
void sync_send_frontier(sync_core *c, peer *p); /* our heads, the next SYNC_WANTS_MAX of them, or a delta */
/* A FRONTIER in: each entry seen, delta rounds followed, claims kept. */
void sync_frontier_in(sync_core *c, peer *p, const sync_wire_frontier *f);
void sync_claims_replay(sync_core *c, peer *p); /* each round: what remembered entries still ask */
void sync_delta_reset(peer *p);                 /* a new connection (or one back): full frontiers again */
/* Digests found equal with rows `row`, `fork_row` read before ours: the next delta to the
 * peer names only what changed after them. */
void sync_delta_synced(peer *p, int64_t row, int64_t fork_row);
/* A store transaction of the core was lost (rolled back, or its commit failed): what the
 * delta state was read against may be gone, so every peer gets, and is asked for, a full
 * frontier. */
void sync_delta_rolled_back(sync_core *c);

/* fetch.c */
uint64_t sync_our_seq(sync_core *c, const uint8_t *author); /* our head's seq (0: none) */
void sync_want_add(sync_core *c, peer *p, const uint8_t *author, uint64_t target);
void sync_want_drop(peer *p, const uint8_t *author);
/* Ask for the records of a fork at seq (both of them), at most SYNC_EVIDENCE_WANTS_MAX a round. */
void sync_want_evidence(sync_core *c, peer *p, const uint8_t *author, uint64_t seq);
/* One entry of a peer's FRONTIER: what it holds of an author, and the fork it knows of. */
void sync_frontier_seen(sync_core *c, peer *p, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork,
                        const uint8_t *pair);
void sync_lost_before(sync_core *c, peer *p, uint64_t order); /* WANTs sent before `order`: asked again */
void sync_send_probe(sync_core *c, peer *p);
uint64_t sync_probe_answered(const uint8_t *author); /* the probe's order + 1 when it is one; else 0 */
void sync_pump(sync_core *c, peer *p, uint64_t now); /* fill the WANT window */

/* records.c */
int sync_recent_has(const sync_core *c, const uint8_t *id, uint32_t peer_id);   /* came from that peer lately */
void sync_count_bad(sync_core *c, peer *p, ronda_err e, const ronda_detail *d); /* a refusal against it */
void sync_deferred_log_window(sync_core *c, uint64_t now);
/* The records of a decoded RECORDS message, as pointers into `base` (its bytes, or a copy). */
ronda_err sync_rx_batch_read(sync_core *c, peer *p, const sync_wire_records *x, const uint8_t *from,
                             const uint8_t *base, const ronda_detail *bad_item, rx_batch *b);
void sync_rx_batch_free(rx_batch *b);
ronda_err sync_apply_records(sync_core *c, peer *p, rx_batch *b, int checked, uint64_t reply, uint64_t *first_seq);
/* A RECORDS reply has come (before it is checked or applied): how many records fit one
 * reply (peer.want_span); the window is filled once the first shows it. */
void sync_span_seen(sync_core *c, peer *p, const sync_wire_records *x, uint64_t now);
/* After a RECORDS message is applied: the WANT (or probe) it answered, what to ask next. */
void sync_records_answered(sync_core *c, peer *p, uint64_t reply, const uint8_t *author, uint32_t count, uint64_t first,
                           uint64_t now);
ronda_err sync_defer_records(sync_core *c, peer *p, const uint8_t *msg, size_t len, const sync_wire_records *rx,
                             const ronda_detail *bad_item, uint64_t now);
ronda_err sync_rx_settle_one(sync_core *c); /* apply the oldest deferred reply */
ronda_err sync_rx_settle(sync_core *c);     /* apply them all, in order */

/* serve.c */
void sync_answer_want(sync_core *c, peer *p, const uint8_t *author, uint64_t from, uint64_t max);

/* restore.c */
void sync_guard_seen(sync_core *c, peer *p, uint64_t seq, const uint8_t *head); /* a claim of our chain */
void sync_guard_synced(sync_core *c, uint32_t peer_id);
void sync_guard_after(sync_core *c, peer *p); /* after a batch: what it proved */
void sync_claim_undelivered(sync_core *c, peer *p, uint64_t from);

/* push.c */
int64_t sync_max_rowid(ronda_store *s, int fork); /* the store's last row (0 on error) */
ronda_err sync_push_records(sync_core *c);        /* new rows to every peer, from its cursor */
ronda_err sync_push_forks(sync_core *c);          /* new fork evidence, one record a message */

#endif
