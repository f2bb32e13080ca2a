/* The audit trail: checkpoints (an HQ signs the frontier it holds), the audit of a whole
 * ledger (ronda_store_verify plus checkpoint claims, references and fork evidence from
 * checkpoints), the chains an auditor's report lists, and the history of one dialogue.
 *
 * proto/record.md §4 (checkpoint) and §8 (audit rules) are the normative description;
 * docs/audit.md explains them to an auditor. Nothing here needs a running node. */
#ifndef RONDA_AUDIT_H
#define RONDA_AUDIT_H

#include <stdint.h>

#include "ronda/store.h"
#include "ronda/tree.h"

/* Append this node's checkpoint: its frontier (proto/record.md §6), the records it covers and
 * the ledger digest, signed with `secret` (an hq member's key; others are refused with
 * RONDA_ERR_ROLE). More than RONDA_CHECKPOINT_AUTHORS_MAX authors are written as consecutive
 * parts, all in one transaction. On success id_out (may be NULL) gets the first part's id and
 * *parts (may be NULL) the number of parts; on failure nothing was stored. */
RONDA_API ronda_err ronda_store_checkpoint(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], uint64_t now_ms,
                                           uint8_t id_out[RONDA_ID_BYTES], unsigned *parts,
                                           ronda_detail *detail) RONDA_MUST_CHECK;

typedef struct ronda_audit_summary {
    ronda_verify_summary verify; /* what ronda_store_verify found (its findings included below) */
    uint64_t checkpoints;        /* checkpoint records checked */
    uint64_t claims;             /* (author, seq, head) entries of checkpoints checked */
    uint64_t claims_held;        /* ... that name a record the ledger holds */
    uint64_t claims_revoked;     /* ... that name a record after its author's revocation (not held:
                                    a node may have dropped it; not a finding) */
    uint64_t references;         /* amend targets and resolution dialogues checked */
    uint64_t findings;           /* every finding, verify's included */
    uint64_t notes;              /* checkpoints carrying a note signature (each checked) */
    uint64_t cosigns;            /* cosign records checked (proto/record.md §4) */
    uint64_t roots;              /* checkpoints whose tree size and root were recomputed (proto/tree.md) */
    uint64_t roots_unchecked;    /* ... that could not be: an earlier epoch of the writer's tree lacks a
                                    record or a part (the findings that say so are reported) */
} ronda_audit_summary;

/* Audit the whole ledger of `s` from one snapshot: everything ronda_store_verify checks, then
 * every checkpoint (each claim held, consistent with the ledger and with other checkpoints;
 * parts complete; digest and record count consistent with its frontier), every amend target
 * and every resolution's dialogue and topic. Findings go to `cb` (kind RONDA_FINDING_RECORD,
 * _CHAIN, _MEMBERSHIP, _FORK, _FORK_EVIDENCE, _FRONTIER, _STORE, _VIEW, _PLACE, _WITHHELD,
 * _CHECKPOINT, _REFERENCE, _WITNESS: a cosignature that does not hold or names a checkpoint
 * not held). Each record held but excluded by its author's revocation (proto/record.md
 * §5) also goes to `cb`, with kind RONDA_FINDING_EXCLUDED: a note for the report, not a
 * finding (not counted in `findings`). The whole report, grouped, is
 * ronda_audit_report_build (ronda/audit_report.h). `progress` (may be NULL) is called every batch of records verified.
 * `threads` verify signatures in parallel (0 = one per core); both callbacks run on the
 * caller's thread. Borrowed: `f` and the strings it points to, valid during the call of `cb`
 * only (copy what you keep); `ctx` is passed to both unchanged. */
RONDA_API ronda_err ronda_store_audit(ronda_store *s, unsigned threads, void (*cb)(void *ctx, const ronda_finding *f),
                                      void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
                                      ronda_audit_summary *out) RONDA_MUST_CHECK;

