/* HQ reports and the read-only queries behind the HTTP API (include/ronda/report.h).
 *
 * SQL is assembled from fixed fragments, one per filter actually given, with every value
 * bound as a parameter: a filter left out costs nothing and the indexes on dialogues
 * (when_ms; polres, when_ms; programme, when_ms) stay usable. A topic's status is its
 * latest resolution by (hlc, id) from an author not revoked before it, exactly as in
 * ronda_store_query(). Aggregation happens in C over one pass of topic rows, so a report
 * costs one scan of the dialogues it covers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/schema.h"
#include "ronda/limits.h"
#include "ronda/report.h"
#include "store/store_int.h"
#include "util/util.h"

/* Records written after their author's revocation, or at or after the lowest seq its chain
 * forked at (the chain is frozen below it: proto/record.md section 3), are held but out of
 * every view. */
#define NOT_REVOKED(alias)                                                                                             \
    " NOT EXISTS (SELECT 1 FROM revocations v WHERE v.member = " alias ".author AND " alias ".seq > v.last_seq)"       \
    " AND NOT EXISTS (SELECT 1 FROM forks fk WHERE fk.author = " alias ".author AND " alias ".seq >= fk.seq)"
/* A topic's current follow-up (views.c keeps topic_status: the latest resolution by (hlc,
 * id) from an author not revoked before it) and the resolution record it names. */
/* A follow-up whose record no longer verifies (in `suspect`) is no status: the topic shows
 * open until `ronda rebuild` recomputes it from the records that do. */
#define LATEST_RES                                                                                                     \
    "topic_status ts ON ts.dialogue = t.dialogue AND ts.topic = t.idx AND" STORE_NOT_SUSPECT(                          \
        "ts.resolution") " LEFT JOIN resolutions r ON r.id = ts.resolution"
#define STATUS_OF_T                                                                                                    \
    "coalesce((SELECT ts.status FROM topic_status ts WHERE ts.dialogue = t.dialogue AND ts.topic = t.idx "             \
    "AND" STORE_NOT_SUSPECT("ts.resolution") "), 'open')"
/* report_rows (alias d) whose topic's current follow-up is suspect: counted open. */
#define SUSPECT_TOPIC                                                                                                  \
    " (d.dialogue, d.idx) IN (SELECT ts.dialogue, ts.topic FROM topic_status ts JOIN suspect sx"                       \
    " ON sx.id = ts.resolution)"

#define DAY_MS 86400000LL
#define SQL_MAX 4096 /* the longest statement the fragments below can make */
#define ARGS_MAX 16

/* ---- a statement built from fragments, with its arguments in order */

typedef struct sqlb {
    char sql[SQL_MAX];
    size_t len;
    int overflow;
    struct {
        const char *text; /* NULL: an integer */
        int64_t num;
    } args[ARGS_MAX];
    int nargs;
} sqlb;

static void add(sqlb *b, const char *frag) {
    size_t n = strlen(frag);
    if (b->len + n + 1 > sizeof b->sql) {
        b->overflow = 1;
        return;
    }
    memcpy(b->sql + b->len, frag, n + 1);
    b->len += n;
}

static void arg_text(sqlb *b, const char *frag, const char *v) {
    if (b->nargs >= ARGS_MAX) {
        b->overflow = 1;
        return;
    }
    add(b, frag);
    b->args[b->nargs].text = v;
    b->args[b->nargs++].num = 0;
}

static void arg_int(sqlb *b, const char *frag, int64_t v) {
    if (b->nargs >= ARGS_MAX) {
        b->overflow = 1;
        return;
    }
    add(b, frag);
    b->args[b->nargs].text = NULL;
    b->args[b->nargs++].num = v;
}

static ronda_err prepare(ronda_store *s, const sqlb *b, sqlite3_stmt **out) {
    if (b->overflow) return RONDA_ERR_INVALID; /* a programmer error: SQL_MAX or ARGS_MAX too small */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, b->sql, -1, &st, NULL) != SQLITE_OK) return store_fail(s, 0);
    for (int i = 0; i < b->nargs; i++) {
        if (b->args[i].text)
            sqlite3_bind_text(st, i + 1, b->args[i].text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, i + 1, b->args[i].num);
    }
    *out = st;
    return RONDA_OK;
}

static int given(const char *v) { return v && *v; }

