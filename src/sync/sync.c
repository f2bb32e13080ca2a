/* The gossip core (see sync.h and proto/sync.md): HELLO/SYNCED digest rounds, FRONTIER
 * exchange, WANT/RECORDS catch-up with a window of SYNC_INFLIGHT_MAX requests per peer,
 * and push of new records to every peer but the one they came from.
 *
 * Per-peer state machine:
 *
 *     up --HELLO sent--> waiting --HELLO in, digests equal--> (SYNCED sent)  in sync
 *                           |                                      |
 *                           +--HELLO in, digests differ--> FRONTIER sent    (round timer
 *                           +--FRONTIER in--> wants queued --> WANTs in flight  sends HELLO
 *                                 RECORDS in --> applied --> next WANT or done   again)
 *
 * Invariants: a peer never has more than SYNC_INFLIGHT_MAX WANTs outstanding nor more than
 * SYNC_OUTQ_MAX messages queued (pushes beyond are dropped: the next round repairs them);
 * every record is applied through ronda_record_open + ronda_store_apply. sync_check()
 * checks these, numbered as there:
 *   1. peer ids are unique; a free slot (id 0) holds nothing;
 *   2. a peer's queue holds qlen <= SYNC_OUTQ_MAX messages, qtail its last;
 *   3. the WANT window: at most SYNC_INFLIGHT_MAX outstanding, each 1 <= from <= to <= target,
 *      at most SYNC_BATCH_RECORDS long, sent before the next request's order; ranges of
 *      one author in flight do not overlap;
 *   4. at most SYNC_WANTS_MAX wants, each with a target;
 *   5. a cut-off peer has nothing queued, wanted or in flight;
 *   6. at most SYNC_DEFER_MAX deferred replies, in arrival order (their holds do not go
 *      back), each a large reply of its peer taken in a hold that began;
 *   7. the core's store transaction is open only under sync_hold;
 *   8. the spans not to push are at most SKIP_SPANS_MAX, each from <= to, ascending;
 * and, beyond the numbers of those:
 *   2b. every queued message is one a peer takes: at most SYNC_MSG_MAX bytes, a msgpack
 *       array whose first item is a known message type; a ZSTD message only to a peer
 *       that announced it, smaller than the RECORDS it holds;
 *   3b. WANTs in flight have distinct send orders and were sent no later than now;
 *   4b. one want per author, the authority's (when queued) first: its chain carries the
 *       roster;
 *   5b. a peer with SYNC_BAD_MAX refusals is cut off;
 *   6b. a deferred reply's peer is connected (sync_peer_down applies its replies first);
 *       the replies came no later than now, in order of time; in a hold only replies of it
 *       and of the hold before wait, outside one only those of the last (sync_release);
 *   9. timers: a connected peer's next HELLO is due within SYNC_ROUND_MS; it came up and
 *      last synced no later than now; at most SYNC_EVIDENCE_WANTS_MAX evidence WANTs a round;
 *  10. push cursors: every peer's, and the scan's, lie within the store's rows (0..last);
 *  11. counters: outcomes of records (stored, duplicates, forks, deferred) never exceed the
 *      records received, `future` never exceeds `deferred`, `rejected` is the sum of
 *      `rejected_by`, and the connected peers' refusals and undelivered claims their sums;
 *      RECORDS bytes sent are at most what they were before compression;
 *  12. delta frontiers: a peer's remembered entries are at most SYNC_CLAIMS_MAX; a free
 *      slot has none and no round;
 *      no counter goes back between two checks.
 * sync_check() keeps one thing of its own: the counters as it last saw them (for 11).
 *
 * This file is the core: peers, rounds, dispatch of each decoded message, timers and the
 * outgoing queues; each other part of the protocol has its own file (sync_int.h lists them). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "sync/sync.h"
#include "sync/sync_int.h"
#include "sync/wire.h"
#include "util/assert.h"

void sync_logf(sync_core *c, int level, uint32_t peer_id, const char *fmt, ...) {
    if (!c->log) return;
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, level, peer_id, text);
}

peer *sync_find(sync_core *c, uint32_t id) {
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++)
        if (c->peers[i].id == id && id != 0) return &c->peers[i];
    return NULL;
}

ronda_err sync_new(ronda_store *store, sync_log_fn log, void *log_ctx, sync_core **out) {
    sync_core *c = calloc(1, sizeof *c);
    if (!c) return RONDA_ERR_NOMEM;
    c->s = store;
    c->log = log;
    c->log_ctx = log_ctx;
    ronda_store_authority(store, c->authority);
    ronda_store_node(store, c->self);
    ronda_err ge = ronda_store_guard(store, &c->guard, &c->guard_seq);
    if (ge != RONDA_OK) {
        free(c);
        return ge;
    }
    /* Records held before we start are not pushed: peers get them by anti-entropy. */
    c->pushed_rowid = sync_max_rowid(store, 0);
    c->pushed_fork_rowid = sync_max_rowid(store, 1);
    c->features = SYNC_FEATURES_ALL;
    *out = c;
    return RONDA_OK;
}

