/* The ledger store: one SQLite database per node, append-only records, fork evidence,
 * the frontier and ledger digest, and derived views rebuilt from records alone.
 *
 * Every record, local or from outside, passes the same two stages: ronda_record_open()
 * (stateless: form, signature, hash, schema) and ronda_store_apply() (stateful: roster,
 * chain, references). A record counts as stored once its transaction commits.
 *
 * A ronda_store is one SQLite connection opened without its own mutex: one thread at a
 * time may use it (threads may take turns). Open one store per thread for concurrent use,
 * as the HTTP server's pool does. */
#ifndef RONDA_STORE_H
#define RONDA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/record.h"

typedef struct ronda_store ronda_store;

typedef enum ronda_outcome {
    RONDA_STORED = 1, /* new record, now part of the ledger */
    RONDA_DUPLICATE,  /* already held: nothing changed */
    RONDA_FORK,       /* a second valid record for a taken (author, seq): kept as evidence */
} ronda_outcome;

/* Create a new database at `path` (refuses an existing file) for a network whose
 * authority key is `authority`; `node` is this node's signing key. On success *out is
 * the open store, which the caller closes with ronda_store_close(). */
RONDA_API ronda_err ronda_store_create(const char *path, const uint8_t authority[RONDA_KEY_BYTES],
                                       const uint8_t node[RONDA_KEY_BYTES], ronda_store **out) RONDA_MUST_CHECK;

/* Open an existing database. "" opens a private temporary database (for checking bundles);
 * then `authority` must be given; otherwise it is ignored and may be NULL. */
RONDA_API ronda_err ronda_store_open(const char *path, const uint8_t *authority, ronda_store **out) RONDA_MUST_CHECK;

/* Open a database read-only (a second connection beside the node's writer, e.g. for the
 * HTTP server's threads). It never writes, not even to upgrade views. */
RONDA_API ronda_err ronda_store_open_readonly(const char *path, ronda_store **out) RONDA_MUST_CHECK;

/* Abandon any statement that runs past timeout_ms from now (it fails with RONDA_ERR_DB and
 * ronda_store_timed_out() says so); 0 removes the bound. For servers answering untrusted
 * queries. */
RONDA_API void ronda_store_timeout(ronda_store *s, unsigned timeout_ms);
RONDA_API int ronda_store_timed_out(const ronda_store *s);

/* Close and set *s to NULL; accepts NULL and *s == NULL. Rolls back an open transaction. */
RONDA_API void ronda_store_close(ronda_store **s);

/* SQLite's own text of the store's latest database failure ("" when none): the first
 * failure of its transaction, which the calls after it (SQLite's automatic rollback on a
 * full disk or an I/O error) cannot overwrite. For logs, beside ronda_strerror() of the
 * kind that the failing call returned; valid until the store's next call. */
RONDA_API const char *ronda_store_errmsg(const ronda_store *s);

/* Database failures of all stores of this process since it started, of `kind`
 * (RONDA_ERR_DB or one of RONDA_ERR_DB_*; 0 for any other code), for /metrics. */
RONDA_API uint64_t ronda_store_db_errors(ronda_err kind);

RONDA_API void ronda_store_authority(const ronda_store *s, uint8_t out[RONDA_KEY_BYTES]);
RONDA_API void ronda_store_node(const ronda_store *s, uint8_t out[RONDA_KEY_BYTES]);

/* Explicit transactions, for batches. Without one, each apply/append commits alone. */
RONDA_API ronda_err ronda_store_begin(ronda_store *s) RONDA_MUST_CHECK;
RONDA_API ronda_err ronda_store_commit(ronda_store *s) RONDA_MUST_CHECK;
RONDA_API void ronda_store_rollback(ronda_store *s);

/* Stateful checks and storage of a record already opened with ronda_record_open*().
 * On RONDA_OK *outcome says what happened. On an error nothing was stored and `detail`
 * explains. Fork evidence is bounded: at most one record beside the one held per
 * (author, seq), none above the author's lowest fork seq (RONDA_ERR_EXISTS for a surplus
 * one); a forked author's chain is frozen, so no record beyond its held head is stored
 * (RONDA_ERR_REVOKED). */
