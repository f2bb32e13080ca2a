/* Store internals shared by the store's files: the handle and the statement cache. */
#ifndef RONDA_STORE_INT_H
#define RONDA_STORE_INT_H

#include <sodium.h>
#include <sqlite3.h>

#include "ronda/ronda.h"

/* Every prepared statement the store uses, prepared once on first use. */
typedef enum stmt_id {
    Q_HEAD,
    Q_BY_SEQ,
    Q_INSERT,
    Q_HEAD_SET,
    Q_FORK_INSERT,
    Q_FORK_LOW,
    Q_FORK_AT,
    Q_FORK_PAIR,
    Q_FORK_DROP,
    Q_MEMBER_LIVE,
    Q_MEMBER_ANY,
    Q_MEMBER_HQ,
    Q_MEMBER_PLACE,
    Q_REVOKED,
    Q_MAX_HLC,
    Q_RECORD_BY_ID,
    Q_V_DIALOGUE_INSERT,
    Q_V_DIALOGUE_UPDATE,
    Q_V_DIALOGUE_GET,
    Q_V_TOPIC_INSERT,
    Q_V_TOPIC_DELETE,
    Q_V_TOPIC_COUNT,
    Q_V_FTS_INSERT,
    Q_V_FTS_DELETE,
    Q_V_FTS_LAST,
    Q_V_RES_INSERT,
    Q_V_RES_UPDATE,
    Q_V_RES_GET,
    Q_V_MEMBER_INSERT,
    Q_V_REVOKE_UPSERT,
    Q_V_TS_DELETE,
    Q_V_TS_INSERT,
    Q_V_RES_WHERE,
    Q_V_RR_DELETE,
    Q_V_RR_TOPIC,
    Q_V_TS_GET,
    Q_V_RR_ROW,
    Q__COUNT
} stmt_id;
/* Q_V_*: the derived views' statements, whose SQL views.c holds (views_stmt_sql). */
#define Q_V__FIRST Q_V_DIALOGUE_INSERT

/* A search-index change waiting for the end of its batch (views.c): FTS5 writes its pending
 * terms out as a new segment at every statement savepoint, and each record insert opens one
 * (the append-only triggers can abort), so index writes interleaved with record writes cost
 * a tiny segment, and merges, per record. Queued, they are written together. */
typedef struct fts_op {
    int64_t rowid;
    uint8_t dialogue[32];
    char *text; /* malloc'd; NULL: delete the row */
} fts_op;

struct ronda_store {
    sqlite3 *db;
    uint8_t authority[RONDA_KEY_BYTES]; /* the network's authority key (meta) */
    uint8_t node[RONDA_KEY_BYTES];      /* this node's signing key (meta) */
    int in_txn;                         /* an explicit transaction is open */
    sqlite3_stmt *stmts[Q__COUNT];      /* lazily prepared, finalized on close */
    int64_t deadline_ns;                /* ronda_store_timeout: monotonic deadline, 0 = none */
    int timed_out;                      /* the last statement was abandoned at the deadline */
    fts_op *fts_q;                      /* queued search-index changes of the open transaction */
    size_t fts_n, fts_cap, fts_bytes;   /* queued ops, capacity, text bytes queued */
    int64_t fts_next;                   /* next search rowid in this transaction; 0 = not read yet */
    ronda_wall (*clock)(void *ctx);     /* ronda_store_set_clock; NULL: CLOCK_REALTIME */
    void *clock_ctx;
    /* The first SQLite failure since ronda_store_begin (outside a transaction: the latest):
     * what is reported, because the calls after it (a ROLLBACK of a transaction SQLite has
     * already rolled back, a reset) overwrite sqlite3_errmsg with their own text. */
    int err_rc;        /* extended result code; 0 = none */
    char err_msg[160]; /* its sqlite3_errmsg */
};

/* The cached statement `id`, reset and with bindings cleared; NULL on a prepare error. */
sqlite3_stmt *store_stmt(ronda_store *s, stmt_id id);

/* Reset every cached statement when no transaction is open (releases read snapshots). */
void store_idle(ronda_store *s);

/* Run SQL with no result rows. */
ronda_err store_exec(ronda_store *s, const char *sql);

/* The ronda_err kind of a SQLite (extended) result code: RONDA_ERR_DB_FULL, _IO, _BUSY,
 * _CORRUPT, _READONLY, RONDA_ERR_NOMEM, else RONDA_ERR_DB (also for a code that is no error,
 * so a caller that failed always gets an error). */
ronda_err store_errkind(int rc);

