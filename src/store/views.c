/* Derived views: the frontier, roster, dialogues, topics, resolutions and the FTS5 search
 * index. Everything here is computed from records alone, in arrival order, so dropping
 * these tables and replaying the records (ronda_store_rebuild) gives the same answers.
 *
 * Current state is derived, never stored over a record: an amend replaces a dialogue's
 * derived row (the latest amend by seq wins, and amends of one author arrive in seq
 * order); a topic's status is its latest resolution by (hlc, id), computed at query time,
 * so resolutions from other nodes may arrive before or after the dialogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

const char views_schema_sql[] =
    "CREATE TABLE heads(author BLOB PRIMARY KEY, seq INTEGER NOT NULL, head BLOB NOT NULL,"
    " hlc INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE members(record BLOB PRIMARY KEY, sign_key BLOB NOT NULL, curve_key BLOB NOT NULL,"
    " name TEXT NOT NULL, polres TEXT, polsek TEXT, role TEXT NOT NULL, endpoint TEXT,"
    " valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL);"
    "CREATE INDEX members_key ON members(sign_key);"
    "CREATE TABLE revocations(member BLOB PRIMARY KEY, last_seq INTEGER NOT NULL, last_id BLOB,"
    " reason TEXT, record BLOB NOT NULL);"
    "CREATE TABLE dialogues(id BLOB PRIMARY KEY, author BLOB NOT NULL, seq INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL, polres TEXT NOT NULL, polsek TEXT NOT NULL, programme TEXT NOT NULL,"
    " title TEXT NOT NULL, when_text TEXT NOT NULL, date TEXT NOT NULL, when_ms INTEGER NOT NULL,"
    " village TEXT, venue TEXT, participants INTEGER, fts_rowid INTEGER,"
    " amended_by BLOB, amends INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX dialogues_when ON dialogues(when_ms);"
    /* A rowid table: rows append in arrival order and only the (dialogue, idx) index takes
     * random keys (keyed by dialogue, WITHOUT ROWID, every row landed on a random page). */
    "CREATE TABLE topics(dialogue BLOB NOT NULL, idx INTEGER NOT NULL, category TEXT NOT NULL,"
    " summary TEXT NOT NULL, UNIQUE(dialogue, idx));"
    "CREATE TABLE resolutions(id BLOB PRIMARY KEY, author BLOB NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,"
    " dialogue BLOB NOT NULL, topic INTEGER NOT NULL, status TEXT NOT NULL, referred_to TEXT,"
    " action TEXT NOT NULL, when_text TEXT NOT NULL, fts_rowid INTEGER, amended_by BLOB);"
    "CREATE INDEX resolutions_topic ON resolutions(dialogue, topic, hlc);"
    "CREATE VIRTUAL TABLE search USING fts5(dialogue UNINDEXED, text,"
    " tokenize = 'unicode61 remove_diacritics 2');"
    /* For reports and the HTTP API (src/store/report.c): every amend of a record, and the
     * orders the dashboard lists dialogues in (newest first, per Polres, per programme). */
    "CREATE TABLE amendments(record BLOB PRIMARY KEY, target BLOB NOT NULL, author BLOB NOT NULL,"
    " hlc INTEGER NOT NULL, reason TEXT NOT NULL);"
    "CREATE INDEX amendments_target ON amendments(target, hlc);"
    "CREATE INDEX dialogues_polres_when ON dialogues(polres COLLATE NOCASE, when_ms);"
    "CREATE INDEX dialogues_programme_when ON dialogues(programme, when_ms);"
    "CREATE INDEX topics_category ON topics(category);"
    /* Each topic's current status: its latest resolution by (hlc, id) from an author not
     * revoked before it, kept up to date as resolutions, amends and revocations arrive, so
     * a report reads it by key instead of sorting every topic's resolutions. A row may name
     * a dialogue not held yet (resolutions may come first). */
    "CREATE TABLE topic_status(dialogue BLOB NOT NULL, topic INTEGER NOT NULL, resolution BLOB NOT NULL,"
    " status TEXT NOT NULL, referred_to TEXT, when_text TEXT NOT NULL, PRIMARY KEY(dialogue, topic)) WITHOUT ROWID;"
    "CREATE INDEX resolutions_author ON resolutions(author);"
    /* One compact row per topic (or per dialogue without topics) with everything a report
     * counts, kept up to date with the dialogue (amends rewrite its rows) and its topics'
     * status: a report over a million dialogues is one sequential scan of ~150-byte rows
     * instead of three random lookups by 32-byte id per topic. participants is on the
     * dialogue's first row only; days is dialogue-to-resolution for resolved topics. */
    "CREATE TABLE report_rows(dialogue BLOB NOT NULL, idx INTEGER, author BLOB NOT NULL, seq INTEGER NOT NULL,"
    " polres TEXT NOT NULL, polsek TEXT NOT NULL, programme TEXT NOT NULL, date TEXT NOT NULL,"
    " when_ms INTEGER NOT NULL, participants INTEGER NOT NULL, category TEXT, status TEXT NOT NULL,"
    " referred_to TEXT, days REAL);"
    "CREATE INDEX report_rows_topic ON report_rows(dialogue, idx);"
    /* The records that no longer verify from their stored bytes (signature, body hash,
     * schema, id): filled by the replay (rebuild) and by each view check (verify, audit, the
     * running node's); every report and page leaves them out (STORE_NOT_SUSPECT). */
    "CREATE TABLE suspect(id BLOB PRIMARY KEY, error TEXT NOT NULL) WITHOUT ROWID;"
    /* Cosignatures by the checkpoint they vouch for (its part 0's id), so a checkpoint's note
     * (witness.c) finds them without a scan of the records; each is checked again (its
     * signature over the note) before a note carries it, so this table can only omit one. */
    "CREATE TABLE cosigns(checkpoint BLOB NOT NULL, cosigner BLOB NOT NULL, record BLOB NOT NULL,"
    " PRIMARY KEY(checkpoint, cosigner, record)) WITHOUT ROWID;";

