/* Verification of a whole database (ronda verify). Its signature checks run in parallel
 * through record/batch.h, as import's and sync's do.
 *
 * verify trusts nothing derived: it re-opens every record from its stored bytes, rebuilds
 * the roster from the authority's own verified records, walks every chain in seq order and
 * recomputes the digest from the records to compare with the frontier table. */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/batch.h"
#include "store/store_int.h"

/* ------------------------------------------------------------------ verify */

#define ROSTER_MAX 100000u /* member records one authority may have issued; beyond is hostile */

typedef struct member_entry {
    uint8_t key[RONDA_KEY_BYTES];
    int writer; /* role precinct or hq */
    int hq;     /* role hq: may also write checkpoints */
    uint64_t from_ms, until_ms;
} member_entry;

typedef struct revoke_entry {
    uint8_t key[RONDA_KEY_BYTES];
    uint64_t last_seq;
} revoke_entry;

typedef struct vctx {
    ronda_store *s;
    unsigned threads;
    void (*cb)(void *, const ronda_finding *);
    void *cb_ctx;
    void (*progress)(void *, uint64_t, uint64_t); /* every batch: records read, records in all */
    void (*note)(void *, const ronda_finding *);  /* excluded records (not findings); may be NULL */
    uint64_t total;                               /* records + the authority's (read twice) */
    uint64_t done;
    ronda_verify_summary sum;
    member_entry *members;
    size_t n_members;
    revoke_entry *revokes;
    size_t n_revokes;
    /* chain walk state: the author being walked and its last record */
    int have_author;
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t last_seq, last_hlc;
    uint8_t last_id[RONDA_ID_BYTES];
    uint64_t dseq; /* frontier entry: last record not excluded by a revocation or a fork */
    /* store_verify_each: every record that opens, once, while its bytes are at hand */
    ronda_err (*each)(void *, const ronda_record *);
    uint64_t fork; /* the author's lowest fork seq within its good chain, 0 = none: frozen below it */
    uint8_t did[RONDA_ID_BYTES];
    int chain_broken; /* a finding in this chain: later links are not reported again */
    crypto_generichash_state digest;
} vctx;

static void finding(vctx *v, ronda_finding_kind kind, ronda_err err, int64_t rowid, const uint8_t *id,
                    const uint8_t *author, uint64_t seq, const char *detail) {
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.what = ronda_finding_kind_name(kind);
    f.err = err;
    f.rowid = rowid;
    if (id) memcpy(f.id, id, RONDA_ID_BYTES);
    if (author) memcpy(f.author, author, RONDA_KEY_BYTES);
    f.seq = seq;
    snprintf(f.detail, sizeof f.detail, "%s", detail ? detail : ronda_strerror(err));
    v->sum.findings++;
    if (v->cb) v->cb(v->cb_ctx, &f);
}

static void roster_add(vctx *v, const ronda_record *rec) {
    ronda_body own;
    ronda_err e;
    const ronda_body *b = store_typed(rec, &own, NULL, &e);
    if (!b) return;
    if (rec->kind == RONDA_KIND_MEMBER && v->n_members < ROSTER_MAX) {
        member_entry *m = realloc(v->members, (v->n_members + 1) * sizeof *m);
        if (m) {
            v->members = m;
            m = &m[v->n_members];
            memcpy(m->key, b->u.member.sign_key, 32);
            m->hq = b->u.member.role == RONDA_ROLE_HQ;
            m->writer = m->hq || b->u.member.role == RONDA_ROLE_PRECINCT;
            m->from_ms = b->u.member.valid_from.v;
            m->until_ms = b->u.member.valid_until.v;
            v->n_members++;
        }
    } else if (rec->kind == RONDA_KIND_REVOKE && v->n_revokes < ROSTER_MAX) {
        revoke_entry *r = realloc(v->revokes, (v->n_revokes + 1) * sizeof *r);
        if (r) {
            v->revokes = r;
            r = &r[v->n_revokes];
            memcpy(r->key, b->u.revoke.member, 32);
            r->last_seq = b->u.revoke.last_seq.v;
            v->n_revokes++;
        }
    }
}

