/* Checkpoints and the audit (proto/record.md §4 checkpoint, §8): the schema's rules, who may
 * write one, order-independent ingest, withheld records and fork evidence from checkpoints,
 * checkpoints in parts, references, and the history of a dialogue. */
#include "fixtures.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static fx_key M1, M2, HQ, HQ2;

#define DIA RONDA_KIND_DIALOGUE
#define CKP RONDA_KIND_CHECKPOINT

/* Findings of one audit: their classes, space separated, and the count. */
typedef struct seen {
    char what[2048];
    unsigned n;
} seen;

static void on_finding(void *ctx, const ronda_finding *f) {
    seen *s = ctx;
    size_t l = strlen(s->what);
    snprintf(s->what + l, sizeof s->what - l, "%s ", f->what);
    s->n++;
}

static seen audit(ronda_store *s, ronda_audit_summary *sum_out) {
    seen got;
    memset(&got, 0, sizeof got);
    ronda_audit_summary sum;
    assert_ok(ronda_store_audit(s, 2, on_finding, NULL, &got, &sum));
    assert_int_equal(sum.findings, got.n);
    if (sum_out) *sum_out = sum;
    return got;
}

static json_t *entry(const uint8_t author[32], uint64_t seq, const uint8_t head[32]) {
    char a[65], h[65];
    ronda_hex(author, 32, a);
    ronda_hex(head, 32, h);
    return json_pack("{s:s, s:I, s:s}", "author", a, "seq", (json_int_t)seq, "head", h);
}

static json_t *checkpoint_json(json_t *frontier, unsigned part, unsigned parts) {
    uint8_t digest[32] = {0};
    char d[65];
    ronda_hex(digest, 32, d);
    return json_pack("{s:i, s:i, s:s, s:i, s:o}", "part", part, "parts", parts, "digest", d, "records", 1, "frontier",
                     frontier);
}

