/* The JSON documents of the library: what the CLI (`ronda show`, `query`, `history`,
 * `audit --json`, `prove`) and the HTTP API show, and the JSON input of `ronda record --json`.
 *
 * The library's data model is typed (include/ronda/body.h for bodies, ronda_member_info,
 * ronda_finding, the audit report of include/ronda/audit_report.h): the store, the views, the
 * audit, the witness code and sync read and write those structs and are compiled without this
 * header (RONDA_NO_JSON). The functions here build a JSON document from them for the edges;
 * docs/architecture.md lists the files that may include this header or <jansson.h>, and the
 * `layers` test holds every other file to it. Documents (*out) are new references the caller
 * json_decref's; a callback's JSON argument is borrowed (json_incref it to keep it). */
#ifndef RONDA_JSON_H
#define RONDA_JSON_H

#include <jansson.h>

#include "ronda/ronda.h"
#include "ronda/audit.h"
#include "ronda/report.h"
#include "ronda/store.h"

/* ---- bodies */

/* Canonical body bytes from JSON, following the kind's schema (ids and keys as hex).
 * On success *out is malloc'd (caller frees). On failure `detail` names the field. */
RONDA_API ronda_err ronda_body_from_json(ronda_kind kind, const json_t *json, uint8_t **out, size_t *out_len,
                                         ronda_detail *detail) RONDA_MUST_CHECK;

/* Check canonical body bytes against the kind's schema; when `out` is not NULL also
 * return it as a new JSON object (caller json_decref's it). */
RONDA_API ronda_err ronda_body_to_json(ronda_kind kind, const uint8_t *body, size_t body_len, json_t **out,
                                       ronda_detail *detail) RONDA_MUST_CHECK;

/* A decoded body (include/ronda/body.h) as a new JSON object (caller json_decref's it): for
 * the CLI and the HTTP server; the library itself reads the typed struct. */
struct ronda_body;
RONDA_API ronda_err ronda_body_json(const struct ronda_body *body, json_t **out) RONDA_MUST_CHECK;

/* ---- records and members */

/* The roster's member for a signing key (ronda_store_member_info) as JSON: name, polres,
 * polsek, role, endpoint (null when absent), valid_from, valid_until, curve_key (hex) and
 * revoked; RONDA_ERR_NOT_FOUND when the key was never admitted. */
RONDA_API ronda_err ronda_store_member(ronda_store *s, const uint8_t key[RONDA_KEY_BYTES],
                                       json_t **out) RONDA_MUST_CHECK;

/* ronda_store_record_view as JSON (src/json/show.c): id, fork_evidence, verified (error and
 * detail when not), author, author_name, seq, author_forked_at and frozen (a forked author),
 * prev, hlc, hlc_ms, kind, body_hash, signature, redacted, body (null when redacted) and, for
 * a dialogue, "view": {resolutions, current, amendments}. */
RONDA_API ronda_err ronda_store_show(ronda_store *s, const uint8_t id[RONDA_ID_BYTES], json_t **out) RONDA_MUST_CHECK;

/* ronda_store_query_rows as JSON objects, one per topic. `row` is borrowed: the library
 * json_decref's it after `cb` returns (json_incref it to keep it); `cb` returns non-zero to
 * stop. */
/* A record view as that JSON (a new object; NULL when out of memory). */
RONDA_API json_t *ronda_record_view_json(const ronda_record_view *v);

RONDA_API ronda_err ronda_store_query(ronda_store *s, const ronda_query *q, int (*cb)(void *ctx, json_t *row),
                                      void *ctx) RONDA_MUST_CHECK;

/* ---- chains, history, findings in plain words (src/store/chains.c, history.c, explain.c) */

/* ronda_store_chain_rows as JSON (src/json/chains.c), one object per chain: author, name,
 * role ("authority" for the authority), polres, polsek (null when unknown), revoked,
 * forked_at (null when none), records, first_seq, last_seq, first_ms, last_ms, kinds {kind:
 * n, the non-zero ones}. `chain` is borrowed: the library json_decref's it after `cb` returns
 * (json_incref it to keep it); `cb` returns non-zero to stop the walk. */
RONDA_API ronda_err ronda_store_chains(ronda_store *s, int (*cb)(void *ctx, json_t *chain), void *ctx) RONDA_MUST_CHECK;
/* One chain as ronda_store_chains gives it; with_findings adds "findings" (the audit
 * report's count). A new object (NULL when out of memory). */
RONDA_API json_t *ronda_chain_json(const ronda_chain_info *chain, int with_findings);
/* The signer part of it (name, role, polres, polsek, revoked, forked_at) into `into`. */
RONDA_API void ronda_signer_json(const ronda_chain_info *signer, json_t *into);