RONDA_API ronda_err ronda_store_apply(ronda_store *s, const ronda_record *rec, ronda_outcome *outcome,
                                      ronda_detail *detail) RONDA_MUST_CHECK;

/* Open + apply of one encoded record. */
RONDA_API ronda_err ronda_store_ingest(ronda_store *s, const uint8_t *bytes, size_t len, ronda_outcome *outcome,
                                       ronda_detail *detail) RONDA_MUST_CHECK;

/* The wall clock that ronda_store_apply checks a record's time against: a record more
 * than RONDA_CLOCK_AHEAD_MAX_MS ahead of it is refused with RONDA_ERR_FUTURE (and stored
 * when it comes again once the clock allows it). Default (now == NULL): CLOCK_REALTIME.
 * The simulator and tests inject their own time; `ctx` is passed to `now` unchanged. The store
 * keeps both and calls `now` from each later ronda_store_apply (also within ingest, append and
 * import) on the thread that makes it, until another ronda_store_set_clock or
 * ronda_store_close: `ctx` must stay valid that long (the store never frees it). */
RONDA_API void ronda_store_set_clock(ronda_store *s, ronda_wall (*now)(void *ctx), void *ctx);

/* The daemon's estimate of this node's clock offset from its peers' (this clock minus
 * theirs, ms: positive when this clock is ahead) and the wall time it was measured at,
 * kept in meta for other processes (`ronda record`, `ronda status`). RONDA_ERR_NOT_FOUND
 * when none was written (or the row is unreadable). */
RONDA_API ronda_err ronda_store_set_clock_offset(ronda_store *s, int64_t offset_ms,
                                                 ronda_wall measured) RONDA_MUST_CHECK;
RONDA_API ronda_err ronda_store_clock_offset(ronda_store *s, int64_t *offset_ms, ronda_wall *measured) RONDA_MUST_CHECK;

/* Append a local record: next seq, prev = current head, HLC from now_ms and the largest
 * HLC held (another author's counted at most RONDA_CLOCK_AHEAD_MAX_MS past now_ms, so a
 * far-future record held cannot push ours past our membership; our own previous record's
 * is always exceeded); signs with `secret` (whose public half is the author) and applies it with the
 * same checks as any record. On success id_out (may be NULL) gets the new record's id. */
RONDA_API ronda_err ronda_store_append(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], ronda_kind kind,
                                       const uint8_t *body, size_t body_len, uint64_t now_ms,
                                       uint8_t id_out[RONDA_ID_BYTES], ronda_detail *detail) RONDA_MUST_CHECK;

/* The frontier entry of one author: its last seq and that record's id. */
RONDA_API ronda_err ronda_store_head(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t *seq,
                                     uint8_t id[RONDA_ID_BYTES]) RONDA_MUST_CHECK;

/* A member as the roster holds it (the latest member record for its key, by validity start). */
typedef struct ronda_member_info {
    char name[RONDA_NAME_MAX + 1];
    char polres[RONDA_NAME_MAX + 1], polsek[RONDA_NAME_MAX + 1]; /* "" when the record has none */
    char endpoint[RONDA_NAME_MAX + 1];                           /* "" when none */
    int role;                                                    /* ronda_role (include/ronda/body.h) */
    uint64_t valid_from, valid_until;                            /* ms since the epoch */
    uint8_t curve_key[RONDA_KEY_BYTES];
    int has_curve_key;
    int revoked; /* a revocation of the key is held */
} ronda_member_info;

/* The roster's member for a signing key; RONDA_ERR_NOT_FOUND when the key was never
 * admitted. (ronda_store_member, include/ronda/json.h, gives it as JSON.) */
RONDA_API ronda_err ronda_store_member_info(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES],
                                            ronda_member_info *out) RONDA_MUST_CHECK;

