/* Feeds for replication: the frontier, the digest from it, an author's records by seq, and
 * records by arrival (for pushing what is new). All read-only; each encodes records in the
 * v1 layout straight from their stored parts. */
#include <stdlib.h>
#include <string.h>

#include "record/canon.h"
#include "store/store_int.h"
#include "util/assert.h"

/* The frontier query of ronda_store_frontier_forks; with `since`, only the authors with a
 * record stored after row ?1, fork evidence after fork row ?2, or a revocation (of them)
 * stored after row ?1 (which moves their entry without a record of theirs). */
static ronda_err frontier_query(ronda_store *s, int since, int64_t row, int64_t fork_row,
                                int (*cb)(void *, const uint8_t *, uint64_t, const uint8_t *, uint64_t), void *ctx) {
    sqlite3_stmt *st;
    /* A revoked author's chain ends at the revocation's last good record, whatever a node
     * received before the revoke reached it: so nodes that saw the revoke at different times
     * still agree (proto/record.md §6). Authors cut to nothing are left out. The entry is the
     * id of the record held at last_seq (held: chains are continuous), not the revoke's
     * last_id claim, which nothing checks and which a node holding exactly last_seq records
     * would not use.
     * A forked chain ends at the record before its lowest fork seq, and the entry carries
     * that seq: two nodes that know the fork agree whichever branch each holds beyond it. A
     * fork above a revocation's last_seq changes nothing (those records are excluded
     * anyway) and is left out, so nodes agree whether or not they stored it before the
     * revoke. A chain forked at seq 1 has an entry of seq 0 (zero head). */
    static const char all[] = "SELECT author, cut, CASE WHEN cut = seq THEN head ELSE (SELECT x.id FROM records x"
                              "  WHERE x.author = t.author AND x.seq = t.cut) END, fork FROM"
                              " (SELECT h.author, h.seq, h.head, min(h.seq, coalesce(r.last_seq, h.seq),"
                              "   coalesce(f.low - 1, h.seq)) AS cut, f.low AS fork"
                              "  FROM heads h LEFT JOIN revocations r ON r.member = h.author"
                              "  LEFT JOIN (SELECT author, min(seq) AS low FROM forks GROUP BY author) f"
                              "   ON f.author = h.author AND (r.last_seq IS NULL OR f.low <= r.last_seq)) t"
                              " WHERE cut > 0 OR fork IS NOT NULL ORDER BY author";
    static const char changed[] =
        "SELECT author, cut, CASE WHEN cut = seq THEN head ELSE (SELECT x.id FROM records x"
        "  WHERE x.author = t.author AND x.seq = t.cut) END, fork FROM"
        " (SELECT h.author, h.seq, h.head, min(h.seq, coalesce(r.last_seq, h.seq),"
        "   coalesce(f.low - 1, h.seq)) AS cut, f.low AS fork"
        "  FROM heads h LEFT JOIN revocations r ON r.member = h.author"
        "  LEFT JOIN (SELECT author, min(seq) AS low FROM forks GROUP BY author) f"
        "   ON f.author = h.author AND (r.last_seq IS NULL OR f.low <= r.last_seq)"
        "  WHERE h.author IN (SELECT author FROM records WHERE rowid > ?1"
        "   UNION SELECT author FROM forks WHERE rowid > ?2"
        "   UNION SELECT v.member FROM revocations v JOIN records x ON x.id = v.record WHERE x.rowid > ?1)) t"
        " WHERE cut > 0 OR fork IS NOT NULL ORDER BY author";
    if (sqlite3_prepare_v2(s->db, since ? changed : all, -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
    if (since && (sqlite3_bind_int64(st, 1, row) != SQLITE_OK || sqlite3_bind_int64(st, 2, fork_row) != SQLITE_OK)) {
        sqlite3_finalize(st);
        return store_fail(s, 0);
    }
    static const uint8_t zero[RONDA_ID_BYTES] = {0};
    int rc;
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 1);
        if (sqlite3_column_bytes(st, 0) != 32 || (seq > 0 && sqlite3_column_bytes(st, 2) != 32)) {
            e = RONDA_ERR_TAMPERED;
            break;
        }
        uint64_t fork = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(st, 3);
        if (cb(ctx, sqlite3_column_blob(st, 0), seq, seq > 0 ? sqlite3_column_blob(st, 2) : zero, fork)) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_frontier_forks(ronda_store *s,
                                     int (*cb)(void *, const uint8_t *, uint64_t, const uint8_t *, uint64_t),
                                     void *ctx) {
    return frontier_query(s, 0, 0, 0, cb, ctx);
}

ronda_err ronda_store_frontier_since(ronda_store *s, int64_t row, int64_t fork_row,
                                     int (*cb)(void *, const uint8_t *, uint64_t, const uint8_t *, uint64_t),
                                     void *ctx) {
    return frontier_query(s, 1, row, fork_row, cb, ctx);
}

typedef struct plain_ctx {
    int (*cb)(void *, const uint8_t *, uint64_t, const uint8_t *);
    void *ctx;
} plain_ctx;

static int plain_entry(void *vctx, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork) {
    plain_ctx *p = vctx;
    (void)fork;
    return seq == 0 ? 0 : p->cb(p->ctx, author, seq, head);
}

ronda_err ronda_store_frontier(ronda_store *s, int (*cb)(void *, const uint8_t *, uint64_t, const uint8_t *),
                               void *ctx) {
    plain_ctx p = {cb, ctx};
    return ronda_store_frontier_forks(s, plain_entry, &p);
}

ronda_err ronda_store_fork_pair(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                                uint8_t pair[2][RONDA_ID_BYTES], unsigned *n) {
    ronda_err e = store_fork_pair(s, author, seq, pair, n);
    store_idle(s);
    return e;
}

void store_digest_entry(crypto_generichash_state *h, const uint8_t *author, uint64_t seq, const uint8_t *head,
                        uint64_t fork, const uint8_t pair[2][RONDA_ID_BYTES]) {
    uint8_t entry[32 + 8 + 32 + 8 + 2 * RONDA_ID_BYTES];
    memcpy(entry, author, 32);
    for (int i = 0; i < 8; i++) entry[32 + i] = (uint8_t)(seq >> (56 - 8 * i));
    memcpy(entry + 40, head, 32);
    for (int i = 0; i < 8; i++) entry[72 + i] = (uint8_t)(fork >> (56 - 8 * i));
    if (fork) memcpy(entry + 80, pair, 2 * RONDA_ID_BYTES);
    /* The fork seq and its evidence only for a forked chain: an unforked ledger's digest is
     * what it was. */
    crypto_generichash_update(h, entry, fork ? sizeof entry : 72);
}

typedef struct digest_ctx {
    ronda_store *s;
    crypto_generichash_state h;
    uint64_t n;
    ronda_err e;
} digest_ctx;

static int digest_entry(void *vctx, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork) {
    digest_ctx *c = vctx;
    uint8_t pair[2][RONDA_ID_BYTES];
    memset(pair, 0, sizeof pair);
    unsigned n = 0;
    if (fork && (c->e = store_fork_pair(c->s, author, fork, pair, &n)) != RONDA_OK) return 1;
    store_digest_entry(&c->h, author, seq, head, fork, (const uint8_t(*)[RONDA_ID_BYTES])pair);
    c->n++;
    return 0;
}

ronda_err ronda_store_digest(ronda_store *s, uint8_t digest[RONDA_HASH_BYTES], uint64_t *authors) {
    digest_ctx c;
    c.s = s;
    c.e = RONDA_OK;
    c.n = 0;
    crypto_generichash_init(&c.h, NULL, 0, RONDA_HASH_BYTES);
    crypto_generichash_update(&c.h, (const uint8_t *)"ronda-ledger-v1", 15);
    ronda_err e = ronda_store_frontier_forks(s, digest_entry, &c);
    if (e == RONDA_OK) e = c.e;
    if (e != RONDA_OK) return e;
    crypto_generichash_final(&c.h, digest, RONDA_HASH_BYTES);
    if (authors) *authors = c.n;
    return RONDA_OK;
}

/* Columns 0..2 of st are envelope, signature, body: encode them as one record. */
static ronda_err encode_row(sqlite3_stmt *st, cwr *w) {
    cwr_array(w, 3);
    cwr_bin(w, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    cwr_bin(w, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
    if (sqlite3_column_type(st, 2) == SQLITE_NULL)
        cwr_nil(w);
    else
        cwr_bin(w, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
    /* Read straight from w->buf by the callers (not through cwr_take): one whole value. */
    RONDA_ASSERT(w->failed || cwr_complete(w));
    return w->failed ? RONDA_ERR_NOMEM : RONDA_OK;
}

ronda_err ronda_store_range(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t from, size_t max_count,
                            size_t max_bytes, int (*cb)(void *, const uint8_t *, size_t), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body FROM records WHERE author = ?1 AND seq >= ?2"
                           " ORDER BY seq LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)from);
    sqlite3_bind_int64(st, 3, (int64_t)max_count);
    size_t bytes = 0, n = 0;
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cwr w;
        cwr_init(&w);
        e = encode_row(st, &w);
        if (e == RONDA_OK && bytes > 0 && bytes + w.buf.size > max_bytes) {
            cwr_destroy(&w);
            break;
        }
        bytes += w.buf.size;
        /* What a reply's caller sizes its message by: at most max_count records, and at most
         * max_bytes unless one record alone is larger. */
        RONDA_ASSERT_MSG(++n <= max_count && (n == 1 || bytes <= max_bytes), "%zu records, %zu bytes of %zu", n, bytes,
                         max_bytes);
        int stop = e == RONDA_OK ? cb(ctx, (const uint8_t *)w.buf.data, w.buf.size) : 1;
        cwr_destroy(&w);
        if (stop) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_forks_at(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                               int (*cb)(void *, const uint8_t *, size_t), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body FROM forks WHERE author = ?1 AND seq = ?2"
                           " ORDER BY id LIMIT 2",
                           -1, &st, NULL) != SQLITE_OK)
        return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cwr w;
        cwr_init(&w);
        e = encode_row(st, &w);
        int stop = e == RONDA_OK ? cb(ctx, (const uint8_t *)w.buf.data, w.buf.size) : 1;
        cwr_destroy(&w);
        if (stop) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = RONDA_ERR_DB;
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_id_at(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                            uint8_t id[RONDA_ID_BYTES]) {
    sqlite3_stmt *st = store_stmt(s, Q_BY_SEQ);
    if (!st) return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    int rc = sqlite3_step(st);
    ronda_err e = rc == SQLITE_DONE ? RONDA_ERR_NOT_FOUND : rc != SQLITE_ROW ? RONDA_ERR_DB : RONDA_OK;
    if (e == RONDA_OK && sqlite3_column_bytes(st, 0) != RONDA_ID_BYTES) e = RONDA_ERR_TAMPERED;
    if (e == RONDA_OK) memcpy(id, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
    store_idle(s);
    return e;
}

ronda_err ronda_store_fork_seq(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t *seq) {
    return store_fork_low(s, author, seq);
}

ronda_err ronda_store_since(ronda_store *s, int fork, int64_t after, size_t max_count,
                            int (*cb)(void *, int64_t, const uint8_t *, const uint8_t *, size_t), void *ctx) {
    sqlite3_stmt *st;
    const char *sql =
        fork ? "SELECT envelope, signature, body, rowid, id FROM forks WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
             : "SELECT envelope, signature, body, rowid, id FROM records WHERE rowid > ?1 ORDER BY rowid LIMIT ?2";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (int64_t)max_count);
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cwr w;
        cwr_init(&w);
        e = encode_row(st, &w);
        if (e == RONDA_OK && sqlite3_column_bytes(st, 4) != RONDA_ID_BYTES) e = RONDA_ERR_TAMPERED;
        int stop = e == RONDA_OK ? cb(ctx, sqlite3_column_int64(st, 3), sqlite3_column_blob(st, 4),
                                      (const uint8_t *)w.buf.data, w.buf.size)
                                 : 1;
        cwr_destroy(&w);
        if (stop) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_last_rowid(ronda_store *s, int fork, int64_t *rowid) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            s->db, fork ? "SELECT coalesce(max(rowid), 0) FROM forks" : "SELECT coalesce(max(rowid), 0) FROM records",
            -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *rowid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? RONDA_OK : store_fail(s, rc);
}

ronda_err ronda_store_live_members(ronda_store *s, uint64_t now_ms,
                                   int (*cb)(void *, const uint8_t *, const uint8_t *, const char *, const char *),
                                   void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT sign_key, curve_key, endpoint, name FROM members m"
                           " WHERE valid_from <= ?1 + ?2 AND valid_until > ?1 - ?2"
                           " AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.member = m.sign_key)"
                           " ORDER BY sign_key",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_int64(st, 1, (int64_t)now_ms);
    sqlite3_bind_int64(st, 2, (int64_t)RONDA_CLOCK_AHEAD_MAX_MS); /* a clock that is a little off */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32 || sqlite3_column_bytes(st, 1) != 32) continue;
        if (cb(ctx, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1), (const char *)sqlite3_column_text(st, 2),
               (const char *)sqlite3_column_text(st, 3)))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}
