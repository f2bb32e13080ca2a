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
 *       array whose first item is a known message type;
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
 *      no counter goes back between two checks.
 * sync_check() keeps one thing of its own: the counters as it last saw them (for 11). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/batch.h"
#include "record/canon.h"
#include "sync/sync.h"
#include "sync/sync_int.h"
#include "sync/wire.h"
#include "util/assert.h"

/* A probe is a WANT for at most 0 records of an author that does not exist: the empty reply
 * names that author, and the author's bytes (this tag, then the probe's send order) say which
 * probe it answers. Sent with the round's HELLO while WANTs are outstanding: its reply marks
 * every WANT sent before it as answered or lost, on a transport that keeps order, so a lost
 * WANT is asked again a round later instead of after SYNC_WANT_TIMEOUT_MS. */
static const uint8_t probe_tag[24] = "ronda-sync-probe"; /* zero-padded */

static void logf_(sync_core *c, int level, uint32_t peer_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ronda_err rx_settle(sync_core *c);
static ronda_err rx_settle_one(sync_core *c);

static void logf_(sync_core *c, int level, uint32_t peer_id, const char *fmt, ...) {
    if (!c->log) return;
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, level, peer_id, text);
}

static peer *find(sync_core *c, uint32_t id) {
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
    *out = c;
    return RONDA_OK;
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
    memset(p, 0, sizeof *p);
}

void sync_destroy(sync_core **cp) {
    if (!cp || !*cp) return;
    ronda_err e = rx_settle(*cp);
    if (e != RONDA_OK)
        logf_(*cp, 3, 0, "could not store the records of the last replies: %s (%s)", ronda_strerror(e),
              ronda_store_errmsg((*cp)->s));
    if ((e = sync_release(*cp)) != RONDA_OK)
        logf_(*cp, 3, 0, "could not commit the last records received: %s (%s)", ronda_strerror(e),
              ronda_store_errmsg((*cp)->s));
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) peer_clear(&(*cp)->peers[i]);
    free(*cp);
    *cp = NULL;
}

static void rx_batch_free(rx_batch *b);

void sync_abandon(sync_core **cp) {
    if (!cp || !*cp) return;
    sync_core *c = *cp;
    for (size_t i = 0; i < c->nrx; i++) { /* their checks may still run on worker threads */
        ronda_open_wait(&c->rxq[i].job);
        rx_batch_free(&c->rxq[i].b);
        free(c->rxq[i].msg);
    }
    c->nrx = 0;
    if (c->txn_open) ronda_store_rollback(c->s); /* what a killed process's open transaction leaves */
    c->txn_open = 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) peer_clear(&c->peers[i]);
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
    while (e == RONDA_OK && c->nrx > 0 && c->rxq[0].hold != c->holds) e = rx_settle_one(c);
    c->hold = 0;
    if (e != RONDA_OK) return e;
    if (!c->txn_open) return RONDA_OK;
    c->txn_open = 0;
    return ronda_store_commit(c->s);
}

/* Queue a finished message for a peer. A full queue (a slow or stalled peer) drops it:
 * pushes are repaired by the next round, and a dropped reply by the requester's timeout.
 * Replies and round messages get a little headroom over pushes. */
void sync_enqueue(sync_core *c, peer *p, cwr *w, int droppable) {
    uint8_t *data;
    size_t len;
    if (p->qlen >= (droppable ? SYNC_OUTQ_MAX / 2 : SYNC_OUTQ_MAX)) {
        c->st.pushes_dropped++;
        cwr_destroy(w);
        return;
    }
    if (cwr_take(w, &data, &len) != RONDA_OK) {
        cwr_destroy(w);
        return;
    }
    cwr_destroy(w);
    outmsg *m = malloc(sizeof *m);
    if (!m) {
        free(data);
        return;
    }
    m->data = data;
    m->len = len;
    m->next = NULL;
    if (p->qtail)
        p->qtail->next = m;
    else
        p->qhead = m;
    p->qtail = m;
    p->qlen++;
    RONDA_ASSERT(p->qlen <= SYNC_OUTQ_MAX); /* invariant 2: the check above admits one more at most */
}

static void send_hello(sync_core *c, peer *p, uint64_t now) {
    uint8_t digest[RONDA_HASH_BYTES];
    if (ronda_store_digest(c->s, digest, NULL) != RONDA_OK) return;
    cwr w;
    cwr_init(&w);
    sync_wire_hello_enc(&w, c->authority, digest, c->wall_ms); /* our clock: the peer knows its offset */
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
    if (find(c, id)) return RONDA_ERR_EXISTS;
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
    peer *p = find(c, id);
    if (p && !p->banned) send_hello(c, p, now_ms);
}

