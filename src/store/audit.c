/* The audit of a whole ledger (ronda_store_audit). Writing checkpoints is checkpoint.c, the
 * chains a report lists chains.c, the history of one dialogue history.c.
 *
 * The audit is ronda_store_verify (every record re-opened from its bytes, every chain link,
 * membership from the authority's own records, the digest recomputed) plus what only a
 * checkpoint can show: a record that an HQ once signed for and that this ledger does not
 * hold was lost or withheld, and a checkpoint that names another id for an (author, seq)
 * than the ledger or another checkpoint is fork evidence. Without checkpoints, the newest
 * records of an author can be dropped (with the frontier table fixed up) without a trace:
 * a chain only proves what precedes its head. docs/audit.md says so.
 *
 * Checkpoints are processed as a stream in (author, seq) order, so memory does not grow
 * with their number: each claim is looked up in the ledger at once, and only the claims
 * the ledger does not hold (findings, or records after a revocation) are kept to compare
 * checkpoints with each other. */
#include <stdlib.h>
#include <string.h>

#include "store/tlog.h"

/* ------------------------------------------------------------------ helpers */

/* "Polres Trenggalek HQ" or a short key when the roster does not know the key. */
static void who(ronda_store *s, const uint8_t key[32], char *out, size_t len) {
    ronda_member_info m;
    if (memcmp(key, s->authority, 32) == 0) {
        snprintf(out, len, "the authority");
    } else if (ronda_store_member_info(s, key, &m) == RONDA_OK && m.name[0]) {
        size_t n = strlen(m.name); /* cut to the caller's room, as the findings' texts are */
        if (n >= len) n = len - 1;
        while (n > 0 && ((unsigned char)m.name[n] & 0xC0) == 0x80) n--; /* not inside a UTF-8 character */
        memcpy(out, m.name, n);
        out[n] = '\0';
    } else {
        char hex[65];
        ronda_hex(key, 32, hex);
        snprintf(out, len, "%.12s", hex);
    }
}

/* A record's columns, opened (stateless checks) and its body decoded; 0 when it does not
 * verify (verify reports that). */
int store_open_row(sqlite3_stmt *st, int env_col, ronda_record *rec) {
    const uint8_t *b =
        sqlite3_column_type(st, env_col + 2) == SQLITE_NULL ? NULL : sqlite3_column_blob(st, env_col + 2);
    if (ronda_record_open_parts(sqlite3_column_blob(st, env_col), (size_t)sqlite3_column_bytes(st, env_col),
                                sqlite3_column_blob(st, env_col + 1), (size_t)sqlite3_column_bytes(st, env_col + 1), b,
                                (size_t)sqlite3_column_bytes(st, env_col + 2), rec, NULL) != RONDA_OK)
        return 0;
    return rec->body != NULL && rec->typed.kind == rec->kind;
}

const ronda_body *store_typed(const ronda_record *rec, ronda_body *own, ronda_detail *d, ronda_err *e) {
    const ronda_body *b = &rec->typed;
    *e = RONDA_OK;
    if (!rec->body) return NULL;
    if (b->kind == rec->kind && b->bytes == rec->body && b->len == rec->body_len) return b;
    if ((*e = ronda_body_decode(rec->kind, rec->body, rec->body_len, own, d)) != RONDA_OK) return NULL;
    return own;
}

int store_body_keep(store_body *k, const ronda_body *body) {
    memset(k, 0, sizeof *k);
    if (!body->bytes || (k->bytes = malloc(body->len ? body->len : 1)) == NULL) return 0;
    memcpy(k->bytes, body->bytes, body->len);
    if (ronda_body_decode(body->kind, k->bytes, body->len, &k->b, NULL) == RONDA_OK) return 1;
    store_body_free(k);
    return 0;
}

void store_body_free(store_body *k) {
    free(k->bytes);
    memset(k, 0, sizeof *k);
}

typedef tlog_entry fentry;

void store_frontier_entry(crypto_generichash_state *h, const uint8_t *author, uint64_t seq, const uint8_t *head) {
    uint8_t entry[32 + 8 + 32];
    memcpy(entry, author, 32);
    for (int i = 0; i < 8; i++) entry[32 + i] = (uint8_t)(seq >> (56 - 8 * i));
    memcpy(entry + 40, head, 32);
    crypto_generichash_update(h, entry, sizeof entry);
}

/* ------------------------------------------------------------------ audit */

typedef struct missing {
    fentry claim;
    uint8_t cp[RONDA_ID_BYTES];         /* the checkpoint that names it */
    uint8_t cp_author[RONDA_KEY_BYTES]; /* and its author */
} missing;

/* A writing membership (role hq or precinct) of the roster, by key. */
typedef struct placer {
    uint8_t key[RONDA_KEY_BYTES];
    size_t at;    /* its place in the roster: the first one is named in a finding */
    store_body m; /* its member body (owned) */
} placer;

/* The audit's own statements, prepared once per audit (audit_each runs for every record). */
enum { AQ_BY_ID, AQ_AMEND, AQ_PENDING, AQ__COUNT };