void sync_set_features(sync_core *c, uint64_t features) { c->features = features & SYNC_FEATURES_ALL; }

static void free_zstd(sync_core *c) {
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    c->zc = NULL;
    c->zd = NULL;
}

static void peer_clear(peer *p) {
    outmsg *m = p->qhead;
    while (m) {
        outmsg *n = m->next;
        free(m->data);
        free(m);
        m = n;
    }
    free(p->wants);
    free(p->claims);
    memset(p, 0, sizeof *p);
}

void sync_destroy(sync_core **cp) {
    if (!cp || !*cp) return;
    ronda_err e = sync_rx_settle(*cp);
    if (e != RONDA_OK)
        sync_logf(*cp, 3, 0, "could not store the records of the last replies: %s (%s)", ronda_strerror(e),
                  ronda_store_errmsg((*cp)->s));
    if ((e = sync_release(*cp)) != RONDA_OK)
        sync_logf(*cp, 3, 0, "could not commit the last records received: %s (%s)", ronda_strerror(e),
                  ronda_store_errmsg((*cp)->s));
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) peer_clear(&(*cp)->peers[i]);
    free_zstd(*cp);
    free(*cp);
    *cp = NULL;
}

void sync_abandon(sync_core **cp) {
    if (!cp || !*cp) return;
    sync_core *c = *cp;
    for (size_t i = 0; i < c->nrx; i++) { /* their checks may still run on worker threads */
        ronda_open_wait(&c->rxq[i].job);
        sync_rx_batch_free(&c->rxq[i].b);
        free(c->rxq[i].msg);
    }
    c->nrx = 0;
    if (c->txn_open) ronda_store_rollback(c->s); /* what a killed process's open transaction leaves */
    c->txn_open = 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) peer_clear(&c->peers[i]);
    free_zstd(c);
    free(c);
    *cp = NULL;
}

void sync_hold(sync_core *c) {
    if (!c->hold) c->holds++;
    c->hold = 1;
}

ronda_err sync_release(sync_core *c) {
    /* Replies taken in an earlier hold are applied now; those of this hold stay queued, so
     * their checks go on while this thread commits (sync.h). */
    ronda_err e = RONDA_OK;
    while (e == RONDA_OK && c->nrx > 0 && c->rxq[0].hold != c->holds) e = sync_rx_settle_one(c);
    c->hold = 0;
    if (e != RONDA_OK) return e;
    if (!c->txn_open) return RONDA_OK;
    c->txn_open = 0;
    ronda_err ce = ronda_store_commit(c->s);
    if (ce != RONDA_OK) sync_delta_rolled_back(c);
    return ce;
}