void sync_peer_down(sync_core *c, uint32_t id) {
    if (rx_settle(c) != RONDA_OK) logf_(c, 3, id, "could not store the records of the last reply");
    peer *p = find(c, id);
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

/* ------------------------------------------------------------------ restore guard */

static uint64_t our_seq(sync_core *c, const uint8_t *author);

static void guard_set(sync_core *c, uint32_t peer_id, ronda_guard g, uint64_t seq) {
    if (ronda_store_set_guard(c->s, g, seq) != RONDA_OK) {
        logf_(c, 3, peer_id, "cannot store the restore guard (%s %llu)", ronda_guard_name(g), (unsigned long long)seq);
        return;
    }
    c->guard = g;
    c->guard_seq = seq;
}

/* A peer's frontier names our own author at `seq` with head `head`. Beyond what we hold: a
 * claim, and only a claim (anyone can write a number): the FRONTIER handler asks the peer
 * for those records, and only records that arrive and verify move the guard (guard_after).
 * Equal to our head: the peer confirms it (a restored node may append again). */
static void guard_seen(sync_core *c, peer *p, uint64_t seq, const uint8_t *head) {
    uint8_t ours_id[RONDA_ID_BYTES];
    uint64_t ours = 0;
    if (ronda_store_head(c->s, c->self, &ours, ours_id) != RONDA_OK) ours = 0;
    if (seq > ours) {
        if (seq > p->self_claim) p->self_claim = seq;
    } else if (c->guard == RONDA_GUARD_RESTORED && seq == ours && ours > 0 && memcmp(head, ours_id, 32) == 0) {
        logf_(c, 5, p->id, "peer confirms our head at seq %llu: appending allowed again", (unsigned long long)ours);
        guard_set(c, p->id, RONDA_GUARD_NONE, 0);
    }
}

/* Equal digests: the peer holds exactly our ledger, our own head included. */
static void guard_synced(sync_core *c, uint32_t peer_id) {
    if (c->guard != RONDA_GUARD_RESTORED) return;
    logf_(c, 5, peer_id, "peer holds our exact ledger: restored node confirmed, appending allowed again");
    guard_set(c, peer_id, RONDA_GUARD_NONE, 0);
}

/* After a batch from peer p was applied. Behind: a verified record of our own key beyond
 * what we hold arrived (a gap: c->self_proof), or this peer's batch stored records of ours
 * we lacked, so its claim of more (p->self_claim) is believed until it fails to deliver
 * (claim_undelivered). Behind no longer once we hold our own author up to the guard's seq. */
static void guard_after(sync_core *c, peer *p) {
    uint64_t ours = our_seq(c, c->self);
    if (c->self_proof <= ours) c->self_proof = 0;
    uint64_t target = c->self_proof;
    if (p->self_delivered && p->self_claim > ours && p->self_claim > target) target = p->self_claim;
    if (p->self_delivered && c->guard == RONDA_GUARD_RESTORED)
        logf_(c, 5, p->id, "fetched our own newer records from the peer: we hold them up to seq %llu now",
              (unsigned long long)ours);
    p->self_delivered = 0;
    if (c->guard == RONDA_GUARD_FORKED) return; /* for good: nothing to lift or raise */
    if (target > ours && (c->guard != RONDA_GUARD_BEHIND || c->guard_seq < target)) {
        logf_(c, 4, p->id,
              "records of our own key up to seq %llu exist beyond the %llu we hold: appending is refused until we have "
              "them",
              (unsigned long long)target, (unsigned long long)ours);
        guard_set(c, p->id, RONDA_GUARD_BEHIND, target);
        return;
    }
    if (c->guard != RONDA_GUARD_BEHIND || ours < c->guard_seq) return;
    logf_(c, 5, p->id, "caught up with our own records to seq %llu: appending allowed again", (unsigned long long)ours);
    guard_set(c, p->id, RONDA_GUARD_NONE, 0);
}

/* Peer p answered our WANT of our own records from `from` with none of them, though its
 * frontier claimed them: logged (every 64th time), counted, and its claim no longer
 * believed. A guard raised on its word alone is lowered to what verified records prove. */
static void claim_undelivered(sync_core *c, peer *p, uint64_t from) {
    c->st.claims_undelivered++;
    if (p->undelivered++ % 64 == 0)
        logf_(c, 4, p->id, "peer claims our own records up to seq %llu but sent none from seq %llu when asked",
              (unsigned long long)p->self_claim, (unsigned long long)from);
    p->self_claim = 0;
    uint64_t ours = our_seq(c, c->self);
    if (c->guard != RONDA_GUARD_BEHIND || c->guard_seq <= ours || c->guard_seq <= c->self_proof) return;
    if (c->self_proof > ours)
        guard_set(c, p->id, RONDA_GUARD_BEHIND, c->self_proof);
    else
        guard_set(c, p->id, RONDA_GUARD_NONE, 0);
}

/* ------------------------------------------------------------------ frontier */

typedef struct frontier_ctx {
    sync_core *c;
    peer *p;
    cwr w;
    uint32_t n, total, sent;
    uint64_t authors;
    int open;                      /* w holds a chunk not yet queued */
    int pass;                      /* truncated frontier: 0 sends authors after the cursor, 1 wraps to the start */
    uint8_t last[RONDA_KEY_BYTES]; /* the last author sent */
} frontier_ctx;

static void frontier_begin(frontier_ctx *f) {
    cwr_init(&f->w);
    uint32_t left = f->total - f->sent;
    uint32_t n = left < SYNC_FRONTIER_CHUNK ? left : SYNC_FRONTIER_CHUNK;
    sync_wire_frontier_enc(&f->w, f->sent + n == f->total, n); /* last chunk? */
    f->n = n;
    f->open = 1;
}

static int frontier_entry(void *vctx, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork) {
    frontier_ctx *f = vctx;
    if (f->sent >= f->total) return 1; /* done (or the frontier grew since we counted) */
    if (f->p->frontier_cursor) {
        int after = memcmp(author, f->p->frontier_after, RONDA_KEY_BYTES) > 0;
        if (f->pass == 0 && !after) return 0; /* sent last round: later */
        if (f->pass == 1 && after) return 1;  /* wrapped around to where this round began */
    }
    uint8_t pair[2][RONDA_ID_BYTES];
    unsigned np = 0;
    if (fork && ronda_store_fork_pair(f->c->s, author, fork, pair, &np) != RONDA_OK) np = 0;
    memcpy(f->last, author, RONDA_KEY_BYTES);
    /* A forked chain's entry carries its fork seq and the fork's evidence: the two lowest ids
     * held for that seq (proto/sync.md), so peers holding another pair fetch the lower ids. */
    sync_wire_entry_enc(&f->w, author, seq, head, fork, fork && np == 2 ? pair[0] : NULL);
    f->sent++;
    if (--f->n == 0) {
        f->open = 0;
        sync_enqueue(f->c, f->p, &f->w, 0);
        if (f->sent < f->total) frontier_begin(f);
    }
    return 0;
}

static void send_frontier(sync_core *c, peer *p) {
    frontier_ctx f;
    memset(&f, 0, sizeof f);
    f.c = c;
    f.p = p;
    uint8_t digest[32];
    if (ronda_store_digest(c->s, digest, &f.authors) != RONDA_OK) return;
    f.total = (uint32_t)(f.authors > SYNC_WANTS_MAX ? SYNC_WANTS_MAX : f.authors);
    if (f.authors <= SYNC_WANTS_MAX) p->frontier_cursor = 0; /* all of it fits */
    frontier_begin(&f);
    if (f.total == 0) {
        f.open = 0;
        sync_enqueue(c, p, &f.w, 0);
        return;
    }
    ronda_err e = ronda_store_frontier_forks(c->s, frontier_entry, &f);
    if (e == RONDA_OK && f.sent < f.total && p->frontier_cursor) {
        f.pass = 1;
        e = ronda_store_frontier_forks(c->s, frontier_entry, &f);
    }
    if (f.open) cwr_destroy(&f.w);                  /* short: the store failed, or the frontier shrank */
    if (f.authors > SYNC_WANTS_MAX && f.sent > 0) { /* next round goes on from here */
        p->frontier_cursor = 1;
        memcpy(p->frontier_after, f.last, RONDA_KEY_BYTES);
    }
}

/* ------------------------------------------------------------------ wants */

static uint64_t our_seq(sync_core *c, const uint8_t *author) {
    uint64_t seq = 0;
    uint8_t id[32];
    if (ronda_store_head(c->s, author, &seq, id) != RONDA_OK) return 0;
    return seq;
}

/* Add or raise a want; the authority's chain goes first (it carries the roster). What to
 * ask for is decided when it is sent (pump): from what we hold then, around what is already
 * in flight. */
static void want_add(sync_core *c, peer *p, const uint8_t *author, uint64_t target) {
    for (size_t i = 0; i < p->nwants; i++)
        if (memcmp(p->wants[i].author, author, 32) == 0) {
            if (target > p->wants[i].target) p->wants[i].target = target;
            return;
        }
    if (p->nwants >= SYNC_WANTS_MAX) return; /* the next round asks again */
    if (!p->wants && !(p->wants = malloc(SYNC_WANTS_MAX * sizeof *p->wants))) return;
    want w;
    memcpy(w.author, author, 32);
    w.target = target;
    if (memcmp(author, c->authority, 32) == 0) {
        memmove(p->wants + 1, p->wants, p->nwants * sizeof *p->wants);
        p->wants[0] = w;
    } else {
        p->wants[p->nwants] = w;
    }
    p->nwants++;
    RONDA_ASSERT(p->nwants <= SYNC_WANTS_MAX); /* invariant 4: the wants array's size */
}

/* Forget the queued want of an author: a reply brought nothing of it, so asking again at
 * once would only spin (a peer claiming seq 10^9 and answering every WANT empty would get
 * WANTs as fast as it answers). The next FRONTIER from it queues it again. */
static void want_drop(peer *p, const uint8_t *author) {
    for (size_t i = 0; i < p->nwants; i++)
        if (memcmp(p->wants[i].author, author, 32) == 0) {
            memmove(p->wants + i, p->wants + i + 1, (p->nwants - i - 1) * sizeof *p->wants);
            p->nwants--;
            return;
        }
}

static void send_want(sync_core *c, peer *p, inflight *f, uint64_t now) {
    /* Invariant 3: next_range gives 1 <= from <= to <= target, at most a batch long. */
    RONDA_ASSERT_MSG(f->from >= 1 && f->from <= f->to && f->to <= f->target && f->to - f->from < SYNC_BATCH_RECORDS,
                     "WANT %llu..%llu of target %llu", (unsigned long long)f->from, (unsigned long long)f->to,
                     (unsigned long long)f->target);
    cwr w;
    cwr_init(&w);
    sync_wire_want_enc(&w, f->author, f->from, f->to - f->from + 1);
    sync_enqueue(c, p, &w, 0);
    f->sent_ms = now;
    f->order = p->requests++;
}

/* Ask for the peer's record at (author, seq) and the fork evidence it holds there: a WANT of
 * one seq, outside the window (answered like any WANT; what it brings is stored as a record
 * or as fork evidence). At most SYNC_EVIDENCE_WANTS_MAX per peer per round. */
static void want_evidence(sync_core *c, peer *p, const uint8_t *author, uint64_t seq) {
    if (seq == 0 || p->evidence_sent >= SYNC_EVIDENCE_WANTS_MAX) return;
    p->evidence_sent++;
    c->st.evidence_wants++;
    cwr w;
    cwr_init(&w);
    sync_wire_want_enc(&w, author, seq, 1);
    sync_enqueue(c, p, &w, 0);
    p->requests++; /* keeps the probes' order count in step with the WANTs on the wire */
}

/* Does the peer's evidence of the fork at (author, fork) name an id that belongs in ours (the
 * two lowest ids held) and that we lack? Ids are only names here: what a WANT brings is
 * stored only if it verifies and is lower (ronda_store_apply). */
static int lower_evidence(sync_core *c, const uint8_t *author, uint64_t fork, const uint8_t *pair) {
    uint8_t mine[2][RONDA_ID_BYTES];
    unsigned n = 0;
    if (ronda_store_fork_pair(c->s, author, fork, mine, &n) != RONDA_OK) return 0;
    for (int i = 0; i < 2; i++) {
        const uint8_t *id = pair + i * RONDA_ID_BYTES;
        int held = 0;
        for (unsigned j = 0; j < n; j++) held |= memcmp(id, mine[j], RONDA_ID_BYTES) == 0;
        if (!held && (n < 2 || memcmp(id, mine[1], RONDA_ID_BYTES) < 0)) return 1;
    }
    return 0;
}

/* One FRONTIER entry of peer p: what to fetch. Seqs beyond ours are fetched (for our own key:
 * a claim that only makes us fetch, see guard_seen), unless the chain is frozen here (a fork:
 * nothing beyond is stored). A head at a seq we hold that is not ours, or a fork seq lower
 * than ours (or one we lack), is a fork one of us has not seen: ask for that seq with its
 * evidence. */
static void frontier_seen(sync_core *c, peer *p, const uint8_t *author, uint64_t seq, const uint8_t *head,
                          uint64_t fork, const uint8_t *pair) {
    uint64_t ours = our_seq(c, author), our_fork = 0;
    if (ronda_store_fork_seq(c->s, author, &our_fork) != RONDA_OK) return;
    if (memcmp(author, c->self, 32) == 0) guard_seen(c, p, seq, head);
    if (fork && (our_fork == 0 || fork < our_fork) && fork <= ours + 1) {
        want_evidence(c, p, author, fork);
    } else if (fork && fork == our_fork && pair && lower_evidence(c, author, fork, pair)) {
        want_evidence(c, p, author, fork); /* the same fork, and the peer holds a lower id */
    } else if (seq >= 1 && seq <= ours && (our_fork == 0 || seq < our_fork)) {
        uint8_t id[RONDA_ID_BYTES];
        if (ronda_store_id_at(c->s, author, seq, id) == RONDA_OK && memcmp(id, head, RONDA_ID_BYTES) != 0)
            want_evidence(c, p, author, seq);
    }
    if (our_fork == 0 && seq > ours) want_add(c, p, author, seq);
}

/* WANTs sent before request `order` and still outstanding were lost: ask for them again. */
static void lost_before(sync_core *c, peer *p, uint64_t order) {
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        inflight *g = &p->fl[i];
        if (g->used && g->order < order) {
            g->used = 0;
            want_add(c, p, g->author, g->target);
        }
    }
}

