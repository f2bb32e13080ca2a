/* Database failures, made real: a full database (PRAGMA max_page_count), a write error at
 * COMMIT and in a backup (RLIMIT_FSIZE: the kernel refuses writes past the limit with EFBIG,
 * which SQLite reports as an I/O error), and a read that fails in the middle of a loop over
 * rows (a progress handler interrupting one statement once it has returned rows). Each
 * must reach the caller as its kind with SQLite's own text, never as success after
 * reading less, and must leave nothing behind. */
#include "fixtures.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ronda/report.h"
#include "store/store_int.h"

static fx_key M1, M2, M3;

#define DIA RONDA_KIND_DIALOGUE
#define DLG(date, summary) fx_dialogue_json("Trenggalek", "Durenan", date, "other", summary)

static int64_t pragma_int(ronda_store *s, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static uint64_t head_seq(ronda_store *s, const fx_key *k) {
    uint64_t seq = 0;
    uint8_t id[32];
    ronda_err e = ronda_store_head(s, k->pk, &seq, id);
    if (e == RONDA_ERR_NOT_FOUND) return 0;
    assert_ok(e);
    return seq;
}

/* Writes to regular files past `bytes` fail with EFBIG (SIGXFSZ ignored); 0 lifts it. */
static void limit_writes(rlim_t bytes) {
    static struct rlimit saved;
    static int have;
    if (!have) {
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
        have = 1;
    }
    struct rlimit r = saved;
    if (bytes) r.rlim_cur = bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

/* A full database: the append fails as RONDA_ERR_DB_FULL naming the cause, stores nothing,
 * and the store works again once there is room. */
static void test_full(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-10", "first"), NULL));
    uint64_t full_before = ronda_store_db_errors(RONDA_ERR_DB_FULL);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pragma_int(w->s, "PRAGMA page_count"));
    assert_int_equal(sqlite3_exec(w->s->db, sql, NULL, NULL, NULL), SQLITE_OK);
    ronda_err e = RONDA_OK;
    ronda_detail d = {{0}};
    uint64_t stored = head_seq(w->s, &M1);
    for (int i = 0; i < 200 && e == RONDA_OK; i++) { /* pages partly free take a few */
        size_t len;
        char summary[64];
        snprintf(summary, sizeof summary, "dialogue %d with enough words to need room", i);
        uint8_t *body = fx_body(DIA, DLG("2026-01-11", summary), &len);
        e = ronda_store_append(w->s, M1.sk, DIA, body, len, fx_now(w), NULL, &d);
        free(body);
        if (e == RONDA_OK) stored++;
    }
    assert_err(e, RONDA_ERR_DB_FULL);
    assert_true(ronda_err_is_db(e));
    assert_non_null(strstr(d.text, "full"));                 /* SQLite's "database or disk is full" */
    assert_null(strstr(d.text, "no transaction is active")); /* not a later call's text */
    assert_non_null(strstr(ronda_strerror(e), "disk full"));
    assert_non_null(strstr(ronda_err_fix(e), "free space"));
    assert_string_equal(ronda_errname(e), "db_full");
    assert_true(ronda_store_db_errors(RONDA_ERR_DB_FULL) > full_before);
    assert_int_equal(head_seq(w->s, &M1), stored); /* nothing of the failed append */
    assert_int_equal(sqlite3_exec(w->s->db, "PRAGMA max_page_count = 1000000000", NULL, NULL, NULL), SQLITE_OK);
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-12", "room again"), NULL));
    assert_int_equal(head_seq(w->s, &M1), stored + 1);
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.findings, 0);
}

/* A write error at COMMIT (the WAL frames are written then): SQLite rolls the transaction
 * back itself, and the caller gets the commit's own error, not "cannot rollback - no
 * transaction is active" from a ROLLBACK issued after it. Both paths: one append in its own
 * transaction (`ronda record`) and a batch (`ronda-fill`, sync, import). */
static void test_commit_io_error(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-10", "before"), NULL));
    signal(SIGXFSZ, SIG_IGN);
    size_t len;
    uint8_t *body = fx_body(DIA, DLG("2026-01-11", "refused by the disk"), &len);
    ronda_detail d = {{0}};

    limit_writes(512);
    ronda_err e = ronda_store_append(w->s, M1.sk, DIA, body, len, fx_now(w), NULL, &d);
    limit_writes(0);
    assert_err(e, RONDA_ERR_DB_IO);
    assert_non_null(strstr(d.text, "disk I/O error"));
    assert_null(strstr(d.text, "rollback"));
    assert_non_null(strstr(ronda_store_errmsg(w->s), "disk I/O error"));
    assert_int_equal(head_seq(w->s, &M1), 1);

    assert_ok(ronda_store_begin(w->s));
    for (int i = 0; i < 20; i++) assert_ok(ronda_store_append(w->s, M1.sk, DIA, body, len, fx_now(w), NULL, &d));
    limit_writes(512);
    e = ronda_store_commit(w->s);
    limit_writes(0);
    assert_err(e, RONDA_ERR_DB_IO);
    assert_non_null(strstr(ronda_store_errmsg(w->s), "disk I/O error"));
    assert_int_equal(head_seq(w->s, &M1), 1); /* the batch is gone, whole */

    assert_ok(ronda_store_append(w->s, M1.sk, DIA, body, len, fx_now(w), NULL, &d));
    assert_int_equal(head_seq(w->s, &M1), 2);
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.findings, 0);
    free(body);
}