static ronda_err membership(const vctx *v, const ronda_record *rec) {
    int is_authority = memcmp(rec->author, v->s->authority, RONDA_KEY_BYTES) == 0;
    if (is_authority != ronda_kind_is_authority(rec->kind)) return RONDA_ERR_ROLE;
    if (is_authority) return RONDA_OK;
    uint64_t ms = ronda_hlc_ms(rec->hlc);
    int live = 0, hq = 0;
    for (size_t i = 0; i < v->n_members; i++) {
        const member_entry *m = &v->members[i];
        if (m->writer && memcmp(m->key, rec->author, 32) == 0 && m->from_ms <= ms && ms < m->until_ms) {
            live = 1;
            hq |= m->hq;
        }
    }
    if (!live) return RONDA_ERR_NOT_MEMBER;
    if ((rec->kind == RONDA_KIND_CHECKPOINT || rec->kind == RONDA_KIND_COSIGN) && !hq) return RONDA_ERR_ROLE;
    for (size_t i = 0; i < v->n_revokes; i++)
        if (memcmp(v->revokes[i].key, rec->author, 32) == 0 && rec->seq > v->revokes[i].last_seq)
            return RONDA_ERR_REVOKED;
    return RONDA_OK;
}

/* A fork freezes the chain below its lowest seq (proto/record.md §3 step 7), unless it lies
 * beyond a revocation (those records are excluded anyway). 0: not forked. */
static uint64_t fork_of(const vctx *v, const uint8_t *author) {
    uint64_t low = 0, cut = UINT64_MAX;
    for (size_t i = 0; i < v->n_revokes; i++)
        if (memcmp(v->revokes[i].key, author, 32) == 0 && v->revokes[i].last_seq < cut) cut = v->revokes[i].last_seq;
    return store_fork_low(v->s, author, &low) == RONDA_OK && low != 0 && low <= cut ? low : 0;
}

/* The author's frontier entry: its last record not excluded by a revocation (none: left out). */
static void end_author(vctx *v) {
    if (!v->have_author) return;
    if (v->dseq > 0 || v->fork > 0) {
        static const uint8_t zero[32] = {0};
        uint8_t pair[2][RONDA_ID_BYTES];
        memset(pair, 0, sizeof pair);
        unsigned n = 0;
        /* A pair that cannot be read leaves zeros: the digest then differs, a finding below. */
        if (v->fork > 0 && store_fork_pair(v->s, v->author, v->fork, pair, &n) != RONDA_OK)
            memset(pair, 0, sizeof pair);
        store_digest_entry(&v->digest, v->author, v->dseq, v->dseq > 0 ? v->did : zero, v->fork,
                           (const uint8_t(*)[RONDA_ID_BYTES])pair);
    }
    v->sum.authors++;
    v->have_author = 0;
}

typedef struct vrow {
    int64_t rowid;
    uint8_t *blob; /* one allocation holding the columns below */
    const uint8_t *id, *author, *env, *sig, *body;
    size_t id_len, author_len, env_len, sig_len, body_len;
    uint64_t seq, hlc;
    char kind[RONDA_KIND_MAX + 1];
} vrow;

