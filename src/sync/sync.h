/* The gossip core: a sans-I/O state machine that keeps a node's ledger converging with its
 * peers' (proto/sync.md).
 *
 * It opens no socket and reads no clock. The caller (src/net, or tests/sim) tells it about
 * peers coming and going, hands it each message received with the current time (both
 * clocks: a sync_clock; timers run on the monotonic one, so a step of the wall clock
 * neither stops nor floods rounds; the wall clock only goes into HELLO), calls
 * sync_tick() now and then, and sends whatever sync_next_out() returns. Records it receives
 * go through ronda_record_open + ronda_store_apply, exactly as `ronda import`. */
#ifndef RONDA_SYNC_H
#define RONDA_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

#define SYNC_PROTO_VERSION 1u
#define SYNC_PEERS_MAX 64u              /* connections one node keeps; each costs a queue */
#define SYNC_ROUND_MS 2000u             /* anti-entropy: a HELLO to every peer this often */
#define SYNC_FRONTIER_CHUNK 256u        /* frontier entries per FRONTIER message (~24 KiB) */
#define SYNC_WANTS_MAX 4096u            /* authors one peer may be asked for at once */
#define SYNC_INFLIGHT_MAX 8u            /* WANTs outstanding per peer: the flow-control window */
#define SYNC_BATCH_RECORDS 1024u        /* records per RECORDS message (one transaction) */
#define SYNC_BATCH_BYTES (512u * 1024u) /* bytes of records per RECORDS message */
#define SYNC_MSG_MAX (SYNC_BATCH_BYTES + RONDA_RECORD_MAX + 1024u) /* also ZMQ_MAXMSGSIZE */
#define SYNC_OUTQ_MAX 64u            /* messages queued per peer; pushes beyond are dropped */
#define SYNC_WANT_TIMEOUT_MS 10000u  /* a WANT unanswered this long is asked again */
#define SYNC_BAD_MAX 16u             /* refused records before a peer is cut off */
#define SYNC_PUSH_SCAN_MAX 1024u     /* new local records pushed per tick */
#define SYNC_PUSH_RELAY_MAX 64u      /* records of a WANT reply pushed on to other peers; larger replies are not */
#define SYNC_PUSH_BATCH_RECORDS 128u /* records per push message: a big batch leaves in few messages */
#define SYNC_PUSH_BATCH_BYTES (64u * 1024u) /* bytes of records per push (one record may be larger alone) */
/* Store rows a peer's push cursor may trail the newest row: a peer further behind (a queue
 * that does not drain) gets the rest by anti-entropy rounds instead of a stale stream. */
#define SYNC_PUSH_LAG_MAX 16384u
#define SYNC_DEFERRED_LOG_MAX 20u          /* lines about records refused without counting, per window */
#define SYNC_DEFERRED_LOG_WINDOW_MS 60000u /* the window; the lines left out are summed up at its end */
#define SYNC_VERIFY_CHUNK 128u             /* records checked a chunk ahead of the one being applied */
#define SYNC_DEFER_MAX 3u                  /* large replies checked ahead under sync_hold (each <= SYNC_MSG_MAX) */
#define SYNC_DEFER_MS 1000u                /* a deferred reply not applied by then is applied by sync_tick */
/* Fork-evidence requests (a WANT of one seq whose head differs from ours, or that a peer's
 * frontier names as its fork seq) sent to one peer per round: forks are rare, and a hostile
 * frontier of thousands of mismatched heads must not fill the peer's queue (SYNC_OUTQ_MAX). */
#define SYNC_EVIDENCE_WANTS_MAX 8u
/* Features a HELLO's 6th item announces (a bitmask; unknown bits are ignored). */
#define SYNC_FEAT_ZSTD 1u  /* takes ZSTD messages: RECORDS compressed with zstd */
#define SYNC_FEAT_DELTA 2u /* takes delta frontiers: after a first full one, only what changed */
#define SYNC_FEATURES_ALL (SYNC_FEAT_ZSTD | SYNC_FEAT_DELTA)
/* Entries of a peer's delta frontiers remembered per connection, while they still ask for
 * something (records we lack, a fork to look at): a delta names an author once, so what it
 * asked for is asked again from here each round. 8,192 covers the country's ~5,500 nodes;
 * beyond, the peer is asked for full frontiers (~80 bytes an entry: at most 640 KiB a peer). */
#define SYNC_CLAIMS_MAX 8192u
/* zstd level for RECORDS: 1 compresses a reply of 900 dialogues (473 KB) to 31.1% at
 * ~770 MB/s on one core here; level 3 (zstd's default) to 31.0% at ~370 MB/s (`zstd -b1 -e3`
 * on those records' bytes), so the fastest level it is. */
#define SYNC_ZSTD_LEVEL 1
/* RECORDS smaller than this are sent as they are: one small record compresses by a few
 * bytes at most, its ids and signature being random. */