typedef struct actx {
    ronda_store *s;
    sqlite3_stmt *q[AQ__COUNT];
    placer *placers; /* the writing memberships of the authority's member records, by key, for
                        the place rule (bounded by the roster) */
    size_t n_placers, cap_placers;
    void (*cb)(void *, const ronda_finding *);
    void (*progress)(void *, uint64_t, uint64_t);
    void *ctx;
    ronda_audit_summary sum;
    /* revocations from the authority's own records: member -> smallest last_seq */
    fentry *revoked; /* author, seq = last_seq (head unused) */
    size_t n_revoked;
    missing *miss;
    size_t n_miss, cap_miss;
    /* the checkpoint being assembled from its parts */
    int open;
    uint8_t cp_id[RONDA_ID_BYTES], cp_author[RONDA_KEY_BYTES], cp_digest[RONDA_HASH_BYTES];
    uint64_t cp_seq, cp_next_seq, cp_records, cp_sum;
    unsigned cp_parts, cp_next_part;
    uint8_t cp_last[RONDA_KEY_BYTES];
    int cp_any;
    int cp_bad; /* already reported as malformed: never completes, not reported again */
    crypto_generichash_state cp_hash;
    /* the writer's tree (proto/tree.md), grown checkpoint by checkpoint in its chain order */
    fentry *cp_entries; /* the open checkpoint's frontier, all parts so far */
    size_t cp_n, cp_cap;
    int cp_has_tree; /* its part 0 has size and root */
    uint64_t cp_tsize;
    ronda_tree_hash cp_troot;
    tlog tree;
    uint8_t tree_writer[RONDA_KEY_BYTES];
    int tree_on;        /* tree is tree_writer's */
    int tree_broken;    /* an epoch could not be rebuilt: later roots of this writer are not checked */
    ronda_err tree_err; /* a database failure while rebuilding: the audit's result */
} actx;

static void report(actx *a, ronda_finding_kind kind, ronda_err err, const uint8_t *id, const uint8_t *author,
                   uint64_t seq, const char *detail) {
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.what = ronda_finding_kind_name(kind);
    f.err = err;
    if (id) memcpy(f.id, id, 32);
    if (author) memcpy(f.author, author, 32);
    f.seq = seq;
    size_t l = strlen(detail); /* cut long details at the finding's size */
    if (l >= sizeof f.detail) l = sizeof f.detail - 1;
    memcpy(f.detail, detail, l);
    a->sum.findings++;
    if (a->cb) a->cb(a->ctx, &f);
}

static void on_verify_finding(void *ctx, const ronda_finding *f) {
    actx *a = ctx;
    a->sum.findings++;
    if (a->cb) a->cb(a->ctx, f);
}

static void on_verify_note(void *ctx, const ronda_finding *f) {
    actx *a = ctx;
    if (a->cb) a->cb(a->ctx, f); /* RONDA_FINDING_EXCLUDED: a note, not counted as a finding */
}

static void on_verify_progress(void *ctx, uint64_t done, uint64_t total) {
    actx *a = ctx;
    a->progress(a->ctx, done, total);
}

static ronda_err load_revocations(actx *a) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->s->db,
                           "SELECT envelope, signature, body FROM records WHERE author = ?1 AND kind = 'revoke'", -1,
                           &st, NULL) != SQLITE_OK)
        return store_fail(a->s, 0);
    sqlite3_bind_blob(st, 1, a->s->authority, 32, SQLITE_STATIC);
    ronda_err e = RONDA_OK;
    int rc;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec) || rec.kind != RONDA_KIND_REVOKE) continue;
        const uint8_t *member = rec.typed.u.revoke.member;
        uint64_t last = rec.typed.u.revoke.last_seq.v;
        size_t i;
        for (i = 0; i < a->n_revoked && memcmp(a->revoked[i].author, member, 32) != 0; i++) {}
        if (i < a->n_revoked) {
            if (last < a->revoked[i].seq) a->revoked[i].seq = last;
        } else {
            fentry *g = realloc(a->revoked, (a->n_revoked + 1) * sizeof *g);
            if (!g) {
                e = RONDA_ERR_NOMEM;
            } else {
                a->revoked = g;
                memcpy(g[a->n_revoked].author, member, 32);
                g[a->n_revoked].seq = last;
                a->n_revoked++;
            }
        }
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(a->s, rc); /* no revocation may be missed */
    sqlite3_finalize(st);
    return e;
}

/* The smallest last_seq of the author's revocations; UINT64_MAX when never revoked. */
static uint64_t revoked_after(const actx *a, const uint8_t *author) {
    for (size_t i = 0; i < a->n_revoked; i++)
        if (memcmp(a->revoked[i].author, author, 32) == 0) return a->revoked[i].seq;
    return UINT64_MAX;
}

/* The open checkpoint's epoch onto its writer's tree, and its size and root against it. A
 * checkpoint that is incomplete or malformed here, or an epoch whose records this ledger
 * lacks or holds in another version, stops the writer's tree: the withheld, fork, gap and
 * checkpoint findings name the cause, and the later roots are counted as unchecked. */
static void cp_tree(actx *a, int complete, const char *name) {
    if (!complete || a->cp_bad) a->tree_broken = 1;
    if (!a->tree_broken) {
        ronda_detail d;
        memset(&d, 0, sizeof d);
        ronda_err e = tlog_epoch(a->s, &a->tree, a->cp_entries, a->cp_n, &d);
        if (e == RONDA_ERR_NOMEM || ronda_err_is_db(e)) {
            a->tree_err = e;
            a->tree_broken = 1;
        } else if (e != RONDA_OK) {
            a->tree_broken = 1;
        }
    }
    if (!a->cp_has_tree) return;
    if (a->tree_broken) {
        a->sum.roots_unchecked++;
        return;
    }
    a->sum.roots++;
    ronda_tree_hash root;
    ronda_tree_range_root(&a->tree.range, &root);
    if (a->tree.range.size == a->cp_tsize && sodium_memcmp(root.b, a->cp_troot.b, 32) == 0) return;
    char text[512], want[65], got[65];
    ronda_hex(root.b, 32, want);
    ronda_hex(a->cp_troot.b, 32, got);
    snprintf(text, sizeof text,
             "checkpoint by %s: its tree (size %llu, root %.12s) is not the tree rebuilt from its checkpoints and "
             "the records they name (size %llu, root %.12s; proto/tree.md)",
             name, (unsigned long long)a->cp_tsize, got, (unsigned long long)a->tree.range.size, want);
    report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_TAMPERED, a->cp_id, a->cp_author, a->cp_seq, text);
}