/* A backup whose copy cannot be written fails with the cause and leaves no file: neither
 * the partial copy nor SQLite's rollback journal beside it. */
static void test_backup_leaves_nothing(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    for (int i = 0; i < 20; i++) assert_ok(fx_append(w, &M1, DIA, DLG("2026-01-10", "backed up"), NULL));
    char path[200], p[220];
    snprintf(path, sizeof path, "%s/copy.db", w->dir);
    signal(SIGXFSZ, SIG_IGN);
    limit_writes(4096 + 100); /* the copy's first page fits, the rest does not */
    ronda_err e = ronda_store_backup(w->s, path, NULL, NULL);
    limit_writes(0);
    assert_true(ronda_err_is_db(e));
    assert_err(e, RONDA_ERR_DB_IO);
    assert_non_null(strstr(ronda_store_errmsg(w->s), "I/O error"));
    static const char *const left[] = {"", ".partial", ".partial-journal", ".partial-wal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, left[i]);
        if (access(p, F_OK) == 0) fail_msg("%s was left behind", p);
    }
    assert_ok(ronda_store_backup(w->s, path, NULL, NULL)); /* with room, it works */
    assert_int_equal(access(path, F_OK), 0);
}

/* Interrupts the one statement whose SQL holds `sql` once it has moved past its first row:
 * the read fails mid-loop (SQLITE_INTERRUPT), as a bad sector would. */
typedef struct inject {
    sqlite3 *db;
    const char *sql;
    int fired;
} inject;

static int interrupt_mid_loop(void *ctx) {
    inject *in = ctx;
    for (sqlite3_stmt *st = sqlite3_next_stmt(in->db, NULL); st; st = sqlite3_next_stmt(in->db, st)) {
        const char *q = sqlite3_sql(st); /* NULL for some internal statements (the view check's search copy) */
        if (!sqlite3_stmt_busy(st) || !q || !strstr(q, in->sql)) continue;
        /* A full-scan step counts a move to the next row: a row has been handed out. */
        if (sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) >= 1) {
            in->fired++;
            return 1;
        }
    }
    return 0;
}

static void inject_on(inject *in, ronda_store *s, const char *sql) {
    in->db = s->db;
    in->sql = sql;
    in->fired = 0;
    sqlite3_progress_handler(s->db, 1, interrupt_mid_loop, in);
}

static void inject_off(ronda_store *s) { sqlite3_progress_handler(s->db, 0, NULL, NULL); }

/* Verify's walk over the fork evidence: an error after the first row was taken for the end
 * of the rows, so verify passed having checked one fork record of four. */
static void test_verify_read_error(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    /* Four fork records: each lower than the last (a fork above an author's lowest one is
     * not stored, proto/record.md section 3 step 7). */
    fx_chain c = {&M1, 0, {0}}, at[4];
    for (int k = 0; k < 4; k++) {
        size_t l;
        char s1[32];
        snprintf(s1, sizeof s1, "kept %d", k);
        at[k] = c;
        uint8_t *r = fx_next_json(&c, DIA, DLG("2026-01-10", s1), (uint64_t)(10 + k), &l, NULL);
        fx_expect_ingest(w->s, r, l, RONDA_OK, RONDA_STORED);
        free(r);
    }
    for (int k = 3; k >= 0; k--) {
        size_t lf;
        char s2[32];
        snprintf(s2, sizeof s2, "forked %d", k);
        uint8_t *f = fx_next_json(&at[k], DIA, DLG("2026-01-10", s2), (uint64_t)(10 + k), &lf, NULL);
        fx_expect_ingest(w->s, f, lf, RONDA_OK, RONDA_FORK);
        free(f);
    }
    ronda_verify_summary sum;
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum));
    assert_int_equal(sum.forks, 4);
    inject in;
    inject_on(&in, w->s, "FROM forks f LEFT JOIN");
    memset(&sum, 0, sizeof sum);
    ronda_err e = ronda_store_verify(w->s, 1, NULL, NULL, &sum);
    inject_off(w->s);
    assert_int_equal(in.fired, 1);
    if (e == RONDA_OK) fail_msg("verify passed having checked %llu of 4 fork records", (unsigned long long)sum.forks);
    assert_true(ronda_err_is_db(e));
    assert_ok(ronda_store_verify(w->s, 1, NULL, NULL, &sum)); /* and passes again once reads work */
    assert_int_equal(sum.forks, 4);
}

/* The network page (roster, revocations, forks): a members loop that fails after its first
 * row refuses to answer rather than show a shorter roster. */
