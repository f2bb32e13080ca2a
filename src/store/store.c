/* The ledger store: SQLite in WAL mode, append-only record table, fork evidence, the
 * frontier (heads) and the ledger digest. Derived views live in views.c.
 *
 * Invariants (checked by ronda_store_verify):
 *  1. records is append-only: triggers abort every UPDATE and DELETE.
 *  2. For each author the seqs held are exactly 1..head.seq, and record n+1's prev is the
 *     id of record n; heads holds (seq, id, hlc) of the last one.
 *  3. A record is in records only if it verified and its author could write it then.
 *  4. A valid record for an (author, seq) already held under another id is in forks, never
 *     in records; no view reads forks. */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record_int.h"
#include "store/store_int.h"
#include "util/assert.h"

#define SCHEMA_VERSION "1"
/* The layout of the derived views (views.c). A store whose views have another version
 * (or none: before this key, or before the report tables) rebuilds them once when opened
 * for writing; views are derived, so this loses nothing. 2: dialogues without a copy of
 * the body (read from the records), no (polres, polsek) index. 3: suspect (the records that
 * no longer verify, kept out of reports). 4: cosigns (the cosignatures held per checkpoint,
 * for its note). */
#define VIEWS_VERSION "4"
#define BUSY_TIMEOUT_MS 5000 /* another process (a backup, a reader) holds the lock briefly */

/* Fork evidence of one (author, seq) is the two versions with the lowest ids held there,
 * in the ledger or in forks (proto/record.md section 3 step 7): so every node that has seen
 * the same versions holds the same pair, whichever arrived first. A row may only go when two
 * versions with lower ids are held for its seq: no delete can leave a fork unproven. */
#define FORKS_NO_DELETE_SQL                                                                                            \
    "CREATE TRIGGER forks_no_delete BEFORE DELETE ON forks WHEN (SELECT count(*) FROM (SELECT id FROM records"         \
    " WHERE author = OLD.author AND seq = OLD.seq AND id < OLD.id UNION ALL SELECT id FROM forks"                      \
    " WHERE author = OLD.author AND seq = OLD.seq AND id < OLD.id)) < 2"                                               \
    " BEGIN SELECT RAISE(ABORT, 'fork evidence is append-only: only a version outside the lowest two of its seq"       \
    " may go'); END;"

static const char core_schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE records("
    " rowid INTEGER PRIMARY KEY," /* arrival order */
    " id BLOB NOT NULL UNIQUE, author BLOB NOT NULL, seq INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL, kind TEXT NOT NULL,"
    " envelope BLOB NOT NULL, signature BLOB NOT NULL, body BLOB,"
    " UNIQUE(author, seq));"
    "CREATE TRIGGER records_no_update BEFORE UPDATE ON records"
    " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
    "CREATE TRIGGER records_no_delete BEFORE DELETE ON records"
    " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
    /* INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers (unless
     * recursive_triggers is on, which another client need not set): refuse it here. */
    "CREATE TRIGGER records_no_replace BEFORE INSERT ON records"
    " WHEN EXISTS (SELECT 1 FROM records WHERE id = NEW.id OR (author = NEW.author AND seq = NEW.seq))"
    " BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;"
    "CREATE TABLE forks("
    " rowid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, author BLOB NOT NULL,"
    " seq INTEGER NOT NULL, hlc INTEGER NOT NULL, kind TEXT NOT NULL, other BLOB NOT NULL,"
    " envelope BLOB NOT NULL, signature BLOB NOT NULL, body BLOB);"
    "CREATE INDEX forks_author_seq ON forks(author, seq);"
    "CREATE TRIGGER forks_no_update BEFORE UPDATE ON forks"
    " BEGIN SELECT RAISE(ABORT, 'fork evidence is append-only'); END;" FORKS_NO_DELETE_SQL
    /* IGNORE, not ABORT: storing evidence already held is a no-op (INSERT OR IGNORE below). */
    "CREATE TRIGGER forks_no_replace BEFORE INSERT ON forks WHEN EXISTS (SELECT 1 FROM forks WHERE id = NEW.id)"
    " BEGIN SELECT RAISE(IGNORE); END;";

static const char *const stmt_sql[Q_V__FIRST] = {
    [Q_HEAD] = "SELECT seq, head, hlc FROM heads WHERE author = ?1",
    [Q_BY_SEQ] = "SELECT id FROM records WHERE author = ?1 AND seq = ?2",
    [Q_INSERT] = "INSERT INTO records(id, author, seq, hlc, kind, envelope, signature, body)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_HEAD_SET] = "INSERT OR REPLACE INTO heads(author, seq, head, hlc) VALUES (?1, ?2, ?3, ?4)",
    [Q_FORK_INSERT] = "INSERT OR IGNORE INTO forks(id, author, seq, hlc, kind, other, envelope,"
                      " signature, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_FORK_LOW] = "SELECT min(seq) FROM forks WHERE author = ?1",
    [Q_FORK_AT] = "SELECT id FROM forks WHERE author = ?1 AND seq = ?2",
    [Q_FORK_PAIR] = "SELECT id FROM (SELECT id FROM records WHERE author = ?1 AND seq = ?2 UNION ALL"
                    " SELECT id FROM forks WHERE author = ?1 AND seq = ?2) ORDER BY id LIMIT 2",
    [Q_FORK_DROP] = "DELETE FROM forks WHERE author = ?1 AND seq = ?2 AND id NOT IN (SELECT id FROM"
                    " (SELECT id FROM records WHERE author = ?1 AND seq = ?2 UNION ALL SELECT id FROM forks"
                    " WHERE author = ?1 AND seq = ?2) ORDER BY id LIMIT 2)",
    [Q_MEMBER_LIVE] = "SELECT 1 FROM members WHERE sign_key = ?1 AND valid_from <= ?2"
                      " AND valid_until > ?2 AND role IN ('precinct', 'hq') LIMIT 1",
    [Q_MEMBER_ANY] = "SELECT role FROM members WHERE sign_key = ?1 LIMIT 1",
    [Q_MEMBER_HQ] = "SELECT 1 FROM members WHERE sign_key = ?1 AND valid_from <= ?2"
                    " AND valid_until > ?2 AND role = 'hq' LIMIT 1",
    [Q_MEMBER_PLACE] = "SELECT role, polres, polsek FROM members WHERE sign_key = ?1 AND valid_from <= ?2"
                       " AND valid_until > ?2 AND role IN ('precinct', 'hq') ORDER BY record",
    [Q_REVOKED] = "SELECT last_seq FROM revocations WHERE member = ?1",
    [Q_MAX_HLC] = "SELECT max(hlc) FROM heads WHERE author != ?1",
    [Q_RECORD_BY_ID] = "SELECT author, kind FROM records WHERE id = ?1",
};

sqlite3_stmt *store_stmt(ronda_store *s, stmt_id id) {
    if (s->stmts[id] == NULL) {
        /* The ledger's own statements are here; the derived views' are views.c's. */
        const char *sql = id < Q_V__FIRST ? stmt_sql[id] : views_stmt_sql[id - Q_V__FIRST];
        RONDA_ASSERT_MSG(sql != NULL, "statement %d has no SQL", (int)id);
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
        if (rc != SQLITE_OK) {
            (void)store_fail(s, rc); /* noted here: the caller reports it (store_dberr) */
            return NULL;
        }
    } else {
        sqlite3_reset(s->stmts[id]);
        sqlite3_clear_bindings(s->stmts[id]);
    }
    return s->stmts[id];
}

/* Outside a transaction no cached statement may stay active: a stepped, unreset statement
 * holds a read snapshot, and a long-running node would never see what other processes
 * (ronda record, ronda import) commit. */
static void reset_all(ronda_store *s) {
    for (int i = 0; i < Q__COUNT; i++)
        if (s->stmts[i]) sqlite3_reset(s->stmts[i]);
}

void store_idle(ronda_store *s) {
    if (!s->in_txn) reset_all(s);
}

ronda_err store_exec(ronda_store *s, const char *sql) {
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RONDA_OK : store_fail(s, rc);
}

ronda_err store_errkind(int rc) {
    if (rc == SQLITE_IOERR_NOMEM) return RONDA_ERR_DB; /* memory, not the disk */
    switch (rc & 0xff) {                               /* the primary code of an extended one */
    case SQLITE_FULL:
        return RONDA_ERR_DB_FULL;
    case SQLITE_IOERR:
        return RONDA_ERR_DB_IO;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return RONDA_ERR_DB_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return RONDA_ERR_DB_CORRUPT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return RONDA_ERR_DB_READONLY;
    default:
        return RONDA_ERR_DB;
    }
}

/* Failures by kind, of every store of the process (ronda_store_db_errors). */
static _Atomic uint64_t db_errors[RONDA_ERR__COUNT];

ronda_err store_fail_on(ronda_store *s, sqlite3 *db, int rc) {
    /* A caller that has no code of its own (0), or saw a result that is no error where it
     * wanted another (a row missing), reads the connection's; "no error" there still fails. */
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) rc = sqlite3_extended_errcode(db);
    int none = rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!s->in_txn || !s->err_rc) { /* in a transaction the first failure is the cause */
        s->err_rc = none ? SQLITE_ERROR : rc;
        snprintf(s->err_msg, sizeof s->err_msg, "%s", none ? "unexpected result" : sqlite3_errmsg(db));
        if ((s->err_rc & 0xff) != SQLITE_INTERRUPT) /* a query abandoned at its deadline: no failure */
            atomic_fetch_add_explicit(&db_errors[store_errkind(s->err_rc)], 1, memory_order_relaxed);
    }
    return store_errkind(s->err_rc);
}

