/* The audit report as data (ronda/audit_report.h): one pass that runs the audit of a store
 * and keeps what it found, grouped as the reports show it, and the names of the finding
 * kinds. The renderers (src/cli: terminal, JSON, the HTML page) read this model and choose
 * the words; nothing here prints.
 *
 * The order of everything is the order the reports have always shown: findings as the
 * checks made them (the caller's first, then the audit's, then the notes', then a bundle's
 * digest), units by Polres as first met in the chains (ascending by key), then by Polsek. */
#include <stdlib.h>
#include <string.h>

#include "ronda/ronda.h" /* ronda/audit_report.h, after what it needs */

/* ------------------------------------------------------------------ kind names */

static const char *const kind_names[RONDA_FINDING__COUNT] = {
    [RONDA_FINDING_RECORD] = "record",
    [RONDA_FINDING_CHAIN] = "chain",
    [RONDA_FINDING_MEMBERSHIP] = "membership",
    [RONDA_FINDING_FORK] = "fork",
    [RONDA_FINDING_FORK_EVIDENCE] = "fork-evidence",
    [RONDA_FINDING_FRONTIER] = "frontier",
    [RONDA_FINDING_STORE] = "store",
    [RONDA_FINDING_WITHHELD] = "withheld",
    [RONDA_FINDING_CHECKPOINT] = "checkpoint",
    [RONDA_FINDING_REFERENCE] = "reference",
    [RONDA_FINDING_WITNESS] = "witness",
    [RONDA_FINDING_PLACE] = "place",
    [RONDA_FINDING_VIEW] = "view",
    [RONDA_FINDING_TRUNCATED] = "truncated",
    [RONDA_FINDING_REWRITTEN] = "rewritten",
    [RONDA_FINDING_NOTE] = "note",
    [RONDA_FINDING_BUNDLE] = "bundle",
    [RONDA_FINDING_EXCLUDED] = "excluded",
};

const char *ronda_finding_kind_name(ronda_finding_kind k) {
    if ((int)k <= 0 || k >= RONDA_FINDING__COUNT || !kind_names[k]) return "other";
    return kind_names[k];
}

/* ------------------------------------------------------------------ building */

typedef struct build {
    ronda_audit_report *r;
    ronda_store *s;
    int oom;                                      /* an allocation failed: the build fails with RONDA_ERR_NOMEM */
    void (*progress)(void *, uint64_t, uint64_t); /* the caller's, with its context */
    void *progress_ctx;
} build;

static char *dup_or_null(build *b, const char *s) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) b->oom = 1;
    return d;
}

/* Grows *v (of *n elements of `size`) by one zeroed element; NULL on out of memory. */
static void *push(build *b, void **v, size_t *n, size_t size) {
    if (*n >= SIZE_MAX / size - 1) {
        b->oom = 1;
        return NULL;
    }
    void *q = realloc(*v, (*n + 1) * size);
    if (!q) {
        b->oom = 1;
        return NULL;
    }
    *v = q;
    void *e = (char *)q + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

static void on_finding(void *ctx, const ronda_finding *f) {
    build *b = ctx;
    ronda_audit_report *r = b->r;
    int excl = f->kind == RONDA_FINDING_EXCLUDED;
    ronda_report_finding *x = excl ? push(b, (void **)&r->excluded, &r->nexcluded, sizeof *x)
                                   : push(b, (void **)&r->findings, &r->nfindings, sizeof *x);
    if (!x) return;
    x->f = *f;
    x->f.what = ronda_finding_kind_name(f->kind);
    x->f.field = dup_or_null(b, f->field);
    x->f.records_value = dup_or_null(b, f->records_value);
    x->f.view_value = dup_or_null(b, f->view_value);
    x->chain = RONDA_REPORT_NO_CHAIN;
    if (!excl) r->by_kind[(int)f->kind > 0 && f->kind < RONDA_FINDING__COUNT ? f->kind : 0]++;
}

static int on_chain(void *ctx, const ronda_chain_info *chain) {
    build *b = ctx;
    ronda_chain_info *c = push(b, (void **)&b->r->chains, &b->r->nchains, sizeof *c);
    if (c) *c = *chain;
    return b->oom;
}

static int on_age(void *ctx, const ronda_checkpoint_age *a) {
    build *b = ctx;
    ronda_audit_report *r = b->r;
    ronda_report_age *x = push(b, (void **)&r->ages, &r->nages, sizeof *x);
    if (!x) return 1;
    x->age = *a;
    ronda_member_info m;
    if (ronda_store_member_info(b->s, a->writer, &m) == RONDA_OK && m.name[0]) x->author_name = dup_or_null(b, m.name);
    x->age_ms = a->has && r->newest_ms > a->signed_ms ? r->newest_ms - a->signed_ms : 0;
    x->warning = !a->has ? RONDA_AGE_NONE : x->age_ms > r->max_age_ms ? RONDA_AGE_STALE : RONDA_AGE_OK;
    if (a->has) {
        if (!r->any_cp || a->signed_ms > r->newest_cp_ms) r->newest_cp_ms = a->signed_ms;
        r->any_cp = 1;
    }
    return 0;
}

/* The chain of `author` in r->chains (ascending by key), or RONDA_REPORT_NO_CHAIN. */
static size_t chain_of(const ronda_audit_report *r, const uint8_t author[RONDA_KEY_BYTES]) {
    size_t lo = 0, hi = r->nchains;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(r->chains[mid].author, author, RONDA_KEY_BYTES);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RONDA_REPORT_NO_CHAIN;
}

/* Each finding's author: its chain and the name the roster gives it. */
static void name_authors(build *b, ronda_report_finding *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        v[i].chain = chain_of(b->r, v[i].f.author);
        const ronda_chain_info *ch = v[i].chain == RONDA_REPORT_NO_CHAIN ? NULL : &b->r->chains[v[i].chain];
        const char *name = !ch ? NULL : ch->authority ? "authority" : ch->name[0] ? ch->name : NULL;
        v[i].author_name = dup_or_null(b, name);
    }
}

