/* The store (proto/record.md §3, §5, §6): chain, fork, roster, references, triggers, rebuild, verify, queries. */
#include "fixtures.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static fx_key M1, M2, HQ, AUD, X;

#define DLG(date, summary) fx_dialogue_json("Trenggalek", "Durenan", date, "other", summary)
#define DIA RONDA_KIND_DIALOGUE

static uint8_t *dbody(const char *date, const char *summary, size_t *len) {
    return fx_body(DIA, DLG(date, summary), len);
}

static void test_append_and_ingest(void **state) {
    fx_world *w = *state;
    uint8_t mid[32], did[32], head[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, mid);
    assert_ok(
        fx_append(w, &M1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar"), did));
    ronda_stats st = fx_stats(w->s);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.authors, 2);
    assert_int_equal(st.members, 1);
    assert_int_equal(st.dialogues, 1);
    assert_int_equal(st.topics, 1);
    uint64_t seq;
    assert_ok(ronda_store_head(w->s, M1.pk, &seq, head));
    assert_int_equal(seq, 1);
    assert_memory_equal(head, did, 32);
    assert_err(ronda_store_head(w->s, X.pk, &seq, head), RONDA_ERR_NOT_FOUND);
    json_t *m = NULL;
    assert_ok(ronda_store_member(w->s, M1.pk, &m));
    assert_string_equal(json_string_value(json_object_get(m, "role")), "precinct");
    assert_true(json_is_false(json_object_get(m, "revoked")));
    json_decref(m);
    assert_err(ronda_store_member(w->s, X.pk, &m), RONDA_ERR_NOT_FOUND);
    /* The same bytes, ingested into a second store, are stored; then duplicates. */
    ronda_store *b = fx_store(w->dir, "b.db", &w->authority);
    const uint8_t *authors[2] = {w->authority.pk, M1.pk};
    for (int pass = 0; pass < 2; pass++) {
        for (int a = 0; a < 2; a++) {
            fx_blob got = {NULL, 0};
            assert_ok(ronda_store_range(w->s, authors[a], 1, 1, 1 << 20, fx_grab, &got));
            fx_expect_ingest(b, got.p, got.n, RONDA_OK, pass ? RONDA_DUPLICATE : RONDA_STORED);
            free(got.p);
        }
    }
    ronda_stats sb = fx_stats(b);
    fx_assert_stats_equal(&st, &sb);
    json_t *show = NULL;
    assert_ok(ronda_store_show(b, did, &show));
    assert_true(json_is_true(json_object_get(show, "verified")));
    assert_string_equal(json_string_value(json_object_get(show, "kind")), "dialogue");
    json_decref(show);
    ronda_store_close(&b);
}

static long long sql_int(const char *path, const char *sql);

static void test_duplicate_fork_gap_chain(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}}, fork = c;
    size_t l1, l2, l3, lf, lx;
    uint8_t id1[32];
    uint8_t *r1 = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), 1, &l1, id1);
    fx_chain at1 = c;
    uint8_t *r2 = fx_next_json(&c, DIA, DLG("2026-01-11", "y"), 2, &l2, NULL);
    uint8_t *r3 = fx_next_json(&c, DIA, DLG("2026-01-12", "z"), 3, &l3, NULL);
    uint8_t *rf = fx_next_json(&fork, DIA, DLG("2026-01-10", "w"), 1, &lf, NULL);
    fx_expect_ingest(w->s, r3, l3, RONDA_ERR_GAP, 0); /* seq 3 before 1 and 2 */
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    ronda_stats before = fx_stats(w->s), after;
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_DUPLICATE);
    after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    fx_expect_ingest(w->s, r3, l3, RONDA_ERR_GAP, 0); /* seq 3 before 2 */
    /* seq 2 whose prev is not seq 1's id, and one whose hlc does not follow seq 1's */
    uint8_t bogus[32];
    memset(bogus, 0x99, 32);
    size_t blen;
    uint8_t *body = dbody("2026-01-11", "q", &blen), *bad;
    assert_ok(ronda_record_seal(M1.sk, 2, bogus, FX_MS(5) << 16, RONDA_KIND_DIALOGUE, body, blen, &bad, &lx));
    fx_expect_ingest(w->s, bad, lx, RONDA_ERR_CHAIN, 0);
    free(bad);
    assert_ok(ronda_record_seal(M1.sk, 2, at1.prev, FX_MS(1) << 16, RONDA_KIND_DIALOGUE, body, blen, &bad, &lx));
    fx_expect_ingest(w->s, bad, lx, RONDA_ERR_CHAIN, 0);
    free(bad);
    free(body);
    /* A second valid record for seq 1 is fork evidence, kept apart from the ledger; the
     * chain is frozen at seq 0 (the digest names the fork), and nothing more of it is stored. */
    before = fx_stats(w->s);
    fx_expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_FORK);
    after = fx_stats(w->s);
    assert_int_equal(after.forks, 1);
    assert_int_equal(after.records, before.records);
    assert_memory_not_equal(after.digest, before.digest, 32);
    fx_expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_DUPLICATE);
    assert_int_equal(fx_stats(w->s).forks, 1);
    fx_expect_ingest(w->s, r2, l2, RONDA_ERR_REVOKED, 0);
    fx_expect_ingest(w->s, r3, l3, RONDA_ERR_REVOKED, 0);
    assert_int_equal(fx_stats(w->s).records, 2);
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.forks, 1);
    assert_int_equal(sum.findings, 1); /* the fork, reported */
    free(r1);
    free(r2);
    free(r3);
    free(rf);
}

typedef struct fr_entry {
    int found;
    uint64_t seq, fork;
    uint8_t head[32];
    const uint8_t *author;
} fr_entry;

static int fr_cb(void *ctx, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork) {
    fr_entry *e = ctx;
    if (memcmp(author, e->author, 32) != 0) return 0;
    e->found = 1;
    e->seq = seq;
    e->fork = fork;
    memcpy(e->head, head, 32);
    return 0;
}

static fr_entry frontier_of(ronda_store *s, const uint8_t *author) {
    fr_entry e = {0, 0, 0, {0}, author};
    assert_ok(ronda_store_frontier_forks(s, fr_cb, &e));
    return e;
}

/* Evidence is bounded and canonical (two records prove a fork: the two lowest ids seen for
 * the (author, seq), at most two rows beside the record held, none above the lowest fork
 * seq), and a fork at k freezes the chain at k - 1: from k on
 * its records leave the views and the frontier, nothing more of it is stored, the frontier
 * entry carries k, and a lower fork lowers the freeze. Two stores holding different branches
 * beyond the fork end with equal digests. A fork of the node's own key locks its appends. */
