/* FRONTIER: our heads, sent when digests differ (proto/sync.md), SYNC_WANTS_MAX authors a
 * message and each round resuming after the last author the previous one sent. */
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

void sync_send_frontier(sync_core *c, peer *p) {
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
