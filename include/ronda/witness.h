/* Witnesses: checkpoints as signed notes that an auditor keeps outside the ledger, and the
 * cosignatures other HQs add to them.
 *
 * A checkpoint lives inside the ledger it vouches for, so an insider who drops the newest
 * records and the checkpoints naming them leaves a valid earlier ledger. Its note (the
 * C2SP signed-note / tlog-checkpoint form, proto/note.md) is small text any auditor can
 * keep: a ledger that no longer holds the checkpoint a kept note names, or holds another
 * one in its place, was truncated or rewritten. Other HQs that hold every record a
 * checkpoint names cosign it (a `cosign` record), so a note is vouched for by several
 * independent Polres, and a cosign held elsewhere names a checkpoint its writer's copy lost.
 *
 * Every note of a checkpoint is read through ronda_checkpoint_head(): the one place that
 * knows which body keys give a note's size and root. */
#ifndef RONDA_WITNESS_H
#define RONDA_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/store.h"

/* "ronda/" + 16 hex digits of the authority key + "/" + 64 hex digits of the writer key. */
#define RONDA_NOTE_ORIGIN_LEN 87u
#define RONDA_NOTE_KEY_ID_BYTES 4u
#define RONDA_NOTE_SIG_ALG_ED25519 0x01u /* signed-note signature type of Ed25519 */

/* What a checkpoint's note says (its four body lines, proto/note.md). */
typedef struct ronda_note_head {
    char origin[RONDA_NOTE_ORIGIN_LEN + 1]; /* the writer's log: ronda/<authority 16 hex>/<writer hex> */
    uint8_t writer[RONDA_KEY_BYTES];        /* the hq node that wrote the checkpoint */
    uint64_t seq;                           /* its part 0's seq in the writer's chain */
    uint64_t size;                          /* the log's size */
    uint8_t root[RONDA_HASH_BYTES];         /* the log's root */
} ronda_note_head;

/* The note head of a checkpoint whose part 0 (seq `seq` of `writer`'s chain) has the body
 * `part0` (decoded, include/ronda/body.h). Size and root are part 0's `size` and
 * `root` when it has them (a Merkle tree over the writer's log), else its `records` and its
 * `digest` (the ledger digest, proto/record.md §6). RONDA_ERR_SCHEMA when neither is there. */
RONDA_API ronda_err ronda_checkpoint_head(const uint8_t authority[RONDA_KEY_BYTES],
                                          const uint8_t writer[RONDA_KEY_BYTES], uint64_t seq,
                                          const ronda_checkpoint *part0, ronda_note_head *out) RONDA_MUST_CHECK;

/* The note's text (the signed part): "<origin>\n<size>\n<base64 root>\nronda-checkpoint <seq>\n".
 * Writes at most `cap` bytes with a NUL; returns the text's length (>= cap: did not fit). */
RONDA_API size_t ronda_note_text(const ronda_note_head *h, char *out, size_t cap);
/* A node's key name in notes: "ronda/<authority 16 hex>/<key hex>" (a writer's is its origin). */
RONDA_API void ronda_note_key_name(const uint8_t authority[RONDA_KEY_BYTES], const uint8_t key[RONDA_KEY_BYTES],
                                   char out[RONDA_NOTE_ORIGIN_LEN + 1]);
/* The signed-note key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || key). */
RONDA_API void ronda_note_key_id(const char *name, const uint8_t key[RONDA_KEY_BYTES],
                                 uint8_t id[RONDA_NOTE_KEY_ID_BYTES]);
/* Ed25519 signature of the note text by `secret` (seed || public key). */
RONDA_API void ronda_note_sign(const uint8_t secret[RONDA_SECRET_BYTES], const ronda_note_head *h,
                               uint8_t sig[RONDA_SIG_BYTES]);
/* 1 when `sig` is `key`'s signature of the note text. */
RONDA_API int ronda_note_verify(const ronda_note_head *h, const uint8_t key[RONDA_KEY_BYTES],
                                const uint8_t sig[RONDA_SIG_BYTES]);

/* One signature line of a parsed note. */
typedef struct ronda_note_sig {
    char name[RONDA_NOTE_LINE_MAX];          /* the key name as written */
    uint8_t key_id[RONDA_NOTE_KEY_ID_BYTES]; /* its first 4 decoded bytes */
    int ed25519;                             /* 68 bytes decoded: key id and an Ed25519 signature */
    uint8_t sig[RONDA_SIG_BYTES];            /* (only when ed25519) */
} ronda_note_sig;

/* A parsed note: its head (origin split into authority prefix and writer) and signature lines. */
typedef struct ronda_note {
    ronda_note_head head;
    char authority_prefix[17]; /* the origin's 16 hex digits */
    size_t n_sigs;
    ronda_note_sig sigs[RONDA_NOTE_SIGS_MAX];
} ronda_note;

/* Parse a note (proto/note.md): at most RONDA_NOTE_MAX bytes, lines of at most
 * RONDA_NOTE_LINE_MAX, the four body lines exactly, a blank line, 1..RONDA_NOTE_SIGS_MAX
 * signature lines, strict base64, nothing else. Checks no signature: ronda_store_check_note
 * does, against a roster. On failure `detail` says what and where. */