/* With WANTs outstanding, a probe (see probe_tag) after them. */
static void send_probe(sync_core *c, peer *p) {
    int outstanding = 0;
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) outstanding |= p->fl[i].used;
    if (!outstanding) return;
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t order = p->requests++;
    memcpy(author, probe_tag, sizeof probe_tag);
    for (int i = 0; i < 8; i++) author[sizeof probe_tag + (size_t)i] = (uint8_t)(order >> (56 - 8 * i));
    cwr w;
    cwr_init(&w);
    sync_wire_want_enc(&w, author, 1, 0);
    sync_enqueue(c, p, &w, 0);
}

/* For the author named by an empty reply: the probe's order plus one, or 0 when it is not a
 * probe's. */
static uint64_t probe_answered(const uint8_t *author) {
    if (memcmp(author, probe_tag, sizeof probe_tag) != 0) return 0;
    uint64_t order = 0;
    for (int i = 0; i < 8; i++) order = order << 8 | author[sizeof probe_tag + (size_t)i];
    return order + 1;
}

/* The next range to ask for an author: from what we hold, skipping ranges in flight, and
 * ending before the next range in flight. 0 when everything up to target is asked for. */
static int next_range(sync_core *c, peer *p, const want *w, uint64_t *from, uint64_t *to) {
    uint64_t f = our_seq(c, w->author) + 1;
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
            const inflight *g = &p->fl[i];
            if (g->used && memcmp(g->author, w->author, 32) == 0 && g->from <= f && f <= g->to) {
                f = g->to + 1;
                moved = 1;
            }
        }
    }
    if (f > w->target) return 0;
    uint64_t t = f + SYNC_BATCH_RECORDS - 1 < w->target ? f + SYNC_BATCH_RECORDS - 1 : w->target;
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        const inflight *g = &p->fl[i];
        if (g->used && memcmp(g->author, w->author, 32) == 0 && g->from > f && g->from - 1 < t) t = g->from - 1;
    }
    *from = f;
    *to = t;
    return 1;
}

/* Fill the request window from the wants queue: consecutive ranges of the first author,
 * then the next. */
static void pump(sync_core *c, peer *p, uint64_t now) {
    if (p->banned) return;
    for (size_t slot = 0; slot < SYNC_INFLIGHT_MAX && p->nwants > 0; slot++) {
        if (p->fl[slot].used) continue;
        while (p->nwants > 0) {
            want *w = &p->wants[0];
            uint64_t from, to;
            if (!next_range(c, p, w, &from, &to)) { /* nothing (more) to ask for this author */
                memmove(p->wants, p->wants + 1, (p->nwants - 1) * sizeof *p->wants);
                p->nwants--;
                continue;
            }
            inflight *f = &p->fl[slot];
            f->used = 1;
            memcpy(f->author, w->author, 32);
            f->from = from;
            f->to = to;
            f->target = w->target;
            send_want(c, p, f, now);
            break;
        }
    }
}

/* ------------------------------------------------------------------ records */
int sync_recent_has(const sync_core *c, const uint8_t *id, uint32_t peer_id) {
    for (size_t i = 0; i < RECENT_MAX; i++)
        if (c->recent[i].peer == peer_id && memcmp(c->recent[i].id, id, 8) == 0) return 1;
    return 0;
}

static void recent_add(sync_core *c, const uint8_t *id, uint32_t peer_id) {
    recent *r = &c->recent[c->recent_next++ % RECENT_MAX];
    memcpy(r->id, id, 8);
    r->peer = peer_id;
}

/* Errors a peer cannot cause honestly: the record itself is bad. Membership, revocation,
 * chain and place refusals may come from an honest relay that knew less (or more) than we
 * do: each depends on the roster or chain held (a place, on a member record we may not hold
 * yet, e.g. a re-admission for another Polsek); they are logged by log_deferred. A role refusal is
 * the record's own fault only when it breaks the authority rule (the authority writing a
 * dialogue, a member writing a member record); "auditors write no records" depends on the
 * roster we hold (the key may have been re-admitted as a precinct since), so it is not. */
static int is_bad(const sync_core *c, ronda_err e, const ronda_record *rec) {
    switch (e) {
    case RONDA_ERR_ROLE:
        return !rec || (memcmp(rec->author, c->authority, RONDA_KEY_BYTES) == 0) != ronda_kind_is_authority(rec->kind);
    case RONDA_ERR_EXISTS: /* surplus fork evidence: two records prove a fork, more is a flood */
    case RONDA_ERR_TRUNCATED:
    case RONDA_ERR_MALFORMED:
    case RONDA_ERR_TOO_BIG:
    case RONDA_ERR_VERSION:
    case RONDA_ERR_KIND:
    case RONDA_ERR_SIGNATURE:
    case RONDA_ERR_BODY_HASH:
    case RONDA_ERR_SCHEMA:
        return 1;
    default:
        return 0;
    }
}

/* Cut a peer off: nothing more is read from it or sent to it (what was queued is dropped);
 * the caller is told through its sync_on_ban() hook and closes the connection. */