static void cp_close(actx *a, int complete) {
    if (!a->open) return;
    char text[512], name[64];
    who(a->s, a->cp_author, name, sizeof name);
    cp_tree(a, complete, name);
    if (a->cp_bad) {
        /* reported when it was found */
    } else if (!complete) {
        snprintf(text, sizeof text,
                 "checkpoint by %s is incomplete: part %u of %u is missing (its claims so far were checked)", name,
                 a->cp_next_part + 1, a->cp_parts);
        report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_GAP, a->cp_id, a->cp_author, a->cp_seq, text);
    } else {
        uint8_t digest[RONDA_HASH_BYTES];
        crypto_generichash_final(&a->cp_hash, digest, sizeof digest);
        if (sodium_memcmp(digest, a->cp_digest, 32) != 0 || a->cp_sum != a->cp_records) {
            snprintf(text, sizeof text,
                     "checkpoint by %s is inconsistent: its digest or record count (%llu) does not match its own "
                     "frontier (%llu records)",
                     name, (unsigned long long)a->cp_records, (unsigned long long)a->cp_sum);
            report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_TAMPERED, a->cp_id, a->cp_author, a->cp_seq, text);
        }
    }
    a->open = 0;
}

/* One claim of a checkpoint: (author, seq, head). */
static ronda_err check_claim(actx *a, const fentry *c) {
    a->sum.claims++;
    sqlite3_stmt *st = store_stmt(a->s, Q_BY_SEQ);
    if (!st) return store_fail(a->s, 0);
    sqlite3_bind_blob(st, 1, c->author, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)c->seq);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(a->s, rc);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == 32 && memcmp(sqlite3_column_blob(st, 0), c->head, 32) == 0) {
            a->sum.claims_held++;
            return RONDA_OK;
        }
        char held[65], claimed[65], name[64], text[512], cp[65];
        ronda_hex(sqlite3_column_bytes(st, 0) == 32 ? sqlite3_column_blob(st, 0) : c->head, 32, held);
        ronda_hex(c->head, 32, claimed);
        ronda_hex(a->cp_id, 32, cp);
        who(a->s, a->cp_author, name, sizeof name);
        snprintf(text, sizeof text,
                 "two histories: checkpoint %.12s by %s names %.12s for this seq, the ledger holds %.12s", cp, name,
                 claimed, held);
        report(a, RONDA_FINDING_FORK, RONDA_ERR_CHAIN, c->head, c->author, c->seq, text);
        return RONDA_OK;
    }
    if (c->seq > revoked_after(a, c->author)) { /* after the revocation: a node may drop it */
        a->sum.claims_revoked++;
        return RONDA_OK;
    }
    if (a->n_miss == a->cap_miss) {
        size_t cap = a->cap_miss ? a->cap_miss * 2 : 16;
        missing *g = realloc(a->miss, cap * sizeof *g);
        if (!g) return RONDA_ERR_NOMEM;
        a->miss = g;
        a->cap_miss = cap;
    }
    missing *m = &a->miss[a->n_miss++];
    m->claim = *c;
    memcpy(m->cp, a->cp_id, 32);
    memcpy(m->cp_author, a->cp_author, 32);
    return RONDA_OK;
}

/* Part 0's note signature (optional: checkpoints before notes have none) is its writer's
 * signature of the checkpoint's note (proto/note.md): a checkpoint whose note would not
 * verify cannot be published, and says its body or its writer's key was meddled with. */
static void check_note_sig(actx *a, const ronda_record *rec, const ronda_checkpoint *b) {
    ronda_note_head h;
    if (!b->note_sig) return;
    a->sum.notes++;
    if (ronda_checkpoint_head(a->s->authority, rec->author, rec->seq, b, &h) == RONDA_OK &&
        ronda_note_verify(&h, rec->author, b->note_sig))
        return;
    char name[64], text[300];
    who(a->s, rec->author, name, sizeof name);
    snprintf(text, sizeof text, "checkpoint by %s: its note signature does not verify over its note (proto/note.md)",
             name);
    report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_SIGNATURE, rec->id, rec->author, rec->seq, text);
}

/* A cosignature (proto/record.md §4): the checkpoint it names must be held, be its writer's
 * part 0 at its seq with its size and root, and the cosigner's signature must verify over
 * that note. A cosign naming a checkpoint this ledger lacks is the trace of a checkpoint
 * (and of the records it named) removed from this copy: another HQ vouched for it. */
