/* `ronda run`: the node daemon. Serves and syncs in the foreground until SIGTERM/SIGINT.
 *
 * One thread runs the loop: poll the sockets (at most TICK_MS), hand messages to the sync
 * core, tick it, and send what it queued. Every ALLOW_REFRESH_MS the allowlist and the
 * peer set are recomputed from the roster, so admissions and revocations that arrive by
 * sync take effect without a restart: a revoked member's connections are dropped. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/http.h"
#include "net/net.h"
#include "sync/sync.h"
#include "util/util.h"

#define TICK_MS 50            /* push latency: new local records go out within this */
#define ALLOW_REFRESH_MS 1000 /* roster changes reach the allowlist within this */
#define FANOUT_DEFAULT 3      /* peers from the roster a node connects to */
#define BOOTSTRAP_MAX 16      /* --peer endpoints */
#define STATS_MS 5000         /* a stats line in the log this often (debug level) */

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

typedef struct daemon_ctx {
    node n;
    net *net;
    sync_core *sync;
    int log_level;
    int journal; /* stderr goes to the journal: use <N> priority prefixes */
    const char *bootstrap[BOOTSTRAP_MAX];
    int warned[BOOTSTRAP_MAX]; /* an unknown --peer was reported */
    size_t nbootstrap;
    unsigned fanout;
    uint8_t self[32];
    uint32_t dealer_peer[NET_DEALERS_MAX + 1]; /* connected dealer peer ids (by slot) */
    uint8_t dealer_sign[NET_DEALERS_MAX + 1][32];
    http_server *http; /* --http: the HQ dashboard and API (src/http), or NULL */
} daemon_ctx;

