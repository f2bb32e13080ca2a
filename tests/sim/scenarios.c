/* Focused scenarios (--selftest) on two or a few nodes: rounds and forgery, replay and
 * determinism, big frontiers, group commit and replies checked ahead, peer choice; and the list of all
 * scenarios, selftest() (sim.h). */
#include "sim.h"

#include "node/peers.h"
#include "sync/wire.h"

/* ------------------------------------------------------------------ selftest */

static int st_failures, st_passes;

void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("  %s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!ok)
        st_failures++;
    else
        st_passes++;
}

/* Nodes 1 (A) and 2 (B), one link (A dialed B), a perfect network; node 0, the authority,
 * is not linked. */
world *pair_world(const opts *o, uint64_t seed) {
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, seed, 3, 0) != 0) return w;
    add_link(w, 1, 2);
    w->maxlat = 5;
    world_start(w);
    return w;
}

int pair_synced(world *w) {
    uint8_t a[RONDA_HASH_BYTES], b[RONDA_HASH_BYTES];
    return ronda_store_digest(w->nodes[1].s, a, NULL) == RONDA_OK &&
           ronda_store_digest(w->nodes[2].s, b, NULL) == RONDA_OK && memcmp(a, b, sizeof a) == 0;
}

uint64_t run_until_synced(world *w, uint64_t max_ms) {
    uint64_t start = w->now;
    while (!w->fail[0] && !pair_synced(w) && w->now < start + max_ms) step(w);
    return w->now - start;
}

void run_for(world *w, uint64_t ms) {
    uint64_t end = w->now + ms;
    while (!w->fail[0] && w->now < end) step(w);
}

/* Five rounds on an in-sync pair: only HELLO and SYNCED may travel, each of one size.
 * Returns the bytes of one round (HELLO + SYNCED each way), 0 on failure. */
static uint64_t round_bytes(world *w) {
    memset(w->type_count, 0, sizeof w->type_count);
    memset(w->type_bytes, 0, sizeof w->type_bytes);
    memset(w->type_len_min, 0, sizeof w->type_len_min);
    memset(w->type_len_max, 0, sizeof w->type_len_max);
    run_for(w, 5 * SYNC_ROUND_MS);
    int ok = w->type_count[0] >= 8 && w->type_count[0] == w->type_count[1];
    for (int t = 2; t < 8; t++) ok = ok && w->type_count[t] == 0;
    ok = ok && w->type_len_min[0] == w->type_len_max[0] && w->type_len_min[1] == w->type_len_max[1];
    if (!ok) {
        printf("    round traffic: HELLO %" PRIu64 " SYNCED %" PRIu64 " FRONTIER %" PRIu64 " WANT %" PRIu64
               " RECORDS %" PRIu64 "\n",
               w->type_count[0], w->type_count[1], w->type_count[2], w->type_count[3], w->type_count[4]);
        return 0;
    }
    return 2 * (w->type_len_min[0] + w->type_len_min[1]);
}

uint8_t *records_msg(const uint8_t *rec, size_t len, size_t *out_len) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 4); /* RECORDS */
    cwr_uint(&w, 0); /* a push */
    cwr_nil(&w);
    cwr_array(&w, 1);
    cwr_bin(&w, rec, len);
    uint8_t *out = NULL;
    if (cwr_take(&w, &out, out_len) != RONDA_OK) abort();
    cwr_destroy(&w);
    return out;
}

static uint8_t *seal_dialogue(world *w, const uint8_t *sk, uint64_t seq, const uint8_t *prev, uint64_t hlc,
                              ronda_kind kind, size_t *len) {
    unsigned topics;
    json_t *j = dialogue_json(w, &w->nodes[1], &topics);
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK ||
        ronda_record_seal(sk, seq, prev, hlc, kind, body, blen, &rec, len) != RONDA_OK)
        abort();
    json_decref(j);
    free(body);
    return rec;
}

/* Offer B one record from A directly (a push); returns B's stats after. */
static sync_stats offer(world *w, const uint8_t *rec, size_t len) {
    size_t mlen;
    uint8_t *m = records_msg(rec, len, &mlen);
    node *b = &w->nodes[2];
    if (sync_receive(b->c, A_PEER_AT_B, m, mlen, node_clock(w, b)) != RONDA_OK) failf(w, "sync_receive failed");
    free(m);
    sync_stats st;
    sync_get_stats(b->c, &st);
    return st;
}

void digest_of(world *w, int i, uint8_t out[RONDA_HASH_BYTES]) {
    if (ronda_store_digest(w->nodes[i].s, out, NULL) != RONDA_OK) memset(out, 0, RONDA_HASH_BYTES);
}