/* One author chain held (ronda_store_chain_rows), and who signed it by the roster. */
typedef struct ronda_chain_info {
    uint8_t author[RONDA_KEY_BYTES];
    int authority; /* the network's authority key (no member record) */
    int known;     /* the roster holds a member record of the key */
    char name[RONDA_NAME_MAX + 1], polres[RONDA_NAME_MAX + 1], polsek[RONDA_NAME_MAX + 1]; /* "" when none */
    int role;           /* ronda_role (include/ronda/body.h); -1 for the authority or a key not known */
    int revoked;        /* a revocation of the key is held */
    uint64_t forked_at; /* the lowest seq of the chain's fork evidence (frozen below it); 0: none */
    uint64_t records;   /* records held */
    uint64_t first_seq, last_seq, first_ms, last_ms;
    uint64_t kinds[RONDA_KIND__COUNT]; /* records held by ronda_kind */
    uint64_t findings;                 /* set by the audit report (its findings about this chain); 0 here */
} ronda_chain_info;

/* Every author chain held, ascending by key, to `cb` (borrowed for the call; non-zero stops
 * the walk). For reports and the audit report. */
RONDA_API ronda_err ronda_store_chain_rows(ronda_store *s, int (*cb)(void *ctx, const ronda_chain_info *chain),
                                           void *ctx) RONDA_MUST_CHECK;
/* The signer of `key` as a chain names it (authority, known, name, polres, polsek, role,
 * revoked, forked_at of *out; the counts are left as they are). */
RONDA_API ronda_err ronda_store_signer(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES],
                                       ronda_chain_info *out) RONDA_MUST_CHECK;

/* One record of a dialogue's history (ronda_store_history_events). */
typedef struct ronda_history_event {
    uint8_t id[RONDA_ID_BYTES];
    ronda_kind kind;
    uint8_t author[RONDA_KEY_BYTES];
    ronda_chain_info signer; /* who signed it, by the roster (its counts are not set) */
    uint64_t seq, hlc, signed_ms;
    int verified;           /* signature, body, chain link and membership at its time hold */
    const char *problem;    /* why not, when not verified (static text); NULL when verified */
    const ronda_body *body; /* its typed body when the record opens; NULL when it does not */
} ronda_history_event;

/* The provenance of the dialogue that `id` names (the dialogue itself, or one of its
 * amendments or resolutions): the original, then each amendment, each resolution and the
 * amendments of those in hlc order, each to `cb` (borrowed for the call, bodies too; non-zero
 * stops). *dialogue gets the dialogue's id. RONDA_ERR_NOT_FOUND when no dialogue can be
 * found for `id`. */
RONDA_API ronda_err ronda_store_history_events(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                               uint8_t dialogue[RONDA_ID_BYTES],
                                               int (*cb)(void *ctx, const ronda_history_event *event),
                                               void *ctx) RONDA_MUST_CHECK;

/* ---- findings in plain words (src/store/explain.c) */

/* Missing seqs of one finding that are looked up one by one (the newest, nearest the
 * finding, first): a report names a few records, not a million; the count says the rest. */
#define RONDA_EXPLAIN_MISSING_MAX 32u
/* Checkpoints read (newest first) for the ids of missing seqs, when the next record's prev
 * does not give them: each is decoded whole (up to a body of 512 authors), and a checkpoint
 * names only heads, so the newest matter; hourly checkpoints give two days in 48. */
#define RONDA_EXPLAIN_CHECKPOINTS_MAX 48u
/* Findings of one audit that get a context (`ronda audit`): each costs a few indexed
 * lookups; beyond this the report lists them as the audit found them. */
#define RONDA_EXPLAIN_FINDINGS_MAX 5000u
/* Fields a fork's two versions can differ in: a body's fields (at most 13, a dialogue's)
 * and "kind" and "prev". */
#define RONDA_EXPLAIN_DIFFERENCES_MAX 16u

/* What the ledger still knows about the record a finding is about (ronda_store_explain), for
 * a report that says it in plain words. Strings belong to the context (NULL: not known);
 * static words ("records", "views") are the library's. */
typedef struct ronda_dialogue_ref { /* a dialogue as a report names it */
    uint8_t id[RONDA_ID_BYTES];
    const char *title, *programme, *polres, *polsek, *when;
    const char *from; /* "records", "fork evidence" or "views" (views are not signed) */
} ronda_dialogue_ref;