static ronda_err check_cosign(actx *a, const ronda_record *rec, const ronda_cosign *b) {
    a->sum.cosigns++;
    const uint8_t *writer = b->writer, *cp = b->checkpoint, *sig = b->note_sig; /* required by the schema */
    ronda_note_head claimed;
    memset(&claimed, 0, sizeof claimed);
    claimed.size = b->size.v;
    claimed.seq = b->seq.v;
    memcpy(claimed.writer, writer, 32);
    memcpy(claimed.root, b->root, 32);
    ronda_note_key_name(a->s->authority, writer, claimed.origin);
    char wname[64], cname[64], cph[65], text[512];
    who(a->s, writer, wname, sizeof wname);
    who(a->s, rec->author, cname, sizeof cname);
    ronda_hex(cp, 32, cph);
    if (memcmp(writer, rec->author, 32) == 0) {
        snprintf(text, sizeof text, "%s cosigns its own checkpoint %.12s: a witness must be another HQ", cname, cph);
        report(a, RONDA_FINDING_WITNESS, RONDA_ERR_ROLE, rec->id, rec->author, rec->seq, text);
        return RONDA_OK;
    }
    if (!ronda_note_verify(&claimed, rec->author, sig)) {
        snprintf(text, sizeof text,
                 "cosignature by %s of checkpoint %.12s (%s, seq %llu) does not verify over its note", cname, cph,
                 wname, (unsigned long long)claimed.seq);
        report(a, RONDA_FINDING_WITNESS, RONDA_ERR_SIGNATURE, rec->id, rec->author, rec->seq, text);
        return RONDA_OK;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->s->db, "SELECT envelope, signature, body FROM records WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(a->s, 0);
    sqlite3_bind_blob(st, 1, cp, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    const char *problem = NULL;
    ronda_err e = RONDA_OK;
    if (rc == SQLITE_DONE) {
        snprintf(text, sizeof text,
                 "%s cosigned checkpoint %.12s of %s (seq %llu, %llu records), which this ledger does not hold: it and "
                 "records it named were lost or removed",
                 cname, cph, wname, (unsigned long long)claimed.seq, (unsigned long long)claimed.size);
        report(a, RONDA_FINDING_WITNESS, RONDA_ERR_NOT_FOUND, cp, writer, claimed.seq, text);
    } else if (rc != SQLITE_ROW) {
        e = store_fail(a->s, rc);
    } else {
        ronda_record c;
        ronda_note_head held;
        if (!store_open_row(st, 0, &c))
            problem = "does not verify"; /* verify reports the record itself */
        else if (c.kind != RONDA_KIND_CHECKPOINT || c.typed.u.checkpoint.part.v != 0)
            problem = "is no checkpoint's first part";
        else if (memcmp(c.author, writer, 32) != 0 || c.seq != claimed.seq)
            problem = "has another writer or seq than the cosignature says";
        else if (ronda_checkpoint_head(a->s->authority, writer, c.seq, &c.typed.u.checkpoint, &held) != RONDA_OK ||
                 held.size != claimed.size || sodium_memcmp(held.root, claimed.root, 32) != 0)
            problem = "has another size or root than the cosignature says";
        if (problem) {
            snprintf(text, sizeof text, "cosignature by %s names checkpoint %.12s of %s, but the record held %s", cname,
                     cph, wname, problem);
            report(a, RONDA_FINDING_WITNESS, RONDA_ERR_TAMPERED, rec->id, rec->author, rec->seq, text);
        }
    }
    sqlite3_finalize(st);
    return e;
}

static ronda_err cosigns(actx *a) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->s->db,
                           "SELECT envelope, signature, body FROM records WHERE kind = 'cosign' ORDER BY author, seq",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(a->s, 0);
    ronda_err e = RONDA_OK;
    int rc = SQLITE_DONE;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec)) continue; /* reported by verify */
        if (rec.kind == RONDA_KIND_COSIGN) e = check_cosign(a, &rec, &rec.typed.u.cosign);
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(a->s, rc); /* every cosign, or an error */
    sqlite3_finalize(st);
    return e;
}

static ronda_err check_checkpoint(actx *a, const ronda_record *rec, const ronda_checkpoint *b) {
    a->sum.checkpoints++;
    unsigned part = (unsigned)b->part.v;
    unsigned parts = (unsigned)b->parts.v;
    const uint8_t *digest = b->digest; /* required by the schema */
    uint64_t records = b->records.v;
    /* A part continues the open checkpoint only if it is the author's next record and agrees. */
    int continues = a->open && part > 0 && memcmp(rec->author, a->cp_author, 32) == 0 && rec->seq == a->cp_next_seq &&
                    part == a->cp_next_part && parts == a->cp_parts && memcmp(digest, a->cp_digest, 32) == 0 &&
                    records == a->cp_records;
    if (!continues) {
        cp_close(a, 0);
        if (part != 0) { /* a later part without its first: report it on its own */
            char text[512], name[64];
            who(a->s, rec->author, name, sizeof name);
            snprintf(text, sizeof text, "part %u of %u of a checkpoint by %s without the parts before it", part + 1,
                     parts, name);
            report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_GAP, rec->id, rec->author, rec->seq, text);
        }
        a->open = 1;
        memcpy(a->cp_id, rec->id, 32);
        memcpy(a->cp_author, rec->author, 32);
        memcpy(a->cp_digest, digest, 32);
        a->cp_seq = rec->seq;
        a->cp_parts = parts;
        a->cp_records = records;
        a->cp_sum = 0;
        a->cp_any = 0;
        crypto_generichash_init(&a->cp_hash, NULL, 0, RONDA_HASH_BYTES);
        crypto_generichash_update(&a->cp_hash, (const uint8_t *)"ronda-ledger-v1", 15);
        a->cp_next_part = part; /* a part > 0 here is checked for claims but never completes */
        a->cp_bad = part != 0;
        if (!a->tree_on || memcmp(a->tree_writer, rec->author, 32) != 0) { /* the next writer's tree */
            tlog_free(&a->tree);
            tlog_init(&a->tree, 0);
            memcpy(a->tree_writer, rec->author, 32);
            a->tree_on = 1;
            a->tree_broken = 0;
        }
        a->cp_n = 0;
        a->cp_has_tree = part == 0 && b->size.set && b->root;
        if (a->cp_has_tree) memcpy(a->cp_troot.b, b->root, 32);
        a->cp_tsize = a->cp_has_tree ? b->size.v : 0;
        if (part == 0) check_note_sig(a, rec, b);
    }
    size_t nen = b->frontier.n;
    ronda_entry *ens = malloc((nen ? nen : 1) * sizeof *ens);
    if (!ens) return RONDA_ERR_NOMEM;
    nen = ronda_body_entries(&b->frontier, ens, nen);
    for (size_t i = 0; i < nen; i++) {
        fentry c;
        memcpy(c.author, ens[i].author, 32);
        memcpy(c.head, ens[i].head, 32);
        c.seq = ens[i].seq.v;
        if (a->cp_any && memcmp(c.author, a->cp_last, 32) <= 0) {
            if (!a->cp_bad)
                report(a, RONDA_FINDING_CHECKPOINT, RONDA_ERR_SCHEMA, rec->id, rec->author, rec->seq,
                       "checkpoint parts do not ascend by author across parts");
            a->cp_bad = 1;
        }
        memcpy(a->cp_last, c.author, 32);
        a->cp_any = 1;
        store_frontier_entry(&a->cp_hash, c.author, c.seq, c.head);
        a->cp_sum += c.seq;
        if (a->cp_n == a->cp_cap) {
            size_t cap = a->cp_cap ? a->cp_cap * 2 : 64;
            fentry *g = realloc(a->cp_entries, cap * sizeof *g);
            if (!g) {
                free(ens);
                return RONDA_ERR_NOMEM;
            }
            a->cp_entries = g;
            a->cp_cap = cap;
        }
        a->cp_entries[a->cp_n++] = c;
        ronda_err e = check_claim(a, &c);
        if (e != RONDA_OK) {
            free(ens);
            return e;
        }
    }
    free(ens);
    a->cp_next_part = part + 1;
    a->cp_next_seq = rec->seq + 1;
    if (a->cp_next_part == a->cp_parts) cp_close(a, 1);
    return a->tree_err;
}

