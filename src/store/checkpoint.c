/* Writing checkpoints (ronda_store_checkpoint): the frontier this node holds, in parts of
 * RONDA_CHECKPOINT_AUTHORS_MAX authors, with the ledger digest and the root of the writer's
 * Merkle tree (proto/record.md §8, proto/tree.md), signed also as a note (proto/note.md).
 * The audit that checks them is audit.c. */
#include <stdlib.h>
#include <string.h>

#include "store/tlog.h"

typedef tlog_entry fentry;

typedef struct fvec {
    fentry *v;
    size_t n, cap;
} fvec;

static int fvec_push(fvec *f, const uint8_t *author, uint64_t seq, const uint8_t *head) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        fentry *g = realloc(f->v, cap * sizeof *g);
        if (!g) return 0;
        f->v = g;
        f->cap = cap;
    }
    memcpy(f->v[f->n].author, author, 32);
    f->v[f->n].seq = seq;
    memcpy(f->v[f->n].head, head, 32);
    f->n++;
    return 1;
}

static int collect(void *ctx, const uint8_t *author, uint64_t seq, const uint8_t *head) {
    fvec *f = ctx;
    if (f->n >= (size_t)RONDA_CHECKPOINT_AUTHORS_MAX * RONDA_CHECKPOINT_PARTS_MAX) return 1;
    return fvec_push(f, author, seq, head) ? 0 : 1;
}

/* Part `part` of the checkpoint as a typed body: the frontier's entries lo..hi (their list
 * encoded into *items, which the caller frees) and, in part 0, the tree's size and root. */
static ronda_err part_body(const fvec *f, size_t lo, size_t hi, unsigned part, unsigned parts, const uint8_t *digest,
                           uint64_t records, const ronda_tree_hash *root, uint64_t size, ronda_body *b,
                           uint8_t **items) {
    ronda_entry *en = malloc((hi - lo) * sizeof *en + 1);
    if (!en) return RONDA_ERR_NOMEM;
    for (size_t i = lo; i < hi; i++) {
        en[i - lo].seq = (ronda_uint){f->v[i].seq, 1};
        en[i - lo].head = f->v[i].head;
        en[i - lo].author = f->v[i].author;
    }
    memset(b, 0, sizeof *b);
    b->kind = RONDA_KIND_CHECKPOINT;
    ronda_checkpoint *c = &b->u.checkpoint;
    ronda_err e = ronda_body_entries_list(en, hi - lo, items, &c->frontier);
    free(en);
    if (e != RONDA_OK) return e;
    c->part = (ronda_uint){part, 1};
    c->parts = (ronda_uint){parts, 1};
    c->digest = digest;
    c->records = (ronda_uint){records, 1};
    if (part == 0) { /* the tree's size and root: part 0 only, beside its note signature */
        c->size = (ronda_uint){size, 1};
        c->root = root->b;
    }
    return RONDA_OK;
}

/* The writer's tree after this checkpoint (proto/tree.md): the tree after its earlier
 * checkpoints (saved beside the newest one, or rebuilt from its chain and the records they
 * name), then the new frontier's epoch. t is the caller's (tlog_init'ed; freed by it). */
static ronda_err writer_tree(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], const fvec *f, tlog *t,
                             ronda_detail *d) {
    ronda_err e = tlog_resume(s, writer, t, NULL, d);
    if (e == RONDA_OK) e = tlog_epoch(s, t, f->v, f->n, d);
    if (e != RONDA_OK && !ronda_err_is_db(e) && e != RONDA_ERR_NOMEM && d) {
        char why[160];
        memcpy(why, d->text, sizeof why - 1); /* cut: the prefix below takes the rest */
        why[sizeof why - 1] = 0;
        snprintf(d->text, sizeof d->text, "this node's tree cannot be rebuilt from its ledger (%s): run `ronda audit`",
                 why);
    }
    return e;
}

/* The seq of the writer's newest record (0: none), in the caller's transaction. */
static ronda_err head_seq(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], uint64_t *seq) {
    sqlite3_stmt *st = store_stmt(s, Q_HEAD);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, writer, RONDA_KEY_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *seq = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

/* Part 0 carries the writer's signature of the checkpoint's note (proto/note.md), so the
 * note can be rebuilt from the ledger alone: its head from the body as it will be stored
 * (ronda_checkpoint_head), its seq the writer's next (this runs in the append's transaction). */
static ronda_err sign_note(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], ronda_checkpoint *c,
                           uint8_t sig[RONDA_SIG_BYTES], ronda_detail *d) {
    uint64_t seq;
    ronda_err e = head_seq(s, secret + 32, &seq);
    if (e != RONDA_OK) return ronda_err_is_db(e) ? store_dberr(s, d, "frontier") : e;
    ronda_note_head h;
    e = ronda_checkpoint_head(s->authority, secret + 32, seq + 1, c, &h);
    if (e != RONDA_OK) return e;
    ronda_note_sign(secret, &h, sig);
    c->note_sig = sig;
    return RONDA_OK;
}