typedef struct ronda_stats {
    uint64_t records;                 /* records in the ledger (fork evidence not counted) */
    uint64_t authors;                 /* chains in the frontier */
    uint64_t forks;                   /* fork-evidence records */
    uint64_t fork_seqs;               /* (author, seq)s with fork evidence: the forks found */
    uint64_t suspects;                /* records the last view check found no longer verify (left out of reports) */
    uint64_t dialogues;               /* derived: dialogues */
    uint64_t topics;                  /* derived: topics raised */
    uint64_t resolutions;             /* derived: resolution records */
    uint64_t members;                 /* derived: member records */
    uint64_t revoked;                 /* derived: revoked members */
    uint8_t digest[RONDA_HASH_BYTES]; /* ledger digest (proto/record.md) */
} ronda_stats;

RONDA_API ronda_err ronda_store_stats(ronda_store *s, ronda_stats *out) RONDA_MUST_CHECK;

/* A stored record as its columns hold it. Borrowed: the struct and every pointer in it are
 * valid during the callback only (they view SQLite's row): copy what you keep. */
typedef struct ronda_row {
    int64_t rowid;
    int fork; /* 1 for a fork-evidence record */
    const uint8_t *id, *author;
    uint64_t seq, hlc;
    const char *kind;
    const uint8_t *envelope, *signature, *body;
    size_t envelope_len, signature_len, body_len;
} ronda_row;

/* Calls cb for every record in arrival order, then for every fork-evidence record.
 * A non-zero return from cb stops the walk and is returned as RONDA_ERR_INVALID.
 * `author` (may be NULL) restricts the walk to one author. `row` is borrowed (ronda_row). */
RONDA_API ronda_err ronda_store_each(ronda_store *s, const uint8_t *author, int (*cb)(void *ctx, const ronda_row *row),
                                     void *ctx) RONDA_MUST_CHECK;

/* Resolve a full or prefix (>= 8 hex digits) id; RONDA_ERR_NOT_FOUND or RONDA_ERR_INVALID
 * (ambiguous or malformed). */
RONDA_API ronda_err ronda_store_resolve(ronda_store *s, const char *hex, uint8_t id[RONDA_ID_BYTES]) RONDA_MUST_CHECK;

/* Filters of ronda_store_query; NULL/0 means "any". Dates are YYYY-MM-DD, inclusive,
 * compared with the dialogue's local date. */
typedef struct ronda_query {
    const char *polres, *polsek, *programme, *category, *status;
    const char *date_from, *date_to;
    const char *text; /* full-text search (FTS5 syntax is escaped: words are ANDed) */
    unsigned limit;
} ronda_query;

/* One topic matching a query (ronda_store_query_rows), with its dialogue's fields and current
 * status; strings are borrowed for the callback (NULL when absent). */
typedef struct ronda_query_row {
    uint8_t dialogue[RONDA_ID_BYTES];
    const char *polres, *polsek, *programme, *title, *when, *village, *venue;
    int has_participants;
    int64_t participants;
    int64_t topic; /* its index in the dialogue */
    const char *category, *summary;
    const char *status; /* "open" when not followed up */
    const char *referred_to, *action, *status_when;
    int has_resolution;
    uint8_t resolution[RONDA_ID_BYTES]; /* the follow-up that gives the status */
} ronda_query_row;

/* Every topic matching the filters (at most q->limit, 0: RONDA_QUERY_ROWS_DEFAULT), in
 * dialogue time order, to `cb` (non-zero stops). RONDA_ERR_INVALID for a search text without
 * a word. */
RONDA_API ronda_err ronda_store_query_rows(ronda_store *s, const ronda_query *q,
                                           int (*cb)(void *ctx, const ronda_query_row *row),
                                           void *ctx) RONDA_MUST_CHECK;

/* A follow-up of a dialogue as the views hold it (ronda_record_view). */
typedef struct ronda_resolution_row {
    uint8_t id[RONDA_ID_BYTES];
    int64_t topic;
    const char *status, *referred_to, *action, *when; /* referred_to NULL unless referred */
    int has_author_name;
    char author_name[RONDA_NAME_MAX + 1];
} ronda_resolution_row;

