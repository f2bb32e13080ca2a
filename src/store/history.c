/* The history of one dialogue (ronda_store_history): the dialogue, its amendments and
 * follow-ups, each with whether its record verifies and where it stands. */
#include <stdlib.h>
#include <string.h>

#include "store/store_json.h"
#include "store/tlog.h"

/* A record by id: opened (its typed body viewing *buf, which the caller frees); 0 when not
 * held, -1 on a database failure. *ok says whether it verifies. */
static int fetch(ronda_store *s, const uint8_t id[32], ronda_record *rec, uint8_t **buf, int *ok) {
    sqlite3_stmt *st;
    *buf = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT envelope, signature, body FROM records WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int found = 0;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) found = -1;
    if (rc == SQLITE_ROW) {
        /* copy the columns: the record views them after the statement is gone */
        size_t l0 = (size_t)sqlite3_column_bytes(st, 0), l1 = (size_t)sqlite3_column_bytes(st, 1),
               l2 = (size_t)sqlite3_column_bytes(st, 2);
        int has_body = sqlite3_column_type(st, 2) != SQLITE_NULL;
        *buf = malloc(l0 + l1 + l2 + 1);
        if (*buf) {
            memcpy(*buf, sqlite3_column_blob(st, 0), l0);
            memcpy(*buf + l0, sqlite3_column_blob(st, 1), l1);
            if (l2) memcpy(*buf + l0 + l1, sqlite3_column_blob(st, 2), l2);
            found = 1;
            *ok = ronda_record_open_parts(*buf, l0, *buf + l0, l1, has_body ? *buf + l0 + l1 : NULL, l2, rec, NULL) ==
                      RONDA_OK &&
                  rec->body && rec->typed.kind == rec->kind;
        }
    }
    sqlite3_finalize(st);
    return found;
}

/* Chain link and membership of an opened record, by this ledger: NULL when both hold. */
static const char *standing(ronda_store *s, const ronda_record *rec) {
    if (rec->seq > 1) {
        sqlite3_stmt *st = store_stmt(s, Q_BY_SEQ);
        if (!st) return "database error";
        sqlite3_bind_blob(st, 1, rec->author, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)(rec->seq - 1));
        int rc = sqlite3_step(st);
        int linked = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
                     memcmp(sqlite3_column_blob(st, 0), rec->prev, 32) == 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return "database error";
        if (!linked) return "its chain link does not verify (the author's previous record is missing or differs)";
    }
    sqlite3_stmt *st;
    const char *why = "its author was not a writing member at its time";
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.role, (SELECT min(last_seq) FROM revocations r WHERE r.member = m.sign_key)"
                           " FROM members m WHERE m.sign_key = ?1 AND m.valid_from <= ?2 AND m.valid_until > ?2"
                           " AND m.role IN ('precinct', 'hq')",
                           -1, &st, NULL) != SQLITE_OK)
        return "database error";
    sqlite3_bind_blob(st, 1, rec->author, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)ronda_hlc_ms(rec->hlc));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_NULL && (uint64_t)sqlite3_column_int64(st, 1) < rec->seq)
            why = "written after its author's revocation";
        else
            why = NULL;
    }
    if (rc != SQLITE_DONE) why = "database error"; /* not verified: a failed read proves nothing */
    sqlite3_finalize(st);
    return why;
}

/* One event of the history: `ok` when the record verifies (its typed body is then shown). */
static json_t *event(ronda_store *s, const ronda_record *rec, int ok) {
    json_t *o = json_object();
    char hex[65];
    ronda_hex(rec->id, 32, hex);
    json_object_set_new(o, "id", json_string(hex));
    json_object_set_new(o, "kind", json_string(ronda_kind_name(rec->kind)));
    ronda_hex(rec->author, 32, hex);
    json_object_set_new(o, "author", json_string(hex));
    json_t *sg = json_object();
    ronda_chain_info who;
    memset(&who, 0, sizeof who);
    if (ronda_store_signer(s, rec->author, &who) != RONDA_OK) who.role = -1; /* names unknown, not wrong */
    ronda_signer_json(&who, sg);
    json_object_set_new(o, "signer", sg);
    json_object_set_new(o, "seq", json_integer((json_int_t)rec->seq));
    json_object_set_new(o, "hlc", json_integer((json_int_t)rec->hlc));
    json_object_set_new(o, "signed_ms", json_integer((json_int_t)ronda_hlc_ms(rec->hlc)));
    const char *problem = ok ? standing(s, rec) : "signature, body hash or body schema does not verify";
    json_object_set_new(o, "verified", json_boolean(problem == NULL));
    if (problem) json_object_set_new(o, "problem", json_string(problem));
    json_t *body = NULL;
    if (!ok || ronda_body_json(&rec->typed, &body) != RONDA_OK) body = json_null();
    json_object_set_new(o, "body", body);
    return o;
}