/* A statement of s failed with `rc` (what sqlite3_step/prepare/exec returned): note it as
 * the operation's first failure (counted in ronda_store_db_errors) unless one is noted
 * already in this transaction, and return rc's kind. Every SQLite failure of the store
 * returns through this (or store_dberr), so its cause reaches the caller. */
ronda_err store_fail(ronda_store *s, int rc);
/* The same for a failure of another connection `db` that works for s (a backup's copy). */
ronda_err store_fail_on(ronda_store *s, sqlite3 *db, int rc);

/* Report the operation's first SQLite failure (or, none noted, the connection's latest) in
 * `detail` as "what: SQLite's message", and return its kind. */
ronda_err store_dberr(ronda_store *s, ronda_detail *d, const char *what);

/* clock.c: the store's wall clock now; RONDA_ERR_FUTURE (with `detail`) when the record's
 * time is more than RONDA_CLOCK_AHEAD_MAX_MS ahead of it. */
ronda_wall store_clock(const ronda_store *s);
ronda_err store_check_future(const ronda_store *s, const ronda_record *rec, ronda_detail *d);

/* guard.c: RONDA_OK when this node may append; RONDA_ERR_BEHIND (with `detail`) when it is
 * restored and unconfirmed, or knows it is behind its own history. */
ronda_err guard_refuses(ronda_store *s, ronda_detail *d);
/* verify.c: ronda_store_verify with a progress callback (records read, total) and a `note`
 * callback for each record excluded by a revocation (what "excluded"; not a finding), all
 * sharing `ctx` with `cb`; with in_txn the caller holds the read transaction (one snapshot). */
ronda_err store_verify_progress(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *),
                                void (*progress)(void *, uint64_t, uint64_t),
                                void (*note)(void *, const ronda_finding *), void *ctx, int in_txn,
                                ronda_verify_summary *out);
/* The same, also handing `each` every record that opens (signature, body hash, schema: the
 * stateless checks), exactly once and in the pass that checked it, with `ctx`: the audit's
 * reference and place checks ride on verify's one pass instead of opening the records again.
 * The record views bytes that live only during the call. An error from `each` ends verify
 * with that error. */
ronda_err store_verify_each(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *),
                            void (*progress)(void *, uint64_t, uint64_t), void (*note)(void *, const ronda_finding *),
                            ronda_err (*each)(void *, const ronda_record *), void *ctx, int in_txn,
                            ronda_verify_summary *out);

/* store.c: the lowest seq of the author's fork evidence, 0 when none (the chain is frozen at
 * that seq - 1). */
ronda_err store_fork_low(ronda_store *s, const uint8_t *author, uint64_t *seq);
/* The fork evidence of (author, seq): the (at most two) lowest ids held there, in the ledger
 * or in forks, ascending; *n how many. */
ronda_err store_fork_pair(ronda_store *s, const uint8_t *author, uint64_t seq, uint8_t pair[2][RONDA_ID_BYTES],
                          unsigned *n);
/* One author's part of the ledger digest (proto/record.md section 6): feed.c and verify. */
void store_digest_entry(crypto_generichash_state *h, const uint8_t *author, uint64_t seq, const uint8_t *head,
                        uint64_t fork, const uint8_t pair[2][RONDA_ID_BYTES]);
/* views.c: recompute the topic status of every topic the author's resolutions touch (after
 * a revocation or a fork changed which of its records count). */
ronda_err views_refresh_author(ronda_store *s, const uint8_t *author);
/* views.c: reference checks (before any write) and derived-view updates for one record. */
/* A record's columns (envelope at env_col, signature and body after it), opened with the
 * stateless checks and its body decoded into rec->typed (viewing the row's bytes: valid until
 * the statement steps or resets); 0 when it does not verify or is redacted
 * (ronda_store_verify reports that). audit.c. */
int store_open_row(sqlite3_stmt *st, int env_col, ronda_record *rec);
/* A decoded body kept past its statement: a copy of the bytes, and the typed body viewing
 * the copy. store_body_keep: 1, or 0 when out of memory or `body` does not decode. audit.c. */
typedef struct store_body {
    uint8_t *bytes; /* owned */
    ronda_body b;
} store_body;
int store_body_keep(store_body *k, const ronda_body *body);
void store_body_free(store_body *k);
/* The typed body of an opened record: rec->typed when it is of the record's own bytes, else
 * decoded into *own (a record built by hand); NULL when redacted or it does not decode (*e
 * then says which: RONDA_OK for redacted). audit.c. */