/* ronda_store_history_events as JSON (src/json/history.c): {"dialogue": id, "verified": all
 * of them, "events": [{id, kind, author, signer {name, role, polres, polsek, revoked,
 * forked_at}, seq, hlc, signed_ms, verified, problem (when not), body (null when it does not
 * open)}]}. On success *out is a new JSON object the caller json_decref's. */
RONDA_API ronda_err ronda_store_history(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                        json_t **out) RONDA_MUST_CHECK;

/* ronda_store_explain's context as JSON (src/json/explain.c). On success *out is a new JSON
 * object the caller json_decref's, with
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
/* ronda_store_explain's context as that JSON (a new object; NULL when out of memory). */
RONDA_API json_t *ronda_finding_context_json(const ronda_finding_context *c);
/* ronda_store_fork's versions as the JSON below (a new object; NULL when out of memory). */
RONDA_API json_t *ronda_fork_versions_json(const ronda_fork_versions *v);

/* Both versions of a record whose author signed two records for one (author, seq): `id` is
 * either (the ledger's record at a forked seq, or the fork evidence). On success *out is a
 * new JSON object: author, author_name (polres, polsek, role), seq, asked (id), versions
 * [the ledger's, the evidence] each {id, held, kind, seq, hlc_ms, prev, signature, verified,
 * body}, differences (the body fields, "kind" or "prev" that differ) and dialogue (as in
 * ronda_store_finding_context, or null). RONDA_ERR_NOT_FOUND when `id` is neither, or the
 * two do not both verify (the audit reports such evidence). */
RONDA_API ronda_err ronda_store_fork_versions(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                              json_t **out) RONDA_MUST_CHECK;

/* ---- proof files over the writers' trees (src/store/prove.c, proto/tree.md §5) */

/* A proof's file (proto/tree.md §5, src/json/proof.c): {"format": "ronda-proof-v1", "type":
 * "inclusion" | "consistency", authority, writer, and record, checkpoint, index, size,
 * path (inclusion) or old, new, old_size, new_size, path (consistency)}; bytes as hex. */
RONDA_API json_t *ronda_proof_json(const ronda_proof *p);
/* A proof from its file's JSON (untrusted): every field checked for type, length and form;
 * RONDA_ERR_MALFORMED (d names the field) for a file that is not a proof. On success the
 * caller ronda_proof_free's *out. */
RONDA_API ronda_err ronda_proof_from_json(const json_t *json, ronda_proof *out, ronda_detail *d) RONDA_MUST_CHECK;

/* ronda_store_proof_inclusion and _consistency as the proof file's JSON (a new object). */
RONDA_API ronda_err ronda_store_prove_inclusion(ronda_store *s, const uint8_t id[RONDA_ID_BYTES],
                                                const uint8_t *checkpoint, json_t **out,
                                                ronda_detail *d) RONDA_MUST_CHECK;
RONDA_API ronda_err ronda_store_prove_consistency(ronda_store *s, const uint8_t old_cp[RONDA_ID_BYTES],
                                                  const uint8_t new_cp[RONDA_ID_BYTES], json_t **out,
                                                  ronda_detail *d) RONDA_MUST_CHECK;

/* A proof file checked: ronda_proof_from_json, then ronda_proof_verify. */
RONDA_API ronda_err ronda_proof_check(const json_t *proof, const uint8_t *authority, ronda_proof_result *out,
                                      ronda_detail *d) RONDA_MUST_CHECK;

/* ---- HQ reports (include/ronda/report.h, src/json/report.c, src/store/report.c) */

/* ronda_report_build as JSON (src/json/report.c): {"by", "overdue_days", "groups": [...],
 * "total": {...}}, each group {<by> (polres and polsek by Polsek), dialogues, participants,
 * topics, categories {name: n, the non-zero ones}, followups {open, in_progress, referred,
 * resolved}, referred_to {name: n}, median_days_to_resolution (null when none), overdue}. */
RONDA_API ronda_err ronda_store_report(ronda_store *s, const ronda_filter *f, ronda_report_by by, unsigned overdue_days,
                                       int64_t now_ms, json_t **out) RONDA_MUST_CHECK;

/* ronda_store_dialogue_rows as JSON: {"items": [...], "more": bool}. */
RONDA_API ronda_err ronda_store_dialogues(ronda_store *s, const ronda_filter *f, unsigned offset, unsigned limit,
                                          json_t **out) RONDA_MUST_CHECK;

/* ronda_store_followup_rows as JSON: {"items": [...], "more": bool}. */
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