static void logmsg(daemon_ctx *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logmsg(daemon_ctx *d, int level, const char *fmt, ...) {
    static const char *const names[8] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
    if (level > d->log_level) return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (d->journal)
        fprintf(stderr, "<%d>%s\n", level, text);
    else
        fprintf(stderr, "ronda[%d] %s: %s\n", (int)getpid(), names[level & 7], text);
}

static void http_log(void *ctx, int level, const char *text) { logmsg(ctx, level, "%s", text); }

static void sync_log(void *ctx, int level, uint32_t peer, const char *text) {
    logmsg(ctx, level, "peer %u: %s", peer, text);
}

typedef struct roster_ctx {
    daemon_ctx *d;
    uint8_t (*sign)[32];
    uint8_t (*curve)[32];
    char (*endpoint)[160];
    size_t n, cap;
} roster_ctx;

static int roster_add(void *vctx, const uint8_t *sign, const uint8_t *curve, const char *endpoint, const char *name) {
    roster_ctx *r = vctx;
    (void)name;
    if (r->n >= r->cap) return 1;
    memcpy(r->sign[r->n], sign, 32);
    memcpy(r->curve[r->n], curve, 32);
    snprintf(r->endpoint[r->n], sizeof r->endpoint[r->n], "%s", endpoint ? endpoint : "");
    r->n++;
    return 0;
}

static int connected_to(daemon_ctx *d, const uint8_t *curve) {
    for (uint32_t p = 1; p <= NET_DEALERS_MAX; p++) {
        const uint8_t *c = net_peer_curve(d->net, p);
        if (c && memcmp(c, curve, 32) == 0) return 1;
    }
    return 0;
}

static void connect_peer(daemon_ctx *d, const char *endpoint, const uint8_t *sign, const uint8_t *curve) {
    uint32_t id = net_connect(d->net, endpoint, curve);
    if (!id) {
        logmsg(d, 4, "cannot connect to %s", endpoint);
        return;
    }
    d->dealer_peer[id] = id;
    memcpy(d->dealer_sign[id], sign, 32);
    char who[13];
    cli_short(sign, who);
    logmsg(d, 6, "connecting to %s (member %s) as peer %u", endpoint, who, id);
    if (sync_peer_up(d->sync, id, cli_now_ms()) != RONDA_OK) logmsg(d, 4, "too many peers");
}

/* Recompute the allowlist from the roster; drop revoked peers; connect to new ones. */
static void refresh(daemon_ctx *d) {
    roster_ctx r = {d, NULL, NULL, NULL, 0, NET_ALLOW_MAX};
    r.sign = malloc(NET_ALLOW_MAX * sizeof *r.sign);
    r.curve = malloc(NET_ALLOW_MAX * sizeof *r.curve);
    r.endpoint = malloc(NET_ALLOW_MAX * sizeof *r.endpoint);
    if (!r.sign || !r.curve || !r.endpoint ||
        ronda_store_live_members(d->n.store, cli_now_ms(), roster_add, &r) != RONDA_OK) {
        free(r.sign);
        free(r.curve);
        free(r.endpoint);
        return;
    }
    net_allow(d->net, (const uint8_t(*)[32])r.sign, (const uint8_t(*)[32])r.curve, r.n);
    /* Dealers to servers that are no longer live members are closed. */
    for (uint32_t p = 1; p <= NET_DEALERS_MAX; p++) {
        const uint8_t *c = net_peer_curve(d->net, p);
        if (!c) continue;
        int live = 0;
        for (size_t i = 0; i < r.n && !live; i++) live = memcmp(r.curve[i], c, 32) == 0;
        if (!live || sync_peer_banned(d->sync, p)) {
            logmsg(d, 5, "dropping peer %u: %s", p, live ? "misbehaved" : "no longer a live member");
            sync_peer_down(d->sync, p);
            net_disconnect(d->net, p);
            d->dealer_peer[p] = 0;
        }
    }
    /* Bootstrap endpoints first (their keys come from the roster), then random members. */
    for (size_t b = 0; b < d->nbootstrap; b++) {
        int known = 0;
        for (size_t i = 0; i < r.n; i++)
            if (strcmp(r.endpoint[i], d->bootstrap[b]) == 0 && memcmp(r.sign[i], d->self, 32) != 0) {
                known = 1;
                if (!connected_to(d, r.curve[i])) connect_peer(d, r.endpoint[i], r.sign[i], r.curve[i]);
            }
        if (!known && !d->warned[b]) {
            logmsg(d, 4,
                   "--peer %s is no live member's endpoint in the roster: not connecting (its CURVE key is unknown)",
                   d->bootstrap[b]);
            d->warned[b] = 1;
        }
    }
    unsigned have = 0;
    for (uint32_t p = 1; p <= NET_DEALERS_MAX; p++) have += net_peer_curve(d->net, p) != NULL;
    for (unsigned tries = 0; have < d->fanout + d->nbootstrap && tries < 4 * r.n && r.n > 0; tries++) {
        size_t i = randombytes_uniform((uint32_t)r.n);
        if (!r.endpoint[i][0] || memcmp(r.sign[i], d->self, 32) == 0 || connected_to(d, r.curve[i])) continue;
        connect_peer(d, r.endpoint[i], r.sign[i], r.curve[i]);
        have++;
    }
    free(r.sign);
    free(r.curve);
    free(r.endpoint);
}

static void ev_up(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    logmsg(d, 6, "peer %u connected to us", peer);
    if (sync_peer_up(d->sync, peer, cli_now_ms()) != RONDA_OK) logmsg(d, 4, "too many peers: ignoring %u", peer);
}

static void ev_down(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    logmsg(d, 5, "peer %u is no longer a live member: dropped", peer);
    sync_peer_down(d->sync, peer);
}

static void ev_msg(void *ctx, uint32_t peer, const uint8_t *data, size_t len) {
    daemon_ctx *d = ctx;
    if (sync_receive(d->sync, peer, data, len, cli_now_ms()) != RONDA_OK) logmsg(d, 3, "database error while syncing");
    if (sync_peer_banned(d->sync, peer) && peer >= NET_ROUTER_PEER_BASE) {
        sync_peer_down(d->sync, peer);
        net_disconnect(d->net, peer);
    }
}

static void flush(daemon_ctx *d) {
    uint32_t peer;
    uint8_t *msg;
    size_t len;
    while (sync_next_out(d->sync, &peer, &msg, &len)) {
        (void)net_send(d->net, peer, msg, len);
        free(msg);
    }
}

static const char run_help[] = "usage: ronda run [--dir DIR] [--listen ENDPOINT] [--peer ENDPOINT ...] [--fanout N]\n"
                               "                 [--log-level error|warning|notice|info|debug] [--http [HOST:]PORT]\n"
                               "                 [--http-zone WIB|WITA|WIT]\n"
                               "\n"
                               "Run the node in the foreground: serve peers on a ZeroMQ ROUTER (CurveZMQ, only live\n"
                               "members' keys admitted) and sync with peers until SIGTERM or SIGINT. Records written\n"
                               "meanwhile with `ronda record` (another process, same --dir) are pushed at once.\n"
                               "\n"
                               "  --listen ENDPOINT  where to serve, e.g. tcp://127.0.0.1:7401 (default: the endpoint\n"
                               "                     of this node's member record; none: do not serve)\n"
                               "  --peer ENDPOINT    a peer to always connect to (its key comes from the roster);\n"
                               "                     repeatable\n"
                               "  --fanout N         further peers chosen at random from the roster (default 3)\n"
                               "  --http [HOST:]PORT serve the read-only HQ dashboard, JSON API and /metrics there\n"
                               "                     (HOST default 127.0.0.1; token in DIR/http.token; docs/http.md)\n"
                               "  --http-zone ZONE   the dashboard's time zone: WIB (default), WITA or WIT\n"
                               "Logs go to stderr, one line per event (systemd priority prefixes under the journal).\n";

int cmd_run(int argc, char **argv) {
    const char *dir = NULL, *listen = NULL, *fanout = NULL, *level = NULL, *http = NULL, *zone = "WIB";
    strlist peers = {{0}, 0};
    const opt opts[] = {{"dir", OPT_STR, &dir},       {"listen", OPT_STR, &listen},   {"peer", OPT_LIST, &peers},
                        {"fanout", OPT_STR, &fanout}, {"log-level", OPT_STR, &level}, {"http", OPT_STR, &http},
                        {"http-zone", OPT_STR, &zone}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("run", run_help, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc >= 0) return rc;
    static daemon_ctx d; /* large; one per process */
    memset(&d, 0, sizeof d);
    d.log_level = 6;
    if (level) {
        static const char *const names[] = {"error", "warning", "notice", "info", "debug"};
        d.log_level = -1;
        for (int i = 0; i < 5; i++)
            if (strcmp(level, names[i]) == 0) d.log_level = 3 + i;
        if (d.log_level < 0) return cli_usage("run", "--log-level is one of error warning notice info debug");
    }
    d.journal = getenv("JOURNAL_STREAM") != NULL;
    d.fanout = fanout ? (unsigned)strtoul(fanout, NULL, 10) : FANOUT_DEFAULT;
    if (d.fanout > NET_DEALERS_MAX / 2) d.fanout = NET_DEALERS_MAX / 2;
    if (peers.n > BOOTSTRAP_MAX) return cli_usage("run", "at most %d --peer", BOOTSTRAP_MAX);
    if (http_zone_offset(zone) < 0) return cli_usage("run", "--http-zone is one of WIB WITA WIT");
    for (size_t i = 0; i < peers.n; i++) d.bootstrap[d.nbootstrap++] = peers.v[i];

    if ((rc = node_open(&d.n, cli_dir(dir), 1)) != EXIT_OK) return rc;
    uint8_t csk[32], cpk[32];
    char path[4200];
    node_path(&d.n, NODE_CURVE_KEY, path, sizeof path);
    ronda_err e = keyfile_read(path, CURVE_KEY_TYPE, csk, sizeof csk);
    if (e != RONDA_OK) {
        node_close(&d.n);
        return cli_fail(EXIT_ENV, path, e, NULL, "the CurveZMQ key file must exist with mode 0600");
    }
    crypto_scalarmult_base(cpk, csk);
    ronda_store_node(d.n.store, d.self);
    json_t *me = NULL;
    char endpoint[256] = "";
    if (listen)
        snprintf(endpoint, sizeof endpoint, "%s", strcmp(listen, "none") == 0 ? "" : listen);
    else if (ronda_store_member(d.n.store, d.self, &me) == RONDA_OK &&
             json_string_value(json_object_get(me, "endpoint")))
        snprintf(endpoint, sizeof endpoint, "%s", json_string_value(json_object_get(me, "endpoint")));
    json_decref(me);

    e = net_new(endpoint[0] ? endpoint : NULL, cpk, csk, &d.net);
    sodium_memzero(csk, sizeof csk);
    if (e == RONDA_OK) e = sync_new(d.n.store, sync_log, &d, &d.sync);
    if (e != RONDA_OK) {
        net_destroy(&d.net);
        node_close(&d.n);
        return cli_fail(EXIT_ENV, "run", e, NULL, endpoint[0] ? "is the endpoint free and valid?" : NULL);
    }
    char why[300];
    http_config hc = {http, d.n.dir, zone, http_log, &d};
    if (http && (e = http_start(&hc, &d.http, why, sizeof why)) != RONDA_OK) {
        sync_destroy(&d.sync);
        net_destroy(&d.net);
        node_close(&d.n);
        fprintf(stderr, "ronda: run: %s\n", why);
        return e == RONDA_ERR_INVALID ? EXIT_USAGE : EXIT_ENV;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char who[13];
    cli_short(d.self, who);
    logmsg(&d, 5, "node %s running%s%s", who, endpoint[0] ? ", serving " : " (not serving)", endpoint);

    net_events ev = {&d, ev_up, ev_down, ev_msg};
    uint64_t next_refresh = 0, next_stats = cli_now_ms() + STATS_MS, started = cli_now_ms(), next_publish = 0;
    while (!stop_requested) {
        uint64_t now = cli_now_ms();
        if (now >= next_refresh) {
            refresh(&d);
            next_refresh = now + ALLOW_REFRESH_MS;
        }
        if (sync_tick(d.sync, now) != RONDA_OK) logmsg(&d, 3, "database error in tick");
        flush(&d);
        if (net_poll(d.net, TICK_MS, &ev) != RONDA_OK) {
            logmsg(&d, 3, "poll failed");
            break;
        }
        flush(&d);
        if (d.http && now >= next_publish) {
            static http_snapshot snap; /* ~5 KiB, one per process */
            http_snapshot_take(&snap, d.sync, d.net, (const uint8_t(*)[32])d.dealer_sign, started, now);
            http_publish(d.http, &snap);
            next_publish = now + HTTP_PUBLISH_MS;
        }
        if (now >= next_stats) {
            sync_stats st;
            sync_get_stats(d.sync, &st);
            logmsg(&d, 7,
                   "stats: received %llu stored %llu duplicate %llu rejected %llu forks %llu msgs_in %llu msgs_out %llu"
                   " bytes_in %llu bytes_out %llu rounds_in_sync %llu",
                   (unsigned long long)st.received, (unsigned long long)st.stored, (unsigned long long)st.duplicates,
                   (unsigned long long)st.rejected, (unsigned long long)st.forks, (unsigned long long)st.msgs_in,
                   (unsigned long long)st.msgs_out, (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out,
                   (unsigned long long)st.rounds_in_sync);
            next_stats = now + STATS_MS;
        }
    }
    logmsg(&d, 5, "stopping");
    http_stop(&d.http);
    sync_destroy(&d.sync);
    net_destroy(&d.net);
    node_close(&d.n);
    return EXIT_OK;
}