ronda_err store_fail(ronda_store *s, int rc) { return store_fail_on(s, s->db, rc); }

ronda_err store_dberr(ronda_store *s, ronda_detail *d, const char *what) {
    if (!s->err_rc) (void)store_fail(s, 0);
    if (d) snprintf(d->text, sizeof d->text, "%s: %s", what, s->err_msg);
    return store_errkind(s->err_rc);
}

const char *ronda_store_errmsg(const ronda_store *s) { return s->err_rc ? s->err_msg : ""; }

uint64_t ronda_store_db_errors(ronda_err kind) {
    if (!ronda_err_is_db(kind)) return 0;
    return atomic_load_explicit(&db_errors[kind], memory_order_relaxed);
}

static ronda_err configure(ronda_store *s) {
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* WAL: readers never block the writer. synchronous=FULL: a committed transaction
     * survives power loss, which is what "acknowledged" promises. temp_store=MEMORY: the
     * statement journal (each record insert has one, the append-only trigger can abort it)
     * stays in memory instead of spilling to a temporary file. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
             " PRAGMA trusted_schema=OFF; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%u;",
             RONDA_DB_CACHE_KIB);
    return store_exec(s, sql);
}

static ronda_err meta_get(ronda_store *s, const char *key, uint8_t *out, size_t len) {
    sqlite3_stmt *st;
    ronda_err e = RONDA_ERR_NOT_FOUND;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)sqlite3_column_bytes(st, 0) == len) {
            memcpy(out, sqlite3_column_blob(st, 0), len);
            e = RONDA_OK;
        } else {
            e = RONDA_ERR_TAMPERED;
        }
    } else if (rc != SQLITE_DONE) {
        e = store_fail(s, rc); /* a failed read is no missing key */
    }
    sqlite3_finalize(st);
    return e;
}

static ronda_err meta_set(ronda_store *s, const char *key, const void *val, size_t len) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

/* Before SQLite's first use in the process: no allocation statistics (each of SQLite's
 * allocations would take a global mutex to count them; nothing here reads them). Fails
 * harmlessly if the application started SQLite already. */
static void sqlite_setup(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static ronda_err open_db(const char *path, int flags, ronda_store **out) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    ronda_store *s = calloc(1, sizeof *s);
    if (!s) return RONDA_ERR_NOMEM;
    /* NOMUTEX: a store is used by one thread at a time (ronda/store.h), so the
     * connection's own mutex, taken by every bind, step and column call, is not needed. */
    int rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(s->db);
        free(s);
        return store_errkind(rc);
    }
    sqlite3_extended_result_codes(s->db, 1);
    *out = s;
    return RONDA_OK;
}