ronda_err ronda_store_checkpoint(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], uint64_t now_ms,
                                 uint8_t id_out[RONDA_ID_BYTES], unsigned *parts_out, ronda_detail *d) {
    fvec f = {NULL, 0, 0};
    tlog t;
    tlog_init(&t, 0);
    uint8_t first_id[RONDA_ID_BYTES];
    uint64_t last = 0;
    ronda_err e = ronda_store_begin(s); /* the frontier and the parts: one snapshot, one commit */
    if (e != RONDA_OK) return store_dberr(s, d, "begin");
    if ((e = ronda_store_frontier(s, collect, &f)) != RONDA_OK) {
        if (ronda_err_is_db(e)) e = store_dberr(s, d, "frontier");
        goto out;
    }
    if (f.n >= (size_t)RONDA_CHECKPOINT_AUTHORS_MAX * RONDA_CHECKPOINT_PARTS_MAX || f.n == 0) {
        e = f.n ? RONDA_ERR_TOO_BIG : RONDA_ERR_INVALID;
        if (d)
            snprintf(d->text, sizeof d->text, "%s",
                     f.n ? "more authors than RONDA_CHECKPOINT_PARTS_MAX x RONDA_CHECKPOINT_AUTHORS_MAX"
                         : "the ledger is empty: nothing to sign for");
        goto out;
    }
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, RONDA_HASH_BYTES);
    crypto_generichash_update(&h, (const uint8_t *)"ronda-ledger-v1", 15);
    uint64_t records = 0;
    for (size_t i = 0; i < f.n; i++) {
        store_frontier_entry(&h, f.v[i].author, f.v[i].seq, f.v[i].head);
        records += f.v[i].seq;
    }
    uint8_t digest[RONDA_HASH_BYTES];
    crypto_generichash_final(&h, digest, sizeof digest);
    if ((e = writer_tree(s, secret + 32, &f, &t, d)) != RONDA_OK) {
        if (ronda_err_is_db(e)) e = store_dberr(s, d, "tree");
        goto out;
    }
    unsigned parts = (unsigned)((f.n + RONDA_CHECKPOINT_AUTHORS_MAX - 1) / RONDA_CHECKPOINT_AUTHORS_MAX);
    ronda_tree_hash root;
    ronda_tree_range_root(&t.range, &root);
    for (unsigned p = 0; p < parts && e == RONDA_OK; p++) {
        size_t lo = (size_t)p * RONDA_CHECKPOINT_AUTHORS_MAX;
        size_t hi = lo + RONDA_CHECKPOINT_AUTHORS_MAX < f.n ? lo + RONDA_CHECKPOINT_AUTHORS_MAX : f.n;
        ronda_body b;
        uint8_t *items = NULL, *bytes = NULL, sig[RONDA_SIG_BYTES];
        size_t len = 0;
        uint8_t id[RONDA_ID_BYTES];
        e = part_body(&f, lo, hi, p, parts, digest, records, &root, t.range.size, &b, &items);
        if (e == RONDA_OK && p == 0) e = sign_note(s, secret, &b.u.checkpoint, sig, d);
        if (e == RONDA_OK) e = ronda_body_encode(&b, &bytes, &len, d);
        if (e == RONDA_OK) e = ronda_store_append(s, secret, RONDA_KIND_CHECKPOINT, bytes, len, now_ms, id, d);
        if (e == RONDA_OK && p == 0) memcpy(first_id, id, RONDA_ID_BYTES);
        free(bytes);
        free(items);
    }
    /* The tree after this checkpoint, for the next one (parts are the writer's last seqs). */
    if (e == RONDA_OK) {
        if ((e = head_seq(s, secret + 32, &last)) == RONDA_OK)
            e = tlog_save(s, secret + 32, &t, first_id, last - parts + 1, last);
        if (ronda_err_is_db(e)) e = store_dberr(s, d, "tree state");
    }
    if (e == RONDA_OK) {
        if ((e = ronda_store_commit(s)) != RONDA_OK) e = store_dberr(s, d, "commit");
        if (e == RONDA_OK && id_out) memcpy(id_out, first_id, RONDA_ID_BYTES);
        if (e == RONDA_OK && parts_out) *parts_out = parts;
    }
out:
    if (e != RONDA_OK) ronda_store_rollback(s);
    free(f.v);
    tlog_free(&t);
    return e;
}
