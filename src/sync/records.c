/* Receiving RECORDS: each record opened (on worker threads, through the check-ahead
 * pipeline of record/batch.h) and applied in order, refusals counted against the peer or
 * logged as not its fault, large replies under sync_hold checked ahead while earlier ones are
 * applied (the deferred replies, invariant 6 of sync.c), and what a reply answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"
#include "util/assert.h"

#include "record/batch.h"

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
    sync_logf(c, 4, p->id, "refused a record from peer (%s): %s (%s)", name, ronda_strerror(e), d->text);
    if (p->bad >= SYNC_BAD_MAX && !p->banned) { /* the SYNC_BAD_MAX-th refusal cuts it off */
        sync_ban(c, p);
        sync_logf(c, 3, p->id, "peer sent %llu bad records: cutting it off", (unsigned long long)p->bad);
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
    sync_logf(c, 4, p->id, "not storing %llu record(s) dated ahead of our clock: %s",
              (unsigned long long)p->future_unlogged, d->text);
    p->future_log_ms = c->mono_ms ? c->mono_ms : 1;
    p->future_unlogged = 0;
}

void sync_count_bad(sync_core *c, peer *p, ronda_err e, const ronda_detail *d) { count_bad_rec(c, p, e, d, NULL); }

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
    sync_logf(c, 6, p->id, "record not stored, not counted against the peer (%s): %s (%s)", name, ronda_strerror(e),
              d->text);
}

void sync_deferred_log_window(sync_core *c, uint64_t now) {
    if (now - c->deferred_window_ms < SYNC_DEFERRED_LOG_WINDOW_MS && now >= c->deferred_window_ms) return;
    if (c->deferred_suppressed)
        sync_logf(c, 5, 0, "%llu more records not stored (not counted against their peers) were not logged",
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
                sync_want_evidence(c, p, recs[i].author, recs[i].seq - 1);
        }
        if (e == RONDA_OK) {
            if (o == RONDA_STORED)
                c->st.stored++;
            else if (o == RONDA_DUPLICATE)
                c->st.duplicates++;
            else {
                c->st.forks++;
                sync_logf(c, 4, p->id, "fork evidence stored: %s", dets[i].text);
                if (memcmp(recs[i].author, c->self, RONDA_KEY_BYTES) == 0)
                    sync_logf(
                        c, 4, p->id, /* a warning: the node keeps syncing, only its writes stop */
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
            if (e == RONDA_ERR_GAP) sync_want_add(c, p, recs[i].author, recs[i].seq);
        }
    }
    return RONDA_OK;
}

void sync_rx_batch_free(rx_batch *b) {
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
ronda_err sync_rx_batch_read(sync_core *c, peer *p, const sync_wire_records *x, const uint8_t *from,
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
        sync_rx_batch_free(b);
        return RONDA_ERR_NOMEM;
    }
    for (b->got = 0; b->got < x->got; b->got++) {
        b->bufs[b->got] = base + (x->item[b->got] - from);
        b->lens[b->got] = x->len[b->got];
    }
    if (bad_item) sync_count_bad(c, p, RONDA_ERR_MALFORMED, bad_item);
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
ronda_err sync_apply_records(sync_core *c, peer *p, rx_batch *b, int checked, uint64_t reply, uint64_t *first_seq) {
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
        sync_delta_rolled_back(c);
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
        if (ce != RONDA_OK) {
            sync_delta_rolled_back(c);
            return ce;
        }
    }
    sync_guard_after(c, p);
    return RONDA_OK;
}

/* After a RECORDS message is applied: which WANT it answered (or which probe), what to ask
 * for next. */
void sync_span_seen(sync_core *c, peer *p, const sync_wire_records *x, uint64_t now) {
    if (!x->reply || !x->author || x->count == 0) return;
    inflight *f = NULL; /* the WANT it answers: replies come in order */
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        inflight *g = &p->fl[i];
        if (g->used && !g->seen && memcmp(g->author, x->author, 32) == 0 && (!f || g->order < f->order)) f = g;
    }
    if (!f) return;
    f->seen = 1;
    uint32_t span = p->want_span;
    if (x->count < f->to - f->from + 1) { /* cut short by the byte bound (or at a fork) */
        uint32_t fit = x->count - x->count / 8;
        if (fit == 0) fit = 1;
        if (span == 0 || fit < span) p->want_span = fit;
        /* What it did not carry is no longer in flight: the next WANT asks from its end
         * (the author wanted again: its want left the queue once its range was sent). */
        f->to = f->from + x->count - 1;
        sync_want_add(c, p, f->author, f->target);
        sync_pump(c, p, now);
        return;
    } else if (span == 0) {
        p->want_span = SYNC_BATCH_RECORDS; /* it fit: ranges of a full batch do */
    }
    if (span == 0) sync_pump(c, p, now); /* the slow start is over: fill the window now */
}

