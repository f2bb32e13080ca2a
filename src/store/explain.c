/* What the ledger still knows about the record a finding is about, for a report that
 * explains it in plain words (`ronda audit`), and both versions of a forked record (the
 * report and the dashboard's dialogue page).
 *
 * A finding names a record by id, author and seq; an auditor needs "a follow-up of dialogue
 * 'Warkop Kamtibmas Karanggandu' (Polsek Durenan, 10 Jan 2025)". The signed records are
 * asked first. When the record itself is gone (a chain gap, records withheld), whatever else
 * still names it is asked: the next record's prev gives its id, checkpoints give the ids of
 * the seqs they signed for, the derived views (which an insider who deleted a record often
 * forgets) still list it as a dialogue, a follow-up or a correction, fork evidence may hold
 * the other version. What comes from the views is marked as such: views are not signed, so
 * they tell what the record probably was, never prove it.
 *
 * Every lookup is by key and bounded (RONDA_EXPLAIN_* in ronda/audit.h): a report over a
 * ledger with a million findings explains each one in constant time. */
#include <stdlib.h>
#include <string.h>

#include "store/store_json.h"

/* Column `col` of a row into o[key]: a 32-byte blob as hex, text, or an integer; JSON null
 * for NULL (or a blob of another size). */
static void hexcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    if (sqlite3_column_bytes(st, col) != 32) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char hex[65];
    ronda_hex(sqlite3_column_blob(st, col), 32, hex);
    json_object_set_new(o, key, json_string(hex));
}

static void textcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    json_object_set_new(o, key, t ? json_string((const char *)t) : json_null());
}

static void intcol(json_t *o, const char *key, sqlite3_stmt *st, int col) {
    json_object_set_new(o, key,
                        sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                                    : json_integer(sqlite3_column_int64(st, col)));
}

/* A record held, opened (signature, body hash and schema checked) with its typed body
 * (rec->typed, kind RONDA_KIND_NONE when redacted) viewing *bytes, which the caller frees;
 * table 0 = the ledger, 1 = fork evidence. Returns 1 when found and it verifies, 0 when not
 * held or it does not verify, -1 on a database failure (the store notes it). */
static int load(ronda_store *s, int table, const uint8_t id[32], ronda_record *rec, uint8_t **bytes) {
    sqlite3_stmt *st;
    const char *sql = table ? "SELECT envelope, signature, body FROM forks WHERE id = ?1"
                            : "SELECT envelope, signature, body FROM records WHERE id = ?1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_fail(s, 0);
        return -1;
    }
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st), out = 0;
    *bytes = NULL;
    if (rc == SQLITE_ROW) {
        /* the columns die with the statement: keep one copy the record can point into */
        size_t el = (size_t)sqlite3_column_bytes(st, 0), sl = (size_t)sqlite3_column_bytes(st, 1),
               bl = (size_t)sqlite3_column_bytes(st, 2);
        int has_body = sqlite3_column_type(st, 2) != SQLITE_NULL;
        uint8_t *buf = malloc(el + sl + bl + 1);
        if (buf) {
            if (el) memcpy(buf, sqlite3_column_blob(st, 0), el);
            if (sl) memcpy(buf + el, sqlite3_column_blob(st, 1), sl);
            if (bl) memcpy(buf + el + sl, sqlite3_column_blob(st, 2), bl);
            if (ronda_record_open_parts(buf, el, buf + el, sl, has_body ? buf + el + sl : NULL, bl, rec, NULL) ==
                RONDA_OK) {
                out = 1;
                *bytes = buf;
            } else {
                free(buf);
            }
        }
    } else if (rc != SQLITE_DONE) {
        store_fail(s, rc);
        out = -1;
    }
    sqlite3_finalize(st);
    return out;
}

static void sethex(json_t *o, const char *k, const uint8_t *v, size_t n) {
    char hex[129];
    ronda_hex(v, n, hex);
    json_object_set_new(o, k, json_string(hex));
}