/* The unit (polres, polsek), added when new after the last unit of its Polres (so that the
 * units stay grouped by Polres, each in the order first met). */
static ronda_report_unit *unit_of(build *b, const char *polres, const char *polsek) {
    ronda_audit_report *r = b->r;
    size_t at = r->nunits;
    for (size_t i = 0; i < r->nunits; i++) {
        if (strcmp(r->units[i].polres, polres) != 0) continue;
        if (strcmp(r->units[i].polsek, polsek) == 0) return &r->units[i];
        at = i + 1;
    }
    if (!push(b, (void **)&r->units, &r->nunits, sizeof *r->units)) return NULL;
    memmove(&r->units[at + 1], &r->units[at], (r->nunits - 1 - at) * sizeof *r->units);
    ronda_report_unit *u = &r->units[at];
    memset(u, 0, sizeof *u);
    u->polres = dup_or_null(b, polres);
    u->polsek = dup_or_null(b, polsek);
    if (!u->polres || !u->polsek) return NULL; /* freed with the report */
    return u;
}

/* Findings per chain (each chain's "findings"), and the summary by Polres and Polsek. */
static void group_units(build *b) {
    ronda_audit_report *r = b->r;
    size_t nchains = r->nchains;
    uint64_t *per = calloc(nchains + 1, sizeof *per);
    if (!per) {
        b->oom = 1;
        return;
    }
    uint64_t whole = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        if (r->findings[i].chain == RONDA_REPORT_NO_CHAIN)
            whole++;
        else
            per[r->findings[i].chain]++;
    }
    for (size_t i = 0; i < nchains && !b->oom; i++) {
        ronda_chain_info *ch = &r->chains[i];
        ch->findings = per[i];
        const char *pr = ch->known && ch->polres[0] ? ch->polres : RONDA_REPORT_NETWORK;
        const char *ps = ch->known && ch->polsek[0]  ? ch->polsek
                         : ch->role == RONDA_ROLE_HQ ? RONDA_REPORT_HQ
                         : ch->authority             ? RONDA_REPORT_AUTHORITY
                                                     : RONDA_REPORT_UNKNOWN;
        ronda_report_unit *u = unit_of(b, pr, ps);
        if (!u) break;
        u->nodes++;
        u->records += ch->records;
        u->dialogues += ch->kinds[RONDA_KIND_DIALOGUE];
        u->resolutions += ch->kinds[RONDA_KIND_RESOLUTION];
        u->checkpoints += ch->kinds[RONDA_KIND_CHECKPOINT];
        u->findings += per[i];
    }
    free(per);
    if (whole && !b->oom) {
        ronda_report_unit *u = unit_of(b, RONDA_REPORT_NETWORK, RONDA_REPORT_WHOLE);
        if (u) u->findings = whole;
    }
}

/* The audit calls back with one context, ours; the caller's progress gets its own. */
static void on_progress(void *ctx, uint64_t done, uint64_t total) {
    build *b = ctx;
    b->progress(b->progress_ctx, done, total);
}