const char views_drop_sql[] =
    "DROP TABLE IF EXISTS heads; DROP TABLE IF EXISTS members; DROP TABLE IF EXISTS revocations;"
    "DROP TABLE IF EXISTS dialogues; DROP TABLE IF EXISTS topics; DROP TABLE IF EXISTS resolutions;"
    "DROP TABLE IF EXISTS search; DROP TABLE IF EXISTS amendments;"
    "DROP TABLE IF EXISTS topic_status; DROP TABLE IF EXISTS report_rows; DROP TABLE IF EXISTS suspect;"
    "DROP TABLE IF EXISTS cosigns;";

/* The statements that maintain the views (store_stmt caches them with the ledger's). */
const char *const views_stmt_sql[Q__COUNT - Q_V__FIRST] = {
    [Q_V_DIALOGUE_INSERT - Q_V__FIRST] =
        "INSERT INTO dialogues(id, author, seq, hlc, polres, polsek, programme, title, when_text,"
        " date, when_ms, village, venue, participants, fts_rowid)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [Q_V_DIALOGUE_UPDATE - Q_V__FIRST] = "UPDATE dialogues SET polres = ?5, polsek = ?6, programme = ?7, title = ?8,"
                                         " when_text = ?9, date = ?10, when_ms = ?11, village = ?12, venue = ?13,"
                                         " participants = ?14, fts_rowid = ?15, amended_by = ?2, amends = amends + 1"
                                         " WHERE id = ?1",
    [Q_V_DIALOGUE_GET - Q_V__FIRST] = "SELECT fts_rowid, seq FROM dialogues WHERE id = ?1",
    [Q_V_TOPIC_INSERT - Q_V__FIRST] = "INSERT INTO topics(dialogue, idx, category, summary) VALUES (?1, ?2, ?3, ?4)",
    [Q_V_TOPIC_DELETE - Q_V__FIRST] = "DELETE FROM topics WHERE dialogue = ?1",
    [Q_V_TOPIC_COUNT - Q_V__FIRST] = "SELECT count(*) FROM topics WHERE dialogue = ?1",
    [Q_V_FTS_INSERT - Q_V__FIRST] = "INSERT INTO search(rowid, dialogue, text) VALUES (?1, ?2, ?3)",
    [Q_V_FTS_LAST - Q_V__FIRST] = "SELECT rowid FROM search ORDER BY rowid DESC LIMIT 1",
    [Q_V_FTS_DELETE - Q_V__FIRST] = "DELETE FROM search WHERE rowid = ?1",
    [Q_V_RES_INSERT - Q_V__FIRST] =
        "INSERT INTO resolutions(id, author, hlc, dialogue, topic, status, referred_to, action,"
        " when_text, fts_rowid, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_V_RES_UPDATE - Q_V__FIRST] = "UPDATE resolutions SET dialogue = ?4, topic = ?5, status = ?6, referred_to = ?7,"
                                    " action = ?8, when_text = ?9, fts_rowid = ?10, amended_by = ?2 WHERE id = ?1",
    [Q_V_RES_GET - Q_V__FIRST] = "SELECT fts_rowid FROM resolutions WHERE id = ?1",
    [Q_V_MEMBER_INSERT - Q_V__FIRST] =
        "INSERT OR IGNORE INTO members(record, sign_key, curve_key, name, polres, polsek, role,"
        " endpoint, valid_from, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [Q_V_REVOKE_UPSERT - Q_V__FIRST] =
        "INSERT INTO revocations(member, last_seq, last_id, reason, record)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(member) DO UPDATE SET"
        " last_seq = excluded.last_seq, last_id = excluded.last_id, reason = excluded.reason,"
        " record = excluded.record WHERE excluded.last_seq < revocations.last_seq",
    [Q_V_TS_DELETE - Q_V__FIRST] = "DELETE FROM topic_status WHERE dialogue = ?1 AND topic = ?2",
    [Q_V_TS_INSERT - Q_V__FIRST] =
        "INSERT INTO topic_status(dialogue, topic, resolution, status, referred_to, when_text)"
        " SELECT ?1, ?2, r.id, r.status, r.referred_to, r.when_text FROM resolutions r"
        " WHERE r.dialogue = ?1 AND r.topic = ?2 AND NOT EXISTS (SELECT 1 FROM revocations v"
        " WHERE v.member = r.author AND r.seq > v.last_seq) AND NOT EXISTS (SELECT 1 FROM forks f"
        " WHERE f.author = r.author AND r.seq >= f.seq) ORDER BY r.hlc DESC, r.id DESC LIMIT 1",
    [Q_V_RES_WHERE - Q_V__FIRST] = "SELECT dialogue, topic FROM resolutions WHERE id = ?1",
    [Q_V_RR_DELETE - Q_V__FIRST] = "DELETE FROM report_rows WHERE dialogue = ?1",
    [Q_V_RR_TOPIC - Q_V__FIRST] =
        "UPDATE report_rows SET status = coalesce(ts.status, 'open'), referred_to = ts.referred_to,"
        " days = CASE WHEN ts.status = 'resolved' THEN"
        " julianday(ts.when_text) - (report_rows.when_ms / 86400000.0 + 2440587.5) END"
        " FROM (SELECT ?1 AS dialogue, ?2 AS topic) k LEFT JOIN topic_status ts"
        " ON ts.dialogue = k.dialogue AND ts.topic = k.topic"
        " WHERE report_rows.dialogue = ?1 AND report_rows.idx = ?2",
    [Q_V_TS_GET - Q_V__FIRST] =
        "SELECT status, referred_to, when_text FROM topic_status WHERE dialogue = ?1 AND topic = ?2",
    /* A dialogue's report row from the values at hand (views.c): a plain one-row INSERT
     * (a join reading them back from dialogues and topics cost a multi-row statement each). */
    [Q_V_RR_ROW - Q_V__FIRST] =
        "INSERT INTO report_rows(dialogue, idx, author, seq, polres, polsek, programme, date, when_ms,"
        " participants, category, status, referred_to, days) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10, ?11, coalesce(?12, 'open'), ?13, CASE WHEN ?12 = 'resolved' THEN"
        " julianday(?14) - (?9 / 86400000.0 + 2440587.5) END)",
};

