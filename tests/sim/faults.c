/* Focused scenarios (--selftest) of hostile peers and failures: clocks far off, forged
 * claims, fork floods and split evidence, a restored node's guard, crashes inside a
 * transaction, relays along a line, impersonation (sim.h). */
#include "sim.h"

/* ------------------------------------------------------------------ clocks */

/* Nodes 1, 2, 3 linked in a triangle, the authority (node 0) apart; clocks agree, except
 * node 3's is `skew3` ms off. With `long_member`, that node is admitted again for two years
 * (a member record whose validity reaches far ahead, as an authority may sign). */
static world *clock_world(const opts *o, uint64_t seed, int long_member, int64_t skew3) {
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, seed, 4, 0) != 0) return w;
    for (unsigned i = 0; i < 4; i++) w->nodes[i].skew = 0;
    w->nodes[3].skew = skew3;
    if (long_member) {
        int64_t before = 0;
        w->long_member = long_member;
        if (ronda_store_last_rowid(w->nodes[0].s, 0, &before) != RONDA_OK || admit(w, long_member) != RONDA_OK)
            failf(w, "cannot admit node %d for two years", long_member);
        for (unsigned i = 1; i < 4 && !w->fail[0]; i++) {
            copy_ctx cc = {w, w->nodes[i].s, (int)i};
            if (ronda_store_since(w->nodes[0].s, 0, before, 1000, copy_one, &cc) != RONDA_OK)
                failf(w, "node %u: cannot apply the new member record", i);
        }
    }
    add_link(w, 1, 2);
    add_link(w, 2, 3);
    add_link(w, 3, 1);
    w->maxlat = 5;
    world_start(w);
    return w;
}

typedef struct hlc_max {
    uint64_t hlc;
} hlc_max;

static int hlc_max_cb(void *ctx, const ronda_row *r) {
    hlc_max *m = ctx;
    if (!r->fork && r->hlc > m->hlc) m->hlc = r->hlc;
    return 0;
}

/* The largest HLC of node `author`'s records held by node i. */
static uint64_t author_hlc(world *w, int i, int author) {
    hlc_max m = {0};
    if (ronda_store_each(w->nodes[i].s, w->nodes[author].pk, hlc_max_cb, &m) != RONDA_OK) failf(w, "store walk");
    return m.hlc;
}

static uint64_t seq_of(world *w, int i, int author) {
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    if (ronda_store_head(w->nodes[i].s, w->nodes[author].pk, &seq, head) != RONDA_OK) return 0;
    return seq;
}

/* What `ronda record` checks before writing: the node's offset from its peers is known
 * and within the bound (an unknown one does not stop it). */
static int may_write(world *w, int i) {
    int64_t off = 0;
    if (!sync_clock_offset(w->nodes[i].c, &off)) return 1;
    return (off < 0 ? -off : off) <= (int64_t)RONDA_CLOCK_AHEAD_MAX_MS;
}

/* Node i's view of node `other` (its peer over the triangle's links). */
static sync_peer_info peer_view(world *w, int i, int other) {
    sync_peer_info info[SYNC_PEERS_MAX], none = {0};
    size_t n = sync_get_peers(w->nodes[i].c, info, SYNC_PEERS_MAX);
    for (size_t k = 0; k < n; k++)
        for (size_t li = 0; li < w->nlinks; li++) {
            const wire *l = &w->links[li];
            uint32_t id = l->a == i ? (uint32_t)li + 1 : ROUTER_BASE + (uint32_t)li;
            if (((l->a == i && l->b == other) || (l->b == i && l->a == other)) && info[k].id == id) return info[k];
        }
    return none;
}

static int honest_synced(world *w, int from, int to) {
    uint8_t a[RONDA_HASH_BYTES], b[RONDA_HASH_BYTES];
    digest_of(w, from, a);
    for (int i = from + 1; i <= to; i++) {
        digest_of(w, i, b);
        if (memcmp(a, b, sizeof a) != 0) return 0;
    }
    return 1;
}

/* ---- forks and the restore guard (proto/record.md §3 step 7, docs/operations.md) */

/* A dialogue of node i's precinct, sealed with node i's key at (seq, prev, hlc). */
static uint8_t *seal_as(world *w, int i, uint64_t seq, const uint8_t *prev, uint64_t hlc, size_t *len) {
    unsigned topics;
    json_t *j = dialogue_json(w, &w->nodes[i], &topics);
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK ||
        ronda_record_seal(w->nodes[i].sk, seq, prev, hlc, RONDA_KIND_DIALOGUE, body, blen, &rec, len) != RONDA_OK)
        abort();
    json_decref(j);
    free(body);
    return rec;
}

