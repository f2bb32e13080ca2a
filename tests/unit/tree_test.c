/* unit_tree: RFC 6962 Merkle trees (src/record/tree.c).
 *
 * Roots against the published values of the Certificate Transparency reference tests
 * (the eight leaves "", 00, 10, 2021, 3031, 40..43, 50..57, 60..6f); the compact range
 * against the recursive root for every size; every inclusion proof of every leaf and every
 * consistency proof between every pair of sizes up to 64 made and verified, and each refused
 * once a bit of it, the index, a size or a root is changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "fixtures.h"
#include "ronda/ronda.h"

static const char *const ct_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_leaves(ronda_tree_hash out[8]) {
    static const uint8_t d[] = {0x00, 0x10, 0x20, 0x21, 0x30, 0x31, 0x40, 0x41, 0x42, 0x43, 0x50, 0x51,
                                0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65,
                                0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f};
    static const size_t at[8] = {0, 0, 1, 2, 4, 6, 10, 18}, len[8] = {0, 1, 1, 2, 2, 4, 8, 16};
    for (int i = 0; i < 8; i++) ronda_tree_leaf_hash(d + at[i], len[i], &out[i]);
}

static void test_known_roots(void **state) {
    (void)state;
    ronda_tree_hash leaves[8], root;
    char hex[65];
    ct_leaves(leaves);
    ronda_tree_root(leaves, 0, &root);
    ronda_hex(root.b, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ronda_tree_range r;
    ronda_tree_range_init(&r);
    ronda_tree_range_root(&r, &root);
    ronda_hex(root.b, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (int n = 1; n <= 8; n++) {
        ronda_tree_root(leaves, (uint64_t)n, &root);
        ronda_hex(root.b, 32, hex);
        assert_string_equal(hex, ct_roots[n - 1]);
        assert_int_equal(ronda_tree_range_append(&r, &leaves[n - 1]), RONDA_OK);
        ronda_tree_range_root(&r, &root);
        ronda_hex(root.b, 32, hex);
        assert_string_equal(hex, ct_roots[n - 1]);
    }
}

#define N 64

/* A path of size n checked as one of size s against the root of s: it may pass only when it
 * is the very path of size s too (the path's shape alone cannot tell some sizes apart; the
 * root does). */
static void other_size_fails(const ronda_tree_hash *leaves, uint64_t i, uint64_t s, const ronda_tree_hash *path,
                             unsigned len) {
    ronda_tree_hash root, p2[RONDA_TREE_PROOF_MAX];
    unsigned l2;
    ronda_tree_root(leaves, s, &root);
    assert_int_equal(ronda_tree_inclusion_proof(leaves, s, i, p2, &l2), RONDA_OK);
    if (l2 == len && memcmp(p2, path, len * sizeof *path) == 0) return;
    assert_false(ronda_tree_inclusion_verify(&leaves[i], i, s, path, len, &root));
}

static void other_new_size_fails(const ronda_tree_hash *leaves, uint64_t m, uint64_t s, const ronda_tree_hash *r_m,
                                 const ronda_tree_hash *path, unsigned len) {
    ronda_tree_hash root, p2[RONDA_TREE_PROOF_MAX];
    unsigned l2;
    ronda_tree_root(leaves, s, &root);
    assert_int_equal(ronda_tree_consistency_proof(leaves, s, m, p2, &l2), RONDA_OK);
    if (l2 == len && memcmp(p2, path, len * sizeof *path) == 0) return;
    assert_false(ronda_tree_consistency_verify(m, s, r_m, &root, path, len));
}

static void make_leaves(ronda_tree_hash leaves[N + 1]) {
    for (int i = 0; i <= N; i++) {
        uint8_t id[32];
        memset(id, 0, sizeof id);
        id[0] = (uint8_t)i;
        id[31] = 0xa5;
        ronda_tree_leaf_hash(id, sizeof id, &leaves[i]);
    }
}