static void test_fork_bounded_and_frozen(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}};
    uint8_t *r[6], ids[6][32];
    size_t l[6];
    fx_chain at[6];
    for (int i = 1; i <= 4; i++) {
        at[i - 1] = c;
        r[i] = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), (uint64_t)i, &l[i], ids[i]);
        fx_expect_ingest(w->s, r[i], l[i], RONDA_OK, RONDA_STORED);
    }
    r[5] = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), 5, &l[5], NULL);
    json_t *q = fx_query(w->s, NULL);
    assert_int_equal(json_array_size(q), 4);
    json_decref(q);
    /* A fork at 3, then 40 more distinct forks of seq 3. The evidence kept is the two lowest
     * ids of all versions seen: a fork below the pair's higher id replaces it, any other is
     * refused; at most two rows beside the record held, whatever the order. */
    size_t lf, lk[40];
    fx_chain b = at[2];
    uint8_t f3id[32], fid[40][32], *fk[40], low2[2][32];
    uint8_t *f3 = fx_next_json(&b, DIA, DLG("2026-01-10", "fork"), 3, &lf, f3id);
    fx_expect_ingest(w->s, f3, lf, RONDA_OK, RONDA_FORK);
    int a_low = memcmp(ids[3], f3id, 32) < 0;
    memcpy(low2[0], a_low ? ids[3] : f3id, 32);
    memcpy(low2[1], a_low ? f3id : ids[3], 32);
    unsigned kept = 0;
    for (unsigned k = 0; k < 40; k++) {
        fx_chain b2 = at[2];
        char text[32];
        snprintf(text, sizeof text, "flood %u", k);
        fk[k] = fx_next_json(&b2, DIA, DLG("2026-01-10", text), 3, &lk[k], fid[k]);
        int lower = memcmp(fid[k], low2[1], 32) < 0;
        fx_expect_ingest(w->s, fk[k], lk[k], lower ? RONDA_OK : RONDA_ERR_EXISTS, lower ? RONDA_FORK : 0);
        if (lower) {
            kept++;
            if (memcmp(fid[k], low2[0], 32) < 0) {
                memcpy(low2[1], low2[0], 32);
                memcpy(low2[0], fid[k], 32);
            } else {
                memcpy(low2[1], fid[k], 32);
            }
        }
    }
    assert_true(kept >= 1); /* 40 random ids: the chance that none is below the pair is 2/42 */
    uint8_t pair[2][32];
    unsigned np = 0;
    assert_ok(ronda_store_fork_pair(w->s, M1.pk, 3, pair, &np));
    assert_int_equal(np, 2);
    assert_memory_equal(pair, low2, sizeof pair);
    ronda_stats fs = fx_stats(w->s);
    assert_true(fs.forks >= 1 && fs.forks <= 2);
    assert_int_equal(fs.fork_seqs, 1);
    /* Neither version of the pair can be deleted, not even with SQL on the file. */
    char sql[200], hex[65];
    for (int k = 0; k < 2; k++) {
        fx_hex(pair[k], 32, hex);
        snprintf(sql, sizeof sql, "DELETE FROM forks WHERE id = x'%s'", hex);
        assert_int_equal(sql_int(w->path, sql), memcmp(pair[k], ids[3], 32) == 0 ? 0 : -1);
    }
    assert_int_equal(fx_stats(w->s).forks, fs.forks);
    /* Above the lowest fork seq: refused too; beyond the head: frozen. */
    fx_chain b4 = at[3];
    size_t l4;
    uint8_t *f4 = fx_next_json(&b4, DIA, DLG("2026-01-10", "fork four"), 4, &l4, NULL);
    fx_expect_ingest(w->s, f4, l4, RONDA_ERR_EXISTS, 0);
    fx_expect_ingest(w->s, r[5], l[5], RONDA_ERR_REVOKED, 0);
    assert_int_equal(fx_stats(w->s).forks, fs.forks);
    uint64_t low = 0;
    assert_ok(ronda_store_fork_seq(w->s, M1.pk, &low));
    assert_int_equal(low, 3);
    fr_entry e = frontier_of(w->s, M1.pk);
    assert_true(e.found);
    assert_int_equal(e.seq, 2);
    assert_int_equal(e.fork, 3);
    assert_memory_equal(e.head, ids[2], 32);
    q = fx_query(w->s, NULL); /* seqs 3 and 4 leave the views */
    assert_int_equal(json_array_size(q), 2);
    json_decref(q);
    json_t *shown = NULL;
    assert_ok(ronda_store_show(w->s, ids[4], &shown));
    assert_int_equal(json_integer_value(json_object_get(shown, "author_forked_at")), 3);
    assert_true(json_is_true(json_object_get(shown, "frozen")));
    json_decref(shown);

    /* A second store holding the other branch (f3 as its record, r3 as evidence) agrees. */
    ronda_store *s2 = fx_store(w->dir, "b.db", &w->authority);
    fx_blob got = {NULL, 0};
    assert_ok(ronda_store_range(w->s, w->authority.pk, 1, 16, 1 << 20, fx_grab, &got));
    fx_expect_ingest(s2, got.p, got.n, RONDA_OK, RONDA_STORED);
    free(got.p);
    fx_expect_ingest(s2, r[1], l[1], RONDA_OK, RONDA_STORED);
    fx_expect_ingest(s2, r[2], l[2], RONDA_OK, RONDA_STORED);
    fx_expect_ingest(s2, f3, lf, RONDA_OK, RONDA_STORED);
    uint8_t da[32], db[32];
    assert_ok(ronda_store_digest(s2, db, NULL));
    assert_ok(ronda_store_digest(w->s, da, NULL));
    assert_memory_not_equal(da, db, 32);
    fx_expect_ingest(s2, r[3], l[3], RONDA_OK, RONDA_FORK);
    assert_ok(ronda_store_digest(s2, db, NULL));
    if (kept) assert_memory_not_equal(da, db, 32); /* another pair: the digest names it */
    for (int k = 39; k >= 0; k--) {                /* the floods in the other order: the same pair */
        ronda_outcome o;
        ronda_record rec;
        assert_ok(ronda_record_open(fk[k], lk[k], &rec, NULL));
        ronda_err ae = ronda_store_apply(s2, &rec, &o, NULL);
        assert_true(ae == RONDA_OK || ae == RONDA_ERR_EXISTS);
        free(fk[k]);
    }
    uint8_t pair2[2][32];
    assert_ok(ronda_store_fork_pair(s2, M1.pk, 3, pair2, &np));
    assert_memory_equal(pair2, pair, sizeof pair);
    assert_ok(ronda_store_digest(s2, db, NULL));
    assert_memory_equal(da, db, 32);
    /* A fork at 2 lowers the freeze at both. */
    fx_chain b1 = at[1];
    size_t l2f;
    uint8_t *f2 = fx_next_json(&b1, DIA, DLG("2026-01-10", "fork two"), 2, &l2f, NULL);
    fx_expect_ingest(w->s, f2, l2f, RONDA_OK, RONDA_FORK);
    fx_expect_ingest(s2, f2, l2f, RONDA_OK, RONDA_FORK);
    e = frontier_of(w->s, M1.pk);
    assert_int_equal(e.seq, 1);
    assert_int_equal(e.fork, 2);
    assert_ok(ronda_store_digest(s2, db, NULL));
    assert_ok(ronda_store_digest(w->s, da, NULL));
    assert_memory_equal(da, db, 32);
    ronda_store_close(&s2);
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.fork_seqs, 2);
    assert_int_equal(sum.forks, fs.forks + 1);
    assert_true(sum.findings >= 2); /* each fork is a finding */

    /* This node's own key forked: its appends are refused for good, and --confirm cannot lift it. */
    fx_admit(w, &w->node, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t own1[32];
    assert_ok(fx_append(w, &w->node, DIA, DLG("2026-01-10", "own"), own1));
    ronda_guard g;
    uint64_t gseq;
    assert_ok(ronda_store_guard(w->s, &g, &gseq));
    assert_int_equal(g, RONDA_GUARD_NONE);
    fx_chain o = {&w->node, 0, {0}};
    size_t lo;
    uint8_t *of = fx_next_json(&o, DIA, DLG("2026-01-10", "own fork"), 1, &lo, NULL);
    fx_expect_ingest(w->s, of, lo, RONDA_OK, RONDA_FORK);
    assert_ok(ronda_store_guard(w->s, &g, &gseq));
    assert_int_equal(g, RONDA_GUARD_FORKED);
    assert_int_equal(gseq, 1);
    assert_string_equal(ronda_guard_name(g), "forked");
    assert_err(ronda_store_set_guard(w->s, RONDA_GUARD_FORKED, 1), RONDA_ERR_INVALID);
    assert_ok(ronda_store_set_guard(w->s, RONDA_GUARD_NONE, 0));
    ronda_detail d;
    size_t bl;
    uint8_t *bd = dbody("2026-01-10", "after", &bl);
    assert_err(ronda_store_append(w->s, w->node.sk, DIA, bd, bl, fx_now(w), NULL, &d), RONDA_ERR_BEHIND);
    assert_non_null(strstr(d.text, "forked at seq 1"));
    free(bd);
    free(of);
    free(f2);
    free(f3);
    free(f4);
    for (int i = 1; i <= 5; i++) free(r[i]);
}

