/* Proofs over the hq writers' trees (proto/tree.md §5): an inclusion proof of one record
 * against a checkpoint, a consistency proof between two checkpoints of one writer, and the
 * offline check of either from the proof file alone.
 *
 * The prover rebuilds the writer's tree from this ledger (src/store/tlog.c, the code the
 * writer and the audit use) keeping every leaf, and refuses to prove against a checkpoint
 * whose size and root are not the rebuilt tree's: such a proof would not verify, and the
 * ledger or the checkpoint is wrong (`ronda audit` says which). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/tlog.h"

static void set(ronda_detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set(ronda_detail *d, const char *fmt, ...) {
    if (!d) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text, sizeof d->text, fmt, ap);
    va_end(ap);
}

/* The whole record `id` as held: its bytes (malloc'd) and, opened over them, *rec. */
static ronda_err load_record(ronda_store *s, const uint8_t id[32], uint8_t **bytes, size_t *len, ronda_record *rec,
                             ronda_detail *d) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT envelope, signature, body FROM records WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    char hex[65];
    ronda_hex(id, 32, hex);
    ronda_err e = RONDA_OK;
    if (rc == SQLITE_DONE) {
        set(d, "record %s is not held by this ledger", hex);
        e = RONDA_ERR_NOT_FOUND;
    } else if (rc != SQLITE_ROW) {
        e = store_fail(s, rc);
    } else {
        ronda_record r;
        const void *body = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, 2);
        if (ronda_record_open_parts(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                    sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), body,
                                    (size_t)sqlite3_column_bytes(st, 2), &r, d) != RONDA_OK) {
            set(d, "record %.12s does not verify: run `ronda audit`", hex);
            e = RONDA_ERR_TAMPERED;
        } else if ((e = ronda_record_encode(&r, bytes, len)) == RONDA_OK &&
                   (e = ronda_record_open(*bytes, *len, rec, d)) != RONDA_OK) {
            free(*bytes);
        }
    }
    sqlite3_finalize(st);
    return e;
}

/* The tree state a walk stops at. */
typedef struct want {
    const uint8_t *cp;     /* the checkpoint asked for; NULL: the writer's last with a tree */
    const uint8_t *old_cp; /* consistency: the older one */
    int found, old_found;
    tlog_cp at, old;
    uint64_t size; /* leaves in the tree at `at` */
    ronda_tree_hash root;
    int root_ok, old_ok; /* the rebuilt tree at it has its size and root */
} want;

static int matches(const tlog_cp *cp, const tlog *t) {
    ronda_tree_hash r;
    ronda_tree_range_root(&t->range, &r);
    return cp->has_tree && t->range.size == cp->size && sodium_memcmp(r.b, cp->root.b, 32) == 0;
}

static int on_cp(void *ctx, const tlog_cp *cp, const tlog *t) {
    want *w = ctx;
    if (w->old_cp && memcmp(cp->id, w->old_cp, 32) == 0) {
        w->old_found = 1;
        w->old = *cp;
        w->old_ok = matches(cp, t);
    }
    if (w->cp ? memcmp(cp->id, w->cp, 32) == 0 : cp->has_tree) {
        w->found = 1;
        w->at = *cp;
        w->size = t->range.size;
        ronda_tree_range_root(&t->range, &w->root);
        w->root_ok = matches(cp, t);
        /* stop: the tree past it is not needed (past the older one too, to say they were swapped) */
        if (w->cp && (!w->old_cp || w->old_found)) return 1;
    }
    return 0;
}

/* A checkpoint's part 0 by id: its writer; RONDA_ERR_INVALID when `id` is no part 0. */
static ronda_err part0_writer(ronda_store *s, const uint8_t id[32], uint8_t writer[32], ronda_detail *d) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    ronda_record rec;
    ronda_err e = load_record(s, id, &bytes, &len, &rec, d);
    if (e != RONDA_OK) return e;
    char hex[65];
    ronda_hex(id, 32, hex);
    if (rec.kind != RONDA_KIND_CHECKPOINT || !rec.body || rec.typed.kind != rec.kind ||
        rec.typed.u.checkpoint.part.v != 0) {
        set(d, "%.12s is not a checkpoint (the id of its first part)", hex);
        e = RONDA_ERR_INVALID;
    } else if (!rec.typed.u.checkpoint.size.set) {
        set(d, "checkpoint %.12s was written before trees (no size and root): prove against a later one", hex);
        e = RONDA_ERR_INVALID;
    } else {
        memcpy(writer, rec.author, 32);
    }
    free(bytes);
    return e;
}

