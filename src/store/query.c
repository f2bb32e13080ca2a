/* Read side of the derived views: filtered topic queries with full-text search, and the
 * JSON picture of one record (ronda show). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Turn user words into an FTS5 query that matches all of them as plain terms: each word
 * is quoted (quotes doubled), so no FTS5 syntax from a user reaches the parser. */
char *fts_terms(const char *text) {
    size_t n = strlen(text);
    if (n > RONDA_TEXT_MAX) return NULL;
    char *out = malloc(3 * n + 3);
    if (!out) return NULL;
    size_t o = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (o) out[o++] = ' ';
        out[o++] = '"';
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '"') out[o++] = '"';
            out[o++] = *p++;
        }
        out[o++] = '"';
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* A text column into a fixed buffer ("" when NULL), cut at cap - 1 bytes. */
static void textcopy(char *out, size_t cap, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(out, t, n);
    out[n] = '\0';
}

ronda_err ronda_store_query_rows(ronda_store *s, const ronda_query *q, int (*cb)(void *, const ronda_query_row *),
                                 void *ctx) {
    static const char sql[] =
        "SELECT d.id, d.polres, d.polsek, d.programme, d.title, d.when_text, d.village, d.venue,"
        " d.participants, t.idx, t.category, t.summary, coalesce(r.status, 'open'), r.referred_to,"
        " r.action, r.when_text, r.id"
        " FROM dialogues d JOIN topics t ON t.dialogue = d.id"
        " LEFT JOIN resolutions r ON r.id = (SELECT r2.id FROM resolutions r2 WHERE r2.dialogue = t.dialogue"
        "  AND r2.topic = t.idx AND NOT EXISTS (SELECT 1 FROM revocations v2 WHERE v2.member = r2.author"
        "  AND r2.seq > v2.last_seq) AND NOT EXISTS (SELECT 1 FROM forks f2 WHERE f2.author = r2.author"
        "  AND r2.seq >= f2.seq) AND" STORE_NOT_SUSPECT(
            "r2.id") " ORDER BY r2.hlc DESC, r2.id DESC LIMIT 1)"
                     /* records written after their author's revocation, or from the seq its chain forked
                      * at, stay held but out of every view */
                     " WHERE NOT EXISTS (SELECT 1 FROM revocations v WHERE v.member = d.author AND d.seq > v.last_seq)"
                     " AND NOT EXISTS (SELECT 1 FROM forks f WHERE f.author = d.author AND d.seq >= f.seq)"
                     /* and records that no longer verify (the last view check's `suspect`) count nowhere */
                     " AND" STORE_NOT_SUSPECT(
                         "d.id") " AND (?1 IS NULL OR d.polres = ?1 COLLATE NOCASE)"
                                 " AND (?2 IS NULL OR d.polsek = ?2 COLLATE NOCASE)"
                                 " AND (?3 IS NULL OR d.programme = ?3)"
                                 " AND (?4 IS NULL OR t.category = ?4)"
                                 " AND (?5 IS NULL OR coalesce(r.status, 'open') = ?5)"
                                 " AND (?6 IS NULL OR d.date >= ?6) AND (?7 IS NULL OR d.date <= ?7)"
                                 " AND (?8 IS NULL OR d.id IN (SELECT dialogue FROM search WHERE search MATCH ?8))"
                                 " ORDER BY d.when_ms, d.id, t.idx LIMIT ?9";
    sqlite3_stmt *st;
    char *terms = NULL;
    if (q->text && *q->text && !(terms = fts_terms(q->text))) return RONDA_ERR_INVALID;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        free(terms);
        return store_fail(s, 0);
    }
    const char *args[8] = {q->polres, q->polsek, q->programme, q->category, q->status, q->date_from, q->date_to, terms};
    for (int i = 0; i < 8; i++)
        if (args[i] && *args[i]) sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, q->limit ? q->limit : RONDA_QUERY_ROWS_DEFAULT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_query_row r;
        memset(&r, 0, sizeof r);
        store_dialogue_head(st, r.dialogue, &r.polres, &r.polsek, &r.programme, &r.title, &r.when);
        r.village = store_col_text(st, 6);
        r.venue = store_col_text(st, 7);
        r.has_participants = sqlite3_column_type(st, 8) != SQLITE_NULL;
        r.participants = sqlite3_column_int64(st, 8);
        r.topic = sqlite3_column_int64(st, 9);
        r.category = store_col_text(st, 10);
        r.summary = store_col_text(st, 11);
        r.status = store_col_text(st, 12);
        r.referred_to = store_col_text(st, 13);
        r.action = store_col_text(st, 14);
        r.status_when = store_col_text(st, 15);
        r.has_resolution = sqlite3_column_bytes(st, 16) == RONDA_ID_BYTES;
        if (r.has_resolution) memcpy(r.resolution, sqlite3_column_blob(st, 16), RONDA_ID_BYTES);
        if (cb(ctx, &r)) break;
    }
    ronda_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
    sqlite3_finalize(st);
    free(terms);
    return e;
}