static void ban(sync_core *c, peer *p) {
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

/* "author 1a2b3c4d5e6f seq 7" of a record that opened, or what is known of one that did not. */
static void rec_name(const ronda_record *rec, char *out, size_t cap) {
    if (!rec) {
        snprintf(out, cap, "a record that does not open");
        return;
    }
    char hex[2 * RONDA_KEY_BYTES + 1];
    ronda_hex(rec->author, RONDA_KEY_BYTES, hex);
    snprintf(out, cap, "author %.12s seq %llu", hex, (unsigned long long)rec->seq);
}

static void count_bad_rec(sync_core *c, peer *p, ronda_err e, const ronda_detail *d, const ronda_record *rec) {
    c->st.rejected++;
    if ((unsigned)e < RONDA_ERR__COUNT) c->st.rejected_by[e]++;
    p->bad++;
    char name[64];
    rec_name(rec, name, sizeof name);
    logf_(c, 4, p->id, "refused a record from peer (%s): %s (%s)", name, ronda_strerror(e), d->text);
    if (p->bad >= SYNC_BAD_MAX && !p->banned) { /* the SYNC_BAD_MAX-th refusal cuts it off */
        ban(c, p);
        logf_(c, 3, p->id, "peer sent %llu bad records: cutting it off", (unsigned long long)p->bad);
    }
}

/* A record dated too far ahead of our clock: not stored, not the relaying peer's fault (an
 * honest relay whose clock is ahead, or that took it before its clock was set back, may
 * hold it); it is asked for again by later rounds. Logged once per SYNC_FUTURE_LOG_MS per
 * peer, since the same record comes back every round. */
static void future_seen(sync_core *c, peer *p, const ronda_detail *d) {
    c->st.future++;
    p->future_unlogged++;
    if (p->future_log_ms && c->mono_ms - p->future_log_ms < SYNC_FUTURE_LOG_MS) return;
    logf_(c, 4, p->id, "not storing %llu record(s) dated ahead of our clock: %s",
          (unsigned long long)p->future_unlogged, d->text);
    p->future_log_ms = c->mono_ms ? c->mono_ms : 1;
    p->future_unlogged = 0;
}

static void count_bad(sync_core *c, peer *p, ronda_err e, const ronda_detail *d) { count_bad_rec(c, p, e, d, NULL); }

/* A record that did not open (bad signature, body hash...): its author and seq as its
 * envelope claims them, unverified, for the refusal's log line; nothing when unreadable. */
static void count_bad_raw(sync_core *c, peer *p, ronda_err e, const ronda_detail *d, const uint8_t *buf, size_t len) {
    crd r = crd_make(buf, len), env;
    uint32_t n, el, kl;
    const uint8_t *eb, *key;
    uint64_t version;
    ronda_record claimed;
    memset(&claimed, 0, sizeof claimed);
    if (crd_array(&r, &n) == RONDA_OK && n == 3 && crd_bin(&r, &eb, &el) == RONDA_OK &&
        (env = crd_make(eb, el), crd_array(&env, &n) == RONDA_OK) && n == 7 && crd_uint(&env, &version) == RONDA_OK &&
        crd_bin(&env, &key, &kl) == RONDA_OK && kl == RONDA_KEY_BYTES && crd_uint(&env, &claimed.seq) == RONDA_OK) {
        memcpy(claimed.author, key, RONDA_KEY_BYTES);
        count_bad_rec(c, p, e, d, &claimed);
        return;
    }
    count_bad_rec(c, p, e, d, NULL);
}

/* A record refused without counting against its peer (gap, not a member, chain, revoked,
 * place): an honest relay can send it, but a member flooding such records must still be
 * visible. At most SYNC_DEFERRED_LOG_MAX lines per SYNC_DEFERRED_LOG_WINDOW_MS; the rest are
 * counted and summed up in one line when the window ends (deferred_log_window). */
static void log_deferred(sync_core *c, peer *p, ronda_err e, const ronda_detail *d, const ronda_record *rec) {
    if (c->deferred_logged >= SYNC_DEFERRED_LOG_MAX) {
        c->deferred_suppressed++;
        return;
    }
    c->deferred_logged++;
    char name[64];
    rec_name(rec, name, sizeof name);
    logf_(c, 6, p->id, "record not stored, not counted against the peer (%s): %s (%s)", name, ronda_strerror(e),
          d->text);
}

static void deferred_log_window(sync_core *c, uint64_t now) {
    if (now - c->deferred_window_ms < SYNC_DEFERRED_LOG_WINDOW_MS && now >= c->deferred_window_ms) return;
    if (c->deferred_suppressed)
        logf_(c, 5, 0, "%llu more records not stored (not counted against their peers) were not logged",
              (unsigned long long)c->deferred_suppressed);
    c->deferred_window_ms = now;
    c->deferred_logged = 0;
    c->deferred_suppressed = 0;
}

static void skip_add(sync_core *c, int64_t from, int64_t to) {
    if (c->nskip > 0 && c->skip[c->nskip - 1].to + 1 == from) { /* extends the last span */
        c->skip[c->nskip - 1].to = to;
        return;
    }
    if (c->nskip == SKIP_SPANS_MAX) memmove(c->skip, c->skip + 1, --c->nskip * sizeof *c->skip);
    RONDA_ASSERT(c->nskip < SKIP_SPANS_MAX && from <= to); /* invariant 8 */
    c->skip[c->nskip++] = (skip_span){from, to};
}

/* Worker threads for checking a chunk ahead: every core but the one applying. */
static unsigned helper_threads(const sync_core *c) {
    if (c->verify_threads) return c->verify_threads;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return ncpu > 1 ? (unsigned)(ncpu - 1) : 1;
}

/* Apply records [start, end) of a checked batch, inside the caller's transaction. */
static ronda_err apply_chunk(sync_core *c, peer *p, const uint8_t *const *bufs, const size_t *lens, ronda_record *recs,
                             const ronda_err *errs, ronda_detail *dets, uint32_t start, uint32_t end, int bulk) {
    for (uint32_t i = start; i < end && !p->banned; i++) { /* nothing more from a peer once cut off */
        c->st.received++;
        ronda_outcome o;
        ronda_err e = errs[i];
        if (e == RONDA_OK) e = ronda_store_apply(c->s, &recs[i], &o, &dets[i]);
        if (ronda_err_is_db(e)) return e; /* ours, of any kind: never counted against the peer */
        if (errs[i] == RONDA_OK && memcmp(recs[i].author, c->self, RONDA_KEY_BYTES) == 0) {
            /* A verified record of our own key: proof of what exists (guard_after). */
            if (e == RONDA_ERR_GAP && recs[i].seq > c->self_proof) c->self_proof = recs[i].seq;
            if (e == RONDA_OK && o == RONDA_STORED) p->self_delivered = 1;
        }
        if (e == RONDA_ERR_CHAIN && errs[i] == RONDA_OK && recs[i].has_prev) {
            /* Its prev is not our record seq - 1 (or its hlc does not follow it): the peer
             * holds another record there, a fork neither of us may have seen. */
            uint8_t id[RONDA_ID_BYTES];
            if (ronda_store_id_at(c->s, recs[i].author, recs[i].seq - 1, id) == RONDA_OK &&
                memcmp(id, recs[i].prev, RONDA_ID_BYTES) != 0)
                want_evidence(c, p, recs[i].author, recs[i].seq - 1);
        }
        if (e == RONDA_OK) {
            if (o == RONDA_STORED)
                c->st.stored++;
            else if (o == RONDA_DUPLICATE)
                c->st.duplicates++;
            else {
                c->st.forks++;
                logf_(c, 4, p->id, "fork evidence stored: %s", dets[i].text);
                if (memcmp(recs[i].author, c->self, RONDA_KEY_BYTES) == 0)
                    logf_(c, 4, p->id, /* a warning: the node keeps syncing, only its writes stop */
                          "our own chain forked at seq %llu (a second record of ours for it is held): this key writes "
                          "no more; a new key must be admitted (docs/operations.md, \"A forked chain\")",
                          (unsigned long long)recs[i].seq);
            }
            if (o != RONDA_DUPLICATE && (!bulk || o == RONDA_FORK)) recent_add(c, recs[i].id, p->id);
        } else if (is_bad(c, e, errs[i] == RONDA_OK ? &recs[i] : NULL)) {
            if (errs[i] == RONDA_OK)
                count_bad_rec(c, p, e, &dets[i], &recs[i]);
            else
                count_bad_raw(c, p, e, &dets[i], bufs[i], lens[i]);
        } else {
            c->st.deferred++;
            if (e == RONDA_ERR_FUTURE)
                future_seen(c, p, &dets[i]);
            else
                log_deferred(c, p, e, &dets[i], errs[i] == RONDA_OK ? &recs[i] : NULL);
            if (e == RONDA_ERR_GAP) want_add(c, p, recs[i].author, recs[i].seq);
        }
    }
    return RONDA_OK;
}

static void rx_batch_free(rx_batch *b) {
    free(b->bufs);
    free(b->lens);
    free(b->recs);
    free(b->errs);
    free(b->dets);
    memset(b, 0, sizeof *b);
}

/* The records of a decoded RECORDS message (pointers into its bytes at `base`, which the
 * message was decoded from at `from`: the same bytes or a copy). `bad_item`: an item that is
 * not bytes ended the batch (sync_wire_decode); it is counted against the peer. */
static ronda_err rx_batch_read(sync_core *c, peer *p, const sync_wire_records *x, const uint8_t *from,
                               const uint8_t *base, const ronda_detail *bad_item, rx_batch *b) {
    /* Sized by the message, not by SYNC_BATCH_RECORDS: most RECORDS are one-record pushes,
     * and ~450 KiB per message (mmap'd, faulted in, unmapped) cost more than applying them. */
    size_t cap = x->count ? x->count : 1;
    memset(b, 0, sizeof *b);
    b->bufs = calloc(cap, sizeof *b->bufs);
    b->lens = calloc(cap, sizeof *b->lens);
    b->recs = malloc(cap * sizeof *b->recs);
    b->errs = malloc(cap * sizeof *b->errs);
    b->dets = malloc(cap * sizeof *b->dets);
    if (!b->bufs || !b->lens || !b->recs || !b->errs || !b->dets) {
        rx_batch_free(b);
        return RONDA_ERR_NOMEM;
    }
    for (b->got = 0; b->got < x->got; b->got++) {
        b->bufs[b->got] = base + (x->item[b->got] - from);
        b->lens[b->got] = x->len[b->got];
    }
    if (bad_item) count_bad(c, p, RONDA_ERR_MALFORMED, bad_item);
    return RONDA_OK;
}

/* One RECORDS message going through the check-ahead pipeline (record/batch.h) in chunks of
 * SYNC_VERIFY_CHUNK records. */
typedef struct rx_run {
    sync_core *c;
    peer *p;
    rx_batch *b;
    uint32_t chunk, at; /* chunk size; the first record not yet handed out */
    int relay;
    uint64_t *first_seq;
} rx_run;

static int rx_next(void *ctx, record_batch *out) {
    rx_run *r = ctx;
    if (r->at >= r->b->got) return 0;
    uint32_t n = r->b->got - r->at < r->chunk ? r->b->got - r->at : r->chunk;
    rx_batch *b = r->b;
    *out = (record_batch){b->bufs + r->at, b->lens + r->at, b->recs + r->at, b->errs + r->at, b->dets + r->at, n, NULL};
    r->at += n;
    return 1;
}

static ronda_err rx_apply(void *ctx, const record_batch *ch, int *stop) {
    rx_run *r = ctx;
    uint32_t start = (uint32_t)(ch->bufs - r->b->bufs), end = start + (uint32_t)ch->n;
    if (start == 0 && ch->n > 0 && ch->errs[0] == RONDA_OK) *r->first_seq = ch->recs[0].seq;
    ronda_err e =
        apply_chunk(r->c, r->p, r->b->bufs, r->b->lens, r->b->recs, r->b->errs, r->b->dets, start, end, !r->relay);
    *stop = r->p->banned; /* cut off within this reply: the rest is neither applied nor logged */
    return e;
}

/* Apply one RECORDS message in the store's open transaction (begun here unless held).
 * Signatures are checked on worker threads (stateless), records applied in order on this
 * one (stateful), a chunk ahead: chunk k+1 is checked while this thread applies chunk k
 * (the store has one writer), through the pipeline `ronda import` uses. `checked`: the
 * batch was checked already (a deferred reply). */
static ronda_err apply_records(sync_core *c, peer *p, rx_batch *b, int checked, uint64_t reply, uint64_t *first_seq) {
    if (!c->txn_open) {
        ronda_err be = ronda_store_begin(c->s);
        if (be != RONDA_OK) return be;
        c->txn_open = 1;
    }
    int64_t rows_before = sync_max_rowid(c->s, 0);
    /* A push (reply 0) is relayed whatever its size: it carries records that are new where
     * they were written, and its neighbours' neighbours wait for them. A large reply is not
     * (below). */
    rx_run run = {.c = c,
                  .p = p,
                  .b = b,
                  .chunk = checked || b->got <= SYNC_VERIFY_CHUNK ? (b->got ? b->got : 1) : SYNC_VERIFY_CHUNK,
                  .relay = reply == 0 || b->got <= SYNC_PUSH_RELAY_MAX,
                  .first_seq = first_seq};
    record_pipeline pl = {
        .next = rx_next, .apply = rx_apply, .ctx = &run, .threads = helper_threads(c), .checked = checked};
    ronda_err e = record_pipeline_run(&pl);
    if (e != RONDA_OK) { /* under sync_hold this drops the poll's earlier batches too: asked again */
        ronda_store_rollback(c->s);
        c->txn_open = 0;
        return e;
    }
    /* Rows from a large reply are not pushed on: it answered a WANT of a node catching up,
     * its peers most likely hold those records already (or fetch the same ranges in their
     * own rounds), and relaying every catch-up would send each record to every node again. */
    int64_t rows_after = sync_max_rowid(c->s, 0);
    if (!run.relay && rows_after > rows_before) skip_add(c, rows_before + 1, rows_after);
    if (!c->hold) {
        c->txn_open = 0;
        ronda_err ce = ronda_store_commit(c->s);
        if (ce != RONDA_OK) return ce;
    }
    guard_after(c, p);
    return RONDA_OK;
}

/* After a RECORDS message is applied: which WANT it answered (or which probe), what to ask
 * for next. */
static void records_answered(sync_core *c, peer *p, uint64_t reply, const uint8_t *author, uint32_t count,
                             uint64_t first, uint64_t now) {
    uint64_t probe = reply && author && count == 0 ? probe_answered(author) : 0;
    if (probe) {
        lost_before(c, p, probe - 1); /* replies come in order */
    } else if (reply && author) {
        inflight *f = NULL;
        for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
            inflight *g = &p->fl[i];
            if (g->used && memcmp(g->author, author, 32) == 0 && (count == 0 || g->from == first) &&
                (!f || g->order < f->order))
                f = g;
        }
        if (f) {
            /* Replies come in order: WANTs sent before this one and still outstanding
             * were lost (or their replies were); ask for those ranges again now. */
            lost_before(c, p, f->order);
            uint64_t have = our_seq(c, author);
            f->used = 0;
            if (have < f->from && memcmp(author, c->self, 32) == 0 && p->self_claim >= f->from)
                claim_undelivered(c, p, f->from);
            if (have < f->from) want_drop(p, author); /* nothing came: ask again next round, not at once */
            /* A short batch (the byte bound) leaves the rest of the range: ask again from
             * what we hold, but only if this reply made progress (no spinning on records
             * that cannot apply yet; the next round retries those). A hole before it was
             * asked for above, and by the gap of each record. */
            if (have < f->to && have >= f->from && have < f->target) want_add(c, p, author, f->target);
        }
    }
    pump(c, p, now);
}