static ronda_err init_schema(ronda_store *s, const uint8_t *authority, const uint8_t *node) {
    ronda_err e;
    if ((e = store_exec(s, "BEGIN")) != RONDA_OK) return e;
    if ((e = store_exec(s, core_schema_sql)) == RONDA_OK && (e = store_exec(s, views_schema_sql)) == RONDA_OK &&
        (e = meta_set(s, "schema", SCHEMA_VERSION, 1)) == RONDA_OK &&
        (e = meta_set(s, "views", VIEWS_VERSION, 1)) == RONDA_OK &&
        (e = meta_set(s, "authority", authority, RONDA_KEY_BYTES)) == RONDA_OK &&
        (e = meta_set(s, "node", node, RONDA_KEY_BYTES)) == RONDA_OK)
        e = store_exec(s, "COMMIT");
    if (e != RONDA_OK && !sqlite3_get_autocommit(s->db)) store_exec(s, "ROLLBACK");
    memcpy(s->authority, authority, RONDA_KEY_BYTES);
    memcpy(s->node, node, RONDA_KEY_BYTES);
    return e;
}

ronda_err ronda_store_create(const char *path, const uint8_t authority[RONDA_KEY_BYTES],
                             const uint8_t node[RONDA_KEY_BYTES], ronda_store **out) {
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return RONDA_ERR_EXISTS;
    }
    ronda_store *s;
    ronda_err e = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s);
    if (e != RONDA_OK) return e;
    if ((e = configure(s)) != RONDA_OK || (e = init_schema(s, authority, node)) != RONDA_OK) {
        ronda_store_close(&s);
        return e;
    }
    *out = s;
    return RONDA_OK;
}

/* A database whose derived views have another layout gets the current one by one
 * rebuild (see VIEWS_VERSION). */
static ronda_err upgrade_views(ronda_store *s) {
    uint8_t v[1];
    ronda_err e = meta_get(s, "views", v, 1);
    if (e == RONDA_OK && v[0] == VIEWS_VERSION[0]) return RONDA_OK;
    if (ronda_err_is_db(e)) return e;
    /* An index of the records that only served max(hlc), now read from heads. */
    if ((e = store_exec(s, "DROP INDEX IF EXISTS records_hlc")) != RONDA_OK) return e;
    return ronda_store_rebuild(s);
}

ronda_err ronda_store_open_readonly(const char *path, ronda_store **out) {
    ronda_store *s;
    ronda_err e = open_db(path, SQLITE_OPEN_READONLY, &s);
    if (e != RONDA_OK) return e;
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    uint8_t v[1];
    if ((e = store_exec(s, "PRAGMA query_only=ON; PRAGMA trusted_schema=OFF;")) != RONDA_OK ||
        (e = meta_get(s, "schema", v, 1)) != RONDA_OK || (e = meta_get(s, "authority", s->authority, 32)) != RONDA_OK ||
        (e = meta_get(s, "node", s->node, 32)) != RONDA_OK) {
        ronda_store_close(&s);
        return e == RONDA_ERR_NOT_FOUND ? RONDA_ERR_DB : e;
    }
    *out = s;
    return RONDA_OK;
}

/* A bound on each statement (ronda_store_timeout), for servers answering untrusted queries:
 * SQLite's progress handler reads the monotonic clock. */

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int on_progress(void *ctx) {
    ronda_store *s = ctx;
    if (s->deadline_ns && mono_ns() > s->deadline_ns) {
        s->timed_out = 1;
        return 1; /* SQLite interrupts the statement */
    }
    return 0;
}

void ronda_store_timeout(ronda_store *s, unsigned timeout_ms) {
    s->timed_out = 0;
    if (timeout_ms == 0) {
        s->deadline_ns = 0;
        sqlite3_progress_handler(s->db, 0, NULL, NULL);
        return;
    }
    s->deadline_ns = mono_ns() + (int64_t)timeout_ms * 1000000LL;
    /* Every 10,000 virtual-machine steps: a few microseconds between clock reads. */
    sqlite3_progress_handler(s->db, 10000, on_progress, s);
}

int ronda_store_timed_out(const ronda_store *s) { return s->timed_out; }

/* Ledgers made before canonical fork evidence have a trigger that refuses every delete from
 * forks: replace it by FORKS_NO_DELETE_SQL (once; a missing trigger stays missing, for
 * verify to report). */
static ronda_err upgrade_forks_trigger(ronda_store *s) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'forks_no_delete'",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    int rc = sqlite3_step(st), old = 0;
    if (rc == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        old = sql && strstr(sql, "OLD.id") == NULL;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, rc);
    if (!old) return RONDA_OK;
    ronda_err e = store_exec(s, "BEGIN IMMEDIATE; DROP TRIGGER forks_no_delete; " FORKS_NO_DELETE_SQL " COMMIT;");
    if (e != RONDA_OK && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}

ronda_err ronda_store_open(const char *path, const uint8_t *authority, ronda_store **out) {
    ronda_store *s;
    int temp = path[0] == '\0';
    if (temp && !authority) return RONDA_ERR_INVALID;
    ronda_err e = open_db(path, SQLITE_OPEN_READWRITE | (temp ? SQLITE_OPEN_CREATE : 0), &s);
    if (e != RONDA_OK) return e;
    if ((e = configure(s)) != RONDA_OK) goto fail;
    if (temp) {
        uint8_t none[RONDA_KEY_BYTES] = {0};
        if ((e = init_schema(s, authority, none)) != RONDA_OK) goto fail;
    } else {
        uint8_t v[1];
        if ((e = meta_get(s, "schema", v, 1)) != RONDA_OK || v[0] != SCHEMA_VERSION[0]) {
            e = e == RONDA_OK ? RONDA_ERR_VERSION : ronda_err_is_db(e) ? e : RONDA_ERR_DB;
            goto fail;
        }
        if ((e = meta_get(s, "authority", s->authority, RONDA_KEY_BYTES)) != RONDA_OK ||
            (e = meta_get(s, "node", s->node, RONDA_KEY_BYTES)) != RONDA_OK)
            goto fail;
        if ((e = upgrade_views(s)) != RONDA_OK) goto fail;
        /* Ledgers made before the freeze (proto/record.md section 3, step 7) lack the index
         * every view's fork check reads. */
        if ((e = store_exec(s, "CREATE INDEX IF NOT EXISTS forks_author_seq ON forks(author, seq)")) != RONDA_OK)
            goto fail;
        if ((e = upgrade_forks_trigger(s)) != RONDA_OK) goto fail;
    }
    *out = s;
    return RONDA_OK;
fail:
    ronda_store_close(&s);
    return e;
}

