/* The store (proto/record.md §3, §5, §6): chain, fork, roster and reference checks, triggers, rebuild, verify, queries.
 */
#include "fixtures.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static fx_key M1, M2, HQ, AUD, X;
#define MS(n) (FX_T0 + FX_DAY + (n)*1000ull)

static void expect_ingest(ronda_store *s, const uint8_t *b, size_t len, ronda_err want, ronda_outcome want_o) {
    ronda_outcome o = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_store_ingest(s, b, len, &o, &d);
    if (e != want) fail_msg("ingest: got %s (%s), want %s", ronda_errname(e), d.text, ronda_errname(want));
    if (e == RONDA_OK) assert_int_equal(o, want_o);
}

static uint8_t *dbody(const char *polres, const char *polsek, const char *date, const char *cat, const char *summary,
                      size_t *len) {
    return fx_body(RONDA_KIND_DIALOGUE, fx_dialogue_json(polres, polsek, date, cat, summary), len);
}

static uint8_t *member_body(const fx_key *k, const char *role, uint64_t from, uint64_t until, size_t *len) {
    return fx_body(RONDA_KIND_MEMBER, fx_member_json(k, role, "Polsek", from, until), len);
}

static uint8_t *revoke_body(const fx_key *k, uint64_t last_seq, const uint8_t *last_id, size_t *len) {
    char hex[65];
    fx_hex(k->pk, 32, hex);
    json_t *j = json_pack("{s:s, s:s, s:I}", "member", hex, "reason", "Kunci dicuri", "last_seq", (json_int_t)last_seq);
    if (last_id) {
        fx_hex(last_id, 32, hex);
        json_object_set_new(j, "last_id", json_string(hex));
    }
    return fx_body(RONDA_KIND_REVOKE, j, len);
}

/* A record sealed in chain c with a JSON body (decref'd) at MS(ms). */
static uint8_t *next(fx_chain *c, ronda_kind kind, json_t *j, uint64_t ms, size_t *len, uint8_t *id) {
    size_t blen;
    uint8_t *body = fx_body(kind, j, &blen);
    uint8_t *r = fx_next(c, kind, body, blen, MS(ms), len, id);
    free(body);
    return r;
}

/* A small ledger: the authority admits M1 and M2; M1 holds D1 (2 topics) and D2; M2 resolves
 * D1's topics and holds D3; M1 later reopens D1 topic 0. Records in one causal order. */
typedef struct ledger {
    uint8_t *rec[8];
    size_t len[8];
    uint8_t d1[32], d2[32], d3[32];
    fx_chain ca, c1, c2;
} ledger;

static void build(fx_world *w, ledger *L) {
    L->ca = (fx_chain){&w->authority, 0, {0}};
    L->c1 = (fx_chain){&M1, 0, {0}};
    L->c2 = (fx_chain){&M2, 0, {0}};
    size_t b;
    uint8_t *body = member_body(&M1, "precinct", FX_T0, FX_T0 + FX_YEAR, &b);
    L->rec[0] = fx_next(&L->ca, RONDA_KIND_MEMBER, body, b, MS(1), &L->len[0], NULL);
    free(body);
    body = member_body(&M2, "precinct", FX_T0, FX_T0 + FX_YEAR, &b);
    L->rec[1] = fx_next(&L->ca, RONDA_KIND_MEMBER, body, b, MS(2), &L->len[1], NULL);
    free(body);
    json_t *j = fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar di jalan raya");
    fx_topic(j, "unrest", "Tawuran pemuda antar desa");
    L->rec[2] = next(&L->c1, RONDA_KIND_DIALOGUE, j, 10, &L->len[2], L->d1);
    j = fx_dialogue_json("Tulungagung", "Ngunut", "2026-02-05", "social_problem", "Peredaran miras oplosan");
    L->rec[3] = next(&L->c1, RONDA_KIND_DIALOGUE, j, 11, &L->len[3], L->d2);
    j = fx_resolution_json(L->d1, 0, "resolved", NULL, "Patroli rutin di jalan raya");
    L->rec[4] = next(&L->c2, RONDA_KIND_RESOLUTION, j, 20, &L->len[4], NULL);
    j = fx_resolution_json(L->d1, 1, "referred", "Karang Taruna", "Mediasi kedua kelompok");
    L->rec[5] = next(&L->c2, RONDA_KIND_RESOLUTION, j, 21, &L->len[5], NULL);
    j = fx_dialogue_json("Trenggalek", "Watulimo", "2026-03-01", "vulnerable_area", "Pencurian ternak di malam hari");
    L->rec[6] = next(&L->c2, RONDA_KIND_DIALOGUE, j, 22, &L->len[6], L->d3);
    j = fx_resolution_json(L->d1, 0, "in_progress", NULL, "Balap liar kambuh lagi");
    L->rec[7] = next(&L->c1, RONDA_KIND_RESOLUTION, j, 30, &L->len[7], NULL);
}