/* A cosignature under the checkpoint it names (the view a note reads). */
static ronda_err put_cosign(ronda_store *s, const ronda_record *rec, const ronda_cosign *b) {
    const uint8_t *cp = b->checkpoint;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO cosigns VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, cp, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, rec->author, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, rec->id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

/* A text of the body (it outlives the statement's step: the caller's record holds it). */
static void bind_text(sqlite3_stmt *st, int i, ronda_text v) {
    sqlite3_bind_text(st, i, v.p, (int)v.len, SQLITE_STATIC);
}

/* An optional text: NULL when absent. */
static void bind_text_or_null(sqlite3_stmt *st, int i, ronda_text v) {
    if (v.len)
        sqlite3_bind_text(st, i, v.p, (int)v.len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* A short text (a name, at most RONDA_NAME_MAX bytes) as a C string, into out. */
static ronda_err fail(ronda_detail *d, const char *text) {
    if (d) snprintf(d->text, sizeof d->text, "%s", text);
    return RONDA_ERR_REFERENCE;
}

int views_place_ok(const char *role, const char *m_polres, const char *m_polsek, const char *polres,
                   const char *polsek) {
    if (!role || !m_polres || !polres || !polsek || sqlite3_stricmp(m_polres, polres) != 0) return 0;
    if (strcmp(role, "hq") == 0) return 1; /* its own Polres, any Polsek of it (or "Semua Polsek") */
    return strcmp(role, "precinct") == 0 && m_polsek && sqlite3_stricmp(m_polsek, polsek) == 0;
}

ronda_err views_check_place(ronda_store *s, const ronda_record *rec, const ronda_dialogue *dialogue, ronda_detail *d) {
    char polres_s[RONDA_NAME_MAX + 1], polsek_s[RONDA_NAME_MAX + 1];
    const char *polres = store_name(dialogue->polres, polres_s), *polsek = store_name(dialogue->polsek, polsek_s);
    sqlite3_stmt *st = store_stmt(s, Q_MEMBER_PLACE);
    if (!st) return RONDA_ERR_DB;
    sqlite3_bind_blob(st, 1, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)ronda_hlc_ms(rec->hlc));
    /* Every membership valid at the record's time (a key may hold several): one that admits
     * the place is enough. The first one names the author's place in the refusal. */
    char mine[100] = ""; /* names cut at 40 bytes: both places fit the detail */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *role = (const char *)sqlite3_column_text(st, 0);
        const char *m_polres = (const char *)sqlite3_column_text(st, 1);
        const char *m_polsek = (const char *)sqlite3_column_text(st, 2);
        if (views_place_ok(role, m_polres, m_polsek, polres, polsek)) return RONDA_OK;
        if (!mine[0]) {
            if (role && strcmp(role, "hq") == 0)
                snprintf(mine, sizeof mine, "Polres %.40s HQ (its own Polres only)", m_polres ? m_polres : "?");
            else
                snprintf(mine, sizeof mine, "Polres %.40s / Polsek %.40s", m_polres ? m_polres : "?",
                         m_polsek ? m_polsek : "?");
        }
    }
    if (rc != SQLITE_DONE) return RONDA_ERR_DB; /* an error is not "no membership admits it" */
    if (d)
        snprintf(d->text, sizeof d->text,
                 "dialogue is for Polres %.40s / Polsek %.40s; its author is admitted for %.96s", polres ? polres : "?",
                 polsek ? polsek : "?", mine[0] ? mine : "no place");
    return RONDA_ERR_PLACE;
}

ronda_err views_check(ronda_store *s, const ronda_record *rec, const ronda_body *body, ronda_detail *d) {
    if (!body) return RONDA_OK; /* redacted: nothing to derive, nothing to check */
    const ronda_amend *a = &body->u.amend;
    if (rec->kind == RONDA_KIND_AMEND) {
        sqlite3_stmt *st = store_stmt(s, Q_RECORD_BY_ID);
        if (!st) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, a->target, RONDA_ID_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, rc); /* no refusal: our failure */
        if (rc == SQLITE_DONE) return fail(d, "amend target is not held (an amend follows its target)");
        if (sqlite3_column_bytes(st, 0) != RONDA_KEY_BYTES ||
            memcmp(sqlite3_column_blob(st, 0), rec->author, RONDA_KEY_BYTES) != 0)
            return fail(d, "an amend corrects only its own author's records");
        const char *held = (const char *)sqlite3_column_text(st, 1);
        if (!held || strcmp(held, ronda_kind_name((ronda_kind)a->kind)) != 0)
            return fail(d, "amend kind differs from its target's kind");
    }
    if (rec->kind == RONDA_KIND_DIALOGUE) return views_check_place(s, rec, &body->u.dialogue, d);
    if (rec->kind == RONDA_KIND_AMEND && a->kind == RONDA_KIND_DIALOGUE)
        return views_check_place(s, rec, &a->body.dialogue, d);
    /* A resolution's dialogue is not checked here: it may be another node's and arrive later,
     * and a check that depends on arrival order would let two nodes hold different ledgers.
     * Dangling or wrong references are reported by verification instead. */
    return RONDA_OK;
}

