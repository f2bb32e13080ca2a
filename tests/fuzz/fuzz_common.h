/* Shared by the libFuzzer harnesses (tests/fuzz): the keys the harnesses hold, a small real
 * ledger sealed with them, scratch stores copied from a template database, and the
 * placeholders that let fuzz bytes name real ids and keys.
 *
 * Everything is deterministic (fixed seeds, fixed times), so a crashing input replays the
 * same way on every machine, and the seed corpora (written by fuzz_seeds) stay valid. */
#ifndef RONDA_FUZZ_COMMON_H
#define RONDA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ronda/ronda.h"

/* 2026-01-01T00:00:00Z: members are valid from a day before it for a year. */
#define FZ_T0_MS 1767225600000ull
#define FZ_DAY_MS 86400000ull
/* The ledger's records are dated FZ_T0_MS + n seconds; the harnesses' clock starts later. */
#define FZ_NOW0_MS (FZ_T0_MS + FZ_DAY_MS)

/* The keys: the authority, three precinct members (M3 is revoked after its first record),
 * an hq member, and an outsider never admitted. */
typedef enum fz_who { FZ_AUTHORITY, FZ_M1, FZ_M2, FZ_M3, FZ_HQ, FZ_OUTSIDER, FZ__KEYS } fz_who;

typedef struct fz_key {
    uint8_t pk[RONDA_KEY_BYTES];
    uint8_t sk[RONDA_SECRET_BYTES];
    uint8_t curve[RONDA_KEY_BYTES]; /* its Curve25519 public key, as a member record names it */
} fz_key;

/* The records of the base ledger, in causal order: the authority admits M1, M2, M3 and HQ;
 * M1 files D1 (two topics); M2 resolves D1's topic 0; M3 files D3; the authority revokes M3
 * after its seq 1; M1 files D2 and amends D1. */
#define FZ_LEDGER_MAX 16u
typedef struct fz_ledger {
    uint8_t *rec[FZ_LEDGER_MAX];
    size_t len[FZ_LEDGER_MAX];
    uint8_t id[FZ_LEDGER_MAX][RONDA_ID_BYTES];
    size_t n;
    uint8_t d1[RONDA_ID_BYTES]; /* M1's first dialogue */
} fz_ledger;

/* Once per process: ronda_init, the keys, the ledger, a scratch directory (removed at exit)
 * and two template databases: one holding the ledger and one holding nothing. */
void fz_init(void);
const fz_key *fz_key_of(fz_who who);
const fz_ledger *fz_ledger_get(void);
/* The scratch directory (on a tmpfs when one is writable: SQLite syncs every commit). */
const char *fz_dir(void);

/* The harnesses' wall clock, ms: FZ_NOW0_MS at the start of every input, advanced by the
 * sync harness's ticks. A store that checks records' times against a clock is to be given
 * this one, so that every input runs the same way whatever the date of the machine. */
extern uint64_t fz_clock_ms;

/* A fresh store at the scratch path `name`, copied from a template: with the ledger
 * (full = 1) or empty (full = 0). Its node key is M2's. Aborts on failure: the harness,
 * not the input, is broken then. */
ronda_store *fz_store(const char *name, int full);
/* Close it and delete its files. */
void fz_store_drop(ronda_store **s, const char *name);

/* Placeholders in fuzz-made bodies: a run of 32 equal bytes 0xA0+k / 0xB0+k / 0xC0+k
 * becomes the signing key / Curve25519 key / head id (held in `s`) of key k (fz_who);
 * 32 x 0xD1 becomes `last` (the id of the record sealed before, when given), 32 x 0xD0
 * becomes D1's id, 32 x 0xDD the ledger digest of `s`. Rewrites `body` in place. */
void fz_substitute(uint8_t *body, size_t len, ronda_store *s, const uint8_t *last);

/* Canonical body bytes for JSON (decref'd); aborts when the schema refuses it. Caller frees. */
uint8_t *fz_body(ronda_kind kind, json_t *json, size_t *len);

/* Abort with a message: an oracle of a harness failed (libFuzzer saves the input). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