static void load(ronda_store *s, const ledger *L, const int *order) {
    for (int i = 0; i < 8; i++) expect_ingest(s, L->rec[order[i]], L->len[order[i]], RONDA_OK, RONDA_STORED);
}

static void drop(ledger *L) {
    for (int i = 0; i < 8; i++) free(L->rec[i]);
}

static const int in_order[8] = {0, 1, 2, 3, 4, 5, 6, 7};

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

/* ronda_store_range callback: a copy of the one record asked for. */
static int grab(void *ctx, const uint8_t *rec, size_t n) {
    blob *g = ctx;
    g->p = malloc(n);
    memcpy(g->p, rec, n);
    g->n = n;
    return 0;
}

static void test_append_and_ingest(void **state) {
    fx_world *w = *state;
    uint8_t mid[32], did[32], head[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, mid);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Balap liar"), did));
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
            blob got = {NULL, 0};
            assert_ok(ronda_store_range(w->s, authors[a], 1, 1, 1 << 20, grab, &got));
            expect_ingest(b, got.p, got.n, RONDA_OK, pass ? RONDA_DUPLICATE : RONDA_STORED);
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

static void test_duplicate_fork_gap_chain(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}}, fork = c;
    size_t l1, l2, l3, lf, lx;
    uint8_t id1[32];
    uint8_t *r1 = next(&c, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "traffic", "x"), 1, &l1, id1);
    fx_chain at1 = c;
    uint8_t *r2 = next(&c, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-11", "traffic", "y"), 2, &l2, NULL);
    uint8_t *r3 = next(&c, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-12", "traffic", "z"), 3, &l3, NULL);
    uint8_t *rf =
        next(&fork, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "unrest", "w"), 1, &lf, NULL);
    expect_ingest(w->s, r3, l3, RONDA_ERR_GAP, 0); /* seq 3 before 1 and 2 */
    expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    ronda_stats before = fx_stats(w->s), after;
    expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_DUPLICATE);
    after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    expect_ingest(w->s, r3, l3, RONDA_ERR_GAP, 0); /* seq 3 before 2 */
    /* seq 2 whose prev is not seq 1's id, and one whose hlc does not follow seq 1's */
    uint8_t bogus[32];
    memset(bogus, 0x99, 32);
    size_t blen;
    uint8_t *body = dbody("A", "B", "2026-01-11", "traffic", "q", &blen), *bad;
    assert_ok(ronda_record_seal(M1.sk, 2, bogus, MS(5) << 16, RONDA_KIND_DIALOGUE, body, blen, &bad, &lx));
    expect_ingest(w->s, bad, lx, RONDA_ERR_CHAIN, 0);
    free(bad);
    assert_ok(ronda_record_seal(M1.sk, 2, at1.prev, MS(1) << 16, RONDA_KIND_DIALOGUE, body, blen, &bad, &lx));
    expect_ingest(w->s, bad, lx, RONDA_ERR_CHAIN, 0);
    free(bad);
    free(body);
    /* A second valid record for seq 1 is fork evidence, kept apart from the ledger. */
    before = fx_stats(w->s);
    expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_FORK);
    after = fx_stats(w->s);
    assert_int_equal(after.forks, 1);
    assert_int_equal(after.records, before.records);
    assert_memory_equal(after.digest, before.digest, 32);
    expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_DUPLICATE);
    assert_int_equal(fx_stats(w->s).forks, 1);
    expect_ingest(w->s, r2, l2, RONDA_OK, RONDA_STORED);
    expect_ingest(w->s, r3, l3, RONDA_OK, RONDA_STORED);
    assert_int_equal(fx_stats(w->s).records, 4);
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.forks, 1);
    assert_int_equal(sum.findings, 1); /* the fork, reported */
    free(r1);
    free(r2);
    free(r3);
    free(rf);
}