/* The dialogue filters (alias d), appended as " AND ..." clauses. */
static void where_dialogue(sqlb *b, const ronda_filter *f, const char *id_col) {
    add(b, " WHERE" NOT_REVOKED("d") " AND");
    add(b, id_col); /* a dialogue whose record no longer verifies counts nowhere */
    add(b, " NOT IN (SELECT id FROM suspect)");
    if (given(f->polres)) arg_text(b, " AND d.polres = ? COLLATE NOCASE", f->polres);
    if (given(f->polsek)) arg_text(b, " AND d.polsek = ? COLLATE NOCASE", f->polsek);
    if (given(f->programme)) arg_text(b, " AND d.programme = ?", f->programme);
    if (given(f->date_from)) arg_text(b, " AND d.date >= ?", f->date_from);
    if (given(f->date_to)) arg_text(b, " AND d.date <= ?", f->date_to);
}

/* ---- checking filters */

static int in_list(const char *v, const char *const *list) {
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(v, list[i]) == 0) return 1;
    return 0;
}

static ronda_err bad(ronda_detail *d, const char *field, const char *what) {
    if (d) snprintf(d->text, sizeof d->text, "%s %s", field, what);
    return RONDA_ERR_INVALID;
}

static int is_date(const char *v) {
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9')) return 0;
    int m = (v[5] - '0') * 10 + (v[6] - '0'), day = (v[8] - '0') * 10 + (v[9] - '0');
    return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

ronda_err ronda_filter_check(const ronda_filter *f, ronda_detail *d) {
    const struct {
        const char *name, *v;
    } names[] = {{"polres", f->polres}, {"polsek", f->polsek}, {"programme", f->programme}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].v && strlen(names[i].v) > RONDA_NAME_MAX)
            return bad(d, names[i].name, "is longer than RONDA_NAME_MAX (160 bytes)");
    if (given(f->programme) && !in_list(f->programme, schema_enum_values("programme")))
        return bad(d, "programme", "is not a programme (candu warkop curhat patroli_dialogis partnership other)");
    if (given(f->category) && !in_list(f->category, schema_enum_values("category")))
        return bad(d, "category",
                   "is not a category (vulnerable_area social_problem traffic unrest criticism aspiration other)");
    static const char *const statuses[] = {"open", "in_progress", "referred", "resolved", NULL};
    if (given(f->status) && !in_list(f->status, statuses))
        return bad(d, "status", "is one of open in_progress referred resolved");
    if (given(f->date_from) && !is_date(f->date_from)) return bad(d, "from", "is a date YYYY-MM-DD");
    if (given(f->date_to) && !is_date(f->date_to)) return bad(d, "to", "is a date YYYY-MM-DD");
    if (f->text && strlen(f->text) > RONDA_SEARCH_TEXT_MAX)
        return bad(d, "search text", "is longer than RONDA_SEARCH_TEXT_MAX (256 bytes)");
    return RONDA_OK;
}

/* ---- the report */

static const char *const by_names[] = {"polres", "polsek", "programme", "month"};

ronda_err ronda_report_by_parse(const char *name, ronda_report_by *out) {
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, by_names[i]) == 0) {
            *out = (ronda_report_by)i;
            return RONDA_OK;
        }
    return RONDA_ERR_INVALID;
}

const char *ronda_report_by_name(ronda_report_by by) { return (unsigned)by < 4 ? by_names[by] : "?"; }

/* A group while the pass runs; ronda_report_group is what it becomes. */
typedef struct group {
    char *key;    /* the grouping value(s), \x1f-separated for polsek (polres, polsek) */
    char *polres; /* for polsek groups */
    uint64_t dialogues, participants, topics, open, in_progress, referred, resolved, overdue;
    uint64_t by_category[RONDA_CATEGORY_COUNT];
    ronda_named_count *referred_to; /* name -> count, in the order first seen */
    uint64_t *referred_hash;        /* each name's hash: most comparisons are one integer */
    size_t n_referred, cap_referred;
    double *days; /* days to resolution of resolved topics */
    size_t ndays, cap;
} group;

typedef struct groups {
    group *g;
    size_t n, cap;
    /* key -> position in g: open addressing over 2 * RONDA_REPORT_GROUPS_MAX slots, so the
     * table is never more than half full; 0 is an empty slot, else position + 1. */
    uint32_t *index;
    const char *last_key;
    group *last; /* rows come grouped by dialogue: most lookups hit the previous group */
} groups;

#define INDEX_SLOTS (2u * RONDA_REPORT_GROUPS_MAX)
_Static_assert((INDEX_SLOTS & (INDEX_SLOTS - 1)) == 0, "the group index masks by its size");

static uint64_t hash_str(const char *k) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