static void test_membership_and_roles(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0 + FX_DAY, FX_T0 + 2 * FX_DAY, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &AUD, "auditor", FX_T0, FX_T0 + FX_YEAR, NULL);
    json_t *(*d)(const char *, const char *, const char *, const char *, const char *) = fx_dialogue_json;
    ronda_stats before = fx_stats(w->s);
    assert_err(fx_append(w, &X, DIA, d("Trenggalek", "Durenan", "2026-01-10", "other", "x"), NULL),
               RONDA_ERR_NOT_MEMBER);
    assert_err(
        fx_append(w, &w->authority, RONDA_KIND_DIALOGUE, d("Trenggalek", "Durenan", "2026-01-10", "other", "x"), NULL),
        RONDA_ERR_ROLE);
    assert_err(fx_append(w, &AUD, DIA, d("Trenggalek", "Durenan", "2026-01-10", "other", "x"), NULL), RONDA_ERR_ROLE);
    assert_err(fx_append(w, &HQ, RONDA_KIND_MEMBER, fx_member_json(&X, "hq", "X", FX_T0, FX_T0 + 1), NULL),
               RONDA_ERR_ROLE);
    size_t rl;
    uint8_t *rb = fx_revoke_body(&HQ, 0, NULL, &rl);
    assert_err(ronda_store_append(w->s, HQ.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL), RONDA_ERR_ROLE);
    free(rb);
    ronda_stats after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    assert_ok(fx_append(w, &HQ, DIA, d("Trenggalek", "Durenan", "2026-01-10", "other", "x"), NULL));
    /* Validity is [valid_from, valid_until) of the record's hlc time. */
    fx_chain c = {&M1, 0, {0}}, t;
    size_t len;
    static const struct {
        uint64_t ms;
        ronda_err want;
    } v[] = {{FX_T0 + FX_DAY - 1, RONDA_ERR_NOT_MEMBER},
             {FX_T0 + 2 * FX_DAY, RONDA_ERR_NOT_MEMBER},
             {FX_T0 + FX_DAY, RONDA_OK},
             {FX_T0 + 2 * FX_DAY - 1, RONDA_OK}};
    for (int i = 0; i < 4; i++) {
        t = c;
        size_t blen;
        uint8_t *body = dbody("2026-01-10", "x", &blen);
        uint8_t *r = fx_next(&t, RONDA_KIND_DIALOGUE, body, blen, v[i].ms, &len, NULL);
        fx_expect_ingest(w->s, r, len, v[i].want, RONDA_STORED);
        if (v[i].want == RONDA_OK) c = t;
        free(r);
        free(body);
    }
}

static void test_revoked(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}}, c2 = {&M2, 0, {0}};
    uint8_t *r[5], id2[32];
    size_t l[5];
    for (int i = 1; i <= 4; i++)
        r[i] = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), (uint64_t)i, &l[i], i == 2 ? id2 : NULL);
    fx_expect_ingest(w->s, r[1], l[1], RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, r[2], l[2], RONDA_OK, RONDA_STORED);
    size_t rl;
    uint8_t *rb = fx_revoke_body(&M1, 2, id2, &rl);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL));
    free(rb);
    fx_expect_ingest(w->s, r[3], l[3], RONDA_ERR_REVOKED, 0);
    fx_expect_ingest(w->s, r[4], l[4], RONDA_ERR_REVOKED, 0);
    assert_err(fx_append(w, &M1, DIA, DLG("2026-01-10", "x"), NULL), RONDA_ERR_REVOKED);
    /* Revoked with last_seq 0: nothing of M2's is accepted. */
    rb = fx_revoke_body(&M2, 0, NULL, &rl);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL));
    free(rb);
    size_t l2;
    uint8_t *m2 = fx_next_json(&c2, DIA, DLG("2026-01-10", "x"), 9, &l2, NULL);
    fx_expect_ingest(w->s, m2, l2, RONDA_ERR_REVOKED, 0);
    ronda_stats st = fx_stats(w->s);
    assert_int_equal(st.revoked, 2);
    assert_int_equal(st.records, 2 + 2 + 2);
    json_t *m = NULL;
    assert_ok(ronda_store_member(w->s, M1.pk, &m));
    assert_true(json_is_true(json_object_get(m, "revoked")));
    json_decref(m);
    for (int i = 1; i <= 4; i++) free(r[i]);
    free(m2);
}

/* A record held from before a revocation stays a duplicate when delivered again, and is excluded
 * (frontier, digest, views), so a node that learnt of the revocation first ends equal. Also when
 * the revoke's last_id is wrong: the frontier names the record held at last_seq. */
static void test_revocation_converges(void **state) {
    fx_world *w = *state;
    fx_chain c = {&M1, 0, {0}};
    uint8_t *r[4], id2[32], wrong[32];
    size_t l[4], rl;
    memset(wrong, 0xab, 32);
    for (int i = 1; i <= 3; i++)
        r[i] = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), (uint64_t)i, &l[i], i == 2 ? id2 : NULL);
    uint8_t *mb = fx_member_body(&M1, "precinct", FX_T0, FX_T0 + FX_YEAR, &rl), *ab[2];
    for (int k = 0; k < 2; k++) {
        fx_chain ca = {&w->authority, 0, {0}};
        size_t al[2], bl;
        ab[0] = fx_next(&ca, RONDA_KIND_MEMBER, mb, rl, FX_MS(1), &al[0], NULL);
        uint8_t *rb = fx_revoke_body(&M1, 2, k ? wrong : id2, &bl);
        ab[1] = fx_next(&ca, RONDA_KIND_REVOKE, rb, bl, FX_MS(50), &al[1], NULL);
        free(rb);
        char name[2][16];
        snprintf(name[0], 16, "a%d.db", k);
        snprintf(name[1], 16, "b%d.db", k);
        ronda_store *a = fx_store(w->dir, name[0], &w->authority), *b = fx_store(w->dir, name[1], &w->authority);
        fx_expect_ingest(a, ab[0], al[0], RONDA_OK, RONDA_STORED); /* a: all three, then the revoke */
        for (int i = 1; i <= 3; i++) fx_expect_ingest(a, r[i], l[i], RONDA_OK, RONDA_STORED);
        fx_expect_ingest(a, ab[1], al[1], RONDA_OK, RONDA_STORED);
        for (int i = 1; i <= 3; i++) fx_expect_ingest(a, r[i], l[i], RONDA_OK, RONDA_DUPLICATE);
        for (int i = 0; i < 2; i++) fx_expect_ingest(b, ab[i], al[i], RONDA_OK, RONDA_STORED); /* b: revoke first */
        for (int i = 1; i <= 3; i++) fx_expect_ingest(b, r[i], l[i], i < 3 ? RONDA_OK : RONDA_ERR_REVOKED, 1);
        ronda_stats sa = fx_stats(a), sb = fx_stats(b);
        assert_memory_equal(sa.digest, sb.digest, 32);
        assert_int_equal(sa.authors, sb.authors);
        json_t *qa = fx_query(a, NULL), *qb = fx_query(b, NULL);
        assert_int_equal(json_array_size(qa), 2);
        assert_true(json_equal(qa, qb));
        json_decref(qa);
        json_decref(qb);
        ronda_verify_summary sum;
        assert_ok(ronda_store_verify(a, 1, NULL, NULL, &sum));
        assert_int_equal(sum.findings, 0);
        assert_int_equal(sum.excluded, 1);
        ronda_store_close(&a);
        ronda_store_close(&b);
        free(ab[0]);
        free(ab[1]);
    }
    free(mb);
    for (int i = 1; i <= 3; i++) free(r[i]);
}