static void check_row(vctx *v, const vrow *r, const ronda_record *rec, ronda_err err, const ronda_detail *d,
                      int roster_pass) {
    const uint8_t *author = r->author_len == 32 ? r->author : NULL;
    /* The chain walk follows the author column; a new author starts a new chain. */
    if (author && (!v->have_author || memcmp(author, v->author, 32) != 0)) {
        end_author(v);
        v->have_author = 1;
        memcpy(v->author, author, 32);
        v->last_seq = 0;
        v->last_hlc = 0;
        v->dseq = 0;
        v->chain_broken = 0;
        v->fork = fork_of(v, author);
    }
    if (err != RONDA_OK) {
        finding(v, RONDA_FINDING_RECORD, err, r->rowid, r->id_len == 32 ? r->id : NULL, author, r->seq, d->text);
        v->chain_broken = 1;
        v->last_seq = v->dseq = r->seq;
        if (r->id_len == 32) {
            memcpy(v->last_id, r->id, 32);
            memcpy(v->did, r->id, 32);
        }
        return;
    }
    if (r->id_len != 32 || memcmp(r->id, rec->id, 32) != 0 || !author || memcmp(author, rec->author, 32) != 0 ||
        r->seq != rec->seq || r->hlc != rec->hlc || strcmp(r->kind, ronda_kind_name(rec->kind)) != 0) {
        finding(v, RONDA_FINDING_RECORD, RONDA_ERR_TAMPERED, r->rowid, rec->id, rec->author, rec->seq,
                "index columns (id, author, seq, hlc, kind) disagree with the signed envelope");
        v->chain_broken = 1;
    }
    if (!rec->body) /* the body is not signed, so only this catches a stripped one */
        finding(v, RONDA_FINDING_RECORD, RONDA_ERR_TAMPERED, r->rowid, rec->id, rec->author, rec->seq,
                "body removed (redacted): a ledger never stores a record without its body");
    if (!v->chain_broken) {
        if (rec->seq != v->last_seq + 1) {
            finding(v, RONDA_FINDING_CHAIN, RONDA_ERR_GAP, r->rowid, rec->id, rec->author, rec->seq,
                    "seq does not follow the previous record held (records missing)");
            v->chain_broken = 1;
        } else if (rec->seq > 1 && (memcmp(rec->prev, v->last_id, 32) != 0 || rec->hlc <= v->last_hlc)) {
            finding(v, RONDA_FINDING_CHAIN, RONDA_ERR_CHAIN, r->rowid, rec->id, rec->author, rec->seq,
                    "prev or hlc does not follow the previous record");
            v->chain_broken = 1;
        }
    }
    ronda_err m = membership(v, rec);
    if (m == RONDA_ERR_REVOKED) {
        /* Held because it arrived before the revocation did: not tampering, but outside the
         * ledger (digest, views). Counted, not a finding. */
        v->sum.excluded++;
        if (v->note) {
            ronda_finding f;
            memset(&f, 0, sizeof f);
            f.kind = RONDA_FINDING_EXCLUDED;
            f.what = ronda_finding_kind_name(f.kind);
            f.err = RONDA_ERR_REVOKED;
            f.rowid = r->rowid;
            memcpy(f.id, rec->id, 32);
            memcpy(f.author, rec->author, 32);
            f.seq = rec->seq;
            snprintf(f.detail, sizeof f.detail,
                     "written after its author's revocation; held (it arrived first) but outside the ledger");
            v->note(v->cb_ctx, &f);
        }
    } else {
        if (m != RONDA_OK)
            finding(v, RONDA_FINDING_MEMBERSHIP, m, r->rowid, rec->id, rec->author, rec->seq,
                    m == RONDA_ERR_ROLE ? "author's role may not write this kind"
                                        : "author was not a member with a writing role at the record's time");
        if (v->fork == 0 || rec->seq < v->fork) {
            v->dseq = rec->seq;
            memcpy(v->did, rec->id, 32);
        } else {
            v->sum.excluded++; /* beyond the freeze: held, outside the ledger; the fork is a finding */
        }
    }
    if (roster_pass) roster_add(v, rec);
    v->last_seq = rec->seq;
    v->last_hlc = rec->hlc;
    memcpy(v->last_id, rec->id, 32);
}