/* Apply the oldest deferred reply: wait for its checks (checking what no worker has taken
 * yet on this thread), apply it, and handle it as sync_receive would have (which WANT it
 * answered, what to ask next). A peer gone or cut off meanwhile has its reply dropped (its
 * records are asked for again, from it or others). */
static ronda_err rx_settle_one(sync_core *c) {
    if (c->nrx == 0) return RONDA_OK;
    rx_pending *x = &c->rxq[0];
    ronda_open_wait(&x->job);
    ronda_err e = RONDA_OK;
    peer *p = find(c, x->peer);
    if (p && !p->banned) {
        uint64_t first = 0;
        e = apply_records(c, p, &x->b, 1, x->reply, &first);
        if (e == RONDA_OK) records_answered(c, p, x->reply, x->author, x->count, first, x->now);
    }
    rx_batch_free(&x->b);
    free(x->msg);
    memmove(c->rxq, c->rxq + 1, --c->nrx * sizeof *c->rxq);
    return e;
}

/* Apply every deferred reply, in the order they arrived. Every entry point but sync_receive
 * of the next large reply, sync_release and sync_tick calls this first, so messages take
 * effect in the order they arrived. After a failed apply the rest are still applied (a
 * record after the lost ones waits as a gap and is asked for again); the first error is
 * returned. */