/* The searchable text of a dialogue body: every free-text field, space separated. */
static char *dialogue_text(const ronda_dialogue *b) {
    const ronda_text single[] = {b->title, b->venue, b->village, b->polsek, b->polres};
    const ronda_list *lists[] = {&b->officers, &b->stakeholders, &b->messages};
    ronda_text items[RONDA_LIST_MAX];
    ronda_topic topics[RONDA_LIST_MAX];
    size_t cap = 1024, len = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    out[0] = '\0';
#define APPEND(text)                                                                                                   \
    do {                                                                                                               \
        const char *a_ = (text).p;                                                                                     \
        size_t n_ = (text).len;                                                                                        \
        if (len + n_ + 2 > cap) {                                                                                      \
            while (len + n_ + 2 > cap) cap *= 2;                                                                       \
            char *g_ = realloc(out, cap);                                                                              \
            if (!g_) {                                                                                                 \
                free(out);                                                                                             \
                return NULL;                                                                                           \
            }                                                                                                          \
            out = g_;                                                                                                  \
        }                                                                                                              \
        memcpy(out + len, a_, n_);                                                                                     \
        len += n_;                                                                                                     \
        out[len++] = ' ';                                                                                              \
        out[len] = '\0';                                                                                               \
    } while (0)
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (single[i].len) APPEND(single[i]);
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t n = ronda_body_texts(lists[i], items, RONDA_LIST_MAX);
        for (size_t k = 0; k < n; k++) APPEND(items[k]);
    }
    size_t n = ronda_body_topics(&b->topics, topics, RONDA_LIST_MAX);
    for (size_t k = 0; k < n; k++) APPEND(topics[k].summary);
