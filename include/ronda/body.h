/* Typed bodies: a record's body decoded once, by its kind's schema (proto/record.md §4), into
 * a struct that points into the body's bytes. This is the data model of the library: the
 * store, the views, the audit and the reports read these structs; JSON is made from them
 * only at the edges (ronda_body_to_json, for the CLI and the HTTP server).
 *
 * Every pointer views the bytes the body was decoded from (borrowed: valid while those
 * bytes are). Texts are UTF-8 and not NUL-terminated. A decoded body has passed every rule of
 * its schema: types, lengths (limits.h), enum values, ranges, required fields, canonical key
 * order and the cross-field rules; lists hold at most RONDA_LIST_MAX items (a checkpoint's
 * frontier RONDA_CHECKPOINT_AUTHORS_MAX) and their items are read with the functions below. */
/* Before the guard: ronda/record.h defines ronda_kind and ronda_detail, then includes this
 * header for the ronda_body its ronda_record keeps, whichever of the two comes first. */
#include "ronda/record.h"

#ifndef RONDA_BODY_H
#define RONDA_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/limits.h"

/* A text field; len 0 = absent (the schema refuses empty strings). */
typedef struct ronda_text {
    const char *p;
    uint32_t len;
} ronda_text;

/* An unsigned field; set = 0 when the (optional) field is absent. */
typedef struct ronda_uint {
    uint64_t v;
    int set;
} ronda_uint;

/* A list as its encoded items (n of them, `len` bytes at `at`); n = 0 when absent or empty. */
typedef struct ronda_list {
    const uint8_t *at;
    size_t len;
    uint32_t n;
} ronda_list;

/* The enums, in the order of their values in proto/record.md (the schema's lists). */
typedef enum ronda_programme {
    RONDA_PROGRAMME_CANDU,
    RONDA_PROGRAMME_WARKOP,
    RONDA_PROGRAMME_CURHAT,
    RONDA_PROGRAMME_PATROLI_DIALOGIS,
    RONDA_PROGRAMME_PARTNERSHIP,
    RONDA_PROGRAMME_OTHER
} ronda_programme;
typedef enum ronda_category {
    RONDA_CATEGORY_VULNERABLE_AREA,
    RONDA_CATEGORY_SOCIAL_PROBLEM,
    RONDA_CATEGORY_TRAFFIC,
    RONDA_CATEGORY_UNREST,
    RONDA_CATEGORY_CRITICISM,
    RONDA_CATEGORY_ASPIRATION,
    RONDA_CATEGORY_OTHER
} ronda_category;
#define RONDA_CATEGORY_COUNT (RONDA_CATEGORY_OTHER + 1)
typedef enum ronda_status { RONDA_STATUS_IN_PROGRESS, RONDA_STATUS_REFERRED, RONDA_STATUS_RESOLVED } ronda_status;
typedef enum ronda_role { RONDA_ROLE_PRECINCT, RONDA_ROLE_HQ, RONDA_ROLE_AUDITOR } ronda_role;

typedef struct ronda_topic {
    ronda_text summary;
    int category; /* ronda_category */
} ronda_topic;

typedef struct ronda_dialogue {
    ronda_text when; /* "YYYY-MM-DDTHH:MM:SS+HH:MM" */
    ronda_text title, venue, polres, polsek;
    ronda_list topics; /* 1..RONDA_LIST_MAX ronda_topic: ronda_body_topics */
    ronda_text village;
    ronda_list messages, officers; /* texts: ronda_body_texts */
    int programme;                 /* ronda_programme */
    ronda_uint participants;
    ronda_list stakeholders; /* texts */
} ronda_dialogue;

typedef struct ronda_resolution {
    ronda_text when;
    ronda_uint topic; /* the topic's index in the dialogue */
    ronda_text action;
    int status;              /* ronda_status */
    const uint8_t *dialogue; /* RONDA_ID_BYTES */
    ronda_text referred_to;  /* present iff status is referred */
} ronda_resolution;

typedef struct ronda_amend {
    int kind; /* what it amends: RONDA_KIND_DIALOGUE or RONDA_KIND_RESOLUTION */
    ronda_text reason;
    const uint8_t *target; /* RONDA_ID_BYTES */
    union {
        ronda_dialogue dialogue;
        ronda_resolution resolution;
    } body; /* the new body, of `kind` */
} ronda_amend;

typedef struct ronda_member {
    ronda_text name;
    int role; /* ronda_role */
    ronda_text polres, polsek, endpoint;
    const uint8_t *sign_key, *curve_key; /* RONDA_KEY_BYTES each */
    ronda_uint valid_from, valid_until;  /* ms since the epoch; until > from */
} ronda_member;