static group *group_get(groups *gs, const char *key, const char *polres, ronda_err *e) {
    if (gs->last && strcmp(gs->last_key, key) == 0) return gs->last;
    uint32_t slot = (uint32_t)hash_str(key) & (INDEX_SLOTS - 1);
    while (gs->index[slot] && strcmp(gs->g[gs->index[slot] - 1].key, key) != 0) slot = (slot + 1) & (INDEX_SLOTS - 1);
    group *g;
    if (gs->index[slot]) {
        g = &gs->g[gs->index[slot] - 1];
    } else {
        if (gs->n >= RONDA_REPORT_GROUPS_MAX) {
            *e = RONDA_ERR_TOO_BIG;
            return NULL;
        }
        if (gs->n == gs->cap) {
            size_t cap = gs->cap ? gs->cap * 2 : 16;
            group *grown = realloc(gs->g, cap * sizeof *grown);
            if (!grown) {
                *e = RONDA_ERR_NOMEM;
                return NULL;
            }
            gs->g = grown;
            gs->cap = cap;
            gs->last = NULL; /* it pointed into the old array */
        }
        g = &gs->g[gs->n];
        memset(g, 0, sizeof *g);
        g->key = strdup(key);
        g->polres = polres ? strdup(polres) : NULL;
        if (!g->key || (polres && !g->polres)) {
            free(g->key);
            free(g->polres);
            *e = RONDA_ERR_NOMEM;
            return NULL;
        }
        gs->index[slot] = (uint32_t)++gs->n;
    }
    gs->last = g;
    gs->last_key = g->key;
    return g;
}

static int bump(group *g, const char *name) {
    uint64_t h = hash_str(name);
    for (size_t i = 0; i < g->n_referred; i++)
        if (g->referred_hash[i] == h && strcmp(g->referred_to[i].name, name) == 0) {
            g->referred_to[i].n++;
            return 1;
        }
    if (g->n_referred == g->cap_referred) {
        size_t cap = g->cap_referred ? g->cap_referred * 2 : 4;
        ronda_named_count *r = realloc(g->referred_to, cap * sizeof *r);
        if (!r) return 0;
        g->referred_to = r;
        uint64_t *hs = realloc(g->referred_hash, cap * sizeof *hs);
        if (!hs) return 0;
        g->referred_hash = hs;
        g->cap_referred = cap;
    }
    char *copy = strdup(name);
    if (!copy) return 0;
    g->referred_to[g->n_referred] = (ronda_named_count){copy, 1};
    g->referred_hash[g->n_referred++] = h;
    return 1;
}

