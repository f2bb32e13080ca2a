/* The sync protocol's messages as typed values (proto/sync.md, "Messages"): one decoder that
 * reads a message once, and one encoder per message of the table. Internal to src/sync/.
 *
 * Decoded pointers (keys, digests, heads, record bytes) view the message's bytes and are
 * valid while those are. The decoder is bounded: the message by SYNC_MSG_MAX, each count by
 * its limit (SYNC_FRONTIER_CHUNK entries, SYNC_BATCH_RECORDS records) and by the bytes left,
 * every read by the bytes left. It allocates nothing. Bytes after the message's array are
 * not read (older builds ignore them too). */
#ifndef RONDA_SYNC_WIRE_H
#define RONDA_SYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "record/canon.h"
#include "ronda/ronda.h"
#include "sync/sync.h"

typedef enum sync_wire_type {
    SYNC_WIRE_NONE = -1, /* not even a type could be read */
    SYNC_WIRE_HELLO = 0,
    SYNC_WIRE_SYNCED = 1,
    SYNC_WIRE_FRONTIER = 2,
    SYNC_WIRE_WANT = 3,
    SYNC_WIRE_RECORDS = 4,
    SYNC_WIRE_ZSTD = 5,
} sync_wire_type;

/* [0, version, authority bin32, digest bin32 (, clock_ms (, features (, later items...)))] */
typedef struct sync_wire_hello {
    uint64_t version;
    const uint8_t *authority; /* RONDA_KEY_BYTES */
    const uint8_t *digest;    /* RONDA_HASH_BYTES */
    int has_clock;            /* a 4-item HELLO (older builds) tells no clock */
    uint64_t clock_ms;
    int has_features;  /* a 4- or 5-item HELLO (older builds) tells no features */
    uint64_t features; /* SYNC_FEAT_* bits; bits this build does not know are ignored */
    /* Items after the 6th (a later build's): read as msgpack items, bounded, and ignored;
     * kept as their bytes so that a decoded HELLO is written back as it came. */
    uint32_t later;
    const uint8_t *later_bytes;
    size_t later_len;
} sync_wire_hello;

/* [1, digest bin32] */
typedef struct sync_wire_synced {
    const uint8_t *digest;
} sync_wire_synced;

/* One FRONTIER entry: [author bin32, seq, head bin32 (, fork (, evidence bin64))] */
typedef struct sync_wire_entry {
    const uint8_t *author;
    uint64_t seq;
    const uint8_t *head;
    uint64_t fork;       /* 0: no fork */
    const uint8_t *pair; /* the fork's two lowest ids, ascending (2 * RONDA_ID_BYTES); NULL: none named */
} sync_wire_entry;

/* [2, last 0|1, [entry, ...] (, round, chunk)]: with round and chunk, one chunk of a delta
 * frontier (proto/sync.md, "Delta frontiers") */
typedef struct sync_wire_frontier {
    uint64_t last;
    uint32_t n;
    int has_round;
    uint64_t round, chunk;
    sync_wire_entry e[SYNC_FRONTIER_CHUNK];
} sync_wire_frontier;

/* [3, author bin32, from, max] */
typedef struct sync_wire_want {
    const uint8_t *author;
    uint64_t from, max;
} sync_wire_want;

/* [4, reply 0|1, author bin32 | nil, [record bin, ...]] */
typedef struct sync_wire_records {
    uint64_t reply;
    const uint8_t *author; /* NULL: nil (a push) */
    uint32_t count;        /* the batch's count as sent */
    uint32_t got;          /* records read: count, or fewer when an item is not bytes */
    const uint8_t *item[SYNC_BATCH_RECORDS];
    size_t len[SYNC_BATCH_RECORDS];
} sync_wire_records;

/* [5, frame bin]: one zstd frame whose content is one whole RECORDS message (proto/sync.md,
 * "Compression"). The frame is inflated by sync_wire_inflate, not by the decoder. */
typedef struct sync_wire_zstd {
    const uint8_t *frame;
    uint32_t len;
} sync_wire_zstd;