/* The roster's name and place of a signing key. */
typedef struct ronda_signer_ref {
    int kind; /* 0: not in the roster, 1: the authority, 2: a member (the fields below) */
    const char *name, *polres, *polsek, *role;
} ronda_signer_ref;

/* What the derived views (unsigned) still say of a record id. */
typedef struct ronda_views_said {
    int known;        /* the views know it (kind below) */
    const char *kind; /* "dialogue", "resolution" or "amend" */
    int has_topic;    /* a follow-up's: */
    int64_t topic;
    const char *status, *referred_to, *action, *when;
    const char *reason;                 /* a correction's */
    int has_dialogue;                   /* the dialogue it names is looked up (dialogue NULL: not found) */
    const ronda_dialogue_ref *dialogue; /* the dialogue it is about */
} ronda_views_said;

/* One seq of an author the ledger does not hold. */
typedef struct ronda_missing_record {
    uint64_t seq;
    int has_id;
    uint8_t id[RONDA_ID_BYTES]; /* from the next record's prev or a checkpoint's claim */
    const char *named_by[3];    /* "prev of the next record" / "checkpoint", "resolution", "fork evidence" */
    size_t n_named_by;
    const char *kind; /* what it was, when anything says (views, follow-ups, fork evidence) */
    ronda_views_said views;
    int64_t followed_up_by; /* follow-ups still naming it (a missing dialogue); 0: none */
    int has_fork_evidence;
    uint8_t fork_evidence[RONDA_ID_BYTES]; /* the other version of that seq */
} ronda_missing_record;

/* Both versions of a record whose author signed two for one (author, seq). */
typedef struct ronda_fork_versions {
    uint8_t author[RONDA_KEY_BYTES];
    ronda_signer_ref signer;
    uint64_t seq;
    uint8_t asked[RONDA_ID_BYTES];
    ronda_record versions[2]; /* the ledger's, the evidence's (their bytes: the owner's) */
    const char *differences[RONDA_EXPLAIN_DIFFERENCES_MAX]; /* body fields, "kind", "prev" that differ */
    size_t n_differences;
    const ronda_dialogue_ref *dialogue; /* NULL: none */
    struct ronda_explain_mem *mem;      /* owned by ronda_store_fork's caller; NULL within a context */
} ronda_fork_versions;

typedef struct ronda_finding_context {
    int has_author;
    uint8_t author[RONDA_KEY_BYTES];
    ronda_signer_ref author_ref;
    int record; /* 0: none, 1: held (the fields below), 2: not held or not verifying (views) */
    ronda_kind kind;
    uint64_t seq, hlc_ms;
    uint8_t id[RONDA_ID_BYTES];
    const char *held; /* "ledger" or "fork evidence" */
    int has_followup; /* a held follow-up's topic, status and action */
    int64_t topic;
    const char *status, *action;
    ronda_views_said record_views;      /* record 2: what the views say of it */
    const ronda_dialogue_ref *dialogue; /* the dialogue it is about; NULL: none */
    ronda_missing_record *missing;      /* a gap or withheld records: newest first */
    size_t nmissing;
    int has_missing;
    uint64_t missing_count;
    int has_names_missing; /* a reference finding: the record named but not held */
    uint8_t names_missing[RONDA_ID_BYTES];
    ronda_views_said names_missing_views;
    ronda_fork_versions *fork; /* a fork finding: both versions; NULL: none */
    struct ronda_explain_mem *mem;
} ronda_finding_context;

/* The context of a finding (its kind, err, id, author, seq and dialogue are read; its strings
 * are not). The caller ronda_finding_context_free's *out. */
RONDA_API ronda_err ronda_store_explain(ronda_store *s, const ronda_finding *f,
                                        ronda_finding_context *out) RONDA_MUST_CHECK;
RONDA_API void ronda_finding_context_free(ronda_finding_context *c);
/* Both versions of a forked record (`id` either): RONDA_ERR_NOT_FOUND when `id` is neither,
 * or the two do not both verify (the audit reports such evidence). The caller
 * ronda_fork_versions_free's *out. */