/* The roster's name and place of a signing key (null fields when unknown). */
static void signer(ronda_store *s, const uint8_t key[32], json_t *into) {
    json_t *m = NULL;
    if (memcmp(key, s->authority, 32) == 0) {
        json_object_set_new(into, "author_name", json_string("authority"));
    } else if (ronda_store_member(s, key, &m) == RONDA_OK) {
        json_object_set(into, "author_name", json_object_get(m, "name"));
        json_object_set(into, "author_polres", json_object_get(m, "polres"));
        json_object_set(into, "author_polsek", json_object_get(m, "polsek"));
        json_object_set(into, "author_role", json_object_get(m, "role"));
    }
    json_decref(m);
    if (!json_object_get(into, "author_name")) json_object_set_new(into, "author_name", json_null());
}

/* A dialogue as a report names it: {id, title, programme, polres, polsek, when, from}, from
 * its signed record when held ("records"), else from the views ("views"); NULL when nothing
 * here knows it. The current body (after amends) is not wanted here: the finding is about
 * the dialogue as it was signed. */
static json_t *jtext(ronda_text t) { return t.len ? json_stringn(t.p, t.len) : json_null(); }

static json_t *dialogue_named(ronda_store *s, const uint8_t id[32]) {
    ronda_record rec;
    uint8_t *bytes = NULL;
    for (int table = 0; table < 2; table++) {
        int got = load(s, table, id, &rec, &bytes);
        if (got < 0) return NULL;
        if (got && rec.kind == RONDA_KIND_DIALOGUE && rec.typed.kind == rec.kind) {
            const ronda_dialogue *b = &rec.typed.u.dialogue;
            const char *prog = ronda_programme_name(b->programme);
            json_t *o = json_object();
            json_object_set_new(o, "title", jtext(b->title));
            json_object_set_new(o, "programme", prog ? json_string(prog) : json_null());
            json_object_set_new(o, "polres", jtext(b->polres));
            json_object_set_new(o, "polsek", jtext(b->polsek));
            json_object_set_new(o, "when", jtext(b->when));
            json_object_set_new(o, "from", json_string(table ? "fork evidence" : "records"));
            sethex(o, "id", id, 32);
            free(bytes);
            return o;
        }
        free(bytes);
        bytes = NULL;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT title, programme, polres, polsek, when_text FROM dialogues WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        store_fail(s, 0);
        return NULL;
    }
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        o = json_object();
        sethex(o, "id", id, 32);
        textcol(o, "title", st, 0);
        textcol(o, "programme", st, 1);
        textcol(o, "polres", st, 2);
        textcol(o, "polsek", st, 3);
        textcol(o, "when", st, 4);
        json_object_set_new(o, "from", json_string("views"));
    }
    sqlite3_finalize(st);
    return o;
}

/* The dialogue a record (held and verified) is about: itself, a resolution's dialogue, an
 * amend's target (or the target's dialogue). depth bounds amend chains. */
static json_t *dialogue_of_body(ronda_store *s, const ronda_record *rec, int depth) {
    const ronda_body *b = &rec->typed;
    if (rec->kind == RONDA_KIND_DIALOGUE) return dialogue_named(s, rec->id);
    if (b->kind != rec->kind) return NULL; /* redacted */
    if (rec->kind == RONDA_KIND_RESOLUTION) return dialogue_named(s, b->u.resolution.dialogue);
    if (rec->kind == RONDA_KIND_AMEND && depth < 2) {
        if (b->u.amend.kind == RONDA_KIND_RESOLUTION) return dialogue_named(s, b->u.amend.body.resolution.dialogue);
        return dialogue_named(s, b->u.amend.target);
    }
    return NULL;
}

/* What the views say about a record id that may no longer be held: a dialogue, a follow-up
 * (its dialogue, topic, status, action), a correction (its target). Adds to `o` and returns
 * 1 when they know it. */