#undef APPEND
    return out;
}

#define FTS_QUEUE_OPS 1024u             /* queued index changes written together (a batch's worth) */
#define FTS_QUEUE_BYTES (1024u * 1024u) /* and at most this much queued text */

void views_fts_drop(ronda_store *s) {
    for (size_t i = 0; i < s->fts_n; i++) free(s->fts_q[i].text);
    s->fts_n = s->fts_bytes = 0;
    s->fts_next = 0;
}

ronda_err views_fts_flush(ronda_store *s) {
    ronda_err e = RONDA_OK;
    for (size_t i = 0; i < s->fts_n && e == RONDA_OK; i++) {
        fts_op *op = &s->fts_q[i];
        sqlite3_stmt *st = store_stmt(s, op->text ? Q_V_FTS_INSERT : Q_V_FTS_DELETE);
        if (!st) {
            e = store_fail(s, 0);
            break;
        }
        sqlite3_bind_int64(st, 1, op->rowid);
        if (op->text) {
            sqlite3_bind_blob(st, 2, op->dialogue, RONDA_ID_BYTES, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, op->text, -1, SQLITE_STATIC);
        }
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) e = store_fail(s, rc);
        sqlite3_reset(st);
    }
    int64_t next = s->fts_next; /* rowids stay taken for the rest of the transaction */
    views_fts_drop(s);
    s->fts_next = next;
    return e;
}

/* Queue one change; `text` (malloc'd, or NULL for a delete) is the queue's from here on. */
static ronda_err fts_queue(ronda_store *s, int64_t rowid, const uint8_t *dialogue, char *text) {
    if (s->fts_n == s->fts_cap) {
        size_t cap = s->fts_cap ? 2 * s->fts_cap : 64;
        fts_op *q = realloc(s->fts_q, cap * sizeof *q);
        if (!q) {
            free(text);
            return RONDA_ERR_NOMEM;
        }
        s->fts_q = q;
        s->fts_cap = cap;
    }
    fts_op *op = &s->fts_q[s->fts_n++];
    op->rowid = rowid;
    op->text = text;
    if (dialogue) memcpy(op->dialogue, dialogue, RONDA_ID_BYTES);
    if (text) s->fts_bytes += strlen(text);
    return s->fts_n >= FTS_QUEUE_OPS || s->fts_bytes >= FTS_QUEUE_BYTES ? views_fts_flush(s) : RONDA_OK;
}

/* Replace a search row (old_rowid > 0) or add one; *rowid is the new row's, assigned here
 * (the last held plus one) because the row itself is written later, with its batch. */
static ronda_err fts_replace(ronda_store *s, sqlite3_int64 old_rowid, const uint8_t *dialogue, char *text,
                             sqlite3_int64 *rowid) {
    if (s->fts_next == 0) {
        sqlite3_stmt *st = store_stmt(s, Q_V_FTS_LAST);
        int rc = st ? sqlite3_step(st) : 0;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            free(text);
            return store_fail(s, rc);
        }
        s->fts_next = (rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0) + 1;
        sqlite3_reset(st);
    }
    ronda_err e = old_rowid > 0 ? fts_queue(s, old_rowid, NULL, NULL) : RONDA_OK;
    if (e != RONDA_OK) {
        free(text);
        return e;
    }
    *rowid = s->fts_next++;
    return fts_queue(s, *rowid, dialogue, text);
}