static int miss_cmp(const void *x, const void *y) {
    const missing *a = x, *b = y;
    int c = memcmp(a->claim.author, b->claim.author, 32);
    if (c) return c;
    if (a->claim.seq != b->claim.seq) return a->claim.seq < b->claim.seq ? -1 : 1;
    return memcmp(a->claim.head, b->claim.head, 32);
}

/* Claims the ledger does not hold: checkpoints that disagree with each other are fork
 * evidence; every author with unheld claims is one "withheld" finding. */
static ronda_err report_missing(actx *a) {
    if (a->n_miss > 1) qsort(a->miss, a->n_miss, sizeof *a->miss, miss_cmp);
    for (size_t i = 0; i < a->n_miss;) {
        size_t j = i;
        uint64_t top = 0;
        size_t top_at = i;
        while (j < a->n_miss && memcmp(a->miss[j].claim.author, a->miss[i].claim.author, 32) == 0) {
            if (j > i && a->miss[j].claim.seq == a->miss[j - 1].claim.seq &&
                memcmp(a->miss[j].claim.head, a->miss[j - 1].claim.head, 32) != 0) {
                char h1[65], h2[65], n1[64], n2[64], text[512];
                ronda_hex(a->miss[j - 1].claim.head, 32, h1);
                ronda_hex(a->miss[j].claim.head, 32, h2);
                who(a->s, a->miss[j - 1].cp_author, n1, sizeof n1);
                who(a->s, a->miss[j].cp_author, n2, sizeof n2);
                snprintf(text, sizeof text,
                         "two histories: checkpoints by %s and by %s name different records for this seq "
                         "(%.12s and %.12s)",
                         n1, n2, h1, h2);
                report(a, RONDA_FINDING_FORK, RONDA_ERR_CHAIN, a->miss[j].claim.head, a->miss[j].claim.author,
                       a->miss[j].claim.seq, text);
            }
            if (a->miss[j].claim.seq >= top) {
                top = a->miss[j].claim.seq;
                top_at = j;
            }
            j++;
        }
        uint64_t held = 0;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(a->s->db, "SELECT max(seq) FROM records WHERE author = ?1", -1, &st, NULL) != SQLITE_OK)
            return store_fail(a->s, 0);
        sqlite3_bind_blob(st, 1, a->miss[i].claim.author, 32, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) held = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) return store_fail(a->s, rc);
        const missing *m = &a->miss[top_at];
        char name[64], cpn[64], cp[65], text[512];
        who(a->s, m->claim.author, name, sizeof name);
        who(a->s, m->cp_author, cpn, sizeof cpn);
        ronda_hex(m->cp, 32, cp);
        snprintf(text, sizeof text,
                 "records lost or withheld: checkpoint %.12s by %s signed for %s's chain up to seq %llu; this ledger "
                 "holds %llu record%s of it (%zu claim%s not held)",
                 cp, cpn, name, (unsigned long long)top, (unsigned long long)held, held == 1 ? "" : "s", j - i,
                 j - i == 1 ? "" : "s");
        report(a, RONDA_FINDING_WITHHELD, RONDA_ERR_NOT_FOUND, m->claim.head, m->claim.author, top, text);
        i = j;
    }
    return RONDA_OK;
}

static ronda_err checkpoints(actx *a) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            a->s->db, "SELECT envelope, signature, body FROM records WHERE kind = 'checkpoint' ORDER BY author, seq",
            -1, &st, NULL) != SQLITE_OK)
        return store_fail(a->s, 0);
    ronda_err e = RONDA_OK;
    int rc;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec)) continue; /* reported by verify */
        if (rec.kind == RONDA_KIND_CHECKPOINT) e = check_checkpoint(a, &rec, &rec.typed.u.checkpoint);
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(a->s, rc);
    sqlite3_finalize(st);
    cp_close(a, 0);
    if (e == RONDA_OK) e = a->tree_err;
    if (e == RONDA_OK) e = report_missing(a);
    return e;
}

/* References are checked as verify's pass hands each record on (audit_each): an amend's
 * target and a resolution's dialogue are looked up by id in the index, not opened again.
 * What a reference check reads of the record it names (author, kind, a dialogue's topics)
 * is checked by that same pass in the same snapshot: the index columns against the signed
 * envelope, the body against its hash; a row that does not verify is verify's finding. A
 * resolution names its dialogue by id, so the dialogue's topics are the ones it answered.
 *
 * Only one answer is not at hand when the resolution is: a topic beyond the dialogue's own
 * list may have been added by an amendment (a record of the dialogue's author, anywhere in
 * the walk). Those resolutions wait in a scratch table, and every amendment that lists
 * topics notes its count in another; both are read once after the pass. They are SQLite
 * tables in a temporary file, so an audit's memory does not grow with them. */