void sync_records_answered(sync_core *c, peer *p, uint64_t reply, const uint8_t *author, uint32_t count, uint64_t first,
                           uint64_t now) {
    uint64_t probe = reply && author && count == 0 ? sync_probe_answered(author) : 0;
    if (probe) {
        sync_lost_before(c, p, probe - 1); /* replies come in order */
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
            sync_lost_before(c, p, f->order);
            uint64_t have = sync_our_seq(c, author);
            f->used = 0;
            /* Records that begin after a hole (a reply before this one was cut short) could
             * not be stored: asked for again from what we hold, after the hole's own WANT. */
            int behind_hole = count > 0 && have < f->from && first == f->from && first > have + 1;
            if (have < f->from && memcmp(author, c->self, 32) == 0 && p->self_claim >= f->from && !behind_hole)
                sync_claim_undelivered(c, p, f->from);
            if (behind_hole)
                sync_want_add(c, p, author, f->target);
            else if (have < f->from)
                sync_want_drop(p, author); /* nothing came: ask again next round, not at once */
            /* A short batch (the byte bound) leaves the rest of the range: ask again from
             * what we hold, but only if this reply made progress (no spinning on records
             * that cannot apply yet; the next round retries those). A hole before it was
             * asked for above, and by the gap of each record. */
            if (have < f->to && have >= f->from && have < f->target) sync_want_add(c, p, author, f->target);
        }
    }
    sync_pump(c, p, now);
}

/* Apply the oldest deferred reply: wait for its checks (checking what no worker has taken
 * yet on this thread), apply it, and handle it as sync_receive would have (which WANT it
 * answered, what to ask next). A peer gone or cut off meanwhile has its reply dropped (its
 * records are asked for again, from it or others). */
ronda_err sync_rx_settle_one(sync_core *c) {
    if (c->nrx == 0) return RONDA_OK;
    rx_pending *x = &c->rxq[0];
    ronda_open_wait(&x->job);
    ronda_err e = RONDA_OK;
    peer *p = sync_find(c, x->peer);
    if (p && !p->banned) {
        uint64_t first = 0;
        e = sync_apply_records(c, p, &x->b, 1, x->reply, &first);
        if (e == RONDA_OK) sync_records_answered(c, p, x->reply, x->author, x->count, first, x->now);
    }
    sync_rx_batch_free(&x->b);
    free(x->msg);
    memmove(c->rxq, c->rxq + 1, --c->nrx * sizeof *c->rxq);
    return e;
}

/* Apply every deferred reply, in the order they arrived. Every entry point but sync_receive
 * of the next large reply, sync_release and sync_tick calls this first, so messages take
 * effect in the order they arrived. After a failed apply the rest are still applied (a
 * record after the lost ones waits as a gap and is asked for again); the first error is
 * returned. */
ronda_err sync_rx_settle(sync_core *c) {
    ronda_err e = RONDA_OK;
    while (c->nrx > 0) {
        ronda_err f = sync_rx_settle_one(c);
        if (e == RONDA_OK) e = f;
    }
    return e;
}

/* Under sync_hold, a large reply (a catch-up batch) is not applied at once: its records
 * start being checked on worker threads now, and it joins the queue of deferred replies
 * (the oldest is applied once more than SYNC_DEFER_MAX - 1 wait, so while this thread
 * applies reply k, the replies after it are being checked). `x` was decoded from msg. */
ronda_err sync_defer_records(sync_core *c, peer *p, const uint8_t *msg, size_t len, const sync_wire_records *rx,
                             const ronda_detail *bad_item, uint64_t now) {
    rx_pending x = {.peer = p->id, .hold = c->holds, .reply = rx->reply, .count = rx->count, .now = now};
    if (!(x.msg = malloc(len))) return RONDA_ERR_NOMEM;
    memcpy(x.msg, msg, len);
    x.author = rx->author ? x.msg + (rx->author - msg) : NULL;
    ronda_err e = sync_rx_batch_read(c, p, rx, msg, x.msg, bad_item, &x.b);
    if (e != RONDA_OK) {
        free(x.msg);
        return e;
    }
    if (ronda_open_start(x.b.bufs, x.b.lens, x.b.got, helper_threads(c), x.b.recs, x.b.errs, x.b.dets, &x.job) !=
        RONDA_OK)
        ronda_open_batch(x.b.bufs, x.b.lens, x.b.got, c->verify_threads, x.b.recs, x.b.errs, x.b.dets);
    /* The oldest, while this one is being checked; a failure there is reported, and this
     * reply still queued (messages keep their order). */
    e = c->nrx == SYNC_DEFER_MAX ? sync_rx_settle_one(c) : RONDA_OK;
    RONDA_ASSERT(c->nrx < SYNC_DEFER_MAX); /* invariant 6: rx_settle_one took the oldest, even on failure */
    c->rxq[c->nrx++] = x;
    c->st.replies_ahead++;
    return e;
}