static int add_day(group *g, double days) {
    if (g->ndays == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        double *d = realloc(g->days, cap * sizeof *d);
        if (!d) return 0;
        g->days = d;
        g->cap = cap;
    }
    g->days[g->ndays++] = days;
    return 1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_group(const void *a, const void *b) { return strcmp(((const group *)a)->key, ((const group *)b)->key); }

/* The group as the report gives it: views of the group's strings (which the report keeps). */
static ronda_report_group group_out(group *g, ronda_report_by by) {
    ronda_report_group o;
    memset(&o, 0, sizeof o);
    const char *sep = by == RONDA_REPORT_BY_POLSEK && g->key ? strchr(g->key, '\x1f') : NULL;
    o.key = sep ? sep + 1 : g->key ? g->key : "";
    o.polres = by == RONDA_REPORT_BY_POLSEK ? (g->polres ? g->polres : "") : NULL;
    o.dialogues = g->dialogues;
    o.participants = g->participants;
    o.topics = g->topics;
    memcpy(o.categories, g->by_category, sizeof o.categories);
    o.open = g->open;
    o.in_progress = g->in_progress;
    o.referred = g->referred;
    o.resolved = g->resolved;
    o.overdue = g->overdue;
    o.referred_to = g->referred_to;
    o.n_referred_to = g->n_referred;
    if (g->ndays) {
        qsort(g->days, g->ndays, sizeof *g->days, cmp_double);
        double m = g->ndays % 2 ? g->days[g->ndays / 2] : (g->days[g->ndays / 2 - 1] + g->days[g->ndays / 2]) / 2;
        o.has_median = 1;
        o.median_days = (double)(int64_t)(m * 10 + 0.5) / 10;
    }
    return o;
}

static void group_free(group *g) {
    free(g->key);
    free(g->polres);
    for (size_t i = 0; i < g->n_referred; i++) free((char *)g->referred_to[i].name);
    free(g->referred_to);
    free(g->referred_hash);
    free(g->days);
}

static const char *key_expr(ronda_report_by by) {
    switch (by) {
    case RONDA_REPORT_BY_POLSEK:
        return "d.polres || char(31) || d.polsek";
    case RONDA_REPORT_BY_PROGRAMME:
        return "d.programme";
    case RONDA_REPORT_BY_MONTH:
        return "substr(d.date, 1, 7)";
    default:
        return "d.polres";
    }
}

/* One row of report_rows, read once for its group and the total. */
typedef struct topic_row {
    int first, topic;      /* the dialogue's first row (count the dialogue once); a topic row */
    uint64_t participants; /* of the dialogue */
    int category;          /* ronda_category; other when unknown */
    enum { ST_OPEN, ST_IN_PROGRESS, ST_REFERRED, ST_RESOLVED } status;
    const char *referred_to; /* "?" when a referral names no one */
    int has_days;
    double days;
    int64_t when_ms;
} topic_row;

static void read_row(sqlite3_stmt *st, topic_row *r) {
    static const char *names[RONDA_CATEGORY_COUNT];
    if (!names[0])
        for (int i = 0; i < (int)RONDA_CATEGORY_COUNT; i++) names[i] = ronda_category_name(i);
    r->topic = sqlite3_column_type(st, 7) != SQLITE_NULL;
    r->first = !r->topic || sqlite3_column_int64(st, 7) == 0; /* its first topic (idx 0) or none */
    r->participants = (uint64_t)sqlite3_column_int64(st, 8);
    if (!r->topic) return;
    const char *cat = (const char *)sqlite3_column_text(st, 2);
    r->category = RONDA_CATEGORY_OTHER;
    for (int i = 0; cat && i < (int)RONDA_CATEGORY_COUNT; i++)
        if (strcmp(cat, names[i]) == 0) {
            r->category = i;
            break;
        }
    const char *status = (const char *)sqlite3_column_text(st, 3);
    r->status = !status                              ? ST_OPEN
                : strcmp(status, "resolved") == 0    ? ST_RESOLVED
                : strcmp(status, "referred") == 0    ? ST_REFERRED
                : strcmp(status, "in_progress") == 0 ? ST_IN_PROGRESS
                                                     : ST_OPEN;
    const char *to = (const char *)sqlite3_column_text(st, 4);
    r->referred_to = to && *to ? to : "?";
    r->has_days = sqlite3_column_type(st, 5) != SQLITE_NULL;
    r->days = sqlite3_column_double(st, 5);
    r->when_ms = sqlite3_column_int64(st, 6);
}

/* One topic (or a dialogue without topics) into a group (its own, or the total). */
static ronda_err count_row(group *x, const topic_row *r, int64_t cut) {
    if (r->first) {
        x->dialogues++;
        x->participants += r->participants;
    }
    if (!r->topic) return RONDA_OK;
    x->topics++;
    x->by_category[r->category]++;
    switch (r->status) {
    case ST_RESOLVED:
        x->resolved++;
        if (r->has_days && !add_day(x, r->days)) return RONDA_ERR_NOMEM;
        break;
    case ST_REFERRED:
        x->referred++;
        if (!bump(x, r->referred_to)) return RONDA_ERR_NOMEM;
        break;
    default:
        if (r->status == ST_IN_PROGRESS)
            x->in_progress++;
        else
            x->open++;
        if (r->when_ms < cut) x->overdue++;
    }
    return RONDA_OK;
}

/* What a built report owns: the groups (their strings, counts and days) and their views. */
struct ronda_report_mem {
    groups gs;
    group total;
    ronda_report_group *out;
};

void ronda_report_free(ronda_report *r) {
    if (!r || !r->mem) return;
    for (size_t i = 0; i < r->mem->gs.n; i++) group_free(&r->mem->gs.g[i]);
    free(r->mem->gs.g);
    free(r->mem->gs.index);
    group_free(&r->mem->total);
    free(r->mem->out);
    free(r->mem);
    memset(r, 0, sizeof *r);
}

ronda_err ronda_report_build(ronda_store *s, const ronda_filter *f, ronda_report_by by, unsigned overdue_days,
                             int64_t now_ms, ronda_report *out) {
    memset(out, 0, sizeof *out);
    if ((unsigned)by > RONDA_REPORT_BY_MONTH || overdue_days > RONDA_OVERDUE_DAYS_MAX) return RONDA_ERR_INVALID;
    struct ronda_report_mem *m = calloc(1, sizeof *m);
    if (!m) return RONDA_ERR_NOMEM;
    out->mem = m;
    out->by = by;
    out->overdue_days = overdue_days;
    m->gs.index = calloc(INDEX_SLOTS, sizeof *m->gs.index);
    ronda_err e = m->gs.index ? RONDA_OK : RONDA_ERR_NOMEM;
    int64_t cut = now_ms - (int64_t)overdue_days * DAY_MS;
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_DONE;

    /* One sequential pass over report_rows (views.c): a row per topic with its dialogue's
     * fields and current status, filtered like dialogues (alias d). */
    sqlb b = {.len = 0};
    add(&b, "SELECT ");
    add(&b, key_expr(by));
    add(&b, ", d.polres, d.category, CASE WHEN" SUSPECT_TOPIC " THEN 'open' ELSE d.status END,"
            " CASE WHEN" SUSPECT_TOPIC " THEN NULL ELSE d.referred_to END,"
            " CASE WHEN" SUSPECT_TOPIC " THEN NULL ELSE d.days END, d.when_ms, d.idx, d.participants"
            " FROM report_rows d");
    where_dialogue(&b, f, " d.dialogue");
    if (e == RONDA_OK) e = prepare(s, &b, &st);
    while (e == RONDA_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        group *g = group_get(&m->gs, key ? key : "", (const char *)sqlite3_column_text(st, 1), &e);
        if (!g) break;
        topic_row r;
        read_row(st, &r);
        if ((e = count_row(g, &r, cut)) == RONDA_OK) e = count_row(&m->total, &r, cut);
    }
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
    sqlite3_finalize(st);

    if (e == RONDA_OK) {
        /* A filter that matches nothing leaves gs.g NULL: qsort's pointer must not be. */
        if (m->gs.n > 1) qsort(m->gs.g, m->gs.n, sizeof *m->gs.g, cmp_group);
        m->out = calloc(m->gs.n ? m->gs.n : 1, sizeof *m->out);
        if (!m->out) e = RONDA_ERR_NOMEM;
    }
    if (e != RONDA_OK) {
        ronda_report_free(out);
        return e;
    }
    for (size_t i = 0; i < m->gs.n; i++) m->out[i] = group_out(&m->gs.g[i], by);
    out->groups = m->out;
    out->n_groups = m->gs.n;
    out->total = group_out(&m->total, (ronda_report_by)-1);
    return RONDA_OK;
}

/* ---- lists */

/* Text and integer columns as a row gives them: NULL / 0 for SQL NULL. */

/* Steps st, handing each row to `row`; one row beyond `limit` only sets *more. */
static ronda_err collect(ronda_store *s, sqlite3_stmt *st, unsigned limit, int (*row)(sqlite3_stmt *st, void *ctx),
                         void *ctx, int *more) {
    int rc;
    unsigned n = 0;
    *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == limit) {
            *more = 1;
            break;
        }
        if (row(st, ctx)) return RONDA_OK; /* the caller stopped */
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

typedef struct dialogue_ctx {
    int (*cb)(void *ctx, const ronda_dialogue_row *row);
    void *ctx;
} dialogue_ctx;

static int dialogue_row(sqlite3_stmt *st, void *vctx) {
    dialogue_ctx *c = vctx;
    ronda_dialogue_row r;
    memset(&r, 0, sizeof r);
    store_dialogue_head(st, r.id, &r.polres, &r.polsek, &r.programme, &r.title, &r.when);
    r.when_ms = sqlite3_column_int64(st, 6);
    r.village = store_col_text(st, 7);
    r.venue = store_col_text(st, 8);
    r.has_participants = sqlite3_column_type(st, 9) != SQLITE_NULL;
    r.participants = sqlite3_column_int64(st, 9);
    r.amendments = sqlite3_column_int64(st, 10);
    r.topics = sqlite3_column_int64(st, 11);
    r.open = sqlite3_column_int64(st, 12);
    return c->cb(c->ctx, &r);
}

static ronda_err check_page(unsigned offset, unsigned *limit) {
    if (*limit == 0) *limit = RONDA_LIST_LIMIT_DEFAULT;
    return *limit > RONDA_LIST_LIMIT_MAX || offset > RONDA_LIST_OFFSET_MAX ? RONDA_ERR_INVALID : RONDA_OK;
}

/* A search that matches few dialogues is answered from the index: the matching set is
 * collected and sorted by time. One that matches many (a common word) is answered by
 * walking dialogues newest first and testing each against the index (FTS5 seeks by rowid)
 * until the page is full: with more than SEARCH_SCAN_MIN matches the walk stops after
 * about limit * dialogues / matches rows, instead of collecting and sorting every match.
 * Both give the same rows; the threshold only decides which is cheaper. */
#define SEARCH_SCAN_MIN 20000

static ronda_err count_matches(ronda_store *s, const char *terms, int64_t *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ?1 LIMIT ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_text(st, 1, terms, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, SEARCH_SCAN_MIN + 1);
    int rc = sqlite3_step(st);
    ronda_err e = rc == SQLITE_ROW ? RONDA_OK : store_fail(s, rc);
    if (e == RONDA_OK) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_dialogue_rows(ronda_store *s, const ronda_filter *f, unsigned offset, unsigned limit,
                                    int (*cb)(void *ctx, const ronda_dialogue_row *row), void *ctx, int *more) {
    ronda_err e = check_page(offset, &limit);
    if (e != RONDA_OK) return e;
    char *terms = NULL;
    if (given(f->text) && !(terms = fts_terms(f->text))) {
        /* Only blanks: no word to search for, so no filter. */
        for (const char *p = f->text; *p; p++)
            if (*p != ' ' && *p != '\t') return RONDA_ERR_INVALID;
    }
    sqlb b = {.len = 0};
    add(&b, "SELECT d.id, d.polres, d.polsek, d.programme, d.title, d.when_text, d.when_ms, d.village, d.venue,"
            " d.participants, d.amends, (SELECT count(*) FROM topics t WHERE t.dialogue = d.id),"
            " (SELECT count(*) FROM topics t WHERE t.dialogue = d.id AND " STATUS_OF_T " IN ('open', 'in_progress'))"
            " FROM dialogues d");
    where_dialogue(&b, f, " d.id");
    if (given(f->category))
        arg_text(&b, " AND EXISTS (SELECT 1 FROM topics t WHERE t.dialogue = d.id AND t.category = ?)", f->category);
    if (given(f->status))
        arg_text(&b, " AND EXISTS (SELECT 1 FROM topics t WHERE t.dialogue = d.id AND " STATUS_OF_T " = ?)", f->status);
    if (terms) {
        int64_t matches = 0;
        if ((e = count_matches(s, terms, &matches)) != RONDA_OK) {
            free(terms);
            return e;
        }
        if (matches <= SEARCH_SCAN_MIN) {
            arg_text(&b, " AND d.id IN (SELECT dialogue FROM search WHERE search MATCH ?)", terms);
        } else {
            arg_text(&b, " AND (EXISTS (SELECT 1 FROM search s WHERE s.rowid = d.fts_rowid AND s.search MATCH ?)",
                     terms);
            arg_text(&b,
                     " OR EXISTS (SELECT 1 FROM resolutions r JOIN search s2 ON s2.rowid = r.fts_rowid"
                     " WHERE r.dialogue = d.id AND s2.search MATCH ?))",
                     terms);
        }
    }
    arg_int(&b, " ORDER BY d.when_ms DESC, d.id DESC LIMIT ?", (int64_t)limit + 1);
    arg_int(&b, " OFFSET ?", offset);
    sqlite3_stmt *st;
    if ((e = prepare(s, &b, &st)) == RONDA_OK) {
        dialogue_ctx c = {cb, ctx};
        e = collect(s, st, limit, dialogue_row, &c, more);
        sqlite3_finalize(st);
    }
    free(terms);
    return e;
}

typedef struct followup_ctx {
    int64_t now_ms;
    int (*cb)(void *ctx, const ronda_followup_row *row);
    void *ctx;
} followup_ctx;

static int followup_row(sqlite3_stmt *st, void *vctx) {
    followup_ctx *c = vctx;
    ronda_followup_row r;
    memset(&r, 0, sizeof r);
    store_dialogue_head(st, r.dialogue, &r.polres, &r.polsek, &r.programme, &r.title, &r.when);
    r.when_ms = sqlite3_column_int64(st, 6);
    r.topic = sqlite3_column_int64(st, 7);
    r.category = store_col_text(st, 8);
    r.summary = store_col_text(st, 9);
    r.status = store_col_text(st, 10);
    r.referred_to = store_col_text(st, 11);
    r.action = store_col_text(st, 12);
    r.status_when = store_col_text(st, 13);
    int64_t age = c->now_ms - r.when_ms;
    r.days_since = age > 0 ? age / DAY_MS : 0;
    return c->cb(c->ctx, &r);
}

ronda_err ronda_store_followup_rows(ronda_store *s, const ronda_filter *f, const char *state, unsigned overdue_days,
                                    int64_t now_ms, unsigned offset, unsigned limit,
                                    int (*cb)(void *ctx, const ronda_followup_row *row), void *ctx, int *more) {
    ronda_err e = check_page(offset, &limit);
    if (e != RONDA_OK || overdue_days > RONDA_OVERDUE_DAYS_MAX) return RONDA_ERR_INVALID;
    sqlb b = {.len = 0};
    add(&b, "SELECT d.id, d.polres, d.polsek, d.programme, d.title, d.when_text, d.when_ms, t.idx, t.category,"
            " t.summary, coalesce(r.status, 'open'), r.referred_to, r.action, r.when_text"
            " FROM dialogues d CROSS JOIN topics t ON t.dialogue = d.id LEFT JOIN " LATEST_RES);
    where_dialogue(&b, f, " d.id");
    if (given(f->category)) arg_text(&b, " AND t.category = ?", f->category);
    if (!state || strcmp(state, "open") == 0) {
        add(&b, " AND coalesce(r.status, 'open') IN ('open', 'in_progress')");
    } else if (strcmp(state, "overdue") == 0) {
        add(&b, " AND coalesce(r.status, 'open') IN ('open', 'in_progress')");
        arg_int(&b, " AND d.when_ms < ?", now_ms - (int64_t)overdue_days * DAY_MS);
    } else if (strcmp(state, "referred") == 0 || strcmp(state, "resolved") == 0 || strcmp(state, "in_progress") == 0) {
        arg_text(&b, " AND r.status = ?", state);
    } else if (strcmp(state, "all") != 0) {
        return RONDA_ERR_INVALID;
    }
    arg_int(&b, " ORDER BY d.when_ms, d.id, t.idx LIMIT ?", (int64_t)limit + 1);
    arg_int(&b, " OFFSET ?", offset);
    sqlite3_stmt *st;
    if ((e = prepare(s, &b, &st)) != RONDA_OK) return e;
    followup_ctx c = {now_ms, cb, ctx};
    e = collect(s, st, limit, followup_row, &c, more);
    sqlite3_finalize(st);
    return e;
}

/* ---- one dialogue: its topics and amendments (its page is src/json/show.c) */

ronda_err ronda_store_topic_rows(ronda_store *s, const uint8_t dialogue[RONDA_ID_BYTES],
                                 int (*cb)(void *ctx, const ronda_topic_row *row), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT t.idx, t.category, t.summary, coalesce(r.status, 'open'), r.referred_to,"
                           " r.action, r.when_text FROM topics t LEFT JOIN " LATEST_RES
                           " WHERE t.dialogue = ?1 ORDER BY t.idx",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, dialogue, RONDA_ID_BYTES, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ronda_topic_row r = {sqlite3_column_int64(st, 0), store_col_text(st, 1), store_col_text(st, 2),
                             store_col_text(st, 3),       store_col_text(st, 4), store_col_text(st, 5),
                             store_col_text(st, 6)};
        if (cb(ctx, &r)) break;
    }
    ronda_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc); /* no topics missing */
    sqlite3_finalize(st);
    return e;
}

