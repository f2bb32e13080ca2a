/* Shared unit-test helpers: fixed-seed keys, temp dirs, stores with members, bodies, raw records, hex. */
#ifndef RONDA_TEST_FIXTURES_H
#define RONDA_TEST_FIXTURES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <jansson.h>

#include "ronda/ronda.h"

/* 2026-01-01T00:00:00Z in unix ms: the tests' epoch. Members are valid for a year from it. */
#define FX_T0 1767225600000ull
#define FX_DAY 86400000ull
#define FX_YEAR (365ull * FX_DAY)
/* The n-th second after FX_T0 + FX_DAY, for hand-made chains. */
#define FX_MS(n) (FX_T0 + FX_DAY + (n)*1000ull)

/* Assert an exact ronda_err, printing both names when they differ. */
#define assert_err(got, want)                                                                                          \
    do {                                                                                                               \
        ronda_err g_ = (got), w_ = (want);                                                                             \
        if (g_ != w_) fail_msg("%s:%d: got %s, want %s", __FILE__, __LINE__, ronda_errname(g_), ronda_errname(w_));    \
    } while (0)
#define assert_ok(got) assert_err((got), RONDA_OK)

/* An Ed25519 key pair derived from a seed of 32 copies of `seed`. */
typedef struct fx_key {
    uint8_t pk[RONDA_KEY_BYTES];
    uint8_t sk[RONDA_SECRET_BYTES];
} fx_key;
void fx_key_make(fx_key *k, uint8_t seed);

/* The shared per-test world: a temp dir, a store with an authority, and a clock. */
typedef struct fx_world {
    char dir[64];   /* mkdtemp directory, removed by fx_teardown */
    char path[128]; /* the store's database file */
    fx_key authority, node;
    ronda_store *s;
    uint64_t now; /* ms; fx_now() advances it by one second per call */
} fx_world;

/* cmocka setup/teardown: *state becomes an fx_world with a fresh store (authority seed 1). */
int fx_setup(void **state);
int fx_teardown(void **state);
uint64_t fx_now(fx_world *w);

/* A temp directory (mkdtemp) and its recursive removal. */
void fx_tmpdir(char out[64]);
void fx_rmtree(const char *dir);
/* A fresh store at dir/name for `authority` (node key = seed 0xee). */
ronda_store *fx_store(const char *dir, const char *name, const fx_key *authority);

/* Member body JSON (precinct role names polres and polsek; hq names polres). */
json_t *fx_member_json(const fx_key *member, const char *role, const char *name, uint64_t from, uint64_t until);
/* Admit `member` with a member record appended by the authority's secret. */
void fx_admit(fx_world *w, const fx_key *member, const char *role, uint64_t from, uint64_t until,
              uint8_t id_out[RONDA_ID_BYTES]);

/* Dialogue JSON on `date` (YYYY-MM-DD, 09:00 WIB) with one topic; add more with fx_topic. */
json_t *fx_dialogue_json(const char *polres, const char *polsek, const char *date, const char *category,
                         const char *summary);
void fx_topic(json_t *dialogue, const char *category, const char *summary);
/* Resolution JSON of topic `topic` of `dialogue`; referred_to only when not NULL. */
json_t *fx_resolution_json(const uint8_t dialogue[RONDA_ID_BYTES], unsigned topic, const char *status,
                           const char *referred_to, const char *action);
/* Canonical body bytes of `json` (decref'd) by ronda_body_from_json; asserts success. */
uint8_t *fx_body(ronda_kind kind, json_t *json, size_t *len);
/* Append a record by `key` from JSON (decref'd); returns the error, id in id_out. */
ronda_err fx_append(fx_world *w, const fx_key *key, ronda_kind kind, json_t *json, uint8_t id_out[RONDA_ID_BYTES]);

/* Any JSON value as canonical msgpack (keys sorted canonically; "hex:..." strings become bin),
 * to craft bodies the schema refuses. Caller frees. */
uint8_t *fx_pack(const json_t *json, size_t *len);

/* A chain sealed outside any store: next seq, prev and an hlc of ms << 16. */
typedef struct fx_chain {
    const fx_key *key;
    uint64_t seq;
    uint8_t prev[RONDA_ID_BYTES];
} fx_chain;
/* Seal the next record of the chain (body bytes are not freed). Caller frees the result. */
uint8_t *fx_next(fx_chain *c, ronda_kind kind, const uint8_t *body, size_t body_len, uint64_t ms, size_t *len,
                 uint8_t id_out[RONDA_ID_BYTES]);

