/* Serving a WANT: a peer asked for an author's records from a seq; the reply holds at most
 * SYNC_BATCH_RECORDS records and SYNC_BATCH_BYTES bytes, and the fork evidence of a frozen
 * chain. */
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"

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
void sync_answer_want(sync_core *c, peer *p, const uint8_t *author, uint64_t from, uint64_t max) {
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
    sync_enqueue(c, p, &w, SYNC_Q_RECORDS);
}