/* The record bytes of checkpoint `id`, malloc'd. */
static ronda_err record_bytes(ronda_store *s, const uint8_t id[32], uint8_t **out, size_t *len, ronda_detail *d) {
    ronda_record rec;
    return load_record(s, id, out, len, &rec, d);
}

void ronda_proof_free(ronda_proof *p) {
    if (!p) return;
    free(p->record);
    free(p->checkpoint);
    free(p->old);
    memset(p, 0, sizeof *p);
}

static ronda_err not_the_tree(ronda_detail *d, const tlog_cp *cp) {
    char hex[65];
    ronda_hex(cp->id, 32, hex);
    set(d,
        "checkpoint %.12s says size %llu, but the tree rebuilt from this ledger differs: nothing to prove against "
        "(run `ronda audit`)",
        hex, (unsigned long long)cp->size);
    return RONDA_ERR_TAMPERED;
}

/* The hq writers with checkpoints, newest checkpoint first. */
static ronda_err writers(ronda_store *s, uint8_t (**out)[32], size_t *n) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            s->db, "SELECT author FROM records WHERE kind = 'checkpoint' GROUP BY author ORDER BY max(hlc) DESC", -1,
            &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    uint8_t(*v)[32] = NULL;
    size_t k = 0;
    int rc;
    ronda_err e = RONDA_OK;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32) continue;
        uint8_t(*g)[32] = realloc(v, (k + 1) * sizeof *g);
        if (!g) {
            e = RONDA_ERR_NOMEM;
            break;
        }
        v = g;
        memcpy(v[k++], sqlite3_column_blob(st, 0), 32);
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);
    if (e != RONDA_OK) {
        free(v);
        return e;
    }
    *out = v;
    *n = k;
    return RONDA_OK;
}

ronda_err ronda_store_proof_inclusion(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], const uint8_t *checkpoint,
                                      ronda_proof *out, ronda_detail *d) {
    memset(out, 0, sizeof *out);
    uint8_t *rbytes = NULL;
    size_t rlen = 0;
    ronda_record rec;
    ronda_err e = load_record(s, id, &rbytes, &rlen, &rec, d);
    if (e != RONDA_OK) return e;
    uint8_t(*ws)[32] = NULL;
    size_t nw = 0;
    if (checkpoint) {
        ws = malloc(sizeof *ws);
        if (!ws)
            e = RONDA_ERR_NOMEM;
        else if ((e = part0_writer(s, checkpoint, ws[0], d)) == RONDA_OK)
            nw = 1;
    } else {
        e = writers(s, &ws, &nw);
    }
    char hex[65];
    ronda_hex(id, 32, hex);
    int covered = 0, mismatch = 0;
    tlog_cp mis;
    for (size_t i = 0; e == RONDA_OK && i < nw && !covered; i++) {
        tlog t;
        tlog_init(&t, 1);
        want w;
        memset(&w, 0, sizeof w);
        w.cp = checkpoint;
        e = tlog_walk(s, ws[i], &t, on_cp, &w, d);
        if (e == RONDA_ERR_NOT_FOUND || e == RONDA_ERR_CHAIN) e = RONDA_OK; /* the tree so far still counts */
        uint64_t at = 0;
        int in = 0;
        if (e == RONDA_OK && w.found)
            for (at = 0; at < w.size; at++)
                if (memcmp(t.ids[at], id, 32) == 0) {
                    in = 1;
                    break;
                }
        if (e == RONDA_OK && in && !w.root_ok) {
            mismatch = 1;
            mis = w.at;
        } else if (e == RONDA_OK && in) {
            covered = 1;
            if ((e = ronda_tree_inclusion_proof(t.leaves, w.size, at, out->path, &out->path_len)) == RONDA_OK &&
                (e = record_bytes(s, w.at.id, &out->checkpoint, &out->checkpoint_len, d)) == RONDA_OK) {
                out->consistency = 0;
                memcpy(out->authority, s->authority, 32);
                memcpy(out->writer, ws[i], 32);
                out->record = rbytes;
                out->record_len = rlen;
                rbytes = NULL;
                out->index = at;
                out->size = w.size;
            }
        }
        tlog_free(&t);
    }
    if (e == RONDA_OK && !covered) {
        if (mismatch) {
            e = not_the_tree(d, &mis);
        } else {
            set(d,
                "no checkpoint %s record %.12s (it is newer than the last checkpoint, or no hq checkpoint has a "
                "tree yet): wait for the next checkpoint, or name another with --checkpoint",
                checkpoint ? "given covers" : "with a tree covers", hex);
            e = RONDA_ERR_NOT_FOUND;
        }
    }
    free(ws);
    free(rbytes);
    if (e != RONDA_OK) ronda_proof_free(out);
    return e;
}