static sqlite3_int64 fts_rowid_of(ronda_store *s, stmt_id q, const uint8_t *id) {
    sqlite3_stmt *st = store_stmt(s, q);
    if (!st) return -1;
    sqlite3_bind_blob(st, 1, id, RONDA_ID_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1; /* a failed read is no "no row" */
    return rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

/* A dialogue's report rows, from its current body `b` (after an amend, the amend's): one per
 * topic, or one with idx NULL for a dialogue without topics, each with its topic's status if
 * one is held (resolutions may arrive before their dialogue). `author` and `seq` are the
 * dialogue record's own. Any rows it had are replaced. */
static ronda_err put_report_rows(ronda_store *s, const uint8_t *dialogue, const uint8_t *author, int64_t seq,
                                 const ronda_dialogue *b, const char *date, int64_t when_ms, int replace) {
    if (replace) {
        sqlite3_stmt *st = store_stmt(s, Q_V_RR_DELETE);
        if (!st) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, dialogue, RONDA_ID_BYTES, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    }
    ronda_topic topics[RONDA_LIST_MAX];
    size_t n = ronda_body_topics(&b->topics, topics, RONDA_LIST_MAX);
    const char *programme = ronda_programme_name(b->programme);
    for (size_t i = 0; i < (n ? n : 1); i++) {
        sqlite3_stmt *q = NULL; /* the topic's status, if held: bound by value below */
        if (n) {
            if (!(q = store_stmt(s, Q_V_TS_GET))) return store_fail(s, 0);
            sqlite3_bind_blob(q, 1, dialogue, RONDA_ID_BYTES, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, (int64_t)i);
            int rc = sqlite3_step(q);
            if (rc == SQLITE_DONE)
                q = NULL;
            else if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        }
        sqlite3_stmt *st = store_stmt(s, Q_V_RR_ROW);
        if (!st) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, dialogue, RONDA_ID_BYTES, SQLITE_STATIC);
        if (n)
            sqlite3_bind_int64(st, 2, (int64_t)i);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_blob(st, 3, author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, seq);
        bind_text(st, 5, b->polres);
        bind_text(st, 6, b->polsek);
        sqlite3_bind_text(st, 7, programme, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, date, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, when_ms);
        sqlite3_bind_int64(st, 10, i == 0 && b->participants.set ? (int64_t)b->participants.v : 0);
        if (n)
            sqlite3_bind_text(st, 11, ronda_category_name(topics[i].category), -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 11);
        if (q) /* sqlite3_bind_value copies: q may be reset afterwards */
            for (int k = 0; k < 3; k++) sqlite3_bind_value(st, 12 + k, sqlite3_column_value(q, k));
        int rc = sqlite3_step(st);
        if (q) sqlite3_reset(q);
        if (rc != SQLITE_DONE) return store_fail(s, rc);
    }
    return RONDA_OK;
}

/* Insert (target == rec->id) or replace (an amend) the derived rows of a dialogue. */
static ronda_err put_dialogue(ronda_store *s, const ronda_record *rec, const uint8_t *target, const ronda_dialogue *b) {
    int amend = target != rec->id;
    sqlite3_int64 old = 0, fts = 0;
    int64_t seq = (int64_t)rec->seq; /* an amend's report rows keep its target's seq */
    if (amend) {
        sqlite3_stmt *q = store_stmt(s, Q_V_DIALOGUE_GET);
        if (!q) return store_fail(s, 0);
        sqlite3_bind_blob(q, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            old = sqlite3_column_int64(q, 0);
            seq = sqlite3_column_int64(q, 1);
        } else if (rc == SQLITE_DONE) {
            seq = -1; /* no derived row to amend: nothing to report either */
        } else {
            return store_fail(s, rc);
        }
        sqlite3_reset(q);
    }
    char *text = dialogue_text(b);
    if (!text) return RONDA_ERR_NOMEM;
    ronda_err e = fts_replace(s, old, target, text, &fts); /* takes text */
    if (e != RONDA_OK) return e;
    sqlite3_stmt *st = store_stmt(s, amend ? Q_V_DIALOGUE_UPDATE : Q_V_DIALOGUE_INSERT);
    if (!st) return store_fail(s, 0);
    ronda_text when = b->when; /* YYYY-MM-DDTHH:MM:SS+HH:MM (the schema's T_TIME) */
    int64_t when_ms = 0;
    time_parse(when.p, when.len, &when_ms);
    char date[11];
    memcpy(date, when.p, 10);
    date[10] = '\0';
    sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, amend ? rec->id : rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    if (!amend) {
        sqlite3_bind_int64(st, 3, (int64_t)rec->seq);
        sqlite3_bind_int64(st, 4, (int64_t)rec->hlc);
    }
    bind_text(st, 5, b->polres);
    bind_text(st, 6, b->polsek);
    sqlite3_bind_text(st, 7, ronda_programme_name(b->programme), -1, SQLITE_STATIC);
    bind_text(st, 8, b->title);
    bind_text(st, 9, when);
    sqlite3_bind_text(st, 10, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, when_ms);
    bind_text_or_null(st, 12, b->village);
    bind_text_or_null(st, 13, b->venue);
    if (b->participants.set)
        sqlite3_bind_int64(st, 14, (int64_t)b->participants.v);
    else
        sqlite3_bind_null(st, 14);
    sqlite3_bind_int64(st, 15, fts);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    if (amend) {
        if (!(st = store_stmt(s, Q_V_TOPIC_DELETE))) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    }
    ronda_topic topics[RONDA_LIST_MAX];
    size_t n = ronda_body_topics(&b->topics, topics, RONDA_LIST_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!(st = store_stmt(s, Q_V_TOPIC_INSERT))) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_text(st, 3, ronda_category_name(topics[i].category), -1, SQLITE_STATIC);
        bind_text(st, 4, topics[i].summary);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    }
    if (seq < 0) return RONDA_OK;
    return put_report_rows(s, target, rec->author, seq, b, date, when_ms, amend); /* amends: same author */
}