static int copy_row(sqlite3_stmt *st, vrow *r) {
    memset(r, 0, sizeof *r);
    r->rowid = sqlite3_column_int64(st, 0);
    size_t lens[5];
    int cols[5] = {1, 2, 6, 7, 8};
    size_t total = 0;
    for (int i = 0; i < 5; i++) total += lens[i] = (size_t)sqlite3_column_bytes(st, cols[i]);
    r->blob = malloc(total ? total : 1);
    if (!r->blob) return 0;
    uint8_t *p = r->blob;
    const uint8_t **dst[5] = {&r->id, &r->author, &r->env, &r->sig, &r->body};
    size_t *dlen[5] = {&r->id_len, &r->author_len, &r->env_len, &r->sig_len, &r->body_len};
    for (int i = 0; i < 5; i++) {
        if (lens[i]) memcpy(p, sqlite3_column_blob(st, cols[i]), lens[i]);
        *dst[i] = p;
        *dlen[i] = lens[i];
        p += lens[i];
    }
    if (sqlite3_column_type(st, 8) == SQLITE_NULL) r->body = NULL;
    r->seq = (uint64_t)sqlite3_column_int64(st, 3);
    r->hlc = (uint64_t)sqlite3_column_int64(st, 4);
    const unsigned char *k = sqlite3_column_text(st, 5);
    snprintf(r->kind, sizeof r->kind, "%s", k ? (const char *)k : "");
    return 1;
}