int sync_peer_takes(const sync_core *c, const peer *p, uint64_t feature) {
    return (c->features & feature) && p->hello_items >= 6 && (p->features & feature);
}

/* A RECORDS message for a peer that takes ZSTD, compressed when that makes it smaller. */
static void maybe_deflate(sync_core *c, peer *p, uint8_t **data, size_t *len) {
    if (*len < SYNC_ZSTD_MIN || !sync_peer_takes(c, p, SYNC_FEAT_ZSTD)) return;
    if (!c->zc && !(c->zc = ZSTD_createCCtx())) return;
    uint8_t *z;
    size_t zlen;
    if (!sync_wire_deflate(c->zc, SYNC_ZSTD_LEVEL, *data, *len, &z, &zlen)) return;
    free(*data);
    *data = z;
    *len = zlen;
}

/* Queue a finished message for a peer. A full queue (a slow or stalled peer) drops it:
 * pushes are repaired by the next round, and a dropped reply by the requester's timeout.
 * Replies and round messages get a little headroom over pushes. */
int sync_enqueue(sync_core *c, peer *p, cwr *w, int flags) {
    uint8_t *data;
    size_t len;
    if (p->qlen >= ((flags & SYNC_Q_PUSH) ? SYNC_OUTQ_MAX / 2 : SYNC_OUTQ_MAX)) {
        c->st.pushes_dropped++;
        cwr_destroy(w);
        return 0;
    }
    if (cwr_take(w, &data, &len) != RONDA_OK) {
        cwr_destroy(w);
        return 0;
    }
    cwr_destroy(w);
    size_t raw = (flags & SYNC_Q_RECORDS) ? len : 0;
    if (flags & SYNC_Q_RECORDS) maybe_deflate(c, p, &data, &len);
    outmsg *m = malloc(sizeof *m);
    if (!m) {
        free(data);
        return 0;
    }
    m->data = data;
    m->len = len;
    m->records_raw = raw;
    m->next = NULL;
    if (p->qtail)
        p->qtail->next = m;
    else
        p->qhead = m;
    p->qtail = m;
    p->qlen++;
    RONDA_ASSERT(p->qlen <= SYNC_OUTQ_MAX); /* invariant 2: the check above admits one more at most */
    return 1;
}

static void send_hello(sync_core *c, peer *p, uint64_t now) {
    uint8_t digest[RONDA_HASH_BYTES];
    if (ronda_store_digest(c->s, digest, NULL) != RONDA_OK) return;
    cwr w;
    cwr_init(&w);
    /* Our clock (the peer knows its offset) and features; to an older build, whose decoder
     * takes at most 5 items, the HELLO it reads (it counted the first one malformed). */
    int older = p->hello_items > 0 && p->hello_items < 6;
    /* A delta round missed: no SYNC_FEAT_DELTA until the peer has sent a full frontier. */
    uint64_t features = c->features & ~(p->rx_reset ? (uint64_t)SYNC_FEAT_DELTA : 0);
    sync_wire_hello_enc(&w, c->authority, digest, c->wall_ms, older ? NULL : &features);
    sync_enqueue(c, p, &w, 0);
    p->next_hello_ms = now + SYNC_ROUND_MS;
    p->evidence_sent = 0; /* a new round */
}

/* Every entry point takes both clocks; the core keeps the wall clock for HELLO and runs
 * every timer on the monotonic one (the `now` passed inside). */
static uint64_t clocks(sync_core *c, sync_clock t) {
    c->mono_ms = t.mono.ms;
    c->wall_ms = t.wall.ms;
    return t.mono.ms;
}

ronda_err sync_peer_up(sync_core *c, uint32_t id, sync_clock t) {
    uint64_t now_ms = clocks(c, t);
    if (id == 0) return RONDA_ERR_INVALID;
    if (sync_find(c, id)) return RONDA_ERR_EXISTS;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        if (c->peers[i].id == 0) {
            peer *p = &c->peers[i];
            memset(p, 0, sizeof *p);
            p->id = id;
            p->up_ms = now_ms;
            p->push_after = c->pushed_rowid; /* what is stored before it came, it gets by rounds */
            send_hello(c, p, now_ms);
            return RONDA_OK;
        }
    }
    return RONDA_ERR_TOO_BIG;
}