/* Bodies are not signed: until redaction orders exist, a record without its body is not stored. */
/* The body ronda_record_open decodes is kept in the record (rec.typed) and is what
 * ronda_body_decode gives; apply reads it, and decodes the body itself only for a record
 * the open did not give it: a body that fails its schema is refused there with the
 * decoder's error and detail, as when apply decoded every body. */
static void test_typed_body(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}};
    size_t len, blen;
    json_t *dj = DLG("2026-01-10", "Balap liar");
    fx_topic(dj, "aspiration", "Lampu jalan");
    json_object_set_new(dj, "participants", json_integer(40));
    uint8_t *r = fx_next_json(&c, DIA, json_deep_copy(dj), 1, &len, NULL);
    ronda_record rec;
    assert_ok(ronda_record_open(r, len, &rec, NULL));
    ronda_body b;
    assert_ok(ronda_body_decode(DIA, rec.body, rec.body_len, &b, NULL));
    assert_int_equal(rec.typed.kind, DIA);
    assert_ptr_equal(rec.typed.bytes, rec.body);
    assert_int_equal(rec.typed.len, rec.body_len);
    const ronda_dialogue *x = &rec.typed.u.dialogue, *y = &b.u.dialogue;
    assert_ptr_equal(x->when.p, y->when.p);
    assert_int_equal(x->when.len, y->when.len);
    assert_ptr_equal(x->polres.p, y->polres.p);
    assert_ptr_equal(x->topics.at, y->topics.at);
    assert_int_equal(x->topics.n, 2);
    assert_int_equal(x->topics.len, y->topics.len);
    assert_int_equal(x->programme, y->programme);
    assert_true(x->participants.set && x->participants.v == 40);
    json_t *jx = NULL, *jy = NULL;
    assert_ok(ronda_body_json(&rec.typed, &jx));
    assert_ok(ronda_body_json(&b, &jy));
    assert_true(json_equal(jx, jy));
    json_decref(jx);
    json_decref(jy);

    /* A redacted record keeps no typed body. */
    ronda_record red = rec, ro;
    red.body = NULL;
    uint8_t *rb;
    size_t rlen;
    assert_ok(ronda_record_encode(&red, &rb, &rlen));
    assert_ok(ronda_record_open(rb, rlen, &ro, NULL));
    assert_int_equal(ro.typed.kind, RONDA_KIND_NONE);
    free(rb);

    /* A body that fails its schema, in a record the open did not check (its typed body is
     * of other bytes): refused by apply with the decoder's error and detail. */
    json_t *bad = fx_wire(dj);
    json_object_set_new(bad, "programme", json_string("nope"));
    uint8_t *badb = fx_pack(bad, &blen);
    json_decref(bad);
    ronda_detail want, got;
    ronda_err we = ronda_body_to_json(DIA, badb, blen, NULL, &want);
    assert_err(we, RONDA_ERR_SCHEMA);
    ronda_record forged = rec;
    forged.body = badb;
    forged.body_len = blen;
    ronda_stats before = fx_stats(w->s), after;
    ronda_outcome o;
    memset(&got, 0, sizeof got);
    assert_err(ronda_store_apply(w->s, &forged, &o, &got), we);
    assert_string_equal(got.text, want.text);
    after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    /* The same bytes sealed in a record: its open refuses them with the same error. */
    fx_chain c2 = {&M1, 0, {0}};
    size_t slen;
    uint8_t *sealed = fx_next(&c2, DIA, badb, blen, FX_MS(1), &slen, NULL);
    ronda_record so;
    memset(&got, 0, sizeof got);
    assert_err(ronda_record_open(sealed, slen, &so, &got), we);
    assert_string_equal(got.text, want.text);
    free(sealed);

    /* A record without its typed body (zeroed) is decoded by apply and stored as usual. */
    ronda_record bare = rec;
    memset(&bare.typed, 0, sizeof bare.typed);
    assert_ok(ronda_store_apply(w->s, &bare, &o, NULL));
    assert_int_equal(o, RONDA_STORED);
    after = fx_stats(w->s);
    assert_int_equal(after.dialogues, 1);
    assert_int_equal(after.topics, 2);
    assert_ok(ronda_store_apply(w->s, &rec, &o, NULL));
    assert_int_equal(o, RONDA_DUPLICATE);
    json_decref(dj);
    free(badb);
    free(r);
}

static void test_redacted_refused(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}}, a = {&w->authority, 1, {0}};
    size_t len, rlen, blen, mlen;
    uint8_t *r = fx_next_json(&c, DIA, DLG("2026-01-10", "x"), 1, &len, NULL);
    uint64_t seq;
    assert_ok(ronda_store_head(w->s, w->authority.pk, &seq, a.prev));
    uint8_t *body = fx_member_body(&M2, "precinct", FX_T0, FX_T0 + FX_YEAR, &blen);
    uint8_t *m = fx_next(&a, RONDA_KIND_MEMBER, body, blen, FX_MS(60), &mlen, NULL);
    ronda_stats before = fx_stats(w->s), after;
    for (int k = 0; k < 3; k++) {
        ronda_record rec;
        assert_ok(ronda_record_open(k == 1 ? m : r, k == 1 ? mlen : len, &rec, NULL));
        rec.body = NULL;
        uint8_t *red;
        assert_ok(ronda_record_encode(&rec, &red, &rlen));
        assert_ok(ronda_record_open(red, rlen, &rec, NULL)); /* the format allows it */
        fx_expect_ingest(w->s, red, rlen, k < 2 ? RONDA_ERR_SCHEMA : RONDA_OK, RONDA_DUPLICATE);
        free(red);
        after = fx_stats(w->s);
        if (k < 2) fx_assert_stats_equal(&before, &after);
        if (k == 1) fx_expect_ingest(w->s, r, len, RONDA_OK, RONDA_STORED); /* then a stripped copy changes nothing */
    }
    json_t *show = NULL;
    uint8_t head[32];
    assert_ok(ronda_store_head(w->s, M1.pk, &seq, head));
    assert_ok(ronda_store_show(w->s, head, &show));
    assert_true(json_is_false(json_object_get(show, "redacted")));
    json_decref(show);
    free(m);
    free(body);
    free(r);
}

static void test_references(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t d1[32], e1[32], unknown[32];
    memset(unknown, 0x77, 32);
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-10", "x"), d1));
    assert_ok(fx_append(w, &M2, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "other", "y"), e1));
    char hex[65];
    const uint8_t *targets[4] = {e1, unknown, d1, d1};
    const char *kinds[4] = {"dialogue", "dialogue", "resolution", "dialogue"};
    const ronda_err want[4] = {RONDA_ERR_REFERENCE, RONDA_ERR_REFERENCE, RONDA_ERR_REFERENCE, RONDA_OK};
    for (int i = 0; i < 4; i++) {
        fx_hex(targets[i], 32, hex);
        json_t *inner = strcmp(kinds[i], "dialogue") == 0 ? DLG("2026-01-11", "x")
                                                          : fx_resolution_json(d1, 0, "resolved", NULL, "ok");
        json_t *am =
            json_pack("{s:o, s:s, s:s, s:s}", "body", inner, "kind", kinds[i], "reason", "Koreksi", "target", hex);
        assert_err(fx_append(w, &M1, RONDA_KIND_AMEND, am, NULL), want[i]);
    }
    /* A resolution's dialogue and topic are not checked on ingest (the answer would depend on
     * arrival order, proto/record.md §3.9): a topic the dialogue lacks is stored, and shown nowhere. */
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 1, "resolved", NULL, "x"), NULL));
    json_t *rows = fx_query(w->s, &(ronda_query){.status = "resolved"});
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 0, "resolved", NULL, "x"), NULL));
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(unknown, 5, "resolved", NULL, "x"), NULL));
}