/* One pass over records (all, or the authority's only) in (author, seq) order. */
static ronda_err pass(vctx *v, int roster_pass) {
    const char *sql = roster_pass ? "SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM records"
                                    " WHERE author = ?1 ORDER BY author, seq"
                                  : "SELECT rowid, id, author, seq, hlc, kind, envelope, signature, body FROM records"
                                    " ORDER BY author, seq";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(v->s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_fail(v->s, 0);
    if (roster_pass) sqlite3_bind_blob(st, 1, v->s->authority, RONDA_KEY_BYTES, SQLITE_STATIC);
    vrow *rows = calloc(RONDA_BATCH_MAX, sizeof *rows);
    record_job *jobs = calloc(RONDA_BATCH_MAX, sizeof *jobs);
    ronda_record *recs = calloc(RONDA_BATCH_MAX, sizeof *recs);
    ronda_err *errs = calloc(RONDA_BATCH_MAX, sizeof *errs);
    ronda_detail *det = calloc(RONDA_BATCH_MAX, sizeof *det);
    ronda_err e = RONDA_OK;
    if (!rows || !jobs || !recs || !errs || !det) e = RONDA_ERR_NOMEM;
    int rc = SQLITE_ROW;
    while (e == RONDA_OK && rc == SQLITE_ROW) {
        size_t n = 0;
        while (n < RONDA_BATCH_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (!copy_row(st, &rows[n])) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            vrow *r = &rows[n];
            jobs[n] = (record_job){NULL,       0,           r->env,   r->sig,   r->body, r->env_len,
                                   r->sig_len, r->body_len, &recs[n], &errs[n], &det[n]};
            det[n].text[0] = '\0';
            n++;
        }
        if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(v->s, rc);
        record_open_jobs(jobs, n, v->threads);
        v->done += n;
        if (v->progress) v->progress(v->cb_ctx, v->done, v->total);
        for (size_t i = 0; i < n; i++) {
            if (e == RONDA_OK) {
                if (!roster_pass && rows[i].author_len == 32 && memcmp(rows[i].author, v->s->authority, 32) == 0) {
                    /* checked in the roster pass; still part of the digest */
                    if (!v->have_author || memcmp(v->author, rows[i].author, 32) != 0) {
                        end_author(v);
                        v->have_author = 1;
                        memcpy(v->author, rows[i].author, 32);
                        v->dseq = 0;
                        v->fork = fork_of(v, rows[i].author);
                    }
                    v->last_seq = rows[i].seq;
                    memcpy(v->last_id, rows[i].id, rows[i].id_len == 32 ? 32 : 0);
                    if (v->fork == 0 || rows[i].seq < v->fork) {
                        v->dseq = rows[i].seq;
                        memcpy(v->did, rows[i].id, rows[i].id_len == 32 ? 32 : 0);
                    }
                } else {
                    check_row(v, &rows[i], &recs[i], errs[i], &det[i], roster_pass);
                    v->sum.records++;
                    /* the authority's records are handed on in the roster pass, the rest here */
                    if (v->each && errs[i] == RONDA_OK) e = v->each(v->cb_ctx, &recs[i]);
                }
            }
            free(rows[i].blob);
        }
    }
    sqlite3_finalize(st);
    free(rows);
    free(jobs);
    free(recs);
    free(errs);
    free(det);
    return e;
}

/* A view check's finding is verify's too. */
static void on_view_finding(void *ctx, const ronda_finding *f) {
    vctx *v = ctx;
    v->sum.findings++;
    if (v->cb) v->cb(v->cb_ctx, f);
}

static ronda_err check_forks(vctx *v) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(v->s->db,
                           "SELECT f.rowid, f.id, f.author, f.seq, f.envelope, f.signature, f.body, r.id"
                           " FROM forks f LEFT JOIN records r ON r.author = f.author AND r.seq = f.seq"
                           " ORDER BY f.author, f.seq, f.id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(v->s, 0);
    int rc, have_last = 0;
    uint8_t last_author[32];
    uint64_t last_seq = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        v->sum.forks++;
        ronda_record rec;
        ronda_detail d = {{0}};
        const uint8_t *body = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 6);
        ronda_err e = ronda_record_open_parts(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4),
                                              sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5), body,
                                              (size_t)sqlite3_column_bytes(st, 6), &rec, &d);
        const uint8_t *id = sqlite3_column_bytes(st, 1) == 32 ? sqlite3_column_blob(st, 1) : NULL;
        const uint8_t *author = sqlite3_column_bytes(st, 2) == 32 ? sqlite3_column_blob(st, 2) : NULL;
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 3);
        if (e != RONDA_OK) {
            finding(v, RONDA_FINDING_FORK_EVIDENCE, e, 0, id, author, seq, d.text);
        } else if (!id || memcmp(id, rec.id, 32) != 0 || sqlite3_column_type(st, 7) == SQLITE_NULL) {
            finding(v, RONDA_FINDING_FORK_EVIDENCE, RONDA_ERR_TAMPERED, 0, rec.id, rec.author, rec.seq,
                    "fork evidence does not match a held record of the same author and seq");
        } else if (!have_last || memcmp(last_author, rec.author, 32) != 0 || last_seq != rec.seq) {
            /* One finding per fork, naming its evidence: the two lowest ids held for the seq,
             * the same at every node that has seen the same versions (the higher one is the
             * finding's record, so the finding too is the same everywhere). */
            have_last = 1;
            memcpy(last_author, rec.author, 32);
            last_seq = rec.seq;
            v->sum.fork_seqs++;
            uint8_t pair[2][RONDA_ID_BYTES];
            unsigned n = 0;
            ronda_err pe = store_fork_pair(v->s, rec.author, rec.seq, pair, &n);
            if (pe != RONDA_OK) {
                sqlite3_finalize(st);
                return pe;
            }
            char a[65], b[65];
            ronda_hex(pair[0], 32, a);
            ronda_hex(pair[1], 32, b);
            char text[200];
            snprintf(text, sizeof text, "author signed two records for this seq: %.16s... and %.16s...", a, b);
            finding(v, RONDA_FINDING_FORK, RONDA_ERR_CHAIN, 0, pair[1], rec.author, rec.seq, text);
        }
    }
    /* An error is no end of the rows: verify must not pass having checked fewer. */
    ronda_err e = rc == SQLITE_DONE ? RONDA_OK : store_fail(v->s, rc);
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_verify(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *), void *ctx,
                             ronda_verify_summary *out) {
    return store_verify_progress(s, threads, cb, NULL, NULL, ctx, 0, out);
}

ronda_err store_verify_progress(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *),
                                void (*progress)(void *, uint64_t, uint64_t),
                                void (*note)(void *, const ronda_finding *), void *ctx, int in_txn,
                                ronda_verify_summary *out) {
    return store_verify_each(s, threads, cb, progress, note, NULL, ctx, in_txn, out);
}

