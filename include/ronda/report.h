/* Reports and read-only queries over the merged ledger, for HQ: `ronda report` and the HTTP
 * API (src/http) are their two users.
 *
 * Everything here reads the derived views (src/store/views.c) and gives typed results: the
 * report as a struct, lists as rows handed to a callback. Their JSON (the CLI's --json, the
 * HTTP API) is made at the edges: include/ronda/json.h. Records written after their
 * author's revocation stay out of every figure, as in ronda_store_query(). */
#ifndef RONDA_REPORT_H
#define RONDA_REPORT_H

#include <stdint.h>

#include "ronda/ronda.h"

/* How a report is grouped. */
typedef enum ronda_report_by {
    RONDA_REPORT_BY_POLRES = 0,
    RONDA_REPORT_BY_POLSEK,
    RONDA_REPORT_BY_PROGRAMME,
    RONDA_REPORT_BY_MONTH, /* the dialogue's local month, YYYY-MM */
} ronda_report_by;

/* Parse "polres", "polsek", "programme", "month"; RONDA_ERR_INVALID otherwise. */
RONDA_API ronda_err ronda_report_by_parse(const char *name, ronda_report_by *out) RONDA_MUST_CHECK;
RONDA_API const char *ronda_report_by_name(ronda_report_by by);

/* Filters shared by reports and lists; NULL or "" means "any". Dates are YYYY-MM-DD,
 * inclusive, compared with the dialogue's local date. */
typedef struct ronda_filter {
    const char *polres, *polsek, *programme;
    const char *category; /* lists only: a topic of this category */
    const char *status;   /* lists only: a topic whose current status is this */
    const char *date_from, *date_to;
    const char *text; /* lists only: full-text words, all of which must match */
} ronda_filter;

/* Check a filter's values (lengths, date form, known category and status); on an error
 * `detail` names the field and what is wrong. */
RONDA_API ronda_err ronda_filter_check(const ronda_filter *f, ronda_detail *detail) RONDA_MUST_CHECK;

/* A count by name: the stakeholders follow-ups were referred to. */
typedef struct ronda_named_count {
    const char *name;
    uint64_t n;
} ronda_named_count;

/* One group of a report (or its total). Strings are the report's (valid until
 * ronda_report_free). */
typedef struct ronda_report_group {
    const char *key;    /* the group's Polres, Polsek, programme or "YYYY-MM"; "" in the total */
    const char *polres; /* by Polsek: the Polsek's Polres; NULL otherwise */
    uint64_t dialogues, participants, topics;
    uint64_t categories[RONDA_CATEGORY_COUNT]; /* topics by ronda_category (include/ronda/body.h) */
    /* Topics by their current follow-up: none yet (open), in progress, referred, resolved. */
    uint64_t open, in_progress, referred, resolved;
    uint64_t overdue;                     /* open or in progress, the dialogue more than overdue_days old */
    const ronda_named_count *referred_to; /* to whom the referred ones went, in first-seen order */
    size_t n_referred_to;
    int has_median;     /* 0 when no topic is resolved */
    double median_days; /* median days from dialogue to resolution, to one decimal */
} ronda_report_group;

/* A report: its groups ascending by key (by Polsek: by Polres, then Polsek) and the total. */
typedef struct ronda_report {
    ronda_report_by by;
    unsigned overdue_days;
    const ronda_report_group *groups;
    size_t n_groups;
    ronda_report_group total;
    struct ronda_report_mem *mem; /* owned: ronda_report_free */
} ronda_report;

/* The report over the dialogues the filter matches, in one pass of the views: per group,
 * dialogues held, participants, topics by category, follow-ups (open: no follow-up yet,
 * in_progress, referred with to whom, resolved), median days from dialogue to resolution,
 * and follow-ups overdue (open or in progress, dialogue more than overdue_days before
 * now_ms). RONDA_ERR_TOO_BIG when there are more than RONDA_REPORT_GROUPS_MAX groups;
 * RONDA_ERR_INVALID for an unknown grouping or overdue_days beyond RONDA_OVERDUE_DAYS_MAX.
 * On success the caller ronda_report_free's *out (also safe on a zeroed or freed one). */
RONDA_API ronda_err ronda_report_build(ronda_store *s, const ronda_filter *f, ronda_report_by by, unsigned overdue_days,
                                       int64_t now_ms, ronda_report *out) RONDA_MUST_CHECK;
RONDA_API void ronda_report_free(ronda_report *r);

/* One dialogue of a list. Strings are borrowed for the callback (NULL when the dialogue has
 * none: village, venue). */
typedef struct ronda_dialogue_row {
    uint8_t id[RONDA_ID_BYTES];
    const char *polres, *polsek, *programme, *title, *when, *village, *venue;
    int64_t when_ms;
    int has_participants;
    int64_t participants;
    int64_t amendments, topics, open; /* open: topics without a follow-up or in progress */
} ronda_dialogue_row;

/* Dialogues matching the filter, newest first: at most `limit` (0: RONDA_LIST_LIMIT_DEFAULT,
 * else 1..RONDA_LIST_LIMIT_MAX) after skipping `offset` (<= RONDA_LIST_OFFSET_MAX), each
 * handed to `cb` (non-zero stops); *more says whether rows follow the page. */