void sync_peer_ready(sync_core *c, uint32_t id, sync_clock t) {
    uint64_t now_ms = clocks(c, t);
    peer *p = sync_find(c, id);
    if (!p || p->banned) return;
    sync_delta_reset(p); /* the connection is new at the other end, perhaps: its rounds start over */
    send_hello(c, p, now_ms);
}

void sync_peer_down(sync_core *c, uint32_t id) {
    if (sync_rx_settle(c) != RONDA_OK) sync_logf(c, 3, id, "could not store the records of the last reply");
    peer *p = sync_find(c, id);
    if (p) peer_clear(p);
}

void sync_on_ban(sync_core *c, sync_ban_fn fn, void *ctx) {
    c->on_ban = fn;
    c->ban_ctx = ctx;
}

int sync_peer_banned(const sync_core *c, uint32_t id) {
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++)
        if (c->peers[i].id == id && id != 0) return c->peers[i].banned;
    return 0;
}

/* Cut a peer off: nothing more is read from it or sent to it (what was queued is dropped);
 * the caller is told through its sync_on_ban() hook and closes the connection. */
void sync_ban(sync_core *c, peer *p) {
    RONDA_ASSERT(!p->banned && p->id != 0); /* once per peer: the hook hears of it once */
    p->banned = 1;
    for (outmsg *m = p->qhead, *n; m; m = n) {
        n = m->next;
        free(m->data);
        free(m);
    }
    p->qhead = p->qtail = NULL;
    p->qlen = 0;
    p->nwants = 0;
    memset(p->fl, 0, sizeof p->fl);
    if (c->on_ban) c->on_ban(c->ban_ctx, p->id);
}

/* ------------------------------------------------------------------ receive */

static ronda_err bad_msg(sync_core *c, peer *p, const char *what) {
    ronda_detail d;
    snprintf(d.text, sizeof d.text, "%s", what);
    sync_count_bad(c, p, RONDA_ERR_MALFORMED, &d);
    return RONDA_OK;
}

/* A peer's HELLO clock: its offset from ours (any value: a peer's clock is its own
 * business until its records are dated past the bound, which apply refuses). */
static void peer_clock(sync_core *c, peer *p, uint64_t clock) {
    uint64_t ours = c->wall_ms, d = ours > clock ? ours - clock : clock - ours;
    if (d > (uint64_t)INT64_MAX) d = (uint64_t)INT64_MAX;
    p->offset_ms = ours >= clock ? (int64_t)d : -(int64_t)d;
    p->has_offset = 1;
    int off = d > RONDA_CLOCK_AHEAD_MAX_MS;
    /* Logged when it crosses the bound, at most once per SYNC_FUTURE_LOG_MS: a peer may send
     * HELLOs as often as it likes, with any clock. */
    if (off == p->clock_off || (p->clock_log_ms && c->mono_ms - p->clock_log_ms < SYNC_FUTURE_LOG_MS)) return;
    sync_logf(c, off ? 4 : 6, p->id,
              off ? "peer's clock differs from ours by %lld s (more than %u s)"
                  : "peer's clock agrees with ours again (%lld s, at most %u s)",
              (long long)(p->offset_ms / 1000), RONDA_CLOCK_AHEAD_MAX_MS / 1000u);
    p->clock_off = off;
    p->clock_log_ms = c->mono_ms ? c->mono_ms : 1;
}

/* A HELLO: a peer of another network or version is cut off; equal digests are answered
 * with SYNCED, others with our frontier. */
