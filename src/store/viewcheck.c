/* The audit of the derived views: every table that reports, pages and queries read is
 * rebuilt from the records alone and compared with the stored one.
 *
 * The rebuild is `ronda rebuild`'s own replay (store_replay), pointed at temporary copies
 * of the same tables: SQLite resolves an unqualified table name in the connection's temp
 * schema before main, so the replay's statements, prepared afresh while the copies exist,
 * read and write the copies and read the records (which have no copy) from main. The
 * copies live in a temporary file (temp_store=FILE for the check), so memory does not grow
 * with the ledger. Each table is then read from both schemas in key order and compared in
 * one merge walk: linear in rows, two rows in memory at a time.
 *
 * What is compared is what a reader sees, not how it is stored: a search row by its
 * dialogue and text (its rowid depends on how records were batched into transactions), a
 * dialogue's or follow-up's search text through its fts_rowid. The frontier (heads) is
 * verify's own check (the digest), not repeated here. `suspect` is the check's output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define COLS_MAX 20 /* the widest compared select list (dialogues: 17) */

/* One derived table as compared: the select list (key columns first) with "@." where the
 * schema goes, each column's name, and which columns name the record and its dialogue. */
typedef struct view_spec {
    const char *table; /* the table's name, for details */
    const char *sql;   /* SELECT ... FROM @.table ORDER BY the key (then every column) */
    int nkey;          /* leading columns that identify a row */
    int id_col;        /* the record the row derives from (a blob id), or -1 */
    int author_col;    /* its author, or -1 */
    int dialogue_col;  /* the dialogue (or, for amendments, the record amended), or -1 */
    const char *names[COLS_MAX];
} view_spec;

static const view_spec specs[] = {
    {"dialogues",
     "SELECT id, author, seq, hlc, polres, polsek, programme, title, when_text, date, when_ms, village, venue,"
     " participants, amended_by, amends, (SELECT text FROM @.search s WHERE s.rowid = d.fts_rowid)"
     " FROM @.dialogues d ORDER BY id",
     1,
     0,
     1,
     0,
     {"id", "author", "seq", "hlc", "polres", "polsek", "programme", "title", "when", "date", "when_ms", "village",
      "venue", "participants", "amended_by", "amends", "search text"}},
    {"topics",
     "SELECT dialogue, idx, category, summary FROM @.topics ORDER BY dialogue, idx, category, summary",
     2,
     0,
     -1,
     0,
     {"dialogue", "topic", "category", "summary"}},
    {"resolutions",
     "SELECT id, author, seq, hlc, dialogue, topic, status, referred_to, action, when_text, amended_by,"
     " (SELECT text FROM @.search s WHERE s.rowid = r.fts_rowid) FROM @.resolutions r ORDER BY id",
     1,
     0,
     1,
     4,
     {"id", "author", "seq", "hlc", "dialogue", "topic", "status", "referred_to", "action", "when", "amended_by",
      "search text"}},
    {"topic_status",
     "SELECT dialogue, topic, resolution, status, referred_to, when_text FROM @.topic_status"
     " ORDER BY dialogue, topic",
     2,
     2,
     -1,
     0,
     {"dialogue", "topic", "resolution", "status", "referred_to", "when"}},
    {"report_rows",
     "SELECT dialogue, idx, author, seq, polres, polsek, programme, date, when_ms, participants, category, status,"
     " referred_to, days FROM @.report_rows"
     " ORDER BY dialogue, idx, author, seq, polres, polsek, programme, date, when_ms, participants, category,"
     " status, referred_to, days",
     2,
     0,
     2,
     0,
     {"dialogue", "topic", "author", "seq", "polres", "polsek", "programme", "date", "when_ms", "participants",
      "category", "status", "referred_to", "days"}},
    {"amendments",
     "SELECT record, target, author, hlc, reason FROM @.amendments ORDER BY record",
     1,
     0,
     2,
     1,
     {"record", "target", "author", "hlc", "reason"}},
    {"members",
     "SELECT record, sign_key, curve_key, name, polres, polsek, role, endpoint, valid_from, valid_until"
     " FROM @.members ORDER BY record",
     1,
     0,
     -1,
     -1,
     {"record", "sign_key", "curve_key", "name", "polres", "polsek", "role", "endpoint", "valid_from", "valid_until"}},
    {"revocations",
     "SELECT member, last_seq, last_id, reason, record FROM @.revocations ORDER BY member",
     1,
     4,
     0,
     -1,
     {"member", "last_seq", "last_id", "reason", "record"}},
    {"search", "SELECT dialogue, text FROM @.search ORDER BY dialogue, text", 2, -1, -1, 0, {"dialogue", "text"}},
    {"cosigns",
     "SELECT checkpoint, cosigner, record FROM @.cosigns ORDER BY checkpoint, cosigner, record",
     3,
     2,
     1,
     -1,
     {"checkpoint", "cosigner", "record"}},
};

