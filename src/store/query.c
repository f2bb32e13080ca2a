/* Read side of the derived views: filtered topic queries with full-text search, and the
 * JSON picture of one record (ronda show). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_json.h"

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

void hexcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    if (sqlite3_column_bytes(st, col) != 32) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char hex[65];
    ronda_hex(sqlite3_column_blob(st, col), 32, hex);
    json_object_set_new(o, key, json_string(hex));
}

void textcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    json_object_set_new(o, key, t ? json_string((const char *)t) : json_null());
}

void intcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    json_object_set_new(o, key,
                        sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                                    : json_integer(sqlite3_column_int64(st, col)));
}

ronda_err ronda_store_query(ronda_store *s, const ronda_query *q, int (*cb)(void *, json_t *), void *ctx) {
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
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        if (!o) {
            e = RONDA_ERR_NOMEM;
            break;
        }
        hexcol(o, "dialogue", st, 0);
        textcol(o, "polres", st, 1);
        textcol(o, "polsek", st, 2);
        textcol(o, "programme", st, 3);
        textcol(o, "title", st, 4);
        textcol(o, "when", st, 5);
        textcol(o, "village", st, 6);
        textcol(o, "venue", st, 7);
        json_object_set_new(o, "participants",
                            sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
                                                                      : json_integer(sqlite3_column_int64(st, 8)));
        json_object_set_new(o, "topic", json_integer(sqlite3_column_int64(st, 9)));
        textcol(o, "category", st, 10);
        textcol(o, "summary", st, 11);
        textcol(o, "status", st, 12);
        textcol(o, "referred_to", st, 13);
        textcol(o, "action", st, 14);
        textcol(o, "status_when", st, 15);
        hexcol(o, "resolution", st, 16);
        int stop = cb(ctx, o);
        json_decref(o);
        if (stop) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    free(terms);
    return e;
}

static json_t *member_name(ronda_store *s, const uint8_t *author) {
    if (memcmp(author, s->authority, RONDA_KEY_BYTES) == 0) return json_string("authority");
    sqlite3_stmt *st;
    json_t *r = json_null();
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM members WHERE sign_key = ?1 ORDER BY valid_from DESC LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return r;
    sqlite3_bind_blob(st, 1, author, RONDA_KEY_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        json_decref(r);
        r = json_string((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return r;
}

/* The amendments and resolutions that refer to a dialogue, oldest first. On a database
 * failure *e gets its kind (the view is not shown with rows missing). */
static json_t *related(ronda_store *s, const uint8_t *id, ronda_err *e) {
    json_t *out = json_object();
    json_t *res = json_array();
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, topic, status, referred_to, action, when_text, author"
                                " FROM resolutions WHERE dialogue = ?1 ORDER BY hlc, id",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) *e = store_fail(s, rc);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *r = json_object();
            hexcol(r, "id", st, 0);
            json_object_set_new(r, "topic", json_integer(sqlite3_column_int64(st, 1)));
            textcol(r, "status", st, 2);
            textcol(r, "referred_to", st, 3);
            textcol(r, "action", st, 4);
            textcol(r, "when", st, 5);
            json_object_set_new(r, "author_name", member_name(s, sqlite3_column_blob(st, 6)));
            json_array_append_new(res, r);
        }
        if (rc != SQLITE_DONE) *e = store_fail(s, rc);
        sqlite3_finalize(st);
    }
    json_object_set_new(out, "resolutions", res);
    /* The current body: the latest amend's (its "body"), or the dialogue's own. */
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT r.kind, r.body, d.amends FROM dialogues d"
                            " JOIN records r ON r.id = coalesce(d.amended_by, d.id) WHERE d.id = ?1",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) *e = store_fail(s, rc);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
        ronda_body b;
        ronda_kind kind = RONDA_KIND_NONE;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) *e = store_fail(s, rc);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_BLOB &&
            (kind = ronda_kind_from_name((const char *)sqlite3_column_text(st, 0),
                                         (size_t)sqlite3_column_bytes(st, 0))) != RONDA_KIND_NONE &&
            ronda_body_decode(kind, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &b, NULL) ==
                RONDA_OK) {
            if (kind == RONDA_KIND_AMEND) { /* the amend's new body, as a body of its own kind */
                ronda_amend am = b.u.amend;
                b.kind = (ronda_kind)am.kind;
                if (am.kind == RONDA_KIND_DIALOGUE)
                    b.u.dialogue = am.body.dialogue;
                else
                    b.u.resolution = am.body.resolution;
            }
            json_t *cur = NULL;
            if (ronda_body_json(&b, &cur) != RONDA_OK) cur = NULL;
            json_object_set_new(out, "current", cur ? cur : json_null());
            json_object_set_new(out, "amendments", json_integer(sqlite3_column_int64(st, 2)));
        }
        sqlite3_finalize(st);
    }
    return out;
}