typedef struct ronda_revoke {
    const uint8_t *member; /* the member record's id */
    ronda_text reason;
    const uint8_t *last_id; /* NULL iff last_seq is 0 */
    ronda_uint last_seq;
} ronda_revoke;

/* One frontier entry of a checkpoint. */
typedef struct ronda_entry {
    ronda_uint seq;
    const uint8_t *head;   /* RONDA_ID_BYTES */
    const uint8_t *author; /* RONDA_KEY_BYTES */
} ronda_entry;

typedef struct ronda_checkpoint {
    ronda_uint part;
    const uint8_t *root; /* the writer's tree root (proto/tree.md), part 0; NULL when absent */
    ronda_uint size;
    ronda_uint parts;
    const uint8_t *digest;
    ronda_uint records;
    ronda_list frontier;     /* 1..RONDA_CHECKPOINT_AUTHORS_MAX ronda_entry: ronda_body_entries */
    const uint8_t *note_sig; /* RONDA_SIG_BYTES, part 0; NULL when absent */
} ronda_checkpoint;

typedef struct ronda_cosign {
    ronda_uint seq;
    const uint8_t *root;
    ronda_uint size;
    const uint8_t *writer;
    const uint8_t *note_sig;
    const uint8_t *checkpoint;
} ronda_cosign;

typedef struct ronda_body {
    ronda_kind kind;
    const uint8_t *bytes; /* the body bytes it was decoded from, which its pointers view */
    size_t len;
    union {
        ronda_dialogue dialogue;
        ronda_resolution resolution;
        ronda_amend amend;
        ronda_member member;
        ronda_revoke revoke;
        ronda_checkpoint checkpoint;
        ronda_cosign cosign;
    } u;
} ronda_body;

/* Decodes canonical body bytes of `kind` into *out (pointing into `body`), checking every
 * rule of the schema. On failure `detail` (may be NULL) names the field. */
RONDA_API ronda_err ronda_body_decode(ronda_kind kind, const uint8_t *body, size_t body_len, ronda_body *out,
                                      ronda_detail *detail) RONDA_MUST_CHECK;

/* Canonical body bytes from a typed body (malloc'd into *out): the writer's side of
 * ronda_body_decode, for bodies the library writes itself (checkpoints, cosignatures). Every
 * present field is written in canonical order; the bytes then pass ronda_body_decode, whose
 * error (and `detail`) a body that breaks its schema gets. Lists are written as they are:
 * from a decoded body, or built by ronda_body_entries_list. */
RONDA_API ronda_err ronda_body_encode(const ronda_body *body, uint8_t **out, size_t *out_len,
                                      ronda_detail *detail) RONDA_MUST_CHECK;
/* A checkpoint's frontier list of n entries (n <= RONDA_CHECKPOINT_AUTHORS_MAX): its items
 * encoded into *bytes (malloc'd, the caller frees it), which *out then views. */
RONDA_API ronda_err ronda_body_entries_list(const ronda_entry *entries, size_t n, uint8_t **bytes,
                                            ronda_list *out) RONDA_MUST_CHECK;

/* The top-level fields whose values differ between two bodies (either kind): a's fields that
 * b lacks or holds otherwise, then b's that a lacks, as the schema names them (static
 * strings); at most `max` into out, *n of them. */
RONDA_API ronda_err ronda_body_differences(const ronda_body *a, const ronda_body *b, const char **out, size_t max,
                                           size_t *n) RONDA_MUST_CHECK;

/* The items of a decoded list, into out[0..max): returns how many were written (all of
 * them when max >= list->n). The list must come from a decoded body. */
RONDA_API size_t ronda_body_topics(const ronda_list *list, ronda_topic *out, size_t max);
RONDA_API size_t ronda_body_texts(const ronda_list *list, ronda_text *out, size_t max);
RONDA_API size_t ronda_body_entries(const ronda_list *list, ronda_entry *out, size_t max);

/* The schema's name of an enum value ("warkop", "aspiration", "resolved", "hq"); NULL when
 * out of range. */
RONDA_API const char *ronda_programme_name(int programme);
RONDA_API const char *ronda_category_name(int category);
RONDA_API const char *ronda_status_name(int status);
RONDA_API const char *ronda_role_name(int role);

/* 1 when the text equals the NUL-terminated `s`. */
RONDA_API int ronda_text_is(ronda_text t, const char *s);

#endif