static void test_membership_and_roles(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0 + FX_DAY, FX_T0 + 2 * FX_DAY, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &AUD, "auditor", FX_T0, FX_T0 + FX_YEAR, NULL);
    json_t *(*d)(const char *, const char *, const char *, const char *, const char *) = fx_dialogue_json;
    ronda_stats before = fx_stats(w->s);
    assert_err(fx_append(w, &X, RONDA_KIND_DIALOGUE, d("A", "B", "2026-01-10", "other", "x"), NULL),
               RONDA_ERR_NOT_MEMBER);
    assert_err(fx_append(w, &w->authority, RONDA_KIND_DIALOGUE, d("A", "B", "2026-01-10", "other", "x"), NULL),
               RONDA_ERR_ROLE);
    assert_err(fx_append(w, &AUD, RONDA_KIND_DIALOGUE, d("A", "B", "2026-01-10", "other", "x"), NULL), RONDA_ERR_ROLE);
    assert_err(fx_append(w, &HQ, RONDA_KIND_MEMBER, fx_member_json(&X, "hq", "X", FX_T0, FX_T0 + 1), NULL),
               RONDA_ERR_ROLE);
    size_t rl;
    uint8_t *rb = revoke_body(&HQ, 0, NULL, &rl);
    assert_err(ronda_store_append(w->s, HQ.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL), RONDA_ERR_ROLE);
    free(rb);
    ronda_stats after = fx_stats(w->s);
    fx_assert_stats_equal(&before, &after);
    assert_ok(fx_append(w, &HQ, RONDA_KIND_DIALOGUE, d("A", "B", "2026-01-10", "other", "x"), NULL));
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
        uint8_t *body = dbody("A", "B", "2026-01-10", "other", "x", &blen);
        uint8_t *r = fx_next(&t, RONDA_KIND_DIALOGUE, body, blen, v[i].ms, &len, NULL);
        expect_ingest(w->s, r, len, v[i].want, RONDA_STORED);
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
        r[i] = next(&c, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "x"), (uint64_t)i, &l[i],
                    i == 2 ? id2 : NULL);
    expect_ingest(w->s, r[1], l[1], RONDA_OK, RONDA_STORED);
    expect_ingest(w->s, r[2], l[2], RONDA_OK, RONDA_STORED);
    size_t rl;
    uint8_t *rb = revoke_body(&M1, 2, id2, &rl);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL));
    free(rb);
    expect_ingest(w->s, r[3], l[3], RONDA_ERR_REVOKED, 0);
    expect_ingest(w->s, r[4], l[4], RONDA_ERR_REVOKED, 0);
    assert_err(fx_append(w, &M1, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "x"), NULL),
               RONDA_ERR_REVOKED);
    /* Revoked with last_seq 0: nothing of M2's is accepted. */
    rb = revoke_body(&M2, 0, NULL, &rl);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL));
    free(rb);
    size_t l2;
    uint8_t *m2 = next(&c2, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "x"), 9, &l2, NULL);
    expect_ingest(w->s, m2, l2, RONDA_ERR_REVOKED, 0);
    ronda_stats st = fx_stats(w->s);
    assert_int_equal(st.revoked, 2);
    assert_int_equal(st.records, 2 + 2 + 2);
    json_t *m = NULL;
    assert_ok(ronda_store_member(w->s, M1.pk, &m));
    assert_true(json_is_true(json_object_get(m, "revoked")));
    json_decref(m);
    /* A second store learning of the revocation first still takes seqs 1 and 2 of M1. */
    ronda_store *b = fx_store(w->dir, "b.db", &w->authority);
    for (uint64_t seq = 1; seq <= 4; seq++) {
        blob g = {NULL, 0};
        assert_ok(ronda_store_range(w->s, w->authority.pk, seq, 1, 1 << 20, grab, &g));
        expect_ingest(b, g.p, g.n, RONDA_OK, RONDA_STORED);
        free(g.p);
    }
    expect_ingest(b, r[1], l[1], RONDA_OK, RONDA_STORED);
    expect_ingest(b, r[2], l[2], RONDA_OK, RONDA_STORED);
    expect_ingest(b, r[3], l[3], RONDA_ERR_REVOKED, 0);
    ronda_store_close(&b);
    for (int i = 1; i <= 4; i++) free(r[i]);
    free(m2);
}