static int views_know(ronda_store *s, const uint8_t id[32], json_t *o) {
    sqlite3_stmt *st;
    int known = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT dialogue, topic, status, referred_to, action, when_text, author FROM resolutions"
                           " WHERE id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            known = 1;
            json_object_set_new(o, "kind", json_string("resolution"));
            intcol(o, "topic", st, 1);
            textcol(o, "status", st, 2);
            textcol(o, "referred_to", st, 3);
            textcol(o, "action", st, 4);
            textcol(o, "when", st, 5);
            if (sqlite3_column_bytes(st, 0) == 32) {
                uint8_t d[32];
                memcpy(d, sqlite3_column_blob(st, 0), 32);
                sqlite3_finalize(st);
                st = NULL;
                json_t *dj = dialogue_named(s, d);
                json_object_set_new(o, "dialogue", dj ? dj : json_null());
            }
        }
        if (st) sqlite3_finalize(st);
    }
    if (!known && sqlite3_prepare_v2(s->db, "SELECT 1 FROM dialogues WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (known) {
            json_object_set_new(o, "kind", json_string("dialogue"));
            json_t *dj = dialogue_named(s, id);
            json_object_set_new(o, "dialogue", dj ? dj : json_null());
        }
    }
    if (!known && sqlite3_prepare_v2(s->db, "SELECT target, reason FROM amendments WHERE record = ?1", -1, &st, NULL) ==
                      SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            known = 1;
            json_object_set_new(o, "kind", json_string("amend"));
            textcol(o, "reason", st, 1);
            if (sqlite3_column_bytes(st, 0) == 32) {
                uint8_t d[32];
                memcpy(d, sqlite3_column_blob(st, 0), 32);
                sqlite3_finalize(st);
                st = NULL;
                json_t *dj = dialogue_named(s, d);
                json_object_set_new(o, "dialogue", dj ? dj : json_null());
            }
        }
        if (st) sqlite3_finalize(st);
    }
    if (known) json_object_set_new(o, "from", json_string("views"));
    return known;
}

/* Everything known of one (author, seq) that is not held: its id (from the next record's
 * prev, or a checkpoint's claim) and what the views, the fork evidence and the records that
 * refer to it still say. */
static json_t *missing_entry(ronda_store *s, const uint8_t author[32], uint64_t seq, const uint8_t *id,
                             const char *id_from) {
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    json_t *named = json_array();
    if (id) {
        sethex(o, "id", id, 32);
        json_array_append_new(named, json_string(id_from));
    } else {
        json_object_set_new(o, "id", json_null());
    }
    json_object_set_new(o, "kind", json_null());
    json_object_set_new(o, "dialogue", json_null());
    if (id && !views_know(s, id, o)) {
        /* Records that still refer to it: follow-ups of a missing dialogue, corrections. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM resolutions WHERE dialogue = ?1", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
                json_object_set_new(o, "kind", json_string("dialogue"));
                json_object_set_new(o, "followed_up_by", json_integer(sqlite3_column_int64(st, 0)));
                json_array_append_new(named, json_string("resolution"));
            }
            sqlite3_finalize(st);
        }
    }
    /* The other version of a forked seq (the ledger's own was deleted) */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, kind FROM forks WHERE author = ?1 AND seq = ?2", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_blob(st, 1, author, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
        if (sqlite3_step(st) == SQLITE_ROW) {
            hexcol(o, "fork_evidence", st, 0);
            if (json_is_null(json_object_get(o, "kind"))) textcol(o, "kind", st, 1);
            json_array_append_new(named, json_string("fork evidence"));
        }
        sqlite3_finalize(st);
    }
    json_object_set_new(o, "named_by", named);
    return o;
}

/* The ids checkpoints signed for (author, lo..hi): heads[i] for seq lo + i, has[i] set. At
 * most RONDA_EXPLAIN_CHECKPOINTS_MAX checkpoints are read, newest first. */
