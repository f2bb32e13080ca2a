/* The tree of an hq writer's log (proto/tree.md §3): epoch by epoch, one per checkpoint in
 * the writer's chain order, each appending per author (ascending by key) the records of the
 * author's chain the tree does not hold yet, up to the head the checkpoint names.
 *
 * The leaves are read from the records table by (author, seq) range: every row's seq must be
 * the next one and the last must be the head named, or the epoch fails (the ledger lacks a
 * record or holds another history: the audit's withheld, gap and fork findings say which).
 * Chain links between those rows are verify's check, made over the same snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/tlog.h"

void tlog_init(tlog *t, int keep) {
    memset(t, 0, sizeof *t);
    ronda_tree_range_init(&t->range);
    t->keep = keep;
}

void tlog_free(tlog *t) {
    free(t->marks);
    free(t->leaves);
    free(t->ids);
    memset(t, 0, sizeof *t);
}

static ronda_err push_leaf(tlog *t, const uint8_t id[32]) {
    ronda_tree_hash h;
    ronda_tree_leaf_hash(id, RONDA_ID_BYTES, &h);
    if (t->keep) {
        if (t->range.size == t->cap_leaves) {
            size_t cap = t->cap_leaves ? t->cap_leaves * 2 : 1024;
            ronda_tree_hash *l = realloc(t->leaves, cap * sizeof *l);
            if (!l) return RONDA_ERR_NOMEM;
            t->leaves = l;
            uint8_t(*ids)[32] = realloc(t->ids, cap * sizeof *ids);
            if (!ids) return RONDA_ERR_NOMEM;
            t->ids = ids;
            t->cap_leaves = cap;
        }
        t->leaves[t->range.size] = h;
        memcpy(t->ids[t->range.size], id, 32);
    }
    return ronda_tree_range_append(&t->range, &h);
}

/* The author's records (from, to] in seq order onto the tree; the last must be `head`. */
static ronda_err append_run(ronda_store *s, tlog *t, sqlite3_stmt *st, const tlog_entry *en, uint64_t from,
                            ronda_detail *d) {
    char hex[65];
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, en->author, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)from);
    sqlite3_bind_int64(st, 3, (int64_t)en->seq);
    uint64_t want = from + 1;
    int rc;
    ronda_err e = RONDA_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        if (seq != want || sqlite3_column_bytes(st, 1) != 32) break; /* a gap: reported below */
        const uint8_t *id = sqlite3_column_blob(st, 1);
        if (seq == en->seq && memcmp(id, en->head, 32) != 0) {
            ronda_hex(en->author, 32, hex);
            if (d)
                snprintf(d->text, sizeof d->text,
                         "the record held at seq %llu of %.12s is not the head the checkpoint names",
                         (unsigned long long)seq, hex);
            sqlite3_reset(st);
            return RONDA_ERR_CHAIN;
        }
        if ((e = push_leaf(t, id)) != RONDA_OK) {
            sqlite3_reset(st);
            return e;
        }
        want++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, rc);
    if (want != en->seq + 1) {
        ronda_hex(en->author, 32, hex);
        if (d)
            snprintf(d->text, sizeof d->text, "record seq %llu of %.12s, which the tree needs, is not held",
                     (unsigned long long)want, hex);
        return RONDA_ERR_NOT_FOUND;
    }
    return RONDA_OK;
}