/* fx_next with a JSON body (decref'd) at FX_MS(n). */
uint8_t *fx_next_json(fx_chain *c, ronda_kind kind, json_t *json, uint64_t n, size_t *len,
                      uint8_t id_out[RONDA_ID_BYTES]);
/* Member and revoke bodies (last_id NULL = none). Caller frees. */
uint8_t *fx_member_body(const fx_key *k, const char *role, uint64_t from, uint64_t until, size_t *len);
uint8_t *fx_revoke_body(const fx_key *k, uint64_t last_seq, const uint8_t *last_id, size_t *len);
/* Ingest and assert the exact error (and, on success, the outcome). */
void fx_expect_ingest(ronda_store *s, const uint8_t *b, size_t len, ronda_err want, ronda_outcome want_o);

/* A small ledger sealed outside any store: the authority admits m1 and m2; m1 holds D1 (two
 * topics) and D2; m2 resolves D1's topics and holds D3; m1 later reopens D1's topic 0.
 * rec[] is one causal order; the chains are left at their heads for more records. */
typedef struct fx_ledger {
    uint8_t *rec[8];
    size_t len[8];
    uint8_t d1[RONDA_ID_BYTES], d2[RONDA_ID_BYTES], d3[RONDA_ID_BYTES];
    fx_chain ca, c1, c2;
} fx_ledger;
extern const int fx_in_order[8];
void fx_ledger_build(fx_world *w, fx_ledger *L, const fx_key *m1, const fx_key *m2);
/* Ingest the records in `order` (indexes into rec[]), each must be stored. */
void fx_ledger_load(ronda_store *s, const fx_ledger *L, const int *order);
void fx_ledger_free(fx_ledger *L);

/* A ronda_store_range callback keeping a malloc'd copy of the (last) record given. */
typedef struct fx_blob {
    uint8_t *p;
    size_t n;
} fx_blob;
int fx_grab(void *ctx, const uint8_t *rec, size_t n);

/* A copy of b with the first occurrence of `old` replaced by `nw` (asserts it occurs). */
uint8_t *fx_splice(const uint8_t *b, size_t len, const void *old, size_t olen, const void *nw, size_t nlen,
                   size_t *out_len);
/* A deep copy of JSON with every 64-hex-digit string marked "hex:" (bin for fx_pack). */
json_t *fx_wire(const json_t *json);

/* An envelope with any field values (prev NULL = nil; kind is any string), and a record
 * signed by `signer` over any envelope bytes (body NULL = redacted). Caller frees. */
uint8_t *fx_envelope(uint64_t version, const uint8_t author[RONDA_KEY_BYTES], uint64_t seq, const uint8_t *prev,
                     uint64_t hlc, const char *kind, const uint8_t hash[RONDA_HASH_BYTES], size_t *len);
uint8_t *fx_record(const fx_key *signer, const uint8_t *env, size_t env_len, const uint8_t *body, size_t body_len,
                   size_t *len);
void fx_hash(const uint8_t *b, size_t len, uint8_t out[RONDA_HASH_BYTES]);

/* Hex: bytes from hex with optional spaces (caller frees), and bytes to hex. */
uint8_t *fx_unhex(const char *hex, size_t *len);
void fx_hex(const uint8_t *b, size_t len, char *out);

/* Stats of a store; asserts success. */
ronda_stats fx_stats(ronda_store *s);
void fx_assert_stats_equal(const ronda_stats *a, const ronda_stats *b);
/* All ronda_store_query rows for q (NULL = no filters) as one JSON array, caller decrefs. */
json_t *fx_query(ronda_store *s, const ronda_query *q);
/* Whole file contents (caller frees) and writing bytes to a file. */
uint8_t *fx_read_file(const char *path, size_t *len);
void fx_write_file(const char *path, const uint8_t *b, size_t len);

/* Allocation watch (AddressSanitizer builds only; elsewhere it reports 0 and works=0). */
void fx_alloc_watch(int on);
size_t fx_alloc_largest(void);
int fx_alloc_watch_works(void);

#endif
