/* `ronda run`: the node daemon. Serves and syncs in the foreground until SIGTERM/SIGINT.
 *
 * One thread runs the loop: poll the sockets (at most TICK_MS), hand messages to the sync
 * core, tick it, and send what it queued. Every ALLOW_REFRESH_MS the allowlist and the
 * peer set are recomputed from the roster, so admissions and revocations that arrive by
 * sync take effect without a restart: a revoked member's connections are dropped.
 *
 * Every timer runs on the monotonic clock: a step of the wall clock (NTP, an operator)
 * neither stops rounds nor fires them all. The wall clock goes only into records' times,
 * HELLO (peers measure their clocks' offset from it) and what people read. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/log.h"
#include "cli/notify.h"
#include "cli/viewwatch.h"
#include "http/http.h"
#include "net/net.h"
#include "node/catchup.h"
#include "node/checkpoints.h"
#include "node/peers.h"
#include "node/snapshot.h"
#include "sync/sync.h"
#include "util/assert.h"
#include "util/util.h"

#define TICK_MS 50            /* push latency: new local records go out within this */
#define ALLOW_REFRESH_MS 1000 /* roster changes reach the allowlist within this */
#define STATS_MS 5000         /* a stats line in the log this often (debug level) */
#define STATUS_MS 2000        /* systemd STATUS= and catch-up progress this often */
#define SYNCED_CHECK_MS 1000  /* rounds that ended in sync looked for this often (checkpoints, cosigns) */
#define CLOCK_CHECK_MS 1000   /* the clock offset from peers is looked at this often */

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

typedef struct daemon_ctx {
    node n;
    net *net;
    sync_core *sync;
    const char *bootstrap[NODE_BOOTSTRAP_MAX];
    int warned[NODE_BOOTSTRAP_MAX]; /* an unknown --peer was reported */
    size_t nbootstrap;
    unsigned fanout;
    uint8_t self[32];
    http_server *http; /* --http: the HQ dashboard and API (src/http), or NULL */
    /* Peers the sync core cut off (its sync_on_ban hook), acted on once the core's call
     * returns: each peer at most once until it is down, so SYNC_PEERS_MAX of them. */
    uint32_t banned[SYNC_PEERS_MAX];
    size_t nbanned;
    /* Catch-up progress, also reported between messages of one poll (ev_msg): a catch-up
     * of a few thousand records can begin and end within one poll. */
    progress catchup;
    node_catchup caught;
    uint64_t next_progress;
    const char *who;
    int clock_off;          /* the node's clock is off by more than the bound (as last logged) */
    int64_t offset_written; /* the clock offset last written to the store */
    uint64_t offset_at;     /* when (monotonic); 0: never */
} daemon_ctx;

/* Both clocks now, for the sync core. */
static sync_clock clocks_now(void) { return (sync_clock){ronda_mono_now(), ronda_wall_now()}; }