void ronda_store_close(ronda_store **sp) {
    if (!sp || !*sp) return;
    ronda_store *s = *sp;
    if (s->in_txn && !sqlite3_get_autocommit(s->db)) store_exec(s, "ROLLBACK");
    views_fts_drop(s);
    free(s->fts_q);
    for (int i = 0; i < Q__COUNT; i++) sqlite3_finalize(s->stmts[i]);
    sqlite3_close(s->db);
    free(s);
    *sp = NULL;
}

void ronda_store_authority(const ronda_store *s, uint8_t out[RONDA_KEY_BYTES]) {
    memcpy(out, s->authority, RONDA_KEY_BYTES);
}

void ronda_store_node(const ronda_store *s, uint8_t out[RONDA_KEY_BYTES]) { memcpy(out, s->node, RONDA_KEY_BYTES); }

ronda_err ronda_store_begin(ronda_store *s) {
    if (s->in_txn) return RONDA_ERR_INVALID;
    s->err_rc = 0; /* a new operation: its first failure is the one to report */
    ronda_err e = store_exec(s, "BEGIN IMMEDIATE");
    if (e == RONDA_OK) s->in_txn = 1;
    return e;
}

ronda_err ronda_store_commit(ronda_store *s) {
    if (!s->in_txn) return RONDA_ERR_INVALID;
    /* No statement may be active at COMMIT: one would keep this connection's read snapshot
     * from the transaction's start, the checkpoint that COMMIT runs could then never copy
     * the newest frames, and the WAL file would never restart: it grew by every record. */
    ronda_err e = views_fts_flush(s);
    reset_all(s);
    if (e == RONDA_OK) e = store_exec(s, "COMMIT");
    /* On a full disk or an I/O error at COMMIT SQLite has rolled the transaction back
     * itself; a ROLLBACK then fails ("no transaction is active"). The commit's error, noted
     * first, is what the caller reports. */
    if (e != RONDA_OK && !sqlite3_get_autocommit(s->db)) (void)store_exec(s, "ROLLBACK");
    views_fts_drop(s);
    s->in_txn = 0;
    store_idle(s);
    return e;
}

void ronda_store_rollback(ronda_store *s) {
    if (!s->in_txn) return;
    if (!sqlite3_get_autocommit(s->db)) (void)store_exec(s, "ROLLBACK"); /* SQLite may have already */
    views_fts_drop(s);
    s->in_txn = 0;
    store_idle(s);
}

static ronda_err why(ronda_detail *d, ronda_err e, const char *text) {
    if (d) snprintf(d->text, sizeof d->text, "%s", text);
    return e;
}

/* Could the author write this record, by the roster held now? */
static ronda_err check_author(ronda_store *s, const ronda_record *rec, ronda_detail *d) {
    int is_authority = sodium_memcmp(rec->author, s->authority, RONDA_KEY_BYTES) == 0;
    if (is_authority != ronda_kind_is_authority(rec->kind))
        return why(d, RONDA_ERR_ROLE,
                   is_authority ? "the authority writes only member and revoke records"
                                : "only the authority writes member and revoke records");
    if (is_authority) return RONDA_OK;
    sqlite3_stmt *st = store_stmt(s, Q_MEMBER_LIVE);
    if (!st) return store_dberr(s, d, "roster");
    int64_t ms = (int64_t)ronda_hlc_ms(rec->hlc);
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ms);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_dberr(s, d, "roster");
    if (rc == SQLITE_DONE) {
        st = store_stmt(s, Q_MEMBER_ANY);
        if (!st) return store_dberr(s, d, "roster");
        sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_dberr(s, d, "roster");
        if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "auditor") == 0)
            return why(d, RONDA_ERR_ROLE, "auditors write no records");
        return why(d, RONDA_ERR_NOT_MEMBER, "author has no membership valid at the record's time (admit it first)");
    }
    if (rec->kind == RONDA_KIND_CHECKPOINT || rec->kind == RONDA_KIND_COSIGN) {
        /* Checkpoints are an HQ's word on what it holds (proto/record.md §4): a precinct's
         * would add nothing an auditor can rely on, and costs every node a record. A
         * cosignature is an HQ's word on another HQ's checkpoint: the same role. */
        st = store_stmt(s, Q_MEMBER_HQ);
        if (!st) return store_dberr(s, d, "roster");
        sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ms);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_dberr(s, d, "roster");
        if (rc == SQLITE_DONE) return why(d, RONDA_ERR_ROLE, "only hq members write checkpoints and cosignatures");
    }
    st = store_stmt(s, Q_REVOKED);
    if (!st) return store_dberr(s, d, "roster");
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st); /* a failed read is no "not revoked" */
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_dberr(s, d, "roster");
    if (rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) < rec->seq)
        return why(d, RONDA_ERR_REVOKED, "author was revoked before this record's seq");
    return RONDA_OK;
}

static void bind_parts(sqlite3_stmt *st, int first, const ronda_record *rec) {
    sqlite3_bind_blob(st, first, rec->envelope, (int)rec->envelope_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, first + 1, rec->signature, RONDA_SIG_BYTES, SQLITE_STATIC);
    if (rec->body)
        sqlite3_bind_blob(st, first + 2, rec->body, (int)rec->body_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, first + 2);
}

ronda_err store_fork_low(ronda_store *s, const uint8_t *author, uint64_t *seq) {
    sqlite3_stmt *st = store_stmt(s, Q_FORK_LOW);
    if (!st) return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) return RONDA_ERR_DB;
    *seq = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(st, 0);
    store_idle(s);
    return RONDA_OK;
}

ronda_err store_fork_pair(ronda_store *s, const uint8_t *author, uint64_t seq, uint8_t pair[2][RONDA_ID_BYTES],
                          unsigned *n) {
    sqlite3_stmt *st = store_stmt(s, Q_FORK_PAIR);
    if (!st) return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < 2) {
        if (sqlite3_column_bytes(st, 0) != RONDA_ID_BYTES) {
            sqlite3_reset(st);
            return RONDA_ERR_TAMPERED;
        }
        memcpy(pair[(*n)++], sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
    }
    ronda_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
    sqlite3_reset(st);
    return e;
}