RONDA_API ronda_err ronda_store_dialogue_rows(ronda_store *s, const ronda_filter *f, unsigned offset, unsigned limit,
                                              int (*cb)(void *ctx, const ronda_dialogue_row *row), void *ctx,
                                              int *more) RONDA_MUST_CHECK;

/* One follow-up (a topic with its current status) of a list; strings borrowed for the
 * callback (NULL when absent: referred_to, action and status_when of a topic not followed
 * up yet). */
typedef struct ronda_followup_row {
    uint8_t dialogue[RONDA_ID_BYTES];
    const char *polres, *polsek, *programme, *title, *when;
    int64_t when_ms;
    int64_t topic; /* its index in the dialogue */
    const char *category, *summary;
    const char *status; /* "open", "in_progress", "referred", "resolved" */
    const char *referred_to, *action, *status_when;
    int64_t days_since; /* whole days from the dialogue to now_ms */
} ronda_followup_row;

/* Follow-ups in one state: "open" (no follow-up yet or in progress), "overdue" (open and
 * older than overdue_days), "in_progress", "referred", "resolved", or "all" (NULL: "open");
 * oldest dialogue first; paging and `cb` as ronda_store_dialogue_rows. RONDA_ERR_INVALID for
 * another state. */
RONDA_API ronda_err ronda_store_followup_rows(ronda_store *s, const ronda_filter *f, const char *state,
                                              unsigned overdue_days, int64_t now_ms, unsigned offset, unsigned limit,
                                              int (*cb)(void *ctx, const ronda_followup_row *row), void *ctx,
                                              int *more) RONDA_MUST_CHECK;

/* A topic of one dialogue with its current follow-up (strings borrowed for the callback;
 * referred_to, action and status_when NULL when not followed up). */
typedef struct ronda_topic_row {
    int64_t topic;
    const char *category, *summary, *status, *referred_to, *action, *status_when;
} ronda_topic_row;

/* Every topic of the current body of `dialogue`, in order, to `cb` (non-zero stops). */
RONDA_API ronda_err ronda_store_topic_rows(ronda_store *s, const uint8_t dialogue[RONDA_ID_BYTES],
                                           int (*cb)(void *ctx, const ronda_topic_row *row),
                                           void *ctx) RONDA_MUST_CHECK;

/* An amendment of a record, by time (its reason borrowed for the callback). */
typedef struct ronda_amendment_row {
    uint8_t id[RONDA_ID_BYTES];
    const char *reason;
} ronda_amendment_row;

/* The amendments of `target` (at most RONDA_LIST_LIMIT_MAX), oldest first, to `cb`. */
RONDA_API ronda_err ronda_store_amendment_rows(ronda_store *s, const uint8_t target[RONDA_ID_BYTES],
                                               int (*cb)(void *ctx, const ronda_amendment_row *row),
                                               void *ctx) RONDA_MUST_CHECK;

/* The roster and the ledger's health (the dashboard's network page). Strings belong to the
 * view (NULL when the column is). */
typedef struct ronda_network_member {
    uint8_t key[RONDA_KEY_BYTES];
    int has_key;
    const char *name, *polres, *polsek, *role, *endpoint;
    int64_t valid_from, valid_until;
    int revoked;
    int64_t forked_at; /* its lowest fork seq (frozen below it); 0 when not forked */
    int64_t records;   /* its chain's length */
    int has_last_record;
    uint64_t last_record_ms;
} ronda_network_member;
typedef struct ronda_network_revocation {
    uint8_t member[RONDA_KEY_BYTES];
    int has_member;
    int64_t last_seq;
    const char *reason, *name;
} ronda_network_revocation;
typedef struct ronda_network_fork {
    uint8_t id[RONDA_ID_BYTES], author[RONDA_KEY_BYTES], other[RONDA_ID_BYTES];
    int has_id, has_author, has_other;
    int64_t seq;
    const char *kind, *author_name;
    uint64_t hlc_ms;
} ronda_network_fork;
typedef struct ronda_network_frozen {
    uint8_t author[RONDA_KEY_BYTES];
    int has_author;
    int64_t fork_seq; /* frozen at fork_seq - 1 */
    const char *name;
} ronda_network_frozen;
typedef struct ronda_network {
    ronda_network_member *members; /* the latest membership of each key, by Polres, role, name (<= 10,000) */
    size_t nmembers;
    ronda_network_revocation *revocations; /* <= 10,000 */
    size_t nrevocations;
    ronda_network_fork *forks; /* the newest 100 fork-evidence records */
    size_t nforks;
    int64_t fork_count;           /* all of them */
    ronda_network_frozen *frozen; /* forked chains */
    size_t nfrozen;
    uint8_t digest[RONDA_HASH_BYTES]; /* the ledger digest over `authors` authors */
    uint64_t authors;
    uint8_t node[RONDA_KEY_BYTES]; /* this node's key */
    struct ronda_network_mem *mem; /* owned: ronda_network_free */
} ronda_network;

/* The network view; the caller ronda_network_free's *out (also safe on a zeroed one). */
RONDA_API ronda_err ronda_store_network_view(ronda_store *s, ronda_network *out) RONDA_MUST_CHECK;
RONDA_API void ronda_network_free(ronda_network *n);

#endif
