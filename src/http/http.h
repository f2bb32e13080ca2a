/* The HQ web server: a read-only JSON API, /metrics and the embedded dashboard, served by
 * `ronda run --http ADDR` with libmicrohttpd (docs/http.md).
 *
 * It runs on its own threads (RONDA_HTTP_THREADS), each answering from its own read-only
 * SQLite connection, so a slow query never blocks the sync loop, and the sync loop never
 * waits for a browser. What only the daemon knows (peers, sync and transport counters) it
 * publishes now and then as an http_snapshot, copied under a mutex: plain data, filled by
 * src/node/snapshot.c, so that this layer knows neither the sync core nor the transport. */
#ifndef RONDA_HTTP_H
#define RONDA_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ronda/ronda.h"

/* The API token file in the node directory: `ronda-http-token-v1 HEX`, mode 0600, created
 * on first use. The token is never printed or logged. */
#define HTTP_TOKEN_FILE "http.token"
#define HTTP_TOKEN_TYPE "ronda-http-token-v1"
#define HTTP_TOKEN_BYTES 32u
#define HTTP_PUBLISH_MS 250u /* the daemon refreshes the snapshot this often */

/* Peers one snapshot lists: every connection a node keeps (at least SYNC_PEERS_MAX, checked
 * at compile time where the snapshot is filled, src/node/snapshot.c). */
#define HTTP_PEERS_MAX 64u

/* The sync core's counters the API and /metrics show (from sync_stats). */
typedef struct http_sync_counters {
    uint64_t received;   /* records received from peers */
    uint64_t stored;     /* of those, new and stored */
    uint64_t duplicates; /* already held */
    uint64_t forks;      /* stored as fork evidence */
    uint64_t rejected;   /* refused (bad records) */
    uint64_t deferred;   /* not applicable yet: fetched again later */
    uint64_t future;     /* dated too far ahead of this node's clock */
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
    uint64_t records_wire_in, records_wire_out, records_raw_in, records_raw_out; /* RECORDS: on the wire, before zstd */
    uint64_t rejected_by[RONDA_ERR__COUNT]; /* `rejected` by the check that refused them */
} http_sync_counters;

/* The transport's counters the API and /metrics show (from net_stats). */
typedef struct http_net_counters {
    uint64_t zap_accepted, zap_refused; /* handshakes the ZAP handler admitted / refused */
} http_net_counters;

typedef struct http_peer {
    uint32_t id;
    int outgoing;                  /* we connected to it (else it connected to us) */
    int known;                     /* sign is its signing key */
    uint8_t sign[RONDA_KEY_BYTES]; /* its member key (from the roster or its handshake) */
    uint64_t up_ms;                /* connection up since */
    uint64_t last_sync_ms;         /* last round with equal digests; 0: not yet */
    uint64_t bad;                  /* refused records it sent */
    int banned;
    int has_offset;    /* its HELLO told its clock */
    int64_t offset_ms; /* our wall clock minus its */
} http_peer;

/* What the daemon knows and the database does not. */
typedef struct http_snapshot {
    uint64_t taken_ms;   /* wall clock when taken */
    uint64_t started_ms; /* the daemon's start (on the wall clock as it reads now) */
    size_t offset_peers; /* peers the clock offset is drawn from; 0: not known */
    int64_t offset_ms;   /* this node's clock minus its peers' (sync_clock_offset) */
    http_sync_counters sync;
    http_net_counters net;
    size_t npeers;
    http_peer peers[HTTP_PEERS_MAX];
    /* the daemon's view check (src/cli/viewwatch.h), filled by the daemon after the take */
    int view_enabled;            /* --view-check > 0 */
    uint64_t view_checks;        /* checks finished; 0: none yet */
    int view_err;                /* ronda_err of the last: RONDA_OK, RONDA_ERR_VIEW, or why it failed */
    uint64_t view_disagreements; /* differences the last check found */
    uint64_t view_checked_ms;    /* wall clock when it finished */
    char view_first[240];        /* the first difference, "" when none */
} http_snapshot;

typedef void (*http_log_fn)(void *ctx, int level, const char *text);

typedef struct http_config {
    const char *listen;   /* "PORT", "HOST:PORT" or "[V6]:PORT"; HOST defaults to 127.0.0.1 */
    const char *node_dir; /* holds ronda.db and the token file */
    const char *zone;     /* "WIB", "WITA" or "WIT": how the dashboard shows times */
    http_log_fn log;      /* called from the server's threads too */
    void *log_ctx;
} http_config;

typedef struct http_server http_server;

/* Parse a zone name; its offset from UTC in minutes, or -1 when unknown. */
int http_zone_offset(const char *zone);

/* Load the API token from dir/HTTP_TOKEN_FILE, creating it (0600, O_EXCL) when missing;
 * hex_out gets its 64 hex digits. */
ronda_err http_token(const char *dir, char hex_out[2 * HTTP_TOKEN_BYTES + 1]) RONDA_MUST_CHECK;

/* Start serving. On failure *out is untouched and `why` (len bytes) says what went wrong. */
ronda_err http_start(const http_config *cfg, http_server **out, char *why, size_t len) RONDA_MUST_CHECK;

/* Replace the published snapshot (a copy is taken under the server's mutex). */
void http_publish(http_server *h, const http_snapshot *snap);

/* Stop serving, wait for requests in flight, close everything; accepts NULL. */
void http_stop(http_server **h);

/* The embedded dashboard files (generated at build time from src/http/assets). */
typedef struct http_asset {
    const char *path; /* "/app.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
} http_asset;
extern const http_asset http_assets[];
extern const size_t http_assets_count;

#endif