/* A second valid record for a held (author, seq). Two distinct records prove a fork, and the
 * proof kept is canonical: the two versions with the lowest ids held for that seq, in the
 * ledger or here, so nodes that have seen the same versions keep the same pair whichever came
 * first (a version with a lower id replaces the higher one here; the ledger's own record
 * stays, outside the pair). None is kept above the lowest fork seq known (the chain is frozen
 * below it: what follows proves nothing more). A surplus one (an id above both held) is
 * refused with RONDA_ERR_EXISTS, which the sync core counts against the peer that sent it (a
 * flood). At most three versions are ever held for one seq: the ledger's and two here. */
static ronda_err store_fork(ronda_store *s, const ronda_record *rec, const void *other, ronda_outcome *outcome,
                            ronda_detail *d) {
    sqlite3_stmt *st = store_stmt(s, Q_FORK_AT);
    if (!st) return store_dberr(s, d, "fork");
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)rec->seq);
    int rc, held = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES &&
            memcmp(sqlite3_column_blob(st, 0), rec->id, RONDA_ID_BYTES) == 0) {
            *outcome = RONDA_DUPLICATE;
            return RONDA_OK;
        }
        held++;
    }
    if (rc != SQLITE_DONE) return store_dberr(s, d, "fork");
    uint64_t low = 0;
    if (store_fork_low(s, rec->author, &low) != RONDA_OK) return store_dberr(s, d, "fork");
    if (low != 0 && rec->seq > low)
        return why(d, RONDA_ERR_EXISTS,
                   "the author's chain is frozen below an earlier fork: no evidence is kept above it");
    uint8_t pair[2][RONDA_ID_BYTES];
    unsigned n = 0;
    ronda_err pe = store_fork_pair(s, rec->author, rec->seq, pair, &n);
    if (pe == RONDA_ERR_TAMPERED) return why(d, pe, "a held version of this seq has no valid id");
    if (pe != RONDA_OK) return store_dberr(s, d, "fork");
    if (n == 2 && memcmp(rec->id, pair[1], RONDA_ID_BYTES) > 0)
        return why(d, RONDA_ERR_EXISTS,
                   "fork evidence for this (author, seq) is held already: the two versions with the lowest ids"
                   " prove it, and this one's id is higher");
    st = store_stmt(s, Q_FORK_INSERT);
    if (!st) return store_dberr(s, d, "fork");
    sqlite3_bind_blob(st, 1, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)rec->seq);
    sqlite3_bind_int64(st, 4, (int64_t)rec->hlc);
    sqlite3_bind_text(st, 5, ronda_kind_name(rec->kind), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, other, RONDA_ID_BYTES, SQLITE_TRANSIENT);
    bind_parts(st, 7, rec);
    if (sqlite3_step(st) != SQLITE_DONE) return store_dberr(s, d, "fork");
    *outcome = sqlite3_changes(s->db) ? RONDA_FORK : RONDA_DUPLICATE;
    if (*outcome != RONDA_FORK) return RONDA_OK;
    if (held > 0) { /* a lower id than the pair's higher one: that one leaves the evidence */
        st = store_stmt(s, Q_FORK_DROP);
        if (!st) return store_dberr(s, d, "fork");
        sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)rec->seq);
        if (sqlite3_step(st) != SQLITE_DONE) return store_dberr(s, d, "fork");
        if (d)
            snprintf(d->text, sizeof d->text,
                     "fork evidence for seq %llu of this author replaced by a version with a lower id (the pair"
                     " every node keeps)",
                     (unsigned long long)rec->seq);
        return RONDA_OK; /* the chain was frozen at seq - 1 already */
    }
    /* The chain is frozen at seq - 1 from now on: its resolutions from here on leave the
     * topics' status (the other views read the forks table at query time). */
    if (views_refresh_author(s, rec->author) != RONDA_OK) return store_dberr(s, d, "views");
    if (d)
        snprintf(d->text, sizeof d->text,
                 "fork: a second record for seq %llu of this author; its chain is frozen at seq %llu",
                 (unsigned long long)rec->seq, (unsigned long long)rec->seq - 1);
    return RONDA_OK;
}

/* `future`: refuse a record dated beyond the store's clock + RONDA_CLOCK_AHEAD_MAX_MS (every
 * record from outside; a local append dates its own record from the caller's now_ms). */