/* A record as `ronda show` shows it: opened (or why not), who wrote it, and for a dialogue
 * its view: the follow-ups that name it and its current body (after amendments). */
typedef struct ronda_record_view {
    uint8_t id[RONDA_ID_BYTES];
    int fork_evidence;   /* held as fork evidence, not in the ledger */
    ronda_err error;     /* RONDA_OK when it verifies (signature, body hash, schema) */
    ronda_detail detail; /* why not */
    ronda_record rec;    /* opened, when it verifies (body and typed body: the view's copy) */
    int has_author_name;
    char author_name[RONDA_NAME_MAX + 1]; /* "authority" for the authority */
    uint64_t forked_at;                   /* its author's lowest fork seq; 0: none */
    int frozen;                           /* at or beyond it: in no view */
    int has_view;                         /* a dialogue: the fields below */
    ronda_resolution_row *resolutions;    /* oldest first */
    size_t nresolutions;
    int has_current;    /* the current body is held and decodes */
    ronda_body current; /* the latest amendment's body, or the dialogue's own */
    int64_t amendments;
    struct ronda_record_view_mem *mem; /* owned: ronda_record_view_free */
} ronda_record_view;

/* The record `id` (ledger or fork evidence) as a view; RONDA_ERR_NOT_FOUND when neither
 * holds it. A record that does not verify is RONDA_OK with v->error set. The caller
 * ronda_record_view_free's *v (also safe on a zeroed or freed one). */
RONDA_API ronda_err ronda_store_record_view(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                            ronda_record_view *v) RONDA_MUST_CHECK;
RONDA_API void ronda_record_view_free(ronda_record_view *v);

/* Drop and rebuild every derived table (frontier, roster, dialogues, topics, resolutions,
 * search index) from the records alone. */
RONDA_API ronda_err ronda_store_rebuild(ronda_store *s) RONDA_MUST_CHECK;
/* The same, calling `progress` (when not NULL) every RONDA_BATCH_MAX records with the
 * records replayed so far and the total (no pointer but `ctx`, passed unchanged). */
RONDA_API ronda_err ronda_store_rebuild_progress(ronda_store *s,
                                                 void (*progress)(void *ctx, uint64_t done, uint64_t total),
                                                 void *ctx) RONDA_MUST_CHECK;

/* ---- verification of a whole database (ronda verify) */

/* What a finding is about: compare these, never the name. ronda_finding_kind_name() gives
 * the name reports print ("record", "chain", ...; proto/record.md §8, docs/audit.md). */
typedef enum ronda_finding_kind {
    RONDA_FINDING_RECORD = 1,    /* a record that does not verify (signature, body hash, columns) */
    RONDA_FINDING_CHAIN,         /* a gap or a broken link in an author's chain */
    RONDA_FINDING_MEMBERSHIP,    /* written by a non-member, or in a role that may not write the kind */
    RONDA_FINDING_FORK,          /* two records for one (author, seq) */
    RONDA_FINDING_FORK_EVIDENCE, /* stored fork evidence that does not hold */
    RONDA_FINDING_FRONTIER,      /* the frontier table disagrees with the records */
    RONDA_FINDING_STORE,         /* the append-only triggers are gone */
    RONDA_FINDING_WITHHELD,      /* records a checkpoint names are not held */
    RONDA_FINDING_CHECKPOINT,    /* a checkpoint incomplete or inconsistent with itself */
    RONDA_FINDING_REFERENCE,     /* an amend target or resolution dialogue not held */
    RONDA_FINDING_WITNESS,       /* a cosignature that does not hold, or names a checkpoint not held */
    RONDA_FINDING_PLACE,         /* a dialogue filed for a place its author is not admitted for */
    RONDA_FINDING_VIEW,          /* a derived view that differs from the records */
    RONDA_FINDING_TRUNCATED,     /* a kept note names what is no longer held */
    RONDA_FINDING_REWRITTEN,     /* a kept note names another record, size or root */
    RONDA_FINDING_NOTE,          /* a kept note that cannot be read or does not verify */
    RONDA_FINDING_BUNDLE,        /* a bundle refused, or not the digest its header declares */
    RONDA_FINDING_EXCLUDED,      /* not a finding: a record held after its author's revocation */
    RONDA_FINDING__COUNT
} ronda_finding_kind;

