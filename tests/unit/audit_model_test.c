/* The audit report as data (src/store/audit_report.c): the report of a small real ledger
 * (two HQ chains and the authority's) with one follow-up deleted behind the store's back is
 * built from the store, and its findings land in the right kind, chain, unit and context;
 * without a store the report holds only the caller's finding, under the whole ledger. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static fx_key M1, M2;

static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static const char *js(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const ronda_report_unit *unit(const ronda_audit_report *r, const char *polres, const char *polsek) {
    for (size_t i = 0; i < r->nunits; i++)
        if (strcmp(r->units[i].polres, polres) == 0 && strcmp(r->units[i].polsek, polsek) == 0) return &r->units[i];
    return NULL;
}

static void test_gap_grouped(void **state) {
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
    ronda_audit_report_opts o = {.threads = 1, .max_age_ms = RONDA_CHECKPOINT_STALE_MS};
    ronda_audit_report *r = NULL;
    assert_ok(ronda_audit_report_build(w->s, &o, &r));
    assert_non_null(r);
    assert_true(r->audited);
    assert_true(r->nfindings >= 1);
    /* the gap: M2's seq 3 follows seq 1; a chain finding with M2's chain, name and context */
    const ronda_report_finding *gap = NULL;
    uint64_t counted = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        if (r->findings[i].f.kind == RONDA_FINDING_CHAIN && !gap) gap = &r->findings[i];
        assert_string_equal(r->findings[i].f.what, ronda_finding_kind_name(r->findings[i].f.kind));
    }
    for (int k = 0; k < RONDA_FINDING__COUNT; k++) counted += r->by_kind[k];
    assert_int_equal(counted, r->nfindings);
    assert_non_null(gap);
    assert_int_equal(r->by_kind[RONDA_FINDING_CHAIN], 1);
    assert_int_equal(gap->f.err, RONDA_ERR_GAP);
    assert_int_equal(gap->f.seq, 3);
    assert_memory_equal(gap->f.author, M2.pk, 32);
    assert_string_equal(gap->author_name, "Polsek");
    assert_true(gap->chain != RONDA_REPORT_NO_CHAIN);
    const ronda_chain_info *ch = &r->chains[gap->chain];
    assert_memory_equal(ch->author, M2.pk, 32);
    assert_int_equal(ch->role, RONDA_ROLE_HQ);
    assert_non_null(gap->context);
    assert_int_equal(gap->context->missing_count, 1);
    assert_int_equal(gap->context->nmissing, 1);
    json_t *cxj = ronda_finding_context_json(gap->context);
    assert_int_equal(json_integer_value(json_object_get(cxj, "missing_count")), 1);
    json_decref(cxj);
    /* each chain counts the findings about it; the units add them up */
    uint64_t m2_findings = 0;
    for (size_t i = 0; i < r->nfindings; i++) m2_findings += r->findings[i].chain == gap->chain;
    assert_int_equal(ch->findings, m2_findings);
    assert_int_equal(r->nchains, 3); /* the authority, M1, M2 */
    assert_true(r->chains[0].authority || r->chains[1].authority || r->chains[2].authority);
    /* its JSON (include/ronda/json.h) says the same */
    json_t *cj = ronda_chain_json(ch, 1);
    assert_string_equal(js(cj, "author"), m2);
    assert_string_equal(js(cj, "role"), "hq");
    assert_int_equal(json_integer_value(json_object_get(cj, "findings")), m2_findings);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(cj, "kinds"), "dialogue")),
                     (json_int_t)ch->kinds[RONDA_KIND_DIALOGUE]);
    json_decref(cj);
    const ronda_report_unit *hq = unit(r, "Trenggalek", RONDA_REPORT_HQ);
    assert_non_null(hq);
    assert_int_equal(hq->nodes, 2);
    assert_int_equal(hq->records, 5); /* M1's three and M2's two still held */
    assert_int_equal(hq->dialogues, 3);
    assert_int_equal(hq->resolutions, 2);
    uint64_t nodes = 0, findings = 0;
    for (size_t i = 0; i < r->nunits; i++) {
        nodes += r->units[i].nodes;
        findings += r->units[i].findings;
    }
    assert_int_equal(nodes, 3);
    assert_int_equal(findings, r->nfindings);
    /* no checkpoint at all: each HQ warned, and the ledger */
    assert_int_equal(r->nages, 2);
    assert_int_equal(r->ages[0].warning, RONDA_AGE_NONE);
    assert_int_equal(r->ages[1].warning, RONDA_AGE_NONE);
    assert_int_equal(r->ledger_warning, RONDA_AGE_NONE);
    ronda_audit_report_destroy(&r);
    assert_null(r);
    ronda_audit_report_destroy(&r); /* NULL is fine */
    fx_ledger_free(&L);
}

static void test_prior_only(void **state) {
    (void)state;
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = RONDA_FINDING_BUNDLE;
    f.err = RONDA_ERR_MALFORMED;
    f.field = "header"; /* copied: the report keeps its own */
    snprintf(f.detail, sizeof f.detail, "record 0 of the bundle refused");
    ronda_audit_report_opts o = {.max_age_ms = 1000, .prior = &f, .nprior = 1};
    ronda_audit_report *r = NULL;
    assert_ok(ronda_audit_report_build(NULL, &o, &r));
    assert_false(r->audited);
    assert_int_equal(r->nfindings, 1);
    assert_int_equal(r->by_kind[RONDA_FINDING_BUNDLE], 1);
    assert_string_equal(r->findings[0].f.what, "bundle");
    assert_ptr_not_equal(r->findings[0].f.field, f.field);
    assert_string_equal(r->findings[0].f.field, "header");
    assert_null(r->findings[0].context);
    assert_true(r->findings[0].chain == RONDA_REPORT_NO_CHAIN);
    assert_int_equal(r->nunits, 1);
    assert_string_equal(r->units[0].polres, RONDA_REPORT_NETWORK);
    assert_string_equal(r->units[0].polsek, RONDA_REPORT_WHOLE);
    assert_int_equal(r->units[0].findings, 1);
    assert_int_equal(r->ledger_warning, RONDA_AGE_OK); /* no ledger read, nothing to warn of */
    ronda_audit_report_destroy(&r);
}

static void test_kind_names(void **state) {
    (void)state;
    /* the names reports have always printed */
    assert_string_equal(ronda_finding_kind_name(RONDA_FINDING_FORK_EVIDENCE), "fork-evidence");
    assert_string_equal(ronda_finding_kind_name(RONDA_FINDING_VIEW), "view");
    assert_string_equal(ronda_finding_kind_name(RONDA_FINDING_EXCLUDED), "excluded");
    assert_string_equal(ronda_finding_kind_name((ronda_finding_kind)0), "other");
    assert_string_equal(ronda_finding_kind_name(RONDA_FINDING__COUNT), "other");
    for (int k = 1; k < RONDA_FINDING__COUNT; k++) /* every kind has its own name */
        for (int j = 1; j < k; j++)
            assert_string_not_equal(ronda_finding_kind_name((ronda_finding_kind)k),
                                    ronda_finding_kind_name((ronda_finding_kind)j));
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&M2, 0x62);
    const struct CMUnitTest tests[] = {cmocka_unit_test_setup_teardown(test_gap_grouped, fx_setup, fx_teardown),
                                       cmocka_unit_test(test_prior_only), cmocka_unit_test(test_kind_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