static void test_schema(void **state) {
    (void)state;
    uint8_t a[32], b[32], h[32];
    memset(a, 0x11, 32);
    memset(b, 0x22, 32);
    memset(h, 0x33, 32);
    uint8_t *out;
    size_t len;
    ronda_detail d;
    json_t *ok = checkpoint_json(json_pack("[o, o]", entry(a, 1, h), entry(b, 7, h)), 0, 1);
    assert_ok(ronda_body_from_json(CKP, ok, &out, &len, &d));
    json_t *back = NULL;
    assert_ok(ronda_body_to_json(CKP, out, len, &back, &d));
    assert_true(json_equal(back, ok));
    json_decref(back);
    free(out);
    json_decref(ok);

    struct {
        json_t *body;
        ronda_err want;
        const char *why;
    } bad[] = {
        {checkpoint_json(json_pack("[o, o]", entry(b, 1, h), entry(a, 1, h)), 0, 1), RONDA_ERR_SCHEMA, "ascend"},
        {checkpoint_json(json_pack("[o, o]", entry(a, 1, h), entry(a, 2, h)), 0, 1), RONDA_ERR_SCHEMA, "ascend"},
        {checkpoint_json(json_pack("[o]", entry(a, 1, h)), 1, 1), RONDA_ERR_SCHEMA, "part must be below parts"},
        {checkpoint_json(json_pack("[o]", entry(a, 1, h)), 0, 0), RONDA_ERR_SCHEMA, "out of range"},
        {checkpoint_json(json_pack("[o]", entry(a, 1, h)), 0, RONDA_CHECKPOINT_PARTS_MAX + 1), RONDA_ERR_SCHEMA,
         "out of range"},
        {checkpoint_json(json_pack("[o]", entry(a, 0, h)), 0, 1), RONDA_ERR_SCHEMA, "out of range"},
        {checkpoint_json(json_array(), 0, 1), RONDA_ERR_SCHEMA, "too few"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&d, 0, sizeof d);
        assert_err(ronda_body_from_json(CKP, bad[i].body, &out, &len, &d), bad[i].want);
        if (!strstr(d.text, bad[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.text, bad[i].why);
        json_decref(bad[i].body);
    }
    /* More entries than RONDA_CHECKPOINT_AUTHORS_MAX: refused by the decoder (crafted bytes). */
    json_t *many = json_array();
    for (unsigned i = 0; i <= RONDA_CHECKPOINT_AUTHORS_MAX; i++) {
        uint8_t k[32];
        memset(k, 0, 32);
        k[0] = (uint8_t)(i >> 8);
        k[1] = (uint8_t)i;
        json_array_append_new(many, entry(k, 1, h));
    }
    json_t *big = checkpoint_json(many, 0, 1);
    memset(&d, 0, sizeof d);
    assert_err(ronda_body_from_json(CKP, big, &out, &len, &d), RONDA_ERR_TOO_BIG);
    assert_non_null(strstr(d.text, "RONDA_CHECKPOINT_AUTHORS_MAX"));
    json_decref(big);
}

static void test_roles(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(
        fx_append(w, &M1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Jalan"), NULL));
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    assert_err(ronda_store_checkpoint(w->s, M1.sk, fx_now(w), id, &parts, &d), RONDA_ERR_ROLE);
    assert_non_null(strstr(d.text, "hq"));
    assert_int_equal(fx_stats(w->s).records, 3); /* nothing stored */
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    assert_int_equal(parts, 1);
    json_t *show = NULL;
    assert_ok(ronda_store_show(w->s, id, &show));
    json_t *body = json_object_get(show, "body");
    assert_string_equal(json_string_value(json_object_get(show, "kind")), "checkpoint");
    assert_int_equal(json_array_size(json_object_get(body, "frontier")), 2); /* authority, M1 */
    assert_int_equal(json_integer_value(json_object_get(body, "records")), 3);
    /* The digest it signs is the ledger digest of its frontier: the one before it was written. */
    ronda_stats st = fx_stats(w->s);
    char dh[65];
    ronda_hex(st.digest, 32, dh);
    assert_string_not_equal(json_string_value(json_object_get(body, "digest")), dh);
    json_decref(show);
    ronda_audit_summary sum;
    seen got = audit(w->s, &sum);
    assert_int_equal(got.n, 0);
    assert_int_equal(sum.checkpoints, 1);
    assert_int_equal(sum.claims, 2);
    assert_int_equal(sum.claims_held, 2);
    /* A second checkpoint names the first one (HQ's own chain) too. */
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    got = audit(w->s, &sum);
    assert_int_equal(got.n, 0);
    assert_int_equal(sum.claims, 5);
}

/* A checkpoint sealed elsewhere arrives before the records it names: it is stored; the
 * audit reports them withheld until they arrive. A claim with another id is a fork. */
static void test_order_and_claims(void **state) {
    fx_world *w = *state;
    uint8_t m1_member[32], hq_member[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, m1_member);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, hq_member);
    fx_admit(w, &HQ2, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c1 = {&M1, 0, {0}}, ch = {&HQ, 0, {0}}, ch2 = {&HQ2, 0, {0}};
    uint8_t d1[32], d2[32];
    size_t l1, l2, lc, lc2;
    uint8_t *r1 =
        fx_next_json(&c1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "A"), 1, &l1, d1);
    uint8_t *r2 =
        fx_next_json(&c1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-11", "traffic", "B"), 2, &l2, d2);
    uint8_t *ck = fx_next_json(&ch, CKP, checkpoint_json(json_pack("[o]", entry(M1.pk, 2, d2)), 0, 1), 3, &lc, NULL);
    /* HQ2 claims another record for M1's seq 2: a second history. */
    uint8_t *ck2 = fx_next_json(&ch2, CKP, checkpoint_json(json_pack("[o]", entry(M1.pk, 2, d1)), 0, 1), 4, &lc2, NULL);
    fx_expect_ingest(w->s, ck, lc, RONDA_OK, RONDA_STORED);
    seen got = audit(w->s, NULL);
    /* withheld M1 seq 2; and the checkpoint's own digest/records do not match its frontier */
    assert_non_null(strstr(got.what, "withheld"));
    assert_non_null(strstr(got.what, "checkpoint"));
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, r2, l2, RONDA_OK, RONDA_STORED);
    got = audit(w->s, NULL);
    assert_null(strstr(got.what, "withheld"));
    assert_null(strstr(got.what, "fork"));
    fx_expect_ingest(w->s, ck2, lc2, RONDA_OK, RONDA_STORED);
    got = audit(w->s, NULL);
    assert_non_null(strstr(got.what, "fork"));
    free(r1);
    free(r2);
    free(ck);
    free(ck2);
    (void)m1_member;
    (void)hq_member;
}

/* A checkpoint whose second part is missing, and a second part without its first: each is
 * reported once; their claims are still checked. */
static void test_incomplete_parts(void **state) {
    fx_world *w = *state;
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ2, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    uint64_t seq;
    uint8_t head[32];
    assert_ok(ronda_store_head(w->s, w->authority.pk, &seq, head));
    fx_chain ch = {&HQ, 0, {0}}, ch2 = {&HQ2, 0, {0}};
    size_t l1, l2;
    uint8_t *p0 = fx_next_json(&ch, CKP, checkpoint_json(json_pack("[o]", entry(w->authority.pk, seq, head)), 0, 2), 1,
                               &l1, NULL);
    uint8_t *p1 = fx_next_json(&ch2, CKP, checkpoint_json(json_pack("[o]", entry(w->authority.pk, seq, head)), 1, 2), 2,
                               &l2, NULL);
    fx_expect_ingest(w->s, p0, l1, RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, p1, l2, RONDA_OK, RONDA_STORED);
    ronda_audit_summary sum;
    seen got = audit(w->s, &sum);
    assert_string_equal(got.what, "checkpoint checkpoint ");
    assert_int_equal(sum.claims_held, 2);
    free(p0);
    free(p1);
}

/* A precinct's checkpoint sealed elsewhere is refused at ingest. */
static void test_precinct_checkpoint_refused(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c1 = {&M1, 0, {0}};
    uint8_t h[32] = {1};
    size_t l;
    uint8_t *r = fx_next_json(&c1, CKP, checkpoint_json(json_pack("[o]", entry(M1.pk, 1, h)), 0, 1), 1, &l, NULL);
    fx_expect_ingest(w->s, r, l, RONDA_ERR_ROLE, 0);
    free(r);
}

/* More authors than one part holds: the checkpoint is written as consecutive parts, and the
 * audit assembles them (digest and record count over all parts). */
static void test_parts(void **state) {
    fx_world *w = *state;
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    const unsigned n = RONDA_CHECKPOINT_AUTHORS_MAX + 10;
    assert_ok(ronda_store_begin(w->s));
    for (unsigned i = 0; i < n; i++) {
        fx_key k;
        uint8_t seed[32] = {0};
        seed[0] = 0xa0;
        seed[1] = (uint8_t)(i >> 8);
        seed[2] = (uint8_t)i;
        crypto_sign_seed_keypair(k.pk, k.sk, seed);
        fx_admit(w, &k, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
        assert_ok(fx_append(w, &k, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-12", "other", "C"), NULL));
    }
    assert_ok(ronda_store_commit(w->s));
    uint8_t id[32];
    unsigned parts = 0;
    ronda_detail d = {{0}};
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), id, &parts, &d));
    assert_int_equal(parts, 2);
    ronda_audit_summary sum;
    seen got = audit(w->s, &sum);
    if (got.n) fail_msg("findings: %s", got.what);
    assert_int_equal(sum.checkpoints, 2);
    assert_int_equal(sum.claims, n + 1); /* every precinct and the authority */
    assert_int_equal(sum.claims_held, n + 1);
}

/* References: a resolution of a dialogue the ledger does not hold, or of a topic it lacks. */
static void test_references(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c1 = {&M1, 0, {0}};
    uint8_t d1[32];
    size_t l1;
    uint8_t *r1 =
        fx_next_json(&c1, DIA, fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "A"), 1, &l1, d1);
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 0, "resolved", NULL, "Selesai"), NULL));
    seen got = audit(w->s, NULL);
    assert_string_equal(got.what, "reference ");
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    got = audit(w->s, NULL);
    assert_int_equal(got.n, 0);
    assert_ok(fx_append(w, &M2, RONDA_KIND_RESOLUTION, fx_resolution_json(d1, 5, "resolved", NULL, "Topik 5"), NULL));
    got = audit(w->s, NULL);
    assert_string_equal(got.what, "reference ");
    /* history from the resolution finds the dialogue and both resolutions */
    json_t *h = NULL;
    assert_ok(ronda_store_history(w->s, d1, &h));
    assert_int_equal(json_array_size(json_object_get(h, "events")), 3);
    assert_true(json_is_true(json_object_get(h, "verified")));
    json_decref(h);
    uint8_t none[32] = {7};
    assert_err(ronda_store_history(w->s, none, &h), RONDA_ERR_NOT_FOUND);
    free(r1);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x51);
    fx_key_make(&M2, 0x52);
    fx_key_make(&HQ, 0x53);
    fx_key_make(&HQ2, 0x54);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test_setup_teardown(test_roles, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_and_claims, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_precinct_checkpoint_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_parts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_parts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_references, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