/* The name of a kind, as reports print it ("fork-evidence" for RONDA_FINDING_FORK_EVIDENCE);
 * "other" for a value outside the enum. A static string. */
RONDA_API const char *ronda_finding_kind_name(ronda_finding_kind k);

typedef struct ronda_finding {
    ronda_finding_kind kind; /* what the finding is about */
    const char *what;        /* ronda_finding_kind_name(kind): for output only */
    ronda_err err;           /* the check that failed */
    int64_t rowid;           /* 0 when not about one row */
    uint8_t id[RONDA_ID_BYTES];
    uint8_t author[RONDA_KEY_BYTES];
    uint64_t seq;
    char detail[240];
    /* Structured parts, for reports that explain a finding in plain words (all optional;
     * NULL / has_dialogue 0 when the finding has none; the strings live only during the
     * callback: copy what you keep). */
    int has_dialogue; /* the finding is about this dialogue (its original record) */
    uint8_t dialogue[RONDA_ID_BYTES];
    const char *field;         /* the field that differs ("title", "participants", "status", ...) */
    const char *records_value; /* what the signed records say about it */
    const char *view_value;    /* what the derived view (or the stored copy) says */
} ronda_finding;

typedef struct ronda_verify_summary {
    uint64_t records;   /* records checked */
    uint64_t authors;   /* chains checked */
    uint64_t forks;     /* fork-evidence records */
    uint64_t fork_seqs; /* forks found: (author, seq)s with fork evidence, one finding each */
    uint64_t findings;  /* problems found (forks included) */
    uint64_t excluded;  /* held records written after their author's revocation (not findings:
                           they arrived before the revoke; they are outside digest and views) */
} ronda_verify_summary;

/* What one check of the derived views found (ronda_store_check_views). */
typedef struct ronda_view_check {
    uint64_t rows;          /* rows compared, both sides (records' rebuild and stored views) */
    uint64_t disagreements; /* rows or fields that differ (each a finding, up to
                               RONDA_VIEW_FINDINGS_MAX of them; the rest counted) */
    uint64_t suspects;      /* records that no longer open from their stored bytes */
} ronda_view_check;

/* Rebuild every derived table (roster, dialogues, topics, follow-ups, topic status, report
 * rows, amendments, the search index) from the records alone into this connection's private
 * temporary schema (a file, so memory stays flat), as `ronda rebuild` would, and compare each
 * with the stored table: both read in key order, one merge walk. Each difference goes to `cb`
 * (may be NULL) as a finding of class "view" (err RONDA_ERR_VIEW) with the dialogue it is
 * about (has_dialogue, dialogue), the field, what the records say and what the view says;
 * detail names the dialogue by title, Polsek and date. When the database may be written, the
 * records that no longer verify replace the `suspect` table, which every report and page
 * leaves out. Call it outside a transaction; it reads one snapshot. *out is written when the
 * check ran: RONDA_OK when the views agree, RONDA_ERR_VIEW when they do not (`ronda rebuild`
 * repairs them); any other code: the check could not run. `f` is borrowed: it and its strings
 * are valid during the call of `cb` only. */
RONDA_API ronda_err ronda_store_check_views(ronda_store *s, void (*cb)(void *ctx, const ronda_finding *f), void *ctx,
                                            ronda_view_check *out) RONDA_MUST_CHECK;

/* Re-check every record's canonical form, signature, body hash, id and index columns,
 * every chain link, membership at the time of writing (from the authority's records, not
 * the derived roster), the fork evidence, the frontier and the append-only triggers, then
 * the derived views against the records (ronda_store_check_views: its findings, class
 * "view", go to cb and count in `findings`).
 * `threads` verify signatures in parallel (0 = as many as cores); `cb` runs on the caller's
 * thread, and `f` is borrowed: it and its strings are valid during the call only. */