static ronda_err apply_inner(ronda_store *s, const ronda_record *rec, ronda_outcome *outcome, ronda_detail *d,
                             int future) {
    RONDA_ASSERT(s->in_txn); /* every write below belongs to the caller's transaction */
    ronda_err e;
    /* The author's head first: a seq above it is not held (chains are continuous), so only
     * a seq at or below it needs the by-seq lookup for a duplicate or a fork. */
    uint64_t head_seq = 0, head_hlc = 0;
    uint8_t head[RONDA_ID_BYTES] = {0};
    sqlite3_stmt *st = store_stmt(s, Q_HEAD);
    if (!st) return store_dberr(s, d, "chain");
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        head_seq = (uint64_t)sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) != RONDA_ID_BYTES) return RONDA_ERR_TAMPERED;
        memcpy(head, sqlite3_column_blob(st, 1), RONDA_ID_BYTES);
        head_hlc = (uint64_t)sqlite3_column_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
        return store_dberr(s, d, "chain");
    }
    /* A record already held is a duplicate whatever the roster says now (a later revocation
     * must not turn re-delivery of a held record into a refusal); anything else is checked. */
    if (rec->seq <= head_seq) {
        if (!(st = store_stmt(s, Q_BY_SEQ))) return store_dberr(s, d, "chain");
        sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)rec->seq);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) return why(d, RONDA_ERR_TAMPERED, "frontier disagrees with the records");
        if (rc != SQLITE_ROW) return store_dberr(s, d, "chain");
        if (sqlite3_column_bytes(st, 0) != RONDA_ID_BYTES)
            return why(d, RONDA_ERR_TAMPERED, "stored id is not 32 bytes");
        if (memcmp(sqlite3_column_blob(st, 0), rec->id, RONDA_ID_BYTES) == 0) {
            *outcome = RONDA_DUPLICATE;
            return RONDA_OK;
        }
        uint8_t other[RONDA_ID_BYTES];
        memcpy(other, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
        if (future && (e = store_check_future(s, rec, d)) != RONDA_OK) return e;
        if ((e = check_author(s, rec, d)) != RONDA_OK) return e;
        return store_fork(s, rec, other, outcome, d);
    }
    /* Not held yet: a time too far ahead is refused before anything else, for it says
     * nothing about the record's worth (an honest relay may hold it; it is fetched again). */
    if (future && (e = store_check_future(s, rec, d)) != RONDA_OK) return e;
    /* A forked chain is frozen (proto/record.md section 3, step 7): nothing more of it is
     * stored, whatever branch it continues. Not the record's fault: an honest relay may not
     * hold the evidence yet. */
    uint64_t low = 0;
    if (store_fork_low(s, rec->author, &low) != RONDA_OK) return store_dberr(s, d, "chain");
    if (low != 0) {
        if (d)
            snprintf(d->text, sizeof d->text, "the author's chain is frozen at seq %llu by a fork at seq %llu",
                     (unsigned long long)low - 1, (unsigned long long)low);
        return RONDA_ERR_REVOKED;
    }
    if ((e = check_author(s, rec, d)) != RONDA_OK) return e;
    if (rec->seq > head_seq + 1) return why(d, RONDA_ERR_GAP, "the author's previous record is not held yet");
    if (rec->has_prev && sodium_memcmp(rec->prev, head, RONDA_ID_BYTES) != 0)
        return why(d, RONDA_ERR_CHAIN, "prev does not name the author's record seq-1");
    if (rec->seq > 1 && rec->hlc <= head_hlc)
        return why(d, RONDA_ERR_CHAIN, "hlc does not follow the author's previous record");

    /* Redaction needs an authority-signed order (not yet defined): until then a record
     * without its body is refused, so nobody can strip a member, a revoke or a dialogue on
     * the way and have the stripped copy held as the original. Decoders still accept nil. */
    if (!rec->body) return why(d, RONDA_ERR_SCHEMA, "redacted records (body nil) are not accepted yet");
    /* The body as ronda_record_open decoded it on the checking threads; decoded here only
     * for a record those did not open (its typed body is not of these bytes). */
    ronda_body own;
    const ronda_body *body = store_typed(rec, &own, d, &e);
    if (!body) return e;
    if ((e = views_check(s, rec, body, d)) != RONDA_OK) goto out;

    /* Writes: nothing above has changed the database. The checks above leave exactly one
     * place for the record: the author's next seq (chains are continuous, invariant 2). */
    RONDA_ASSERT_MSG(rec->seq == head_seq + 1, "seq %llu after head %llu", (unsigned long long)rec->seq,
                     (unsigned long long)head_seq);
    RONDA_ASSERT(rec->seq == 1 || rec->hlc > head_hlc);
    st = store_stmt(s, Q_INSERT);
    if (!st) {
        e = store_dberr(s, d, "insert");
        goto out;
    }
    sqlite3_bind_blob(st, 1, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)rec->seq);
    sqlite3_bind_int64(st, 4, (int64_t)rec->hlc);
    sqlite3_bind_text(st, 5, ronda_kind_name(rec->kind), -1, SQLITE_STATIC);
    bind_parts(st, 6, rec);
    if (sqlite3_step(st) != SQLITE_DONE) {
        e = store_dberr(s, d, "insert");
        goto out;
    }
    st = store_stmt(s, Q_HEAD_SET);
    if (!st) {
        e = store_dberr(s, d, "frontier");
        goto out;
    }
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)rec->seq);
    sqlite3_bind_blob(st, 3, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)rec->hlc);
    if (sqlite3_step(st) != SQLITE_DONE) {
        e = store_dberr(s, d, "frontier");
        goto out;
    }
    if ((e = views_apply(s, rec, body)) != RONDA_OK) {
        if (ronda_err_is_db(e)) e = store_dberr(s, d, "views");
        goto out;
    }
    *outcome = RONDA_STORED;
out:
    return e;
}

/* What apply_inner reports on success: one of the three outcomes (written only then). */
static int outcome_ok(ronda_outcome o) { return o == RONDA_STORED || o == RONDA_DUPLICATE || o == RONDA_FORK; }

ronda_err ronda_store_apply(ronda_store *s, const ronda_record *rec, ronda_outcome *outcome, ronda_detail *d) {
    ronda_outcome o = (ronda_outcome)0;
    if (s->in_txn) {
        /* Through a local, so *outcome is written only on success (a fork's later step may
         * fail after the outcome is known). */
        ronda_err ie = apply_inner(s, rec, &o, d, 1);
        if (ie == RONDA_OK) {
            RONDA_ASSERT_MSG(outcome_ok(o), "outcome %d", (int)o);
            *outcome = o;
        }
        return ie;
    }
    /* Autocommit: begin/commit below end with store_idle(). */
    ronda_err e = ronda_store_begin(s);
    if (e != RONDA_OK) return store_dberr(s, d, "begin");
    e = apply_inner(s, rec, &o, d, 1);
    if (e == RONDA_OK) {
        e = ronda_store_commit(s);
        if (e != RONDA_OK) e = store_dberr(s, d, "commit");
    } else {
        ronda_store_rollback(s);
    }
    if (e == RONDA_OK) {
        RONDA_ASSERT_MSG(outcome_ok(o), "outcome %d", (int)o);
        *outcome = o;
    }
    return e;
}

ronda_err ronda_store_ingest(ronda_store *s, const uint8_t *bytes, size_t len, ronda_outcome *outcome,
                             ronda_detail *d) {
    ronda_record rec;
    ronda_err e = ronda_record_open(bytes, len, &rec, d);
    if (e != RONDA_OK) return e;
    return ronda_store_apply(s, &rec, outcome, d);
}

