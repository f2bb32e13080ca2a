/* The audit report as data: everything `ronda audit` shows, built once from a store by
 * ronda_audit_report_build() and grouped as the reports need it (the findings with their
 * context and author, counts by kind, a summary by Polres and Polsek, every chain, the age
 * of each HQ's newest checkpoint, the notes checked). The renderers (the terminal, JSON and
 * the HTML page of the CLI) only read it; nothing here prints or chooses words.
 *
 * docs/audit.md says what an auditor reads in the report; docs/architecture.md where the
 * model sits between the audit (src/store/audit.c) and its renderers. */
#ifndef RONDA_AUDIT_REPORT_H
#define RONDA_AUDIT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/audit.h"
#include "ronda/store.h"
#include "ronda/witness.h"

/* A finding not about one author's chain (the store's triggers, a bundle, the frontier). */
#define RONDA_REPORT_NO_CHAIN SIZE_MAX

/* Polres and Polsek names the summary uses for chains without one (as the reports print). */
#define RONDA_REPORT_NETWORK "(network)"     /* the authority and unknown keys */
#define RONDA_REPORT_HQ "(HQ)"               /* a Polres's own node */
#define RONDA_REPORT_AUTHORITY "(authority)" /* the Polda's key */
#define RONDA_REPORT_UNKNOWN "(unknown key)" /* a key the roster does not name */
#define RONDA_REPORT_WHOLE "(whole ledger)"  /* findings of no chain */

/* One finding (or one excluded record) of the report. */
typedef struct ronda_report_finding {
    ronda_finding f;                /* as the audit gave it; its strings (field, records_value,
                                       view_value) are copies owned by the report, what is static */
    const char *author_name;        /* the author's name in the roster; NULL when unknown (owned) */
    size_t chain;                   /* index of its author's chain in `chains`, or RONDA_REPORT_NO_CHAIN */
    ronda_finding_context *context; /* ronda_store_explain (owned by the report); NULL for findings
                                       beyond RONDA_EXPLAIN_FINDINGS_MAX, excluded records, or
                                       when no store was read */
} ronda_report_finding;

/* One row of the summary by Polres and Polsek. */
typedef struct ronda_report_unit {
    char *polres, *polsek; /* owned; RONDA_REPORT_* for chains without one */
    uint64_t nodes;        /* chains (authors) of this unit */
    uint64_t records, dialogues, resolutions, checkpoints;
    uint64_t findings; /* findings about those chains (RONDA_REPORT_WHOLE: of no chain) */
} ronda_report_unit;

/* Whether an HQ's newest checkpoint is recent enough (--max-checkpoint-age). */
typedef enum ronda_report_age_warning {
    RONDA_AGE_OK = 0, /* no warning */
    RONDA_AGE_STALE,  /* older than max_age_ms before the ledger's newest record */
    RONDA_AGE_NONE    /* no checkpoint at all */
} ronda_report_age_warning;

typedef struct ronda_report_age {
    ronda_checkpoint_age age; /* as ronda_store_checkpoint_ages gave it */
    char *author_name;        /* the writer's name in the roster; NULL when unknown (owned) */
    uint64_t age_ms;          /* newest_ms - age.signed_ms (0 without a checkpoint) */
    ronda_report_age_warning warning;
} ronda_report_age;

/* One kept note checked (ronda_store_check_note); its findings are among the report's. */
typedef struct ronda_report_note {
    char *file; /* the name the caller gave (owned) */
    ronda_note_check check;
} ronda_report_note;

typedef struct ronda_audit_report {
    int audited;             /* 1: a store was audited; 0: the report holds only the caller's findings */
    ronda_audit_summary sum; /* ronda_store_audit's summary */
    ronda_stats stats;       /* the ledger's stats after the audit (its digest) */
    uint64_t audited_ms;     /* when: set by the caller (the library reads no clock); 0 until then */

    ronda_report_finding *findings; /* every finding, in the order the checks made them */
    size_t nfindings;
    ronda_report_finding *excluded; /* records after their author's revocation: notes, not findings */
    size_t nexcluded;
    uint64_t by_kind[RONDA_FINDING__COUNT]; /* findings per kind (index: ronda_finding_kind) */

    ronda_chain_info *chains; /* every author chain held, ascending by key, with its findings counted */
    size_t nchains;
    ronda_report_unit *units; /* grouped by Polres (first seen in chain order), then Polsek */
    size_t nunits;

    ronda_report_age *ages; /* every hq writer's newest checkpoint, ascending by key */
    size_t nages;
    ronda_report_age_warning ledger_warning; /* the ledger's newest checkpoint of all (audited only) */
    uint64_t ledger_age_ms;                  /* ... its age before the newest record */
    uint64_t newest_ms;                      /* the ledger's newest record (0: none) */
    uint64_t newest_cp_ms;                   /* its newest checkpoint (when any_cp) */
    int any_cp;
    uint64_t max_age_ms; /* the limit the warnings used */

    ronda_report_note *notes; /* in the order given */
    size_t nnotes;
} ronda_audit_report;

/* What to audit and how (all optional but max_age_ms). */
typedef struct ronda_audit_report_opts {
    unsigned threads;    /* signature checks in parallel (0: one per core) */
    uint64_t max_age_ms; /* warn when an HQ's newest checkpoint is older than this */
    /* Kept notes (ronda_store_check_note), each `note_text[k]` of `note_len[k]` bytes, named
     * `note_file[k]` in the report; all borrowed for the call. */
    const char *const *note_file;
    const char *const *note_text;
    const size_t *note_len;
    size_t nnotes;
    /* Findings the caller made before (a bundle refused), reported first; borrowed. */
    const ronda_finding *prior;
    size_t nprior;
    /* The digest a bundle's header declares: a RONDA_FINDING_BUNDLE finding when the
     * ledger's is another (NULL: not checked). */
    const uint8_t *expect_digest;
    /* Called every batch of records verified (may be NULL); ctx borrowed. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} ronda_audit_report_opts;

/* Audit `s` (ronda_store_audit, ronda_store_chains, ronda_store_checkpoint_ages, each note,
 * each finding's context) and group the results. `s` may be NULL: then the report holds
 * only opts->prior (a bundle that could not be read). On success *out is a new report the
 * caller frees with ronda_audit_report_destroy; on failure *out is untouched and the error
 * is the store's. */
RONDA_API ronda_err ronda_audit_report_build(ronda_store *s, const ronda_audit_report_opts *opts,
                                             ronda_audit_report **out) RONDA_MUST_CHECK;

/* Frees the report and sets *r to NULL; NULL and *r == NULL are fine. */
RONDA_API void ronda_audit_report_destroy(ronda_audit_report **r);

#endif