/* Deliver one message to node `to` as if from its peer `peer`, and send what it answers. */
static void inject(world *w, int to, uint32_t peer, const uint8_t *m, size_t len) {
    node *nd = &w->nodes[to];
    if (sync_receive(nd->c, peer, m, len, node_clock(w, nd)) != RONDA_OK) failf(w, "node %d: sync_receive failed", to);
    drain(w, to);
}

static void push_to(world *w, int to, uint32_t peer, const uint8_t *rec, size_t len) {
    size_t mlen;
    uint8_t *m = records_msg(rec, len, &mlen);
    inject(w, to, peer, m, mlen);
    free(m);
}

static ronda_guard guard_of(world *w, int i, uint64_t *seq) {
    ronda_guard g = RONDA_GUARD_RESTORED;
    uint64_t n = 0;
    if (ronda_store_guard(w->nodes[i].s, &g, &n) != RONDA_OK) failf(w, "node %d: guard unreadable", i);
    if (seq) *seq = n;
    return g;
}

/* Nodes first..n-1 hold equal digests. */
static int synced_from(world *w, unsigned first) {
    uint8_t d0[RONDA_HASH_BYTES], d[RONDA_HASH_BYTES];
    for (unsigned i = first; i < w->n; i++) {
        if (!w->nodes[i].alive || ronda_store_digest(w->nodes[i].s, i == first ? d0 : d, NULL) != RONDA_OK) return 0;
        if (i > first && memcmp(d0, d, sizeof d) != 0) return 0;
    }
    return 1;
}

/* A hostile member signs records a year ahead with its real key (its membership runs two
 * years). Honest nodes do not store them (not the relay's fault: nobody is cut off), keep
 * appending with HLCs near their own clocks, and store them once their clocks get there. */