static void test_triggers(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    size_t lf; /* fork evidence too */
    fx_chain f = {&M2, 0, {0}};
    uint8_t *rf = fx_next_json(&f, DIA, DLG("2026-01-10", "f"), 40, &lf, NULL);
    fx_expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_FORK);
    free(rf);
    ronda_stats before = fx_stats(w->s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    static const char *const sql[] = {"UPDATE records SET kind = 'amend'",
                                      "UPDATE records SET body = NULL WHERE seq = 1",
                                      "DELETE FROM records",
                                      "DELETE FROM records WHERE rowid = 8",
                                      "UPDATE forks SET seq = 2",
                                      "DELETE FROM forks"};
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        char *err = NULL;
        int rc = sqlite3_exec(db, sql[i], NULL, NULL, &err);
        assert_int_equal(rc, SQLITE_CONSTRAINT);
        assert_non_null(strstr(err, "append-only"));
        sqlite3_free(err);
    }
    sqlite3_close(db);
    ronda_stats after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    fx_ledger_free(&L);
}

static void test_order_independence(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    static const int orders[3][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 4, 5, 6, 2, 3, 7}, {0, 2, 3, 7, 1, 4, 5, 6}};
    ronda_stats st[3];
    json_t *rows[3];
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "o%d.db", k);
        ronda_store *s = fx_store(w->dir, name, &w->authority);
        fx_ledger_load(s, &L, orders[k]);
        st[k] = fx_stats(s);
        rows[k] = fx_query(s, NULL);
        ronda_store_close(&s);
    }
    for (int k = 1; k < 3; k++) {
        fx_assert_stats_equal(&st[0], &st[k]);
        assert_true(json_equal(rows[0], rows[k]));
    }
    assert_int_equal(st[0].records, 8);
    assert_int_equal(json_array_size(rows[0]), 4);
    for (int k = 0; k < 3; k++) json_decref(rows[k]);
    fx_ledger_free(&L);
}

static void test_rebuild(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    size_t blen, len; /* plus an amend, and a revocation of M2 that excludes D3 */
    char hex[65];
    fx_hex(L.d1, 32, hex);
    json_t *am = json_pack("{s:o, s:s, s:s, s:s}", "body",
                           fx_dialogue_json("Trenggalek", "Karangan", "2026-01-10", "criticism", "Kritik pelayanan"),
                           "kind", "dialogue", "reason", "Salah Polsek", "target", hex);
    uint8_t *r = fx_next_json(&L.c1, RONDA_KIND_AMEND, am, 50, &len, NULL);
    fx_expect_ingest(w->s, r, len, RONDA_OK, RONDA_STORED);
    free(r);
    ronda_record r2;
    assert_ok(ronda_record_open(L.rec[5], L.len[5], &r2, NULL));
    uint8_t *body = fx_revoke_body(&M2, 2, r2.id, &blen);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, body, blen, fx_now(w), NULL, NULL));
    free(body);
    ronda_stats before = fx_stats(w->s);
    json_t *rows = fx_query(w->s, NULL), *show = NULL, *show2 = NULL;
    assert_ok(ronda_store_show(w->s, L.d1, &show));
    assert_ok(ronda_store_rebuild(w->s));
    ronda_stats after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    json_t *rows2 = fx_query(w->s, NULL);
    assert_true(json_equal(rows, rows2));
    assert_ok(ronda_store_show(w->s, L.d1, &show2));
    assert_true(json_equal(show, show2));
    assert_int_equal(before.records, 10);
    assert_int_equal(json_array_size(rows), 2); /* D1 amended to one topic, D2; D3 (M2's seq 3) is excluded */
    /* and a store that keeps working after it */
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-13", "x"), NULL));
    json_decref(rows);
    json_decref(rows2);
    json_decref(show);
    json_decref(show2);
    fx_ledger_free(&L);
}

typedef struct found {
    int n, store, record, view; /* view: the views' differences, counted apart from n */
    ronda_err err;
    uint8_t id[32];
} found;

static void on_finding(void *ctx, const ronda_finding *f) {
    found *x = ctx;
    if (strcmp(f->what, "view") == 0) {
        x->view++;
        return;
    }
    x->n++;
    if (strcmp(f->what, "store") == 0) x->store++;
    if (strcmp(f->what, "record") == 0) {
        x->record++;
        x->err = f->err;
        memcpy(x->id, f->id, 32);
    }
}

/* Flip one bit of a stored column of record `id` by raw SQL (the envelope's last byte is in body_hash). */
static void flip_column(sqlite3 *db, const char *col, const uint8_t *id) {
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT %s FROM records WHERE id = ?1", col);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    uint8_t *b = malloc(n);
    memcpy(b, sqlite3_column_blob(st, 0), n);
    sqlite3_finalize(st);
    b[strcmp(col, "envelope") == 0 ? n - 1 : n / 2] ^= 0x01;
    snprintf(sql, sizeof sql, "UPDATE records SET %s = ?2 WHERE id = ?1", col);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, b, (int)n, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    free(b);
}

static void test_verify(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    ronda_verify_summary sum;
    found x = {0};
    assert_ok(ronda_store_verify(w->s, 2, on_finding, &x, &sum));
    assert_int_equal(sum.findings, 0);
    assert_int_equal(x.n, 0);
    assert_int_equal(sum.records, 8);
    assert_int_equal(sum.authors, 3);
    ronda_store_close(&w->s);
    /* Change one byte of D3 (M2's last record): its body, its envelope, then its signature. */
    static const char *const cols[3] = {"body", "envelope", "signature"};
    const ronda_err want[3] = {RONDA_ERR_BODY_HASH, RONDA_ERR_SIGNATURE, RONDA_ERR_SIGNATURE};
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER records_no_update", NULL, NULL, NULL), SQLITE_OK);
    for (int c = 0; c < 3; c++) {
        flip_column(db, cols[c], L.d3);
        assert_ok(ronda_store_open(w->path, NULL, &w->s));
        memset(&x, 0, sizeof x);
        assert_ok(ronda_store_verify(w->s, 1, on_finding, &x, &sum));
        ronda_store_close(&w->s);
        assert_int_equal(x.store, 1); /* the missing trigger */
        assert_int_equal(x.record, 1);
        assert_int_equal(x.n, 2);
        /* D3 no longer opens, so the records' views lack it: the stored views still have it */
        assert_true(x.view > 0);
        assert_int_equal(sum.findings, 2 + (uint64_t)x.view);
        assert_err(x.err, want[c]);
        assert_memory_equal(x.id, L.d3, 32);
        flip_column(db, cols[c], L.d3); /* restore for the next column */
    }
    sqlite3_close(db);
    assert_ok(ronda_store_open(w->path, NULL, &w->s));
    fx_ledger_free(&L);
}

static size_t count_q(ronda_store *s, ronda_query q) {
    json_t *rows = fx_query(s, &q);
    size_t n = json_array_size(rows);
    json_decref(rows);
    return n;
}