static ronda_err rx_settle(sync_core *c) {
    ronda_err e = RONDA_OK;
    while (c->nrx > 0) {
        ronda_err f = rx_settle_one(c);
        if (e == RONDA_OK) e = f;
    }
    return e;
}

/* Under sync_hold, a large reply (a catch-up batch) is not applied at once: its records
 * start being checked on worker threads now, and it joins the queue of deferred replies
 * (the oldest is applied once more than SYNC_DEFER_MAX - 1 wait, so while this thread
 * applies reply k, the replies after it are being checked). `x` was decoded from msg. */
static ronda_err defer_records(sync_core *c, peer *p, const uint8_t *msg, size_t len, const sync_wire_records *rx,
                               const ronda_detail *bad_item, uint64_t now) {
    rx_pending x = {.peer = p->id, .hold = c->holds, .reply = rx->reply, .count = rx->count, .now = now};
    if (!(x.msg = malloc(len))) return RONDA_ERR_NOMEM;
    memcpy(x.msg, msg, len);
    x.author = rx->author ? x.msg + (rx->author - msg) : NULL;
    ronda_err e = rx_batch_read(c, p, rx, msg, x.msg, bad_item, &x.b);
    if (e != RONDA_OK) {
        free(x.msg);
        return e;
    }
    if (ronda_open_start(x.b.bufs, x.b.lens, x.b.got, helper_threads(c), x.b.recs, x.b.errs, x.b.dets, &x.job) !=
        RONDA_OK)
        ronda_open_batch(x.b.bufs, x.b.lens, x.b.got, c->verify_threads, x.b.recs, x.b.errs, x.b.dets);
    /* The oldest, while this one is being checked; a failure there is reported, and this
     * reply still queued (messages keep their order). */
    e = c->nrx == SYNC_DEFER_MAX ? rx_settle_one(c) : RONDA_OK;
    RONDA_ASSERT(c->nrx < SYNC_DEFER_MAX); /* invariant 6: rx_settle_one took the oldest, even on failure */
    c->rxq[c->nrx++] = x;
    c->st.replies_ahead++;
    return e;
}

typedef struct range_ctx {
    cwr *w;
    uint32_t n;
} range_ctx;

static int collect(void *vctx, const uint8_t *rec, size_t len) {
    range_ctx *x = vctx;
    cwr_bin(x->w, rec, len);
    x->n++;
    return 0;
}

/* A WANT from `from`, at most `max`: the author's records from there. A forked chain is
 * frozen below its lowest fork seq k: the reply stops at k, and a reply that holds k ends
 * with the fork evidence at k, so the asker holds both records of the fork (the records
 * held, then the evidence: a node lacking seq k stores the first as its record). */
static void answer_want(sync_core *c, peer *p, const uint8_t *author, uint64_t from, uint64_t max) {
    if (max > SYNC_BATCH_RECORDS) max = SYNC_BATCH_RECORDS;
    if (from == 0) from = 1;
    uint64_t fork = 0;
    if (ronda_store_fork_seq(c->s, author, &fork) != RONDA_OK) return;
    if (fork != 0 && max == SYNC_BATCH_RECORDS) max -= 2; /* room for the evidence (at most two) */
    cwr ev;
    cwr_init(&ev);
    range_ctx y = {&ev, 0};
    if (fork != 0) {
        max = from > fork ? 0 : fork - from + 1 < max ? fork - from + 1 : max;
        if (max > 0 && from + max - 1 == fork && ronda_store_forks_at(c->s, author, fork, collect, &y) != RONDA_OK) {
            cwr_destroy(&ev);
            return;
        }
    }
    /* Count first, so the array header is right; then encode. Two cheap indexed reads. */
    cwr body;
    cwr_init(&body);
    range_ctx x = {&body, 0};
    if (max > 0 &&
        ronda_store_range(c->s, author, from, (size_t)max, SYNC_BATCH_BYTES - ev.buf.size, collect, &x) != RONDA_OK) {
        cwr_destroy(&body);
        cwr_destroy(&ev);
        return;
    }
    if (y.n > 0 && x.n == max && !body.failed && !ev.failed) { /* the range reached k: the evidence goes too */
        cwr_raw(&body, (const uint8_t *)ev.buf.data, ev.buf.size);
        x.n += y.n;
    }
    cwr_destroy(&ev);
    cwr w;
    cwr_init(&w);
    sync_wire_records_enc(&w, 1, author, x.n);
    if (body.failed) /* the array's items are lost: the reply is not sent (the WANT times out) */
        w.failed = 1;
    else
        cwr_raw(&w, (const uint8_t *)body.buf.data, body.buf.size);
    cwr_destroy(&body);
    sync_enqueue(c, p, &w, 0);
}

/* ------------------------------------------------------------------ receive */

static ronda_err bad_msg(sync_core *c, peer *p, const char *what) {
    ronda_detail d;
    snprintf(d.text, sizeof d.text, "%s", what);
    count_bad(c, p, RONDA_ERR_MALFORMED, &d);
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
    logf_(c, off ? 4 : 6, p->id,
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
        ban(c, p);
        logf_(c, 3, p->id, "peer speaks another protocol version or belongs to another network");
        return RONDA_OK;
    }
    if (h->has_clock) peer_clock(c, p, h->clock_ms);
    uint8_t ours[32];
    ronda_err de = ronda_store_digest(c->s, ours, NULL);
    if (de != RONDA_OK) return de;
    if (memcmp(ours, h->digest, 32) == 0) {
        cwr w;
        cwr_init(&w);
        sync_wire_synced_enc(&w, ours);
        sync_enqueue(c, p, &w, 0);
        c->st.rounds_in_sync++;
        guard_synced(c, p->id);
        p->last_sync_ms = now;
    } else {
        send_frontier(c, p);
    }
    return RONDA_OK;
}

/* One message, decoded once by sync_receive (m, and de with its detail dd: what the decoder
 * said); `defer`: a large RECORDS under sync_hold (sync_wire_large_reply), taken by
 * defer_records. */