RONDA_API ronda_err ronda_note_parse(const char *text, size_t len, ronda_note *out,
                                     ronda_detail *detail) RONDA_MUST_CHECK;

/* The note of `writer`'s newest checkpoint (written with a note signature) as the ledger
 * holds it: the writer's signature, then every cosignature held whose signature verifies and
 * whose cosigner is an hq member, ascending by key. On success *out is a malloc'd NUL-ended
 * text the caller frees and *cosigners counts the cosignatures. RONDA_ERR_NOT_FOUND (with
 * `detail`) when the writer has no such checkpoint; RONDA_ERR_TAMPERED when its signature
 * does not verify. */
RONDA_API ronda_err ronda_store_note(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES], char **out, size_t *len,
                                     unsigned *cosigners, ronda_detail *detail) RONDA_MUST_CHECK;

/* One pass of cosigning (`ronda run`): for every other hq member's newest checkpoint that
 * carries a note signature and that this node (`secret`, an hq member) has not cosigned,
 * cosign it when this ledger holds every record it names (each frontier entry's author, seq
 * and head) and its digest and record count are those of its entries; at most `max`. A
 * checkpoint this ledger cannot vouch for yet is left for a later pass. *written (may be
 * NULL) counts the cosignatures appended. */
RONDA_API ronda_err ronda_store_cosign_pass(ronda_store *s, const uint8_t secret[RONDA_SECRET_BYTES], uint64_t now_ms,
                                            unsigned max, unsigned *written, ronda_detail *detail) RONDA_MUST_CHECK;

/* Whether `writer`'s newest checkpoint still signs for the whole ledger: 1 when nothing was
 * added since but its own parts (its records count plus its parts is the frontier's sum of
 * seqs), 0 when the ledger moved on or the writer has no checkpoint. `ronda run` writes no
 * checkpoint identical to the last. */
RONDA_API ronda_err ronda_store_checkpoint_fresh(ronda_store *s, const uint8_t writer[RONDA_KEY_BYTES],
                                                 int *fresh) RONDA_MUST_CHECK;
/* Arrival marks (local rowids): *content of the newest record that is neither a checkpoint
 * nor a cosign, *any of the newest record (0: none). A catch-up that moved *content brought
 * something to sign for. */
RONDA_API ronda_err ronda_store_marks(ronda_store *s, int64_t *content, int64_t *any) RONDA_MUST_CHECK;

/* The newest checkpoint of an hq writer, for the audit's age warning. */
typedef struct ronda_checkpoint_age {
    uint8_t writer[RONDA_KEY_BYTES];
    int has;                    /* 0: it wrote records but no checkpoint */
    uint8_t id[RONDA_ID_BYTES]; /* its part 0 (when has) */
    uint64_t seq;               /* (when has) */
    uint64_t signed_ms;         /* its time, hlc >> 16 (when has) */
    uint64_t cosigners;         /* cosignatures held for it (from the view; when has) */
} ronda_checkpoint_age;

/* For each hq member that wrote a record held (ascending by key), its newest checkpoint;
 * *newest_ms gets the time of the newest record held (0: none), before the first call of
 * `cb` (which may read it). `cb` returns non-zero to stop. `age` is borrowed: valid during the
 * call of `cb` only. */
RONDA_API ronda_err ronda_store_checkpoint_ages(ronda_store *s, uint64_t *newest_ms,
                                                int (*cb)(void *ctx, const ronda_checkpoint_age *age),
                                                void *ctx) RONDA_MUST_CHECK;

/* What checking a note against a ledger found (its findings went to the callback). */
typedef struct ronda_note_check {
    int parsed;           /* the note could be read */
    int writer_signed;    /* its writer's signature verifies and the writer is an hq member */
    unsigned cosigners;   /* other hq members' signatures that verify */
    unsigned other_sigs;  /* signature lines of keys that are not this network's (ignored) */
    ronda_note_head head; /* (when parsed) */
    uint64_t claims;      /* frontier entries of the checkpoint it names, when held */
    uint64_t claims_held; /* ... that the ledger still holds */
} ronda_note_check;

/* Check a note an auditor kept against the ledger of `s`: its signatures against the roster
 * (the writer and every cosigner an hq member, each signature valid), then that the ledger
 * still holds the checkpoint it names (the writer's record at its seq, a checkpoint part 0
 * with the note's size and root) and every record that checkpoint named. Findings go to `cb`
 * with what "note" (a note that cannot be read or whose signatures do not hold), "truncated"
 * (the ledger lacks the checkpoint or records it named) or "rewritten" (the ledger holds
 * another record, or another size or root, where the note names its checkpoint or a record).
 * `f` is borrowed: it and its strings are valid during the call of `cb` only. */
RONDA_API ronda_err ronda_store_check_note(ronda_store *s, const char *text, size_t len,
                                           void (*cb)(void *ctx, const ronda_finding *f), void *ctx,
                                           ronda_note_check *out) RONDA_MUST_CHECK;

#endif