/* A record already held stays a duplicate even after a later revocation would refuse it. */
static void test_duplicate_after_revocation(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}};
    uint8_t *r[4], id2[32];
    size_t l[4];
    for (int i = 1; i <= 3; i++) {
        r[i] = next(&c, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "x"), (uint64_t)i, &l[i],
                    i == 2 ? id2 : NULL);
        expect_ingest(w->s, r[i], l[i], RONDA_OK, RONDA_STORED);
    }
    size_t rl;
    uint8_t *rb = revoke_body(&M1, 2, id2, &rl);
    assert_ok(ronda_store_append(w->s, w->authority.sk, RONDA_KIND_REVOKE, rb, rl, fx_now(w), NULL, NULL));
    free(rb);
    for (int i = 1; i <= 3; i++) {
        expect_ingest(w->s, r[i], l[i], RONDA_OK, RONDA_DUPLICATE);
        free(r[i]);
    }
}

static void test_references(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint8_t d1[32], e1[32], unknown[32];
    memset(unknown, 0x77, 32);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "x"), d1));
    assert_ok(fx_append(w, &M2, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "C", "2026-01-10", "other", "y"), e1));
    char hex[65];
    const uint8_t *targets[4] = {e1, unknown, d1, d1};
    const char *kinds[4] = {"dialogue", "dialogue", "resolution", "dialogue"};
    const ronda_err want[4] = {RONDA_ERR_REFERENCE, RONDA_ERR_REFERENCE, RONDA_ERR_REFERENCE, RONDA_OK};
    for (int i = 0; i < 4; i++) {
        fx_hex(targets[i], 32, hex);
        json_t *inner = strcmp(kinds[i], "dialogue") == 0 ? fx_dialogue_json("A", "B", "2026-01-11", "other", "x")
                                                          : fx_resolution_json(d1, 0, "resolved", NULL, "ok");
        json_t *am =
            json_pack("{s:o, s:s, s:s, s:s}", "body", inner, "kind", kinds[i], "reason", "Koreksi", "target", hex);
        assert_err(fx_append(w, &M1, RONDA_KIND_AMEND, am, NULL), want[i]);
    }
    /* A resolution's topic must exist when its dialogue is held; an unknown dialogue may arrive later. */
    assert_err(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 1, "resolved", NULL, "x"), NULL),
               RONDA_ERR_REFERENCE);
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 0, "resolved", NULL, "x"), NULL));
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(unknown, 5, "resolved", NULL, "x"), NULL));
}

static void test_triggers(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    load(w->s, &L, in_order);
    size_t lf; /* fork evidence too */
    fx_chain f = {&M2, 0, {0}};
    uint8_t *rf = next(&f, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-10", "other", "f"), 40, &lf, NULL);
    expect_ingest(w->s, rf, lf, RONDA_OK, RONDA_FORK);
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
    drop(&L);
}

static void test_order_independence(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    static const int orders[3][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 4, 5, 6, 2, 3, 7}, {0, 2, 3, 7, 1, 4, 5, 6}};
    ronda_stats st[3];
    json_t *rows[3];
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "o%d.db", k);
        ronda_store *s = fx_store(w->dir, name, &w->authority);
        load(s, &L, orders[k]);
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
    drop(&L);
}