static ronda_err receive(sync_core *c, uint32_t id, const uint8_t *msg, size_t len, const sync_wire_msg *m,
                         ronda_err de, const ronda_detail *dd, uint64_t now, int defer) {
    peer *p = find(c, id);
    if (!p || p->banned) return RONDA_OK;
    c->st.msgs_in++;
    c->st.bytes_in += len;
    if (de != RONDA_OK && !m->partial) return bad_msg(c, p, dd->text);
    switch (m->type) {
    case SYNC_WIRE_HELLO:
        return got_hello(c, p, &m->u.hello, now);
    case SYNC_WIRE_SYNCED:
        if (c->guard == RONDA_GUARD_RESTORED) {
            uint8_t ours[32];
            if (ronda_store_digest(c->s, ours, NULL) == RONDA_OK && memcmp(ours, m->u.synced.digest, 32) == 0)
                guard_synced(c, id);
        }
        p->last_sync_ms = now;
        return RONDA_OK;
    case SYNC_WIRE_FRONTIER: {
        const sync_wire_frontier *f = &m->u.frontier;
        for (uint32_t i = 0; i < f->n; i++) {
            const sync_wire_entry *x = &f->e[i];
            frontier_seen(c, p, x->author, x->seq, x->head, x->fork, x->pair);
        }
        if (de != RONDA_OK) return bad_msg(c, p, dd->text); /* a malformed entry after these */
        pump(c, p, now);
        return RONDA_OK;
    }
    case SYNC_WIRE_WANT:
        answer_want(c, p, m->u.want.author, m->u.want.from, m->u.want.max);
        return RONDA_OK;
    case SYNC_WIRE_RECORDS: {
        const sync_wire_records *x = &m->u.records;
        const ronda_detail *bad_item = de != RONDA_OK ? dd : NULL; /* partial: an item is not bytes */
        if (defer) return defer_records(c, p, msg, len, x, bad_item, now);
        rx_batch batch;
        ronda_err e = rx_batch_read(c, p, x, msg, msg, bad_item, &batch);
        if (e != RONDA_OK) return e;
        uint64_t first = 0; /* seq of the first record: a reply starts at the WANT's `from` */
        e = apply_records(c, p, &batch, 0, x->reply, &first);
        rx_batch_free(&batch);
        if (e != RONDA_OK) return e;
        records_answered(c, p, x->reply, x->author, x->count, first, now);
        return RONDA_OK;
    }
    default: /* SYNC_WIRE_NONE comes with an error, handled above */
        return bad_msg(c, p, "not a sync message");
    }
}

ronda_err sync_receive(sync_core *c, uint32_t id, const uint8_t *msg, size_t len, sync_clock t) {
    uint64_t now = clocks(c, t);
    /* Decoded once, here: whether it is a large reply to defer, and then what it says. */
    sync_wire_msg m;
    ronda_detail dd;
    ronda_err de = sync_wire_decode(msg, len, &m, &dd);
    int defer = c->hold && (de == RONDA_OK || m.partial) && sync_wire_large_reply(&m);
    if (!defer) { /* anything else sees the deferred reply applied first */
        ronda_err e = rx_settle(c);
        if (e != RONDA_OK) return e;
    }
    return receive(c, id, msg, len, &m, de, &dd, now, defer);
}

/* ------------------------------------------------------------------ tick */

