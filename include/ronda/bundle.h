/* Bundles: a ledger (or part of one) as a file, for export/import and offline audit.
 *
 * A bundle is a msgpack stream: one header map, then records in the v1 layout, main
 * records in the exporter's arrival order, then fork evidence. proto/bundle.md is the
 * normative description. Import checks every record exactly as the network will. */
#ifndef RONDA_BUNDLE_H
#define RONDA_BUNDLE_H

#include <stdio.h>

#include "ronda/store.h"

#define RONDA_BUNDLE_FORMAT "ronda-bundle"
#define RONDA_BUNDLE_VERSION 1u

typedef struct ronda_bundle_header {
    uint8_t authority[RONDA_KEY_BYTES]; /* the network's authority key */
    uint64_t records;                   /* ledger records that follow */
    uint64_t forks;                     /* fork-evidence records after them */
    uint8_t digest[RONDA_HASH_BYTES];   /* ledger digest of the exporter at export time */
    uint64_t created_ms;                /* when it was written (exporter's clock) */
} ronda_bundle_header;

/* Write the whole ledger of `s` to `out` from one consistent snapshot. */
RONDA_API ronda_err ronda_bundle_export(ronda_store *s, FILE *out, uint64_t now_ms,
                                        ronda_bundle_header *header) RONDA_MUST_CHECK;

/* Read only the header of the bundle at `in` (for tools that must know the authority key
 * before importing); the stream position afterwards is unspecified. */
RONDA_API ronda_err ronda_bundle_read_header(FILE *in, ronda_bundle_header *header,
                                             ronda_detail *detail) RONDA_MUST_CHECK;

typedef struct ronda_import_result {
    ronda_bundle_header header; /* as read from the bundle */
    uint64_t read;              /* records read */
    uint64_t stored, duplicates, forks;
    uint64_t revoked;      /* skipped: written after their author's revocation */
    uint64_t failed_index; /* on failure: 1-based index of the refused record, 0 = header */
    ronda_detail detail;   /* on failure: why */
} ronda_import_result;

/* Read a bundle and apply it in one transaction: all of it is stored, or (on the first
 * refused record, a truncated stream, or a count that disagrees with the header) none of
 * it. `threads` check signatures in parallel (0 = one per core). `progress`, when not
 * NULL, is called every batch with the records read so far (it receives no pointer but
 * `ctx`, passed unchanged). `res` is filled in both cases. */
RONDA_API ronda_err ronda_bundle_import(ronda_store *s, FILE *in, unsigned threads,
                                        void (*progress)(void *ctx, uint64_t read, uint64_t total), void *ctx,
                                        ronda_import_result *res) RONDA_MUST_CHECK;

#endif