const ronda_body *store_typed(const ronda_record *rec, ronda_body *own, ronda_detail *d, ronda_err *e);
/* A text column, borrowed from the row (NULL for SQL NULL). */
static inline const char *store_col_text(sqlite3_stmt *st, int col) {
    return (const char *)sqlite3_column_text(st, col);
}
/* Columns 0..5 of a dialogue list's row: the id (copied), Polres, Polsek, programme, title
 * and time (borrowed from the row: valid until it steps). report.c and query.c. */
static inline void store_dialogue_head(sqlite3_stmt *st, uint8_t id[RONDA_ID_BYTES], const char **polres,
                                       const char **polsek, const char **programme, const char **title,
                                       const char **when) {
    if (sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES) memcpy(id, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
    const char **to[5] = {polres, polsek, programme, title, when};
    for (int i = 0; i < 5; i++) *to[i] = (const char *)sqlite3_column_text(st, 1 + i);
}
/* Strings copied out of rows, all freed together (the typed results that outlive their
 * statements: finding contexts, the network view). explain.c. */
typedef struct store_strs {
    char **v;
    size_t n, cap;
    int nomem; /* a copy failed: the result is incomplete */
} store_strs;
/* A NUL-terminated copy of len bytes at p (NULL for p NULL, or out of memory: nomem set). */
const char *store_strs_keep(store_strs *a, const char *p, size_t len);
/* A text column copied (NULL for SQL NULL). */
const char *store_strs_col(store_strs *a, sqlite3_stmt *st, int col);
void store_strs_free(store_strs *a);
/* A name field as a C string (cut at RONDA_NAME_MAX; "" when absent). */
static inline const char *store_name(ronda_text t, char out[RONDA_NAME_MAX + 1]) {
    size_t n = t.len > RONDA_NAME_MAX ? RONDA_NAME_MAX : t.len;
    if (n) memcpy(out, t.p, n);
    out[n] = '\0';
    return out;
}
/* One frontier entry (author, seq big-endian, head) into a checkpoint's digest of the
 * frontier it lists (no fork items: store_digest_entry is the ledger digest's). audit.c. */
void store_frontier_entry(crypto_generichash_state *h, const uint8_t *author, uint64_t seq, const uint8_t *head);

/* `body` is the record's decoded body (NULL when redacted: nothing to check or derive). */
ronda_err views_check(ronda_store *s, const ronda_record *rec, const ronda_body *body, ronda_detail *d);
/* A dialogue's Polres/Polsek against its author's membership (proto/record.md §5): a precinct
 * files for its own Polres and Polsek, an HQ for its own Polres and any Polsek; names compare
 * without ASCII case, as reports group them. views_place_ok is the rule alone (audit uses it
 * with the roster it reads); views_check_place applies it with the memberships held that are
 * valid at the record's time: RONDA_ERR_PLACE, with both places in d, when none admits it. */
int views_place_ok(const char *role, const char *m_polres, const char *m_polsek, const char *polres,
                   const char *polsek);
ronda_err views_check_place(ronda_store *s, const ronda_record *rec, const ronda_dialogue *dialogue, ronda_detail *d);
ronda_err views_apply(ronda_store *s, const ronda_record *rec, const ronda_body *body);
/* Write the queued search-index changes (before COMMIT, and when the queue is full). */
ronda_err views_fts_flush(ronda_store *s);
/* Forget them (ROLLBACK, close). */
void views_fts_drop(ronda_store *s);
/* query.c: user words as an FTS5 query of quoted terms, all required (malloc'd; NULL when
 * there is no word or the text is longer than RONDA_TEXT_MAX). */
char *fts_terms(const char *text);

/* store.c: replay every record (arrival order) into the derived tables unqualified names
 * resolve to, as `ronda rebuild` does: heads and views, and `suspect` for each record that no
 * longer opens. `progress` (may be NULL) every RONDA_BATCH_MAX records, of `total`. The
 * caller holds the transaction and has emptied the tables. */
ronda_err store_replay(ronda_store *s, void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
                       uint64_t total);

/* viewcheck.c: SQLite's ORDER BY order of two values (BINARY collation): <0, 0, >0. The
 * view check's merge walk compares keys with it, so it must agree with the statements. */
int viewcheck_cmp(sqlite3_value *a, sqlite3_value *b);

/* A report's or page's condition that the record `col` (a dialogue or resolution id) still
 * verifies: records in `suspect` never count (materialized once per statement). */
#define STORE_NOT_SUSPECT(col) " " col " NOT IN (SELECT id FROM suspect)"

/* The derived-table DDL (dropped and recreated by rebuild). */
extern const char views_schema_sql[];
extern const char views_drop_sql[];
extern const char *const views_stmt_sql[Q__COUNT - Q_V__FIRST];

#endif