/* The name the roster gives a key ("authority" for the authority) into out; 0 when unknown. */
static int member_name(ronda_store *s, const uint8_t *author, char out[RONDA_NAME_MAX + 1]) {
    out[0] = '\0';
    if (memcmp(author, s->authority, RONDA_KEY_BYTES) == 0) {
        snprintf(out, RONDA_NAME_MAX + 1, "authority");
        return 1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM members WHERE sign_key = ?1 ORDER BY valid_from DESC LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    int got = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0);
    if (got) textcopy(out, RONDA_NAME_MAX + 1, st, 0);
    sqlite3_finalize(st);
    return got;
}

/* What a record view owns: the record's bytes, the current body's, the resolutions' texts. */
struct ronda_record_view_mem {
    uint8_t *bytes;     /* envelope, signature, body: rec views them */
    store_body current; /* the current body's bytes */
    store_strs strs;    /* the resolutions' texts */
};

void ronda_record_view_free(ronda_record_view *v) {
    if (!v) return;
    if (v->mem) {
        free(v->mem->bytes);
        store_body_free(&v->mem->current);
        store_strs_free(&v->mem->strs);
        free(v->mem);
    }
    free(v->resolutions);
    memset(v, 0, sizeof *v);
}

/* The resolutions that refer to a dialogue, oldest first, and its current body. */
static ronda_err related(ronda_store *s, const uint8_t *id, ronda_record_view *v) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, topic, status, referred_to, action, when_text, author"
                           " FROM resolutions WHERE dialogue = ?1 ORDER BY hlc, id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
    size_t cap = 0;
    ronda_err e = RONDA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (v->nresolutions == cap) {
            cap = cap ? cap * 2 : 8;
            ronda_resolution_row *g = realloc(v->resolutions, cap * sizeof *g);
            if (!g) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            v->resolutions = g;
        }
        ronda_resolution_row *r = &v->resolutions[v->nresolutions];
        memset(r, 0, sizeof *r);
        if (sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES) memcpy(r->id, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
        r->topic = sqlite3_column_int64(st, 1);
        const char **f[4] = {&r->status, &r->referred_to, &r->action, &r->when};
        for (int k = 0; k < 4; k++) *f[k] = store_strs_col(&v->mem->strs, st, 2 + k);
        r->has_author_name = sqlite3_column_bytes(st, 6) == RONDA_KEY_BYTES &&
                             member_name(s, sqlite3_column_blob(st, 6), r->author_name);
        v->nresolutions++;
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc); /* the view is not shown with rows missing */
    sqlite3_finalize(st);
    if (e == RONDA_OK && v->mem->strs.nomem) e = RONDA_ERR_NOMEM;
    if (e != RONDA_OK) return e;
    /* The current body: the latest amend's (its "body"), or the dialogue's own. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT r.kind, r.body, d.amends FROM dialogues d"
                           " JOIN records r ON r.id = coalesce(d.amended_by, d.id) WHERE d.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
    ronda_body b;
    ronda_kind kind = RONDA_KIND_NONE;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_BLOB &&
        (kind = ronda_kind_from_name((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0))) !=
            RONDA_KIND_NONE &&
        ronda_body_decode(kind, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &b, NULL) ==
            RONDA_OK) {
        if (!store_body_keep(&v->mem->current, &b)) {
            e = RONDA_ERR_NOMEM;
        } else {
            v->current = v->mem->current.b;
            if (kind == RONDA_KIND_AMEND) { /* the amend's new body, as a body of its own kind */
                ronda_amend am = v->current.u.amend;
                v->current.kind = (ronda_kind)am.kind;
                if (am.kind == RONDA_KIND_DIALOGUE)
                    v->current.u.dialogue = am.body.dialogue;
                else
                    v->current.u.resolution = am.body.resolution;
            }
            v->has_current = 1;
            v->amendments = sqlite3_column_int64(st, 2);
        }
    }
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_record_view(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], ronda_record_view *v) {
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body, 0 FROM records WHERE id = ?1 UNION ALL"
                           " SELECT envelope, signature, body, 1 FROM forks WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? RONDA_ERR_NOT_FOUND : store_fail(s, rc);
    }
    /* the columns die with the statement: one copy the record can point into */
    size_t el = (size_t)sqlite3_column_bytes(st, 0), sl = (size_t)sqlite3_column_bytes(st, 1),
           bl = (size_t)sqlite3_column_bytes(st, 2);
    int has_body = sqlite3_column_type(st, 2) != SQLITE_NULL;
    v->mem = calloc(1, sizeof *v->mem);
    uint8_t *buf = v->mem ? malloc(el + sl + bl + 1) : NULL;
    if (!buf) {
        sqlite3_finalize(st);
        ronda_record_view_free(v);
        return RONDA_ERR_NOMEM;
    }
    v->mem->bytes = buf;
    if (el) memcpy(buf, sqlite3_column_blob(st, 0), el);
    if (sl) memcpy(buf + el, sqlite3_column_blob(st, 1), sl);
    if (bl) memcpy(buf + el + sl, sqlite3_column_blob(st, 2), bl);
    memcpy(v->id, id, RONDA_ID_BYTES);
    v->fork_evidence = sqlite3_column_int(st, 3);
    sqlite3_finalize(st);
    v->error = ronda_record_open_parts(buf, el, buf + el, sl, has_body ? buf + el + sl : NULL, bl, &v->rec, &v->detail);
    if (v->error != RONDA_OK) return RONDA_OK;
    v->has_author_name = member_name(s, v->rec.author, v->author_name);
    /* A forked chain is frozen below its lowest fork (proto/record.md section 3): flag the
     * author, and whether this record is beyond the freeze (in no view). */
    uint64_t low = 0;
    if (store_fork_low(s, v->rec.author, &low) == RONDA_OK && low != 0) {
        v->forked_at = low;
        v->frozen = v->rec.seq >= low;
    }
    if (v->rec.kind == RONDA_KIND_DIALOGUE) {
        v->has_view = 1;
        ronda_err e = related(s, v->rec.id, v);
        if (e != RONDA_OK) {
            ronda_record_view_free(v);
            return e;
        }
    }
    return RONDA_OK;
}