static ronda_err got_hello(sync_core *c, peer *p, const sync_wire_hello *h, uint64_t now) {
    if (h->version != SYNC_PROTO_VERSION || memcmp(h->authority, c->authority, 32) != 0) {
        sync_ban(c, p);
        sync_logf(c, 3, p->id, "peer speaks another protocol version or belongs to another network");
        return RONDA_OK;
    }
    if (h->has_clock) peer_clock(c, p, h->clock_ms);
    int64_t row = sync_max_rowid(c->s, 0), fork_row = sync_max_rowid(c->s, 1); /* before the digest */
    p->hello_items = h->has_features ? 6 : h->has_clock ? 5 : 4;
    p->features = h->has_features ? h->features : 0;
    if (!sync_peer_takes(c, p, SYNC_FEAT_DELTA)) p->tx_round = 0; /* it asks for full frontiers */
    uint8_t ours[32];
    ronda_err de = ronda_store_digest(c->s, ours, NULL);
    if (de != RONDA_OK) return de;
    if (memcmp(ours, h->digest, 32) == 0) {
        cwr w;
        cwr_init(&w);
        sync_wire_synced_enc(&w, ours);
        sync_enqueue(c, p, &w, 0);
        c->st.rounds_in_sync++;
        sync_guard_synced(c, p->id);
        p->last_sync_ms = now;
        sync_delta_synced(p, row, fork_row);
    } else {
        sync_send_frontier(c, p);
    }
    return RONDA_OK;
}

/* One message, decoded once by sync_receive (m, and de with its detail dd: what the decoder
 * said); `defer`: a large RECORDS under sync_hold (sync_wire_large_reply), taken by
 * defer_records. */
static ronda_err receive(sync_core *c, uint32_t id, const uint8_t *msg, size_t len, size_t wire_len,
                         const sync_wire_msg *m, ronda_err de, const ronda_detail *dd, uint64_t now, int defer) {
    peer *p = sync_find(c, id);
    if (!p || p->banned) return RONDA_OK;
    c->st.msgs_in++;
    c->st.bytes_in += wire_len;
    if (m->type == SYNC_WIRE_RECORDS) {
        c->st.records_wire_in += wire_len;
        c->st.records_raw_in += len;
        if (wire_len != len) c->st.zstd_in++;
    }
    if (de != RONDA_OK && !m->partial) return bad_msg(c, p, dd->text);
    switch (m->type) {
    case SYNC_WIRE_HELLO:
        return got_hello(c, p, &m->u.hello, now);
    case SYNC_WIRE_SYNCED: {
        int64_t row = sync_max_rowid(c->s, 0), fork_row = sync_max_rowid(c->s, 1); /* before the digest */
        uint8_t ours[32];
        if (ronda_store_digest(c->s, ours, NULL) == RONDA_OK && memcmp(ours, m->u.synced.digest, 32) == 0) {
            if (c->guard == RONDA_GUARD_RESTORED) sync_guard_synced(c, id);
            sync_delta_synced(p, row, fork_row);
        }
        p->last_sync_ms = now;
        return RONDA_OK;
    }
    case SYNC_WIRE_FRONTIER: {
        sync_frontier_in(c, p, &m->u.frontier);
        if (de != RONDA_OK) return bad_msg(c, p, dd->text); /* a malformed entry after these */
        sync_pump(c, p, now);
        return RONDA_OK;
    }
    case SYNC_WIRE_WANT:
        sync_answer_want(c, p, m->u.want.author, m->u.want.from, m->u.want.max);
        return RONDA_OK;
    case SYNC_WIRE_RECORDS: {
        const sync_wire_records *x = &m->u.records;
        const ronda_detail *bad_item = de != RONDA_OK ? dd : NULL; /* partial: an item is not bytes */
        sync_span_seen(c, p, x, now);
        if (defer) return sync_defer_records(c, p, msg, len, x, bad_item, now);
        rx_batch batch;
        ronda_err e = sync_rx_batch_read(c, p, x, msg, msg, bad_item, &batch);
        if (e != RONDA_OK) return e;
        uint64_t first = 0; /* seq of the first record: a reply starts at the WANT's `from` */
        e = sync_apply_records(c, p, &batch, 0, x->reply, &first);
        sync_rx_batch_free(&batch);
        if (e != RONDA_OK) return e;
        sync_records_answered(c, p, x->reply, x->author, x->count, first, now);
        return RONDA_OK;
    }
    default: /* SYNC_WIRE_NONE comes with an error, handled above */
        return bad_msg(c, p, "not a sync message");
    }
}