ronda_err ronda_store_proof_consistency(ronda_store *s, const uint8_t old_cp[RONDA_ID_BYTES],
                                        const uint8_t new_cp[RONDA_ID_BYTES], ronda_proof *out, ronda_detail *d) {
    memset(out, 0, sizeof *out);
    uint8_t w_old[32], w_new[32];
    ronda_err e = part0_writer(s, old_cp, w_old, d);
    if (e == RONDA_OK) e = part0_writer(s, new_cp, w_new, d);
    if (e != RONDA_OK) return e;
    if (memcmp(w_old, w_new, 32) != 0) {
        set(d, "the two checkpoints have different writers: a consistency proof is between checkpoints of one writer");
        return RONDA_ERR_INVALID;
    }
    tlog t;
    tlog_init(&t, 1);
    want w;
    memset(&w, 0, sizeof w);
    w.cp = new_cp;
    w.old_cp = old_cp;
    e = tlog_walk(s, w_new, &t, on_cp, &w, d);
    if (e == RONDA_OK && (!w.found || !w.old_found || w.old.seq > w.at.seq)) {
        set(d, !w.found || !w.old_found ? "a checkpoint is not a complete checkpoint of its writer in this ledger"
                                        : "OLD is later than NEW in the writer's chain: swap them");
        e = !w.found || !w.old_found ? RONDA_ERR_NOT_FOUND : RONDA_ERR_INVALID;
    }
    if (e == RONDA_OK && !w.old_ok) e = not_the_tree(d, &w.old);
    if (e == RONDA_OK && !w.root_ok) e = not_the_tree(d, &w.at);
    if (e == RONDA_OK && w.old.size == 0) {
        set(d, "the old checkpoint's tree is empty: it is consistent with anything");
        e = RONDA_ERR_INVALID;
    }
    if (e == RONDA_OK) e = ronda_tree_consistency_proof(t.leaves, w.at.size, w.old.size, out->path, &out->path_len);
    if (e == RONDA_OK) e = record_bytes(s, old_cp, &out->old, &out->old_len, d);
    if (e == RONDA_OK) e = record_bytes(s, new_cp, &out->checkpoint, &out->checkpoint_len, d);
    if (e == RONDA_OK) {
        out->consistency = 1;
        memcpy(out->authority, s->authority, 32);
        memcpy(out->writer, w_new, 32);
        out->old_size = w.old.size;
        out->new_size = w.at.size;
    }
    tlog_free(&t);
    if (e != RONDA_OK) ronda_proof_free(out);
    return e;
}

/* ------------------------------------------------------------------ checking */

/* A checkpoint part 0 from the proof: opened, with its size, root and note checked. */
typedef struct cp_in {
    ronda_record rec;
    uint64_t size;
    ronda_tree_hash root;
    int note;
} cp_in;

static ronda_err open_cp(const uint8_t *bytes, size_t len, const char *key, const uint8_t authority[32], cp_in *c,
                         ronda_detail *d) {
    ronda_detail rd;
    memset(&rd, 0, sizeof rd);
    ronda_err e = ronda_record_open(bytes, len, &c->rec, &rd);
    if (e != RONDA_OK) {
        set(d, "the checkpoint \"%s\" does not verify: %s%s%s", key, ronda_strerror(e), rd.text[0] ? ": " : "",
            rd.text);
        return e == RONDA_ERR_SIGNATURE ? e : RONDA_ERR_TAMPERED;
    }
    const ronda_checkpoint *b = &c->rec.typed.u.checkpoint;
    if (c->rec.kind != RONDA_KIND_CHECKPOINT || !c->rec.body || c->rec.typed.kind != c->rec.kind || b->part.v != 0) {
        set(d, "\"%s\" is not the first part of a checkpoint", key);
        return RONDA_ERR_MALFORMED;
    }
    if (!b->root || !b->size.set) {
        set(d, "the checkpoint \"%s\" has no tree (written before trees): nothing to prove against", key);
        return RONDA_ERR_MALFORMED;
    }
    memcpy(c->root.b, b->root, 32);
    c->size = b->size.v;
    if (b->note_sig) {
        ronda_note_head h;
        if (ronda_checkpoint_head(authority, c->rec.author, c->rec.seq, b, &h) != RONDA_OK ||
            !ronda_note_verify(&h, c->rec.author, b->note_sig)) {
            set(d,
                "the checkpoint \"%s\": its note signature does not verify (proto/note.md; another network's "
                "authority key?)",
                key);
            return RONDA_ERR_SIGNATURE;
        }
        c->note = 1;
    }
    return RONDA_OK;
}