static void test_query_filters(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    json_t *all = fx_query(w->s, NULL);
    assert_int_equal(json_array_size(all), 4);
    static const char *const order[4][3] = {{"Durenan", "traffic", "in_progress"},
                                            {"Durenan", "unrest", "referred"},
                                            {"Ngunut", "social_problem", "open"},
                                            {"Watulimo", "vulnerable_area", "open"}};
    for (int i = 0; i < 4; i++) {
        json_t *row = json_array_get(all, i);
        assert_string_equal(json_string_value(json_object_get(row, "polsek")), order[i][0]);
        assert_string_equal(json_string_value(json_object_get(row, "category")), order[i][1]);
        assert_string_equal(json_string_value(json_object_get(row, "status")), order[i][2]);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 1), "referred_to")), "Karang Taruna");
    json_decref(all);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Trenggalek"}), 4);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "trenggalek"}), 4);
    assert_int_equal(count_q(w->s, (ronda_query){.polsek = "Ngunut"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Madiun"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.category = "traffic"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "open"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "referred"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "resolved"}), 0); /* superseded by a later one */
    assert_int_equal(count_q(w->s, (ronda_query){.status = "in_progress"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Trenggalek", .status = "open"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.programme = "curhat"}), 4);
    assert_int_equal(count_q(w->s, (ronda_query){.programme = "warkop"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "oplosan"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "ternak malam"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "ternak oplosan"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Mediasi"}), 2); /* resolution text, D1's topics */
    assert_int_equal(count_q(w->s, (ronda_query){.text = "ternak\""}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "OR NEAR( * AND"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.date_from = "2026-02-01"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.date_to = "2026-01-31"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.date_from = "2026-02-01", .date_to = "2026-02-28"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.date_from = "2026-03-01", .date_to = "2026-03-01"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.limit = 1}), 1);
    fx_ledger_free(&L);
}

static void test_amended_query(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    char hex[65];
    fx_hex(L.d1, 32, hex);
    for (int k = 0; k < 2; k++) { /* the later amend (greater seq) wins */
        json_t *body = fx_dialogue_json("Trenggalek", k ? "Karangan" : "Pogalan", "2026-01-10", "criticism",
                                        "Kritik pelayanan SKCK");
        fx_topic(body, "unrest", "Tawuran pemuda antar desa");
        json_t *am = json_pack("{s:o, s:s, s:s, s:s}", "body", body, "kind", "dialogue", "reason", "Salah Polsek",
                               "target", hex);
        assert_ok(fx_append(w, &M1, RONDA_KIND_AMEND, am, NULL));
    }
    assert_int_equal(count_q(w->s, (ronda_query){.polsek = "Durenan"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.polsek = "Pogalan"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.polsek = "Karangan"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.category = "traffic"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.category = "criticism"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "SKCK"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Durenan"}), 0); /* the old text is gone */
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Balap"}), 2);   /* still in a resolution of D1 */
    json_t *rows = fx_query(w->s, &(ronda_query){.polsek = "Karangan"});
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "title")), "Jumat Curhat Karangan");
    assert_string_equal(json_string_value(json_object_get(r0, "status")), "in_progress"); /* resolutions stay */
    json_decref(rows);
    json_t *show = NULL;
    assert_ok(ronda_store_show(w->s, L.d1, &show));
    json_t *view = json_object_get(show, "view");
    assert_int_equal(json_integer_value(json_object_get(view, "amendments")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(view, "current"), "polsek")), "Karangan");
    json_decref(show);
    assert_int_equal(fx_stats(w->s).dialogues, 3);
    fx_ledger_free(&L);
}

/* The WAL file restarts once checkpointed: a long-running writer must not grow it by every
 * record (a statement left active at COMMIT kept the checkpoint one transaction behind, and
 * the file grew without end). 40 transactions of 50 dialogues write ~8 MB of WAL frames. */
static void test_wal_bounded(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", w->path);
    off_t most = 0;
    for (int t = 0; t < 40; t++) {
        assert_ok(ronda_store_begin(w->s));
        for (int i = 0; i < 50; i++) {
            char summary[80];
            snprintf(summary, sizeof summary, "Keluhan warga nomor %d tentang parkir liar di pasar", t * 50 + i);
            assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-01", summary), NULL));
        }
        assert_ok(ronda_store_commit(w->s));
        struct stat st;
        if (stat(wal, &st) == 0 && st.st_size > most) most = st.st_size;
    }
    assert_int_equal(fx_stats(w->s).records, 2001);
    /* SQLite checkpoints at 1,000 pages (4 MiB): the file stays near that, plus one transaction. */
    if (most > 6 * 1024 * 1024) fail_msg("the WAL grew to %lld bytes", (long long)most);
}

/* SQLite's answer to one integer query on the store's file (a second connection). */
static long long sql_int(const char *path, const char *sql) {
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        if (rc == SQLITE_DONE) v = 0;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void amend_dialogue(fx_world *w, const uint8_t id[RONDA_ID_BYTES], const char *summary) {
    char hex[65];
    fx_hex(id, 32, hex);
    json_t *am = json_pack("{s:o, s:s, s:s, s:s}", "body", DLG("2026-02-01", summary), "kind", "dialogue", "reason",
                           "Ringkasan keliru", "target", hex);
    assert_ok(fx_append(w, &M1, RONDA_KIND_AMEND, am, NULL));
}

/* Search-index rows are written with their batch (views.c), not beside each record: in a
 * transaction longer than the queue (1,024 changes), with amends before and after a flush,
 * and across a rollback, the index still holds exactly the current text of each dialogue. */
static void test_search_batched(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t early[RONDA_ID_BYTES], late[RONDA_ID_BYTES];
    assert_ok(ronda_store_begin(w->s));
    for (int i = 0; i < 1500; i++) {
        char summary[80];
        snprintf(summary, sizeof summary, "Keluhan warga nomor%d tentang parkir liar", i);
        assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-01", summary), i == 3 ? early : i == 1400 ? late : NULL));
        if (i == 5) amend_dialogue(w, early, "Perkelahian pemuda dekat balai desa"); /* queued insert, then delete */
    }
    amend_dialogue(w, early, "Pencurian ternak di dusun"); /* its row was flushed already */
    amend_dialogue(w, late, "Jalan berlubang di depan sekolah");
    assert_ok(ronda_store_commit(w->s));
    assert_int_equal(count_q(w->s, (ronda_query){.text = "nomor1499"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "nomor3"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Perkelahian"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "ternak"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "nomor1400"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "berlubang"}), 1);

    assert_ok(ronda_store_begin(w->s)); /* nothing of a rolled-back batch reaches the index */
    for (int i = 0; i < 5; i++) assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-02", "Sengketa batas lahan"), NULL));
    ronda_store_rollback(w->s);
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-03", "Pungutan liar di terminal"), NULL));
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Sengketa"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.text = "Pungutan"}), 1);

    /* One index row per dialogue, the one its view row names, and FTS5's own check passes. */
    assert_int_equal(sql_int(w->path, "SELECT count(*) FROM search"), 1501);
    assert_int_equal(sql_int(w->path, "SELECT count(*) FROM dialogues d JOIN search s ON s.rowid = d.fts_rowid"
                                      " AND s.dialogue = d.id"),
                     1501);
    assert_int_equal(sql_int(w->path, "INSERT INTO search(search) VALUES('integrity-check')"), 0);
}

/* Report rows follow amends: after an amend moves D1 to another Polsek and changes its
 * topics, the rows are the amended dialogue's (the original's author and seq, the new
 * place and topics, the topics' status kept), exactly what a join over dialogues, topics
 * and topic_status gives. */
static void test_report_rows_amend(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    char hex[65];
    fx_hex(L.d1, 32, hex);
    json_t *body = fx_dialogue_json("Trenggalek", "Karangan", "2026-01-10", "criticism", "Kritik pelayanan SKCK");
    fx_topic(body, "unrest", "Tawuran pemuda antar desa");
    fx_topic(body, "traffic", "Parkir liar di pasar");
    json_t *am =
        json_pack("{s:o, s:s, s:s, s:s}", "body", body, "kind", "dialogue", "reason", "Salah Polsek", "target", hex);
    assert_ok(fx_append(w, &M1, RONDA_KIND_AMEND, am, NULL));
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM report_rows WHERE lower(hex(dialogue)) = '%s' AND polsek = 'Karangan'", hex);
    assert_int_equal(sql_int(w->path, sql), 3);
    /* Every row equals the join's, and the join has no row report_rows lacks. */
    static const char *const join =
        "SELECT d.id, t.idx, d.author, d.seq, d.polres, d.polsek, d.programme, d.date, d.when_ms,"
        " CASE WHEN coalesce(t.idx, 0) = 0 THEN coalesce(d.participants, 0) ELSE 0 END, t.category,"
        " coalesce(ts.status, 'open'), ts.referred_to FROM dialogues d LEFT JOIN topics t ON t.dialogue = d.id"
        " LEFT JOIN topic_status ts ON ts.dialogue = t.dialogue AND ts.topic = t.idx";
    static const char *const rows = "SELECT dialogue, idx, author, seq, polres, polsek, programme, date, when_ms,"
                                    " participants, category, status, referred_to FROM report_rows";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", join, rows);
    assert_int_equal(sql_int(w->path, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT %s)", rows, join);
    assert_int_equal(sql_int(w->path, sql), 0);
    assert_int_equal(sql_int(w->path, "SELECT count(*) FROM report_rows WHERE status <> 'open'") > 0, 1);
    fx_ledger_free(&L);
}

/* A store whose views have an older layout (here: version 1, whose dialogues kept a copy
 * of the body in a NOT NULL column) rebuilds them once when opened for writing, and
 * answers as before; a second open does not rebuild again. */
static void test_views_upgrade(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t d1[RONDA_ID_BYTES];
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-01", "Parkir liar di pasar"), d1));
    amend_dialogue(w, d1, "Parkir liar di depan pasar");
    json_t *rows = fx_query(w->s, NULL), *show = NULL, *show2 = NULL;
    assert_ok(ronda_store_show(w->s, d1, &show));
    ronda_store_close(&w->s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM meta WHERE key = 'views'; DROP TABLE dialogues;"
                                  " CREATE INDEX records_hlc ON records(hlc);"
                                  " CREATE TABLE dialogues(id BLOB PRIMARY KEY, body TEXT NOT NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_ok(ronda_store_open(w->path, NULL, &w->s));
    assert_int_equal(sql_int(w->path, "SELECT count(*) FROM pragma_table_info('dialogues') WHERE name = 'body'"), 0);
    assert_int_equal(sql_int(w->path, "SELECT CAST(value AS TEXT) = '4' FROM meta WHERE key = 'views'"), 1);
    assert_int_equal(sql_int(w->path, "SELECT count(*) FROM sqlite_master WHERE name = 'records_hlc'"), 0);
    json_t *rows2 = fx_query(w->s, NULL);
    assert_true(json_equal(rows, rows2));
    assert_ok(ronda_store_show(w->s, d1, &show2));
    assert_true(json_equal(show, show2));
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(json_object_get(show2, "view"), "current"), "topics"), 0),
            "summary")),
        "Parkir liar di depan pasar");
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-02-02", "Balap liar"), NULL));
    assert_int_equal(fx_stats(w->s).dialogues, 2);
    json_decref(rows);
    json_decref(rows2);
    json_decref(show);
    json_decref(show2);
}

/* ---- the store's clock (RONDA_CLOCK_AHEAD_MAX_MS) */

static ronda_wall test_clock(void *ctx) { return (ronda_wall){*(const uint64_t *)ctx}; }

#define HOUR_MS 3600000ull

typedef struct max_hlc {
    uint64_t hlc;
    uint64_t n;
} max_hlc;

static int max_hlc_cb(void *ctx, const ronda_row *r) {
    max_hlc *m = ctx;
    if (r->hlc > m->hlc) m->hlc = r->hlc;
    m->n++;
    return 0;
}

static uint64_t author_max_hlc(ronda_store *s, const fx_key *k) {
    max_hlc m = {0, 0};
    assert_ok(ronda_store_each(s, k->pk, max_hlc_cb, &m));
    return m.hlc;
}

/* A record dated beyond the store's clock + the bound is not stored (RONDA_ERR_FUTURE,
 * nothing changes), one within it is; once the clock reaches it, the same bytes are. */
static void test_future_refused_then_accepted(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint64_t now = FX_MS(100);
    ronda_store_set_clock(w->s, test_clock, &now);
    fx_chain c = {&M1, 0, {0}};
    size_t blen, l1, l2;
    uint8_t *body = dbody("2026-01-10", "x", &blen);
    uint8_t *r1 = fx_next(&c, DIA, body, blen, now + 10 * HOUR_MS, &l1, NULL);
    uint8_t *r2 = fx_next(&c, DIA, body, blen, now + 10 * HOUR_MS + 1000, &l2, NULL);
    ronda_stats before = fx_stats(w->s), after;
    fx_expect_ingest(w->s, r1, l1, RONDA_ERR_FUTURE, 0);
    after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    /* One second inside the bound: stored. */
    now = FX_MS(100) + 10 * HOUR_MS - RONDA_CLOCK_AHEAD_MAX_MS + 1000;
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    /* A held record stays a duplicate when the clock is set back; a new one is future again. */
    now = FX_MS(100);
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_DUPLICATE);
    fx_expect_ingest(w->s, r2, l2, RONDA_ERR_FUTURE, 0);
    now = FX_MS(100) + 10 * HOUR_MS;
    fx_expect_ingest(w->s, r2, l2, RONDA_OK, RONDA_STORED);
    assert_string_equal(ronda_errname(RONDA_ERR_FUTURE), "future");
    free(r1);
    free(r2);
    free(body);
}

/* Holding another author's record 10 h ahead of now, a node's append is dated within the
 * bound of its own clock (not after that record), and still follows its own previous
 * record when its clock is set back. */
static void test_append_capped(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint64_t now = FX_MS(100) + 10 * HOUR_MS; /* the store accepts it: as if it came when the clock allowed */
    ronda_store_set_clock(w->s, test_clock, &now);
    fx_chain c = {&M1, 0, {0}};
    size_t blen, l1;
    uint8_t *body = dbody("2026-01-10", "x", &blen);
    uint8_t *r1 = fx_next(&c, DIA, body, blen, FX_MS(100) + 10 * HOUR_MS, &l1, NULL);
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    uint64_t t = FX_MS(100);
    assert_ok(ronda_store_append(w->s, M2.sk, DIA, body, blen, t, NULL, NULL));
    uint64_t h1 = author_max_hlc(w->s, &M2);
    assert_true(h1 >= t << RONDA_HLC_COUNTER_BITS);
    assert_true(ronda_hlc_ms(h1) <= t + RONDA_CLOCK_AHEAD_MAX_MS);
    /* Its clock set back a day: the next record still follows its own previous one. */
    assert_ok(ronda_store_append(w->s, M2.sk, DIA, body, blen, t - 24 * HOUR_MS, NULL, NULL));
    assert_true(author_max_hlc(w->s, &M2) > h1);
    free(r1);
    free(body);
}

/* The daemon's clock-offset estimate round-trips through meta. */
static void test_clock_offset_meta(void **state) {
    fx_world *w = *state;
    int64_t off;
    ronda_wall at;
    assert_err(ronda_store_clock_offset(w->s, &off, &at), RONDA_ERR_NOT_FOUND);
    assert_ok(ronda_store_set_clock_offset(w->s, -10800123, (ronda_wall){FX_MS(7)}));
    assert_ok(ronda_store_clock_offset(w->s, &off, &at));
    assert_int_equal(off, -10800123);
    assert_int_equal(at.ms, FX_MS(7));
}

/* The HQ report and its lists as typed results (include/ronda/report.h), the member as a
 * struct, and the JSON of json.h written from them with the same figures. */
typedef struct rows_seen {
    int n, stop_at;
    char first[64];
} rows_seen;

static int seen_dialogue(void *ctx, const ronda_dialogue_row *r) {
    rows_seen *v = ctx;
    if (v->n++ == 0) snprintf(v->first, sizeof v->first, "%s/%s", r->polsek, r->title);
    return v->stop_at && v->n == v->stop_at;
}

static int seen_followup(void *ctx, const ronda_followup_row *r) {
    rows_seen *v = ctx;
    if (v->n++ == 0) snprintf(v->first, sizeof v->first, "%s/%s", r->status, r->referred_to ? r->referred_to : "-");
    return 0;
}

static void test_report_typed(void **state) {
    fx_world *w = *state;
    uint8_t d1[32], d2[32], d3[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    json_t *j = fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar");
    fx_topic(j, "unrest", "Tawuran");
    json_object_set_new(j, "participants", json_integer(40));
    assert_ok(fx_append(w, &M1, DIA, j, d1));
    assert_ok(fx_append(w, &M1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-11", "other", "Sampah"), d2));
    assert_ok(fx_append(w, &HQ, DIA,
                        fx_dialogue_json("Trenggalek", "Kampak", "2026-01-12", "aspiration", "Lampu jalan"), d3));
    const ronda_kind RES = RONDA_KIND_RESOLUTION;
    assert_ok(fx_append(w, &M1, RES, fx_resolution_json(d1, 0, "resolved", NULL, "Patroli malam"), NULL));
    assert_ok(fx_append(w, &M1, RES, fx_resolution_json(d1, 1, "referred", "Dishub", "Diteruskan"), NULL));
    assert_ok(fx_append(w, &HQ, RES, fx_resolution_json(d3, 0, "referred", "Dishub", "Diteruskan"), NULL));

    ronda_member_info m;
    assert_ok(ronda_store_member_info(w->s, M1.pk, &m));
    assert_int_equal(m.role, RONDA_ROLE_PRECINCT);
    assert_string_equal(m.polres, "Trenggalek");
    assert_string_equal(m.polsek, "Durenan");
    assert_string_equal(m.endpoint, "");
    assert_false(m.revoked);
    assert_err(ronda_store_member_info(w->s, X.pk, &m), RONDA_ERR_NOT_FOUND);

    ronda_filter f;
    memset(&f, 0, sizeof f);
    int64_t now = (int64_t)(FX_T0 + FX_YEAR);
    ronda_report r;
    assert_ok(ronda_report_build(w->s, &f, RONDA_REPORT_BY_POLSEK, 14, now, &r));
    assert_int_equal(r.n_groups, 2);
    const ronda_report_group *g = &r.groups[0], *k = &r.groups[1], *t = &r.total;
    assert_string_equal(g->polres, "Trenggalek");
    assert_string_equal(g->key, "Durenan");
    assert_string_equal(k->key, "Kampak");
    assert_int_equal(g->dialogues, 2);
    assert_int_equal(g->participants, 40);
    assert_int_equal(g->topics, 3);
    assert_int_equal(g->categories[RONDA_CATEGORY_TRAFFIC], 1);
    assert_int_equal(g->categories[RONDA_CATEGORY_UNREST], 1);
    assert_int_equal(g->categories[RONDA_CATEGORY_OTHER], 1);
    assert_int_equal(g->resolved, 1);
    assert_int_equal(g->referred, 1);
    assert_int_equal(g->open, 1);
    assert_int_equal(g->overdue, 1); /* the open topic, a year old */
    assert_true(g->has_median);
    assert_int_equal(g->n_referred_to, 1);
    assert_string_equal(g->referred_to[0].name, "Dishub");
    assert_int_equal(k->dialogues, 1);
    assert_int_equal(k->referred, 1);
    assert_false(k->has_median);
    assert_int_equal(t->dialogues, 3);
    assert_int_equal(t->topics, 4);
    assert_null(t->polres);
    assert_int_equal(t->n_referred_to, 1);
    assert_int_equal(t->referred_to[0].n, 2);
    /* The JSON of json.h says the same. */
    json_t *o = NULL;
    assert_ok(ronda_store_report(w->s, &f, RONDA_REPORT_BY_POLSEK, 14, now, &o));
    json_t *jt = json_object_get(o, "total");
    assert_int_equal(json_integer_value(json_object_get(jt, "dialogues")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(jt, "referred_to"), "Dishub")), 2);
    json_t *jg = json_array_get(json_object_get(o, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(jg, "polsek")), "Durenan");
    assert_true(json_real_value(json_object_get(jg, "median_days_to_resolution")) == g->median_days);
    assert_true(
        json_is_null(json_object_get(json_array_get(json_object_get(o, "groups"), 1), "median_days_to_resolution")));
    json_decref(o);
    ronda_report_free(&r);
    ronda_report_free(&r); /* a freed report is zeroed */
    assert_err(ronda_report_build(w->s, &f, (ronda_report_by)9, 14, now, &r), RONDA_ERR_INVALID);
    ronda_report_free(&r);

    /* Lists: newest first, paged, a callback may stop. */
    rows_seen v = {0, 0, ""};
    int more = -1;
    assert_ok(ronda_store_dialogue_rows(w->s, &f, 0, 2, seen_dialogue, &v, &more));
    assert_int_equal(v.n, 2);
    assert_int_equal(more, 1);
    assert_string_equal(v.first, "Kampak/Jumat Curhat Kampak"); /* the fixture titles by Polsek */
    v = (rows_seen){0, 1, ""};
    assert_ok(ronda_store_dialogue_rows(w->s, &f, 0, 0, seen_dialogue, &v, &more));
    assert_int_equal(v.n, 1);
    v = (rows_seen){0, 0, ""};
    assert_ok(ronda_store_followup_rows(w->s, &f, "referred", 14, now, 0, 0, seen_followup, &v, &more));
    assert_int_equal(v.n, 2);
    assert_int_equal(more, 0);
    assert_string_equal(v.first, "referred/Dishub");
    v = (rows_seen){0, 0, ""};
    assert_ok(ronda_store_followup_rows(w->s, &f, "all", 14, now, 0, 0, seen_followup, &v, &more));
    assert_int_equal(v.n, 4);
    assert_err(ronda_store_followup_rows(w->s, &f, "later", 14, now, 0, 0, seen_followup, &v, &more),
               RONDA_ERR_INVALID);

    /* A record as `ronda show` sees it: opened, its author, its follow-ups and current body. */
    ronda_record_view rv;
    assert_ok(ronda_store_record_view(w->s, d1, &rv));
    assert_int_equal(rv.error, RONDA_OK);
    assert_false(rv.fork_evidence);
    assert_true(rv.has_author_name);
    assert_string_equal(rv.author_name, "Polsek Durenan");
    assert_true(rv.has_view);
    assert_int_equal(rv.nresolutions, 2);
    assert_string_equal(rv.resolutions[0].status, "resolved");
    assert_null(rv.resolutions[0].referred_to);
    assert_string_equal(rv.resolutions[1].referred_to, "Dishub");
    assert_true(rv.has_current);
    assert_int_equal(rv.current.kind, RONDA_KIND_DIALOGUE);
    assert_int_equal(rv.current.u.dialogue.topics.n, 2);
    json_t *shown = ronda_record_view_json(&rv);
    assert_int_equal(json_array_size(json_object_get(json_object_get(shown, "view"), "resolutions")), 2);
    json_decref(shown);
    ronda_record_view_free(&rv);
    ronda_record_view_free(&rv);
    uint8_t none[32];
    memset(none, 0x5a, sizeof none);
    assert_err(ronda_store_record_view(w->s, none, &rv), RONDA_ERR_NOT_FOUND);
    ronda_query q;
    memset(&q, 0, sizeof q);
    q.status = "referred";
    json_t *qrows = fx_query(w->s, &q);
    assert_int_equal(json_array_size(qrows), 2);
    json_decref(qrows);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 2);
    fx_key_make(&M2, 3);
    fx_key_make(&HQ, 4);
    fx_key_make(&AUD, 5);
    fx_key_make(&X, 6);
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_append_and_ingest),
        T(test_duplicate_fork_gap_chain),
        T(test_fork_bounded_and_frozen),
        T(test_membership_and_roles),
        T(test_revoked),
        T(test_revocation_converges),
        T(test_redacted_refused),
        T(test_typed_body),
        T(test_report_typed),
        T(test_references),
        T(test_triggers),
        T(test_order_independence),
        T(test_rebuild),
        T(test_verify),
        T(test_query_filters),
        T(test_amended_query),
        T(test_wal_bounded),
        T(test_search_batched),
        T(test_report_rows_amend),
        T(test_views_upgrade),
        T(test_future_refused_then_accepted),
        T(test_append_capped),
        T(test_clock_offset_meta),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