ronda_err tlog_epoch(ronda_store *s, tlog *t, const tlog_entry *e, size_t n, ronda_detail *d) {
    /* The new marks: a merge of the old ones (ascending) with the entries (ascending). */
    tlog_mark *nm = malloc((t->n_marks + n + 1) * sizeof *nm);
    if (!nm) return RONDA_ERR_NOMEM;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, id FROM records WHERE author = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq", -1,
                           &st, NULL) != SQLITE_OK) {
        free(nm);
        return store_fail(s, 0);
    }
    size_t i = 0, j = 0, k = 0;
    ronda_err err = RONDA_OK;
    while (err == RONDA_OK && (i < t->n_marks || j < n)) {
        int c = i == t->n_marks ? 1 : j == n ? -1 : memcmp(t->marks[i].author, e[j].author, 32);
        if (c < 0) {
            nm[k++] = t->marks[i++];
            continue;
        }
        uint64_t m = c == 0 ? t->marks[i].seq : 0;
        if (e[j].seq > m) err = append_run(s, t, st, &e[j], m, d);
        memcpy(nm[k].author, e[j].author, 32);
        nm[k++].seq = e[j].seq > m ? e[j].seq : m;
        if (c == 0) i++;
        j++;
    }
    sqlite3_finalize(st);
    if (err != RONDA_OK) {
        free(nm);
        return err;
    }
    free(t->marks);
    t->marks = nm;
    t->n_marks = k;
    t->epochs++;
    return RONDA_OK;
}

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int unhex32(const json_t *o, const char *k, uint8_t out[32]) {
    const char *h = jstr(o, k);
    return h && ronda_unhex(h, out, 32) == RONDA_OK;
}

/* The entries of one part, appended to *v (grown); 0 on a malformed entry or no memory. */
static int take_entries(const json_t *b, tlog_entry **v, size_t *n, size_t *cap) {
    const json_t *fr = json_object_get(b, "frontier");
    for (size_t i = 0; i < json_array_size(fr); i++) {
        const json_t *en = json_array_get(fr, i);
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 64;
            tlog_entry *g = realloc(*v, c * sizeof *g);
            if (!g) return 0;
            *v = g;
            *cap = c;
        }
        tlog_entry *x = &(*v)[*n];
        if (!unhex32(en, "author", x->author) || !unhex32(en, "head", x->head)) return 0;
        x->seq = (uint64_t)json_integer_value(json_object_get(en, "seq"));
        if (*n > 0 && memcmp((*v)[*n - 1].author, x->author, 32) >= 0) return 0; /* ascending */
        (*n)++;
    }
    return 1;
}

ronda_err tlog_walk(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], tlog *t,
                    int (*cb)(void *ctx, const tlog_cp *cp, const tlog *t), void *ctx, ronda_detail *d) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT envelope, signature, body FROM records WHERE author = ?1 AND kind = 'checkpoint' "
                           "ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, writer, 32, SQLITE_STATIC);
    tlog_entry *v = NULL;
    size_t n = 0, cap = 0;
    int open = 0, ok = 0;
    unsigned parts = 0, next_part = 0;
    uint64_t next_seq = 0;
    tlog_cp cp;
    memset(&cp, 0, sizeof cp);
    ronda_err e = RONDA_OK;
    int rc;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        json_t *b = NULL;
        const void *body = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 2);
        if (ronda_record_open_parts(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                    sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), body,
                                    (size_t)sqlite3_column_bytes(st, 2), &rec, NULL) != RONDA_OK ||
            !rec.body || rec.kind != RONDA_KIND_CHECKPOINT ||
            ronda_body_to_json(rec.kind, rec.body, rec.body_len, &b, NULL) != RONDA_OK) {
            open = 0; /* a part that does not open ends the checkpoint it belongs to */
            continue;
        }
        unsigned part = (unsigned)json_integer_value(json_object_get(b, "part"));
        unsigned ps = (unsigned)json_integer_value(json_object_get(b, "parts"));
        if (part == 0) {
            open = 1;
            ok = 1;
            n = 0;
            parts = ps;
            memset(&cp, 0, sizeof cp);
            memcpy(cp.id, rec.id, 32);
            cp.seq = rec.seq;
            const json_t *size = json_object_get(b, "size");
            cp.has_tree = size && unhex32(b, "root", cp.root.b);
            cp.size = cp.has_tree ? (uint64_t)json_integer_value(size) : 0;
        } else if (!open || part != next_part || ps != parts || rec.seq != next_seq) {
            open = 0;
        }
        if (open && !take_entries(b, &v, &n, &cap)) ok = 0;
        json_decref(b);
        if (!open) continue;
        next_part = part + 1;
        next_seq = rec.seq + 1;
        if (next_part < parts) continue;
        open = 0;
        if (!ok) continue;
        if ((e = tlog_epoch(s, t, v, n, d)) != RONDA_OK) break;
        if (cb && cb(ctx, &cp, t)) break;
    }
    if (e == RONDA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    free(v);
    return e;
}