void selftest_far_future(const opts *o) {
    printf("clocks: a member's records a year ahead are not stored; honest nodes keep writing\n");
    world *w = clock_world(o, 1007, 3, 0);
    run_for(w, 3000);
    node *h = &w->nodes[3];
    h->skew = (int64_t)(365 * DAY_MS);
    do_append(w, 3, 3); /* signed by node 3's own key, dated a year ahead */
    h->skew = 0;
    run_for(w, 6000);
    sync_stats s1, s2;
    sync_get_stats(w->nodes[1].c, &s1);
    sync_get_stats(w->nodes[2].c, &s2);
    sync_peer_info p13 = peer_view(w, 1, 3), p23 = peer_view(w, 2, 3);
    check(!w->fail[0] && seq_of(w, 3, 3) == 3 && seq_of(w, 1, 3) == 0 && seq_of(w, 2, 3) == 0 && s1.future > 0 &&
              s2.future > 0 && s1.rejected == 0 && s2.rejected == 0 && p13.id && !p13.banned && p13.bad == 0 &&
              p23.id && !p23.banned && p23.bad == 0,
          "nodes 1 and 2 hold none of node 3's 3 records (refused as future %llu and %llu times), nobody cut off %s",
          (unsigned long long)s1.future, (unsigned long long)s2.future, w->fail);
    do_append(w, 1, 2);
    do_append(w, 2, 2);
    uint64_t cap1 = (node_now(w, &w->nodes[1]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    uint64_t cap2 = (node_now(w, &w->nodes[2]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    check(!w->fail[0] && author_hlc(w, 1, 1) < cap1 && author_hlc(w, 2, 2) < cap2,
          "nodes 1 and 2 still append, their HLCs within the bound of their clocks %s", w->fail);
    run_for(w, 3000);
    check(!w->fail[0] && honest_synced(w, 1, 2) && seq_of(w, 3, 1) == w->written[1] && seq_of(w, 3, 2) == w->written[2],
          "the honest nodes converge; node 3 holds their records %s", w->fail);
    for (unsigned i = 0; i < 4; i++) w->nodes[i].skew = (int64_t)(366 * DAY_MS); /* a year on */
    run_for(w, 6000);
    check(!w->fail[0] && seq_of(w, 1, 3) == 3 && seq_of(w, 2, 3) == 3 && honest_synced(w, 1, 3),
          "once their clocks reach those records, a later round fetches and stores them: all converge %s", w->fail);
    world_free(w);
    free(w);
}

static uint64_t run_until_synced_from(world *w, unsigned first, uint64_t max_ms) {
    uint64_t start = w->now;
    while (!w->fail[0] && !synced_from(w, first) && w->now < start + max_ms) step(w);
    return w->now - start;
}

typedef struct at_seq {
    uint64_t seq;
    unsigned records, forks;
    uint8_t ids[4][RONDA_ID_BYTES]; /* sorted below */
} at_seq;

static int at_seq_cb(void *ctx, const ronda_row *r) {
    at_seq *x = ctx;
    if (r->seq != x->seq) return 0;
    if (r->fork)
        x->forks++;
    else
        x->records++;
    unsigned k = x->records + x->forks - 1;
    if (k < 4) memcpy(x->ids[k], r->id, RONDA_ID_BYTES);
    return 0;
}

/* What node i holds of (author, seq): records, fork evidence, and their ids in order. */
static at_seq held_at(world *w, int i, const uint8_t *author, uint64_t seq) {
    at_seq x;
    memset(&x, 0, sizeof x);
    x.seq = seq;
    if (ronda_store_each(w->nodes[i].s, author, at_seq_cb, &x) != RONDA_OK) failf(w, "node %d: each failed", i);
    unsigned n = x.records + x.forks < 4 ? x.records + x.forks : 4;
    for (unsigned a = 0; a + 1 < n; a++)
        for (unsigned b = a + 1; b < n; b++)
            if (memcmp(x.ids[a], x.ids[b], RONDA_ID_BYTES) > 0) {
                uint8_t t[RONDA_ID_BYTES];
                memcpy(t, x.ids[a], sizeof t);
                memcpy(x.ids[a], x.ids[b], sizeof t);
                memcpy(x.ids[b], t, sizeof t);
            }
    return x;
}

static uint8_t *frontier_msg(const uint8_t *author, uint64_t seq, const uint8_t *head, size_t *len) {
    cwr c;
    cwr_init(&c);
    cwr_array(&c, 3);
    cwr_uint(&c, 2); /* FRONTIER */
    cwr_uint(&c, 1); /* last chunk */
    cwr_array(&c, 1);
    cwr_array(&c, 3);
    cwr_bin(&c, author, RONDA_KEY_BYTES);
    cwr_uint(&c, seq);
    cwr_bin(&c, head, RONDA_ID_BYTES);
    uint8_t *out = NULL;
    if (cwr_take(&c, &out, len) != RONDA_OK) abort();
    cwr_destroy(&c);
    return out;
}

/* A member's FRONTIER entry naming B's own key at seq 10^9 is a claim: B asks for those
 * records, gets none, counts the peer, and keeps writing. Only a verified record of B's own
 * key that B lacks (a gap) sets the guard to behind, and holding up to it lifts it. */
void selftest_forged_claim(const opts *o) {
    printf("core: a forged frontier claim of a node's own key does not lock it; a verified record does\n");
    world *w = pair_world(o, 1101);
    node *b = &w->nodes[2];
    do_append(w, 2, 3);
    run_until_synced(w, 30000);
    uint8_t head[RONDA_ID_BYTES];
    memset(head, 0x5a, sizeof head);
    size_t len;
    uint8_t *m = frontier_msg(b->pk, 1000000000u, head, &len);
    inject(w, 2, A_PEER_AT_B, m, len);
    free(m);
    uint64_t gseq = 0;
    ronda_guard g = guard_of(w, 2, &gseq);
    run_for(w, 3000); /* B's WANT of its own records goes to A, whose reply is empty */
    sync_stats sb;
    sync_get_stats(b->c, &sb);
    ronda_guard g2 = guard_of(w, 2, NULL);
    check(g == RONDA_GUARD_NONE && g2 == RONDA_GUARD_NONE,
          "B's guard after the claim of seq 10^9: %s, after the round: %s (none)", ronda_guard_name(g),
          ronda_guard_name(g2));
    check(sb.claims_undelivered >= 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "the undelivered claim is counted (%" PRIu64 ") and the peer is not cut off for it", sb.claims_undelivered);
    unsigned before = w->appended;
    do_append(w, 2, 1);
    check(!w->fail[0] && w->appended == before + 1, "B still appends %s", w->fail);

    uint64_t seq;
    if (ronda_store_head(b->s, b->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, b) + 1000u) << RONDA_HLC_COUNTER_BITS; /* after B's own last record */
    size_t l1, l2;
    uint8_t id1[RONDA_ID_BYTES];
    uint8_t *r1 = seal_as(w, 2, seq + 1, head, hlc, &l1);
    ronda_record rec;
    if (ronda_record_open(r1, l1, &rec, NULL) != RONDA_OK) abort();
    memcpy(id1, rec.id, sizeof id1);
    uint8_t *r2 = seal_as(w, 2, seq + 2, id1, hlc + 1, &l2);
    push_to(w, 2, A_PEER_AT_B, r2, l2); /* seq + 2 of B's own key, verified, not storable yet */
    g = guard_of(w, 2, &gseq);
    check(g == RONDA_GUARD_BEHIND && gseq == seq + 2,
          "a verified record of B's own key at seq %" PRIu64 " that B lacks sets the guard: %s %" PRIu64, seq + 2,
          ronda_guard_name(g), gseq);
    push_to(w, 2, A_PEER_AT_B, r1, l1);
    push_to(w, 2, A_PEER_AT_B, r2, l2);
    g = guard_of(w, 2, NULL);
    check(g == RONDA_GUARD_NONE, "holding them lifts it: %s", ronda_guard_name(g));
    free(r1);
    free(r2);
    world_free(w);
    free(w);
}

/* A node whose PC clock runs 20 days fast (its membership still valid then): it knows it is
 * off (and so would refuse `ronda record`), its peers see it, the record it wrote anyway is
 * not stored by them, they keep writing; once its clock is set right it is told so. */
void selftest_clock_beyond(const opts *o) {
    printf("clocks: a node 20 days fast is reported, its records refused, the others keep writing\n");
    world *w = clock_world(o, 1008, 0, (int64_t)(20 * DAY_MS));
    run_for(w, 5000);
    int64_t off3 = 0, off1 = 1;
    size_t n3 = sync_clock_offset(w->nodes[3].c, &off3), n1 = sync_clock_offset(w->nodes[1].c, &off1);
    sync_peer_info p13 = peer_view(w, 1, 3);
    check(n3 == 2 && off3 > (int64_t)RONDA_CLOCK_AHEAD_MAX_MS && n1 == 2 && off1 > -1000 && off1 < 1000 &&
              p13.has_offset && p13.offset_ms < -(int64_t)RONDA_CLOCK_AHEAD_MAX_MS && !may_write(w, 3) &&
              may_write(w, 1),
          "node 3 knows its clock is %lld s ahead of its 2 peers (and would refuse to write); node 1 sees it %s",
          (long long)(off3 / 1000), w->fail);
    do_append(w, 3, 1); /* written anyway (as by an older build) */
    run_for(w, 5000);
    sync_stats s1;
    sync_get_stats(w->nodes[1].c, &s1);
    check(!w->fail[0] && seq_of(w, 1, 3) == 0 && seq_of(w, 2, 3) == 0 && s1.future > 0 && s1.rejected == 0,
          "its record is not stored by nodes 1 and 2, and not held against it %s", w->fail);
    do_append(w, 1, 2);
    do_append(w, 2, 2);
    run_for(w, 3000);
    uint64_t cap = (node_now(w, &w->nodes[1]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    check(!w->fail[0] && author_hlc(w, 1, 1) < cap && honest_synced(w, 1, 2) && seq_of(w, 3, 1) == w->written[1],
          "nodes 1 and 2 keep writing and converge; node 3 takes their records %s", w->fail);
    w->nodes[3].skew = 0; /* the operator sets the clock (NTP) */
    run_for(w, 5000);
    n3 = sync_clock_offset(w->nodes[3].c, &off3);
    check(!w->fail[0] && n3 == 2 && off3 > -1000 && off3 < 1000 && may_write(w, 3),
          "with its clock set right node 3 may write again (%lld ms off) %s", (long long)off3, w->fail);
    world_free(w);
    free(w);
}

/* A hostile member floods one node with 300 validly signed forks of one of its seqs. The
 * node keeps one as evidence and cuts the sender off; every node ends with the same two
 * records of that seq, and equal digests (the chain frozen below the fork). */
void selftest_fork_flood(const opts *o) {
    printf("core: 300 forks of one seq: one evidence everywhere, the flooder cut off, equal digests\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1202, 5, 0) != 0) abort();
    add_link(w, 1, 2); /* link 0: node 2 knows node 1 as ROUTER_BASE + 0 */
    add_link(w, 2, 3);
    add_link(w, 3, 4);
    add_link(w, 4, 1);
    w->maxlat = 5;
    w->hostile = 1u << 1;
    world_start(w);
    do_append(w, 1, 5);
    uint64_t t = run_until_synced_from(w, 1, 30000);
    check(!w->fail[0] && synced_from(w, 1), "5 records of node 1 reach nodes 2-4 in %" PRIu64 " ms %s", t, w->fail);
    node *n1 = &w->nodes[1];
    uint8_t prev[RONDA_ID_BYTES];
    if (ronda_store_id_at(n1->s, n1->pk, 2, prev) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + w->now) << RONDA_HLC_COUNTER_BITS;
    int banned_at = 0, heard_at = 0;
    uint64_t kept_at_ban = 0;
    sync_stats s0;
    sync_get_stats(w->nodes[2].c, &s0);
    for (unsigned k = 0; k < 300; k++) {
        size_t len;
        uint8_t *f = seal_as(w, 1, 3, prev, hlc + k, &len);
        push_to(w, 2, ROUTER_BASE + 0, f, len);
        free(f);
        if (!heard_at && w->nodes[2].bans_heard) heard_at = (int)k + 1;
        if (!banned_at && sync_peer_banned(w->nodes[2].c, ROUTER_BASE + 0)) {
            banned_at = (int)k + 1;
            sync_stats s1;
            sync_get_stats(w->nodes[2].c, &s1);
            kept_at_ban = s1.forks - s0.forks;
        }
    }
    /* A fork whose id is below the evidence held replaces it (no flood: the evidence only
     * gets lower); every other one is surplus and counts against the sender. */
    check(banned_at > 0 && (uint64_t)banned_at <= SYNC_BAD_MAX + kept_at_ban,
          "node 2 cuts the flooder off at fork %d (%" PRIu64 " kept as lower evidence, %u surplus)", banned_at,
          kept_at_ban, (unsigned)((uint64_t)banned_at - kept_at_ban));
    check(heard_at == banned_at && w->nodes[2].bans_heard == 1 && w->nodes[2].last_ban == ROUTER_BASE + 0,
          "the ban is one event: node 2's hook names the flooder once, at fork %d", heard_at);
    t = run_until_synced_from(w, 1, 60000);
    run_for(w, 5000);
    check(!w->fail[0] && synced_from(w, 1), "nodes 1-4 reach equal digests in %" PRIu64 " ms %s", t, w->fail);
    at_seq ref = held_at(w, 1, n1->pk, 3);
    int same = ref.forks >= 1 && ref.forks <= 2;
    for (int i = 1; i <= 4; i++) {
        at_seq x = held_at(w, i, n1->pk, 3);
        printf("    node %d holds %u record and %u fork evidence at (node 1, seq 3)\n", i, x.records, x.forks);
        same = same && x.records == 1 && x.forks == ref.forks &&
               memcmp(x.ids, ref.ids, (1 + ref.forks) * RONDA_ID_BYTES) == 0;
    }
    check(same, "every node holds the same records of (node 1, seq 3): its own, and the same evidence");
    uint64_t low = 0, gseq = 0;
    if (ronda_store_fork_seq(w->nodes[3].s, n1->pk, &low) != RONDA_OK) abort();
    ronda_guard g = guard_of(w, 1, &gseq);
    check(low == 3 && g == RONDA_GUARD_FORKED && gseq == 3,
          "node 1's chain is frozen at seq 2 (fork seq %" PRIu64 "); its own guard: %s %" PRIu64, low,
          ronda_guard_name(g), gseq);
    world_free(w);
    free(w);
}

/* The fork evidence of node i at (author, seq): its two lowest ids, as ronda_store_fork_pair. */
static unsigned pair_at(world *w, int i, const uint8_t *author, uint64_t seq, uint8_t pair[2][RONDA_ID_BYTES]) {
    unsigned n = 0;
    memset(pair, 0, 2 * RONDA_ID_BYTES);
    if (ronda_store_fork_pair(w->nodes[i].s, author, seq, pair, &n) != RONDA_OK) failf(w, "node %d: pair failed", i);
    return n;
}

/* A hostile member signs four versions of one seq and hands different ones to different
 * nodes while they cannot reach each other: node 2 gets versions a and b, node 3 c and d,
 * node 4 d and a (each a fork, each with another proof). Once the links are back, every node
 * holds the same evidence, the two lowest ids of the four, and equal digests (the forger's
 * own node relays too: it is a member like the others). */
void selftest_forks_split(const opts *o) {
    printf("core: four forks of one seq handed to three nodes: the same evidence everywhere\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1404, 5, 0) != 0) abort();
    add_link(w, 1, 2); /* 0: node 2 knows node 1 as ROUTER_BASE + 0 */
    add_link(w, 1, 3); /* 1 */
    add_link(w, 1, 4); /* 2 */
    add_link(w, 2, 3); /* 3 */
    add_link(w, 3, 4); /* 4 */
    w->maxlat = 5;
    w->hostile = 1u << 1;
    world_start(w);
    do_append(w, 1, 2);
    uint64_t t = run_until_synced_from(w, 1, 30000);
    check(!w->fail[0] && synced_from(w, 1), "2 records of node 1 reach nodes 2-4 in %" PRIu64 " ms %s", t, w->fail);
    link_down(w, 3); /* the honest nodes cannot reach each other */
    link_down(w, 4);
    node *n1 = &w->nodes[1];
    uint8_t prev[RONDA_ID_BYTES], ids[4][RONDA_ID_BYTES];
    if (ronda_store_id_at(n1->s, n1->pk, 2, prev) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, n1) + 1000u) << RONDA_HLC_COUNTER_BITS; /* after its seq 2 */
    uint8_t *v[4];
    size_t vl[4];
    for (int k = 0; k < 4; k++) {
        v[k] = seal_as(w, 1, 3, prev, hlc + (uint64_t)k, &vl[k]);
        ronda_record rec;
        if (ronda_record_open(v[k], vl[k], &rec, NULL) != RONDA_OK) abort();
        memcpy(ids[k], rec.id, RONDA_ID_BYTES);
    }
    static const int to[3][2] = {{0, 1}, {2, 3}, {3, 0}}; /* versions for nodes 2, 3, 4 */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) push_to(w, 2 + i, ROUTER_BASE + (uint32_t)i, v[to[i][k]], vl[to[i][k]]);
    for (int k = 0; k < 4; k++) free(v[k]);
    /* the expected evidence: the two lowest of the four ids */
    int lo[2] = {-1, -1};
    for (int k = 0; k < 4; k++) {
        if (lo[0] < 0 || memcmp(ids[k], ids[lo[0]], RONDA_ID_BYTES) < 0) {
            lo[1] = lo[0];
            lo[0] = k;
        } else if (lo[1] < 0 || memcmp(ids[k], ids[lo[1]], RONDA_ID_BYTES) < 0) {
            lo[1] = k;
        }
    }
    int differ = 0;
    uint8_t p2[2][RONDA_ID_BYTES], pi[2][RONDA_ID_BYTES];
    pair_at(w, 2, n1->pk, 3, p2);
    for (int i = 3; i <= 4; i++) {
        pair_at(w, i, n1->pk, 3, pi);
        differ |= memcmp(pi, p2, sizeof pi) != 0;
    }
    check(differ, "before the links are back the nodes hold different evidence");
    link_up(w, 3);
    link_up(w, 4);
    t = run_until_synced_from(w, 1, 60000);
    run_for(w, 3000);
    int same = synced_from(w, 1);
    for (int i = 1; i <= 4; i++) {
        unsigned n = pair_at(w, i, n1->pk, 3, pi);
        uint64_t low = 0;
        if (ronda_store_fork_seq(w->nodes[i].s, n1->pk, &low) != RONDA_OK) abort();
        ronda_stats st = {0};
        if (ronda_store_stats(w->nodes[i].s, &st) != RONDA_OK) abort();
        printf("    node %d: fork seq %" PRIu64 ", %" PRIu64 " fork-evidence records, evidence %02x%02x.. %02x%02x..\n",
               i, low, st.forks, pi[0][0], pi[0][1], pi[1][0], pi[1][1]);
        same = same && n == 2 && low == 3 && st.fork_seqs == 1 && memcmp(pi[0], ids[lo[0]], RONDA_ID_BYTES) == 0 &&
               memcmp(pi[1], ids[lo[1]], RONDA_ID_BYTES) == 0;
    }
    check(!w->fail[0] && same,
          "in %" PRIu64 " ms every node holds the two lowest ids of the four as the evidence, equal digests %s", t,
          w->fail);
    world_free(w);
    free(w);
}

/* R is restored from an older backup (seq 3) while A holds its seqs 4 and 5; B, itself
 * behind, confirms R's head, and R writes a second seq 4. Once the network heals, the fork is
 * found, both records of seq 4 are held at every node, the digests are equal, verify reports
 * the fork, and R's guard says forked. */
void selftest_restore_fork(const opts *o) {
    printf("core: a restore confirmed by a stale peer forks a chain: found, evidence everywhere, equal digests\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1303, 4, 0) != 0) abort();
    add_link(w, 1, 2); /* 0: R - B */
    add_link(w, 2, 3); /* 1: B - A */
    add_link(w, 1, 3); /* 2: R - A */
    w->maxlat = 5;
    world_start(w);
    node *r = &w->nodes[1];
    do_append(w, 1, 3);
    run_until_synced_from(w, 1, 30000);
    char backup[700];
    snprintf(backup, sizeof backup, "%s/backup.db", w->dir);
    if (ronda_store_backup(r->s, backup, NULL, NULL) != RONDA_OK) abort();
    link_down(w, 0);
    link_down(w, 1); /* B falls behind */
    do_append(w, 1, 2);
    run_for(w, 3000);
    uint64_t sa = 0, sb = 0;
    uint8_t h[RONDA_ID_BYTES];
    if (ronda_store_head(w->nodes[3].s, r->pk, &sa, h) != RONDA_OK ||
        ronda_store_head(w->nodes[2].s, r->pk, &sb, h) != RONDA_OK)
        abort();
    check(sa == 5 && sb == 3, "A holds R's chain to seq %" PRIu64 ", B to %" PRIu64, sa, sb);
    /* the restore, as `ronda restore` does it */
    link_down(w, 2);
    sync_destroy(&r->c);
    ronda_store_close(&r->s);
    static const char *const sfx[] = {"-wal", "-shm"};
    for (int k = 0; k < 2; k++) {
        char p[700];
        snprintf(p, sizeof p, "%s%s", r->path, sfx[k]);
        unlink(p);
    }
    if (rename(backup, r->path) != 0 || ronda_store_open(r->path, NULL, &r->s) != RONDA_OK ||
        ronda_store_set_guard(r->s, RONDA_GUARD_RESTORED, 3) != RONDA_OK ||
        sync_new(r->s, sim_log, r, &r->c) != RONDA_OK)
        abort();
    sync_on_ban(r->c, sim_on_ban, r);
    memset(r->seen_seq, 0, sizeof r->seen_seq); /* its frontier moved back: that is the restore */
    link_up(w, 0);
    run_for(w, 3000);
    ronda_guard g = guard_of(w, 1, NULL);
    check(g == RONDA_GUARD_NONE, "B, behind itself, confirms R's head: R's guard %s", ronda_guard_name(g));
    do_append(w, 1, 1); /* R's second seq 4 */
    run_for(w, 1000);
    link_up(w, 1);
    link_up(w, 2);
    uint64_t t = run_until_synced_from(w, 1, 60000);
    run_for(w, 3000);
    check(!w->fail[0] && synced_from(w, 1), "R, B and A reach equal digests in %" PRIu64 " ms %s", t, w->fail);
    int all = 1;
    for (int i = 1; i <= 3; i++) {
        at_seq x = held_at(w, i, r->pk, 4);
        ronda_verify_summary sum;
        if (ronda_store_verify(w->nodes[i].s, 1, NULL, NULL, &sum) != RONDA_OK) abort();
        printf("    node %d holds %u record and %u fork evidence at (R, seq 4); verify: %" PRIu64 " forks, %" PRIu64
               " findings\n",
               i, x.records, x.forks, sum.forks, sum.findings);
        all = all && x.records == 1 && x.forks == 1 && sum.forks == 1 && sum.findings >= 1;
    }
    check(all, "every node holds both records of (R, seq 4), and verify reports the fork");
    uint64_t gseq = 0;
    g = guard_of(w, 1, &gseq);
    check(g == RONDA_GUARD_FORKED && gseq == 4, "R's guard: %s at seq %" PRIu64 " (forked at 4)", ronda_guard_name(g),
          gseq);
    world_free(w);
    free(w);
}

/* B catches up under sync_hold (as in selftest_replies_ahead): two replies applied in its
 * open transaction, the later ones deferred. Returns B's stats before. */
static sync_stats held_catch_up(world *w, unsigned n) {
    node *b = &w->nodes[2];
    sync_stats s0;
    link_down(w, 0);
    do_append(w, 1, n);
    run_for(w, 1000);
    sync_get_stats(b->c, &s0);
    sync_hold(b->c);
    link_up(w, 0);
    for (int k = 0; k < 20000 && !w->fail[0]; k++) { /* messages only: no tick applies a reply */
        deliver_due(w);
        w->now += STEP_MS;
    }
    return s0;
}

/* A crash in the middle of a transaction is SIGKILL's: what B applied under sync_hold and had
 * not committed, and the replies it deferred, are gone; its store holds exactly what it had
 * committed, and it fetches the rest again. A clean shutdown (sync_destroy, the daemon's
 * SIGTERM) commits them instead. */
void selftest_crash_in_txn(const opts *o) {
    printf("core: a crash under sync_hold loses what was not committed; a clean shutdown commits it\n");
    world *w = pair_world(o, 1007);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    run_until_synced(w, 60000);
    uint8_t committed[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES], after[RONDA_HASH_BYTES], a1[RONDA_HASH_BYTES];
    digest_of(w, 2, committed);
    const unsigned n = (SYNC_DEFER_MAX + 1) * SYNC_BATCH_RECORDS + 300;
    sync_stats s0 = held_catch_up(w, n), s1;
    sync_get_stats(b->c, &s1);
    digest_of(w, 2, own);
    check(!w->fail[0] && s1.stored - s0.stored == 2u * SYNC_BATCH_RECORDS && s1.replies_ahead > s0.replies_ahead &&
              memcmp(own, committed, sizeof own) != 0,
          "held: B applied %llu records in its open transaction and deferred more replies %s",
          (unsigned long long)(s1.stored - s0.stored), w->fail);
    b->held = 1; /* the crash comes inside the hold */
    crash(w, 2);
    restart(w, 2);
    digest_of(w, 2, after);
    check(!w->fail[0] && w->txn_lost == 1 && memcmp(after, committed, sizeof after) == 0,
          "crashed and restarted: B holds exactly what it had committed before the hold %s", w->fail);
    run_until_synced(w, 60000);
    digest_of(w, 1, a1);
    digest_of(w, 2, after);
    sync_get_stats(b->c, &s1);
    check(!w->fail[0] && memcmp(after, a1, sizeof after) == 0 && s1.rejected == 0,
          "B fetches them again and holds A's ledger %s", w->fail);

    s0 = held_catch_up(w, n);
    ronda_store *other = NULL;
    sync_destroy(&b->c);
    ronda_store_close(&b->s);
    b->alive = 0;
    digest_of(w, 1, a1);
    int ok =
        ronda_store_open_readonly(b->path, &other) == RONDA_OK && ronda_store_digest(other, after, NULL) == RONDA_OK;
    check(!w->fail[0] && ok && memcmp(after, a1, sizeof after) == 0,
          "sync_destroy (a clean shutdown) under the same hold applies the deferred replies and commits all %u %s", n,
          w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* A line of nodes 1 - 2 - ... - 7 (each links only its neighbours): node 1 writes a big batch
 * in one transaction, as `ronda import` does; every node relays what it stores, so the far
 * end holds the batch within a few ticks per hop, well before any anti-entropy round could
 * have carried it (a round is SYNC_ROUND_MS per hop), and no queue overflows. */
void selftest_line_relay(const opts *o) {
    printf("core: a big batch is relayed hop by hop along a line within ticks, not rounds\n");
    static const unsigned sizes[] = {500, 3000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        world *w = calloc(1, sizeof *w);
        if (!w) abort();
        const unsigned n = 8, far = n - 1;
        if (world_init(w, o, 1007 + k, n, 0) != 0) abort();
        for (unsigned i = 1; i + 1 < n; i++) add_link(w, (int)i, (int)i + 1);
        w->maxlat = 2;
        world_start(w);
        /* In sync; the batch is written between rounds (a round meeting it at the first hop
         * would carry it as a reply, which is not relayed: the next hop's round repairs it). */
        run_for(w, 3 * SYNC_ROUND_MS + SYNC_ROUND_MS / 2);
        uint64_t seq0 = 0, seq = 0;
        uint8_t head[RONDA_ID_BYTES];
        if (ronda_store_head(w->nodes[far].s, w->nodes[1].pk, &seq0, head) != RONDA_OK) seq0 = 0;
        do_append(w, 1, sizes[k]);
        uint64_t start = w->now;
        while (!w->fail[0] && w->now < start + 10 * SYNC_ROUND_MS) {
            step(w);
            if (ronda_store_head(w->nodes[far].s, w->nodes[1].pk, &seq, head) == RONDA_OK && seq >= seq0 + sizes[k])
                break;
        }
        uint64_t t = w->now - start, dropped = 0;
        for (unsigned i = 1; i < n; i++) {
            sync_stats st;
            sync_get_stats(w->nodes[i].c, &st);
            dropped += st.pushes_dropped;
        }
        check(!w->fail[0] && seq == seq0 + sizes[k] && t < SYNC_ROUND_MS / 2 && dropped == 0,
              "%u records written at node 1 reach node %u, %u hops away, in %" PRIu64 " ms (%u ms ticks, rounds every "
              "%u ms), %" PRIu64 " pushes dropped %s",
              sizes[k], far, far - 1, t, TICK_MS, SYNC_ROUND_MS, dropped, w->fail);
        world_free(w);
        free(w);
    }
}

/* A member files a dialogue in another precinct's name (proto/record.md section 5, the
 * place rule): its own append refuses it; signed anyway (a hostile or older build) and
 * pushed, the other node does not store it, and does not hold it against the peer that
 * relayed it (the roster decides, and a relay may know less); both go on syncing. */
void selftest_impersonation(const opts *o) {
    printf("core: a dialogue filed in another precinct's name is refused at append and at ingest\n");
    world *w = pair_world(o, 1404);
    node *a = &w->nodes[1];
    do_append(w, 1, 2);
    run_until_synced(w, 30000);
    unsigned topics;
    json_t *j = dialogue_json(w, a, &topics);
    json_object_set_new(j, "polsek", json_string(polsek_names[2 % 6])); /* node 2's precinct */
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0, len = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK) abort();
    json_decref(j);
    ronda_err e = ronda_store_append(a->s, a->sk, RONDA_KIND_DIALOGUE, body, blen, node_now(w, a), NULL, &d);
    check(e == RONDA_ERR_PLACE, "node 1's own append in node 2's place: %s (%s)", errname(e), d.text);
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    if (ronda_store_head(a->s, a->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, a) + 1000u) << RONDA_HLC_COUNTER_BITS;
    if (ronda_record_seal(a->sk, seq + 1, head, hlc, RONDA_KIND_DIALOGUE, body, blen, &rec, &len) != RONDA_OK) abort();
    free(body);
    sync_stats s0, s1;
    sync_get_stats(w->nodes[2].c, &s0);
    push_to(w, 2, A_PEER_AT_B, rec, len);
    free(rec);
    sync_get_stats(w->nodes[2].c, &s1);
    uint64_t held = 0;
    if (ronda_store_head(w->nodes[2].s, a->pk, &held, head) != RONDA_OK) held = 0;
    check(held == seq && s1.rejected == s0.rejected && s1.deferred > s0.deferred &&
              !sync_peer_banned(w->nodes[2].c, A_PEER_AT_B),
          "node 2 holds node 1's chain to seq %" PRIu64 " (not the impersonating seq %" PRIu64
          "), not counted against the peer, not cut off",
          held, seq + 1);
    do_append(w, 2, 1);
    run_until_synced(w, 30000);
    check(!w->fail[0] && pair_synced(w), "both keep syncing: equal digests %s", w->fail);
    world_free(w);
    free(w);
}