ronda_err ronda_store_show(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
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
    ronda_record rec;
    ronda_detail d = {{0}};
    const uint8_t *body = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 2);
    ronda_err e = ronda_record_open_parts(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                          sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), body,
                                          (size_t)sqlite3_column_bytes(st, 2), &rec, &d);
    json_t *o = json_object();
    char hex[129];
    ronda_hex(id, 32, hex);
    json_object_set_new(o, "id", json_string(hex));
    json_object_set_new(o, "fork_evidence", json_boolean(sqlite3_column_int(st, 3)));
    json_object_set_new(o, "verified", json_boolean(e == RONDA_OK));
    if (e != RONDA_OK) {
        json_object_set_new(o, "error", json_string(ronda_errname(e)));
        json_object_set_new(o, "detail", json_string(d.text));
    } else {
        ronda_hex(rec.author, 32, hex);
        json_object_set_new(o, "author", json_string(hex));
        json_object_set_new(o, "author_name", member_name(s, rec.author));
        json_object_set_new(o, "seq", json_integer((json_int_t)rec.seq));
        /* A forked chain is frozen below its lowest fork (proto/record.md section 3): flag
         * the author, and whether this record is beyond the freeze (in no view). */
        uint64_t low = 0;
        if (store_fork_low(s, rec.author, &low) == RONDA_OK && low != 0) {
            json_object_set_new(o, "author_forked_at", json_integer((json_int_t)low));
            json_object_set_new(o, "frozen", json_boolean(rec.seq >= low));
        }
        if (rec.has_prev) {
            ronda_hex(rec.prev, 32, hex);
            json_object_set_new(o, "prev", json_string(hex));
        } else {
            json_object_set_new(o, "prev", json_null());
        }
        json_object_set_new(o, "hlc", json_integer((json_int_t)rec.hlc));
        json_object_set_new(o, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(rec.hlc)));
        json_object_set_new(o, "kind", json_string(ronda_kind_name(rec.kind)));
        ronda_hex(rec.body_hash, 32, hex);
        json_object_set_new(o, "body_hash", json_string(hex));
        ronda_hex(rec.signature, 64, hex);
        json_object_set_new(o, "signature", json_string(hex));
        json_t *bj = NULL;
        if (rec.body && ronda_body_json(&rec.typed, &bj) != RONDA_OK) bj = NULL;
        json_object_set_new(o, "redacted", json_boolean(rec.body == NULL));
        json_object_set_new(o, "body", bj ? bj : json_null());
        ronda_err ve = RONDA_OK;
        if (rec.kind == RONDA_KIND_DIALOGUE) json_object_set_new(o, "view", related(s, rec.id, &ve));
        if (ve != RONDA_OK) {
            sqlite3_finalize(st);
            json_decref(o);
            return ve;
        }
    }
    sqlite3_finalize(st);
    *out = o;
    return RONDA_OK;
}

/* A text column into a fixed buffer ("" when NULL), cut at cap - 1 bytes. */
static void textcopy(char *out, size_t cap, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(out, t, n);
    out[n] = '\0';
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

ronda_err ronda_store_member(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES], json_t **out) {
    ronda_member_info m;
    ronda_err e = ronda_store_member_info(s, key, &m);
    if (e != RONDA_OK) return e;
    json_t *o = json_object();
    if (!o) return RONDA_ERR_NOMEM;
    json_object_set_new(o, "name", m.name[0] ? json_string(m.name) : json_null());
    json_object_set_new(o, "polres", m.polres[0] ? json_string(m.polres) : json_null());
    json_object_set_new(o, "polsek", m.polsek[0] ? json_string(m.polsek) : json_null());
    json_object_set_new(o, "role", ronda_role_name(m.role) ? json_string(ronda_role_name(m.role)) : json_null());
    json_object_set_new(o, "endpoint", m.endpoint[0] ? json_string(m.endpoint) : json_null());
    json_object_set_new(o, "valid_from", json_integer((json_int_t)m.valid_from));
    json_object_set_new(o, "valid_until", json_integer((json_int_t)m.valid_until));
    char hex[2 * RONDA_KEY_BYTES + 1];
    ronda_hex(m.curve_key, RONDA_KEY_BYTES, hex);
    json_object_set_new(o, "curve_key", m.has_curve_key ? json_string(hex) : json_null());
    json_object_set_new(o, "revoked", json_boolean(m.revoked));
    *out = o;
    return RONDA_OK;
}