ronda_err ronda_store_append(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], ronda_kind kind,
                             const uint8_t *body, size_t body_len, uint64_t now_ms, uint8_t id_out[RONDA_ID_BYTES],
                             ronda_detail *d) {
    int own_txn = !s->in_txn;
    ronda_err e;
    if (own_txn && (e = ronda_store_begin(s)) != RONDA_OK) return store_dberr(s, d, "begin");
    /* A node restored from a backup, or one a peer showed newer records of its own, must not
     * write a second history (docs/operations.md): checked inside the append's transaction. */
    if ((e = guard_refuses(s, d)) != RONDA_OK) {
        if (own_txn) ronda_store_rollback(s);
        return e;
    }
    uint64_t seq = 1, max_hlc = 0, own_hlc = 0;
    uint8_t prev[RONDA_ID_BYTES];
    int has_prev = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    sqlite3_stmt *st = store_stmt(s, Q_HEAD);
    e = RONDA_ERR_DB;
    if (!st) goto out;
    sqlite3_bind_blob(st, 1, secret + 32, RONDA_KEY_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
        if (sqlite3_column_bytes(st, 1) != RONDA_ID_BYTES) goto out;
        memcpy(prev, sqlite3_column_blob(st, 1), RONDA_ID_BYTES);
        own_hlc = (uint64_t)sqlite3_column_int64(st, 2);
        has_prev = 1;
    } else if (rc != SQLITE_DONE) {
        goto out;
    }
    if (!(st = store_stmt(s, Q_MAX_HLC))) goto out;
    sqlite3_bind_blob(st, 1, secret + 32, RONDA_KEY_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) goto out;
    max_hlc = (uint64_t)sqlite3_column_int64(st, 0);
    /* Another author's time is followed at most RONDA_CLOCK_AHEAD_MAX_MS past our clock: a
     * record signed a year ahead (a hostile member, a PC clock months fast) must not carry
     * our records past our own membership. Our own previous record is always exceeded
     * (the chain rule), wherever our clock stands. */
    uint64_t cap = (now_ms + RONDA_CLOCK_AHEAD_MAX_MS) << RONDA_HLC_COUNTER_BITS;
    if (max_hlc > cap) max_hlc = cap;
    if (own_hlc > max_hlc) max_hlc = own_hlc;
    e = ronda_record_seal(secret, seq, has_prev ? prev : NULL, ronda_hlc_next(now_ms, max_hlc), kind, body, body_len,
                          &bytes, &len);
    if (e != RONDA_OK) goto out;
    ronda_record rec;
    ronda_outcome o;
    if ((e = record_open_sealed(bytes, len, &rec, d)) != RONDA_OK) goto out;
    if ((e = apply_inner(s, &rec, &o, d, 0)) != RONDA_OK) goto out;
    if (o != RONDA_STORED) {
        e = RONDA_ERR_EXISTS;
        goto out;
    }
    /* Stored as sealed: our key, the next seq after the head read above, linked to it. */
    RONDA_ASSERT(sodium_memcmp(rec.author, secret + 32, RONDA_KEY_BYTES) == 0);
    RONDA_ASSERT_MSG(rec.seq == seq && rec.has_prev == has_prev, "seq %llu (sealed %llu), prev %d (sealed %d)",
                     (unsigned long long)rec.seq, (unsigned long long)seq, rec.has_prev, has_prev);
    if (own_txn && (e = ronda_store_commit(s)) != RONDA_OK) goto out;
    if (id_out) memcpy(id_out, rec.id, RONDA_ID_BYTES);
out:
    if (ronda_err_is_db(e)) e = store_dberr(s, d, "append"); /* the first failure, and its kind */
    if (e != RONDA_OK && own_txn) ronda_store_rollback(s);
    store_idle(s);
    free(bytes);
    return e;
}

static ronda_err count(ronda_store *s, const char *sql, uint64_t *out) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? RONDA_OK : store_fail(s, rc);
}

/* The ledger digest (proto/record.md §6) comes from the frontier: see feed.c. */
static ronda_err digest(ronda_store *s, uint8_t out[RONDA_HASH_BYTES], uint64_t *authors) {
    return ronda_store_digest(s, out, authors);
}

ronda_err ronda_store_stats(ronda_store *s, ronda_stats *out) {
    ronda_stats st;
    memset(&st, 0, sizeof st);
    ronda_err e;
    if ((e = count(s, "SELECT count(*) FROM records", &st.records)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM forks", &st.forks)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM (SELECT DISTINCT author, seq FROM forks)", &st.fork_seqs)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM dialogues", &st.dialogues)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM topics", &st.topics)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM resolutions", &st.resolutions)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM members", &st.members)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM revocations", &st.revoked)) != RONDA_OK ||
        (e = count(s, "SELECT count(*) FROM suspect", &st.suspects)) != RONDA_OK ||
        (e = digest(s, st.digest, &st.authors)) != RONDA_OK)
        return e;
    *out = st;
    return RONDA_OK;
}

static int row_from(sqlite3_stmt *st, int fork, ronda_row *r) {
    memset(r, 0, sizeof *r);
    r->rowid = sqlite3_column_int64(st, 0);
    r->fork = fork;
    r->id = sqlite3_column_blob(st, 1);
    r->author = sqlite3_column_blob(st, 2);
    r->seq = (uint64_t)sqlite3_column_int64(st, 3);
    r->hlc = (uint64_t)sqlite3_column_int64(st, 4);
    r->kind = (const char *)sqlite3_column_text(st, 5);
    r->envelope = sqlite3_column_blob(st, 6);
    r->envelope_len = (size_t)sqlite3_column_bytes(st, 6);
    r->signature = sqlite3_column_blob(st, 7);
    r->signature_len = (size_t)sqlite3_column_bytes(st, 7);
    r->body = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 8);
    r->body_len = r->body ? (size_t)sqlite3_column_bytes(st, 8) : 0;
    /* A tampered row may hold short ids; callers see them as NULL rather than overread. */
    if (sqlite3_column_bytes(st, 1) != RONDA_ID_BYTES || sqlite3_column_bytes(st, 2) != RONDA_KEY_BYTES) return 0;
    return 1;
}

ronda_err ronda_store_each(ronda_store *s, const uint8_t *author, int (*cb)(void *, const ronda_row *), void *ctx) {
    static const char *const sql[2][2] = {
        {"SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM records ORDER BY rowid",
         "SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM forks ORDER BY rowid"},
        {"SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM records"
         " WHERE author = ?1 ORDER BY seq",
         "SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM forks"
         " WHERE author = ?1 ORDER BY rowid"}};
    for (int fork = 0; fork < 2; fork++) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, sql[author != NULL][fork], -1, &st, NULL);
        if (rc != SQLITE_OK) return store_fail(s, rc);
        if (author) sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ronda_row r;
            if (!row_from(st, fork, &r)) {
                sqlite3_finalize(st);
                return RONDA_ERR_TAMPERED;
            }
            if (cb(ctx, &r) != 0) {
                sqlite3_finalize(st);
                return RONDA_ERR_INVALID;
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return store_fail(s, rc);
    }
    return RONDA_OK;
}