#define SYNC_ZSTD_MIN 512u
/* A frame's window: 2^20 = 1 MiB covers a whole message (SYNC_MSG_MAX), so the sender needs
 * no more, and a frame asking for more is refused before it is inflated. */
#define SYNC_ZSTD_WINDOW_LOG 20
/* Nesting of an item after the 6th of a later build's HELLO (read and skipped). */
#define SYNC_HELLO_ITEM_DEPTH 8u

_Static_assert(SYNC_BATCH_RECORDS * 1u <= RONDA_BATCH_MAX, "a RECORDS batch fits one apply batch");
_Static_assert(SYNC_MSG_MAX > RONDA_RECORD_MAX + 64u, "one maximal record fits a message");
_Static_assert(SYNC_PUSH_BATCH_RECORDS <= SYNC_BATCH_RECORDS &&
                   SYNC_PUSH_BATCH_BYTES + RONDA_RECORD_MAX <= SYNC_BATCH_BYTES,
               "a push is a valid RECORDS message");
_Static_assert(SYNC_PUSH_LAG_MAX >= SYNC_PUSH_SCAN_MAX, "a cursor can trail at least one scan");
_Static_assert(SYNC_EVIDENCE_WANTS_MAX < SYNC_OUTQ_MAX / 4, "evidence requests leave room in a peer's queue");
_Static_assert((1u << SYNC_ZSTD_WINDOW_LOG) >= SYNC_MSG_MAX, "a frame's window covers a whole message");

#define SYNC_FUTURE_LOG_MS 60000u /* records too far ahead, a peer's clock off: one log line per peer this often */

typedef struct sync_core sync_core;

/* The two clocks at one moment, as every entry point takes them. */
typedef struct sync_clock {
    ronda_mono mono; /* timers: HELLO rounds, WANT timeouts, deferred replies, peers' times */
    ronda_wall wall; /* only sent in HELLO, to measure clock offsets between peers */
} sync_clock;

typedef struct sync_stats {
    uint64_t received;       /* records received from peers */
    uint64_t stored;         /* of those, new and stored */
    uint64_t duplicates;     /* already held */
    uint64_t forks;          /* stored as fork evidence */
    uint64_t rejected;       /* refused (bad records), counted against their peer */
    uint64_t deferred;       /* not applicable yet (gap, unknown author): fetched again later */
    uint64_t future;         /* of those, dated beyond our clock + RONDA_CLOCK_AHEAD_MAX_MS (not the peer's fault) */
    uint64_t pushes_dropped; /* pushes not queued because a peer's queue was full */
    uint64_t replies_ahead;  /* large replies checked while the one before was applied (sync_hold) */
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
    /* RECORDS messages: their bytes as sent or received (compressed or not), and as
     * RECORDS before compression; how many went compressed (ZSTD) each way. */
    uint64_t records_wire_in, records_wire_out, records_raw_in, records_raw_out;
    uint64_t zstd_in, zstd_out;
    /* FRONTIER rounds sent: full ones (to peers without deltas, or a delta's round 1) and
     * delta rounds after one; rounds of peers' deltas found missing (a full one asked for). */
    uint64_t frontiers_full, frontiers_delta, delta_gaps;
    uint64_t rounds_in_sync;                /* HELLOs answered with SYNCED */
    uint64_t evidence_wants;                /* WANTs of one seq sent for fork evidence */
    uint64_t claims_undelivered;            /* peers that claimed our own records and sent none when asked */
    uint64_t rejected_by[RONDA_ERR__COUNT]; /* `rejected` by the check that refused them */
} sync_stats;

/* Log hook: level 3 error .. 7 debug (syslog numbering), peer id or 0, text. */
typedef void (*sync_log_fn)(void *ctx, int level, uint32_t peer, const char *text);

/* A new core over an open store (not owned). */
ronda_err sync_new(ronda_store *store, sync_log_fn log, void *log_ctx, sync_core **out) RONDA_MUST_CHECK;
/* A clean shutdown (the daemon's SIGTERM): the replies still deferred are applied and what
 * the core holds is committed, then the core is freed. */
void sync_destroy(sync_core **core);
/* A crash (what SIGKILL leaves): the core is dropped without applying or committing anything.
 * Worker threads checking deferred replies are joined and those replies freed unapplied; a
 * store transaction the core began (under sync_hold) is rolled back, so the store holds
 * exactly what was committed. The store stays open (not owned). */
void sync_abandon(sync_core **core);
/* The core's invariants (sync.c's file-top comment): queue bounds, the WANT window, the
 * deferred replies, the wants list, cut-off peers. 1 when they hold; else 0 and the first
 * broken one in why (if why_len > 0). For tests (the simulator calls it after every step)
 * and asserts; costs a walk over every peer's queue and window. */
int sync_check(const sync_core *core, char *why, size_t why_len);

/* The features this node announces and uses (SYNC_FEAT_*; default SYNC_FEATURES_ALL). A
 * node without SYNC_FEAT_ZSTD sends no ZSTD message; it still inflates those it receives. */
void sync_set_features(sync_core *c, uint64_t features);

