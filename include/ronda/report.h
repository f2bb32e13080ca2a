/* Reports and read-only queries over the merged ledger, for HQ: `ronda report` and the HTTP
 * API (src/http) are their two users.
 *
 * Everything here reads the derived views (src/store/views.c) and returns JSON built with
 * jansson; the caller owns *out on success and frees it with json_decref(). Records written
 * after their author's revocation stay out of every figure, as in ronda_store_query(). */
#ifndef RONDA_REPORT_H
#define RONDA_REPORT_H

#include <stdint.h>
#include <jansson.h>

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

/* The report: per group, dialogues held, participants, topics by category, follow-ups
 * (open: no follow-up yet, in_progress, referred with to whom, resolved), median days from
 * dialogue to resolution, and follow-ups overdue (open or in progress, dialogue more than
 * overdue_days before now_ms). {"by", "overdue_days", "groups": [...], "total": {...}}.
 * RONDA_ERR_TOO_BIG when there are more than RONDA_REPORT_GROUPS_MAX groups. */
RONDA_API ronda_err ronda_store_report(ronda_store *s, const ronda_filter *f, ronda_report_by by, unsigned overdue_days,
                                       int64_t now_ms, json_t **out) RONDA_MUST_CHECK;

/* Dialogues matching the filter, newest first: {"items": [...], "more": bool}; at most
 * `limit` (1..RONDA_LIST_LIMIT_MAX) items after skipping `offset` (<= RONDA_LIST_OFFSET_MAX). */
RONDA_API ronda_err ronda_store_dialogues(ronda_store *s, const ronda_filter *f, unsigned offset, unsigned limit,
                                          json_t **out) RONDA_MUST_CHECK;

/* Follow-ups (topics with their current status) in one state: "open" (no follow-up yet or
 * in progress), "overdue" (open and older than overdue_days), "referred", "resolved", or
 * "all"; oldest dialogue first. {"items": [...], "more": bool}. */
RONDA_API ronda_err ronda_store_followups(ronda_store *s, const ronda_filter *f, const char *state,
                                          unsigned overdue_days, int64_t now_ms, unsigned offset, unsigned limit,
                                          json_t **out) RONDA_MUST_CHECK;

/* One dialogue for its page: ronda_store_show()'s picture plus each topic's current status,
 * every resolution and amendment with its author and whether its signature verifies now.
 * RONDA_ERR_NOT_FOUND when `id` is not a dialogue held. */
RONDA_API ronda_err ronda_store_dialogue(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                         json_t **out) RONDA_MUST_CHECK;

/* The roster and the ledger's health: members (with their chain's length and last record
 * time), revocations and fork evidence. */
RONDA_API ronda_err ronda_store_network(ronda_store *s, json_t **out) RONDA_MUST_CHECK;

#endif
