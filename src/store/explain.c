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

#include "store/store_int.h"

/* ------------------------------------------------------------------ what a context owns */

typedef struct dref_node {
    ronda_dialogue_ref d;
    struct dref_node *next;
} dref_node;

struct ronda_explain_mem {
    store_strs strs;   /* every string */
    dref_node *drefs;  /* every dialogue named */
    uint8_t *bytes[2]; /* a fork's two records */
};

const char *store_strs_keep(store_strs *a, const char *p, size_t len) {
    if (!p) return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **g = realloc(a->v, cap * sizeof *g);
        if (!g) {
            a->nomem = 1;
            return NULL;
        }
        a->v = g;
        a->cap = cap;
    }
    char *d = malloc(len + 1);
    if (!d) {
        a->nomem = 1;
        return NULL;
    }
    memcpy(d, p, len);
    d[len] = '\0';
    a->v[a->n++] = d;
    return d;
}

const char *store_strs_col(store_strs *a, sqlite3_stmt *st, int col) {
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? store_strs_keep(a, t, (size_t)sqlite3_column_bytes(st, col)) : NULL;
}

void store_strs_free(store_strs *a) {
    for (size_t i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

static struct ronda_explain_mem *mem_new(void) { return calloc(1, sizeof(struct ronda_explain_mem)); }

static void mem_free(struct ronda_explain_mem *m) {
    if (!m) return;
    store_strs_free(&m->strs);
    for (dref_node *d = m->drefs, *next; d; d = next) {
        next = d->next;
        free(d);
    }
    free(m->bytes[0]);
    free(m->bytes[1]);
    free(m);
}

static const char *keep_n(struct ronda_explain_mem *m, const char *p, size_t len) {
    return store_strs_keep(&m->strs, p, len);
}

static const char *keep_col(struct ronda_explain_mem *m, sqlite3_stmt *st, int col) {
    return store_strs_col(&m->strs, st, col);
}

static const char *keep_text(struct ronda_explain_mem *m, ronda_text t) { return t.len ? keep_n(m, t.p, t.len) : NULL; }

static ronda_dialogue_ref *dref_new(struct ronda_explain_mem *m) {
    dref_node *d = calloc(1, sizeof *d);
    if (!d) {
        m->strs.nomem = 1;
        return NULL;
    }
    d->next = m->drefs;
    m->drefs = d;
    return &d->d;
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

/* The roster's name and place of a signing key. */
static void signer(ronda_store *s, struct ronda_explain_mem *m, const uint8_t key[32], ronda_signer_ref *out) {
    memset(out, 0, sizeof *out);
    ronda_member_info mi;
    if (memcmp(key, s->authority, 32) == 0) {
        out->kind = 1;
        out->name = "authority";
    } else if (ronda_store_member_info(s, key, &mi) == RONDA_OK) {
        out->kind = 2;
        out->name = mi.name[0] ? keep_n(m, mi.name, strlen(mi.name)) : NULL;
        out->polres = mi.polres[0] ? keep_n(m, mi.polres, strlen(mi.polres)) : NULL;
        out->polsek = mi.polsek[0] ? keep_n(m, mi.polsek, strlen(mi.polsek)) : NULL;
        out->role = ronda_role_name(mi.role);
    }
}

/* A dialogue as a report names it, from its signed record when held ("records"), else from
 * the views ("views"); NULL when nothing here knows it. The current body (after amends) is
 * not wanted here: the finding is about the dialogue as it was signed. */
static const ronda_dialogue_ref *dialogue_named(ronda_store *s, struct ronda_explain_mem *m, const uint8_t id[32]) {
    ronda_record rec;
    uint8_t *bytes = NULL;
    for (int table = 0; table < 2; table++) {
        int got = load(s, table, id, &rec, &bytes);
        if (got < 0) return NULL;
        if (got && rec.kind == RONDA_KIND_DIALOGUE && rec.typed.kind == rec.kind) {
            const ronda_dialogue *b = &rec.typed.u.dialogue;
            ronda_dialogue_ref *d = dref_new(m);
            if (d) {
                memcpy(d->id, id, 32);
                d->title = keep_text(m, b->title);
                d->programme = ronda_programme_name(b->programme);
                d->polres = keep_text(m, b->polres);
                d->polsek = keep_text(m, b->polsek);
                d->when = keep_text(m, b->when);
                d->from = table ? "fork evidence" : "records";
            }
            free(bytes);
            return d;
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
    ronda_dialogue_ref *d = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && (d = dref_new(m)) != NULL) {
        memcpy(d->id, id, 32);
        d->title = keep_col(m, st, 0);
        d->programme = keep_col(m, st, 1);
        d->polres = keep_col(m, st, 2);
        d->polsek = keep_col(m, st, 3);
        d->when = keep_col(m, st, 4);
        d->from = "views";
    }
    sqlite3_finalize(st);
    return d;
}

/* The dialogue a record (held and verified) is about: itself, a resolution's dialogue, an
 * amend's target (or the target's dialogue). */
static const ronda_dialogue_ref *dialogue_of_body(ronda_store *s, struct ronda_explain_mem *m,
                                                  const ronda_record *rec) {
    const ronda_body *b = &rec->typed;
    if (rec->kind == RONDA_KIND_DIALOGUE) return dialogue_named(s, m, rec->id);
    if (b->kind != rec->kind) return NULL; /* redacted */
    if (rec->kind == RONDA_KIND_RESOLUTION) return dialogue_named(s, m, b->u.resolution.dialogue);
    if (rec->kind == RONDA_KIND_AMEND) {
        if (b->u.amend.kind == RONDA_KIND_RESOLUTION) return dialogue_named(s, m, b->u.amend.body.resolution.dialogue);
        return dialogue_named(s, m, b->u.amend.target);
    }
    return NULL;
}

/* What the views say about a record id that may no longer be held: a dialogue, a follow-up
 * (its dialogue, topic, status, action), a correction (its target). 1 when they know it. */
static int views_know(ronda_store *s, struct ronda_explain_mem *m, const uint8_t id[32], ronda_views_said *v) {
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st;
    uint8_t d[32];
    int has_d = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT dialogue, topic, status, referred_to, action, when_text, author FROM resolutions"
                           " WHERE id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            v->known = 1;
            v->kind = "resolution";
            v->has_topic = sqlite3_column_type(st, 1) != SQLITE_NULL;
            v->topic = sqlite3_column_int64(st, 1);
            v->status = keep_col(m, st, 2);
            v->referred_to = keep_col(m, st, 3);
            v->action = keep_col(m, st, 4);
            v->when = keep_col(m, st, 5);
            if ((has_d = sqlite3_column_bytes(st, 0) == 32) != 0) memcpy(d, sqlite3_column_blob(st, 0), 32);
        }
        sqlite3_finalize(st);
    }
    if (!v->known && sqlite3_prepare_v2(s->db, "SELECT 1 FROM dialogues WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        v->known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (v->known) {
            v->kind = "dialogue";
            memcpy(d, id, 32);
            has_d = 1;
        }
    }
    if (!v->known && sqlite3_prepare_v2(s->db, "SELECT target, reason FROM amendments WHERE record = ?1", -1, &st,
                                        NULL) == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            v->known = 1;
            v->kind = "amend";
            v->reason = keep_col(m, st, 1);
            if ((has_d = sqlite3_column_bytes(st, 0) == 32) != 0) memcpy(d, sqlite3_column_blob(st, 0), 32);
        }
        sqlite3_finalize(st);
    }
    if (has_d) {
        v->has_dialogue = 1;
        v->dialogue = dialogue_named(s, m, d);
    }
    return v->known;
}

/* Everything known of one (author, seq) that is not held: its id (from the next record's
 * prev, or a checkpoint's claim) and what the views, the fork evidence and the records that
 * refer to it still say. */
static void missing_entry(ronda_store *s, struct ronda_explain_mem *m, const uint8_t author[32], uint64_t seq,
                          const uint8_t *id, const char *id_from, ronda_missing_record *o) {
    memset(o, 0, sizeof *o);
    o->seq = seq;
    if (id) {
        o->has_id = 1;
        memcpy(o->id, id, 32);
        o->named_by[o->n_named_by++] = id_from;
    }
    if (id && views_know(s, m, id, &o->views)) {
        o->kind = o->views.kind;
    } else if (id) {
        /* Records that still refer to it: follow-ups of a missing dialogue, corrections. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM resolutions WHERE dialogue = ?1", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
                o->kind = "dialogue";
                o->followed_up_by = sqlite3_column_int64(st, 0);
                o->named_by[o->n_named_by++] = "resolution";
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
            o->has_fork_evidence = sqlite3_column_bytes(st, 0) == 32;
            if (o->has_fork_evidence) memcpy(o->fork_evidence, sqlite3_column_blob(st, 0), 32);
            if (!o->kind) o->kind = keep_col(m, st, 1);
            o->named_by[o->n_named_by++] = "fork evidence";
        }
        sqlite3_finalize(st);
    }
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
static void missing_range(ronda_store *s, ronda_finding_context *c, const uint8_t author[32], uint64_t lo, uint64_t hi,
                          const uint8_t *last_id, const char *last_from) {
    c->has_missing = 1;
    if (hi < lo) return;
    if (hi - lo + 1 > RONDA_EXPLAIN_MISSING_MAX) lo = hi - RONDA_EXPLAIN_MISSING_MAX + 1;
    size_t n = (size_t)(hi - lo + 1);
    uint8_t(*heads)[32] = calloc(n, 32);
    int *has = calloc(n, sizeof *has);
    c->missing = calloc(n, sizeof *c->missing);
    if (!c->missing) c->mem->strs.nomem = 1;
    /* One deleted record (the common case) has its id from the next prev: no checkpoint to read. */
    if (heads && has && (lo < hi || !last_id)) checkpoint_heads(s, author, lo, hi, heads, has);
    for (uint64_t q = hi + 1; c->missing && q-- > lo;) {
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
        missing_entry(s, c->mem, author, q, id, from, &c->missing[c->nmissing++]);
    }
    free(heads);
    free(has);
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

void ronda_fork_versions_free(ronda_fork_versions *v) {
    if (!v) return;
    mem_free(v->mem); /* NULL when a context owns it */
    memset(v, 0, sizeof *v);
}

/* Both versions into *out, their bytes and strings kept in m. */
static ronda_err fork_versions(ronda_store *s, struct ronda_explain_mem *m, const uint8_t id[RONDA_ID_BYTES],
                               ronda_fork_versions *out) {
    memset(out, 0, sizeof *out);
    ronda_record r1, r2;
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
    if (e != RONDA_OK) {
        free(m1);
        free(m2);
        return e;
    }
    free(m->bytes[0]);
    free(m->bytes[1]);
    m->bytes[0] = m1; /* the records view them */
    m->bytes[1] = m2;
    memcpy(out->author, r1.author, 32);
    signer(s, m, r1.author, &out->signer);
    out->seq = r1.seq;
    memcpy(out->asked, id, 32);
    out->versions[0] = r1;
    out->versions[1] = r2;
    const char **diff = out->differences;
    size_t max = RONDA_EXPLAIN_DIFFERENCES_MAX, n = 0;
    if (r1.kind != r2.kind) diff[n++] = "kind";
    if (r1.body && r2.body && r1.typed.kind == r1.kind && r2.typed.kind == r2.kind) {
        size_t k = 0;
        if ((e = ronda_body_differences(&r1.typed, &r2.typed, diff + n, max - 2 - n, &k)) != RONDA_OK) return e;
        n += k;
    }
    if (r1.has_prev != r2.has_prev || (r1.has_prev && memcmp(r1.prev, r2.prev, 32) != 0)) diff[n++] = "prev";
    out->n_differences = n;
    out->dialogue = dialogue_of_body(s, m, &r1);
    if (!out->dialogue) out->dialogue = dialogue_of_body(s, m, &r2);
    return m->strs.nomem ? RONDA_ERR_NOMEM : RONDA_OK;
}

ronda_err ronda_store_fork(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], ronda_fork_versions *out) {
    struct ronda_explain_mem *m = mem_new();
    if (!m) return RONDA_ERR_NOMEM;
    ronda_err e = fork_versions(s, m, id, out);
    if (e != RONDA_OK) {
        mem_free(m);
        memset(out, 0, sizeof *out);
        return e;
    }
    out->mem = m;
    return RONDA_OK;
}

void ronda_finding_context_free(ronda_finding_context *c) {
    if (!c) return;
    free(c->missing);
    free(c->fork);
    mem_free(c->mem);
    memset(c, 0, sizeof *c);
}

ronda_err ronda_store_explain(ronda_store *s, const ronda_finding *f, ronda_finding_context *c) {
    memset(c, 0, sizeof *c);
    if ((c->mem = mem_new()) == NULL) return RONDA_ERR_NOMEM;
    struct ronda_explain_mem *m = c->mem;
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
    if (held < 0) {
        ronda_finding_context_free(c);
        return store_dberr(s, NULL, "finding context");
    }
    const ronda_body *b = held && rec.typed.kind == rec.kind ? &rec.typed : NULL; /* NULL: redacted */
    if (has_author) {
        c->has_author = 1;
        memcpy(c->author, f->author, 32);
        signer(s, m, f->author, &c->author_ref);
    }
    if (held) {
        c->record = 1;
        c->kind = rec.kind;
        c->seq = rec.seq;
        c->held = table ? "fork evidence" : "ledger";
        memcpy(c->id, rec.id, 32);
        c->hlc_ms = ronda_hlc_ms(rec.hlc);
        if (rec.kind == RONDA_KIND_RESOLUTION && b) {
            const ronda_resolution *res = &b->u.resolution;
            c->has_followup = 1;
            c->topic = (int64_t)res->topic.v;
            c->status = ronda_status_name(res->status);
            c->action = keep_text(m, res->action);
        }
    } else if (has_id && views_know(s, m, f->id, &c->record_views)) {
        /* held but not verifying, or gone: the views may still know it */
        c->record = 2;
        memcpy(c->id, f->id, 32);
        c->seq = f->seq;
        if (c->record_views.dialogue) c->dialogue = c->record_views.dialogue;
    }
    /* The dialogue: the finding's own, else the record's. */
    const ronda_dialogue_ref *dj = NULL;
    if (f->has_dialogue) dj = dialogue_named(s, m, f->dialogue);
    if (!dj && held) dj = dialogue_of_body(s, m, &rec);
    if (dj) c->dialogue = dj;
    /* What is missing, and what still names it. */
    if (has_author && f->kind == RONDA_FINDING_CHAIN && f->err == RONDA_ERR_GAP && f->seq > 1) {
        int64_t below = held_below(s, f->author, f->seq);
        if (below >= 0) {
            missing_range(s, c, f->author, (uint64_t)below + 1, f->seq - 1, held && rec.has_prev ? rec.prev : NULL,
                          "prev of the next record");
            c->missing_count = f->seq - 1 - (uint64_t)below;
        }
    } else if (has_author && f->kind == RONDA_FINDING_WITHHELD) {
        int64_t top = held_below(s, f->author, UINT64_MAX >> 1);
        if (top >= 0 && f->seq > (uint64_t)top) {
            missing_range(s, c, f->author, (uint64_t)top + 1, f->seq, has_id ? f->id : NULL, "checkpoint");
            c->missing_count = f->seq - (uint64_t)top;
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
                c->has_names_missing = 1;
                memcpy(c->names_missing, t, 32);
                views_know(s, m, t, &c->names_missing_views);
            }
        }
    }
    if (has_id && f->kind == RONDA_FINDING_FORK) {
        ronda_fork_versions *fv = calloc(1, sizeof *fv);
        if (!fv) {
            m->strs.nomem = 1;
        } else if (fork_versions(s, m, f->id, fv) == RONDA_OK) {
            c->fork = fv;
        } else {
            free(fv);
        }
    }
    free(bytes);
    if (m->strs.nomem) {
        ronda_finding_context_free(c);
        return RONDA_ERR_NOMEM;
    }
    return RONDA_OK;
}