/* A connection to peer `id` (chosen by the caller, non-zero, unique) is up: the core sends
 * it a HELLO. RONDA_ERR_TOO_BIG when SYNC_PEERS_MAX are connected. */
ronda_err sync_peer_up(sync_core *c, uint32_t id, sync_clock now) RONDA_MUST_CHECK;
/* The connection is gone; its queue and requests are dropped. */
void sync_peer_down(sync_core *c, uint32_t id);
/* The transport to a peer is (again) ready: start a round now instead of at the next timer
 * (a HELLO sent before a connection completes is dropped by the transport). */
void sync_peer_ready(sync_core *c, uint32_t id, sync_clock now);
/* Whether the core has cut this peer off (too many bad records, wrong network). */
int sync_peer_banned(const sync_core *c, uint32_t id);
/* A ban is an event: `fn` (NULL: none) is called once for each peer the core cuts off, at
 * the moment it does, from within whichever call applied what did it (sync_receive,
 * sync_release, sync_tick, sync_peer_down, sync_destroy: deferred replies, see sync_hold).
 * The peer stays in the core's table, cut off, until sync_peer_down. The hook must not call
 * into the core: it notes the id and the caller acts once the call returns (the daemon
 * closes the connection and bans the member in the transport). */
typedef void (*sync_ban_fn)(void *ctx, uint32_t id);
void sync_on_ban(sync_core *c, sync_ban_fn fn, void *ctx);

/* One message from peer `id`. Malformed messages are counted and ignored; the return is
 * RONDA_OK unless the store failed. */
ronda_err sync_receive(sync_core *c, uint32_t id, const uint8_t *msg, size_t len, sync_clock now);

/* Group commit. Between sync_hold() and sync_release(), the RECORDS messages received share
 * one store transaction, committed by sync_release(), instead of one commit each: a commit
 * rewrites every index page its records touched, and the ids' random keys touch most of
 * them. The daemon holds around one poll's messages (at most NET_POLL_BUDGET_MS of work), so
 * other writers wait no longer than that. Records count as stored once released; nothing
 * is pushed on before (pushes leave from sync_tick). sync_release returns the database
 * error's kind (ronda_err_is_db) when the commit fails (the records are asked for again);
 * ronda_store_errmsg() has SQLite's text.
 *
 * While held, a large reply (more than SYNC_PUSH_RELAY_MAX records: a catch-up batch) is
 * taken and its records start being checked on worker threads, but it is applied later:
 * when a message other than a large reply arrives, when more than SYNC_DEFER_MAX - 1 wait
 * (the oldest), at sync_peer_down, or at the first sync_release after the one ending the
 * hold it was taken in. So the replies after reply k are checked while reply k is applied,
 * and those taken in a hold are checked while sync_release commits it. sync_tick applies
 * any still waiting SYNC_DEFER_MS after it came (a caller that stopped holding). Messages
 * still take effect in the order they arrived. A peer that such a reply gets cut off may
 * therefore not be the peer of the message just received: the sync_on_ban hook names it. */
void sync_hold(sync_core *c);
ronda_err sync_release(sync_core *c) RONDA_MUST_CHECK;

/* Timers: HELLO rounds, WANT timeouts, and pushing records that appeared in the store
 * since the last tick (local appends by this or another process). */
ronda_err sync_tick(sync_core *c, sync_clock now);

/* The next message to send: *peer and a malloc'd *msg the caller frees. 0 when none. */
int sync_next_out(sync_core *c, uint32_t *peer, uint8_t **msg, size_t *len);

/* Milliseconds until the core next needs sync_tick(). */
uint64_t sync_next_tick_ms(const sync_core *c, ronda_mono now);

void sync_get_stats(const sync_core *c, sync_stats *out);

/* Records peers showed us that we do not hold yet (the largest count over peers: what one
 * peer still has to send). For progress displays; costs one store lookup per wanted author. */
uint64_t sync_backlog(sync_core *c);
/* One connected peer, for the HQ dashboard and /metrics. */
typedef struct sync_peer_info {
    uint32_t id;
    int banned;
    uint64_t bad;          /* records it sent that were refused */
    uint64_t up_ms;        /* when the connection came up (monotonic clock) */
    uint64_t last_sync_ms; /* last round that found equal ledger digests (monotonic); 0: not yet */
    int has_offset;        /* its HELLO carried its clock (older builds send none) */
    int64_t offset_ms;     /* our wall clock minus its, at its last HELLO: > 0 when ours is ahead */
} sync_peer_info;

/* Up to max connected peers into out; returns how many. */
size_t sync_get_peers(const sync_core *c, sync_peer_info *out, size_t max);

/* This node's clock offset from its peers': the median of the connected peers' offsets
 * (sync_peer_info.offset_ms), so one peer with a wrong clock does not move it. Returns how
 * many peers it is drawn from; 0 (and *offset_ms untouched) when none told its clock. */
size_t sync_clock_offset(const sync_core *c, int64_t *offset_ms);

#endif
