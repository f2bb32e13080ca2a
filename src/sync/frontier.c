/* FRONTIER: our heads, sent when digests differ (proto/sync.md), SYNC_WANTS_MAX authors a
 * message and each round resuming after the last author the previous one sent; or, to a
 * peer that takes them, delta frontiers: a full one first, then each round only the authors
 * whose entries changed since the round before (proto/sync.md, "Delta frontiers"). And the
 * FRONTIERs that come in: their entries, the rounds of a peer's deltas, what they ask for. */
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"

typedef struct frontier_ctx {
    sync_core *c;
    peer *p;
    cwr w;
    uint32_t n, total, sent;
    uint64_t authors;
    int open;                      /* w holds a chunk not yet queued */
    int pass;                      /* truncated frontier: 0 sends authors after the cursor, 1 wraps to the start */
    uint8_t last[RONDA_KEY_BYTES]; /* the last author sent */
    uint64_t round, chunk;         /* a delta frontier's round (0: none) and its next chunk */
    int dropped;                   /* a chunk did not fit the peer's queue */
} frontier_ctx;

static void frontier_begin(frontier_ctx *f) {
    cwr_init(&f->w);
    uint32_t left = f->total - f->sent;
    uint32_t n = left < SYNC_FRONTIER_CHUNK ? left : SYNC_FRONTIER_CHUNK;
    sync_wire_frontier_enc(&f->w, f->sent + n == f->total, n, f->round != 0); /* last chunk? */
    f->n = n;
    f->open = 1;
}

/* The chunk in f->w, finished and queued. */
static void frontier_end(frontier_ctx *f) {
    if (f->round) sync_wire_frontier_round_enc(&f->w, f->round, f->chunk++);
    f->open = 0;
    if (!sync_enqueue(f->c, f->p, &f->w, 0)) f->dropped = 1;
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
        frontier_end(f);
        if (f->sent < f->total) frontier_begin(f);
    }
    return 0;
}

/* Counts the entries a delta will hold. */
static int count_entry(void *vctx, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork) {
    (void)author;
    (void)seq;
    (void)head;
    (void)fork;
    (*(uint32_t *)vctx)++;
    return 0;
}

/* A delta frontier: round 1 all our entries, each later round those changed since the rows
 * the round before covered. The rows are read before the entries, so a record stored
 * meanwhile is in this round or the next (named twice at worst). A chunk that does not fit
 * the peer's queue makes the next round a full one again (the peer notices the gap too). */
static void send_delta(sync_core *c, peer *p) {
    int64_t row = sync_max_rowid(c->s, 0), fork_row = sync_max_rowid(c->s, 1);
    int full = p->tx_round == 0;
    uint32_t total = 0; /* counted as they will be sent (the digest's author count may differ) */
    ronda_err e = full ? ronda_store_frontier_forks(c->s, count_entry, &total)
                       : ronda_store_frontier_since(c->s, p->tx_row, p->tx_fork_row, count_entry, &total);
    if (e != RONDA_OK) return;
    frontier_ctx f;
    memset(&f, 0, sizeof f);
    f.c = c;
    f.p = p;
    f.total = total;
    f.round = full ? 1 : p->tx_round + 1;
    frontier_begin(&f);
    if (total == 0) {
        frontier_end(&f); /* an empty round: nothing changed here, the peer's rounds go on */
    } else {
        e = full ? ronda_store_frontier_forks(c->s, frontier_entry, &f)
                 : ronda_store_frontier_since(c->s, p->tx_row, p->tx_fork_row, frontier_entry, &f);
        if (f.open) { /* fewer than counted (the store failed, or an entry went): ends here */
            cwr_destroy(&f.w);
            f.dropped = 1;
        }
        if (e != RONDA_OK) f.dropped = 1;
    }
    if (f.dropped) {
        p->tx_round = 0;
        return;
    }
    p->tx_round = f.round;
    if (full)
        c->st.frontiers_full++;
    else
        c->st.frontiers_delta++;
    p->tx_row = row;
    p->tx_fork_row = fork_row;
}