/* A ZSTD message: its RECORDS message inflated into *inner (the caller frees it) and
 * decoded into m; RONDA_ERR_MALFORMED (with dd) when the frame or what it holds is bad. */
static ronda_err inflate(sync_core *c, const sync_wire_msg *z, uint8_t **inner, size_t *inner_len, sync_wire_msg *m,
                         ronda_detail *dd) {
    if (!c->zd && !(c->zd = ZSTD_createDCtx())) return RONDA_ERR_NOMEM;
    ronda_err e = sync_wire_inflate(c->zd, &z->u.zstd, inner, inner_len, dd);
    if (e != RONDA_OK) return e;
    return sync_wire_decode(*inner, *inner_len, m, dd);
}

ronda_err sync_receive(sync_core *c, uint32_t id, const uint8_t *msg, size_t len, sync_clock t) {
    uint64_t now = clocks(c, t);
    /* Decoded once, here: whether it is a large reply to defer, and then what it says. A
     * ZSTD message is inflated first and its RECORDS decoded as if it had come so. */
    sync_wire_msg m;
    ronda_detail dd;
    ronda_err de = sync_wire_decode(msg, len, &m, &dd);
    uint8_t *inner = NULL;
    size_t inner_len = len;
    if (de == RONDA_OK && m.type == SYNC_WIRE_ZSTD) {
        const peer *p = sync_find(c, id);
        if (!p || p->banned) return RONDA_OK; /* nothing is read from a cut-off peer */
        sync_wire_msg z = m;
        de = inflate(c, &z, &inner, &inner_len, &m, &dd);
        if (de == RONDA_ERR_NOMEM) return de;
        if (!inner) { /* the frame did not inflate: counted as any malformed message */
            m.type = SYNC_WIRE_NONE;
            m.partial = 0;
            inner_len = len;
        }
    }
    int defer = c->hold && (de == RONDA_OK || m.partial) && sync_wire_large_reply(&m);
    ronda_err e = RONDA_OK;
    if (!defer) /* anything else sees the deferred reply applied first */
        e = sync_rx_settle(c);
    if (e == RONDA_OK) e = receive(c, id, inner ? inner : msg, inner_len, len, &m, de, &dd, now, defer);
    free(inner);
    return e;
}

/* ------------------------------------------------------------------ tick */

ronda_err sync_tick(sync_core *c, sync_clock t) {
    uint64_t now = clocks(c, t);
    /* A deferred reply is applied by the next message or sync_release; one still queued
     * SYNC_DEFER_MS after it came (a caller that no longer holds) is applied here, before
     * the timers below would ask for its records again. */
    ronda_err e = RONDA_OK;
    while (e == RONDA_OK && c->nrx > 0 && now - c->rxq[0].now >= SYNC_DEFER_MS) e = sync_rx_settle_one(c);
    if (e != RONDA_OK) return e;
    sync_deferred_log_window(c, now);
    if ((e = sync_push_records(c)) != RONDA_OK) return e;
    if ((e = sync_push_forks(c)) != RONDA_OK) return e;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0 || p->banned) continue;
        if (now >= p->next_hello_ms) {
            send_hello(c, p, now);
            sync_send_probe(c, p);
            sync_claims_replay(c, p);
        }
        for (size_t k = 0; k < SYNC_INFLIGHT_MAX; k++) {
            inflight *f = &p->fl[k];
            if (f->used && now - f->sent_ms >= SYNC_WANT_TIMEOUT_MS) { /* lost: ask again */
                f->used = 0;
                sync_want_add(c, p, f->author, f->target);
            }
        }
        sync_pump(c, p, now);
    }
    return RONDA_OK;
}