ronda_err ronda_proof_verify(const ronda_proof *p, const uint8_t *authority, ronda_proof_result *out, ronda_detail *d) {
    if (authority && memcmp(authority, p->authority, 32) != 0) {
        set(d, "the proof names another network's authority than the one given");
        return RONDA_ERR_SIGNATURE;
    }
    if (p->path_len > RONDA_TREE_PROOF_MAX) {
        set(d, "\"path\" must be an array of at most %u hashes", RONDA_TREE_PROOF_MAX);
        return RONDA_ERR_MALFORMED;
    }
    ronda_proof_result r;
    memset(&r, 0, sizeof r);
    cp_in a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ronda_err e = RONDA_OK;
    if (!p->consistency) {
        ronda_record rec;
        ronda_detail rd;
        memset(&rd, 0, sizeof rd);
        if ((e = open_cp(p->checkpoint, p->checkpoint_len, "checkpoint", p->authority, &b, d)) == RONDA_OK) {
            if ((e = ronda_record_open(p->record, p->record_len, &rec, &rd)) != RONDA_OK) {
                set(d, "the record does not verify: %s%s%s", ronda_strerror(e), rd.text[0] ? ": " : "", rd.text);
                if (e != RONDA_ERR_SIGNATURE) e = RONDA_ERR_TAMPERED;
            } else if (memcmp(b.rec.author, p->writer, 32) != 0) {
                set(d, "the checkpoint's signer is not the proof's writer");
                e = RONDA_ERR_TAMPERED;
            } else if (p->size != b.size) {
                set(d, "the proof's size %llu is not the checkpoint's tree size %llu", (unsigned long long)p->size,
                    (unsigned long long)b.size);
                e = RONDA_ERR_TAMPERED;
            } else {
                ronda_tree_hash leaf;
                ronda_tree_leaf_hash(rec.id, RONDA_ID_BYTES, &leaf);
                if (!ronda_tree_inclusion_verify(&leaf, p->index, p->size, p->path, p->path_len, &b.root)) {
                    set(d,
                        "the path does not lead from the record (leaf %llu) to the checkpoint's root: the record "
                        "is not in the tree at that index, or the proof was altered",
                        (unsigned long long)p->index);
                    e = RONDA_ERR_TAMPERED;
                } else {
                    memcpy(r.record, rec.id, 32);
                    r.index = p->index;
                }
            }
        }
        r.size = b.size;
        r.seq = b.rec.seq;
        r.notes = b.note;
    } else {
        uint64_t m = p->old_size, n = p->new_size;
        r.consistency = 1;
        if ((e = open_cp(p->old, p->old_len, "old", p->authority, &a, d)) == RONDA_OK &&
            (e = open_cp(p->checkpoint, p->checkpoint_len, "new", p->authority, &b, d)) == RONDA_OK) {
            if (memcmp(a.rec.author, p->writer, 32) != 0 || memcmp(b.rec.author, p->writer, 32) != 0) {
                set(d, "the checkpoints are not both the proof's writer's");
                e = RONDA_ERR_TAMPERED;
            } else if (a.rec.seq > b.rec.seq) {
                set(d, "\"old\" is later than \"new\" in the writer's chain");
                e = RONDA_ERR_TAMPERED;
            } else if (m != a.size || n != b.size) {
                set(d, "the proof's sizes (%llu, %llu) are not the checkpoints' (%llu, %llu)", (unsigned long long)m,
                    (unsigned long long)n, (unsigned long long)a.size, (unsigned long long)b.size);
                e = RONDA_ERR_TAMPERED;
            } else if (!ronda_tree_consistency_verify(m, n, &a.root, &b.root, p->path, p->path_len)) {
                set(d,
                    "the path does not prove the old tree (size %llu) a prefix of the new one (size %llu): the "
                    "writer's log was rewritten, or the proof was altered",
                    (unsigned long long)m, (unsigned long long)n);
                e = RONDA_ERR_TAMPERED;
            }
        }
        r.old_seq = a.rec.seq;
        r.old_size = a.size;
        r.seq = b.rec.seq;
        r.size = b.size;
        r.notes = a.note + b.note;
    }
    memcpy(r.writer, p->writer, 32);
    if (e != RONDA_OK) return e;
    *out = r;
    return RONDA_OK;
}