static void checkpoint_heads(ronda_store *s, const uint8_t author[32], uint64_t lo, uint64_t hi, uint8_t (*heads)[32],
                             int *has) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body FROM records WHERE kind = 'checkpoint'"
                           " ORDER BY rowid DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, RONDA_EXPLAIN_CHECKPOINTS_MAX);
    while (sqlite3_step(st) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec) || rec.kind != RONDA_KIND_CHECKPOINT) continue;
        const ronda_list *fr = &rec.typed.u.checkpoint.frontier;
        ronda_entry *en = malloc((fr->n ? fr->n : 1) * sizeof *en);
        if (!en) break; /* out of memory: fewer heads named, none wrong */
        size_t n = ronda_body_entries(fr, en, fr->n);
        for (size_t i = 0; i < n; i++) {
            uint64_t q = en[i].seq.v;
            if (memcmp(en[i].author, author, 32) != 0 || q < lo || q > hi) continue;
            if (!has[q - lo]) memcpy(heads[q - lo], en[i].head, 32);
            has[q - lo] = 1;
        }
        free(en);
    }
    sqlite3_finalize(st);
}

/* The seqs lo..hi of `author`, none held: at most RONDA_EXPLAIN_MISSING_MAX of them, the
 * newest (nearest the finding) first; `last_id` (may be NULL) is hi's id from the next
 * record's prev. */
static json_t *missing_range(ronda_store *s, const uint8_t author[32], uint64_t lo, uint64_t hi, const uint8_t *last_id,
                             const char *last_from) {
    json_t *arr = json_array();
    if (hi < lo) return arr;
    if (hi - lo + 1 > RONDA_EXPLAIN_MISSING_MAX) lo = hi - RONDA_EXPLAIN_MISSING_MAX + 1;
    size_t n = (size_t)(hi - lo + 1);
    uint8_t(*heads)[32] = calloc(n, 32);
    int *has = calloc(n, sizeof *has);
    /* One deleted record (the common case) has its id from the next prev: no checkpoint to read. */
    if (heads && has && (lo < hi || !last_id)) checkpoint_heads(s, author, lo, hi, heads, has);
    for (uint64_t q = hi + 1; q-- > lo;) {
        size_t i = (size_t)(q - lo);
        const uint8_t *id = NULL;
        const char *from = NULL;
        if (q == hi && last_id) {
            id = last_id;
            from = last_from;
        } else if (has && heads && has[i]) {
            id = heads[i];
            from = "checkpoint";
        }
        json_array_append_new(arr, missing_entry(s, author, q, id, from));
    }
    free(heads);
    free(has);
    return arr;
}

/* The largest seq of `author` held below `below` (0 when none); -1 on a failure. */
static int64_t held_below(ronda_store *s, const uint8_t author[32], uint64_t below) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(seq), 0) FROM records WHERE author = ?1 AND seq < ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 1, author, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)below);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* One version of a record for a side-by-side view. */
static json_t *version(ronda_store *s, const ronda_record *rec, json_t *body, const char *held) {
    json_t *o = json_object();
    sethex(o, "id", rec->id, 32);
    json_object_set_new(o, "held", json_string(held));
    json_object_set_new(o, "kind", json_string(ronda_kind_name(rec->kind)));
    json_object_set_new(o, "seq", json_integer((json_int_t)rec->seq));
    json_object_set_new(o, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(rec->hlc)));
    if (rec->has_prev)
        sethex(o, "prev", rec->prev, 32);
    else
        json_object_set_new(o, "prev", json_null());
    sethex(o, "signature", rec->signature, 64);
    json_object_set_new(o, "verified", json_true());
    json_object_set(o, "body", body ? body : json_null());
    (void)s;
    return o;
}

/* Field names whose values differ between two bodies (top-level keys of either). */
static json_t *differences(json_t *a, json_t *b) {
    json_t *out = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) if (!json_equal(v, json_object_get(b, k))) json_array_append_new(out, json_string(k));
    json_object_foreach(b, k, v) if (!json_object_get(a, k)) json_array_append_new(out, json_string(k));
    return out;
}