static void test_range_matches_root(void **state) {
    (void)state;
    ronda_tree_hash leaves[N + 1], a, b;
    make_leaves(leaves);
    ronda_tree_range r;
    ronda_tree_range_init(&r);
    for (uint64_t n = 1; n <= N; n++) {
        assert_int_equal(ronda_tree_range_append(&r, &leaves[n - 1]), RONDA_OK);
        assert_int_equal(r.size, n);
        ronda_tree_range_root(&r, &a);
        ronda_tree_root(leaves, n, &b);
        assert_memory_equal(a.b, b.b, 32);
    }
    r.size = RONDA_TREE_SIZE_MAX; /* the bound: refused, nothing changed */
    assert_int_equal(ronda_tree_range_append(&r, &leaves[0]), RONDA_ERR_TOO_BIG);
    assert_int_equal(r.size, RONDA_TREE_SIZE_MAX);
}

static void test_inclusion_all(void **state) {
    (void)state;
    ronda_tree_hash leaves[N + 1], root, path[RONDA_TREE_PROOF_MAX], bad[RONDA_TREE_PROOF_MAX];
    make_leaves(leaves);
    unsigned len;
    for (uint64_t n = 1; n <= N; n++) {
        ronda_tree_root(leaves, n, &root);
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(ronda_tree_inclusion_proof(leaves, n, i, path, &len), RONDA_OK);
            assert_true(ronda_tree_inclusion_verify(&leaves[i], i, n, path, len, &root));
            /* another leaf, index or size; a path one hash short or long; any flipped bit */
            assert_false(ronda_tree_inclusion_verify(&leaves[(i + 1) % N], i, n, path, len, &root));
            if (n > 1) assert_false(ronda_tree_inclusion_verify(&leaves[i], (i + 1) % n, n, path, len, &root));
            other_size_fails(leaves, i, n + 1, path, len);
            if (i < n - 1) other_size_fails(leaves, i, n - 1, path, len);
            if (len) assert_false(ronda_tree_inclusion_verify(&leaves[i], i, n, path, len - 1, &root));
            memcpy(bad, path, sizeof bad);
            memset(bad[len].b, 0, 32);
            assert_false(ronda_tree_inclusion_verify(&leaves[i], i, n, bad, len + 1, &root));
            for (unsigned j = 0; j < len; j++) {
                memcpy(bad, path, sizeof bad);
                bad[j].b[(i + j) % 32] ^= (uint8_t)(1u << (j % 8));
                assert_false(ronda_tree_inclusion_verify(&leaves[i], i, n, bad, len, &root));
            }
            ronda_tree_hash r2 = root;
            r2.b[5] ^= 0x10;
            assert_false(ronda_tree_inclusion_verify(&leaves[i], i, n, path, len, &r2));
        }
        assert_int_equal(ronda_tree_inclusion_proof(leaves, n, n, path, &len), RONDA_ERR_INVALID);
    }
    ronda_tree_hash l0 = leaves[0];
    assert_false(ronda_tree_inclusion_verify(&l0, 0, 0, path, 0, &root)); /* an empty tree holds nothing */
    assert_false(ronda_tree_inclusion_verify(&l0, 0, 1, path, RONDA_TREE_PROOF_MAX + 1, &root));
}

static void test_consistency_all(void **state) {
    (void)state;
    ronda_tree_hash leaves[N + 1], r_m, r_n, path[RONDA_TREE_PROOF_MAX], bad[RONDA_TREE_PROOF_MAX];
    make_leaves(leaves);
    unsigned len;
    for (uint64_t n = 1; n <= N; n++) {
        ronda_tree_root(leaves, n, &r_n);
        for (uint64_t m = 1; m <= n; m++) {
            ronda_tree_root(leaves, m, &r_m);
            assert_int_equal(ronda_tree_consistency_proof(leaves, n, m, path, &len), RONDA_OK);
            assert_true(ronda_tree_consistency_verify(m, n, &r_m, &r_n, path, len));
            if (m == n) {
                assert_int_equal(len, 0);
                continue;
            }
            /* other sizes, swapped roots, a hash short, any flipped bit */
            assert_false(ronda_tree_consistency_verify(m, n, &r_n, &r_m, path, len));
            if (m > 1) assert_false(ronda_tree_consistency_verify(m - 1, n, &r_m, &r_n, path, len));
            other_new_size_fails(leaves, m, n + 1, &r_m, path, len);
            assert_false(ronda_tree_consistency_verify(m, n, &r_m, &r_n, path, len - 1));
            for (unsigned j = 0; j < len; j++) {
                memcpy(bad, path, sizeof bad);
                bad[j].b[(m + j) % 32] ^= (uint8_t)(1u << (j % 8));
                assert_false(ronda_tree_consistency_verify(m, n, &r_m, &r_n, bad, len));
            }
            ronda_tree_hash other = r_m;
            other.b[0] ^= 1;
            assert_false(ronda_tree_consistency_verify(m, n, &other, &r_n, path, len));
        }
    }
    assert_int_equal(ronda_tree_consistency_proof(leaves, 4, 0, path, &len), RONDA_ERR_INVALID);
    assert_int_equal(ronda_tree_consistency_proof(leaves, 4, 5, path, &len), RONDA_ERR_INVALID);
    assert_false(ronda_tree_consistency_verify(0, 4, &r_m, &r_n, path, 0));
    assert_false(ronda_tree_consistency_verify(5, 4, &r_m, &r_n, path, 0));
}