void sync_send_frontier(sync_core *c, peer *p) {
    if (sync_peer_takes(c, p, SYNC_FEAT_DELTA)) {
        p->frontier_cursor = 0; /* a delta frontier's round 1 names every author */
        send_delta(c, p);
        return;
    }
    p->tx_round = 0;
    c->st.frontiers_full++;
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
        frontier_end(&f);
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

/* ------------------------------------------------------------------ FRONTIER in */

void sync_delta_reset(peer *p) {
    p->tx_round = 0;
    p->rx_round = p->rx_chunk = 0;
    p->rx_reset = 0;
    p->nclaims = 0;
}

void sync_delta_rolled_back(sync_core *c) {
    /* Rows read inside the lost transaction may be reused by other records, and entries
     * judged done against records it held are not done: full frontiers both ways. */
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0) continue;
        p->tx_round = 0;
        if (sync_peer_takes(c, p, SYNC_FEAT_DELTA)) p->rx_reset = 1;
    }
}

void sync_delta_synced(peer *p, int64_t row, int64_t fork_row) {
    /* Equal digests: the peer holds every row up to these, so the next delta starts there. */
    if (p->tx_round == 0 || row < p->tx_row || fork_row < p->tx_fork_row) return;
    p->tx_row = row;
    p->tx_fork_row = fork_row;
}

static claim *claim_find(peer *p, const uint8_t *author) {
    for (size_t i = 0; i < p->nclaims; i++)
        if (memcmp(p->claims[i].author, author, RONDA_KEY_BYTES) == 0) return &p->claims[i];
    return NULL;
}

/* Whether an entry still asks for something here: records beyond ours (the chain not
 * frozen by a fork), or a fork we do not hold as it does. */
static int asks(sync_core *c, const uint8_t *author, uint64_t seq, uint64_t fork) {
    uint64_t our_fork = 0;
    if (ronda_store_fork_seq(c->s, author, &our_fork) != RONDA_OK) return 1;
    return (our_fork == 0 && seq > sync_our_seq(c, author)) || (fork && fork != our_fork);
}

/* Remember (or forget) one entry of a delta: a delta names an author only when it changed,
 * so what the entry asks for is asked again from here each round until it is done. */
static void remember(sync_core *c, peer *p, const sync_wire_entry *x) {
    claim *k = claim_find(p, x->author);
    if (!asks(c, x->author, x->seq, x->fork)) {
        if (k) *k = p->claims[--p->nclaims];
        return;
    }
    if (!k) {
        if (p->nclaims >= SYNC_CLAIMS_MAX) { /* more than we keep: full frontiers instead */
            p->rx_reset = 1;
            return;
        }
        if (!p->claims && !(p->claims = malloc(SYNC_CLAIMS_MAX * sizeof *p->claims))) {
            p->rx_reset = 1;
            return;
        }
        k = &p->claims[p->nclaims++];
        memcpy(k->author, x->author, RONDA_KEY_BYTES);
    }
    k->seq = x->seq;
    k->fork = x->fork;
    memcpy(k->head, x->head, RONDA_ID_BYTES);
}

void sync_frontier_in(sync_core *c, peer *p, const sync_wire_frontier *f) {
    if (f->has_round) {
        /* Rounds follow one another, chunks within one in order; round 1 starts afresh.
         * Anything else means a chunk or a round was lost (a full queue, a dropped message):
         * the peer is asked for a full frontier (its next HELLO from us lacks DELTA). */
        int next = (f->round == 1 && f->chunk == 0) ||
                   (p->rx_chunk == 0 && f->chunk == 0 && f->round == p->rx_round + 1) ||
                   (p->rx_chunk > 0 && f->round == p->rx_round && f->chunk == p->rx_chunk);
        if (!next && !p->rx_reset) {
            p->rx_reset = 1;
            c->st.delta_gaps++;
        }
        if (f->round == 1 && f->chunk == 0) p->nclaims = 0; /* a full frontier: it all comes again */
        p->rx_round = f->round;
        p->rx_chunk = f->last ? 0 : f->chunk + 1;
    } else if (p->rx_reset && f->last) {
        p->rx_reset = 0; /* the full frontier came: deltas again, from a new round 1 */
        p->rx_round = p->rx_chunk = 0;
        p->nclaims = 0;
    }
    for (uint32_t i = 0; i < f->n; i++) {
        const sync_wire_entry *x = &f->e[i];
        sync_frontier_seen(c, p, x->author, x->seq, x->head, x->fork, x->pair);
        if (f->has_round) remember(c, p, x);
    }
}

void sync_claims_replay(sync_core *c, peer *p) {
    for (size_t i = 0; i < p->nclaims;) {
        claim *k = &p->claims[i];
        if (!asks(c, k->author, k->seq, k->fork)) {
            *k = p->claims[--p->nclaims];
            continue;
        }
        sync_frontier_seen(c, p, k->author, k->seq, k->head, k->fork, NULL);
        i++;
    }
}