/* ------------------------------------------------------------------ comparing values */

/* SQLite's order of two values (ORDER BY with the BINARY collation): NULL, numbers, text,
 * blobs; numbers by value, text and blobs by bytes then length. The walk must order rows
 * exactly as the statements do, or it would report rows as missing that are only late. */
static int type_rank(int t) {
    return t == SQLITE_NULL ? 0 : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? 1 : t == SQLITE_TEXT ? 2 : 3;
}

int viewcheck_cmp(sqlite3_value *a, sqlite3_value *b) {
    int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
    int ra = type_rank(ta), rb = type_rank(tb);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 0) return 0;
    if (ra == 1) {
        if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
            sqlite3_int64 x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
            return x < y ? -1 : x > y;
        }
        double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
        return x < y ? -1 : x > y;
    }
    const void *pa = ra == 2 ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
    const void *pb = rb == 2 ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
    int na = sqlite3_value_bytes(a), nb = sqlite3_value_bytes(b);
    int c = na && nb ? memcmp(pa, pb, (size_t)(na < nb ? na : nb)) : 0;
    if (c) return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

/* A value as a reader would quote it: text in quotes (cut), ids as 16 hex digits. */
static void render(sqlite3_stmt *st, int col, char *out, size_t len, int quote) {
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        snprintf(out, len, "(none)");
        break;
    case SQLITE_INTEGER:
        snprintf(out, len, "%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        snprintf(out, len, "%.6g", sqlite3_column_double(st, col));
        break;
    case SQLITE_TEXT:
        snprintf(out, len, quote ? "\"%.60s%s\"" : "%.60s%s", (const char *)sqlite3_column_text(st, col),
                 sqlite3_column_bytes(st, col) > 60 ? "..." : "");
        break;
    default: {
        char hex[17];
        int n = sqlite3_column_bytes(st, col);
        ronda_hex(sqlite3_column_blob(st, col), (size_t)(n < 8 ? n : 8), hex);
        snprintf(out, len, "%s%s", hex, n > 8 ? ".." : "");
    }
    }
}

/* A whole row, for a row held on one side only: its readable fields "name value, ...". */
static void render_row(const view_spec *v, sqlite3_stmt *st, char *out, size_t len) {
    size_t used = 0;
    out[0] = '\0';
    int n = sqlite3_column_count(st);
    for (int c = 0; c < n && used + 1 < len; c++) {
        /* ids and clocks say nothing to a reader (the finding has the record's id) */
        if (sqlite3_column_type(st, c) == SQLITE_BLOB || strcmp(v->names[c], "hlc") == 0 ||
            strcmp(v->names[c], "seq") == 0 || strcmp(v->names[c], "when_ms") == 0)
            continue;
        char val[80];
        render(st, c, val, sizeof val, 1);
        int w = snprintf(out + used, len - used, "%s%s %s", used ? ", " : "", v->names[c], val);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used >= len && len > 4) memcpy(out + len - 4, "...", 4);
}

/* ------------------------------------------------------------------ the walk */

typedef struct check {
    ronda_store *s;
    void (*cb)(void *, const ronda_finding *);
    void *ctx;
    ronda_view_check out;
    sqlite3_stmt *dlg; /* a dialogue's title, Polsek and date: the records' copy, else the view's */
    sqlite3_stmt *res; /* the dialogue of a follow-up (an amendment's target may be one) */
} check;