ronda_err ronda_store_fork_versions(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) {
    ronda_record r1, r2;
    json_t *b1 = NULL, *b2 = NULL; /* the two bodies as shown */
    uint8_t *m1 = NULL, *m2 = NULL;
    uint8_t other[32];
    int in_forks = 0;
    /* Which side `id` is: the evidence (forks.id) or the ledger's own record at a forked seq. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT other, 1 FROM forks WHERE id = ?1 UNION ALL"
                           " SELECT f.id, 0 FROM records r JOIN forks f ON f.author = r.author AND f.seq = r.seq"
                           " WHERE r.id = ?1 LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(other, sqlite3_column_blob(st, 0), 32);
        in_forks = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return RONDA_ERR_NOT_FOUND;
    if (rc != SQLITE_ROW) return store_fail(s, rc);
    const uint8_t *held_id = in_forks ? other : id, *ev_id = in_forks ? id : other;
    int g1 = load(s, 0, held_id, &r1, &m1), g2 = load(s, 1, ev_id, &r2, &m2);
    ronda_err e = RONDA_OK;
    if (g1 < 0 || g2 < 0)
        e = RONDA_ERR_DB;
    else if (!g1 || !g2 || memcmp(r1.author, r2.author, 32) != 0 || r1.seq != r2.seq)
        e = RONDA_ERR_NOT_FOUND; /* not two verified versions: the audit reports the evidence */
    else if ((r1.body && ronda_body_json(&r1.typed, &b1) != RONDA_OK) ||
             (r2.body && ronda_body_json(&r2.typed, &b2) != RONDA_OK))
        e = RONDA_ERR_NOMEM;
    if (e == RONDA_OK) {
        json_t *o = json_object();
        sethex(o, "author", r1.author, 32);
        signer(s, r1.author, o);
        json_object_set_new(o, "seq", json_integer((json_int_t)r1.seq));
        sethex(o, "asked", id, 32);
        json_t *vs = json_array();
        json_array_append_new(vs, version(s, &r1, b1, "ledger"));
        json_array_append_new(vs, version(s, &r2, b2, "fork evidence"));
        json_object_set_new(o, "versions", vs);
        json_t *diff = differences(b1, b2);
        if (r1.kind != r2.kind) json_array_insert_new(diff, 0, json_string("kind"));
        if (r1.has_prev != r2.has_prev || (r1.has_prev && memcmp(r1.prev, r2.prev, 32) != 0))
            json_array_append_new(diff, json_string("prev"));
        json_object_set_new(o, "differences", diff);
        json_t *dj = dialogue_of_body(s, &r1, 0);
        if (!dj) dj = dialogue_of_body(s, &r2, 0);
        json_object_set_new(o, "dialogue", dj ? dj : json_null());
        *out = o;
    }
    json_decref(b1);
    json_decref(b2);
    free(m1);
    free(m2);
    return e;
}