static void logmsg(daemon_ctx *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logmsg(daemon_ctx *d, int level, const char *fmt, ...) {
    (void)d;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

/* A failure of the node's own store while syncing, with its cause and fix (a full disk
 * fails every message alike: at most one line per DBERR_LOG_MS, counting the rest). */
#define DBERR_LOG_MS 10000
static void log_dberr(daemon_ctx *d, const char *what, ronda_err e) {
    static uint64_t last_ms;
    static unsigned quiet;
    uint64_t now = cli_now_ms();
    if (last_ms && now - last_ms < DBERR_LOG_MS) {
        quiet++;
        return;
    }
    char text[600];
    cli_error_text(d->n.store, e, text, sizeof text);
    logmsg(d, 3, "%s: %s%s", what, text, quiet ? " (and more like it, not logged)" : "");
    last_ms = now;
    quiet = 0;
}

/* A peer in the log: the member's signing key, shortened by cli_short() like every id. */
static void peer_name(daemon_ctx *d, uint32_t peer, char out[24]) {
    const uint8_t *sign = net_peer_sign(d->net, peer);
    if (sign)
        cli_short(sign, out);
    else
        snprintf(out, 24, "#%u", peer);
}

static void http_log(void *ctx, int level, const char *text) { logmsg(ctx, level, "%s", text); }

static void sync_log(void *ctx, int level, uint32_t peer, const char *text) {
    char who[24];
    peer_name(ctx, peer, who);
    logmsg(ctx, level, "peer %s: %s", who, text);
}

static void connect_peer(daemon_ctx *d, const char *endpoint, const uint8_t *sign, const uint8_t *curve) {
    uint32_t id = net_connect(d->net, endpoint, curve, sign);
    if (!id) {
        logmsg(d, 4, "cannot connect to %s: %s", endpoint, net_error(d->net));
        return;
    }
    char who[13];
    cli_short(sign, who);
    logmsg(d, 6, "peer %s: connecting to %s", who, endpoint);
    if (sync_peer_up(d->sync, id, clocks_now()) != RONDA_OK) logmsg(d, 4, "too many peers");
}

static void ev_down(void *ctx, uint32_t peer);

static uint32_t uniform(void *rng, uint32_t n) {
    (void)rng;
    return randombytes_uniform(n);
}

/* Recompute the allowlist from the roster; drop peers that left it; dial new ones
 * (src/node/peers.h chooses whom). */
static void refresh(daemon_ctx *d) {
    node_roster r;
    ronda_err e = node_roster_load(&r, d->n.store, cli_now_ms());
    if (e != RONDA_OK) {
        log_dberr(d, "reading the roster failed (peers and allowlist unchanged)", e);
        return;
    }
    static int warned_full;
    if (r.full && !warned_full) {
        logmsg(d, 4, "more than %u live members: the rest are neither admitted nor dialled", NODE_ROSTER_MAX);
        warned_full = 1;
    }
    /* The allowlist takes the keys as two arrays. */
    uint8_t(*sign)[32] = malloc((r.n ? r.n : 1) * sizeof *sign);
    uint8_t(*curve)[32] = malloc((r.n ? r.n : 1) * sizeof *curve);
    if (!sign || !curve) {
        free(sign);
        free(curve);
        node_roster_free(&r);
        logmsg(d, 3, "allowlist: out of memory (unchanged)");
        return;
    }
    for (size_t i = 0; i < r.n; i++) {
        memcpy(sign[i], r.m[i].sign, 32);
        memcpy(curve[i], r.m[i].curve, 32);
    }
    /* Members connected to our ROUTER whose keys left the roster are reported down here and
     * their connections closed (net.h); a failure leaves the node refusing every handshake
     * (out of memory) or not serving (net_poll then fails and the daemon stops). */
    net_events down = {d, NULL, ev_down, NULL, NULL, NULL};
    if (net_allow(d->net, (const uint8_t(*)[32])sign, (const uint8_t(*)[32])curve, r.n, &down) != RONDA_OK)
        logmsg(d, 3, "allowlist: %s", net_error(d->net));
    free(sign);
    free(curve);
    /* Dealers to servers that are no longer live members are closed. */
    uint8_t connected[NET_DEALERS_MAX][32];
    size_t nconnected = 0;
    for (uint32_t p = 1; p <= NET_DEALERS_MAX; p++) {
        const uint8_t *c = net_peer_curve(d->net, p);
        if (!c) continue;
        if (!node_roster_find_curve(&r, c)) {
            char who[24];
            peer_name(d, p, who);
            logmsg(d, 5, "peer %s: dropped, no longer a live member", who);
            sync_peer_down(d->sync, p);
            net_disconnect(d->net, p);
            continue;
        }
        memcpy(connected[nconnected++], c, 32);
    }
    node_peer_choice ch;
    node_choose_peers(&r, d->self, d->bootstrap, d->nbootstrap, (const uint8_t(*)[32])connected, nconnected, d->fanout,
                      uniform, NULL, &ch);
    for (size_t b = 0; b < d->nbootstrap; b++)
        if ((ch.unknown_bootstrap >> b & 1u) && !d->warned[b]) {
            logmsg(d, 4,
                   "--peer %s is no live member's endpoint in the roster: not connecting (its CURVE key is unknown)",
                   d->bootstrap[b]);
            d->warned[b] = 1;
        }
    for (size_t k = 0; k < ch.ndial; k++) {
        const node_member *m = &r.m[ch.dial[k]];
        connect_peer(d, m->endpoint, m->sign, m->curve);
    }
    node_roster_free(&r);
}

static void ev_up(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    char who[24];
    peer_name(d, peer, who);
    logmsg(d, 6, "peer %s: connected to us", who);
    if (sync_peer_up(d->sync, peer, clocks_now()) != RONDA_OK) logmsg(d, 4, "peer %s: too many peers, ignored", who);
}

static void ev_down(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    char who[24];
    peer_name(d, peer, who);
    logmsg(d, 5, "peer %s: no longer a live member, dropped", who);
    sync_peer_down(d->sync, peer);
}

/* A handshake our ROUTER refused (rate-limited by the transport: net.h). */
static void ev_refused(void *ctx, const char *address, const char *reason, uint64_t suppressed) {
    daemon_ctx *d = ctx;
    if (address)
        logmsg(d, 5, "handshake from %s refused: %s", address, reason);
    else
        logmsg(d, 5, "%llu more handshakes refused in the last %d s, not logged one by one",
               (unsigned long long)suppressed, NET_REFUSED_LOG_WINDOW_MS / 1000);
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

static void ev_ready(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    char who[24];
    peer_name(d, peer, who);
    logmsg(d, 7, "peer %s: handshake done", who);
    sync_peer_ready(d->sync, peer, clocks_now());
    flush(d);
}

/* The sync core's hook (sync_on_ban): it cut a peer off. Noted here, acted on by cut_off()
 * once the core's call has returned. */
static void on_ban(void *ctx, uint32_t peer) {
    daemon_ctx *d = ctx;
    for (size_t i = 0; i < d->nbanned; i++)
        if (d->banned[i] == peer) return;
    RONDA_ASSERT_MSG(d->nbanned < SYNC_PEERS_MAX, "%zu bans pending", d->nbanned);
    d->banned[d->nbanned++] = peer;
}

/* The peers the core cut off since the last call: a member that dialled us is banned by
 * the transport (its handshakes refused for NET_BAN_MS), a server we dialled is closed.
 * A large reply is applied when the next message arrives or at sync_release (sync.h), so
 * the peer its bad records get cut off may not be the one whose message was handled: the
 * hook names it whichever call it was. */
static void cut_off(daemon_ctx *d) {
    for (size_t i = 0; i < d->nbanned; i++) {
        uint32_t peer = d->banned[i];
        char who[24];
        peer_name(d, peer, who);
        sync_peer_down(d->sync, peer);
        if (peer >= NET_ROUTER_PEER_BASE) {
            net_ban(d->net, peer);
            logmsg(d, 4, "peer %s: cut off for %d s", who, NET_BAN_MS / 1000);
        } else {
            net_disconnect(d->net, peer);
            logmsg(d, 5, "peer %s: dropped, misbehaved", who);
        }
    }
    d->nbanned = 0;
}

static void report_status(daemon_ctx *d, int notify);

/* Each message's answers go out at once: the next WANT leaves as soon as a batch is applied,
 * not after every message of this poll has been handled. */
static void ev_msg(void *ctx, uint32_t peer, const uint8_t *data, size_t len) {
    daemon_ctx *d = ctx;
    sync_clock t = clocks_now();
    uint64_t now = t.mono.ms; /* progress timer */
    ronda_err re = sync_receive(d->sync, peer, data, len, t);
    if (re != RONDA_OK) log_dberr(d, "storing what a peer sent failed", re);
    cut_off(d);
    flush(d);
    if (d->catchup.mode != PROGRESS_NONE && now >= d->next_progress) {
        report_status(d, 0);
        d->next_progress = now + PROGRESS_EVERY_MS;
    }
}

/* systemd's STATUS= line, and catch-up progress while peers hold records we do not
 * (src/node/catchup.h keeps the count; shown here). */
static void report_status(daemon_ctx *d, int notify) {
    sync_stats st;
    sync_get_stats(d->sync, &st);
    uint64_t backlog = d->catchup.mode != PROGRESS_NONE || d->caught.active ? sync_backlog(d->sync) : 0;
    uint64_t done, total;
    node_catchup_event ev = node_catchup_update(&d->caught, st.stored, backlog, &done, &total);
    if (ev == NODE_CATCHUP_BEGAN) logmsg(d, 6, "catching up: %llu records to fetch", (unsigned long long)backlog);
    if (ev != NODE_CATCHUP_IDLE) progress_update(&d->catchup, done, total, ev == NODE_CATCHUP_ENDED);
    if (ev == NODE_CATCHUP_ENDED) logmsg(d, 6, "caught up: %llu records fetched", (unsigned long long)done);
    if (!notify) return;
    unsigned peers = 0;
    for (uint32_t p = 1; p <= NET_DEALERS_MAX; p++) peers += net_peer_curve(d->net, p) != NULL;
    uint8_t dg[RONDA_HASH_BYTES];
    uint64_t authors = 0;
    char status[256];
    if (ronda_store_digest(d->n.store, dg, &authors) != RONDA_OK) return;
    char digest[13];
    cli_short(dg, digest);
    snprintf(status, sizeof status, "node %s: %llu authors, digest %s, %u peers dialled, %llu stored from peers%s",
             d->who, (unsigned long long)authors, digest, peers, (unsigned long long)st.stored,
             d->caught.active ? ", catching up" : "");
    notify_status(status);
}

/* The node's clock against its peers' (median of their HELLO clocks): said in the log when
 * it crosses the bound (not at every message), and kept in the store for `ronda record`
 * and `ronda status`, written when it moved by RONDA_CLOCK_OFFSET_STEP_MS (at most every
 * RONDA_CLOCK_OFFSET_WRITE_MS) and at least every half RONDA_CLOCK_OFFSET_STALE_MS, so a
 * running daemon's estimate never looks stale. */
static void clock_check(daemon_ctx *d, sync_clock t) {
    int64_t off;
    size_t from = sync_clock_offset(d->sync, &off);
    if (from == 0) return;
    uint64_t mag = off < 0 ? (uint64_t)0 - (uint64_t)off : (uint64_t)off;
    int bad = mag > RONDA_CLOCK_AHEAD_MAX_MS;
    if (bad != d->clock_off) {
        if (bad)
            logmsg(d, 4,
                   "this node's clock is %llu s %s its %zu peer(s)' (at most %u s): peers refuse its records and it "
                   "refuses theirs; set the PC's clock (enable NTP: timedatectl set-ntp true)",
                   (unsigned long long)(mag / 1000u), off > 0 ? "ahead of" : "behind", from,
                   RONDA_CLOCK_AHEAD_MAX_MS / 1000u);
        else
            logmsg(d, 5, "this node's clock agrees with its peers' again (%lld s off)", (long long)(off / 1000));
        d->clock_off = bad;
    }
    int64_t moved = off - d->offset_written;
    uint64_t age = t.mono.ms - d->offset_at;
    if (d->offset_at && age < RONDA_CLOCK_OFFSET_WRITE_MS) return;
    if (d->offset_at && (moved < 0 ? -moved : moved) < (int64_t)RONDA_CLOCK_OFFSET_STEP_MS &&
        age < RONDA_CLOCK_OFFSET_STALE_MS / 2u)
        return;
    if (ronda_store_set_clock_offset(d->n.store, off, t.wall) != RONDA_OK) {
        logmsg(d, 4, "could not store the clock offset estimate");
        return;
    }
    d->offset_written = off;
    d->offset_at = t.mono.ms ? t.mono.ms : 1;
}

static const char run_help[] =
    "usage: ronda run [--config FILE] [--dir DIR] [--listen ENDPOINT] [--peer ENDPOINT ...]\n"
    "                 [--fanout N] [--compress zstd|none]\n"
    "                 [--log-level error|warning|notice|info|debug]\n"
    "                 [--log-prefix auto|always|never] [--progress auto|tty|json|none]\n"
    "                 [--checkpoint-every SECONDS] [--view-check SECONDS]\n"
    "                 [--http [HOST:]PORT] [--http-zone WIB|WITA|WIT]\n"
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
    "  --compress zstd|none  RECORDS to peers that announce zstd go compressed (default\n"
    "                     zstd); none: sent as they are\n"
    "  --checkpoint-every SECONDS  hq nodes: sign a checkpoint this often (default 3600;\n"
    "                     0: never); other roles write none\n"
    "  --view-check SECONDS check the derived views against the records at start and this\n"
    "                     often (default 600; 0: never); the dashboard shows a red banner\n"
    "                     while they disagree\n"
    "  --http [HOST:]PORT serve the read-only HQ dashboard, JSON API and /metrics there\n"
    "                     (HOST default 127.0.0.1; token in DIR/http.token; docs/http.md)\n"
    "  --http-zone ZONE   the dashboard's time zone: WIB (default), WITA or WIT\n"
    "  --config FILE      an INI file (else $RONDA_CONFIG); flags override the environment,\n"
    "                     which overrides the file (docs/configuration.md)\n"
    "Logs go to stderr, one line per event (systemd priority prefixes under the journal).\n"
    "Under systemd (Type=notify) it reports READY, STATUS and WATCHDOG.\n";

int cmd_run(int argc, char **argv) {
    /* Options come from the configuration table (cli/config.c): flag > environment > file. */
    static config cfg;
    const char *config_path = NULL;
    opt opts[1 + CONFIG_OPTS_MAX];
    size_t nopts = 1 + config_opts(&cfg, opts + 1, CONFIG_OPTS_MAX);
    opts[0] = (opt){"config", OPT_STR, &config_path};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("run", run_help, argc, argv, opts, nopts, pos, 0, &npos);
    if (rc >= 0) return rc;
    if ((rc = config_load(&cfg, config_path, 0)) != EXIT_OK) {
        config_free(&cfg);
        return rc;
    }
    static daemon_ctx d; /* large; one per process */
    memset(&d, 0, sizeof d);
    log_setup(log_level_parse(config_str(&cfg, CFG_LOG_LEVEL)), config_str(&cfg, CFG_LOG_PREFIX));
    const char *listen = config_str(&cfg, CFG_LISTEN);
    if (!listen[0]) listen = NULL;
    d.fanout = (unsigned)config_uint(&cfg, CFG_FANOUT);
    if (d.fanout > NET_DEALERS_MAX / 2) d.fanout = NET_DEALERS_MAX / 2;
    const char *const *peers;
    size_t npeers = config_list(&cfg, CFG_PEER, &peers);
    _Static_assert(RONDA_CONFIG_LIST_MAX <= NODE_BOOTSTRAP_MAX, "every configured peer fits");
    for (size_t i = 0; i < npeers; i++) d.bootstrap[d.nbootstrap++] = peers[i];
    progress_init(&d.catchup, "catch-up", "records", config_str(&cfg, CFG_PROGRESS));
    const char *http = config_str(&cfg, CFG_HTTP), *zone = config_str(&cfg, CFG_HTTP_ZONE);
    if (!http[0]) http = NULL;

    if ((rc = node_open(&d.n, config_str(&cfg, CFG_DIR), 1)) != EXIT_OK) {
        config_free(&cfg);
        return rc;
    }
    node_checkpoints ck;
    char ck_note[160];
    const char *ckpt = config_str(&cfg, CFG_CHECKPOINT_EVERY);
    long every_s = -1; /* the role's default */
    if (ckpt[0]) {
        char *end;
        unsigned long v = strtoul(ckpt, &end, 10);
        if (*end != '\0' || ckpt[0] == '-' || v > NODE_CHECKPOINT_EVERY_MAX_S) {
            node_close(&d.n);
            config_free(&cfg);
            return cli_usage("run", "--checkpoint-every is a number of seconds (0: never)");
        }
        every_s = (long)v;
    }
    ronda_err e = node_checkpoints_init(&ck, d.n.store, every_s, ronda_mono_now(), ck_note, sizeof ck_note);
    if (e != RONDA_OK) {
        rc = cli_fail(EXIT_ENV, "run", e, NULL, "reading this node's member record");
        node_close(&d.n);
        config_free(&cfg);
        return rc;
    }
    uint8_t csk[32], cpk[32];
    char path[4200];
    node_path(&d.n, NODE_CURVE_KEY, path, sizeof path);
    e = keyfile_read(path, CURVE_KEY_TYPE, csk, sizeof csk);
    if (e != RONDA_OK) {
        node_close(&d.n);
        config_free(&cfg);
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
    if (e == RONDA_OK) sync_on_ban(d.sync, on_ban, &d);
    if (e == RONDA_OK && strcmp(config_str(&cfg, CFG_COMPRESS), "none") == 0) sync_set_features(d.sync, 0);
    if (e != RONDA_OK) {
        net_destroy(&d.net);
        node_close(&d.n);
        config_free(&cfg);
        return cli_fail(EXIT_ENV, "run", e, NULL, endpoint[0] ? "is the endpoint free and valid?" : NULL);
    }
    char why[300];
    http_config hc = {http, d.n.dir, zone, http_log, &d};
    if (http && (e = http_start(&hc, &d.http, why, sizeof why)) != RONDA_OK) {
        sync_destroy(&d.sync);
        net_destroy(&d.net);
        node_close(&d.n);
        config_free(&cfg);
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
    ronda_guard guard;
    uint64_t guard_seq;
    if (ronda_store_guard(d.n.store, &guard, &guard_seq) == RONDA_OK && guard == RONDA_GUARD_FORKED)
        logmsg(&d, 4,
               "this node's own chain forked at seq %llu: this key writes no more; a new key must be admitted and "
               "this one revoked at seq %llu (docs/operations.md, \"A forked chain\")",
               (unsigned long long)guard_seq, (unsigned long long)guard_seq - 1);
    else if (ronda_store_guard(d.n.store, &guard, &guard_seq) == RONDA_OK && guard != RONDA_GUARD_NONE)
        logmsg(&d, 4, "this node is %s (own seq %llu): `ronda record` is refused until a peer confirms its head",
               ronda_guard_name(guard), (unsigned long long)guard_seq);
    char status[320];
    snprintf(status, sizeof status, "node %s serving %s", who, endpoint[0] ? endpoint : "nothing");
    notify_ready(status);
    uint64_t watchdog_ms = notify_watchdog_ms(), next_watchdog = 0, next_status = 0;
    if (ck_note[0]) logmsg(&d, 5, "%s", ck_note);
    {
        char ck_text[300];
        int ck_rc = node_checkpoints_start(&ck, d.n.store, d.n.secret, ronda_mono_now(), ronda_wall_now(), ck_text,
                                           sizeof ck_text);
        if (ck_rc) logmsg(&d, ck_rc > 0 ? 6 : 3, "%s", ck_text);
    }
    uint64_t last_synced = 0, next_synced_check = 0; /* the newest round that found a peer in sync */

    d.who = who;
    net_events ev = {&d, ev_up, ev_down, ev_msg, ev_ready, ev_refused};
    int poll_failed = 0;
    /* The views against the records, on a thread of its own (viewwatch.h). */
    viewwatch *vw = NULL;
    uint64_t view_checks_seen = 0;
    unsigned view_every = (unsigned)config_uint(&cfg, CFG_VIEW_CHECK);
    if (view_every) {
        node_path(&d.n, NODE_DB, path, sizeof path);
        ronda_err ve = viewwatch_start(path, view_every, &vw);
        if (ve != RONDA_OK)
            logmsg(&d, 3, "view check not started: %s; the views are not checked while this runs", ronda_strerror(ve));
        else
            logmsg(&d, 6, "the views are checked against the records now and every %u s", view_every);
    }
    uint64_t next_refresh = 0, next_stats = ronda_mono_now().ms + STATS_MS, next_publish = 0, next_clock = 0;
    sync_clock started = clocks_now();
    while (!stop_requested) {
        sync_clock t = clocks_now();
        uint64_t now = t.mono.ms; /* every timer below */
        if (now >= next_refresh) {
            refresh(&d);
            next_refresh = now + ALLOW_REFRESH_MS;
        }
        char ck_text[300];
        int ck_rc = node_checkpoints_tick(&ck, d.n.store, d.n.secret, t.mono, t.wall, ck_text, sizeof ck_text);
        if (ck_rc) logmsg(&d, ck_rc > 0 ? 6 : 3, "%s", ck_text);
        ronda_err te = sync_tick(d.sync, t);
        if (te != RONDA_OK) log_dberr(&d, "sync round failed", te);
        cut_off(&d);
        if (now >= next_clock) {
            clock_check(&d, t);
            next_clock = now + CLOCK_CHECK_MS;
        }
        flush(&d);
        sync_hold(d.sync); /* one commit for the batches of this poll (sync.h) */
        ronda_err pe = net_poll(d.net, TICK_MS, &ev);
        ronda_err ce = sync_release(d.sync);
        if (ce != RONDA_OK) log_dberr(&d, "commit of records received failed (asked for again)", ce);
        cut_off(&d);
        if (pe != RONDA_OK) {
            logmsg(&d, 3, "poll failed: %s", net_error(d.net)[0] ? net_error(d.net) : "zmq_poll");
            poll_failed = 1; /* a non-zero exit, so that systemd (Restart=on-failure) restarts us */
            break;
        }
        flush(&d);
        static view_state vs; /* ~1 KiB */
        if (vw) {
            viewwatch_get(vw, &vs);
            if (vs.checks != view_checks_seen) { /* a check finished: say what it found */
                view_checks_seen = vs.checks;
                if (vs.err == RONDA_ERR_VIEW)
                    logmsg(&d, 4,
                           "views disagree with the signed records: %llu difference%s (dashboard and reports are "
                           "wrong until `ronda rebuild`); first: %s%s%s%s%s",
                           (unsigned long long)vs.disagreements, vs.disagreements == 1 ? "" : "s", vs.first[0],
                           vs.first[1][0] ? "; " : "", vs.first[1], vs.first[2][0] ? "; " : "", vs.first[2]);
                else if (vs.err != RONDA_OK)
                    logmsg(&d, 3, "view check failed: %s", ronda_strerror(vs.err));
                else
                    logmsg(&d, 7, "view check: the views agree with the records");
            }
        }
        if (now >= next_synced_check) {
            /* A round that ended with equal digests after records came in is a finished
             * catch-up: sign for what it brought, and cosign other HQs' checkpoints. */
            sync_peer_info info[SYNC_PEERS_MAX];
            size_t np = sync_get_peers(d.sync, info, SYNC_PEERS_MAX);
            uint64_t newest = last_synced;
            for (size_t i = 0; i < np; i++)
                if (info[i].last_sync_ms > newest) newest = info[i].last_sync_ms;
            if (newest != last_synced) {
                last_synced = newest;
                char sy_text[600];
                int sy_rc =
                    node_checkpoints_synced(&ck, d.n.store, d.n.secret, t.mono, t.wall, sy_text, sizeof sy_text);
                if (sy_rc) logmsg(&d, sy_rc > 0 ? 6 : 3, "%s", sy_text);
            }
            next_synced_check = now + SYNCED_CHECK_MS;
        }
        if (d.http && now >= next_publish) {
            static http_snapshot snap; /* ~5 KiB, one per process */
            node_snapshot_take(&snap, d.sync, d.net, started, t);
            snap.view_enabled = vw != NULL;
            snap.view_checks = vs.checks;
            snap.view_err = (int)vs.err;
            snap.view_disagreements = vs.disagreements;
            snap.view_checked_ms = vs.checked_ms;
            snprintf(snap.view_first, sizeof snap.view_first, "%s", vs.first[0]);
            http_publish(d.http, &snap);
            next_publish = now + HTTP_PUBLISH_MS;
        }
        if (now >= next_stats) {
            sync_stats st;
            sync_get_stats(d.sync, &st);
            logmsg(&d, 7,
                   "stats: received %llu stored %llu duplicate %llu rejected %llu future %llu forks %llu msgs_in %llu"
                   " msgs_out %llu bytes_in %llu bytes_out %llu rounds_in_sync %llu records_wire_in %llu"
                   " records_raw_in %llu records_wire_out %llu records_raw_out %llu zstd_in %llu zstd_out %llu"
                   " frontiers_full %llu frontiers_delta %llu delta_gaps %llu",
                   (unsigned long long)st.received, (unsigned long long)st.stored, (unsigned long long)st.duplicates,
                   (unsigned long long)st.rejected, (unsigned long long)st.future, (unsigned long long)st.forks,
                   (unsigned long long)st.msgs_in, (unsigned long long)st.msgs_out, (unsigned long long)st.bytes_in,
                   (unsigned long long)st.bytes_out, (unsigned long long)st.rounds_in_sync,
                   (unsigned long long)st.records_wire_in, (unsigned long long)st.records_raw_in,
                   (unsigned long long)st.records_wire_out, (unsigned long long)st.records_raw_out,
                   (unsigned long long)st.zstd_in, (unsigned long long)st.zstd_out,
                   (unsigned long long)st.frontiers_full, (unsigned long long)st.frontiers_delta,
                   (unsigned long long)st.delta_gaps);
            next_stats = now + STATS_MS;
        }
        if (watchdog_ms && now >= next_watchdog) {
            notify_watchdog();
            next_watchdog = now + watchdog_ms;
        }
        /* Progress is checked often when it is shown; systemd's STATUS= every STATUS_MS. */
        if (now >= next_status || (d.catchup.mode != PROGRESS_NONE && now >= d.next_progress)) {
            int notify = now >= next_status;
            report_status(&d, notify);
            if (notify) next_status = now + STATUS_MS;
            d.next_progress = now + PROGRESS_EVERY_MS;
        }
    }
    notify_stopping();
    config_free(&cfg);
    logmsg(&d, 5, "stopping");
    http_stop(&d.http);
    viewwatch_stop(&vw);
    sync_destroy(&d.sync);
    net_destroy(&d.net);
    node_close(&d.n);
    return poll_failed ? EXIT_ENV : EXIT_OK;
}