ronda_err sync_tick(sync_core *c, sync_clock t) {
    uint64_t now = clocks(c, t);
    /* A deferred reply is applied by the next message or sync_release; one still queued
     * SYNC_DEFER_MS after it came (a caller that no longer holds) is applied here, before
     * the timers below would ask for its records again. */
    ronda_err e = RONDA_OK;
    while (e == RONDA_OK && c->nrx > 0 && now - c->rxq[0].now >= SYNC_DEFER_MS) e = rx_settle_one(c);
    if (e != RONDA_OK) return e;
    deferred_log_window(c, now);
    if ((e = sync_push_records(c)) != RONDA_OK) return e;
    if ((e = sync_push_forks(c)) != RONDA_OK) return e;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0 || p->banned) continue;
        if (now >= p->next_hello_ms) {
            send_hello(c, p, now);
            send_probe(c, p);
        }
        for (size_t k = 0; k < SYNC_INFLIGHT_MAX; k++) {
            inflight *f = &p->fl[k];
            if (f->used && now - f->sent_ms >= SYNC_WANT_TIMEOUT_MS) { /* lost: ask again */
                f->used = 0;
                want_add(c, p, f->author, f->target);
            }
        }
        pump(c, p, now);
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
        free(m);
        c->st.msgs_out++;
        c->st.bytes_out += *len;
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
            uint64_t have = our_seq(c, p->wants[k].author);
            if (p->wants[k].target > have) sum += p->wants[k].target - have;
        }
        for (size_t k = 0; k < SYNC_INFLIGHT_MAX; k++) {
            const inflight *f = &p->fl[k];
            if (!f->used) continue;
            uint64_t have = our_seq(c, f->author);
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

/* ------------------------------------------------------------------ invariants */

static int broken(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int broken(char *why, size_t len, const char *fmt, ...) {
    if (why && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* Invariants 1-5 (file top) of one peer slot. */
static int check_peer(const sync_core *c, const peer *p, char *why, size_t len) {
    size_t n = 0;
    const outmsg *last = NULL;
    for (const outmsg *m = p->qhead; m && n <= SYNC_OUTQ_MAX; m = m->next, n++) last = m;
    if (p->id == 0) {
        if (p->qhead || p->qtail || p->qlen || p->nwants || p->wants || p->banned)
            return broken(why, len, "1: a free peer slot holds a queue, wants or a ban");
    } else {
        for (const peer *q = c->peers; q < p; q++)
            if (q->id == p->id) return broken(why, len, "1: peer id %u is used twice", p->id);
    }
    if (p->qlen > SYNC_OUTQ_MAX) return broken(why, len, "2: peer %u has %zu messages queued", p->id, p->qlen);
    if (n != p->qlen || last != p->qtail || (p->qtail && p->qtail->next))
        return broken(why, len, "2: peer %u: queue of %zu messages, qlen %zu, or its tail is not its last", p->id, n,
                      p->qlen);
    size_t qi = 0;
    for (const outmsg *m = p->qhead; m; m = m->next, qi++) {
        crd r = crd_make(m->data, m->len);
        uint32_t items;
        uint64_t type;
        if (!m->data || m->len > SYNC_MSG_MAX || crd_array(&r, &items) != RONDA_OK || items < 1 ||
            crd_uint(&r, &type) != RONDA_OK || type > SYNC_WIRE_RECORDS)
            return broken(why, len, "2b: peer %u: queued message %zu (%zu bytes) is not one a peer takes", p->id, qi,
                          m->len);
    }
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        const inflight *f = &p->fl[i];
        if (!f->used) continue;
        if (p->id == 0 || p->banned)
            return broken(why, len, "5: peer %u (free or cut off) has a WANT in flight", p->id);
        if (f->from < 1 || f->from > f->to || f->to > f->target || f->to - f->from >= SYNC_BATCH_RECORDS)
            return broken(why, len, "3: peer %u: WANT %llu..%llu for target %llu", p->id, (unsigned long long)f->from,
                          (unsigned long long)f->to, (unsigned long long)f->target);
        if (f->order >= p->requests)
            return broken(why, len, "3: peer %u: WANT of order %llu, only %llu sent", p->id,
                          (unsigned long long)f->order, (unsigned long long)p->requests);
        if (f->sent_ms > c->mono_ms)
            return broken(why, len, "3b: peer %u: WANT sent at %llu ms, after now (%llu ms)", p->id,
                          (unsigned long long)f->sent_ms, (unsigned long long)c->mono_ms);
        for (size_t j = i + 1; j < SYNC_INFLIGHT_MAX; j++)
            if (p->fl[j].used && p->fl[j].order == f->order)
                return broken(why, len, "3b: peer %u: two WANTs in flight of send order %llu", p->id,
                              (unsigned long long)f->order);
        for (size_t k = i + 1; k < SYNC_INFLIGHT_MAX; k++) {
            const inflight *g = &p->fl[k];
            if (g->used && memcmp(g->author, f->author, RONDA_KEY_BYTES) == 0 && g->from <= f->to && f->from <= g->to)
                return broken(why, len, "3: peer %u: WANTs %llu..%llu and %llu..%llu of one author overlap", p->id,
                              (unsigned long long)f->from, (unsigned long long)f->to, (unsigned long long)g->from,
                              (unsigned long long)g->to);
        }
    }
    if (p->nwants > SYNC_WANTS_MAX || (p->nwants && !p->wants))
        return broken(why, len, "4: peer %u has %zu wants", p->id, p->nwants);
    for (size_t i = 0; i < p->nwants; i++) {
        if (p->wants[i].target == 0) return broken(why, len, "4: peer %u wants an author up to seq 0", p->id);
        if (i > 0 && memcmp(p->wants[i].author, c->authority, RONDA_KEY_BYTES) == 0)
            return broken(why, len, "4b: peer %u: the authority's want is queued at %zu, not first", p->id, i);
        /* Quadratic in the wants (at most SYNC_WANTS_MAX): a test's check, not a daemon's. */
        for (size_t j = 0; j < i; j++)
            if (memcmp(p->wants[j].author, p->wants[i].author, RONDA_KEY_BYTES) == 0)
                return broken(why, len, "4b: peer %u: wants %zu and %zu name one author", p->id, j, i);
    }
    if (p->banned && (p->qlen || p->nwants)) return broken(why, len, "5: cut-off peer %u has a queue or wants", p->id);
    if (p->id != 0 && p->bad >= SYNC_BAD_MAX && !p->banned)
        return broken(why, len, "5b: peer %u sent %llu refused records and is not cut off", p->id,
                      (unsigned long long)p->bad);
    if (p->id != 0 && !p->banned) {
        if (p->next_hello_ms > c->mono_ms + SYNC_ROUND_MS)
            return broken(why, len, "9: peer %u: next HELLO at %llu ms, more than a round after now (%llu ms)", p->id,
                          (unsigned long long)p->next_hello_ms, (unsigned long long)c->mono_ms);
        if (p->up_ms > c->mono_ms || p->last_sync_ms > c->mono_ms)
            return broken(why, len, "9: peer %u came up (%llu ms) or synced (%llu ms) after now (%llu ms)", p->id,
                          (unsigned long long)p->up_ms, (unsigned long long)p->last_sync_ms,
                          (unsigned long long)c->mono_ms);
        if (p->evidence_sent > SYNC_EVIDENCE_WANTS_MAX)
            return broken(why, len, "9: peer %u: %u evidence WANTs this round", p->id, p->evidence_sent);
        if (p->push_after < 0)
            return broken(why, len, "10: peer %u: push cursor %lld", p->id, (long long)p->push_after);
    }
    return 1;
}

/* Invariant 11 (file top): relations between the counters, and none gone back since the
 * last check (sync_stats is all uint64_t counters). */
static int check_stats(const sync_core *c, sync_stats *checked, char *why, size_t len) {
    const sync_stats *st = &c->st;
    if (st->stored + st->duplicates + st->forks + st->deferred > st->received || st->future > st->deferred)
        return broken(why, len,
                      "11: %llu records received, but %llu stored, %llu duplicates, %llu forks, %llu deferred (%llu "
                      "future)",
                      (unsigned long long)st->received, (unsigned long long)st->stored,
                      (unsigned long long)st->duplicates, (unsigned long long)st->forks,
                      (unsigned long long)st->deferred, (unsigned long long)st->future);
    uint64_t by = 0, bad = 0, undelivered = 0;
    for (size_t i = 0; i < RONDA_ERR__COUNT; i++) by += st->rejected_by[i];
    if (by != st->rejected)
        return broken(why, len, "11: %llu records rejected, %llu by their checks", (unsigned long long)st->rejected,
                      (unsigned long long)by);
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        bad += c->peers[i].bad;
        undelivered += c->peers[i].undelivered;
    }
    if (bad > st->rejected || undelivered > st->claims_undelivered)
        return broken(why, len,
                      "11: peers' refusals (%llu) or undelivered claims (%llu) exceed the totals (%llu, %llu)",
                      (unsigned long long)bad, (unsigned long long)undelivered, (unsigned long long)st->rejected,
                      (unsigned long long)st->claims_undelivered);
    if (st->rounds_in_sync > st->msgs_in || c->nrx > st->replies_ahead)
        return broken(why, len, "11: %llu rounds in sync of %llu messages in, or %zu replies waiting of %llu taken",
                      (unsigned long long)st->rounds_in_sync, (unsigned long long)st->msgs_in, c->nrx,
                      (unsigned long long)st->replies_ahead);
    enum { N = sizeof(sync_stats) / sizeof(uint64_t) };
    _Static_assert(sizeof(sync_stats) % sizeof(uint64_t) == 0, "sync_stats holds only uint64_t counters");
    uint64_t now[N], then[N];
    memcpy(now, st, sizeof now);
    memcpy(then, checked, sizeof then);
    for (size_t i = 0; i < N; i++)
        if (now[i] < then[i])
            return broken(why, len, "11: counter %zu of sync_stats went back from %llu to %llu", i,
                          (unsigned long long)then[i], (unsigned long long)now[i]);
    *checked = *st;
    return 1;
}

int sync_check(const sync_core *c, char *why, size_t len) {
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++)
        if (!check_peer(c, &c->peers[i], why, len)) return 0;
    if (c->nrx > SYNC_DEFER_MAX) return broken(why, len, "6: %zu deferred replies", c->nrx);
    for (size_t i = 0; i < c->nrx; i++) {
        const rx_pending *x = &c->rxq[i];
        if (x->hold == 0 || x->hold > c->holds || (i > 0 && x->hold < c->rxq[i - 1].hold))
            return broken(why, len, "6: deferred reply %zu of hold %llu (holds %llu) is out of arrival order", i,
                          (unsigned long long)x->hold, (unsigned long long)c->holds);
        if (!x->msg || x->count <= SYNC_PUSH_RELAY_MAX || x->count > SYNC_BATCH_RECORDS || x->b.got > x->count ||
            x->peer == 0)
            return broken(why, len, "6: deferred reply %zu: %u records of %u read, peer %u", i, x->b.got, x->count,
                          x->peer);
        int connected = 0;
        for (size_t k = 0; k < SYNC_PEERS_MAX; k++) connected |= c->peers[k].id == x->peer;
        if (!connected) return broken(why, len, "6b: deferred reply %zu is of peer %u, not connected", i, x->peer);
        if (x->now > c->mono_ms || (i > 0 && x->now < c->rxq[i - 1].now))
            return broken(why, len, "6b: deferred reply %zu came at %llu ms (now %llu ms), out of order of time", i,
                          (unsigned long long)x->now, (unsigned long long)c->mono_ms);
        if (c->hold ? x->hold + 1 < c->holds : x->hold != c->holds)
            return broken(why, len, "6b: deferred reply %zu of hold %llu still waits %s hold %llu", i,
                          (unsigned long long)x->hold, c->hold ? "in" : "after", (unsigned long long)c->holds);
    }
    if (c->txn_open && !c->hold) return broken(why, len, "7: the core's store transaction is open outside a hold");
    if (c->nskip > SKIP_SPANS_MAX) return broken(why, len, "8: %zu spans not to push", c->nskip);
    for (size_t i = 0; i < c->nskip; i++)
        if (c->skip[i].from > c->skip[i].to || (i > 0 && c->skip[i].from <= c->skip[i - 1].to))
            return broken(why, len, "8: span %zu not to push (%lld..%lld) is empty or out of order", i,
                          (long long)c->skip[i].from, (long long)c->skip[i].to);
    /* Two indexed reads (max rowid): the cursors against the rows they walk. A store error
     * is reported as such, not taken as a pass. */
    int64_t rows = 0, forks = 0;
    ronda_err e = ronda_store_last_rowid(c->s, 0, &rows);
    if (e == RONDA_OK) e = ronda_store_last_rowid(c->s, 1, &forks);
    if (e != RONDA_OK)
        return broken(why, len, "10: cannot read the store's last rows: %s (%s)", ronda_strerror(e),
                      ronda_store_errmsg(c->s));
    if (c->pushed_rowid < 0 || c->pushed_rowid > rows || c->pushed_fork_rowid < 0 || c->pushed_fork_rowid > forks)
        return broken(why, len, "10: push scans at row %lld of %lld, fork row %lld of %lld", (long long)c->pushed_rowid,
                      (long long)rows, (long long)c->pushed_fork_rowid, (long long)forks);
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        const peer *p = &c->peers[i];
        if (p->id != 0 && !p->banned && p->push_after > rows)
            return broken(why, len, "10: peer %u: push cursor at row %lld, the store's last is %lld", p->id,
                          (long long)p->push_after, (long long)rows);
    }
    /* The one state of sync_check's own (its last view of the counters); the core is
     * always heap-allocated (sync_new), never a const object. */
    return check_stats(c, &((sync_core *)c)->checked, why, len);
}