ronda_err ronda_store_finding_context(ronda_store *s, const ronda_finding *f, json_t **out) {
    json_t *o = json_object();
    static const uint8_t zero[32];
    int has_id = memcmp(f->id, zero, 32) != 0, has_author = memcmp(f->author, zero, 32) != 0;
    ronda_record rec;
    uint8_t *bytes = NULL;
    int held = 0, table = 0;
    if (has_id) {
        held = load(s, 0, f->id, &rec, &bytes);
        if (held == 0) {
            free(bytes);
            bytes = NULL;
            held = load(s, 1, f->id, &rec, &bytes);
            table = 1;
        }
    }
    const ronda_body *b = held && rec.typed.kind == rec.kind ? &rec.typed : NULL; /* NULL: redacted */
    if (held < 0) {
        json_decref(o);
        return store_dberr(s, NULL, "finding context");
    }
    if (has_author) {
        json_t *who = json_object();
        sethex(who, "key", f->author, 32);
        signer(s, f->author, who);
        json_object_set_new(o, "author", who);
    }
    if (held) {
        json_t *r = json_pack("{s:s, s:I, s:s}", "kind", ronda_kind_name(rec.kind), "seq", (json_int_t)rec.seq, "held",
                              table ? "fork evidence" : "ledger");
        sethex(r, "id", rec.id, 32);
        json_object_set_new(r, "hlc_ms", json_integer((json_int_t)ronda_hlc_ms(rec.hlc)));
        if (rec.kind == RONDA_KIND_RESOLUTION && b) {
            const ronda_resolution *res = &b->u.resolution;
            json_object_set_new(r, "topic", json_integer((json_int_t)res->topic.v));
            json_object_set_new(r, "status", json_string(ronda_status_name(res->status)));
            json_object_set_new(r, "action", jtext(res->action));
        }
        json_object_set_new(o, "record", r);
    } else if (has_id) {
        /* held but not verifying, or gone: the views may still know it */
        json_t *r = json_object();
        sethex(r, "id", f->id, 32);
        json_object_set_new(r, "seq", json_integer((json_int_t)f->seq));
        if (views_know(s, f->id, r)) {
            json_object_set_new(o, "record", r);
            if (json_is_object(json_object_get(r, "dialogue")))
                json_object_set(o, "dialogue", json_object_get(r, "dialogue"));
        } else {
            json_decref(r);
        }
    }
    /* The dialogue: the finding's own, else the record's. */
    json_t *dj = NULL;
    if (f->has_dialogue) dj = dialogue_named(s, f->dialogue);
    if (!dj && held) dj = dialogue_of_body(s, &rec, 0);
    if (dj) json_object_set_new(o, "dialogue", dj);
    /* What is missing, and what still names it. */
    if (has_author && f->kind == RONDA_FINDING_CHAIN && f->err == RONDA_ERR_GAP && f->seq > 1) {
        int64_t below = held_below(s, f->author, f->seq);
        if (below >= 0) {
            json_object_set_new(o, "missing",
                                missing_range(s, f->author, (uint64_t)below + 1, f->seq - 1,
                                              held && rec.has_prev ? rec.prev : NULL, "prev of the next record"));
            json_object_set_new(o, "missing_count", json_integer((json_int_t)(f->seq - 1 - (uint64_t)below)));
        }
    } else if (has_author && f->kind == RONDA_FINDING_WITHHELD) {
        int64_t top = held_below(s, f->author, UINT64_MAX >> 1);
        if (top >= 0 && f->seq > (uint64_t)top) {
            json_object_set_new(
                o, "missing",
                missing_range(s, f->author, (uint64_t)top + 1, f->seq, has_id ? f->id : NULL, "checkpoint"));
            json_object_set_new(o, "missing_count", json_integer((json_int_t)(f->seq - (uint64_t)top)));
        }
    } else if (held && f->kind == RONDA_FINDING_REFERENCE && b) {
        /* the record it names, when not held */
        const uint8_t *t = NULL;
        if (rec.kind == RONDA_KIND_RESOLUTION) t = b->u.resolution.dialogue;
        if (rec.kind == RONDA_KIND_AMEND) t = b->u.amend.target;
        if (t) {
            ronda_record tr;
            uint8_t *tm = NULL;
            int got = load(s, 0, t, &tr, &tm);
            free(tm);
            if (got == 0) {
                json_t *m = json_object();
                sethex(m, "id", t, 32);
                if (!views_know(s, t, m)) json_object_set_new(m, "kind", json_null());
                json_object_set_new(o, "names_missing", m);
            }
        }
    }
    if (has_id && f->kind == RONDA_FINDING_FORK) {
        json_t *fv = NULL;
        if (ronda_store_fork_versions(s, f->id, &fv) == RONDA_OK) json_object_set_new(o, "fork", fv);
    }
    free(bytes);
    *out = o;
    return RONDA_OK;
}