static const char scratch_sql[] =
    "DROP TABLE IF EXISTS temp.audit_amend_topics; DROP TABLE IF EXISTS temp.audit_pending_refs;"
    "CREATE TEMP TABLE audit_amend_topics(target BLOB NOT NULL, author BLOB NOT NULL, topics INTEGER NOT NULL,"
    " PRIMARY KEY(target, author, topics)) WITHOUT ROWID;"
    "CREATE TEMP TABLE audit_pending_refs(id BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, dialogue BLOB NOT NULL, dauthor BLOB NOT NULL, topic INTEGER NOT NULL,"
    " topics INTEGER NOT NULL);";

static ronda_err scratch_open(actx *a) {
    ronda_err e = store_exec(a->s, scratch_sql);
    if (e != RONDA_OK) return e;
    static const char *const sql[AQ__COUNT] = {
        [AQ_BY_ID] = "SELECT author, seq, kind, body FROM records WHERE id = ?1",
        [AQ_AMEND] = "INSERT OR IGNORE INTO temp.audit_amend_topics VALUES (?1, ?2, ?3)",
        [AQ_PENDING] = "INSERT INTO temp.audit_pending_refs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    };
    for (int i = 0; i < AQ__COUNT; i++)
        if (sqlite3_prepare_v2(a->s->db, sql[i], -1, &a->q[i], NULL) != SQLITE_OK) return store_fail(a->s, 0);
    return RONDA_OK;
}

static void scratch_close(actx *a) {
    for (int i = 0; i < AQ__COUNT; i++) {
        sqlite3_finalize(a->q[i]);
        a->q[i] = NULL;
    }
    store_exec(a->s, "DROP TABLE IF EXISTS temp.audit_amend_topics; DROP TABLE IF EXISTS temp.audit_pending_refs;");
}

/* Step a scratch insert to its end: RONDA_OK or the failure. */
static ronda_err scratch_step(actx *a, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? RONDA_OK : store_fail(a->s, rc);
}

/* A resolution body (or an amend's corrected resolution body) names a held dialogue and one
 * of its topics, in any of the dialogue's versions (original or an amendment): a resolution
 * written against any version is not a dangling reference. */
static ronda_err check_resolution(actx *a, const ronda_record *rec, const ronda_resolution *res) {
    const uint8_t *dlg = res->dialogue; /* required by the schema */
    a->sum.references++;
    sqlite3_stmt *st = a->q[AQ_BY_ID];
    sqlite3_bind_blob(st, 1, dlg, 32, SQLITE_STATIC);
    char hex[65], text[512];
    ronda_hex(dlg, 32, hex);
    ronda_err e = RONDA_OK;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        e = store_fail(a->s, rc); /* a failed read is no missing dialogue */
    } else if (rc == SQLITE_DONE) {
        snprintf(text, sizeof text,
                 "%s names dialogue %.12s, which this ledger does not hold (lost, withheld, or not synced yet)",
                 ronda_kind_name(rec->kind), hex);
        report(a, RONDA_FINDING_REFERENCE, RONDA_ERR_REFERENCE, rec->id, rec->author, rec->seq, text);
    } else {
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        ronda_body b;
        uint64_t topic = res->topic.v;
        if (!kind || strcmp(kind, "dialogue") != 0) {
            snprintf(text, sizeof text, "%s names %.12s as its dialogue, but that is a %s record",
                     ronda_kind_name(rec->kind), hex, kind ? kind : "?");
            report(a, RONDA_FINDING_REFERENCE, RONDA_ERR_REFERENCE, rec->id, rec->author, rec->seq, text);
        } else if (sqlite3_column_bytes(st, 0) == 32 && sqlite3_column_type(st, 3) != SQLITE_NULL &&
                   ronda_body_decode(RONDA_KIND_DIALOGUE, sqlite3_column_blob(st, 3),
                                     (size_t)sqlite3_column_bytes(st, 3), &b, NULL) == RONDA_OK) {
            /* (a row that does not decode or has no author key does not verify: verify's finding) */
            uint64_t n = b.u.dialogue.topics.n;
            if (topic >= n) { /* an amendment may have added it: decided after the pass */
                sqlite3_stmt *p = a->q[AQ_PENDING];
                sqlite3_bind_blob(p, 1, rec->id, 32, SQLITE_TRANSIENT);
                sqlite3_bind_blob(p, 2, rec->author, 32, SQLITE_TRANSIENT);
                sqlite3_bind_int64(p, 3, (int64_t)rec->seq);
                sqlite3_bind_text(p, 4, ronda_kind_name(rec->kind), -1, SQLITE_STATIC);
                sqlite3_bind_blob(p, 5, dlg, 32, SQLITE_TRANSIENT);
                sqlite3_bind_blob(p, 6, sqlite3_column_blob(st, 0), 32, SQLITE_TRANSIENT);
                sqlite3_bind_int64(p, 7, (int64_t)topic);
                sqlite3_bind_int64(p, 8, (int64_t)n);
                e = scratch_step(a, p);
            }
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

/* The resolutions that named a topic beyond their dialogue's own list: held against the
 * largest list of the dialogue's author's amendments of it. */
static ronda_err check_pending(actx *a) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->s->db,
                           "SELECT p.id, p.author, p.seq, p.kind, p.dialogue, p.topic, p.topics,"
                           " (SELECT max(m.topics) FROM temp.audit_amend_topics m"
                           "  WHERE m.target = p.dialogue AND m.author = p.dauthor)"
                           " FROM temp.audit_pending_refs p ORDER BY p.rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(a->s, 0);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t topic = (uint64_t)sqlite3_column_int64(st, 5), n = (uint64_t)sqlite3_column_int64(st, 6);
        uint64_t k = (uint64_t)sqlite3_column_int64(st, 7); /* NULL (no amendment): 0 */
        if (topic < n || topic < k) continue;
        char hex[65], text[512];
        ronda_hex(sqlite3_column_blob(st, 4), 32, hex);
        snprintf(text, sizeof text, "%s follows up topic %llu of dialogue %.12s, which has no such topic",
                 (const char *)sqlite3_column_text(st, 3), (unsigned long long)topic, hex);
        report(a, RONDA_FINDING_REFERENCE, RONDA_ERR_REFERENCE, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1),
               (uint64_t)sqlite3_column_int64(st, 2), text);
    }
    ronda_err e = rc == SQLITE_DONE ? RONDA_OK : store_fail(a->s, rc); /* every reference, or an error */
    sqlite3_finalize(st);
    return e;
}

