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

/* The entries of one part, appended to *v (grown); 0 on entries out of order or no memory. */
static int take_entries(const ronda_checkpoint *b, tlog_entry **v, size_t *n, size_t *cap) {
    if (*n + b->frontier.n > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < *n + b->frontier.n) c *= 2;
        tlog_entry *g = realloc(*v, c * sizeof *g);
        if (!g) return 0;
        *v = g;
        *cap = c;
    }
    ronda_entry *en = malloc((b->frontier.n ? b->frontier.n : 1) * sizeof *en);
    if (!en) return 0;
    size_t k = ronda_body_entries(&b->frontier, en, b->frontier.n), i;
    for (i = 0; i < k; i++) {
        tlog_entry *x = &(*v)[*n];
        memcpy(x->author, en[i].author, 32);
        memcpy(x->head, en[i].head, 32);
        x->seq = en[i].seq.v;
        if (*n > 0 && memcmp((*v)[*n - 1].author, x->author, 32) >= 0) break; /* ascending */
        (*n)++;
    }
    free(en);
    return i == k;
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
        if (!store_open_row(st, 0, &rec) || rec.kind != RONDA_KIND_CHECKPOINT) {
            open = 0; /* a part that does not open ends the checkpoint it belongs to */
            continue;
        }
        const ronda_checkpoint *b = &rec.typed.u.checkpoint;
        unsigned part = (unsigned)b->part.v;
        unsigned ps = (unsigned)b->parts.v;
        if (part == 0) {
            open = 1;
            ok = 1;
            n = 0;
            parts = ps;
            memset(&cp, 0, sizeof cp);
            memcpy(cp.id, rec.id, 32);
            cp.seq = rec.seq;
            cp.has_tree = b->size.set && b->root;
            if (cp.has_tree) memcpy(cp.root.b, b->root, 32);
            cp.size = cp.has_tree ? b->size.v : 0;
        } else if (!open || part != next_part || ps != parts || rec.seq != next_seq) {
            open = 0;
        }
        if (open && !take_entries(b, &v, &n, &cap)) ok = 0;
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

/* ------------------------------------------------------------ the writer's saved tree */

static const char tree_state_sql[] =
    "CREATE TABLE IF NOT EXISTS tree_state(writer BLOB PRIMARY KEY, cp BLOB NOT NULL, first INTEGER NOT NULL,"
    " last INTEGER NOT NULL, range BLOB NOT NULL, marks BLOB NOT NULL) WITHOUT ROWID";

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* The saved state into t, when it decodes (the file is not trusted: every length is checked). */
static int state_decode(tlog *t, const uint8_t *r, size_t rlen, const uint8_t *m, size_t mlen) {
    if (!r || rlen < 8) return 0;
    uint64_t size = get_u64(r);
    unsigned n = (unsigned)__builtin_popcountll(size);
    if (size > RONDA_TREE_SIZE_MAX || rlen != 8 + (size_t)n * 32) return 0;
    if (mlen % 40 != 0 || mlen / 40 > (size_t)RONDA_CHECKPOINT_AUTHORS_MAX * RONDA_CHECKPOINT_PARTS_MAX) return 0;
    size_t nm = mlen / 40;
    tlog_mark *marks = malloc((nm ? nm : 1) * sizeof *marks);
    if (!marks) return 0;
    for (size_t i = 0; i < nm; i++) {
        memcpy(marks[i].author, m + i * 40, 32);
        marks[i].seq = get_u64(m + i * 40 + 32);
        if (i > 0 && memcmp(marks[i - 1].author, marks[i].author, 32) >= 0) {
            free(marks);
            return 0;
        }
    }
    t->range.size = size;
    t->range.n = n;
    for (unsigned i = 0; i < n; i++) memcpy(t->range.stack[i].b, r + 8 + (size_t)i * 32, 32);
    free(t->marks);
    t->marks = marks;
    t->n_marks = nm;
    return 1;
}

/* 1 when the saved state of `writer` is the tree after its newest checkpoint: the state names
 * part 0 of a checkpoint held at that seq, no checkpoint record of the writer follows its last
 * part, and the checkpoint's own size and root are the saved tree's. */