uint64_t sync_next_tick_ms(const sync_core *c, ronda_mono t) {
    uint64_t now = t.ms;
    uint64_t next = SYNC_ROUND_MS;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        const peer *p = &c->peers[i];
        if (p->id == 0) continue;
        uint64_t d = p->next_hello_ms > now ? p->next_hello_ms - now : 0;
        if (d < next) next = d;
    }
    return next;
}

int sync_next_out(sync_core *c, uint32_t *peer_id, uint8_t **msg, size_t *len) {
    for (size_t k = 0; k < SYNC_PEERS_MAX; k++) {
        peer *p = &c->peers[(c->rr + k) % SYNC_PEERS_MAX];
        if (p->id == 0 || p->banned || !p->qhead) continue;
        outmsg *m = p->qhead;
        p->qhead = m->next;
        if (!p->qhead) p->qtail = NULL;
        p->qlen--;
        *peer_id = p->id;
        *msg = m->data;
        *len = m->len;
        c->st.msgs_out++;
        c->st.bytes_out += *len;
        if (m->records_raw) {
            c->st.records_wire_out += *len;
            c->st.records_raw_out += m->records_raw;
            if (m->records_raw != *len) c->st.zstd_out++;
        }
        free(m);
        c->rr = (uint32_t)((c->rr + k + 1) % SYNC_PEERS_MAX);
        return 1;
    }
    return 0;
}

void sync_get_stats(const sync_core *c, sync_stats *out) { *out = c->st; }

uint64_t sync_backlog(sync_core *c) {
    uint64_t most = 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0 || p->banned) continue;
        uint64_t sum = 0;
        for (size_t k = 0; k < p->nwants; k++) {
            uint64_t have = sync_our_seq(c, p->wants[k].author);
            if (p->wants[k].target > have) sum += p->wants[k].target - have;
        }
        for (size_t k = 0; k < SYNC_INFLIGHT_MAX; k++) {
            const inflight *f = &p->fl[k];
            if (!f->used) continue;
            uint64_t have = sync_our_seq(c, f->author);
            if (f->to >= have + 1 && f->to >= f->from) sum += f->to - (have + 1 > f->from ? have + 1 : f->from) + 1;
        }
        if (sum > most) most = sum;
    }
    return most;
}

size_t sync_get_peers(const sync_core *c, sync_peer_info *out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX && n < max; i++) {
        const peer *p = &c->peers[i];
        if (p->id == 0) continue;
        out[n].id = p->id;
        out[n].banned = p->banned;
        out[n].bad = p->bad;
        out[n].up_ms = p->up_ms;
        out[n].last_sync_ms = p->last_sync_ms;
        out[n].has_offset = p->has_offset;
        out[n].offset_ms = p->offset_ms;
        n++;
    }
    return n;
}

static uint64_t abs_i64(int64_t x) { return x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x; }

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t sync_clock_offset(const sync_core *c, int64_t *offset_ms) {
    int64_t v[SYNC_PEERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        const peer *p = &c->peers[i];
        if (p->id != 0 && !p->banned && p->has_offset) v[n++] = p->offset_ms;
    }
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_i64);
    /* Of an even count's two middle offsets, the one nearer zero: with two peers that
     * disagree, a node is not told its clock is off on one peer's word against the other's. */
    *offset_ms = n % 2 ? v[n / 2] : (abs_i64(v[n / 2 - 1]) < abs_i64(v[n / 2]) ? v[n / 2 - 1] : v[n / 2]);
    return n;
}