static ronda_err check_amend(actx *a, const ronda_record *rec, const ronda_amend *b) {
    const uint8_t *target = b->target; /* required by the schema */
    const char *kind = ronda_kind_name((ronda_kind)b->kind);
    a->sum.references++;
    sqlite3_stmt *st = a->q[AQ_BY_ID];
    sqlite3_bind_blob(st, 1, target, 32, SQLITE_STATIC);
    const char *problem = NULL;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ronda_err e = store_fail(a->s, rc);
        sqlite3_reset(st);
        return e;
    }
    if (rc == SQLITE_DONE)
        problem = "amend target is not held (it precedes the amend in the same chain)";
    else if (sqlite3_column_bytes(st, 0) != 32 || memcmp(sqlite3_column_blob(st, 0), rec->author, 32) != 0)
        problem = "amend corrects another author's record";
    else if ((uint64_t)sqlite3_column_int64(st, 1) >= rec->seq)
        problem = "amend target does not precede the amend in its chain";
    else if (!kind || !sqlite3_column_text(st, 2) || strcmp((const char *)sqlite3_column_text(st, 2), kind) != 0)
        problem = "amend names another kind than its target's";
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (problem) report(a, RONDA_FINDING_REFERENCE, RONDA_ERR_REFERENCE, rec->id, rec->author, rec->seq, problem);
    uint64_t k = b->kind == RONDA_KIND_DIALOGUE ? b->body.dialogue.topics.n : 0;
    if (k > 0) { /* a version of its target with k topics, for the resolutions held back */
        sqlite3_stmt *m = a->q[AQ_AMEND];
        sqlite3_bind_blob(m, 1, target, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(m, 2, rec->author, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(m, 3, (int64_t)k);
        ronda_err e = scratch_step(a, m);
        if (e != RONDA_OK) return e;
    }
    if (b->kind == RONDA_KIND_RESOLUTION) return check_resolution(a, rec, &b->body.resolution);
    return RONDA_OK;
}

/* ------------------------------------------------------------------ places */

static int placer_cmp(const void *x, const void *y) {
    const placer *a = x, *b = y;
    int c = memcmp(a->key, b->key, 32);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* The authority's own verified member records (not the derived table): their writing
 * memberships (role hq or precinct), sorted by key (in roster order for one key), so a
 * dialogue's place is looked up, not searched for among every member: a roster of hundreds
 * costs no more. */
static ronda_err load_members(actx *a) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(a->s->db,
                           "SELECT envelope, signature, body FROM records WHERE author = ?1 AND kind = 'member'", -1,
                           &st, NULL) != SQLITE_OK)
        return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, a->s->authority, 32, SQLITE_STATIC);
    ronda_err e = RONDA_OK;
    int rc;
    size_t at = 0;
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_record rec;
        if (!store_open_row(st, 0, &rec) || rec.kind != RONDA_KIND_MEMBER) continue;
        at++; /* the roster's order counts every member record */
        int role = rec.typed.u.member.role;
        if (role != RONDA_ROLE_HQ && role != RONDA_ROLE_PRECINCT) continue;
        if (a->n_placers == a->cap_placers) {
            size_t cap = a->cap_placers ? a->cap_placers * 2 : 16;
            placer *g = realloc(a->placers, cap * sizeof *g);
            if (!g) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            a->placers = g;
            a->cap_placers = cap;
        }
        placer *p = &a->placers[a->n_placers];
        if (!store_body_keep(&p->m, &rec.typed)) {
            e = RONDA_ERR_NOMEM;
            break;
        }
        memcpy(p->key, rec.typed.u.member.sign_key, 32);
        p->at = at - 1;
        a->n_placers++;
    }
    sqlite3_finalize(st);
    if (e == RONDA_OK && rc != SQLITE_DONE) e = RONDA_ERR_DB; /* an error is not the end of the roster */
    if (e == RONDA_OK && a->n_placers > 1) qsort(a->placers, a->n_placers, sizeof *a->placers, placer_cmp);
    return e;
}

/* A dialogue (or an amend's corrected dialogue) must name its author's Polres/Polsek
 * (proto/record.md §5). Records stored before the rule, or by a node without it, are found
 * here; an author with no membership at the record's time is verify's finding, not this. */