ronda_err ronda_store_amendment_rows(ronda_store *s, const uint8_t target[RONDA_ID_BYTES],
                                     int (*cb)(void *ctx, const ronda_amendment_row *row), void *ctx) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT record, reason FROM amendments WHERE target = ?1 ORDER BY hlc", -1, &st,
                                NULL);
    /* the table is absent from a database not yet upgraded: no amendments */
    if (rc != SQLITE_OK) return strncmp(sqlite3_errmsg(s->db), "no such table", 13) == 0 ? RONDA_OK : store_fail(s, rc);
    sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
    rc = SQLITE_DONE;
    for (unsigned n = 0; n < RONDA_LIST_LIMIT_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
        ronda_amendment_row r;
        memset(&r, 0, sizeof r);
        if (sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES) memcpy(r.id, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
        r.reason = store_col_text(st, 1);
        if (cb(ctx, &r)) break;
    }
    ronda_err e = rc == SQLITE_ROW || rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
    sqlite3_finalize(st);
    return e;
}

/* ---- the network: roster, revocations, forks */

/* The network view's strings: each copied, all freed together. */
struct ronda_network_mem {
    store_strs strs;
};

static const char *keep(struct ronda_network_mem *m, sqlite3_stmt *st, int col) {
    return store_strs_col(&m->strs, st, col);
}

