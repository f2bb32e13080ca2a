/* sync_check(): the core's invariants, numbered as in sync.c's file-top comment, checked
 * by the simulator after every step and by the tests. Reads only. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"

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
    if (p->nclaims > SYNC_CLAIMS_MAX || (p->nclaims && !p->claims) || (p->id == 0 && (p->nclaims || p->tx_round)))
        return broken(why, len, "12: peer %u remembers %zu delta entries (at most %u), round %llu", p->id, p->nclaims,
                      SYNC_CLAIMS_MAX, (unsigned long long)p->tx_round);
    if (n != p->qlen || last != p->qtail || (p->qtail && p->qtail->next))
        return broken(why, len, "2: peer %u: queue of %zu messages, qlen %zu, or its tail is not its last", p->id, n,
                      p->qlen);
    size_t qi = 0;
    for (const outmsg *m = p->qhead; m; m = m->next, qi++) {
        crd r = crd_make(m->data, m->len);
        uint32_t items;
        uint64_t type;
        if (!m->data || m->len > SYNC_MSG_MAX || crd_array(&r, &items) != RONDA_OK || items < 1 ||
            crd_uint(&r, &type) != RONDA_OK || type > SYNC_WIRE_ZSTD)
            return broken(why, len, "2b: peer %u: queued message %zu (%zu bytes) is not one a peer takes", p->id, qi,
                          m->len);
        if (type == SYNC_WIRE_ZSTD &&
            (!(p->features & SYNC_FEAT_ZSTD) || !(c->features & SYNC_FEAT_ZSTD) || m->records_raw <= m->len))
            return broken(why, len, "2b: peer %u: queued ZSTD message %zu is not smaller or not announced", p->id, qi);
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
    if (st->records_wire_out > st->records_raw_out || st->records_wire_out > st->bytes_out ||
        st->records_wire_in > st->bytes_in || st->zstd_in > st->msgs_in || st->zstd_out > st->msgs_out)
        return broken(why, len,
                      "11: RECORDS bytes out %llu on the wire of %llu before compression, or beyond the totals",
                      (unsigned long long)st->records_wire_out, (unsigned long long)st->records_raw_out);
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