/* The audit proper: everything read from the store, in the reports' order. */
static ronda_err audit_store(build *b, const ronda_audit_report_opts *o) {
    ronda_audit_report *r = b->r;
    ronda_err e = ronda_store_audit(b->s, o->threads, on_finding, b->progress ? on_progress : NULL, b, &r->sum);
    if (e == RONDA_OK) e = ronda_store_stats(b->s, &r->stats);
    if (e == RONDA_OK) e = ronda_store_chain_rows(b->s, on_chain, b);
    if (e == RONDA_OK) e = ronda_store_checkpoint_ages(b->s, &r->newest_ms, on_age, b);
    for (size_t k = 0; e == RONDA_OK && !b->oom && k < o->nnotes; k++) {
        ronda_report_note *n = push(b, (void **)&r->notes, &r->nnotes, sizeof *n);
        if (!n) break;
        n->file = dup_or_null(b, o->note_file[k]);
        e = ronda_store_check_note(b->s, o->note_text[k], o->note_len[k], on_finding, b, &n->check);
    }
    if (e == RONDA_OK && o->expect_digest && memcmp(r->stats.digest, o->expect_digest, RONDA_HASH_BYTES) != 0) {
        ronda_finding f;
        memset(&f, 0, sizeof f);
        f.kind = RONDA_FINDING_BUNDLE;
        f.err = RONDA_ERR_TAMPERED;
        snprintf(f.detail, sizeof f.detail, "the records do not give the digest the bundle header declares");
        on_finding(b, &f);
    }
    return e;
}

ronda_err ronda_audit_report_build(ronda_store *s, const ronda_audit_report_opts *opts, ronda_audit_report **out) {
    ronda_audit_report *r = calloc(1, sizeof *r);
    if (!r) return RONDA_ERR_NOMEM;
    build b = {r, s, 0, opts->progress, opts->progress_ctx};
    r->max_age_ms = opts->max_age_ms;
    r->audited = s != NULL;
    for (size_t k = 0; k < opts->nprior && !b.oom; k++) on_finding(&b, &opts->prior[k]);
    ronda_err e = RONDA_OK;
    if (s && !b.oom) e = audit_store(&b, opts);
    name_authors(&b, r->findings, r->nfindings);
    name_authors(&b, r->excluded, r->nexcluded);
    for (size_t i = 0; s && e == RONDA_OK && !b.oom && i < r->nfindings && i < RONDA_EXPLAIN_FINDINGS_MAX; i++)
        if ((r->findings[i].context = calloc(1, sizeof *r->findings[i].context)) == NULL)
            e = RONDA_ERR_NOMEM;
        else if ((e = ronda_store_explain(s, &r->findings[i].f, r->findings[i].context)) != RONDA_OK) {
            free(r->findings[i].context);
            r->findings[i].context = NULL;
        }
    if (s) { /* the ledger's newest checkpoint of all, against its newest record (not the
                auditor's clock: an old copy audited today is judged by its own time) */
        r->ledger_age_ms = r->any_cp && r->newest_ms > r->newest_cp_ms ? r->newest_ms - r->newest_cp_ms : 0;
        if (!r->any_cp && r->newest_ms)
            r->ledger_warning = RONDA_AGE_NONE;
        else if (r->any_cp && r->ledger_age_ms > r->max_age_ms)
            r->ledger_warning = RONDA_AGE_STALE;
    }
    if (e == RONDA_OK && !b.oom) group_units(&b);
    if (e == RONDA_OK && b.oom) e = RONDA_ERR_NOMEM;
    if (e != RONDA_OK) {
        ronda_audit_report_destroy(&r);
        return e;
    }
    *out = r;
    return RONDA_OK;
}

static void free_findings(ronda_report_finding *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free((char *)v[i].f.field);
        free((char *)v[i].f.records_value);
        free((char *)v[i].f.view_value);
        free((char *)v[i].author_name);
        ronda_finding_context_free(v[i].context);
        free(v[i].context);
    }
    free(v);
}

void ronda_audit_report_destroy(ronda_audit_report **rp) {
    if (!rp || !*rp) return;
    ronda_audit_report *r = *rp;
    free_findings(r->findings, r->nfindings);
    free_findings(r->excluded, r->nexcluded);
    free(r->chains);
    for (size_t i = 0; i < r->nunits; i++) {
        free(r->units[i].polres);
        free(r->units[i].polsek);
    }
    free(r->units);
    for (size_t i = 0; i < r->nages; i++) free(r->ages[i].author_name);
    free(r->ages);
    for (size_t i = 0; i < r->nnotes; i++) free(r->notes[i].file);
    free(r->notes);
    free(r);
    *rp = NULL;
}