/* ---- the writer's tree in a store (src/store/tlog.c, the checkpoint writer and the audit) */

static fx_key M1, HQ;

typedef struct tree_findings {
    int checkpoint, tree, total;
} tree_findings;

static void on_finding(void *ctx, const ronda_finding *f) {
    tree_findings *t = ctx;
    if (strcmp(f->what, "excluded") == 0) return;
    t->total++;
    if (strcmp(f->what, "checkpoint") == 0) t->checkpoint++;
    if (strstr(f->detail, "tree")) t->tree++;
}

static tree_findings audit(fx_world *w, ronda_audit_summary *sum) {
    tree_findings t = {0, 0, 0};
    assert_ok(ronda_store_audit(w->s, 1, on_finding, NULL, &t, sum));
    return t;
}

/* A checkpoint's size and root are the tree of proto/tree.md §3, computed here from the ids
 * in its order; a copy of it signed by the HQ (same frontier, so no new leaf) passes the audit
 * with the same root, and one with another root is a checkpoint finding. */
static void test_store_tree(void **state) {
    fx_world *w = *state;
    uint8_t m1_member[32], hq_member[32], dlg[32], cp[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, m1_member);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, hq_member);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Jalan"), dlg));
    unsigned parts = 0;
    ronda_detail d = {{0}};
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), cp, &parts, &d));
    /* epoch 1: the authority's two records, then M1's dialogue, in key order */
    ronda_tree_hash leaves[3], root;
    int auth_first = memcmp(w->authority.pk, M1.pk, 32) < 0;
    ronda_tree_leaf_hash(m1_member, 32, &leaves[auth_first ? 0 : 1]);
    ronda_tree_leaf_hash(hq_member, 32, &leaves[auth_first ? 1 : 2]);
    ronda_tree_leaf_hash(dlg, 32, &leaves[auth_first ? 2 : 0]);
    ronda_tree_root(leaves, 3, &root);
    json_t *shown = NULL;
    assert_ok(ronda_store_show(w->s, cp, &shown));
    json_t *body = json_object_get(shown, "body");
    char hex[65];
    ronda_hex(root.b, 32, hex);
    assert_int_equal(json_integer_value(json_object_get(body, "size")), 3);
    assert_string_equal(json_string_value(json_object_get(body, "root")), hex);
    ronda_audit_summary sum;
    tree_findings t = audit(w, &sum);
    assert_int_equal(t.total, 0);
    assert_int_equal(sum.roots, 1);

    /* the same checkpoint again, without its note signature: no new leaf, the same root holds */
    json_t *copy = json_deep_copy(body);
    json_object_del(copy, "note_sig");
    json_t *bad = json_deep_copy(copy);
    assert_ok(fx_append(w, &HQ, RONDA_KIND_CHECKPOINT, copy, NULL));
    t = audit(w, &sum);
    assert_int_equal(t.total, 0);
    assert_int_equal(sum.roots, 2);
    /* one with another root: its root is not the rebuilt tree's */
    root.b[7] ^= 0x40;
    ronda_hex(root.b, 32, hex);
    json_object_set_new(bad, "root", json_string(hex));
    assert_ok(fx_append(w, &HQ, RONDA_KIND_CHECKPOINT, bad, NULL));
    t = audit(w, &sum);
    assert_int_equal(t.total, 1);
    assert_int_equal(t.checkpoint, 1);
    assert_int_equal(t.tree, 1);
    assert_int_equal(sum.roots, 3);
    /* the next real checkpoint still extends the tree rebuilt from the records */
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), cp, &parts, &d));
    t = audit(w, &sum);
    assert_int_equal(t.total, 1);
    assert_int_equal(sum.roots, 4);
    json_decref(shown);
}

