/* Findings in plain words (src/store/explain.c): what the ledger still knows of the record a
 * finding is about. A follow-up deleted behind the store's back (a second SQLite connection,
 * the append-only triggers dropped and put back, the views left alone) is named by the audit's
 * own chain-gap finding: its id from the next record's prev, and from the views its dialogue,
 * topic and status. Both versions of a forked seq, from either id. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static fx_key M1, M2, M3;

typedef struct caught {
    int n;
    ronda_finding f; /* the first chain finding (strings not kept) */
    int have;
} caught;

static void on_finding(void *ctx, const ronda_finding *f) {
    caught *c = ctx;
    c->n++;
    if (!c->have && f->kind == RONDA_FINDING_CHAIN) {
        c->f = *f;
        c->f.detail[0] = '\0';
        c->f.field = c->f.records_value = c->f.view_value = NULL;
        c->have = 1;
    }
}

static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static const char *js(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* M2's seq 2 (a follow-up of D1's topic 1, referred to Karang Taruna) deleted: the audit's gap
 * finding at seq 3, given to ronda_store_finding_context, names it. */
static void test_deleted_followup_named(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    char m2[65], sql[600];
    fx_hex(M2.pk, 32, m2);
    snprintf(sql, sizeof sql,
             "BEGIN; DROP TRIGGER records_no_delete; DELETE FROM records WHERE author = x'%s' AND seq = 2;"
             " CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
             " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END; COMMIT;",
             m2);
    exec_sql(w->path, sql);
    caught c;
    memset(&c, 0, sizeof c);
    ronda_audit_summary sum;
    assert_ok(ronda_store_audit(w->s, 1, on_finding, NULL, &c, &sum));
    assert_true(c.have);
    assert_int_equal(c.f.seq, 3);
    json_t *cx = NULL;
    assert_ok(ronda_store_finding_context(w->s, &c.f, &cx));
    json_t *miss = json_object_get(cx, "missing");
    assert_int_equal(json_array_size(miss), 1);
    assert_int_equal(json_integer_value(json_object_get(cx, "missing_count")), 1);
    json_t *m = json_array_get(miss, 0);
    assert_int_equal(json_integer_value(json_object_get(m, "seq")), 2);
    assert_string_equal(js(m, "kind"), "resolution");
    assert_string_equal(js(m, "from"), "views");
    assert_string_equal(js(m, "status"), "referred");
    assert_string_equal(js(m, "referred_to"), "Karang Taruna");
    assert_int_equal(json_integer_value(json_object_get(m, "topic")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "named_by"), 0)),
                        "prev of the next record");
    assert_non_null(js(m, "id"));
    json_t *d = json_object_get(m, "dialogue");
    char d1[65];
    fx_hex(L.d1, 32, d1);
    assert_string_equal(js(d, "id"), d1);
    assert_string_equal(js(d, "title"), "Jumat Curhat Durenan");
    assert_string_equal(js(d, "polsek"), "Durenan");
    assert_string_equal(js(d, "from"), "records"); /* the dialogue itself is still held and signed */
    /* the finding's own record: M2's seq 3, dialogue D3 */
    assert_string_equal(js(json_object_get(cx, "record"), "kind"), "dialogue");
    assert_string_equal(js(json_object_get(cx, "dialogue"), "polsek"), "Watulimo");
    assert_non_null(js(json_object_get(cx, "author"), "key"));
    json_decref(cx);
    fx_ledger_free(&L);
}

/* A second record for M3's seq 2: both versions from either id, the differing fields named;
 * an ordinary record has none. */
static void test_fork_versions(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M3, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain a = {&M3, 0, {0}};
    uint8_t d1[32], v1[32], v2[32];
    size_t l1, la, lb;
    uint8_t *r1 = fx_next_json(&a, RONDA_KIND_DIALOGUE,
                               fx_dialogue_json("Trenggalek", "Durenan", "2026-01-10", "traffic", "A"), 1, &l1, d1);
    fx_chain b = a;
    uint8_t *ra =
        fx_next_json(&a, RONDA_KIND_DIALOGUE,
                     fx_dialogue_json("Trenggalek", "Durenan", "2026-01-11", "traffic", "Parkir liar"), 2, &la, v1);
    uint8_t *rb =
        fx_next_json(&b, RONDA_KIND_DIALOGUE,
                     fx_dialogue_json("Trenggalek", "Pogalan", "2026-01-11", "traffic", "Parkir liar"), 3, &lb, v2);
    fx_expect_ingest(w->s, r1, l1, RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, ra, la, RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, rb, lb, RONDA_OK, RONDA_FORK);
    char h1[65], h2[65];
    fx_hex(v1, 32, h1);
    fx_hex(v2, 32, h2);
    const uint8_t *ids[2] = {v1, v2};
    for (int i = 0; i < 2; i++) {
        json_t *o = NULL;
        assert_ok(ronda_store_fork_versions(w->s, ids[i], &o));
        json_t *vs = json_object_get(o, "versions");
        assert_int_equal(json_array_size(vs), 2);
        assert_string_equal(js(json_array_get(vs, 0), "id"), h1);
        assert_string_equal(js(json_array_get(vs, 0), "held"), "ledger");
        assert_string_equal(js(json_array_get(vs, 1), "id"), h2);
        assert_string_equal(js(json_array_get(vs, 1), "held"), "fork evidence");
        assert_int_equal(json_integer_value(json_object_get(o, "seq")), 2);
        json_t *diff = json_object_get(o, "differences");
        /* Pogalan instead of Durenan: the polsek and the title that names it */
        assert_int_equal(json_array_size(diff), 2);
        int polsek = 0, title = 0;
        for (size_t k = 0; k < 2; k++) {
            polsek |= strcmp(json_string_value(json_array_get(diff, k)), "polsek") == 0;
            title |= strcmp(json_string_value(json_array_get(diff, k)), "title") == 0;
        }
        assert_true(polsek && title);
        json_decref(o);
    }
    json_t *none = NULL;
    assert_err(ronda_store_fork_versions(w->s, d1, &none), RONDA_ERR_NOT_FOUND);
    assert_null(none);
    /* and a fork finding's context carries them */
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = RONDA_FINDING_FORK; /* the kind is what the context reads, not the name */
    f.err = RONDA_ERR_CHAIN;
    memcpy(f.id, v2, 32);
    memcpy(f.author, M3.pk, 32);
    f.seq = 2;
    json_t *cx = NULL;
    assert_ok(ronda_store_finding_context(w->s, &f, &cx));
    assert_int_equal(json_array_size(json_object_get(json_object_get(cx, "fork"), "versions")), 2);
    assert_string_equal(js(json_object_get(cx, "record"), "held"), "fork evidence");
    json_decref(cx);
    free(r1);
    free(ra);
    free(rb);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&M2, 0x62);
    fx_key_make(&M3, 0x63);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deleted_followup_named, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fork_versions, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