static void test_rebuild(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    load(w->s, &L, in_order);
    size_t blen, len, rlen; /* plus an amend, a redacted record and a revocation */
    char hex[65];
    fx_hex(L.d1, 32, hex);
    json_t *am = json_pack("{s:o, s:s, s:s, s:s}", "body",
                           fx_dialogue_json("Trenggalek", "Karangan", "2026-01-10", "criticism", "Kritik pelayanan"),
                           "kind", "dialogue", "reason", "Salah Polsek", "target", hex);
    uint8_t *r = next(&L.c1, RONDA_KIND_AMEND, am, 50, &len, NULL);
    expect_ingest(w->s, r, len, RONDA_OK, RONDA_STORED);
    free(r);
    uint8_t *body = dbody("A", "B", "2026-01-12", "other", "rahasia", &blen);
    r = fx_next(&L.c1, RONDA_KIND_DIALOGUE, body, blen, MS(51), &len, NULL);
    ronda_record rec;
    assert_ok(ronda_record_open(r, len, &rec, NULL));
    rec.body = NULL;
    uint8_t *red;
    assert_ok(ronda_record_encode(&rec, &red, &rlen));
    expect_ingest(w->s, red, rlen, RONDA_OK, RONDA_STORED);
    free(red);
    free(r);
    free(body);
    body = revoke_body(&M2, 3, L.c2.prev, &blen);
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
    assert_int_equal(before.records, 11);
    /* and a store that keeps working after it */
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE, fx_dialogue_json("A", "B", "2026-01-13", "other", "x"), NULL));
    json_decref(rows);
    json_decref(rows2);
    json_decref(show);
    json_decref(show2);
    drop(&L);
}

typedef struct found {
    int n, store, record;
    ronda_err err;
    uint8_t id[32];
} found;

static void on_finding(void *ctx, const ronda_finding *f) {
    found *x = ctx;
    x->n++;
    if (strcmp(f->what, "store") == 0) x->store++;
    if (strcmp(f->what, "record") == 0) {
        x->record++;
        x->err = f->err;
        memcpy(x->id, f->id, 32);
    }
}

static void test_verify(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    load(w->s, &L, in_order);
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
        char sql[128];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT %s FROM records WHERE id = ?1", cols[c]);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_blob(st, 1, L.d3, 32, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        uint8_t *b = malloc(n);
        memcpy(b, sqlite3_column_blob(st, 0), n);
        sqlite3_finalize(st);
        size_t at = c == 1 ? n - 1 : n / 2; /* the envelope's last byte is inside body_hash */
        b[at] ^= 0x01;
        snprintf(sql, sizeof sql, "UPDATE records SET %s = ?2 WHERE id = ?1", cols[c]);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_blob(st, 1, L.d3, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, b, (int)n, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        assert_ok(ronda_store_open(w->path, NULL, &w->s));
        memset(&x, 0, sizeof x);
        assert_ok(ronda_store_verify(w->s, 1, on_finding, &x, &sum));
        ronda_store_close(&w->s);
        assert_int_equal(x.store, 1); /* the missing trigger */
        assert_int_equal(x.record, 1);
        assert_int_equal(x.n, 2);
        assert_int_equal(sum.findings, 2);
        assert_err(x.err, want[c]);
        assert_memory_equal(x.id, L.d3, 32);
        b[at] ^= 0x01; /* restore for the next column */
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_blob(st, 1, L.d3, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, b, (int)n, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        free(b);
    }
    sqlite3_close(db);
    assert_ok(ronda_store_open(w->path, NULL, &w->s));
    drop(&L);
}

static size_t count_q(ronda_store *s, ronda_query q) {
    json_t *rows = fx_query(s, &q);
    size_t n = json_array_size(rows);
    json_decref(rows);
    return n;
}

static void test_query_filters(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    load(w->s, &L, in_order);
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
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Trenggalek"}), 3);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "trenggalek"}), 3);
    assert_int_equal(count_q(w->s, (ronda_query){.polsek = "Ngunut"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Madiun"}), 0);
    assert_int_equal(count_q(w->s, (ronda_query){.category = "traffic"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "open"}), 2);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "referred"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.status = "resolved"}), 0); /* superseded by a later one */
    assert_int_equal(count_q(w->s, (ronda_query){.status = "in_progress"}), 1);
    assert_int_equal(count_q(w->s, (ronda_query){.polres = "Trenggalek", .status = "open"}), 1);
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
    drop(&L);
}

static void test_amended_query(void **state) {
    fx_world *w = *state;
    ledger L;
    build(w, &L);
    load(w->s, &L, in_order);
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
    drop(&L);
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
        T(test_membership_and_roles),
        T(test_revoked),
        T(test_duplicate_after_revocation),
        T(test_references),
        T(test_triggers),
        T(test_order_independence),
        T(test_rebuild),
        T(test_verify),
        T(test_query_filters),
        T(test_amended_query),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