ronda_err store_verify_each(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *),
                            void (*progress)(void *, uint64_t, uint64_t), void (*note)(void *, const ronda_finding *),
                            ronda_err (*each)(void *, const ronda_record *), void *ctx, int in_txn,
                            ronda_verify_summary *out) {
    vctx v;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.each = each;
    v.threads = threads;
    v.cb = cb;
    v.cb_ctx = ctx;
    v.progress = progress;
    v.note = note;
    crypto_generichash_init(&v.digest, NULL, 0, RONDA_HASH_BYTES);
    crypto_generichash_update(&v.digest, (const uint8_t *)"ronda-ledger-v1", 15);
    ronda_err e = in_txn ? RONDA_OK : store_exec(s, "BEGIN"); /* one snapshot for every pass */
    if (e != RONDA_OK) return e;
    if (progress) {
        uint64_t all = 0, auth = 0;
        sqlite3_stmt *cs;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*), sum(author = ?1) FROM records", -1, &cs, NULL) == SQLITE_OK) {
            sqlite3_bind_blob(cs, 1, s->authority, RONDA_KEY_BYTES, SQLITE_STATIC);
            if (sqlite3_step(cs) == SQLITE_ROW) { /* the total only scales progress: a failure is found below */
                all = (uint64_t)sqlite3_column_int64(cs, 0);
                auth = (uint64_t)sqlite3_column_int64(cs, 1);
            }
            sqlite3_finalize(cs);
        }
        v.total = all + auth;
    }

    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN"
                           " ('records_no_update', 'records_no_delete', 'records_no_replace', 'forks_no_update',"
                           " 'forks_no_delete', 'forks_no_replace')",
                           -1, &st, NULL) != SQLITE_OK) {
        e = store_fail(s, 0); /* a check that cannot run fails: it does not pass */
    } else {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            e = store_fail(s, rc);
        else if (sqlite3_column_int(st, 0) != 6)
            finding(&v, RONDA_FINDING_STORE, RONDA_ERR_TAMPERED, 0, NULL, NULL, 0,
                    "append-only triggers are missing: the database was altered outside ronda");
        sqlite3_finalize(st);
    }
    if (e == RONDA_OK && (e = pass(&v, 1)) == RONDA_OK) {
        end_author(&v);
        /* Restart the digest: the full pass below walks every author, the authority's too. */
        crypto_generichash_init(&v.digest, NULL, 0, RONDA_HASH_BYTES);
        crypto_generichash_update(&v.digest, (const uint8_t *)"ronda-ledger-v1", 15);
        v.sum.authors = 0;
        e = pass(&v, 0);
    }
    if (e == RONDA_OK) {
        end_author(&v);
        e = check_forks(&v);
    }
    if (e == RONDA_OK) {
        uint8_t from_records[RONDA_HASH_BYTES];
        ronda_stats stats;
        crypto_generichash_final(&v.digest, from_records, sizeof from_records);
        if ((e = ronda_store_stats(s, &stats)) == RONDA_OK && memcmp(from_records, stats.digest, 32) != 0)
            finding(&v, RONDA_FINDING_FRONTIER, RONDA_ERR_TAMPERED, 0, NULL, NULL, 0,
                    "the frontier table disagrees with the records (run `ronda rebuild` after checking why)");
    }
    if (!in_txn) store_exec(s, "COMMIT");
    if (e == RONDA_OK && !in_txn) {
        /* The views after the records, from a snapshot of their own (the caller that holds
         * the transaction, the audit, runs it after its own). */
        ronda_view_check vc;
        ronda_err ve = ronda_store_check_views(s, on_view_finding, &v, &vc);
        if (ve != RONDA_OK && ve != RONDA_ERR_VIEW) e = ve;
    }
    free(v.members);
    free(v.revokes);
    if (e != RONDA_OK) return e;
    *out = v.sum;
    return RONDA_OK;
}