typedef struct sync_wire_msg {
    sync_wire_type type;
    int partial; /* on RONDA_ERR_MALFORMED: what comes before the bad entry or record is decoded
                  * (frontier.n entries, records.got records), as older builds acted on it */
    union {
        sync_wire_hello hello;
        sync_wire_synced synced;
        sync_wire_frontier frontier;
        sync_wire_want want;
        sync_wire_records records;
        sync_wire_zstd zstd;
    } u;
} sync_wire_msg;

/* Decode one message. RONDA_OK, or RONDA_ERR_MALFORMED with what was wrong in detail (if not
 * NULL): too large, not an array with a type, an unknown type, a wrong item count, an item of
 * the wrong kind or length, a count beyond its limit or the bytes left, a truncation. */
ronda_err sync_wire_decode(const uint8_t *bytes, size_t len, sync_wire_msg *msg, ronda_detail *detail) RONDA_MUST_CHECK;

/* A reply large enough to be checked ahead under sync_hold (more than SYNC_PUSH_RELAY_MAX
 * records; never a push). */
int sync_wire_large_reply(const sync_wire_msg *msg);

/* Inflate a [5, frame] message: its frame must be one zstd frame that declares its content
 * size, at most SYNC_MSG_MAX, with a window of at most 2^SYNC_ZSTD_WINDOW_LOG bytes, and
 * inflate to exactly that size; the content must be a message of a type that may be
 * compressed (RECORDS). `dctx` is the caller's, reused. On RONDA_OK *out is
 * a malloc'd copy of the inner message (*out_len bytes) the caller frees; otherwise
 * RONDA_ERR_MALFORMED with the reason in detail, or RONDA_ERR_NOMEM. */
ronda_err sync_wire_inflate(ZSTD_DCtx *dctx, const sync_wire_zstd *z, uint8_t **out, size_t *out_len,
                            ronda_detail *detail) RONDA_MUST_CHECK;
/* Deflate a finished RECORDS message into a [5, frame] message at zstd level `level`, with
 * `cctx` (the caller's, reused). 1 and *out (malloc'd) when that is smaller than the message;
 * 0 when it is not, or on any failure (the message is then sent as it is). */
int sync_wire_deflate(ZSTD_CCtx *cctx, int level, const uint8_t *msg, size_t len, uint8_t **out, size_t *out_len);

/* Encoders, one per message, into a fresh cwr (cwr_init'd by the caller). HELLO: with
 * `features` a 6-item HELLO carrying *features; with NULL the 5-item HELLO of the builds
 * before features (sent to a peer whose HELLO had fewer than 6 items). */
void sync_wire_hello_enc(cwr *w, const uint8_t *authority, const uint8_t *digest, uint64_t clock_ms,
                         const uint64_t *features);
void sync_wire_synced_enc(cwr *w, const uint8_t *digest);
/* FRONTIER: the header of a chunk of n entries, then n entries; with `delta`, then
 * sync_wire_frontier_round_enc (round and chunk after the entries). */
void sync_wire_frontier_enc(cwr *w, int last, uint32_t n, int delta);
void sync_wire_frontier_round_enc(cwr *w, uint64_t round, uint64_t chunk);
void sync_wire_entry_enc(cwr *w, const uint8_t *author, uint64_t seq, const uint8_t *head, uint64_t fork,
                         const uint8_t *pair);
void sync_wire_want_enc(cwr *w, const uint8_t *author, uint64_t from, uint64_t max);
/* RECORDS: the header of a batch of n records, then n record bins (cwr_bin, or cwr_raw of
 * bins another cwr wrote). */
void sync_wire_records_enc(cwr *w, uint64_t reply, const uint8_t *author, uint32_t n);

/* A decoded message (complete, not partial) written back: the same bytes it was decoded from
 * (canonical msgpack has one form), up to the end of its array. For tests and the fuzz
 * harness's round-trip oracle. */
void sync_wire_encode(cwr *w, const sync_wire_msg *msg);

#endif