ronda_err ronda_store_resolve(ronda_store *s, const char *hex, uint8_t id[RONDA_ID_BYTES]) {
    size_t n = strlen(hex);
    if (n < 8 || n > 64) return RONDA_ERR_INVALID;
    char lo[65], hi[65];
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return RONDA_ERR_INVALID;
        lo[i] = hi[i] = c;
    }
    for (size_t i = n; i < 64; i++) {
        lo[i] = '0';
        hi[i] = 'f';
    }
    lo[64] = hi[64] = '\0';
    uint8_t a[32], b[32];
    if (ronda_unhex(lo, a, 32) != RONDA_OK || ronda_unhex(hi, b, 32) != RONDA_OK) return RONDA_ERR_INVALID;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id FROM records WHERE id BETWEEN ?1 AND ?2 UNION ALL"
                                " SELECT id FROM forks WHERE id BETWEEN ?1 AND ?2 LIMIT 2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    sqlite3_bind_blob(st, 1, a, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, b, 32, SQLITE_STATIC);
    int found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (found++ == 0 && sqlite3_column_bytes(st, 0) == 32) memcpy(id, sqlite3_column_blob(st, 0), 32);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_fail(s, rc); /* an error is no "not found" */
    return found == 1 ? RONDA_OK : found == 0 ? RONDA_ERR_NOT_FOUND : RONDA_ERR_INVALID;
}

/* Replays every record through the same apply path, in arrival order, into the derived
 * tables that unqualified names resolve to (main's; the view check's temp copies). A record
 * that no longer opens (signature, body hash, schema) is a verify finding: it stays out of
 * the views and its id goes to `suspect`, which reports and pages exclude. */
ronda_err store_replay(ronda_store *s, void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
                       uint64_t total) {
    uint64_t done = 0;
    sqlite3_stmt *st, *sus;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT envelope, signature, body, id FROM records ORDER BY rowid", -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    if ((rc = sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO suspect(id, error) VALUES (?1, ?2)", -1, &sus, NULL)) !=
        SQLITE_OK) {
        sqlite3_finalize(st);
        return store_fail(s, rc);
    }
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (progress && ++done % RONDA_BATCH_MAX == 0) progress(ctx, done, total);
        ronda_record rec;
        const uint8_t *body = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 2);
        ronda_err oe = ronda_record_open_parts(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                               sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), body,
                                               (size_t)sqlite3_column_bytes(st, 2), &rec, NULL);
        if (oe == RONDA_OK && (sqlite3_column_bytes(st, 3) != RONDA_ID_BYTES ||
                               memcmp(sqlite3_column_blob(st, 3), rec.id, RONDA_ID_BYTES) != 0))
            oe = RONDA_ERR_TAMPERED; /* its id column names another record than its bytes */
        if (oe != RONDA_OK) {
            sqlite3_bind_value(sus, 1, sqlite3_column_value(st, 3));
            sqlite3_bind_text(sus, 2, ronda_errname(oe), -1, SQLITE_STATIC);
            int src = sqlite3_step(sus);
            sqlite3_reset(sus);
            if (src != SQLITE_DONE) {
                e = store_fail(s, src);
                break;
            }
            continue;
        }
        /* The record row exists already; re-derive heads and views only, from the body the
         * open decoded (none when redacted). */
        const ronda_body *j = rec.body ? &rec.typed : NULL;
        sqlite3_stmt *h = store_stmt(s, Q_HEAD_SET);
        if (!h) {
            e = store_fail(s, 0);
            break;
        }
        sqlite3_bind_blob(h, 1, rec.author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(h, 2, (int64_t)rec.seq);
        sqlite3_bind_blob(h, 3, rec.id, RONDA_ID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(h, 4, (int64_t)rec.hlc);
        int hrc = sqlite3_step(h);
        e = hrc == SQLITE_DONE ? views_check(s, &rec, j, NULL) : store_fail(s, hrc);
        if (e == RONDA_OK) e = views_apply(s, &rec, j);
        if (ronda_err_is_db(e) || e == RONDA_ERR_NOMEM) break; /* a refusal only keeps it out of the views */
        e = RONDA_OK;
    }
    if (!ronda_err_is_db(e) && e != RONDA_ERR_NOMEM && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    sqlite3_finalize(sus);
    if (e == RONDA_OK) e = views_fts_flush(s);
    return e;
}

ronda_err ronda_store_rebuild(ronda_store *s) { return ronda_store_rebuild_progress(s, NULL, NULL); }

ronda_err ronda_store_rebuild_progress(ronda_store *s, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                                       void *ctx) {
    ronda_err e;
    if ((e = ronda_store_begin(s)) != RONDA_OK) return e;
    uint64_t total = 0;
    if (progress) {
        sqlite3_stmt *c;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM records", -1, &c, NULL) == SQLITE_OK &&
            sqlite3_step(c) == SQLITE_ROW)
            total = (uint64_t)sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
    }
    for (int i = 0; i < Q__COUNT; i++) { /* statements on dropped tables must be re-prepared */
        sqlite3_finalize(s->stmts[i]);
        s->stmts[i] = NULL;
    }
    if ((e = store_exec(s, views_drop_sql)) != RONDA_OK || (e = store_exec(s, views_schema_sql)) != RONDA_OK) {
        ronda_store_rollback(s);
        return e;
    }
    e = store_replay(s, progress, ctx, total);
    if (e == RONDA_OK) e = meta_set(s, "views", VIEWS_VERSION, 1);
    if (e != RONDA_OK) {
        ronda_store_rollback(s);
        return ronda_err_is_db(e) || e == RONDA_ERR_NOMEM ? e : RONDA_ERR_DB;
    }
    return ronda_store_commit(s);
}

ronda_err ronda_store_head(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t *seq,
                           uint8_t id[RONDA_ID_BYTES]) {
    sqlite3_stmt *st = store_stmt(s, Q_HEAD);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    ronda_err e = rc == SQLITE_DONE ? RONDA_ERR_NOT_FOUND : rc != SQLITE_ROW ? store_fail(s, rc) : RONDA_OK;
    if (e == RONDA_OK && sqlite3_column_bytes(st, 1) != RONDA_ID_BYTES) e = RONDA_ERR_TAMPERED;
    if (e == RONDA_OK) {
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(id, sqlite3_column_blob(st, 1), RONDA_ID_BYTES);
    }
    store_idle(s);
    return e;
}
