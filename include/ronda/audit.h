/* The audit trail: checkpoints (an HQ signs the frontier it holds), the audit of a whole
 * ledger (ronda_store_verify plus checkpoint claims, references and fork evidence from
 * checkpoints), the chains an auditor's report lists, and the history of one dialogue.
 *
 * proto/record.md §4 (checkpoint) and §8 (audit rules) are the normative description;
 * docs/audit.md explains them to an auditor. Nothing here needs a running node. */
#ifndef RONDA_AUDIT_H
#define RONDA_AUDIT_H

#include <stdint.h>
#include <jansson.h>

#include "ronda/store.h"

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

/* One JSON object per author chain held, ascending by key: author, name, role, polres,
 * polsek (from the roster; null when unknown), records, first_seq, last_seq, first_ms,
 * last_ms, and counts per kind. For reports. `chain` is borrowed: the library json_decref's it
 * after `cb` returns (json_incref it to keep it); `cb` returns non-zero to stop the walk. */
RONDA_API ronda_err ronda_store_chains(ronda_store *s, int (*cb)(void *ctx, json_t *chain), void *ctx) RONDA_MUST_CHECK;

/* The provenance of the dialogue that `id` names (the dialogue itself, or one of its
 * amendments or resolutions): the original, each amendment, each resolution and the
 * amendments of those, in hlc order, each with its signer (name, role, Polres/Polsek), time,
 * body and whether it verifies (signature, body, chain link, membership at its time). On
 * success *out is a new JSON object the caller json_decref's. RONDA_ERR_NOT_FOUND when no
 * dialogue can be found for `id`. */
RONDA_API ronda_err ronda_store_history(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                        json_t **out) RONDA_MUST_CHECK;

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

/* What the ledger still knows about the record a finding is about, for a report that says
 * it in plain words. On success *out is a new JSON object the caller json_decref's, with
 * (each only when known):
 *   "author":   {key, author_name, author_polres, author_polsek, author_role} (the roster)
 *   "record":   the finding's record: {id, kind, seq, held ("ledger", "fork evidence"),
 *               hlc_ms, and topic/status/action of a follow-up}; for a record no longer held
 *               or no longer verifying, what the views say of it (with "from": "views")
 *   "dialogue": the dialogue it is about {id, title, programme, polres, polsek, when, from
 *               ("records", "fork evidence" or "views": views are unsigned)}
 *   "missing":  for a chain gap or withheld records: the seqs not held, newest first (at
 *               most RONDA_EXPLAIN_MISSING_MAX), each {seq, id (null when nothing names it),
 *               named_by (["prev of the next record", "checkpoint", "fork evidence",
 *               "resolution"]), kind, dialogue, and from the views topic, status, action,
 *               when, reason}; "missing_count" counts them all
 *   "names_missing": for a reference finding, the record named but not held {id, kind...}
 *   "fork":     for fork evidence, both versions (ronda_store_fork_versions)
 * Of the finding, its kind, err, id, author, seq and dialogue are read; its strings are not. */
RONDA_API ronda_err ronda_store_finding_context(ronda_store *s, const ronda_finding *f, json_t **out) RONDA_MUST_CHECK;

/* Both versions of a record whose author signed two records for one (author, seq): `id` is
 * either (the ledger's record at a forked seq, or the fork evidence). On success *out is a
 * new JSON object: author, author_name (polres, polsek, role), seq, asked (id), versions
 * [the ledger's, the evidence] each {id, held, kind, seq, hlc_ms, prev, signature, verified,
 * body}, differences (the body fields, "kind" or "prev" that differ) and dialogue (as in
 * ronda_store_finding_context, or null). RONDA_ERR_NOT_FOUND when `id` is neither, or the
 * two do not both verify (the audit reports such evidence). */
RONDA_API ronda_err ronda_store_fork_versions(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                              json_t **out) RONDA_MUST_CHECK;

/* ---- proofs over the writers' trees (src/store/prove.c, proto/tree.md §5) */

/* An inclusion proof of the record `id` against checkpoint `checkpoint` (its part 0's id),
 * or, when NULL, against the newest checkpoint with a tree of any hq writer whose tree holds
 * the record. The tree is rebuilt from this ledger and must have the checkpoint's size and
 * root. On success *out is a new JSON object (the proof file, caller json_decref's).
 * RONDA_ERR_NOT_FOUND (d says why) when the record is not held or no checkpoint covers it;
 * RONDA_ERR_TAMPERED when the rebuilt tree is not the checkpoint's. */
RONDA_API ronda_err ronda_store_prove_inclusion(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                                const uint8_t *checkpoint, json_t **out,
                                                ronda_detail *d) RONDA_MUST_CHECK;
/* A consistency proof between two checkpoints (part 0 ids) of one writer, `old_cp` not later
 * than `new_cp`. Errors as above; RONDA_ERR_INVALID when they are not two tree checkpoints
 * of one writer in that order. */
RONDA_API ronda_err ronda_store_prove_consistency(ronda_store *s, const uint8_t old_cp[RONDA_ID_BYTES],
                                                  const uint8_t new_cp[RONDA_ID_BYTES], json_t **out,
                                                  ronda_detail *d) RONDA_MUST_CHECK;

/* What a proof file proved (ronda_proof_check). */
typedef struct ronda_proof_result {
    int consistency;                 /* 0: inclusion, 1: consistency */
    uint8_t writer[RONDA_KEY_BYTES]; /* the checkpoints' writer */
    uint64_t seq, size;              /* the (new) checkpoint's part 0 seq and tree size */
    uint64_t old_seq, old_size;      /* consistency: the old checkpoint's */
    uint8_t record[RONDA_ID_BYTES];  /* inclusion: the record's id */
    uint64_t index;                  /* inclusion: its leaf index */
    int notes;                       /* note signatures checked (0 when the checkpoints carry none) */
} ronda_proof_result;

/* Checks a proof file offline, from its bytes alone: every record opens (signature, body
 * hash, schema), the checkpoints are part 0 with a tree, the path proves the claim against
 * their roots, and each note signature verifies (origin by `authority`, else the file's
 * `authority`). Not checkable offline: that the writer is an hq member of the network (the
 * roster) and what the checkpoint claims about the ledger (an audit's work).
 * RONDA_ERR_MALFORMED (d names the field) for a file that is not a proof; RONDA_ERR_SIGNATURE
 * / RONDA_ERR_TAMPERED when it does not prove what it says. */
RONDA_API ronda_err ronda_proof_check(const json_t *proof, const uint8_t *authority, ronda_proof_result *out,
                                      ronda_detail *d) RONDA_MUST_CHECK;

#endif