static int event_cmp(const void *x, const void *y) {
    json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    json_int_t ha = json_integer_value(json_object_get(a, "hlc")), hb = json_integer_value(json_object_get(b, "hlc"));
    if (ha != hb) return ha < hb ? -1 : 1;
    return strcmp(store_jstr(a, "id"), store_jstr(b, "id"));
}

ronda_err ronda_store_history(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    uint8_t dlg[32];
    memcpy(dlg, id, 32);
    /* From an amendment or a resolution, walk to the dialogue (at most amend -> resolution -> dialogue). */
    int found = 0;
    for (int step = 0; step < 3 && !found; step++) {
        ronda_record rec;
        uint8_t *buf;
        int ok;
        int got = fetch(s, dlg, &rec, &buf, &ok);
        if (got <= 0) return got < 0 ? store_fail(s, 0) : RONDA_ERR_NOT_FOUND;
        int moved = 0;
        if (ok && rec.kind == RONDA_KIND_DIALOGUE) {
            found = 1;
        } else if (ok && rec.kind == RONDA_KIND_RESOLUTION) {
            memcpy(dlg, rec.typed.u.resolution.dialogue, 32);
            moved = 1;
        } else if (ok && rec.kind == RONDA_KIND_AMEND) {
            memcpy(dlg, rec.typed.u.amend.target, 32);
            moved = 1;
        }
        free(buf);
        if (!found && !moved) return RONDA_ERR_NOT_FOUND;
    }
    if (!found) return RONDA_ERR_NOT_FOUND;

    json_t *events = json_array();
    ronda_record rec;
    uint8_t *buf;
    int ok;
    int got = fetch(s, dlg, &rec, &buf, &ok);
    if (got <= 0) {
        json_decref(events);
        return got < 0 ? store_fail(s, 0) : RONDA_ERR_NOT_FOUND;
    }
    json_array_append_new(events, event(s, &rec, ok));
    free(buf);

    /* Resolutions of this dialogue (any author), then amendments of the dialogue or of those. */
    size_t nres = 0, capres = 16;
    uint8_t(*res)[32] = malloc(capres * 32);
    sqlite3_stmt *st;
    ronda_err e = RONDA_OK;
    if (!res) e = RONDA_ERR_NOMEM;
    for (int round = 0; round < 2 && e == RONDA_OK; round++) {
        if (sqlite3_prepare_v2(s->db,
                               round == 0 ? "SELECT envelope, signature, body FROM records WHERE kind = 'resolution'"
                                          : "SELECT envelope, signature, body FROM records WHERE kind = 'amend'",
                               -1, &st, NULL) != SQLITE_OK) {
            e = store_fail(s, 0);
            break;
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (!store_open_row(st, 0, &rec)) continue;
            int take = 0;
            if (round == 0 && rec.kind == RONDA_KIND_RESOLUTION) {
                take = memcmp(rec.typed.u.resolution.dialogue, dlg, 32) == 0;
                if (take && nres < RONDA_QUERY_ROWS_DEFAULT) {
                    if (nres == capres) {
                        uint8_t(*g)[32] = realloc(res, (capres *= 2) * 32);
                        if (!g) {
                            e = RONDA_ERR_NOMEM;
                            break;
                        }
                        res = g;
                    }
                    memcpy(res[nres++], rec.id, 32);
                }
            } else if (round == 1 && rec.kind == RONDA_KIND_AMEND) {
                const uint8_t *ref = rec.typed.u.amend.target;
                take = memcmp(ref, dlg, 32) == 0;
                for (size_t i = 0; i < nres && !take; i++) take = memcmp(ref, res[i], 32) == 0;
            }
            if (take) json_array_append_new(events, event(s, &rec, 1));
        }
        if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc); /* no history missing */
        sqlite3_finalize(st);
    }
    free(res);
    store_idle(s);
    if (e != RONDA_OK) {
        json_decref(events);
        return e;
    }
    size_t n = json_array_size(events);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        json_decref(events);
        return RONDA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(events, i));
    qsort(v + 1, n - 1, sizeof *v, event_cmp); /* the dialogue first, then by time */
    json_t *sorted = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(sorted, v[i]);
    free(v);
    json_decref(events);
    char hex[65];
    ronda_hex(dlg, 32, hex);
    int all = 1;
    for (size_t i = 0; i < n; i++) all &= json_is_true(json_object_get(json_array_get(sorted, i), "verified"));
    *out = json_pack("{s:s, s:b, s:o}", "dialogue", hex, "verified", all, "events", sorted);
    return *out ? RONDA_OK : RONDA_ERR_NOMEM;
}