static void test_network_read_error(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M2, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_admit(w, &M3, "hq", FX_T0, FX_T0 + FX_YEAR, NULL);
    json_t *o = NULL;
    assert_ok(ronda_store_network(w->s, &o));
    assert_int_equal(json_array_size(json_object_get(o, "members")), 3);
    json_decref(o);
    o = NULL;
    inject in;
    inject_on(&in, w->s, "FROM members m LEFT JOIN revocations v");
    ronda_err e = ronda_store_network(w->s, &o);
    inject_off(w->s);
    assert_int_equal(in.fired, 1);
    if (e == RONDA_OK) {
        size_t n = json_array_size(json_object_get(o, "members"));
        json_decref(o);
        fail_msg("the network page was served with %zu of 3 members", n);
    }
    assert_true(ronda_err_is_db(e));
}

/* Refuses every read of table `ctx` when a statement is prepared (SQLITE_AUTH). */
static int deny_table(void *ctx, int action, const char *a1, const char *a2, const char *db, const char *trigger) {
    (void)a2;
    (void)db;
    (void)trigger;
    return action == SQLITE_READ && a1 && strcmp(a1, ctx) == 0 ? SQLITE_DENY : SQLITE_OK;
}

/* The network page's later statements (revocations, forks) are prepared after the roster:
 * a failed prepare was skipped, and the page was served saying "no forks" while the node
 * held fork evidence. */
static void test_network_prepare_error(void **state) {
    fx_world *w = *state;
    fx_admit(w, &M1, "precinct", FX_T0, FX_T0 + FX_YEAR, NULL);
    fx_chain c = {&M1, 0, {0}}, at = c;
    size_t l, lf;
    uint8_t *r = fx_next_json(&c, DIA, DLG("2026-01-10", "kept"), 10, &l, NULL);
    uint8_t *f = fx_next_json(&at, DIA, DLG("2026-01-10", "forked"), 10, &lf, NULL);
    fx_expect_ingest(w->s, r, l, RONDA_OK, RONDA_STORED);
    fx_expect_ingest(w->s, f, lf, RONDA_OK, RONDA_FORK);
    free(r);
    free(f);
    json_t *o = NULL;
    assert_ok(ronda_store_network(w->s, &o));
    assert_int_equal(json_integer_value(json_object_get(o, "fork_count")), 1);
    json_decref(o);
    o = NULL;
    sqlite3_set_authorizer(w->s->db, deny_table, (void *)"forks");
    ronda_err e = ronda_store_network(w->s, &o);
    sqlite3_set_authorizer(w->s->db, NULL, NULL);
    if (e == RONDA_OK) {
        json_int_t n = json_integer_value(json_object_get(o, "fork_count"));
        json_decref(o);
        fail_msg("the network page was served with %lld of 1 fork records", (long long)n);
    }
    assert_true(ronda_err_is_db(e));
}

/* Every kind has a name, a text and a fix; RONDA_ERR_DB stays for the other failures. */
static void test_kinds(void **state) {
    (void)state;
    const ronda_err kinds[] = {RONDA_ERR_DB_FULL, RONDA_ERR_DB_IO, RONDA_ERR_DB_BUSY, RONDA_ERR_DB_CORRUPT,
                               RONDA_ERR_DB_READONLY};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        assert_true(ronda_err_is_db(kinds[i]));
        assert_string_not_equal(ronda_errname(kinds[i]), "unknown");
        assert_non_null(ronda_err_fix(kinds[i]));
    }
    assert_true(ronda_err_is_db(RONDA_ERR_DB));
    assert_false(ronda_err_is_db(RONDA_ERR_IO));
    assert_false(ronda_err_is_db(RONDA_ERR_SIGNATURE));
    assert_err(store_errkind(SQLITE_FULL), RONDA_ERR_DB_FULL);
    assert_err(store_errkind(SQLITE_IOERR_WRITE), RONDA_ERR_DB_IO);
    assert_err(store_errkind(SQLITE_BUSY_SNAPSHOT), RONDA_ERR_DB_BUSY);
    assert_err(store_errkind(SQLITE_LOCKED), RONDA_ERR_DB_BUSY);
    assert_err(store_errkind(SQLITE_CORRUPT), RONDA_ERR_DB_CORRUPT);
    assert_err(store_errkind(SQLITE_NOTADB), RONDA_ERR_DB_CORRUPT);
    assert_err(store_errkind(SQLITE_READONLY_DBMOVED), RONDA_ERR_DB_READONLY);
    assert_err(store_errkind(SQLITE_CONSTRAINT), RONDA_ERR_DB);
    assert_err(store_errkind(SQLITE_IOERR_NOMEM), RONDA_ERR_DB);
}

int main(void) {
    if (ronda_init() != RONDA_OK) return 1;
    fx_key_make(&M1, 2);
    fx_key_make(&M2, 3);
    fx_key_make(&M3, 4);
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_kinds),
        T(test_full),
        T(test_commit_io_error),
        T(test_backup_leaves_nothing),
        T(test_verify_read_error),
        T(test_network_read_error),
        T(test_network_prepare_error),
    };
    return cmocka_run_group_tests_name("store_errors", tests, NULL, NULL);
}
