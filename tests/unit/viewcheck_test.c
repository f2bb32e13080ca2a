/* The view check (src/store/viewcheck.c): its merge walk orders values exactly as SQLite's
 * ORDER BY does (else a row would look missing when it is only late), a clean ledger gives
 * no difference, and each change to a view made behind the store's back (a second SQLite
 * connection) is one finding naming its table's field, both values and the dialogue;
 * `ronda rebuild` (ronda_store_rebuild) makes them agree again. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "store/store_int.h"

static fx_key M1, M2;

/* Values of every type in a shuffled order; SQLite sorts them, and every neighbour pair
 * must compare <= 0 (== 0 only for equal values) with viewcheck_cmp. */
static void test_cmp_agrees_with_order_by(void **state) {
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE v(x);"
                                  "INSERT INTO v VALUES ('b'), (x'00'), (2), (NULL), ('ab'), (1.5), (x''), (''),"
                                  " (-7), ('a'), (x'0001'), (2.0), ('a\xc3\xa9'), (x'ff'), (1e300), (-1.5), ('B'),"
                                  " (NULL), (3), (x'00');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *a, *b;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM v ORDER BY x", -1, &a, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM v ORDER BY x", -1, &b, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(b), SQLITE_ROW); /* b runs one row ahead of a */
    int n = 0;
    while (sqlite3_step(a) == SQLITE_ROW && sqlite3_step(b) == SQLITE_ROW) {
        sqlite3_value *x = sqlite3_column_value(a, 0), *y = sqlite3_column_value(b, 0);
        assert_true(viewcheck_cmp(x, y) <= 0);
        assert_true(viewcheck_cmp(y, x) >= 0);
        assert_int_equal(viewcheck_cmp(x, x), 0);
        n++;
    }
    assert_int_equal(n, 19);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    /* distinct values of one type are not equal; 2 and 2.0 are */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT 2, 2.0, 'a', 'b', x'00', x'0000'", -1, &a, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(a), SQLITE_ROW);
    assert_int_equal(viewcheck_cmp(sqlite3_column_value(a, 0), sqlite3_column_value(a, 1)), 0);
    assert_true(viewcheck_cmp(sqlite3_column_value(a, 2), sqlite3_column_value(a, 3)) < 0);
    assert_true(viewcheck_cmp(sqlite3_column_value(a, 4), sqlite3_column_value(a, 5)) < 0);
    sqlite3_finalize(a);
    sqlite3_close(db);
}

typedef struct caught {
    int n;
    char field[64], records[200], view[200], detail[240];
    int has_dialogue;
    uint8_t dialogue[RONDA_ID_BYTES];
} caught;

static void on_finding(void *ctx, const ronda_finding *f) {
    caught *c = ctx;
    if (strcmp(f->what, "view") != 0) return;
    if (c->n++ == 0) { /* the strings live during the callback only */
        snprintf(c->field, sizeof c->field, "%s", f->field ? f->field : "");
        snprintf(c->records, sizeof c->records, "%s", f->records_value ? f->records_value : "");
        snprintf(c->view, sizeof c->view, "%s", f->view_value ? f->view_value : "");
        snprintf(c->detail, sizeof c->detail, "%s", f->detail);
        c->has_dialogue = f->has_dialogue;
        memcpy(c->dialogue, f->dialogue, RONDA_ID_BYTES);
        assert_int_equal(f->err, RONDA_ERR_VIEW);
    }
}

static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static void test_views_checked(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    caught c;
    memset(&c, 0, sizeof c);
    ronda_view_check vc;
    assert_ok(ronda_store_check_views(w->s, on_finding, &c, &vc));
    assert_int_equal(c.n, 0);
    assert_int_equal(vc.disagreements, 0);
    assert_true(vc.rows > 20); /* both sides read */
    assert_int_equal(vc.suspects, 0);

    /* A title changed: one finding, the dialogue named by the records' title. */
    char d1[65], sql[400];
    fx_hex(L.d1, 32, d1);
    snprintf(sql, sizeof sql, "UPDATE dialogues SET title = 'Palsu' WHERE id = x'%s'", d1);
    exec_sql(w->path, sql);
    memset(&c, 0, sizeof c);
    assert_err(ronda_store_check_views(w->s, on_finding, &c, &vc), RONDA_ERR_VIEW);
    assert_int_equal(c.n, 1);
    assert_int_equal(vc.disagreements, 1);
    assert_string_equal(c.field, "title");
    assert_string_equal(c.records, "Jumat Curhat Durenan");
    assert_string_equal(c.view, "Palsu");
    assert_true(c.has_dialogue);
    assert_memory_equal(c.dialogue, L.d1, RONDA_ID_BYTES);
    assert_non_null(strstr(c.detail, "dialogue \"Jumat Curhat Durenan\" (Polsek Durenan"));

    /* The store still works on its own tables afterwards (its statements resolve to main). */
    ronda_stats st;
    assert_ok(ronda_store_stats(w->s, &st));
    assert_int_equal(st.dialogues, 3);

    /* A row only the view holds, and one only the records give. */
    exec_sql(w->path, "DELETE FROM topics WHERE rowid = (SELECT min(rowid) FROM topics);"
                      "INSERT INTO search(dialogue, text) VALUES (x'00', 'kata sisipan')");
    memset(&c, 0, sizeof c);
    assert_err(ronda_store_check_views(w->s, on_finding, &c, &vc), RONDA_ERR_VIEW);
    assert_int_equal(vc.disagreements, 3);

    /* rebuild repairs */
    assert_ok(ronda_store_rebuild(w->s));
    memset(&c, 0, sizeof c);
    assert_ok(ronda_store_check_views(w->s, on_finding, &c, &vc));
    assert_int_equal(c.n, 0);
    fx_ledger_free(&L);
}

/* A record whose body no longer verifies is a suspect: kept in `suspect` by the check. */
static void test_suspect_kept(void **state) {
    fx_world *w = *state;
    fx_ledger L;
    fx_ledger_build(w, &L, &M1, &M2);
    fx_ledger_load(w->s, &L, fx_in_order);
    char d2[65], sql[600];
    fx_hex(L.d2, 32, d2);
    snprintf(sql, sizeof sql,
             "BEGIN; DROP TRIGGER records_no_update; UPDATE records SET body = CAST(body || x'00' AS BLOB)"
             " WHERE id = x'%s'; CREATE TRIGGER records_no_update BEFORE UPDATE ON records"
             " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END; COMMIT;",
             d2);
    exec_sql(w->path, sql);
    caught c;
    memset(&c, 0, sizeof c);
    ronda_view_check vc;
    assert_err(ronda_store_check_views(w->s, on_finding, &c, &vc), RONDA_ERR_VIEW);
    assert_int_equal(vc.suspects, 1);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(w->path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT hex(id) FROM suspect", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), d2) == 0);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    fx_ledger_free(&L);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 0x61);
    fx_key_make(&M2, 0x62);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmp_agrees_with_order_by),
        cmocka_unit_test_setup_teardown(test_views_checked, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_suspect_kept, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