RONDA_API ronda_err ronda_store_fork(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                     ronda_fork_versions *out) RONDA_MUST_CHECK;
RONDA_API void ronda_fork_versions_free(ronda_fork_versions *v);

/* ---- proofs over the writers' trees (src/store/prove.c, proto/tree.md §5) */

/* A proof over an hq writer's tree (proto/tree.md §5), as its file holds it (the file is its
 * JSON: include/ronda/json.h). The byte fields are owned: ronda_proof_free. */
typedef struct ronda_proof {
    int consistency; /* 0: inclusion, 1: consistency */
    uint8_t authority[RONDA_KEY_BYTES], writer[RONDA_KEY_BYTES];
    uint8_t *record; /* inclusion: the record's bytes (envelope, signature, body) */
    size_t record_len;
    uint8_t *checkpoint; /* the (new) checkpoint's part 0 record bytes */
    size_t checkpoint_len;
    uint8_t *old; /* consistency: the old checkpoint's part 0 record bytes */
    size_t old_len;
    uint64_t index, size;        /* inclusion: the record's leaf and the tree's size */
    uint64_t old_size, new_size; /* consistency: the two trees' sizes */
    ronda_tree_hash path[RONDA_TREE_PROOF_MAX];
    unsigned path_len;
} ronda_proof;

/* An inclusion proof of the record `id` against checkpoint `checkpoint` (its part 0's id),
 * or, when NULL, against the newest checkpoint with a tree of any hq writer whose tree holds
 * the record. The tree is rebuilt from this ledger and must have the checkpoint's size and
 * root. RONDA_ERR_NOT_FOUND (d says why) when the record is not held or no checkpoint covers
 * it; RONDA_ERR_TAMPERED when the rebuilt tree is not the checkpoint's. On success the caller
 * ronda_proof_free's *out. */
RONDA_API ronda_err ronda_store_proof_inclusion(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                                const uint8_t *checkpoint, ronda_proof *out,
                                                ronda_detail *d) RONDA_MUST_CHECK;
/* A consistency proof between two checkpoints (part 0 ids) of one writer, `old_cp` not later
 * than `new_cp`. Errors as above; RONDA_ERR_INVALID when they are not two tree checkpoints
 * of one writer in that order. */
RONDA_API ronda_err ronda_store_proof_consistency(ronda_store *s, const uint8_t old_cp[RONDA_ID_BYTES],
                                                  const uint8_t new_cp[RONDA_ID_BYTES], ronda_proof *out,
                                                  ronda_detail *d) RONDA_MUST_CHECK;
RONDA_API void ronda_proof_free(ronda_proof *p);

/* What a proof file proved (ronda_proof_verify, ronda_proof_check). */
typedef struct ronda_proof_result {
    int consistency;                 /* 0: inclusion, 1: consistency */
    uint8_t writer[RONDA_KEY_BYTES]; /* the checkpoints' writer */
    uint64_t seq, size;              /* the (new) checkpoint's part 0 seq and tree size */
    uint64_t old_seq, old_size;      /* consistency: the old checkpoint's */
    uint8_t record[RONDA_ID_BYTES];  /* inclusion: the record's id */
    uint64_t index;                  /* inclusion: its leaf index */
    int notes;                       /* note signatures checked (0 when the checkpoints carry none) */
} ronda_proof_result;

/* Checks a proof offline, from its bytes alone: every record opens (signature, body hash,
 * schema), the checkpoints are part 0 with a tree, the path proves the claim against their
 * roots, and each note signature verifies (origin by `authority`, else the proof's
 * `authority`). Not checkable offline: that the writer is an hq member of the network (the
 * roster) and what the checkpoint claims about the ledger (an audit's work).
 * RONDA_ERR_MALFORMED (d says why) for a proof that is not one; RONDA_ERR_SIGNATURE /
 * RONDA_ERR_TAMPERED when it does not prove what it says. */
RONDA_API ronda_err ronda_proof_verify(const ronda_proof *p, const uint8_t *authority, ronda_proof_result *out,
                                       ronda_detail *d) RONDA_MUST_CHECK;

#endif