/* Recompute one topic's row of topic_status from the resolutions and revocations held. */
static ronda_err refresh_topic(ronda_store *s, const void *dialogue, int64_t topic) {
    uint8_t d[RONDA_ID_BYTES];
    memcpy(d, dialogue, sizeof d); /* may point into a statement reset below */
    sqlite3_stmt *st = store_stmt(s, Q_V_TS_DELETE);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, d, sizeof d, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, topic);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    if (!(st = store_stmt(s, Q_V_TS_INSERT))) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, d, sizeof d, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, topic);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    if (!(st = store_stmt(s, Q_V_RR_TOPIC))) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, d, sizeof d, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, topic);
    return sqlite3_step(st) == SQLITE_DONE ? RONDA_OK : store_fail(s, 0);
}

static ronda_err put_resolution_row(ronda_store *s, const ronda_record *rec, const uint8_t *target,
                                    const ronda_resolution *b);

/* A resolution, or an amend of one (which may move it to another topic: both are refreshed). */
static ronda_err put_resolution(ronda_store *s, const ronda_record *rec, const uint8_t *target,
                                const ronda_resolution *b) {
    uint8_t old_dialogue[RONDA_ID_BYTES];
    int64_t old_topic = -1;
    if (target != rec->id) {
        sqlite3_stmt *st = store_stmt(s, Q_V_RES_WHERE);
        if (!st) return store_fail(s, 0);
        sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, rc);
        if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == RONDA_ID_BYTES) {
            memcpy(old_dialogue, sqlite3_column_blob(st, 0), RONDA_ID_BYTES);
            old_topic = sqlite3_column_int64(st, 1);
        }
    }
    ronda_err e = put_resolution_row(s, rec, target, b);
    if (e == RONDA_OK) e = refresh_topic(s, b->dialogue, (int64_t)b->topic.v);
    if (e == RONDA_OK && old_topic >= 0) e = refresh_topic(s, old_dialogue, old_topic);
    return e;
}

static ronda_err put_resolution_row(ronda_store *s, const ronda_record *rec, const uint8_t *target,
                                    const ronda_resolution *b) {
    int amend = target != rec->id;
    const uint8_t *dialogue = b->dialogue;
    sqlite3_int64 old = 0, fts = 0;
    if (amend && (old = fts_rowid_of(s, Q_V_RES_GET, target)) < 0) return store_fail(s, 0);
    char text[RONDA_TEXT_MAX + RONDA_NAME_MAX + 2];
    snprintf(text, sizeof text, "%.*s %.*s", (int)b->action.len, b->action.p, (int)b->referred_to.len,
             b->referred_to.len ? b->referred_to.p : "");
    char *copy = strdup(text);
    if (!copy) return RONDA_ERR_NOMEM;
    ronda_err e = fts_replace(s, old, dialogue, copy, &fts);
    if (e != RONDA_OK) return e;
    sqlite3_stmt *st = store_stmt(s, amend ? Q_V_RES_UPDATE : Q_V_RES_INSERT);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, target, RONDA_ID_BYTES, SQLITE_STATIC);
    if (amend) {
        sqlite3_bind_blob(st, 2, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    } else {
        sqlite3_bind_blob(st, 2, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)rec->hlc);
        sqlite3_bind_int64(st, 11, (int64_t)rec->seq);
    }
    sqlite3_bind_blob(st, 4, dialogue, RONDA_ID_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (int64_t)b->topic.v);
    sqlite3_bind_text(st, 6, ronda_status_name(b->status), -1, SQLITE_STATIC);
    bind_text_or_null(st, 7, b->referred_to);
    bind_text(st, 8, b->action);
    bind_text(st, 9, b->when);
    sqlite3_bind_int64(st, 10, fts);
    return sqlite3_step(st) == SQLITE_DONE ? RONDA_OK : store_fail(s, 0);
}

