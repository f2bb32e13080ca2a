/* The history of one dialogue (ronda_store_history): the dialogue, its amendments and
 * follow-ups, each with whether its record verifies and where it stands. */
#include <stdlib.h>
#include <string.h>

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

/* The events while they are collected: each keeps its body's bytes. */
typedef struct evvec {
    ronda_history_event *v;
    store_body *bodies; /* v[i].body views bodies[i].b when the record verifies */
    size_t n, cap;
} evvec;

/* One event of the history: `ok` when the record verifies (its typed body is then kept). */
static ronda_err event(ronda_store *s, evvec *ev, const ronda_record *rec, int ok) {
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 16;
        ronda_history_event *v = realloc(ev->v, cap * sizeof *v);
        if (!v) return RONDA_ERR_NOMEM;
        ev->v = v;
        store_body *b = realloc(ev->bodies, cap * sizeof *b);
        if (!b) return RONDA_ERR_NOMEM;
        ev->bodies = b;
        ev->cap = cap;
    }
    ronda_history_event *o = &ev->v[ev->n];
    store_body *kept = &ev->bodies[ev->n];
    memset(o, 0, sizeof *o);
    memset(kept, 0, sizeof *kept);
    memcpy(o->id, rec->id, RONDA_ID_BYTES);
    o->kind = rec->kind;
    memcpy(o->author, rec->author, RONDA_KEY_BYTES);
    if (ronda_store_signer(s, rec->author, &o->signer) != RONDA_OK) o->signer.role = -1; /* names unknown, not wrong */
    o->seq = rec->seq;
    o->hlc = rec->hlc;
    o->signed_ms = ronda_hlc_ms(rec->hlc);
    o->problem = ok ? standing(s, rec) : "signature, body hash or body schema does not verify";
    o->verified = o->problem == NULL;
    if (ok && !store_body_keep(kept, &rec->typed)) return RONDA_ERR_NOMEM;
    ev->n++;
    return RONDA_OK;
}

static int event_cmp(const void *x, const void *y) {
    const ronda_history_event *a = x, *b = y;
    if (a->hlc != b->hlc) return a->hlc < b->hlc ? -1 : 1;
    return memcmp(a->id, b->id, RONDA_ID_BYTES);
}

ronda_err ronda_store_history_events(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], uint8_t dialogue[RONDA_ID_BYTES],
                                     int (*cb)(void *ctx, const ronda_history_event *event), void *ctx) {
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

    evvec ev = {NULL, NULL, 0, 0};
    ronda_record rec;
    uint8_t *buf;
    int ok;
    int got = fetch(s, dlg, &rec, &buf, &ok);
    if (got <= 0) return got < 0 ? store_fail(s, 0) : RONDA_ERR_NOT_FOUND;
    ronda_err e = event(s, &ev, &rec, ok);
    free(buf);

    /* Resolutions of this dialogue (any author), then amendments of the dialogue or of those. */
    size_t nres = 0, capres = 16;
    uint8_t(*res)[32] = malloc(capres * 32);
    sqlite3_stmt *st;
    if (!res) e = RONDA_ERR_NOMEM;
    for (int round = 0; round < 2 && e == RONDA_OK; round++) {
        if (sqlite3_prepare_v2(s->db,
                               round == 0 ? "SELECT envelope, signature, body FROM records WHERE kind = 'resolution'"
                                          : "SELECT envelope, signature, body FROM records WHERE kind = 'amend'",
                               -1, &st, NULL) != SQLITE_OK) {
            e = store_fail(s, 0);
            break;
        }
        int rc = SQLITE_DONE;
        while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
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
            if (take) e = event(s, &ev, &rec, 1);
        }
        if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc); /* no history missing */
        sqlite3_finalize(st);
    }
    free(res);
    store_idle(s);
    if (e == RONDA_OK) {
        /* The dialogue first, then by time; the bodies move with their events. */
        for (size_t i = 0; i < ev.n; i++) ev.v[i].body = ev.bodies[i].bytes ? &ev.bodies[i].b : NULL;
        if (ev.n > 2) qsort(ev.v + 1, ev.n - 1, sizeof *ev.v, event_cmp);
        memcpy(dialogue, dlg, RONDA_ID_BYTES);
        for (size_t i = 0; i < ev.n; i++)
            if (cb(ctx, &ev.v[i])) break;
    }
    for (size_t i = 0; i < ev.n; i++) store_body_free(&ev.bodies[i]);
    free(ev.bodies);
    free(ev.v);
    return e;
}