/* The dialogue a row is about, in words: "dialogue \"T\" (Polsek P, D)". */
static void dialogue_words(check *k, const void *id, int n, char *out, size_t len, uint8_t dialogue[32], int *has) {
    *has = 0;
    snprintf(out, len, "no dialogue");
    if (!id || n != RONDA_ID_BYTES) return;
    uint8_t key[RONDA_ID_BYTES];
    memcpy(key, id, sizeof key);
    for (int hop = 0; hop < 2; hop++) {
        sqlite3_reset(k->dlg);
        sqlite3_bind_blob(k->dlg, 1, key, sizeof key, SQLITE_STATIC);
        if (sqlite3_step(k->dlg) == SQLITE_ROW) {
            memcpy(dialogue, key, sizeof key);
            *has = 1;
            snprintf(out, len, "dialogue \"%.60s\" (Polsek %.40s, %.10s)", (const char *)sqlite3_column_text(k->dlg, 0),
                     (const char *)sqlite3_column_text(k->dlg, 1), (const char *)sqlite3_column_text(k->dlg, 2));
            sqlite3_reset(k->dlg);
            return;
        }
        sqlite3_reset(k->dlg);
        /* not a dialogue: a follow-up names one */
        sqlite3_reset(k->res);
        sqlite3_bind_blob(k->res, 1, key, sizeof key, SQLITE_STATIC);
        int ok = sqlite3_step(k->res) == SQLITE_ROW && sqlite3_column_bytes(k->res, 0) == RONDA_ID_BYTES;
        if (ok) memcpy(key, sqlite3_column_blob(k->res, 0), sizeof key);
        sqlite3_reset(k->res);
        if (!ok) break;
    }
    char hex[17];
    ronda_hex(key, 8, hex);
    snprintf(out, len, "dialogue %s (not held)", hex);
}

/* One difference: `rec` is the records' row (NULL: none), `view` the stored one (NULL: none),
 * `col` the field that differs (-1: the whole row). */
static void differ(check *k, const view_spec *v, sqlite3_stmt *rec, sqlite3_stmt *view, int col) {
    k->out.disagreements++;
    if (k->out.disagreements > RONDA_VIEW_FINDINGS_MAX) return; /* counted; summed up at the end */
    sqlite3_stmt *row = rec ? rec : view;
    ronda_finding f;
    memset(&f, 0, sizeof f);
    f.kind = RONDA_FINDING_VIEW;
    f.what = ronda_finding_kind_name(f.kind);
    f.err = RONDA_ERR_VIEW;
    if (v->id_col >= 0 && sqlite3_column_bytes(row, v->id_col) == RONDA_ID_BYTES)
        memcpy(f.id, sqlite3_column_blob(row, v->id_col), RONDA_ID_BYTES);
    if (v->author_col >= 0 && sqlite3_column_bytes(row, v->author_col) == RONDA_KEY_BYTES)
        memcpy(f.author, sqlite3_column_blob(row, v->author_col), RONDA_KEY_BYTES);
    if (v->id_col >= 0 && v->author_col >= 0 && strcmp(v->names[v->id_col], "id") == 0)
        f.seq = (uint64_t)sqlite3_column_int64(row, 2);
    char words[160] = "the roster";
    if (v->dialogue_col >= 0)
        dialogue_words(k, sqlite3_column_blob(row, v->dialogue_col), sqlite3_column_bytes(row, v->dialogue_col), words,
                       sizeof words, f.dialogue, &f.has_dialogue);
    char field[64], a[200], b[200], qa[200], qb[200];
    if (col >= 0) { /* the values bare for the report's words, quoted in the detail */
        snprintf(field, sizeof field, "%s", v->names[col]);
        render(rec, col, a, sizeof a, 0);
        render(view, col, b, sizeof b, 0);
        render(rec, col, qa, sizeof qa, 1);
        render(view, col, qb, sizeof qb, 1);
    } else {
        snprintf(field, sizeof field, "%s row", v->table);
        if (rec)
            render_row(v, rec, a, sizeof a);
        else
            snprintf(a, sizeof a, "(no row)");
        if (view)
            render_row(v, view, b, sizeof b);
        else
            snprintf(b, sizeof b, "(no row)");
        memcpy(qa, a, sizeof qa);
        memcpy(qb, b, sizeof qb);
    }
    f.field = field;
    f.records_value = a;
    f.view_value = b;
    char detail[640]; /* cut to the finding's size below */
    snprintf(detail, sizeof detail, "%s.%s: %s: records say %.60s, view says %.60s", v->table,
             col >= 0 ? v->names[col] : "row", words, qa, qb);
    size_t l = strlen(detail);
    if (l >= sizeof f.detail) l = sizeof f.detail - 1;
    memcpy(f.detail, detail, l);
    if (k->cb) k->cb(k->ctx, &f);
}