RONDA_API ronda_err ronda_store_verify(ronda_store *s, unsigned threads, void (*cb)(void *ctx, const ronda_finding *f),
                                       void *ctx, ronda_verify_summary *out) RONDA_MUST_CHECK;

/* ---- feeds for replication (src/sync) */

/* Ledger digest and author count from the frontier alone: O(authors), for every round. */
RONDA_API ronda_err ronda_store_digest(ronda_store *s, uint8_t digest[RONDA_HASH_BYTES],
                                       uint64_t *authors) RONDA_MUST_CHECK;

/* Calls cb for each frontier entry, ascending by author. A non-zero return stops. A chain
 * forked at seq 1 (frontier seq 0) is left out here; ronda_store_frontier_forks has it.
 * `author` and `head` (RONDA_KEY_BYTES, RONDA_ID_BYTES) are borrowed: valid during the call. */
RONDA_API ronda_err ronda_store_frontier(ronda_store *s,
                                         int (*cb)(void *ctx, const uint8_t *author, uint64_t seq, const uint8_t *head),
                                         void *ctx) RONDA_MUST_CHECK;
/* The same with each entry's fork seq: the lowest seq of the author's fork evidence, 0 when
 * none. A forked chain's entry is (seq - 1, id of that record), frozen (proto/record.md §6);
 * forked at seq 1 it is (0, 32 zero bytes). `author` and `head` are borrowed, as above. */
RONDA_API ronda_err ronda_store_frontier_forks(ronda_store *s,
                                               int (*cb)(void *ctx, const uint8_t *author, uint64_t seq,
                                                         const uint8_t *head, uint64_t fork_seq),
                                               void *ctx) RONDA_MUST_CHECK;
/* The entries of ronda_store_frontier_forks whose author changed after store row `row` and
 * fork row `fork_row` (ronda_store_last_rowid): a record of theirs, fork evidence, or a
 * revocation of them stored since. Costs what changed, not the authors: a delta frontier
 * (proto/sync.md, "Delta frontiers"). */
RONDA_API ronda_err ronda_store_frontier_since(ronda_store *s, int64_t row, int64_t fork_row,
                                               int (*cb)(void *ctx, const uint8_t *author, uint64_t seq,
                                                         const uint8_t *head, uint64_t fork_seq),
                                               void *ctx) RONDA_MUST_CHECK;
/* The lowest seq of the author's fork evidence, 0 when none. */
RONDA_API ronda_err ronda_store_fork_seq(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES],
                                         uint64_t *seq) RONDA_MUST_CHECK;
/* The fork evidence of (author, seq): the lowest two ids of the versions held for it, in the
 * ledger or as evidence, ascending (proto/record.md §3 step 7); *n is how many (2 for a fork
 * found, fewer when there is none). Every node that has seen the same versions has the same. */
RONDA_API ronda_err ronda_store_fork_pair(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                                          uint8_t pair[2][RONDA_ID_BYTES], unsigned *n) RONDA_MUST_CHECK;
/* The id of the author's record `seq` held in the ledger; RONDA_ERR_NOT_FOUND when none. */
RONDA_API ronda_err ronda_store_id_at(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                                      uint8_t id[RONDA_ID_BYTES]) RONDA_MUST_CHECK;
/* The fork evidence held for (author, seq), encoded, to cb (at most two: evidence is
 * bounded, see ronda_store_apply). `rec` (len bytes) is borrowed: valid during the call. */
RONDA_API ronda_err ronda_store_forks_at(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq,
                                         int (*cb)(void *ctx, const uint8_t *rec, size_t len),
                                         void *ctx) RONDA_MUST_CHECK;

/* Encoded records of one author from seq `from`, at most max_count of them and (beyond the
 * first) at most max_bytes in all, to cb in seq order. `rec` (len bytes) is borrowed: valid
 * during the call (ronda_record_open on it views it: copy the bytes to keep the record). */
