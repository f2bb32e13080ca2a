/* Push and relay (proto/sync.md, "State machine"): new store rows go to every peer but the one they
 * came from, in RECORDS pushes of at most SYNC_PUSH_BATCH_RECORDS records, each peer from its
 * own cursor; rows of large replies (the skip spans) are not relayed; fork evidence goes one
 * record a message. Called from sync_tick. */
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"

int64_t sync_max_rowid(ronda_store *s, int fork) {
    int64_t last = 0;
    if (ronda_store_last_rowid(s, fork, &last) != RONDA_OK) return 0;
    return last;
}

typedef struct push_ctx {
    sync_core *c;
    int64_t last;
    int fork;
} push_ctx;

static int push_one(void *vctx, int64_t rowid, const uint8_t *id, const uint8_t *rec, size_t len) {
    push_ctx *x = vctx;
    sync_core *c = x->c;
    x->last = rowid;
    if (!x->fork)
        for (size_t i = 0; i < c->nskip; i++)
            if (rowid >= c->skip[i].from && rowid <= c->skip[i].to) return 0;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0 || p->banned) continue;
        if (sync_recent_has(c, id, p->id)) continue; /* it came from this peer */
        cwr w;
        cwr_init(&w);
        sync_wire_records_enc(&w, 0, NULL, 1);
        cwr_bin(&w, rec, len);
        sync_enqueue(c, p, &w, SYNC_Q_PUSH | SYNC_Q_RECORDS);
    }
    return 0;
}

/* The peer a record recently came from (0: none known). */
static uint32_t recent_source(const sync_core *c, const uint8_t *id) {
    for (size_t i = 0; i < RECENT_MAX; i++)
        if (c->recent[i].peer != 0 && memcmp(c->recent[i].id, id, 8) == 0) return c->recent[i].peer;
    return 0;
}

static int push_room(const peer *p) { return p->qlen < SYNC_OUTQ_MAX / 2; }

/* One RECORDS push being filled for each peer during a scan (push_records). */
typedef struct push_msg {
    cwr body;
    uint32_t n;
    size_t bytes;
} push_msg;

typedef struct rows_ctx {
    sync_core *c;
    push_msg m[SYNC_PEERS_MAX];
    int64_t last;
} rows_ctx;

static void push_flush(sync_core *c, peer *p, push_msg *m) {
    if (m->n == 0) return;
    cwr w;
    cwr_init(&w);
    sync_wire_records_enc(&w, 0, NULL, m->n);
    if (m->body.failed) /* its items are lost: not sent (dropped, repaired by a round) */
        w.failed = 1;
    else
        cwr_raw(&w, (const uint8_t *)m->body.buf.data, m->body.buf.size);
    cwr_destroy(&m->body);
    cwr_init(&m->body);
    m->n = 0;
    m->bytes = 0;
    sync_enqueue(c, p, &w, SYNC_Q_PUSH | SYNC_Q_RECORDS); /* push_room held when the message began, so it is queued */
}

static int push_row(void *vctx, int64_t rowid, const uint8_t *id, const uint8_t *rec, size_t len) {
    rows_ctx *x = vctx;
    sync_core *c = x->c;
    x->last = rowid;
    int skipped = 0;
    for (size_t i = 0; i < c->nskip && !skipped; i++) skipped = rowid >= c->skip[i].from && rowid <= c->skip[i].to;
    uint32_t source = skipped ? 0 : recent_source(c, id);
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        push_msg *m = &x->m[i];
        if (p->id == 0 || p->banned || p->push_after >= rowid) continue;
        if (skipped || source == p->id) { /* a large reply's row, or it came from this peer */
            p->push_after = rowid;
            continue;
        }
        if (m->n > 0 && (m->n == SYNC_PUSH_BATCH_RECORDS || m->bytes + len > SYNC_PUSH_BATCH_BYTES))
            push_flush(c, p, m);
        /* A new message only while the queue has room for it; otherwise this peer's cursor
         * stays here and a later tick goes on from it (spread over ticks, not dropped). */
        if (m->n == 0 && !push_room(p)) continue;
        cwr_bin(&m->body, rec, len);
        m->n++;
        m->bytes += len;
        p->push_after = rowid;
    }
    return 0;
}

/* Push new store rows to every peer in RECORDS messages of at most SYNC_PUSH_BATCH_RECORDS
 * records (SYNC_PUSH_BATCH_BYTES), each peer from its own cursor: local appends and records
 * received in a push alike, however large the batch they came in. A peer's queue takes at
 * most SYNC_OUTQ_MAX / 2 pushes; beyond that its cursor waits for the queue to drain, and a
 * peer more than SYNC_PUSH_LAG_MAX rows behind is moved up (those rows are counted as
 * dropped; the next round repairs them). At most SYNC_PUSH_SCAN_MAX rows are read per tick. */
ronda_err sync_push_records(sync_core *c) {
    int64_t last = sync_max_rowid(c->s, 0), from = last;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
        peer *p = &c->peers[i];
        if (p->id == 0 || p->banned) continue;
        for (size_t k = 0; k < c->nskip; k++) /* jump over spans that start where it stands */
            if (c->skip[k].from <= p->push_after + 1 && c->skip[k].to > p->push_after) p->push_after = c->skip[k].to;
        if (last - p->push_after > (int64_t)SYNC_PUSH_LAG_MAX) {
            c->st.pushes_dropped += (uint64_t)(last - (int64_t)SYNC_PUSH_LAG_MAX - p->push_after);
            p->push_after = last - (int64_t)SYNC_PUSH_LAG_MAX;
        }
        if (push_room(p) && p->push_after < from) from = p->push_after;
    }
    if (from < last) {
        rows_ctx *x = calloc(1, sizeof *x);
        if (!x) return RONDA_ERR_NOMEM;
        x->c = c;
        x->last = from;
        for (size_t i = 0; i < SYNC_PEERS_MAX; i++) cwr_init(&x->m[i].body);
        ronda_err e = ronda_store_since(c->s, 0, from, SYNC_PUSH_SCAN_MAX, push_row, x);
        for (size_t i = 0; i < SYNC_PEERS_MAX; i++) {
            if (e == RONDA_OK && c->peers[i].id != 0 && !c->peers[i].banned) push_flush(c, &c->peers[i], &x->m[i]);
            cwr_destroy(&x->m[i].body);
        }
        if (x->last > c->pushed_rowid) c->pushed_rowid = x->last;
        free(x);
        if (e != RONDA_OK) return e;
    }
    if (last > c->pushed_rowid && from >= last) c->pushed_rowid = last;
    /* Forget spans every cursor (and a peer that comes next) has passed. */
    int64_t low = c->pushed_rowid;
    for (size_t i = 0; i < SYNC_PEERS_MAX; i++)
        if (c->peers[i].id != 0 && !c->peers[i].banned && c->peers[i].push_after < low) low = c->peers[i].push_after;
    size_t keep = 0;
    for (size_t i = 0; i < c->nskip; i++)
        if (c->skip[i].to > low) c->skip[keep++] = c->skip[i];
    c->nskip = keep;
    return RONDA_OK;
}

ronda_err sync_push_forks(sync_core *c) {
    push_ctx x = {c, c->pushed_fork_rowid, 1}; /* fork evidence: one record a message */
    ronda_err e = ronda_store_since(c->s, 1, x.last, SYNC_PUSH_SCAN_MAX, push_one, &x);
    if (e != RONDA_OK) return e;
    c->pushed_fork_rowid = x.last;
    return RONDA_OK;
}