static ronda_err put_member(ronda_store *s, const ronda_record *rec, const ronda_member *b) {
    const uint8_t *sign = b->sign_key, *curve = b->curve_key;
    sqlite3_stmt *st = store_stmt(s, Q_V_MEMBER_INSERT);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, sign, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, curve, 32, SQLITE_TRANSIENT);
    bind_text(st, 4, b->name);
    bind_text_or_null(st, 5, b->polres);
    bind_text_or_null(st, 6, b->polsek);
    sqlite3_bind_text(st, 7, ronda_role_name(b->role), -1, SQLITE_STATIC);
    bind_text_or_null(st, 8, b->endpoint);
    sqlite3_bind_int64(st, 9, (int64_t)b->valid_from.v);
    sqlite3_bind_int64(st, 10, (int64_t)b->valid_until.v);
    return sqlite3_step(st) == SQLITE_DONE ? RONDA_OK : store_fail(s, 0);
}

static ronda_err put_revoke(ronda_store *s, const ronda_record *rec, const ronda_revoke *b) {
    const uint8_t *member = b->member;
    sqlite3_stmt *st = store_stmt(s, Q_V_REVOKE_UPSERT);
    if (!st) return store_fail(s, 0);
    sqlite3_bind_blob(st, 1, member, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (int64_t)b->last_seq.v);
    if (b->last_id)
        sqlite3_bind_blob(st, 3, b->last_id, 32, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 3);
    bind_text(st, 4, b->reason);
    sqlite3_bind_blob(st, 5, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, 0);
    /* The member's resolutions after its last good record leave the topics' status. */
    return views_refresh_author(s, member);
}

ronda_err views_refresh_author(ronda_store *s, const uint8_t *author) {
    uint8_t member[RONDA_KEY_BYTES];
    memcpy(member, author, sizeof member); /* may point into a statement reset below */
    sqlite3_stmt *q;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT DISTINCT dialogue, topic FROM resolutions WHERE author = ?1", -1, &q, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    sqlite3_bind_blob(q, 1, member, 32, SQLITE_STATIC);
    ronda_err e = RONDA_OK;
    while (e == RONDA_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
        if (sqlite3_column_bytes(q, 0) == RONDA_ID_BYTES)
            e = refresh_topic(s, sqlite3_column_blob(q, 0), sqlite3_column_int64(q, 1));
    if (e == RONDA_OK && rc != SQLITE_DONE) e = store_fail(s, rc); /* every topic, or an error */
    sqlite3_finalize(q);
    return e;
}

/* The amendment list of a record (its history, for the dialogue page). Amends are rare:
 * the statement is prepared per call rather than cached. */
static ronda_err put_amendment(ronda_store *s, const ronda_record *rec, const uint8_t *target, ronda_text reason) {
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT OR IGNORE INTO amendments(record, target, author, hlc, reason)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return store_fail(s, rc);
    sqlite3_bind_blob(st, 1, rec->id, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, target, RONDA_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, rec->author, RONDA_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)rec->hlc);
    sqlite3_bind_text(st, 5, reason.len ? reason.p : "", (int)reason.len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RONDA_OK : store_fail(s, rc);
}

ronda_err views_apply(ronda_store *s, const ronda_record *rec, const ronda_body *b) {
    if (!b) return RONDA_OK;
    switch (rec->kind) {
    case RONDA_KIND_DIALOGUE:
        return put_dialogue(s, rec, rec->id, &b->u.dialogue);
    case RONDA_KIND_RESOLUTION:
        return put_resolution(s, rec, rec->id, &b->u.resolution);
    case RONDA_KIND_AMEND: {
        const ronda_amend *a = &b->u.amend;
        ronda_err e = put_amendment(s, rec, a->target, a->reason);
        if (e != RONDA_OK) return e;
        return a->kind == RONDA_KIND_DIALOGUE ? put_dialogue(s, rec, a->target, &a->body.dialogue)
                                              : put_resolution(s, rec, a->target, &a->body.resolution);
    }
    case RONDA_KIND_MEMBER:
        return put_member(s, rec, &b->u.member);
    case RONDA_KIND_REVOKE:
        return put_revoke(s, rec, &b->u.revoke);
    case RONDA_KIND_CHECKPOINT:
        return RONDA_OK; /* no derived view: an auditor reads checkpoints from the records */
    case RONDA_KIND_COSIGN:
        return put_cosign(s, rec, &b->u.cosign);
    default:
        return RONDA_ERR_KIND;
    }
}