static void check_place(actx *a, const ronda_record *rec, const ronda_dialogue *dialogue) {
    char polres[RONDA_NAME_MAX + 1], polsek[RONDA_NAME_MAX + 1];
    store_name(dialogue->polres, polres);
    store_name(dialogue->polsek, polsek);
    uint64_t ms = ronda_hlc_ms(rec->hlc);
    const ronda_member *first = NULL;
    size_t lo = 0, hi = a->n_placers; /* the author's first membership */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(a->placers[mid].key, rec->author, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < a->n_placers && memcmp(a->placers[i].key, rec->author, 32) == 0; i++) {
        const ronda_member *m = &a->placers[i].m.b.u.member;
        if (m->valid_from.v > ms || m->valid_until.v <= ms) continue;
        char m_polres[RONDA_NAME_MAX + 1], m_polsek[RONDA_NAME_MAX + 1];
        store_name(m->polres, m_polres);
        store_name(m->polsek, m_polsek);
        if (views_place_ok(ronda_role_name(m->role), m->polres.len ? m_polres : NULL, m->polsek.len ? m_polsek : NULL,
                           polres, polsek))
            return;
        if (!first) first = m;
    }
    if (!first) return;
    char mine[100], text[400]; /* report() cuts it at the finding's size */
    char f_polres[RONDA_NAME_MAX + 1], f_polsek[RONDA_NAME_MAX + 1], f_name[RONDA_NAME_MAX + 1];
    store_name(first->polres, f_polres);
    store_name(first->polsek, f_polsek);
    store_name(first->name, f_name);
    if (first->role == RONDA_ROLE_HQ)
        snprintf(mine, sizeof mine, "Polres %.40s HQ", f_polres[0] ? f_polres : "?");
    else
        snprintf(mine, sizeof mine, "Polres %.40s / Polsek %.40s", f_polres[0] ? f_polres : "?",
                 f_polsek[0] ? f_polsek : "?");
    snprintf(text, sizeof text, "%s claims Polres %.40s / Polsek %.40s; its author %.40s is admitted for %.96s",
             rec->kind == RONDA_KIND_AMEND ? "amend of a dialogue" : "dialogue", polres[0] ? polres : "?",
             polsek[0] ? polsek : "?", f_name[0] ? f_name : "?", mine);
    report(a, RONDA_FINDING_PLACE, RONDA_ERR_PLACE, rec->id, rec->author, rec->seq, text);
}

/* Verify's pass hands on every record that opens: its references and its place are checked
 * here, from the bytes verify has just checked, so no record is opened twice. */
static ronda_err audit_each(void *ctx, const ronda_record *rec) {
    actx *a = ctx;
    if ((rec->kind != RONDA_KIND_DIALOGUE && rec->kind != RONDA_KIND_RESOLUTION && rec->kind != RONDA_KIND_AMEND) ||
        !rec->body)
        return RONDA_OK;
    ronda_body own;
    ronda_err e;
    const ronda_body *b = store_typed(rec, &own, NULL, &e);
    if (!b) return e == RONDA_ERR_NOMEM ? e : RONDA_OK; /* a body that does not decode: verify's finding */
    int by_authority = memcmp(rec->author, a->s->authority, 32) == 0; /* verify's finding, no place */
    e = RONDA_OK;
    if (rec->kind == RONDA_KIND_DIALOGUE) {
        if (!by_authority) check_place(a, rec, &b->u.dialogue);
    } else if (rec->kind == RONDA_KIND_RESOLUTION) {
        e = check_resolution(a, rec, &b->u.resolution);
    } else {
        if (!by_authority && b->u.amend.kind == RONDA_KIND_DIALOGUE) check_place(a, rec, &b->u.amend.body.dialogue);
        e = check_amend(a, rec, &b->u.amend);
    }
    return e;
}

ronda_err ronda_store_audit(ronda_store *s, unsigned threads, void (*cb)(void *, const ronda_finding *),
                            void (*progress)(void *, uint64_t, uint64_t), void *ctx, ronda_audit_summary *out) {
    actx a;
    memset(&a, 0, sizeof a);
    a.s = s;
    a.cb = cb;
    a.progress = progress;
    a.ctx = ctx;
    /* The scratch tables in a file (the store keeps its temporary data in memory): set
     * outside a transaction, and back as the store opened it after. A read-only store
     * (ronda_store_open_readonly) also refuses writes to its temporary schema (query_only):
     * lifted for the audit, as its database file is open read-only to SQLite itself. */
    store_idle(s);
    int lift = sqlite3_db_readonly(s->db, "main") == 1;
    ronda_err e = store_exec(s, lift ? "PRAGMA query_only=OFF; PRAGMA temp_store=FILE" : "PRAGMA temp_store=FILE");
    if (e == RONDA_OK && (e = store_exec(s, "BEGIN")) != RONDA_OK) /* one snapshot for every pass */
        store_exec(s, "PRAGMA temp_store=MEMORY");
    if (e != RONDA_OK) {
        if (lift) store_exec(s, "PRAGMA query_only=ON");
        return e;
    }
    e = scratch_open(&a);
    if (e == RONDA_OK) e = load_members(&a);
    if (e == RONDA_OK)
        e = store_verify_each(s, threads, on_verify_finding, progress ? on_verify_progress : NULL, on_verify_note,
                              audit_each, &a, 1, &a.sum.verify);
    if (e == RONDA_OK) e = check_pending(&a);
    if (e == RONDA_OK) e = load_revocations(&a);
    if (e == RONDA_OK) e = checkpoints(&a);
    if (e == RONDA_OK) e = cosigns(&a);
    scratch_close(&a);
    store_exec(s, "COMMIT");
    store_idle(s);
    store_exec(s, lift ? "PRAGMA temp_store=MEMORY; PRAGMA query_only=ON" : "PRAGMA temp_store=MEMORY");
    if (e == RONDA_OK) {
        /* The views against the records (verify's last step; it holds no transaction then). */
        ronda_view_check vc;
        ronda_err ve = ronda_store_check_views(s, on_verify_finding, &a, &vc);
        if (ve != RONDA_OK && ve != RONDA_ERR_VIEW) e = ve;
    }
    for (size_t i = 0; i < a.n_placers; i++) store_body_free(&a.placers[i].m);
    free(a.placers);
    free(a.revoked);
    free(a.miss);
    free(a.cp_entries);
    tlog_free(&a.tree);
    if (e != RONDA_OK) return e;
    *out = a.sum;
    return RONDA_OK;
}