static ronda_err prepare_side(check *k, const view_spec *v, const char *schema, sqlite3_stmt **out) {
    char sql[1024];
    size_t o = 0;
    for (const char *p = v->sql; *p && o + 8 < sizeof sql; p++) {
        if (p[0] == '@' && p[1] == '.') {
            o += (size_t)snprintf(sql + o, sizeof sql - o, "%s", schema);
            continue; /* the '.' is copied next */
        }
        sql[o++] = *p;
    }
    sql[o] = '\0';
    int rc = sqlite3_prepare_v2(k->s->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? RONDA_OK : store_fail(k->s, rc);
}

static ronda_err compare_table(check *k, const view_spec *v) {
    sqlite3_stmt *rec = NULL, *view = NULL;
    ronda_err e = prepare_side(k, v, "temp", &rec);
    if (e == RONDA_OK) e = prepare_side(k, v, "main", &view);
    int n = rec ? sqlite3_column_count(rec) : 0;
    if (e == RONDA_OK && (n > COLS_MAX || n != sqlite3_column_count(view))) e = RONDA_ERR_INVALID; /* our bug */
    int ra = SQLITE_DONE, rb = SQLITE_DONE;
    if (e == RONDA_OK) {
        ra = sqlite3_step(rec);
        rb = sqlite3_step(view);
    }
    while (e == RONDA_OK && (ra == SQLITE_ROW || rb == SQLITE_ROW)) {
        int c = 0;
        if (ra != SQLITE_ROW)
            c = 1;
        else if (rb != SQLITE_ROW)
            c = -1;
        else
            for (int i = 0; i < v->nkey && c == 0; i++)
                c = viewcheck_cmp(sqlite3_column_value(rec, i), sqlite3_column_value(view, i));
        if (c == 0) {
            k->out.rows += 2;
            for (int i = v->nkey; i < n; i++)
                if (viewcheck_cmp(sqlite3_column_value(rec, i), sqlite3_column_value(view, i)) != 0)
                    differ(k, v, rec, view, i);
            ra = sqlite3_step(rec);
            rb = sqlite3_step(view);
        } else if (c < 0) {
            k->out.rows++;
            differ(k, v, rec, NULL, -1); /* the records give a row the view lacks */
            ra = sqlite3_step(rec);
        } else {
            k->out.rows++;
            differ(k, v, NULL, view, -1); /* the view holds a row no record gives */
            rb = sqlite3_step(view);
        }
    }
    /* An error is no end of the rows: the check does not pass having read less. */
    if (e == RONDA_OK && ra != SQLITE_DONE) e = store_fail(k->s, ra);
    if (e == RONDA_OK && rb != SQLITE_DONE) e = store_fail(k->s, rb);
    sqlite3_finalize(rec);
    sqlite3_finalize(view);
    return e;
}

/* ------------------------------------------------------------------ the temp copies */

/* The views' DDL with every table made temporary (an index follows its table). */
static char *temp_schema(void) {
    static const char table[] = "CREATE TABLE ", vtable[] = "CREATE VIRTUAL TABLE ";
    /* each replacement adds 5 bytes to a statement of at least 13: twice the length holds all */
    char *out = malloc(2 * strlen(views_schema_sql) + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = views_schema_sql; *p;) {
        if (strncmp(p, table, sizeof table - 1) == 0) {
            o += sprintf(o, "CREATE TEMP TABLE ");
            p += sizeof table - 1;
        } else if (strncmp(p, vtable, sizeof vtable - 1) == 0) {
            o += sprintf(o, "CREATE VIRTUAL TABLE temp.");
            p += sizeof vtable - 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static const char temp_drop_sql[] =
    "DROP TABLE IF EXISTS temp.heads; DROP TABLE IF EXISTS temp.members; DROP TABLE IF EXISTS temp.revocations;"
    "DROP TABLE IF EXISTS temp.dialogues; DROP TABLE IF EXISTS temp.topics; DROP TABLE IF EXISTS temp.resolutions;"
    "DROP TABLE IF EXISTS temp.search; DROP TABLE IF EXISTS temp.amendments; DROP TABLE IF EXISTS temp.topic_status;"
    "DROP TABLE IF EXISTS temp.report_rows; DROP TABLE IF EXISTS temp.suspect;"
    "DROP TABLE IF EXISTS temp.cosigns;";

/* The cached statements were prepared against main's tables, or (during the check) the
 * copies': each side of the check starts with none. */
static void forget_statements(ronda_store *s) {
    for (int i = 0; i < Q__COUNT; i++) {
        sqlite3_finalize(s->stmts[i]);
        s->stmts[i] = NULL;
    }
    views_fts_drop(s);
}

/* main.suspect := temp.suspect, in a write transaction of its own, only when they differ
 * (the usual case, none, writes nothing). */
static ronda_err keep_suspects(ronda_store *s) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT EXISTS (SELECT id, error FROM temp.suspect EXCEPT SELECT id, error FROM"
                                " main.suspect) OR EXISTS (SELECT id FROM main.suspect EXCEPT SELECT id FROM"
                                " temp.suspect)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    rc = sqlite3_step(st);
    int differ = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return store_fail(s, rc);
    if (!differ) return RONDA_OK;
    ronda_err e = store_exec(s, "BEGIN IMMEDIATE");
    if (e != RONDA_OK) return e;
    if ((e = store_exec(s, "DELETE FROM main.suspect; INSERT INTO main.suspect SELECT id, error FROM temp.suspect")) !=
        RONDA_OK) {
        store_exec(s, "ROLLBACK");
        return e;
    }
    return store_exec(s, "COMMIT");
}

ronda_err ronda_store_check_views(ronda_store *s, void (*cb)(void *, const ronda_finding *), void *ctx,
                                  ronda_view_check *out) {
    if (!s || s->in_txn) return RONDA_ERR_INVALID; /* the check holds its own snapshot */
    check k;
    memset(&k, 0, sizeof k);
    k.s = s;
    k.cb = cb;
    k.ctx = ctx;
    char *ddl = temp_schema();
    if (!ddl) return RONDA_ERR_NOMEM;
    /* The copies in a file (the store keeps temporary data in memory), set outside a
     * transaction; a read-only store (query_only) may write its temp schema for the check,
     * as its database file is open read-only to SQLite itself. */
    store_idle(s);
    forget_statements(s);
    int readonly = sqlite3_db_readonly(s->db, "main") == 1;
    ronda_err e = store_exec(s, readonly ? "PRAGMA query_only=OFF; PRAGMA temp_store=FILE" : "PRAGMA temp_store=FILE");
    int begun = 0;
    if (e == RONDA_OK && (e = store_exec(s, "BEGIN")) == RONDA_OK) begun = 1;
    if (e == RONDA_OK) e = store_exec(s, temp_drop_sql); /* a check cut short (a crash) left none: temp is private */
    if (e == RONDA_OK) e = store_exec(s, ddl);
    free(ddl);
    if (e == RONDA_OK) {
        /* The records' side: the same replay as `ronda rebuild`, into the copies. */
        s->fts_next = 0;
        e = store_replay(s, NULL, NULL, 0);
        forget_statements(s);
        s->fts_next = 0;
    }
    if (e == RONDA_OK) {
        int rc = sqlite3_prepare_v2(s->db,
                                    "SELECT title, polsek, date FROM temp.dialogues WHERE id = ?1 UNION ALL"
                                    " SELECT title, polsek, date FROM main.dialogues WHERE id = ?1 LIMIT 1",
                                    -1, &k.dlg, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(s->db,
                                    "SELECT dialogue FROM temp.resolutions WHERE id = ?1 UNION ALL"
                                    " SELECT dialogue FROM main.resolutions WHERE id = ?1 LIMIT 1",
                                    -1, &k.res, NULL);
        if (rc != SQLITE_OK) e = store_fail(s, rc);
    }
    for (size_t i = 0; e == RONDA_OK && i < sizeof specs / sizeof specs[0]; i++) e = compare_table(&k, &specs[i]);
    sqlite3_finalize(k.dlg);
    sqlite3_finalize(k.res);
    if (e == RONDA_OK) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM temp.suspect", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
            k.out.suspects = (uint64_t)sqlite3_column_int64(st, 0);
        else
            e = store_fail(s, rc);
        sqlite3_finalize(st);
    }
    /* The copies were written in this transaction; the main schema only read. */
    if (begun) {
        ronda_err c = store_exec(s, e == RONDA_OK ? "COMMIT" : "ROLLBACK");
        if (e == RONDA_OK) e = c;
    }
    if (e == RONDA_OK && !readonly) e = keep_suspects(s);
    store_exec(s, temp_drop_sql);
    store_exec(s, readonly ? "PRAGMA temp_store=MEMORY; PRAGMA query_only=ON" : "PRAGMA temp_store=MEMORY");
    forget_statements(s); /* the next statements resolve to main again */
    if (e != RONDA_OK) return e;
    if (k.out.disagreements > RONDA_VIEW_FINDINGS_MAX && cb) {
        ronda_finding f;
        memset(&f, 0, sizeof f);
        f.kind = RONDA_FINDING_VIEW;
        f.what = ronda_finding_kind_name(f.kind);
        f.err = RONDA_ERR_VIEW;
        snprintf(f.detail, sizeof f.detail, "%llu more differences between the views and the records, not listed",
                 (unsigned long long)(k.out.disagreements - RONDA_VIEW_FINDINGS_MAX));
        cb(ctx, &f);
    }
    *out = k.out;
    return k.out.disagreements ? RONDA_ERR_VIEW : RONDA_OK;
}
