/* Records: the v1 signed envelope, canonical msgpack, BLAKE2b ids and Ed25519 signatures.
 *
 * proto/record.md is the normative description; this header is its C face. Nothing here
 * does I/O or reads a clock: time (the HLC) is passed in. */
#ifndef RONDA_RECORD_H
#define RONDA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define RONDA_KEY_BYTES 32u    /* Ed25519 public key, Curve25519 public key */
#define RONDA_SECRET_BYTES 64u /* Ed25519 secret key (seed || public key) */
#define RONDA_ID_BYTES 32u     /* BLAKE2b-256 record id */
#define RONDA_HASH_BYTES 32u   /* BLAKE2b-256 body hash, ledger digest */
#define RONDA_SIG_BYTES 64u    /* Ed25519 detached signature */
#define RONDA_ENVELOPE_VERSION 1u
#define RONDA_SIGN_TAG "ronda-record-v1" /* domain separation, 15 bytes, no NUL */
#define RONDA_SIGN_TAG_LEN 15u

typedef enum ronda_kind {
    RONDA_KIND_NONE = 0,
    RONDA_KIND_DIALOGUE,
    RONDA_KIND_RESOLUTION,
    RONDA_KIND_AMEND,
    RONDA_KIND_MEMBER,
    RONDA_KIND_REVOKE,
    RONDA_KIND_CHECKPOINT, /* an hq node signs the frontier it holds (proto/record.md §4) */
    RONDA_KIND_COSIGN,     /* an hq node vouches for another hq's checkpoint (proto/record.md §4) */
    RONDA_KIND__COUNT
} ronda_kind;

/* A short explanation of a refusal ("topics[2].category: unknown value"), for users. */
typedef struct ronda_detail {
    char text[240];
} ronda_detail;

/* The typed bodies (ronda_body): after ronda_kind and ronda_detail, which they use, and
 * before ronda_record, which keeps one. */
#include "ronda/body.h"

/* A parsed and verified record. The pointers view the bytes it was opened from and are
 * valid only while those bytes are. */
typedef struct ronda_record {
    uint8_t id[RONDA_ID_BYTES];          /* BLAKE2b-256(envelope || signature) */
    uint8_t author[RONDA_KEY_BYTES];     /* Ed25519 public key of the signer */
    uint64_t seq;                        /* 1, 2, 3... per author */
    int has_prev;                        /* 0 only when seq == 1 */
    uint8_t prev[RONDA_ID_BYTES];        /* id of the author's record seq-1 */
    uint64_t hlc;                        /* ms << 16 | counter */
    ronda_kind kind;                     /* what the body is */
    uint8_t body_hash[RONDA_HASH_BYTES]; /* BLAKE2b-256 of the body bytes */
    const uint8_t *envelope;             /* canonical envelope bytes */
    size_t envelope_len;
    const uint8_t *signature; /* RONDA_SIG_BYTES */
    const uint8_t *body;      /* NULL when redacted */
    size_t body_len;
    /* The body as ronda_record_open* decoded it (its pointers view `body`); kind
     * RONDA_KIND_NONE when redacted. ronda_store_apply reads it, and decodes the body itself
     * only for a record these functions did not open (typed.bytes is not `body`). */
    ronda_body typed;
} ronda_record;

/* "dialogue", "resolution", ...; NULL for an unknown kind. */
RONDA_API const char *ronda_kind_name(ronda_kind kind);
/* Kind from its name; RONDA_KIND_NONE when unknown. */
RONDA_API ronda_kind ronda_kind_from_name(const char *name, size_t len);
/* Whether a kind is written by the authority (member, revoke) rather than by members. */
RONDA_API int ronda_kind_is_authority(ronda_kind kind);

/* Open a whole encoded record [envelope, signature, body]: checks size, canonical form,
 * version, kind, the Ed25519 signature (before the body is parsed), the body hash and
 * the body's schema, decoding the body once into out->typed. Stateless: chain, membership
 * and references are the store's. On success *out views `bytes`. `detail` may be NULL. */
RONDA_API ronda_err ronda_record_open(const uint8_t *bytes, size_t len, ronda_record *out,
                                      ronda_detail *detail) RONDA_MUST_CHECK;

/* The same checks on the three parts as stored separately (body NULL = redacted). */
RONDA_API ronda_err ronda_record_open_parts(const uint8_t *envelope, size_t envelope_len, const uint8_t *signature,
                                            size_t signature_len, const uint8_t *body, size_t body_len,
                                            ronda_record *out, ronda_detail *detail) RONDA_MUST_CHECK;

/* Open a batch of encoded records in parallel (stateless checks). errs[i] and recs[i]
 * (and details[i] when details != NULL) receive each result. */
RONDA_API void ronda_open_batch(const uint8_t *const *bufs, const size_t *lens, size_t n, unsigned threads,
                                ronda_record *recs, ronda_err *errs, ronda_detail *details);

/* The same, started on worker threads while the caller does other work (applying the
 * previous batch); ronda_open_wait() checks whatever no worker has taken yet on the
 * caller's thread, then joins them. The arrays must outlive the wait. */
typedef struct ronda_open_async ronda_open_async;
RONDA_API ronda_err ronda_open_start(const uint8_t *const *bufs, const size_t *lens, size_t n, unsigned threads,
                                     ronda_record *recs, ronda_err *errs, ronda_detail *details,
                                     ronda_open_async **out) RONDA_MUST_CHECK;
RONDA_API void ronda_open_wait(ronda_open_async **a);

/* Build, sign and encode a record. `prev` is NULL iff seq == 1. `body` must already be
 * canonical (ronda_body_encode, or ronda_body_from_json of include/ronda/json.h). On success *out is a malloc'd buffer
 * the caller frees, and *out_len its length. The secret key is not retained. */
RONDA_API ronda_err ronda_record_seal(const uint8_t secret[RONDA_SECRET_BYTES], uint64_t seq, const uint8_t *prev,
                                      uint64_t hlc, ronda_kind kind, const uint8_t *body, size_t body_len,
                                      uint8_t **out, size_t *out_len) RONDA_MUST_CHECK;

/* Encode the record bytes [envelope, signature, body] of an opened record into a malloc'd
 * buffer (caller frees). */
RONDA_API ronda_err ronda_record_encode(const ronda_record *rec, uint8_t **out, size_t *out_len) RONDA_MUST_CHECK;

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
RONDA_API void ronda_hex(const uint8_t *bytes, size_t len, char *out);
/* Exactly 2*len hex digits into `out`; RONDA_ERR_INVALID otherwise. */
RONDA_API ronda_err ronda_unhex(const char *hex, uint8_t *out, size_t len) RONDA_MUST_CHECK;

/* HLC helpers: the ms part and a new HLC for a local event, given the wall clock and the
 * largest HLC seen so far (so time never runs backwards in a chain). */
RONDA_API uint64_t ronda_hlc_ms(uint64_t hlc);
RONDA_API uint64_t ronda_hlc_next(uint64_t now_ms, uint64_t last_hlc);

#endif