RONDA_API ronda_err ronda_store_range(ronda_store *s, const uint8_t author[RONDA_KEY_BYTES], uint64_t from,
                                      size_t max_count, size_t max_bytes,
                                      int (*cb)(void *ctx, const uint8_t *rec, size_t len), void *ctx) RONDA_MUST_CHECK;

/* Members live at now_ms give or take RONDA_CLOCK_AHEAD_MAX_MS (valid, writing or not, and
 * not revoked: a node whose clock is a little off still admits and dials them), to cb with their keys,
 * endpoint (NULL when none) and name. For the transport's allowlist and peer choice. All
 * four are borrowed (keys of RONDA_KEY_BYTES, NUL-ended strings): valid during the call. */
RONDA_API ronda_err ronda_store_live_members(ronda_store *s, uint64_t now_ms,
                                             int (*cb)(void *ctx, const uint8_t *sign_key, const uint8_t *curve_key,
                                                       const char *endpoint, const char *name),
                                             void *ctx) RONDA_MUST_CHECK;

/* The largest rowid of records (fork = 0) or fork evidence (fork = 1); 0 when empty. */
RONDA_API ronda_err ronda_store_last_rowid(ronda_store *s, int fork, int64_t *rowid) RONDA_MUST_CHECK;

/* Encoded records (fork = 0) or fork evidence (fork = 1) with rowid > after, in rowid order,
 * at most max_count, to cb with their rowid and id. `id` and `rec` (len bytes) are borrowed:
 * valid during the call. */
RONDA_API ronda_err ronda_store_since(ronda_store *s, int fork, int64_t after, size_t max_count,
                                      int (*cb)(void *ctx, int64_t rowid, const uint8_t *id, const uint8_t *rec,
                                                size_t len),
                                      void *ctx) RONDA_MUST_CHECK;

/* ---- backup and the restore guard (docs/operations.md) */

/* Write a consistent copy of the whole database to `path` (which must not exist) with
 * SQLite's online backup API, from one read snapshot: it works while another process
 * (`ronda run`, `ronda record`) writes. The copy is written beside `path` and renamed into
 * place once complete and checked, so `path` never holds half a backup. `progress`, when
 * not NULL, is called with pages copied and total (no pointer but `ctx`, passed unchanged). */
RONDA_API ronda_err ronda_store_backup(ronda_store *s, const char *path,
                                       void (*progress)(void *ctx, uint64_t done, uint64_t total),
                                       void *ctx) RONDA_MUST_CHECK;

/* Whether this node may append. A restored node may be behind its own history: records it
 * wrote after the backup may live at its peers. Appending then would write a second record
 * for a seq already taken, a fork. So a restored node refuses to append (RONDA_ERR_BEHIND)
 * until a peer confirms its head, and a node that sees a peer hold its own author at a
 * higher seq than it does refuses until it has fetched up to that seq. */
typedef enum ronda_guard {
    RONDA_GUARD_NONE = 0,     /* may append */
    RONDA_GUARD_RESTORED = 1, /* restored from a backup; no peer has confirmed our head yet */
    RONDA_GUARD_BEHIND = 2,   /* a verified record of our own author at `seq` is held by a peer, not by us */
    RONDA_GUARD_FORKED = 3,   /* our own chain forked at `seq` (evidence held): this key writes no more */
} ronda_guard;

RONDA_API ronda_err ronda_store_guard(ronda_store *s, ronda_guard *state, uint64_t *seq) RONDA_MUST_CHECK;
RONDA_API ronda_err ronda_store_set_guard(ronda_store *s, ronda_guard state, uint64_t seq) RONDA_MUST_CHECK;
/* Short name of a guard state: "none", "restored", "behind", "forked". FORKED is not stored:
 * ronda_store_guard derives it from fork evidence of this node's own key, and it outranks
 * the stored state (no --confirm lifts it; docs/operations.md says what does). */
RONDA_API const char *ronda_guard_name(ronda_guard state);

#endif