static int state_load(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], tlog *t) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT cp, first, last, range, marks FROM tree_state WHERE writer = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0; /* no table yet (a ledger written before the state was kept) */
    sqlite3_bind_blob(st, 1, writer, RONDA_KEY_BYTES, SQLITE_STATIC);
    int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES;
    uint8_t cp[RONDA_ID_BYTES];
    uint64_t first = 0, last = 0;
    if (ok) {
        memcpy(cp, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
        first = (uint64_t)sqlite3_column_int64(st, 1);
        last = (uint64_t)sqlite3_column_int64(st, 2);
        ok = first >= 1 && last >= first &&
             state_decode(t, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                          sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
    }
    sqlite3_finalize(st);
    if (!ok) return 0;
    /* No later checkpoint (one written by an older build, or restored from elsewhere). */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT 1 FROM records WHERE author = ?1 AND seq > ?2 AND kind = 'checkpoint' LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, writer, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)last);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return 0;
    /* The checkpoint it names, and that checkpoint's size and root. */
    if (sqlite3_prepare_v2(s->db, "SELECT id, body FROM records WHERE author = ?1 AND seq = ?2 AND kind = 'checkpoint'",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, writer, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)first);
    ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES &&
         memcmp(sqlite3_column_blob(st, 0), cp, RONDA_ID_BYTES) == 0 && sqlite3_column_type(st, 1) == SQLITE_BLOB;
    ronda_body b;
    ronda_tree_hash root, mine;
    if (ok)
        ok = ronda_body_decode(RONDA_KIND_CHECKPOINT, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                               &b, NULL) == RONDA_OK &&
             b.u.checkpoint.part.v == 0 && b.u.checkpoint.size.set && b.u.checkpoint.root &&
             b.u.checkpoint.size.v == t->range.size;
    if (ok) memcpy(root.b, b.u.checkpoint.root, sizeof root.b); /* before the row's bytes go */
    sqlite3_finalize(st);
    if (!ok) return 0;
    ronda_tree_range_root(&t->range, &mine);
    return memcmp(mine.b, root.b, sizeof root.b) == 0;
}

ronda_err tlog_resume(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], tlog *t, int *resumed, ronda_detail *d) {
    if (state_load(s, writer, t)) {
        if (resumed) *resumed = 1;
        return RONDA_OK;
    }
    tlog_free(t); /* a state that did not hold leaves nothing behind */
    tlog_init(t, 0);
    if (resumed) *resumed = 0;
    return tlog_walk(s, writer, t, NULL, NULL, d);
}

ronda_err tlog_save(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], const tlog *t,
                    const uint8_t cp[RONDA_ID_BYTES], uint64_t first, uint64_t last) {
    if (sqlite3_exec(s->db, tree_state_sql, NULL, NULL, NULL) != SQLITE_OK) return store_fail(s, 0);
    uint8_t range[8 + 64 * 32];
    put_u64(range, t->range.size);
    for (unsigned i = 0; i < t->range.n; i++) memcpy(range + 8 + (size_t)i * 32, t->range.stack[i].b, 32);
    uint8_t *marks = malloc(t->n_marks ? t->n_marks * 40 : 1);
    if (!marks) return RONDA_ERR_NOMEM;
    for (size_t i = 0; i < t->n_marks; i++) {
        memcpy(marks + i * 40, t->marks[i].author, 32);
        put_u64(marks + i * 40 + 32, t->marks[i].seq);
    }
    sqlite3_stmt *st;
    ronda_err e = RONDA_OK;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO tree_state VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) !=
        SQLITE_OK) {
        free(marks);
        return store_fail(s, 0);
    }
    sqlite3_bind_blob(st, 1, writer, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, cp, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)first);
    sqlite3_bind_int64(st, 4, (int64_t)last);
    sqlite3_bind_blob(st, 5, range, (int)(8 + (size_t)t->range.n * 32), SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, marks, (int)(t->n_marks * 40), SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    free(marks);
    return e;
}