ronda_err ronda_store_member_info(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES], ronda_member_info *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.name, m.polres, m.polsek, m.role, m.endpoint, m.valid_from, m.valid_until,"
                           " m.curve_key, r.last_seq FROM members m LEFT JOIN revocations r ON r.member = m.sign_key"
                           " WHERE m.sign_key = ?1 ORDER BY m.valid_from DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, key, RONDA_KEY_BYTES, SQLITE_STATIC);
    ronda_err e = RONDA_ERR_NOT_FOUND;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc); /* an error is no "never admitted" */
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        textcopy(out->name, sizeof out->name, st, 0);
        textcopy(out->polres, sizeof out->polres, st, 1);
        textcopy(out->polsek, sizeof out->polsek, st, 2);
        textcopy(out->endpoint, sizeof out->endpoint, st, 4);
        const char *role = (const char *)sqlite3_column_text(st, 3);
        out->role = -1;
        for (int r = RONDA_ROLE_PRECINCT; r <= RONDA_ROLE_AUDITOR; r++)
            if (role && strcmp(role, ronda_role_name(r)) == 0) out->role = r;
        out->valid_from = (uint64_t)sqlite3_column_int64(st, 5);
        out->valid_until = (uint64_t)sqlite3_column_int64(st, 6);
        out->has_curve_key = sqlite3_column_bytes(st, 7) == RONDA_KEY_BYTES;
        if (out->has_curve_key) memcpy(out->curve_key, sqlite3_column_blob(st, 7), RONDA_KEY_BYTES);
        out->revoked = sqlite3_column_type(st, 8) != SQLITE_NULL;
        e = RONDA_OK;
    }
    sqlite3_finalize(st);
    return e;
}
