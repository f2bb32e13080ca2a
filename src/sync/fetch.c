/* Fetching: the wants a peer's frontier gives (sync_frontier_seen), the window of at most
 * SYNC_INFLIGHT_MAX WANTs in flight per peer (sync_pump), fork-evidence WANTs, and the probe
 * that tells lost WANTs from slow ones (invariants 3 and 4 of sync.c). */
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "sync/sync_int.h"
#include "sync/wire.h"
#include "util/assert.h"

/* A probe is a WANT for at most 0 records of an author that does not exist: the empty reply
 * names that author, and the author's bytes (this tag, then the probe's send order) say which
 * probe it answers. Sent with the round's HELLO while WANTs are outstanding: its reply marks
 * every WANT sent before it as answered or lost, on a transport that keeps order, so a lost
 * WANT is asked again a round later instead of after SYNC_WANT_TIMEOUT_MS. */
static const uint8_t probe_tag[24] = "ronda-sync-probe"; /* zero-padded */

uint64_t sync_our_seq(sync_core *c, const uint8_t *author) {
    uint64_t seq = 0;
    uint8_t id[32];
    if (ronda_store_head(c->s, author, &seq, id) != RONDA_OK) return 0;
    return seq;
}

/* Add or raise a want; the authority's chain goes first (it carries the roster). What to
 * ask for is decided when it is sent (pump): from what we hold then, around what is already
 * in flight. */
void sync_want_add(sync_core *c, peer *p, const uint8_t *author, uint64_t target) {
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
void sync_want_drop(peer *p, const uint8_t *author) {
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
void sync_want_evidence(sync_core *c, peer *p, const uint8_t *author, uint64_t seq) {
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
void sync_frontier_seen(sync_core *c, peer *p, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork,
                        const uint8_t *pair) {
    uint64_t ours = sync_our_seq(c, author), our_fork = 0;
    if (ronda_store_fork_seq(c->s, author, &our_fork) != RONDA_OK) return;
    if (memcmp(author, c->self, 32) == 0) sync_guard_seen(c, p, seq, head);
    if (fork && (our_fork == 0 || fork < our_fork) && fork <= ours + 1) {
        sync_want_evidence(c, p, author, fork);
    } else if (fork && fork == our_fork && pair && lower_evidence(c, author, fork, pair)) {
        sync_want_evidence(c, p, author, fork); /* the same fork, and the peer holds a lower id */
    } else if (seq >= 1 && seq <= ours && (our_fork == 0 || seq < our_fork)) {
        uint8_t id[RONDA_ID_BYTES];
        if (ronda_store_id_at(c->s, author, seq, id) == RONDA_OK && memcmp(id, head, RONDA_ID_BYTES) != 0)
            sync_want_evidence(c, p, author, seq);
    }
    if (our_fork == 0 && seq > ours) sync_want_add(c, p, author, seq);
}

/* WANTs sent before request `order` and still outstanding were lost: ask for them again. */
void sync_lost_before(sync_core *c, peer *p, uint64_t order) {
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        inflight *g = &p->fl[i];
        if (g->used && g->order < order) {
            g->used = 0;
            sync_want_add(c, p, g->author, g->target);
        }
    }
}

/* With WANTs outstanding, a probe (see probe_tag) after them. */
void sync_send_probe(sync_core *c, peer *p) {
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
uint64_t sync_probe_answered(const uint8_t *author) {
    if (memcmp(author, probe_tag, sizeof probe_tag) != 0) return 0;
    uint64_t order = 0;
    for (int i = 0; i < 8; i++) order = order << 8 | author[sizeof probe_tag + (size_t)i];
    return order + 1;
}

/* The next range to ask for an author: from what we hold, skipping ranges in flight, and
 * ending before the next range in flight. RANGE_NONE when everything up to target is asked
 * for; RANGE_WAIT when one is in flight and no reply has shown yet how many records fit
 * one (want_span). */
enum { RANGE_NONE, RANGE_NEXT, RANGE_WAIT };
static int next_range(sync_core *c, peer *p, const want *w, uint64_t *from, uint64_t *to) {
    uint64_t f = sync_our_seq(c, w->author) + 1;
    int in_flight = 0;
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
            const inflight *g = &p->fl[i];
            if (g->used && memcmp(g->author, w->author, 32) == 0 && g->from <= f && f <= g->to) {
                f = g->to + 1;
                moved = 1;
                in_flight = 1;
            }
        }
    }
    if (f > w->target) return RANGE_NONE;
    if (in_flight && p->want_span == 0) return RANGE_WAIT;
    uint64_t span = p->want_span ? p->want_span : SYNC_BATCH_RECORDS;
    uint64_t t = f + span - 1 < w->target ? f + span - 1 : w->target;
    for (size_t i = 0; i < SYNC_INFLIGHT_MAX; i++) {
        const inflight *g = &p->fl[i];
        if (g->used && memcmp(g->author, w->author, 32) == 0 && g->from > f && g->from - 1 < t) t = g->from - 1;
    }
    *from = f;
    *to = t;
    return RANGE_NEXT;
}

/* Fill the request window from the wants queue: consecutive ranges of the first author,
 * then the next (an author waiting for its first reply is passed over meanwhile). */
void sync_pump(sync_core *c, peer *p, uint64_t now) {
    if (p->banned) return;
    for (size_t slot = 0; slot < SYNC_INFLIGHT_MAX && p->nwants > 0; slot++) {
        if (p->fl[slot].used) continue;
        for (size_t k = 0; k < p->nwants;) {
            want *w = &p->wants[k];
            uint64_t from, to;
            int r = next_range(c, p, w, &from, &to);
            if (r == RANGE_NONE) { /* nothing (more) to ask for this author */
                memmove(p->wants + k, p->wants + k + 1, (p->nwants - k - 1) * sizeof *p->wants);
                p->nwants--;
                continue;
            }
            if (r == RANGE_WAIT) {
                k++;
                continue;
            }
            inflight *f = &p->fl[slot];
            f->used = 1;
            f->seen = 0;
            memcpy(f->author, w->author, 32);
            f->from = from;
            f->to = to;
            f->target = w->target;
            send_want(c, p, f, now);
            break;
        }
    }
}