/* Proofs as data (ronda_proof): what the store proves verifies; its file's JSON reads back to
 * the same proof; a changed path, size, authority or record fails with its reason. */
static void test_proof_typed(void **state) {
    fx_world *w = *state;
    uint8_t dlg[32], dlg2[32], cp1[32], cp2[32];
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &HQ, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "Jalan"), dlg));
    unsigned parts = 0;
    ronda_detail d = {{0}};
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), cp1, &parts, &d));
    assert_ok(fx_append(w, &M1, RONDA_KIND_DIALOGUE,
                        fx_dialogue_json("Trenggalek", "Durenan", "2026-01-11", "other", "Sampah"), dlg2));
    assert_ok(ronda_store_checkpoint(w->s, HQ.sk, fx_now(w), cp2, &parts, &d));

    ronda_proof p, back;
    ronda_proof_result r;
    assert_ok(ronda_store_proof_inclusion(w->s, dlg, NULL, &p, &d));
    assert_false(p.consistency);
    assert_memory_equal(p.authority, w->authority.pk, 32);
    assert_memory_equal(p.writer, HQ.pk, 32);
    assert_ok(ronda_proof_verify(&p, w->authority.pk, &r, &d));
    assert_memory_equal(r.record, dlg, 32);
    assert_int_equal(r.index, p.index);
    assert_true(r.notes >= 1);
    json_t *j = ronda_proof_json(&p);
    assert_ok(ronda_proof_from_json(j, &back, &d));
    assert_int_equal(back.index, p.index);
    assert_int_equal(back.size, p.size);
    assert_int_equal(back.path_len, p.path_len);
    assert_int_equal(back.record_len, p.record_len);
    assert_memory_equal(back.record, p.record, p.record_len);
    assert_memory_equal(back.checkpoint, p.checkpoint, p.checkpoint_len);
    ronda_proof_free(&back);
    json_decref(j);
    /* another network's authority, a size that is not the checkpoint's, a changed record */
    uint8_t other[32];
    memset(other, 0x77, 32);
    assert_err(ronda_proof_verify(&p, other, &r, &d), RONDA_ERR_SIGNATURE);
    p.size++;
    assert_err(ronda_proof_verify(&p, NULL, &r, &d), RONDA_ERR_TAMPERED);
    assert_non_null(strstr(d.text, "tree size"));
    p.size--;
    p.record[p.record_len - 1] ^= 1;
    assert_err(ronda_proof_verify(&p, NULL, &r, &d), RONDA_ERR_TAMPERED);
    p.record[p.record_len - 1] ^= 1;
    p.path_len = RONDA_TREE_PROOF_MAX + 1;
    assert_err(ronda_proof_verify(&p, NULL, &r, &d), RONDA_ERR_MALFORMED);
    ronda_proof_free(&p);
    ronda_proof_free(&p);

    /* consistency between the two checkpoints; the path altered */
    assert_ok(ronda_store_proof_consistency(w->s, cp1, cp2, &p, &d));
    assert_true(p.consistency);
    assert_true(p.old_size < p.new_size);
    assert_ok(ronda_proof_verify(&p, NULL, &r, &d));
    assert_int_equal(r.old_size, p.old_size);
    assert_true(p.path_len > 0);
    p.path[0].b[0] ^= 1;
    assert_err(ronda_proof_verify(&p, NULL, &r, &d), RONDA_ERR_TAMPERED);
    ronda_proof_free(&p);
    assert_err(ronda_store_proof_consistency(w->s, cp2, cp1, &p, &d), RONDA_ERR_INVALID);

    /* a file that is not a proof */
    json_t *notp = json_pack("{s:s}", "format", "ronda-proof-v0");
    assert_err(ronda_proof_from_json(notp, &back, &d), RONDA_ERR_MALFORMED);
    json_decref(notp);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&HQ, 0x63);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_roots),
        cmocka_unit_test(test_range_matches_root),
        cmocka_unit_test(test_inclusion_all),
        cmocka_unit_test(test_consistency_all),
        cmocka_unit_test_setup_teardown(test_store_tree, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_proof_typed, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