/* Grows an array of `size` elements by one zeroed element; NULL when out of memory. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        void *g = realloc(*v, c * size);
        if (!g) return NULL;
        *v = g;
        *cap = c;
    }
    void *e = (char *)*v + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

static void blob32(sqlite3_stmt *st, int col, uint8_t out[32], int *has) {
    int ok = sqlite3_column_bytes(st, col) == 32;
    if (ok) memcpy(out, sqlite3_column_blob(st, col), 32);
    if (has) *has = ok;
}

void ronda_network_free(ronda_network *n) {
    if (!n) return;
    if (n->mem) {
        store_strs_free(&n->mem->strs);
        free(n->mem);
    }
    free(n->members);
    free(n->revocations);
    free(n->forks);
    free(n->frozen);
    memset(n, 0, sizeof *n);
}

ronda_err ronda_store_network_view(ronda_store *s, ronda_network *out) {
    memset(out, 0, sizeof *out);
    struct ronda_network_mem *m = out->mem = calloc(1, sizeof *out->mem);
    if (!m) return RONDA_ERR_NOMEM;
    size_t cap_m = 0, cap_r = 0, cap_f = 0, cap_z = 0;
    sqlite3_stmt *st;
    ronda_err e = RONDA_OK;
    int rc;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT m.sign_key, m.name, m.polres, m.polsek, m.role, m.endpoint, m.valid_from,"
            " m.valid_until, v.last_seq, h.seq, h.hlc, (SELECT min(f.seq) FROM forks f WHERE f.author = m.sign_key)"
            " FROM members m"
            " LEFT JOIN revocations v ON v.member = m.sign_key LEFT JOIN heads h ON h.author = m.sign_key"
            " WHERE m.valid_from = (SELECT max(valid_from) FROM members m2 WHERE m2.sign_key = m.sign_key)"
            " ORDER BY m.polres, m.role, m.name LIMIT 10000",
            -1, &st, NULL) != SQLITE_OK) {
        e = store_fail(s, 0);
    } else {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ronda_network_member *x = grow((void **)&out->members, &out->nmembers, &cap_m, sizeof *out->members);
            if (!x) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            blob32(st, 0, x->key, &x->has_key);
            x->name = keep(m, st, 1);
            x->polres = keep(m, st, 2);
            x->polsek = keep(m, st, 3);
            x->role = keep(m, st, 4);
            x->endpoint = keep(m, st, 5);
            x->valid_from = sqlite3_column_int64(st, 6);
            x->valid_until = sqlite3_column_int64(st, 7);
            x->revoked = sqlite3_column_type(st, 8) != SQLITE_NULL;
            /* Forked: frozen at forked_at - 1 (proto/record.md §3 step 7); 0 when not. */
            x->forked_at = sqlite3_column_int64(st, 11);
            x->records = sqlite3_column_int64(st, 9);
            x->has_last_record = sqlite3_column_type(st, 10) != SQLITE_NULL;
            x->last_record_ms = ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 10));
        }
        if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc); /* a roster with members missing is not served */
        sqlite3_finalize(st);
    }
    /* Each later statement's prepare is checked too: a failure refuses the whole answer. */
    if (e == RONDA_OK &&
        sqlite3_prepare_v2(s->db,
                           "SELECT v.member, v.last_seq, v.reason, (SELECT name FROM members m WHERE m.sign_key ="
                           " v.member ORDER BY valid_from DESC LIMIT 1) FROM revocations v LIMIT 10000",
                           -1, &st, NULL) != SQLITE_OK)
        e = store_fail(s, 0);
    else if (e == RONDA_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ronda_network_revocation *x =
                grow((void **)&out->revocations, &out->nrevocations, &cap_r, sizeof *out->revocations);
            if (!x) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            blob32(st, 0, x->member, &x->has_member);
            x->last_seq = sqlite3_column_int64(st, 1);
            x->reason = keep(m, st, 2);
            x->name = keep(m, st, 3);
        }
        if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
        sqlite3_finalize(st);
    }
    if (e == RONDA_OK &&
        sqlite3_prepare_v2(s->db,
                           "SELECT f.id, f.author, f.seq, f.kind, f.other, f.hlc, (SELECT name FROM members m WHERE"
                           " m.sign_key = f.author ORDER BY valid_from DESC LIMIT 1), (SELECT count(*) FROM forks)"
                           " FROM forks f ORDER BY f.rowid DESC LIMIT 100",
                           -1, &st, NULL) != SQLITE_OK)
        e = store_fail(s, 0);
    else if (e == RONDA_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ronda_network_fork *x = grow((void **)&out->forks, &out->nforks, &cap_f, sizeof *out->forks);
            if (!x) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            blob32(st, 0, x->id, &x->has_id);
            blob32(st, 1, x->author, &x->has_author);
            x->seq = sqlite3_column_int64(st, 2);
            x->kind = keep(m, st, 3);
            blob32(st, 4, x->other, &x->has_other);
            x->hlc_ms = ronda_hlc_ms((uint64_t)sqlite3_column_int64(st, 5));
            x->author_name = keep(m, st, 6);
            out->fork_count = sqlite3_column_int64(st, 7);
        }
        if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
        sqlite3_finalize(st);
    }
    /* Forked chains, each frozen below its lowest fork seq. */
    if (e == RONDA_OK &&
        sqlite3_prepare_v2(s->db,
                           "SELECT f.author, min(f.seq), (SELECT name FROM members m WHERE m.sign_key = f.author"
                           " ORDER BY valid_from DESC LIMIT 1) FROM forks f GROUP BY f.author LIMIT 10000",
                           -1, &st, NULL) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ronda_network_frozen *x = grow((void **)&out->frozen, &out->nfrozen, &cap_z, sizeof *out->frozen);
            if (!x) {
                e = RONDA_ERR_NOMEM;
                break;
            }
            blob32(st, 0, x->author, &x->has_author);
            x->fork_seq = sqlite3_column_int64(st, 1);
            x->name = keep(m, st, 2);
        }
        if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc);
        sqlite3_finalize(st);
    }
    if (e == RONDA_OK) e = ronda_store_digest(s, out->digest, &out->authors);
    memcpy(out->node, s->node, RONDA_KEY_BYTES);
    if (e == RONDA_OK && m->strs.nomem) e = RONDA_ERR_NOMEM;
    if (e != RONDA_OK) ronda_network_free(out);
    return e;
}