static void selftest_round_and_forgery(const opts *o) {
    printf("core: in-sync rounds cost the same at any ledger size\n");
    world *w = pair_world(o, 1001);
    do_append(w, 1, 10);
    uint64_t t = run_until_synced(w, 30000);
    check(!w->fail[0] && pair_synced(w), "10 records reach B in %" PRIu64 " ms %s", t, w->fail);
    run_for(w, 1000);
    uint64_t r10 = round_bytes(w);
    check(r10 > 0, "in-sync round at 10 records: %" PRIu64 " bytes (HELLO %" PRIu64 " + SYNCED %" PRIu64 ", each way)",
          r10, w->type_len_min[0], w->type_len_min[1]);
    w->fat = 1;      /* ~1.7 KiB records: 990 of them take several 512 KiB replies */
    link_down(w, 0); /* written while apart, so they come as replies to WANTs, not as pushes */
    do_append(w, 1, 990);
    run_for(w, 100);
    link_up(w, 0);
    w->fat = 0;
    uint64_t wants0 = w->type_count[3], replies0 = w->type_count[4] + w->type_count[5];
    sync_stats sb0, sb;
    sync_get_stats(w->nodes[2].c, &sb0);
    t = run_until_synced(w, 60000);
    sync_get_stats(w->nodes[2].c, &sb);
    /* Replies are cut short by the byte bound (~300 such records fit one): the WANTs in
     * flight behind the first short one are wasted once (their records begin after a
     * hole), then every WANT asks for what fits. At most one window's worth is fetched
     * in vain: not a refetch of every range behind every reply. */
    uint64_t vain = sb.deferred - sb0.deferred;
    check(!w->fail[0] && pair_synced(w) && w->type_count[3] - wants0 >= 3 && vain <= 7u * SYNC_BATCH_RECORDS,
          "990 more records reach B in %" PRIu64 " ms over %" PRIu64 " WANTs (%" PRIu64
          " RECORDS and ZSTD, pushes included): stored %" PRIu64 ", %" PRIu64 " duplicates, %" PRIu64
          " received in vain (after a hole) %s",
          t, w->type_count[3] - wants0, w->type_count[4] + w->type_count[5] - replies0, sb.stored, sb.duplicates, vain,
          w->fail);
    run_for(w, 1000);
    uint64_t r1000 = round_bytes(w);
    check(r1000 > 0 && r1000 == r10, "in-sync round at 1000 records: %" PRIu64 " bytes (equal to the round at 10)",
          r1000);

    printf("core: forged records are refused, counted, and get their peer banned\n");
    node *a = &w->nodes[1], *b = &w->nodes[2];
    uint64_t seq;
    uint8_t head[RONDA_ID_BYTES], before[RONDA_HASH_BYTES], after[RONDA_HASH_BYTES];
    if (ronda_store_head(a->s, a->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + w->now + 600000u) << RONDA_HLC_COUNTER_BITS;
    digest_of(w, 2, before);
    sync_stats s0;
    sync_get_stats(b->c, &s0);
    /* honest but unknown to B: a key the authority never admitted (deferred, not counted) */
    uint8_t xpk[RONDA_KEY_BYTES], xsk[RONDA_SECRET_BYTES];
    crypto_sign_seed_keypair(xpk, xsk, (const uint8_t *)"ronda-sim: a key nobody admitted.");
    size_t len;
    uint8_t *rec = seal_dialogue(w, xsk, 1, NULL, hlc, RONDA_KIND_DIALOGUE, &len);
    sync_stats s1 = offer(w, rec, len);
    free(rec);
    check(s1.rejected == s0.rejected && s1.deferred == s0.deferred + 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "a record by a non-member is deferred, not counted against the relay");
    char xhex[65], want[80];
    ronda_hex(xpk, sizeof xpk, xhex);
    snprintf(want, sizeof want, "(author %.12s seq 1): ", xhex);
    check(strstr(last_log, want) && strstr(last_log, "not a member"),
          "... and logged naming its author, seq and reason: \"%s\"", last_log);
    /* A flood of such records: at most SYNC_DEFERRED_LOG_MAX lines a window, then a summary. */
    deferred_lines = summary_lines = 0;
    for (unsigned k = 0; k < 3 * SYNC_DEFERRED_LOG_MAX; k++) {
        uint8_t *fr = seal_dialogue(w, xsk, 2 + k, xpk, hlc + k, RONDA_KIND_DIALOGUE, &len); /* any prev: a gap */
        (void)offer(w, fr, len);
        free(fr);
    }
    unsigned flood_lines = deferred_lines;
    run_for(w, SYNC_DEFERRED_LOG_WINDOW_MS + 100);
    check(flood_lines <= SYNC_DEFERRED_LOG_MAX && summary_lines == 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "%u more such records: %u lines logged (at most %u a window), then %u summary line",
          3 * SYNC_DEFERRED_LOG_MAX, flood_lines, SYNC_DEFERRED_LOG_MAX, summary_lines);
    /* forged: bad signature, bad body, the authority writing a dialogue, garbage */
    uint64_t bad = 0;
    int banned_early = 0;
    for (unsigned k = 0; k < SYNC_BAD_MAX; k++) {
        uint8_t *r;
        size_t rl;
        if (k % 4 == 2) {
            uint64_t aseq;
            uint8_t ahead[RONDA_ID_BYTES];
            if (ronda_store_head(b->s, w->nodes[0].pk, &aseq, ahead) != RONDA_OK) abort();
            r = seal_dialogue(w, w->nodes[0].sk, aseq + 1, ahead, hlc, RONDA_KIND_DIALOGUE, &rl);
        } else if (k % 4 == 3) {
            rl = 40;
            r = malloc(rl);
            memset(r, 0x93, rl);
        } else {
            r = seal_dialogue(w, a->sk, seq + 1, head, hlc, RONDA_KIND_DIALOGUE, &rl);
            crd c = crd_make(r, rl);
            uint32_t n3, el, sl;
            const uint8_t *env, *sig;
            if (crd_array(&c, &n3) != RONDA_OK || crd_bin(&c, &env, &el) != RONDA_OK ||
                crd_bin(&c, &sig, &sl) != RONDA_OK)
                abort();
            if (k % 4 == 0)
                r[sig - r + k % 64] ^= 0x01; /* signature */
            else
                r[rl - 3] ^= 0x01; /* a body byte: the hash no longer matches */
        }
        sync_stats sk = offer(w, r, rl);
        free(r);
        bad++;
        if (sync_peer_banned(b->c, A_PEER_AT_B) && k + 1 < SYNC_BAD_MAX) banned_early = 1;
        if (sk.rejected != s0.rejected + bad) {
            check(0, "forged record %u counted in stats.rejected (%" PRIu64 ")", k, sk.rejected);
            break;
        }
    }
    sync_stats s2;
    sync_get_stats(b->c, &s2);
    check(s2.rejected == s0.rejected + SYNC_BAD_MAX && s2.stored == s0.stored,
          "%u forged records refused and counted in stats.rejected; none stored", SYNC_BAD_MAX);
    check(!banned_early && sync_peer_banned(b->c, A_PEER_AT_B), "the peer is banned at the %uth, not before",
          SYNC_BAD_MAX);
    digest_of(w, 2, after);
    check(memcmp(before, after, sizeof before) == 0, "B's ledger is unchanged");
    /* a banned peer is ignored */
    uint8_t hello[80];
    size_t hl = 0;
    {
        cwr c;
        cwr_init(&c);
        cwr_array(&c, 4);
        cwr_uint(&c, 0);
        cwr_uint(&c, SYNC_PROTO_VERSION);
        cwr_bin(&c, w->nodes[0].pk, RONDA_KEY_BYTES);
        cwr_bin(&c, before, RONDA_HASH_BYTES);
        hl = c.buf.size;
        memcpy(hello, c.buf.data, hl);
        cwr_destroy(&c);
    }
    sync_stats s3, s4;
    sync_get_stats(b->c, &s3);
    (void)sync_receive(b->c, A_PEER_AT_B, hello, hl, node_clock(w, b));
    sync_get_stats(b->c, &s4);
    uint32_t peer;
    uint8_t *out;
    size_t olen;
    int queued_for_a = 0;
    while (sync_next_out(b->c, &peer, &out, &olen)) {
        queued_for_a += peer == A_PEER_AT_B;
        free(out);
    }
    check(s4.msgs_in == s3.msgs_in && !queued_for_a, "messages from a banned peer are ignored");
    world_free(w);
    free(w);
}

/* The type and item count of a message the core sent (-1 when it is not a message). */
static int out_type(const uint8_t *m, size_t len, uint32_t *items) {
    crd r = crd_make(m, len);
    uint64_t t;
    if (crd_array(&r, items) != RONDA_OK || crd_uint(&r, &t) != RONDA_OK) return -1;
    return (int)t;
}

/* Every message core c has queued, freed; the type and item count of the last one of `type`
 * (-1: none of it). */
static int drain_core(sync_core *c, int type, uint32_t *items) {
    uint32_t peer;
    uint8_t *m;
    size_t len;
    int found = -1;
    while (sync_next_out(c, &peer, &m, &len)) {
        uint32_t n;
        int t = out_type(m, len, &n);
        if (t == type || (type == 4 && t == 5)) {
            found = t;
            *items = n;
        }
        free(m);
    }
    return found;
}

static void feed(world *w, sync_core *c, const uint8_t *bytes, size_t len) {
    if (sync_receive(c, 9, bytes, len, node_clock(w, &w->nodes[1])) != RONDA_OK) failf(w, "sync_receive failed");
}

static void selftest_compression(const opts *o) {
    printf("core: RECORDS go compressed with zstd only to a peer whose HELLO announced it\n");
    for (int off = 0; off < 2; off++) {
        world *w = pair_world(o, 1201u + (unsigned)off);
        if (off) sync_set_features(w->nodes[2].c, 0); /* B as with `compress = none`, from its next HELLO */
        do_append(w, 1, 5);
        run_until_synced(w, 30000);
        link_down(w, 0); /* written while apart: they come as replies to WANTs */
        do_append(w, 1, 600);
        run_for(w, 100);
        memset(w->type_count, 0, sizeof w->type_count);
        sync_stats s0, sb;
        sync_get_stats(w->nodes[2].c, &s0);
        link_up(w, 0);
        uint64_t t = run_until_synced(w, 60000);
        sync_get_stats(w->nodes[2].c, &sb);
        sb.records_raw_in -= s0.records_raw_in; /* this catch-up's alone */
        sb.records_wire_in -= s0.records_wire_in;
        sb.zstd_in -= s0.zstd_in;
        double pct = sb.records_raw_in ? 100.0 * (double)sb.records_wire_in / (double)sb.records_raw_in : 0;
        if (!off)
            check(!w->fail[0] && pair_synced(w) && w->type_count[5] > 0 && sb.zstd_in > 0 && pct < 60,
                  "600 records reach B in %" PRIu64 " ms in %" PRIu64 " ZSTD messages: RECORDS on the wire %.1f%% of"
                  " their bytes (%" PRIu64 " of %" PRIu64 ") %s",
                  t, w->type_count[5], pct, sb.records_wire_in, sb.records_raw_in, w->fail);
        else
            check(!w->fail[0] && pair_synced(w) && w->type_count[5] == 0 && sb.zstd_in == 0 && pct == 100.0,
                  "to a B that announced no zstd, 600 records go as they are (%" PRIu64 " RECORDS, no ZSTD) %s",
                  w->type_count[4], w->fail);
        world_free(w);
        free(w);
    }

    printf("core: a catch-up of records larger than SYNC_BATCH_BYTES / SYNC_BATCH_RECORDS: WANTs in flight ask what "
           "fits\n");
    {
        world *f = pair_world(o, 1204);
        do_append(f, 1, 5);
        run_until_synced(f, 30000);
        link_down(f, 0);
        f->fat = 1; /* ~1.7 KiB: ~300 fit a reply, and 4,000 take 8 WANTs in flight and more */
        do_append(f, 1, 4000);
        f->fat = 0;
        run_for(f, 100);
        sync_stats s0, s1;
        sync_get_stats(f->nodes[2].c, &s0);
        memset(f->type_count, 0, sizeof f->type_count);
        link_up(f, 0);
        uint64_t t = run_until_synced(f, 120000);
        sync_get_stats(f->nodes[2].c, &s1);
        uint64_t vain = s1.deferred - s0.deferred, got = s1.received - s0.received;
        /* The first window is sent before any reply comes back: its WANTs after the first
         * short reply are fetched in vain, once; none after (before, every short reply
         * wasted the window behind it: 3,234 in vain here, and 8x the bytes over CurveZMQ
         * for 50,000 records of ~520 bytes). */
        check(!f->fail[0] && pair_synced(f) && vain <= 2u * SYNC_BATCH_RECORDS && got <= 4000u + vain + 64u,
              "4,000 records reach B in %" PRIu64 " ms over %" PRIu64 " WANTs: %" PRIu64 " received, %" PRIu64
              " of them in vain (after a hole) %s",
              t, f->type_count[3], got, vain, f->fail);
        world_free(f);
        free(f);
    }

    printf("core: a peer whose HELLO has 5 items (a build before features) gets 5-item HELLOs and plain RECORDS\n");
    world *w = pair_world(o, 1203);
    node *a = &w->nodes[1];
    do_append(w, 1, 300);
    sync_core *c = NULL;
    uint8_t auth[RONDA_KEY_BYTES], dig[RONDA_HASH_BYTES];
    ronda_store_authority(a->s, auth);
    if (sync_new(a->s, NULL, NULL, &c) != RONDA_OK || ronda_store_digest(a->s, dig, NULL) != RONDA_OK ||
        sync_peer_up(c, 9, node_clock(w, a)) != RONDA_OK)
        abort();
    uint32_t items = 0;
    int t = drain_core(c, 0, &items);
    check(t == 0 && items == 6, "a new connection's HELLO has 6 items (features): type %d, %u items", t, items);
    cwr x;
    uint8_t *m;
    size_t len;
    /* the older build's HELLO: same digest (answered SYNCED) */
    cwr_init(&x);
    sync_wire_hello_enc(&x, auth, dig, T0_MS + w->now, NULL);
    if (cwr_take(&x, &m, &len) != RONDA_OK) abort();
    cwr_destroy(&x);
    feed(w, c, m, len);
    free(m);
    drain_core(c, 0, &items);
    sync_peer_ready(c, 9, node_clock(w, a));
    t = drain_core(c, 0, &items);
    check(t == 0 && items == 5, "after its 5-item HELLO, ours has 5 items: type %d, %u items", t, items);
    cwr_init(&x);
    sync_wire_want_enc(&x, a->pk, 1, 300);
    if (cwr_take(&x, &m, &len) != RONDA_OK) abort();
    cwr_destroy(&x);
    feed(w, c, m, len);
    t = drain_core(c, 4, &items);
    check(t == 4, "its WANT of 300 records is answered with RECORDS as they are: type %d", t);
    /* the same peer, upgraded: a 6-item HELLO announcing zstd */
    uint64_t f = SYNC_FEAT_ZSTD;
    cwr_init(&x);
    sync_wire_hello_enc(&x, auth, dig, T0_MS + w->now, &f);
    uint8_t *h6;
    size_t h6len;
    if (cwr_take(&x, &h6, &h6len) != RONDA_OK) abort();
    cwr_destroy(&x);
    feed(w, c, h6, h6len);
    free(h6);
    drain_core(c, 0, &items);
    feed(w, c, m, len);
    free(m);
    t = drain_core(c, 4, &items);
    check(t == 5, "once it announces zstd, the same WANT is answered compressed: type %d", t);
    sync_peer_ready(c, 9, node_clock(w, a));
    t = drain_core(c, 0, &items);
    check(t == 0 && items == 6, "and our HELLO has 6 items again: %u items", items);
    sync_destroy(&c);
    world_free(w);
    free(w);
}

static void selftest_replay(const opts *o) {
    printf("core: duplicated and replayed messages change nothing\n");
    world *w = pair_world(o, 1002);
    do_append(w, 1, 300);
    do_append(w, 2, 20);
    w->capture = 1;
    uint64_t t = run_until_synced(w, 60000);
    run_for(w, 3000);
    w->capture = 0;
    check(!w->fail[0] && pair_synced(w), "300 + 20 records cross in %" PRIu64 " ms; %zu messages captured %s", t,
          w->ncap, w->fail);
    uint8_t da[RONDA_HASH_BYTES], db[RONDA_HASH_BYTES];
    digest_of(w, 1, da);
    digest_of(w, 2, db);
    sync_stats sa0, sb0;
    sync_get_stats(w->nodes[1].c, &sa0);
    sync_get_stats(w->nodes[2].c, &sb0);
    for (int pass = 0; pass < 3 && !w->fail[0]; pass++) {
        for (size_t k = 0; k < w->ncap && !w->fail[0]; k++) {
            captured *m = &w->cap[pass == 1 ? w->ncap - 1 - k : k];
            wire *l = &w->links[m->link];
            int to = m->dir == 0 ? l->b : l->a;
            uint32_t peer = m->dir == 0 ? ROUTER_BASE + m->link : m->link + 1;
            for (int rep = 0; rep < (pass == 2 ? 2 : 1); rep++) {
                node *nd = &w->nodes[to];
                if (sync_receive(nd->c, peer, m->data, m->len, node_clock(w, nd)) != RONDA_OK)
                    failf(w, "replay: sync_receive failed");
                drain(w, to);
            }
        }
        run_for(w, 5000);
        uint8_t ra[RONDA_HASH_BYTES], rb[RONDA_HASH_BYTES];
        digest_of(w, 1, ra);
        digest_of(w, 2, rb);
        sync_stats sa, sb;
        sync_get_stats(w->nodes[1].c, &sa);
        sync_get_stats(w->nodes[2].c, &sb);
        static const char *const what[] = {"in order", "in reverse order", "each twice"};
        check(!w->fail[0] && !memcmp(ra, da, sizeof ra) && !memcmp(rb, db, sizeof rb) && sa.stored == sa0.stored &&
                  sb.stored == sb0.stored && sa.rejected == 0 && sb.rejected == 0 &&
                  !sync_peer_banned(w->nodes[1].c, 1) && !sync_peer_banned(w->nodes[2].c, A_PEER_AT_B),
              "all %zu messages replayed %s: digests, records and stats.stored unchanged, nothing refused (%" PRIu64
              " duplicates) %s",
              w->ncap, what[pass], sa.duplicates + sb.duplicates, w->fail);
    }
    uint64_t r = round_bytes(w);
    check(r > 0, "the pair is still in sync afterwards (round of %" PRIu64 " bytes)", r);
    world_free(w);
    free(w);
}

static void selftest_determinism(const opts *o) {
    printf("sim: a seed replays exactly\n");
    opts d = *o;
    d.nodes = 6;
    result r1, r2;
    int ok1 = run_seed(&d, 7, &r1), ok2 = run_seed(&d, 7, &r2);
    check(ok1 && ok2 && r1.trace == r2.trace && !memcmp(r1.digest, r2.digest, sizeof r1.digest),
          "seed 7 twice: trace %016" PRIx64 " = %016" PRIx64 ", same final digest", r1.trace, r2.trace);
    result r3;
    int ok3 = run_seed(&d, 8, &r3);
    check(ok3 && r3.trace != r1.trace, "seed 8 differs (trace %016" PRIx64 ")", r3.trace);
}

/* More authors than one FRONTIER round carries (SYNC_WANTS_MAX): A holds one record from each
 * of them, B only their member records. Nothing is pushed (the records predate the cores),
 * so B gets them only through rounds; every author must be offered within a few. */
static void selftest_big_frontier(const opts *o) {
    printf("core: a frontier of more than SYNC_WANTS_MAX authors is offered in full over rounds\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    const unsigned extra = SYNC_WANTS_MAX + 40;
    if (world_init(w, o, 1004, 3, 0) != 0) abort();
    node *auth = &w->nodes[0], *a = &w->nodes[1];
    uint8_t(*pks)[RONDA_KEY_BYTES] = malloc(extra * sizeof *pks);
    uint8_t(*sks)[RONDA_SECRET_BYTES] = malloc(extra * sizeof *sks);
    if (!pks || !sks) abort();
    int64_t before = 0;
    if (ronda_store_last_rowid(auth->s, 0, &before) != RONDA_OK || ronda_store_begin(auth->s) != RONDA_OK) abort();
    for (unsigned k = 0; k < extra && !w->fail[0]; k++) {
        uint8_t seed[32] = {0};
        memcpy(seed, &k, sizeof k);
        seed[31] = 0x5a;
        crypto_sign_seed_keypair(pks[k], sks[k], seed);
        (void)admit_key(w, pks[k], 1 + 30 * (int)k); /* a precinct of node 1's Polsek, whose dialogues they sign */
    }
    if (ronda_store_commit(auth->s) != RONDA_OK) abort();
    for (int i = 1; i <= 2 && !w->fail[0]; i++) {
        copy_ctx cc = {w, w->nodes[i].s, i};
        if (ronda_store_begin(cc.to) != RONDA_OK ||
            ronda_store_since(auth->s, 0, before, 1000000, copy_one, &cc) != RONDA_OK ||
            ronda_store_commit(cc.to) != RONDA_OK)
            failf(w, "node %d: cannot apply the new member records", i);
    }
    if (ronda_store_begin(a->s) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + 60000u) << RONDA_HLC_COUNTER_BITS;
    for (unsigned k = 0; k < extra && !w->fail[0]; k++) {
        size_t len;
        uint8_t *rec = seal_dialogue(w, sks[k], 1, NULL, hlc, RONDA_KIND_DIALOGUE, &len);
        ronda_outcome out;
        ronda_detail d = {{0}};
        if (ronda_store_ingest(a->s, rec, len, &out, &d) != RONDA_OK) failf(w, "ingest at A: %s", d.text);
        free(rec);
    }
    if (ronda_store_commit(a->s) != RONDA_OK) abort();
    add_link(w, 1, 2);
    w->maxlat = 5;
    world_start(w);
    uint64_t t = run_until_synced(w, 120000);
    unsigned missing = 0;
    for (unsigned k = 0; k < extra; k++) {
        uint64_t seq = 0;
        uint8_t head[RONDA_ID_BYTES];
        if (ronda_store_head(w->nodes[2].s, pks[k], &seq, head) != RONDA_OK || seq != 1) missing++;
    }
    check(!w->fail[0] && pair_synced(w) && missing == 0,
          "%u authors (%u per round at most) reach B in %" PRIu64 " ms, none missing (%u missing) %s", extra + 1,
          SYNC_WANTS_MAX, t, missing, w->fail);
    free(pks);
    free(sks);
    world_free(w);
    free(w);
}

/* Group commit (sync_hold / sync_release, as `ronda run` does around a poll): what B takes
 * while held is one open transaction, invisible to another connection (another process)
 * until released, and all of it is there after. */
static void selftest_group_commit(const opts *o) {
    printf("core: records taken under sync_hold are committed together by sync_release\n");
    world *w = pair_world(o, 1005);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    uint8_t a0[RONDA_HASH_BYTES], seen0[RONDA_HASH_BYTES], seen1[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES],
        a1[RONDA_HASH_BYTES];
    run_until_synced(w, 60000);
    digest_of(w, 1, a0);
    ronda_store *other = NULL;
    if (ronda_store_open_readonly(b->path, &other) != RONDA_OK) failf(w, "cannot open B's store a second time");
    do_append(w, 1, 300);
    sync_hold(b->c);
    run_for(w, 3000);
    digest_of(w, 1, a1);
    digest_of(w, 2, own);
    int ok = other && ronda_store_digest(other, seen0, NULL) == RONDA_OK;
    check(!w->fail[0] && ok && memcmp(a0, a1, sizeof a0) != 0 && memcmp(own, a1, sizeof own) == 0 &&
              memcmp(seen0, a0, sizeof seen0) == 0,
          "while held: B's own connection has A's 300 new records, another connection sees none %s", w->fail);
    ronda_err e = sync_release(b->c);
    ok = other && ronda_store_digest(other, seen1, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && memcmp(seen1, a1, sizeof seen1) == 0,
          "after sync_release: the other connection sees the same ledger as A %s", w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* A node that was away catches up under sync_hold: its large replies are taken ahead and
 * checked while earlier ones are applied (at most SYNC_DEFER_MAX queued: the oldest is
 * applied when one more comes), in order. Those still queued at sync_release stay queued
 * through its commit and are applied by the next one (sync.h). */
static void selftest_replies_ahead(const opts *o) {
    printf("core: under sync_hold, large replies are checked ahead and applied in order\n");
    world *w = pair_world(o, 1006);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    run_until_synced(w, 60000);
    link_down(w, 0);
    const unsigned n = (SYNC_DEFER_MAX + 1) * SYNC_BATCH_RECORDS + 300; /* SYNC_DEFER_MAX + 2 replies */
    do_append(w, 1, n);
    run_for(w, 1000);
    uint8_t a1[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES], seen[RONDA_HASH_BYTES], seen0[RONDA_HASH_BYTES];
    digest_of(w, 1, a1);
    ronda_store *other = NULL;
    if (ronda_store_open_readonly(b->path, &other) != RONDA_OK) failf(w, "cannot open B's store a second time");
    sync_stats s0, s1, s2;
    sync_get_stats(b->c, &s0);
    sync_hold(b->c);
    link_up(w, 0);
    for (int k = 0; k < 20000 && !w->fail[0]; k++) { /* messages only: no tick applies a reply */
        deliver_due(w);
        w->now += STEP_MS;
    }
    sync_get_stats(b->c, &s1);
    uint64_t ahead = s1.replies_ahead - s0.replies_ahead, early = s1.stored - s0.stored;
    check(!w->fail[0] && ahead == SYNC_DEFER_MAX + 2 && early == 2u * SYNC_BATCH_RECORDS,
          "while held: B took %llu large replies ahead and stored %llu of A's %u records (the oldest beyond %u "
          "queued) %s",
          (unsigned long long)ahead, (unsigned long long)early, n, SYNC_DEFER_MAX, w->fail);
    ronda_err e = sync_release(b->c);
    sync_get_stats(b->c, &s2);
    int ok = other && ronda_store_digest(other, seen0, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && s2.stored == s1.stored && memcmp(seen0, a1, sizeof seen0) != 0,
          "sync_release commits what was applied; the replies still queued stay queued through its commit %s", w->fail);
    sync_hold(b->c);
    e = sync_release(b->c);
    sync_get_stats(b->c, &s2);
    ok = other && ronda_store_digest(other, seen, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && s2.stored - s0.stored == n && memcmp(seen, a1, sizeof seen) == 0,
          "the next sync_release applies and commits them: another connection sees A's ledger (%llu stored) %s",
          (unsigned long long)(s2.stored - s0.stored), w->fail);
    run_until_synced(w, 60000);
    digest_of(w, 2, own);
    sync_get_stats(b->c, &s2);
    check(!w->fail[0] && memcmp(own, a1, sizeof own) == 0 && s2.rejected == s0.rejected &&
              s2.duplicates == s0.duplicates,
          "B holds A's ledger with no record refused or fetched twice %s", w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* ------------------------------------------------------------------ peer choice */

static uint32_t sim_uniform(void *rng_, uint32_t n) { return (uint32_t)rng_below(rng_, n); }

/* Nodes 1..n-1 (the members; node 0 is the authority's store, not linked) hold equal digests. */
static int members_synced(world *w) {
    uint8_t d0[RONDA_HASH_BYTES], d[RONDA_HASH_BYTES];
    for (unsigned i = 1; i < w->n; i++) {
        if (!w->nodes[i].alive || ronda_store_digest(w->nodes[i].s, i == 1 ? d0 : d, NULL) != RONDA_OK) return 0;
        if (i > 1 && memcmp(d0, d, sizeof d) != 0) return 0;
    }
    return 1;
}

/* Whom a node dials, chosen as the daemon chooses (src/node/peers.h) from the roster its
 * own store holds, builds the network: ten nodes, fanout 2, node 1 a bootstrap peer of the
 * others, node 6 a member without an endpoint (it only dials). Each choice is checked
 * (never itself, never a member without an endpoint, nobody twice, the bootstrap peer
 * first, the right number), then every node writes and all reach equal digests. */
static void selftest_peer_choice(const opts *o) {
    printf("core: peer choice (src/node/peers.h) builds the network: ten nodes, fanout 2, one bootstrap peer\n");
    enum { N = 10, FANOUT = 2, MUTE = 6 };
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1606, N, 0) != 0) abort();
    rng pick = rng_make(1606, 9);
    int ok = 1, dialled_mute = 0, bootstrap_first = 1;
    size_t dials = 0;
    for (int i = 1; i < N; i++) {
        node *nd = &w->nodes[i];
        node_roster r;
        if (node_roster_load(&r, nd->s, node_now(w, nd)) != RONDA_OK) abort();
        const char *boot[1] = {"sim://node1"};
        size_t nboot = i == 1 ? 0 : 1;
        node_peer_choice ch;
        node_choose_peers(&r, nd->pk, boot, nboot, NULL, 0, FANOUT, sim_uniform, &pick, &ch);
        ok = ok && r.n == N - 1 && ch.unknown_bootstrap == 0 && ch.ndial == FANOUT + nboot;
        for (size_t k = 0; k < ch.ndial; k++) {
            const node_member *m = &r.m[ch.dial[k]];
            int j = -1;
            if (sscanf(m->endpoint, "sim://node%d", &j) != 1 || j <= 0 || j >= N) {
                ok = 0;
                continue;
            }
            for (size_t q = 0; q < k; q++) ok = ok && ch.dial[q] != ch.dial[k];
            ok = ok && j != i && memcmp(m->sign, w->nodes[j].pk, RONDA_KEY_BYTES) == 0;
            dialled_mute |= j == MUTE;
            if (k == 0 && nboot) bootstrap_first = bootstrap_first && j == 1;
            add_link(w, i, j);
            dials++;
        }
        node_roster_free(&r);
    }
    /* An endpoint nobody holds is reported, not dialled. */
    node_roster r;
    if (node_roster_load(&r, w->nodes[2].s, node_now(w, &w->nodes[2])) != RONDA_OK) abort();
    const char *stranger[2] = {"sim://node1", "sim://nobody"};
    node_peer_choice ch;
    node_choose_peers(&r, w->nodes[2].pk, stranger, 2, NULL, 0, 0, sim_uniform, &pick, &ch);
    /* fanout 0 with two bootstrap endpoints: two in all, node 1 first, one drawn at random */
    int unknown_ok =
        ch.ndial == 2 && ch.unknown_bootstrap == 2u && strcmp(r.m[ch.dial[0]].endpoint, "sim://node1") == 0;
    /* Dialled already: not chosen again; and the bound on connections holds. */
    uint8_t have[NODE_DIAL_MAX][RONDA_KEY_BYTES];
    for (size_t k = 0; k < r.n; k++) memcpy(have[k % NODE_DIAL_MAX], r.m[k].curve, RONDA_KEY_BYTES);
    node_choose_peers(&r, w->nodes[2].pk, stranger, 2, (const uint8_t(*)[RONDA_KEY_BYTES])have,
                      r.n < NODE_DIAL_MAX ? r.n : NODE_DIAL_MAX, 5, sim_uniform, &pick, &ch);
    unknown_ok = unknown_ok && ch.ndial == 0;
    node_roster_free(&r);
    check(ok && bootstrap_first && !dialled_mute,
          "every node dials the bootstrap peer and %d more (never itself, never node %d without an endpoint): "
          "%zu connections",
          FANOUT, MUTE, dials);
    check(unknown_ok, "an unknown bootstrap endpoint is reported, not dialled; a peer dialled already is not chosen");
    w->maxlat = 20;
    world_start(w);
    for (int i = 1; i < N; i++) do_append(w, i, 2);
    uint64_t start = w->now;
    while (!w->fail[0] && !members_synced(w) && w->now < start + 60000) step(w);
    check(!w->fail[0] && members_synced(w), "the nine members reach equal digests in %" PRIu64 " ms %s", w->now - start,
          w->fail);
    world_free(w);
    free(w);
}

/* ------------------------------------------------------------------ delta frontiers */

/* A network that is always writing somewhere: the FRONTIER bytes of its rounds with delta
 * frontiers (proto/sync.md), beside the same run with full frontiers every round. */
static uint64_t steady_frontier_bytes(const opts *o, int delta, uint64_t *rounds_bytes, int *synced) {
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    const unsigned n = 24;
    if (world_init(w, o, 1301, n, 0) != 0) abort();
    pick_topology(w);
    w->all_features = 1;
    world_start(w);
    if (!delta)
        for (unsigned i = 0; i < n; i++) sync_set_features(w->nodes[i].c, SYNC_FEAT_ZSTD);
    run_for(w, 5 * SYNC_ROUND_MS); /* the first full frontiers, the first HELLOs without DELTA */
    memset(w->type_bytes, 0, sizeof w->type_bytes);
    memset(w->type_count, 0, sizeof w->type_count);
    uint64_t bytes0 = w->bytes, full0 = 0;
    for (unsigned i = 0; i < n; i++) {
        sync_stats st;
        sync_get_stats(w->nodes[i].c, &st);
        full0 += st.frontiers_full;
    }
    /* 5 simulated minutes; a record somewhere every 4 s (some in bursts of 3) */
    for (unsigned k = 0; k < 75 && !w->fail[0]; k++) {
        do_append(w, 1 + (int)rng_below(&w->work, n - 1), k % 5 == 0 ? 3 : 1);
        run_for(w, 4000);
    }
    *rounds_bytes = w->bytes - bytes0 - w->type_bytes[4] - w->type_bytes[5];
    uint64_t full = 0, dl = 0, gaps = 0;
    for (unsigned i = 0; i < n; i++) {
        sync_stats st;
        sync_get_stats(w->nodes[i].c, &st);
        full += st.frontiers_full;
        dl += st.frontiers_delta;
        gaps += st.delta_gaps;
    }
    printf("    %s: %" PRIu64 " full frontiers (%" PRIu64 " before), %" PRIu64 " deltas, %" PRIu64 " gaps; %" PRIu64
           " FRONTIER messages, %" PRIu64 " HELLO %" PRIu64 " SYNCED\n",
           delta ? "deltas" : "full", full, full0, dl, gaps, w->type_count[2], w->type_count[0], w->type_count[1]);
    uint64_t fb = w->type_bytes[2];
    run_for(w, 10 * SYNC_ROUND_MS);
    *synced = !w->fail[0] && members_synced(w);
    world_free(w);
    free(w);
    return fb;
}

/* The features item of the last HELLO core c queued (drained), or ~0 when none. */
static uint64_t hello_features(sync_core *c) {
    uint32_t peer;
    uint8_t *m;
    size_t len;
    uint64_t f = ~(uint64_t)0;
    while (sync_next_out(c, &peer, &m, &len)) {
        static sync_wire_msg x;
        if (sync_wire_decode(m, len, &x, NULL) == RONDA_OK && x.type == SYNC_WIRE_HELLO && x.u.hello.has_features)
            f = x.u.hello.features;
        free(m);
    }
    return f;
}

/* The entries of the FRONTIER chunks core c queued (drained): how many, and the round of the
 * last (0: not a delta). */
static uint32_t frontier_out(sync_core *c, uint64_t *round) {
    uint32_t peer, n = 0;
    uint8_t *m;
    size_t len;
    *round = ~(uint64_t)0;
    while (sync_next_out(c, &peer, &m, &len)) {
        static sync_wire_msg x;
        if (sync_wire_decode(m, len, &x, NULL) == RONDA_OK && x.type == SYNC_WIRE_FRONTIER) {
            n += x.u.frontier.n;
            *round = x.u.frontier.has_round ? x.u.frontier.round : 0;
        }
        free(m);
    }
    return n;
}

static void feed_frontier(world *w, sync_core *c, uint64_t round, uint64_t chunk, int last, const uint8_t *author,
                          uint64_t seq) {
    static const uint8_t head[RONDA_ID_BYTES] = {7};
    cwr x;
    cwr_init(&x);
    sync_wire_frontier_enc(&x, last, 1, round != 0);
    sync_wire_entry_enc(&x, author, seq, head, 0, NULL);
    if (round) sync_wire_frontier_round_enc(&x, round, chunk);
    uint8_t *m;
    size_t len;
    if (cwr_take(&x, &m, &len) != RONDA_OK) abort();
    cwr_destroy(&x);
    feed(w, c, m, len);
    free(m);
}

static void selftest_delta_rounds(const opts *o) {
    printf("core: delta frontiers: round 1 full, then what changed; a missed round asks for a full one\n");
    world *w = pair_world(o, 1302);
    node *a = &w->nodes[1];
    do_append(w, 1, 3);
    do_append(w, 2, 3);
    run_until_synced(w, 30000);
    sync_core *c = NULL;
    uint8_t auth[RONDA_KEY_BYTES], other[RONDA_HASH_BYTES];
    ronda_store_authority(a->s, auth);
    memset(other, 0x33, sizeof other);
    if (sync_new(a->s, NULL, NULL, &c) != RONDA_OK || sync_peer_up(c, 9, node_clock(w, a)) != RONDA_OK) abort();
    uint64_t f = hello_features(c), round;
    check(f == SYNC_FEATURES_ALL, "HELLO announces zstd and delta frontiers: features %" PRIu64, f);
    /* the peer takes deltas; its digest differs: round 1, every author */
    uint64_t feat = SYNC_FEATURES_ALL;
    cwr x;
    uint8_t *m;
    size_t len;
    cwr_init(&x);
    sync_wire_hello_enc(&x, auth, other, T0_MS + w->now, &feat);
    if (cwr_take(&x, &m, &len) != RONDA_OK) abort();
    cwr_destroy(&x);
    feed(w, c, m, len);
    uint64_t authors = 0;
    uint8_t dig[RONDA_HASH_BYTES];
    if (ronda_store_digest(a->s, dig, &authors) != RONDA_OK) abort();
    uint32_t n1 = frontier_out(c, &round);
    check(round == 1 && n1 == authors, "round 1 names all %" PRIu64 " authors: %u entries, round %" PRIu64, authors, n1,
          round);
    feed(w, c, m, len);
    uint32_t n2 = frontier_out(c, &round);
    check(round == 2 && n2 == 0, "round 2, nothing written since: %u entries, round %" PRIu64, n2, round);
    do_append(w, 1, 1); /* A writes: its own entry changes */
    feed(w, c, m, len);
    uint32_t n3 = frontier_out(c, &round);
    check(round == 3 && n3 == 1, "round 3 after A wrote one record: %u entry, round %" PRIu64, n3, round);
    free(m);
    /* deltas in: rounds 1 and 2 in order; then round 4 (3 was lost) */
    uint8_t stranger[RONDA_KEY_BYTES];
    memset(stranger, 0x44, sizeof stranger);
    feed_frontier(w, c, 1, 0, 1, w->nodes[2].pk, 3);
    feed_frontier(w, c, 2, 0, 1, stranger, 1);
    sync_peer_ready(c, 9, node_clock(w, a)); /* not a reset of what comes in: it is a new HELLO */
    f = hello_features(c);
    check(f == SYNC_FEATURES_ALL, "rounds 1 and 2 taken in order: deltas still announced (%" PRIu64 ")", f);
    feed_frontier(w, c, 1, 0, 1, w->nodes[2].pk, 3);
    feed_frontier(w, c, 3, 0, 1, stranger, 1);
    w->now += SYNC_ROUND_MS;
    sync_tick(c, node_clock(w, a));
    f = hello_features(c);
    sync_stats st;
    sync_get_stats(c, &st);
    check(f == SYNC_FEAT_ZSTD && st.delta_gaps == 1,
          "after round 3 when round 2 was due, the next HELLO asks for a full frontier: features %" PRIu64 ", %" PRIu64
          " gap",
          f, st.delta_gaps);
    feed_frontier(w, c, 0, 0, 1, stranger, 1); /* the peer's full frontier */
    w->now += SYNC_ROUND_MS;
    sync_tick(c, node_clock(w, a));
    f = hello_features(c);
    check(f == SYNC_FEATURES_ALL, "once a full frontier came, deltas are announced again: features %" PRIu64, f);
    sync_destroy(&c);
    world_free(w);
    free(w);
}

static void selftest_delta(const opts *o) {
    printf("core: delta frontiers: a network always writing somewhere sends only what changed\n");
    uint64_t r_delta, r_full;
    int s_delta, s_full;
    uint64_t f_delta = steady_frontier_bytes(o, 1, &r_delta, &s_delta);
    uint64_t f_full = steady_frontier_bytes(o, 0, &r_full, &s_full);
    /* per node per day: 23 nodes (the authority's store is not linked), 300 s */
    double day = 86400.0 / 300.0 / 23.0;
    check(s_delta && s_full && f_delta * 5 < f_full,
          "24 nodes, a record every 4 s for 5 min: FRONTIER %.0f KB per node per day with deltas, %.0f KB with full "
          "frontiers; all round traffic but RECORDS %.0f KB vs %.0f KB; both converge",
          (double)f_delta * day / 1000.0, (double)f_full * day / 1000.0, (double)r_delta * day / 1000.0,
          (double)r_full * day / 1000.0);
}

/* ------------------------------------------------------------------ all scenarios */

int selftest(const opts *o) {
    const char *only = getenv("RONDA_SIM_ONLY"); /* "forks": only the fork and guard tests */
    if (only && strcmp(only, "forks") == 0) {
        selftest_forged_claim(o);
        selftest_fork_flood(o);
        selftest_forks_split(o);
        selftest_restore_fork(o);
        printf("%d passed, %d failed\n", st_passes, st_failures);
        return st_failures ? 1 : 0;
    }
    selftest_line_relay(o);
    selftest_peer_choice(o);
    selftest_impersonation(o);
    selftest_round_and_forgery(o);
    selftest_compression(o);
    selftest_delta_rounds(o);
    selftest_delta(o);
    selftest_replay(o);
    selftest_big_frontier(o);
    selftest_group_commit(o);
    selftest_replies_ahead(o);
    selftest_far_future(o);
    selftest_clock_beyond(o);
    selftest_crash_in_txn(o);
    selftest_determinism(o);
    selftest_forged_claim(o);
    selftest_fork_flood(o);
    selftest_forks_split(o);
    selftest_restore_fork(o);
    printf("%d passed, %d failed\n", st_passes, st_failures);
    return st_failures ? 1 : 0;
}
