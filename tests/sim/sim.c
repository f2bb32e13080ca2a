/* ronda-sim: a deterministic simulator for the gossip core (src/sync), and focused tests of it.
 *
 * N nodes live in one process. Each is a real ronda_store (a SQLite file in a per-run temp
 * directory) and a real sync_core. All of them are created under one authority, whose own
 * store is node 0; the authority admits the others with real member records, applied to every
 * store at setup. A simulated network, driven only by a seeded PRNG (splitmix64), carries what
 * sync_next_out() returns: each message arrives after a random delay, or is dropped,
 * duplicated or reordered; partitions cut sets of nodes apart and heal; nodes crash as
 * SIGKILL leaves them (sync_abandon: nothing deferred is applied, an open transaction is
 * rolled back), also in the middle of a group-commit transaction (between sync_hold and
 * sync_release, with records applied but not committed), and restart from their files;
 * with --restores, a node is restored from an old backup of itself (as `ronda backup` and
 * `ronda restore`, its guard set to restored); nodes append records at random times with
 * skewed clocks; one node may be admitted late, so that its records reach nodes that do not
 * know it yet. Time is simulated (STEP_MS steps): nothing reads a clock and
 * nothing depends on pointers, so a seed replays exactly. Each node has two clocks, as a
 * daemon does: a monotonic one that runs on, and a wall clock (its store's clock too) that is
 * skewed and, with --clock-steps, stepped back up to 3 h and forward up to 20 min at random
 * times: rounds must go on and the network converge all the same.
 *
 * Invariants checked for every seed:
 *   - the core's own invariants (sync_check: queue bounds, the WANT window, deferred
 *     replies, wants, cut-off peers) on every live node after every step;
 *   - no record a node held committed is ever lost, across crashes (its frontier never
 *     moves back), and a crashed node restarts with exactly what it had committed (frontier,
 *     digest and record count, read through a second connection at the crash);
 *   - after appends stop, partitions heal and crashed nodes restart, every node reaches the
 *     same ledger digest within CONVERGE_MS simulated ms, holding every record ever appended;
 *   - ronda_store_verify finds nothing on any node;
 *   - no honest peer is ever counted as bad, or banned; no sync call fails;
 *   - a restored node writes again once the network has converged, and holds its backup.
 *
 *   ronda-sim [--seed N] [--seeds K] [--nodes N] [--steps S] [--drop P] [--dup P]
 *             [--reorder P] [--burst N] [--rate R] [--restores P] [--jobs N] [--verbose] [--keep]
 *   ronda-sim --selftest
 *
 * Long runs: the Release build is ~3.5x faster than the sanitizer one (CI runs a few hundred
 * seeds; a failing seed prints the command that replays it):
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DRONDA_SANITIZE=OFF
 *   cmake --build build-rel --target ronda-sim
 *   build-rel/tests/ronda-sim --seeds 10000 --jobs 2       (6 nodes: ~0.3 s of CPU a seed)
 *   build-rel/tests/ronda-sim --seed 1000 --seeds 500 --nodes 16 --steps 2000 --jobs 2
 *   build-rel/tests/ronda-sim --seeds 2000 --restores 1 --jobs 2
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "record/canon.h"
#include "ronda/report.h"
#include "ronda/ronda.h"
#include "sync/sync.h"

#define STEP_MS 10u                   /* simulated time advances in steps of this */
#define TICK_MS 50u                   /* each node calls sync_tick this often (as `ronda run`) */
#define T0_MS UINT64_C(1767225600000) /* 2026-01-01T00:00:00Z: the simulated wall clock's start */
#define SKEW_MAX_MS 180000u           /* node clocks are off by up to +-3 minutes */
#define CONVERGE_MS 60000u            /* quiet network to equal digests, at most */
#define CHECK_MS 1000u                /* frontiers checked for loss this often */
#define MAX_NODES 64u                 /* node sets are uint64_t bit masks */
#define ROUTER_BASE 1000u             /* peer ids: link i is i+1 at its dialing side, ROUTER_BASE+i at the other */
#define DAY_MS UINT64_C(86400000)
#define STEP_BACK_MAX_MS (3u * 3600u * 1000u) /* --clock-steps: a wall clock is set back up to this */
#define STEP_FWD_MAX_MS (20u * 60u * 1000u)   /* or forward up to this (within RONDA_CLOCK_AHEAD_MAX_MS of any other) */
_Static_assert(STEP_BACK_MAX_MS + STEP_FWD_MAX_MS + 2u * SKEW_MAX_MS < RONDA_CLOCK_AHEAD_MAX_MS,
               "stepped clocks stay within the bound of each other");

/* Under AddressSanitizer: a smaller quarantine lets freed memory be reused sooner (the
 * default 256 MiB makes every SQLite allocation a fresh, faulted-in page and triples the run
 * time) and no malloc fill; detection of overflows and use-after-free is otherwise as usual.
 * ASAN_OPTIONS still overrides these. Unused without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16:max_malloc_fill_size=0"; }

/* ------------------------------------------------------------------ PRNG */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static uint64_t rng_below(rng *r, uint64_t n) { return n ? rng_next(r) % n : 0; }
static int rng_chance(rng *r, double p) { return p > 0 && (double)(rng_next(r) >> 11) * 0x1p-53 < p; }
static rng rng_make(uint64_t seed, uint64_t stream) {
    rng r = {seed * UINT64_C(0x100000001b3) ^ (stream << 32) ^ stream};
    rng_next(&r);
    return r;
}

/* ------------------------------------------------------------------ world */

typedef struct opts {
    uint64_t seed;
    unsigned seeds, nodes, steps, burst, jobs;
    double drop, dup, reorder, rate;
    int verbose, keep;
    int clock_steps; /* step nodes' wall clocks during the run */
    double restores; /* probability that a seed restores one node from an old backup */
} opts;

typedef struct dlg {
    uint8_t id[RONDA_ID_BYTES];
    unsigned topics;
    int author; /* node index */
} dlg;

struct world;

typedef struct node {
    struct world *w;
    int idx;
    char path[600];
    ronda_store *s;
    sync_core *c;
    uint8_t sk[RONDA_SECRET_BYTES], pk[RONDA_KEY_BYTES];
    int alive, admitted;
    int knows_revoked;            /* its own revocation reached it: it writes no more */
    unsigned bw;                  /* a slow link: messages it sends per step (0: no limit); the rest wait in its core */
    unsigned budget;              /* left this step */
    uint64_t up_at;               /* when down: restart time */
    int64_t skew;                 /* ms added to the simulated wall clock */
    uint64_t next_tick;           /* simulated ms */
    int group;                    /* takes its messages as the daemon does: sync_hold per delivery pass */
    int held;                     /* held in the current pass */
    uint64_t admit_seq;           /* late joiner: the authority seq of its member record (0: none yet) */
    uint64_t seen_seq[MAX_NODES]; /* per author: the largest seq seen held */
    uint8_t seen_head[MAX_NODES][RONDA_ID_BYTES]; /* and its head id */
    int crash_armed;                              /* crash after its next RECORDS in a held pass */
    uint8_t committed_digest[RONDA_HASH_BYTES];   /* at its crash: what its store had committed */
    uint64_t committed_records;
} node;

typedef struct wire {
    int a, b; /* a dialed b (DEALER -> ROUTER): a knows it as i+1, b as ROUTER_BASE+i */
    int up;
    uint32_t epoch;      /* a new connection each time it comes up: older messages are void */
    uint64_t last_at[2]; /* FIFO per direction, unless a message is reordered */
} wire;

typedef struct msg {
    uint64_t at, order;
    uint32_t link, dir, epoch;
    uint8_t *data;
    size_t len;
} msg;

typedef struct captured {
    uint32_t link, dir;
    uint8_t *data;
    size_t len;
} captured;

typedef struct world {
    const opts *o;
    uint64_t seed;
    rng setup, net, work;
    rng fault; /* crashes in the middle of a transaction (its own stream: the others replay as before) */
    char dir[512];
    unsigned n;
    node nodes[MAX_NODES];
    wire links[MAX_NODES * MAX_NODES / 2];
    size_t nlinks;
    msg *heap;
    size_t nheap, capheap;
    uint64_t order;
    uint64_t now;     /* simulated ms since T0_MS */
    int chaos;        /* random crashes, partitions and appends */
    uint64_t hostile; /* nodes a selftest makes misbehave: their peers may cut them off */
    int fat;          /* dialogues carry ~1.5 KiB of messages (to fill RECORDS replies) */
    double drop, dup, reorder;
    unsigned maxlat; /* one-way latency 1..maxlat ms */
    uint64_t cut_mask, cut_until;
    int cut_active;
    int late;           /* the node admitted during the run, or -1 */
    int revoked;        /* the node the authority revokes during the run, or -1 */
    uint64_t revoke_at; /* when */
    int revoke_done;
    uint64_t revoke_seq;         /* the last_seq of its revocation: its last good record */
    uint64_t written[MAX_NODES]; /* records each author wrote */
    uint64_t late_at;            /* when the authority admits it */
    int long_member;             /* admitted for two years instead of 30 days (0: none; node 0 is the authority) */
    unsigned clock_steps;        /* wall-clock steps made (--clock-steps) */
    int burster;                 /* the node that writes a burst, or -1 */
    uint64_t burst_at;           /* when */
    unsigned burst_n;
    dlg *dlgs;
    size_t ndlgs, capdlgs;
    uint64_t expected; /* records every node must hold at the end */
    /* a restore from an old backup (--restores): node `restorer` is backed up at backup_at
     * and restored from that copy at restore_at, as `ronda backup` and `ronda restore` do */
    rng rst;
    int restorer;
    uint64_t backup_at, restore_at, backup_seq, restored_lost;
    int backup_done, restore_done;
    unsigned appends_refused; /* appends the restore guard refused at the restored node */
    uint64_t trace;           /* FNV-1a over every delivery and event: a replay must match */
    char fail[600];           /* the first invariant broken */
    /* counters */
    unsigned crashes, parts, appended, warnings;
    unsigned txn_crashes, txn_lost; /* crashes under sync_hold; of those, with uncommitted records lost */
    uint64_t sent, delivered, dropped, bytes;
    uint64_t quiet_at, converged_ms;
    /* capture (selftest): every delivered message, and per-type counts of sent ones */
    int capture;
    captured *cap;
    size_t ncap, capcap;
    uint64_t type_count[8], type_bytes[8], type_len_min[8], type_len_max[8];
} world;

static void failf(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(world *w, const char *fmt, ...) {
    if (w->fail[0]) return;
    char text[500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(w->fail, sizeof w->fail, "t=%" PRIu64 "ms: %s", w->now, text);
}

static void trace_mix(world *w, const void *p, size_t len) {
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        w->trace ^= b[i];
        w->trace *= UINT64_C(0x100000001b3);
    }
}
static void trace_u64(world *w, uint64_t v) { trace_mix(w, &v, sizeof v); }

static uint64_t node_now(const world *w, const node *nd) { return (uint64_t)((int64_t)(T0_MS + w->now) + nd->skew); }

/* A node's two clocks for its sync core: the monotonic one runs with simulated time (from an
 * arbitrary origin per node), the wall clock is skewed and may be stepped. */
static sync_clock node_clock(const world *w, const node *nd) {
    return (sync_clock){{w->now + 5000u + 1000u * (uint64_t)nd->idx}, {node_now(w, nd)}};
}

/* The store's clock (ronda_store_set_clock): the node's wall clock. */
static ronda_wall store_wall(void *ctx) {
    const node *nd = ctx;
    return (ronda_wall){node_now(nd->w, nd)};
}
/* Lines the cores logged (selftest: what a refusal says, and how often). */
static char last_log[300];
static unsigned deferred_lines, summary_lines;

static void sim_log(void *ctx, int level, uint32_t peer, const char *text) {
    node *nd = ctx;
    world *w = nd->w;
    snprintf(last_log, sizeof last_log, "%s", text);
    if (strstr(text, "not counted against the peer (")) deferred_lines++;
    if (strstr(text, "were not logged")) summary_lines++;
    if (level <= 4) w->warnings++;
    if (w->o->verbose >= 2 || (w->o->verbose && level <= 4))
        printf("    [%7" PRIu64 " ms] node %d peer %u: %s\n", w->now, nd->idx, peer, text);
}

static void vlog(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(world *w, const char *fmt, ...) {
    if (!w->o->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    printf("  [%7" PRIu64 " ms] ", w->now);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static const char *errname(ronda_err e) { return ronda_errname(e); }

/* ------------------------------------------------------------------ event heap */

static int msg_before(const msg *x, const msg *y) { return x->at < y->at || (x->at == y->at && x->order < y->order); }

static void heap_push(world *w, msg m) {
    if (w->nheap == w->capheap) {
        size_t cap = w->capheap ? 2 * w->capheap : 256;
        msg *h = realloc(w->heap, cap * sizeof *h);
        if (!h) abort();
        w->heap = h;
        w->capheap = cap;
    }
    m.order = w->order++;
    size_t i = w->nheap++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!msg_before(&m, &w->heap[up])) break;
        w->heap[i] = w->heap[up];
        i = up;
    }
    w->heap[i] = m;
}

static msg heap_pop(world *w) {
    msg top = w->heap[0];
    msg last = w->heap[--w->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const msg *best = &last;
        if (l < w->nheap && msg_before(&w->heap[l], best)) {
            m = l;
            best = &w->heap[l];
        }
        if (r < w->nheap && msg_before(&w->heap[r], best)) m = r;
        if (m == i) break;
        w->heap[i] = w->heap[m];
        i = m;
    }
    if (w->nheap > 0) w->heap[i] = last;
    return top;
}

/* ------------------------------------------------------------------ network */

static int link_cut(const world *w, const wire *l) {
    return w->cut_active && (((w->cut_mask >> l->a) ^ (w->cut_mask >> l->b)) & 1u);
}

static int msg_type(const uint8_t *data, size_t len) {
    crd r = crd_make(data, len);
    uint32_t n;
    uint64_t t;
    if (crd_array(&r, &n) != RONDA_OK || n < 1 || crd_uint(&r, &t) != RONDA_OK || t > 6) return 7;
    return (int)t;
}

static int author_index(const world *w, const uint8_t *key) {
    for (unsigned i = 0; i < w->n; i++)
        if (memcmp(w->nodes[i].pk, key, RONDA_KEY_BYTES) == 0) return (int)i;
    return -1;
}

/* One line about a message, for --verbose --verbose --verbose. */
static void describe(const world *w, const uint8_t *data, size_t len, char *out, size_t cap) {
    static const char *const names[] = {"HELLO", "SYNCED", "FRONTIER", "WANT", "RECORDS", "?", "?", "?"};
    int t = msg_type(data, len);
    crd r = crd_make(data, len);
    uint32_t n, cnt, bl;
    uint64_t v, a, b;
    const uint8_t *key;
    int k = snprintf(out, cap, "%s (%zu B)", names[t], len);
    if (crd_array(&r, &n) != RONDA_OK || crd_uint(&r, &v) != RONDA_OK) return;
    if (t == 3 && crd_bin(&r, &key, &bl) == RONDA_OK && crd_uint(&r, &a) == RONDA_OK && crd_uint(&r, &b) == RONDA_OK)
        snprintf(out + k, cap - (size_t)k, " author %d from %" PRIu64 " max %" PRIu64, author_index(w, key), a, b);
    else if (t == 4 && crd_uint(&r, &a) == RONDA_OK) {
        int who = -2;
        if (!crd_nil(&r)) {
            if (crd_bin(&r, &key, &bl) != RONDA_OK) return;
            who = author_index(w, key);
        }
        if (crd_array(&r, &cnt) != RONDA_OK) return;
        uint64_t lo = 0, hi = 0;
        int lo_author = -1;
        for (uint32_t i = 0; i < cnt; i++) {
            const uint8_t *rec;
            ronda_record rr;
            if (crd_bin(&r, &rec, &bl) != RONDA_OK) break;
            crd e = crd_make(rec, bl);
            const uint8_t *env, *auth;
            uint32_t el, n3, n7, al;
            uint64_t ver, seq;
            (void)rr;
            if (crd_array(&e, &n3) == RONDA_OK && crd_bin(&e, &env, &el) == RONDA_OK) {
                crd ev = crd_make(env, el);
                if (crd_array(&ev, &n7) == RONDA_OK && crd_uint(&ev, &ver) == RONDA_OK &&
                    crd_bin(&ev, &auth, &al) == RONDA_OK && crd_uint(&ev, &seq) == RONDA_OK) {
                    if (i == 0) {
                        lo = seq;
                        lo_author = author_index(w, auth);
                    }
                    hi = seq;
                }
            }
        }
        snprintf(out + k, cap - (size_t)k, " %s author %d: %u records, author %d seq %" PRIu64 "..%" PRIu64,
                 a ? "reply" : "push", who, cnt, lo_author, lo, hi);
    } else if (t == 2 && crd_uint(&r, &a) == RONDA_OK && crd_array(&r, &cnt) == RONDA_OK) {
        k += snprintf(out + k, cap - (size_t)k, " last %" PRIu64 ":", a);
        for (uint32_t i = 0; i < cnt && (size_t)k + 24 < cap; i++) {
            uint32_t three;
            const uint8_t *head;
            uint64_t seq;
            if (crd_array(&r, &three) != RONDA_OK || crd_bin(&r, &key, &bl) != RONDA_OK ||
                crd_uint(&r, &seq) != RONDA_OK || crd_bin(&r, &head, &bl) != RONDA_OK)
                break;
            k += snprintf(out + k, cap - (size_t)k, " %d:%" PRIu64, author_index(w, key), seq);
        }
    }
}

static void net_send(world *w, int from, uint32_t peer, uint8_t *data, size_t len) {
    uint32_t li = peer >= ROUTER_BASE ? peer - ROUTER_BASE : peer - 1;
    uint32_t dir = peer >= ROUTER_BASE ? 1 : 0;
    if (li >= w->nlinks || (dir == 0 ? w->links[li].a : w->links[li].b) != from) {
        failf(w, "node %d sent to unknown peer %u", from, peer);
        free(data);
        return;
    }
    wire *l = &w->links[li];
    w->sent++;
    w->bytes += len;
    int t = msg_type(data, len);
    w->type_count[t]++;
    w->type_bytes[t] += len;
    if (w->type_len_min[t] == 0 || len < w->type_len_min[t]) w->type_len_min[t] = len;
    if (len > w->type_len_max[t]) w->type_len_max[t] = len;
    if (!l->up || link_cut(w, l) || rng_chance(&w->net, w->drop)) {
        if (w->o->verbose >= 3) {
            char d[400];
            describe(w, data, len, d, sizeof d);
            printf("  [%7" PRIu64 " ms] %d -> %d: DROPPED %s\n", w->now, from, dir == 0 ? l->b : l->a, d);
        }
        w->dropped++;
        free(data);
        return;
    }
    uint64_t at = w->now + 1 + rng_below(&w->net, w->maxlat);
    if (rng_chance(&w->net, w->reorder)) {
        at += rng_below(&w->net, 400); /* may overtake, or be overtaken by, later messages */
    } else {
        if (at < l->last_at[dir]) at = l->last_at[dir];
        l->last_at[dir] = at;
    }
    int dup = rng_chance(&w->net, w->dup);
    msg m = {at, 0, li, dir, l->epoch, data, len};
    heap_push(w, m);
    if (dup) {
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy) abort();
        memcpy(copy, data, len);
        msg d = {at + rng_below(&w->net, 300), 0, li, dir, l->epoch, copy, len};
        heap_push(w, d);
    }
}

static void drain(world *w, int i) {
    node *nd = &w->nodes[i];
    if (!nd->alive) return;
    uint32_t peer;
    uint8_t *data;
    size_t len;
    while ((!nd->bw || nd->budget > 0) && sync_next_out(nd->c, &peer, &data, &len)) {
        if (nd->bw) nd->budget--;
        net_send(w, i, peer, data, len);
    }
}

static void link_up(world *w, size_t li) {
    wire *l = &w->links[li];
    if (l->up || !w->nodes[l->a].alive || !w->nodes[l->b].alive) return;
    l->up = 1;
    l->epoch++;
    l->last_at[0] = l->last_at[1] = 0;
    trace_u64(w, 0x11110000u + li);
    node *a = &w->nodes[l->a], *b = &w->nodes[l->b];
    if (sync_peer_up(a->c, (uint32_t)li + 1, node_clock(w, a)) != RONDA_OK ||
        sync_peer_up(b->c, ROUTER_BASE + (uint32_t)li, node_clock(w, b)) != RONDA_OK)
        failf(w, "sync_peer_up failed on link %zu (%d-%d)", li, l->a, l->b);
    drain(w, l->a);
    drain(w, l->b);
}

static void link_down(world *w, size_t li) {
    wire *l = &w->links[li];
    if (!l->up) return;
    l->up = 0;
    l->epoch++;
    trace_u64(w, 0x22220000u + li);
    if (w->nodes[l->a].alive) sync_peer_down(w->nodes[l->a].c, (uint32_t)li + 1);
    if (w->nodes[l->b].alive) sync_peer_down(w->nodes[l->b].c, ROUTER_BASE + (uint32_t)li);
}

static void maybe_txn_crash(world *w, int i, int type);

static void deliver_due(world *w) {
    while (w->nheap > 0 && w->heap[0].at <= w->now && !w->fail[0]) {
        msg m = heap_pop(w);
        wire *l = &w->links[m.link];
        int to = m.dir == 0 ? l->b : l->a;
        uint32_t peer = m.dir == 0 ? ROUTER_BASE + m.link : m.link + 1;
        node *nd = &w->nodes[to];
        if (m.epoch != l->epoch || !l->up || link_cut(w, l) || !nd->alive) {
            w->dropped++;
            free(m.data);
            continue;
        }
        w->delivered++;
        trace_u64(w, m.at);
        trace_u64(w, (uint64_t)to << 32 | peer);
        trace_mix(w, m.data, m.len);
        if (w->capture) {
            if (w->ncap == w->capcap) {
                w->capcap = w->capcap ? 2 * w->capcap : 256;
                w->cap = realloc(w->cap, w->capcap * sizeof *w->cap);
                if (!w->cap) abort();
            }
            uint8_t *copy = malloc(m.len ? m.len : 1);
            if (!copy) abort();
            memcpy(copy, m.data, m.len);
            w->cap[w->ncap++] = (captured){m.link, m.dir, copy, m.len};
        }
        if (w->o->verbose >= 3) {
            char d[400];
            describe(w, m.data, m.len, d, sizeof d);
            printf("  [%7" PRIu64 " ms] %d -> %d: %s\n", w->now, m.dir == 0 ? l->a : l->b, to, d);
        }
        if (nd->group && !nd->held) {
            sync_hold(nd->c);
            nd->held = 1;
        }
        int type = msg_type(m.data, m.len);
        ronda_err e = sync_receive(nd->c, peer, m.data, m.len, node_clock(w, nd));
        free(m.data);
        if (e != RONDA_OK) failf(w, "node %d: sync_receive from peer %u failed: %s", to, peer, errname(e));
        int from = m.dir == 0 ? l->a : l->b;
        if (sync_peer_banned(nd->c, peer) && !(w->hostile >> from & 1))
            failf(w, "node %d banned its honest peer %u (node %d)", to, peer, from);
        drain(w, to);
        if (w->chaos) maybe_txn_crash(w, to, type);
    }
    /* The pass is over: a group-committing node commits what it took (before any crash). */
    for (unsigned i = 0; i < w->n; i++) {
        node *nd = &w->nodes[i];
        if (!nd->held) continue;
        nd->held = 0;
        if (nd->alive && sync_release(nd->c) != RONDA_OK) failf(w, "node %u: sync_release failed", i);
    }
}

/* ------------------------------------------------------------------ records */

static void when_text(uint64_t ms, char out[80]) {
    time_t t = (time_t)(ms / 1000u) + 7 * 3600; /* WIB */
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

static const char *const polsek_names[] = {"Durenan", "Umbulsari", "Lumbang", "Sekar", "Gandusari", "Pogalan"};
static const char *const categories[] = {"vulnerable_area", "social_problem", "traffic", "unrest",
                                         "criticism",       "aspiration",     "other"};
static const char *const programmes[] = {"candu", "warkop", "curhat", "patroli_dialogis", "partnership", "other"};
static const char *const statuses[] = {"in_progress", "referred", "resolved"};

static json_t *dialogue_json(world *w, node *nd, unsigned *topics) {
    char when[80];
    when_text(node_now(w, nd), when);
    unsigned nt = 1 + (unsigned)rng_below(&w->work, 3);
    json_t *t = json_array();
    for (unsigned i = 0; i < nt; i++) {
        char summary[120];
        snprintf(summary, sizeof summary, "Warga menyampaikan keresahan %u dari node %d (%" PRIu64 ")", i, nd->idx,
                 rng_below(&w->work, 100000));
        json_array_append_new(
            t, json_pack("{s:s, s:s}", "summary", summary, "category", categories[rng_below(&w->work, 7)]));
    }
    *topics = nt;
    json_t *msgs = NULL;
    if (w->fat) {
        char text[800];
        memset(text, 'a' + (int)rng_below(&w->work, 26), sizeof text - 1);
        text[sizeof text - 1] = '\0';
        msgs = json_pack("[s, s]", text, text);
    }
    char title[80];
    snprintf(title, sizeof title, "Dialog kamtibmas %" PRIu64, rng_below(&w->work, 1000000));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "when", when, "title", title, "venue",
                          "Warung kopi dekat pasar", "polres", "Trenggalek", "polsek", polsek_names[nd->idx % 6],
                          "topics", t, "programme", programmes[rng_below(&w->work, 6)], "participants",
                          (json_int_t)(5 + rng_below(&w->work, 200)));
    if (msgs) json_object_set_new(j, "messages", msgs);
    return j;
}

static void add_dlg(world *w, const uint8_t *id, unsigned topics, int author) {
    if (w->ndlgs == w->capdlgs) {
        w->capdlgs = w->capdlgs ? 2 * w->capdlgs : 64;
        w->dlgs = realloc(w->dlgs, w->capdlgs * sizeof *w->dlgs);
        if (!w->dlgs) abort();
    }
    dlg *d = &w->dlgs[w->ndlgs++];
    memcpy(d->id, id, RONDA_ID_BYTES);
    d->topics = topics;
    d->author = author;
}

static int holds(node *nd, const uint8_t *id) {
    char hex[65];
    uint8_t got[RONDA_ID_BYTES];
    ronda_hex(id, RONDA_ID_BYTES, hex);
    return ronda_store_resolve(nd->s, hex, got) == RONDA_OK;
}

/* Append `count` records at node i (in one transaction when more than one): dialogues, and
 * resolutions of held dialogues and amends of its own when there are some. */
static void do_append(world *w, int i, unsigned count) {
    node *nd = &w->nodes[i];
    if (count > 1 && ronda_store_begin(nd->s) != RONDA_OK) {
        failf(w, "node %d: begin failed", i);
        return;
    }
    size_t first_new = w->ndlgs;
    for (unsigned k = 0; k < count && !w->fail[0]; k++) {
        uint64_t pick = rng_below(&w->work, 10);
        ronda_kind kind = RONDA_KIND_DIALOGUE;
        json_t *j = NULL;
        unsigned topics = 0;
        const dlg *target = w->ndlgs ? &w->dlgs[rng_below(&w->work, w->ndlgs)] : NULL;
        char when[80], hex[65];
        when_text(node_now(w, nd), when);
        if (pick < 3 && target && holds(nd, target->id)) {
            kind = RONDA_KIND_RESOLUTION;
            const char *status = statuses[rng_below(&w->work, 3)];
            ronda_hex(target->id, RONDA_ID_BYTES, hex);
            j = json_pack("{s:s, s:I, s:s, s:s, s:s}", "when", when, "topic",
                          (json_int_t)rng_below(&w->work, target->topics), "action",
                          "Patroli ditingkatkan di lokasi rawan", "status", status, "dialogue", hex);
            if (strcmp(status, "referred") == 0) json_object_set_new(j, "referred_to", json_string("Forkopimca"));
        } else if (pick == 3 && target && target->author == i) {
            kind = RONDA_KIND_AMEND;
            ronda_hex(target->id, RONDA_ID_BYTES, hex);
            unsigned t2;
            json_t *body = dialogue_json(w, nd, &t2);
            /* topics must not shrink below what resolutions may already name */
            json_t *tl = json_object_get(body, "topics");
            while (json_array_size(tl) < target->topics)
                json_array_append_new(tl, json_pack("{s:s, s:s}", "summary", "Tambahan", "category", "other"));
            j = json_pack("{s:o, s:s, s:s, s:s}", "body", body, "kind", "dialogue", "reason", "Koreksi peserta",
                          "target", hex);
        } else {
            j = dialogue_json(w, nd, &topics);
        }
        uint8_t *body = NULL, id[RONDA_ID_BYTES];
        size_t len = 0;
        ronda_detail d = {{0}};
        ronda_err e = ronda_body_from_json(kind, j, &body, &len, &d);
        if (e == RONDA_OK) e = ronda_store_append(nd->s, nd->sk, kind, body, len, node_now(w, nd), id, &d);
        json_decref(j);
        free(body);
        if (e == RONDA_ERR_REVOKED && i == w->revoked) { /* its revocation has reached it */
            nd->knows_revoked = 1;
            vlog(w, "node %d: append refused, it holds its own revocation", i);
            if (count > 1) ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (e == RONDA_ERR_BEHIND && i == w->restorer && w->restore_done) { /* the restore guard */
            w->appends_refused++;
            if (count > 1) ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (e != RONDA_OK) {
            failf(w, "node %d: append of a %s failed: %s (%s)", i, ronda_kind_name(kind), errname(e), d.text);
            break;
        }
        trace_mix(w, id, sizeof id);
        if (kind == RONDA_KIND_DIALOGUE) add_dlg(w, id, topics, i);
    }
    if (count > 1) {
        if (w->fail[0]) {
            ronda_store_rollback(nd->s);
            w->ndlgs = first_new;
            return;
        }
        if (ronda_store_commit(nd->s) != RONDA_OK) {
            failf(w, "node %d: commit of %u records failed", i, count);
            w->ndlgs = first_new;
            return;
        }
    }
    if (!w->fail[0]) {
        w->expected += count;
        w->appended += count;
        w->written[i] += count;
    }
}

/* The authority (node 0) admits signing key `pk` as member number i. */
static ronda_err admit_key(world *w, const uint8_t *pk, int i) {
    node *auth = &w->nodes[0];
    char sign[65], curve[65];
    uint8_t ck[RONDA_KEY_BYTES];
    for (size_t k = 0; k < sizeof ck; k++) ck[k] = (uint8_t)rng_next(&w->setup);
    ronda_hex(pk, RONDA_KEY_BYTES, sign);
    ronda_hex(ck, RONDA_KEY_BYTES, curve);
    char name[64];
    snprintf(name, sizeof name, "Polsek %s %d", polsek_names[i % 6], i);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", name, "role", i % 5 == 4 ? "hq" : "precinct", "polres",
                  "Trenggalek", "sign_key", sign, "curve_key", curve, "valid_from", (json_int_t)(T0_MS - DAY_MS),
                  "valid_until", (json_int_t)(T0_MS + (i == w->long_member ? 730 : 30) * DAY_MS));
    if (i % 5 != 4) json_object_set_new(j, "polsek", json_string(polsek_names[i % 6]));
    uint8_t *body = NULL;
    size_t len = 0;
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(RONDA_KIND_MEMBER, j, &body, &len, &d);
    if (e == RONDA_OK)
        e = ronda_store_append(auth->s, w->nodes[0].sk, RONDA_KIND_MEMBER, body, len, node_now(w, auth), NULL, &d);
    json_decref(j);
    free(body);
    if (e != RONDA_OK)
        failf(w, "admit node %d: %s (%s)", i, errname(e), d.text);
    else
        w->written[0]++;
    return e;
}

static ronda_err admit(world *w, int i) { return admit_key(w, w->nodes[i].pk, i); }

/* The authority revokes node i, its last good record being the last the authority holds. */
static void revoke(world *w, int i) {
    node *auth = &w->nodes[0], *nd = &w->nodes[i];
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    ronda_err e = ronda_store_head(auth->s, nd->pk, &seq, head);
    if (e == RONDA_ERR_NOT_FOUND)
        seq = 0;
    else if (e != RONDA_OK) {
        failf(w, "revoke: head: %s", errname(e));
        return;
    }
    char member[65], last[65];
    ronda_hex(nd->pk, RONDA_KEY_BYTES, member);
    json_t *j =
        json_pack("{s:s, s:s, s:I}", "member", member, "reason", "Kunci perangkat hilang", "last_seq", (json_int_t)seq);
    if (seq > 0) {
        ronda_hex(head, RONDA_ID_BYTES, last);
        json_object_set_new(j, "last_id", json_string(last));
    }
    uint8_t *body = NULL;
    size_t len = 0;
    ronda_detail d = {{0}};
    e = ronda_body_from_json(RONDA_KIND_REVOKE, j, &body, &len, &d);
    if (e == RONDA_OK)
        e = ronda_store_append(auth->s, auth->sk, RONDA_KIND_REVOKE, body, len, node_now(w, auth), NULL, &d);
    json_decref(j);
    free(body);
    if (e != RONDA_OK) {
        failf(w, "revoke node %d: %s (%s)", i, errname(e), d.text);
        return;
    }
    w->written[0]++;
    w->expected++;
    w->revoke_seq = seq;
    w->revoke_done = 1;
    trace_u64(w, 0x77770000u + (unsigned)i);
    vlog(w, "authority revokes node %d after its seq %" PRIu64 " (it wrote %" PRIu64 ")", i, seq, w->written[i]);
}

/* ------------------------------------------------------------------ invariants */

/* No record a node held is lost: per author, the seq held never moves back, and when it is
 * unchanged so is the head. `exact`: nothing may have changed at all (a closed store). Read
 * through `s`: the node's own connection, or another one that sees only what is committed. */
static void check_frontier_on(world *w, int i, ronda_store *s, int exact) {
    node *nd = &w->nodes[i];
    for (unsigned a = 0; a < w->n && !w->fail[0]; a++) {
        uint64_t seq = 0;
        uint8_t head[RONDA_ID_BYTES] = {0};
        ronda_err e = ronda_store_head(s, w->nodes[a].pk, &seq, head);
        if (e != RONDA_OK && e != RONDA_ERR_NOT_FOUND) {
            failf(w, "node %d: head of author %u: %s", i, a, errname(e));
            return;
        }
        if (e == RONDA_ERR_NOT_FOUND) seq = 0;
        if (seq < nd->seen_seq[a])
            failf(w, "LOST RECORDS: node %d held seq %" PRIu64 " of author %u, now %" PRIu64, i, nd->seen_seq[a], a,
                  seq);
        else if (seq == nd->seen_seq[a] && seq > 0 && memcmp(head, nd->seen_head[a], RONDA_ID_BYTES) != 0)
            failf(w, "node %d: head of author %u at seq %" PRIu64 " changed", i, a, seq);
        else if (exact && seq != nd->seen_seq[a])
            failf(w, "node %d: author %u moved from seq %" PRIu64 " to %" PRIu64 " while the node was down", i, a,
                  nd->seen_seq[a], seq);
        nd->seen_seq[a] = seq;
        memcpy(nd->seen_head[a], head, RONDA_ID_BYTES);
    }
}

static int nodes_down(const world *w);

static void check_frontier(world *w, int i, int exact) { check_frontier_on(w, i, w->nodes[i].s, exact); }

/* What node i's store has committed, read through a second connection (it sees what a
 * process started after a SIGKILL would): its frontier becomes what the node is known to
 * hold, and its digest and record count what the store must hold exactly on restart. Returns
 * whether the node's own connection sees more: records applied but not committed. */
static int snapshot_committed(world *w, int i) {
    node *nd = &w->nodes[i];
    ronda_store *ro = NULL;
    uint8_t own[RONDA_HASH_BYTES];
    ronda_stats st;
    if (ronda_store_open_readonly(nd->path, &ro) != RONDA_OK) {
        failf(w, "node %d: cannot open its store a second time", i);
        return 0;
    }
    check_frontier_on(w, i, ro, 0);
    if (ronda_store_digest(ro, nd->committed_digest, NULL) != RONDA_OK || ronda_store_stats(ro, &st) != RONDA_OK ||
        ronda_store_digest(nd->s, own, NULL) != RONDA_OK)
        failf(w, "node %d: digest or stats failed", i);
    nd->committed_records = st.records + st.forks;
    ronda_store_close(&ro);
    return memcmp(own, nd->committed_digest, sizeof own) != 0;
}

/* As SIGKILL: the core is dropped with nothing applied or committed (sync_abandon), then its
 * connections go down at the other ends only. */
static void crash(world *w, int i) {
    node *nd = &w->nodes[i];
    int in_txn = nd->held, lost = snapshot_committed(w, i);
    sync_abandon(&nd->c);
    ronda_store_close(&nd->s);
    nd->alive = 0;
    nd->held = 0;
    nd->crash_armed = 0;
    for (size_t li = 0; li < w->nlinks; li++)
        if (w->links[li].a == i || w->links[li].b == i) link_down(w, li);
    nd->up_at = w->now + 300 + rng_below(&w->work, 4700);
    w->crashes++;
    if (in_txn) w->txn_crashes++;
    if (in_txn && lost) w->txn_lost++;
    if (!in_txn && lost) failf(w, "node %d: its connection held uncommitted records outside a hold", i);
    trace_u64(w, 0x33330000u + (unsigned)i);
    vlog(w, "node %d crashes%s%s (back at %" PRIu64 " ms)", i, in_txn ? " in the middle of a transaction" : "",
         lost ? ", losing what it had not committed" : "", nd->up_at);
}

/* Crashes in the middle of a transaction: now and then a group-committing node is armed, and
 * crashes right after it takes a RECORDS message in a held pass (before sync_release). */
static void arm_txn_crash(world *w) {
    if (!rng_chance(&w->fault, 1.5 / (double)w->o->steps)) return;
    node *nd = &w->nodes[rng_below(&w->fault, w->n)];
    if (nd->alive && nd->group) nd->crash_armed = 1;
}

static void maybe_txn_crash(world *w, int i, int type) {
    node *nd = &w->nodes[i];
    if (nd->crash_armed && nd->alive && nd->held && type == 4 && nodes_down(w) + 1 <= (int)w->n / 2) crash(w, i);
}

/* After a crash the store holds exactly what was committed before it. */
static void check_restart(world *w, int i) {
    node *nd = &w->nodes[i];
    uint8_t d[RONDA_HASH_BYTES];
    ronda_stats st;
    check_frontier(w, i, 1);
    if (ronda_store_digest(nd->s, d, NULL) != RONDA_OK || ronda_store_stats(nd->s, &st) != RONDA_OK)
        failf(w, "node %d: digest or stats failed", i);
    else if (memcmp(d, nd->committed_digest, sizeof d) != 0 || st.records + st.forks != nd->committed_records)
        failf(w,
              "node %d: after its crash the store holds %" PRIu64 " records, not the %" PRIu64
              " committed before (or another digest)",
              i, st.records + st.forks, nd->committed_records);
}

/* ------------------------------------------------------------------ restores from old backups */

static int copy_path(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    if (in && ferror(in)) ok = 0;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

static void backup_path(const world *w, char *out, size_t len) { snprintf(out, len, "%s/backup.db", w->dir); }

/* --restores: in that share of seeds, one precinct node (not the late joiner nor the revoked
 * one) is backed up a while into the run and later restored from that copy. Its own stream,
 * so seeds without a restore replay as before. */
static void plan_restore(world *w, uint64_t active) {
    if (!rng_chance(&w->rst, w->o->restores) || w->n < 3) return;
    int r = 1 + (int)rng_below(&w->rst, w->n - 1);
    if (r == w->late || r == w->revoked) return;
    w->restorer = r;
    w->backup_at = active / 10 + rng_below(&w->rst, active * 3 / 10 + 1);
    w->restore_at = w->backup_at + active / 10 + rng_below(&w->rst, active * 3 / 10 + 1);
}

/* As `ronda restore`: the node crashes (sync_abandon), its database is replaced by the backup
 * with the guard set to restored at its own head, and it restarts later from that. What it
 * is known to hold starts again from the backup: the records it wrote after the backup are
 * gone from it (its peers may hold them). */
static void restore_node(world *w, int i) {
    node *nd = &w->nodes[i];
    char bak[640];
    backup_path(w, bak, sizeof bak);
    crash(w, i);
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (int k = 0; k < 4; k++) {
        char p[640];
        snprintf(p, sizeof p, "%s%s", nd->path, sfx[k]);
        unlink(p);
    }
    ronda_store *s = NULL;
    uint64_t seq = 0, before = nd->seen_seq[i];
    uint8_t head[RONDA_ID_BYTES];
    ronda_stats st;
    if (copy_path(bak, nd->path) != 0 || ronda_store_open(nd->path, NULL, &s) != RONDA_OK) {
        failf(w, "node %d: cannot restore its backup", i);
        return;
    }
    if (ronda_store_head(s, nd->pk, &seq, head) != RONDA_OK) seq = 0;
    if (ronda_store_set_guard(s, RONDA_GUARD_RESTORED, seq) != RONDA_OK ||
        ronda_store_digest(s, nd->committed_digest, NULL) != RONDA_OK || ronda_store_stats(s, &st) != RONDA_OK)
        failf(w, "node %d: cannot set the restore guard", i);
    nd->committed_records = st.records + st.forks;
    memset(nd->seen_seq, 0, sizeof nd->seen_seq);
    nd->s = s; /* the baseline for the loss check is now the backup */
    check_frontier(w, i, 0);
    ronda_store_close(&nd->s);
    w->backup_seq = seq;
    w->restored_lost = before > seq ? before - seq : 0;
    w->restore_done = 1;
    trace_u64(w, 0x88880000u + (unsigned)i);
    vlog(w, "node %d restored from its backup: own records up to seq %" PRIu64 " (it held %" PRIu64 ")", i, seq,
         before);
}

static void restore_events(world *w) {
    if (w->restorer < 0) return;
    node *nd = &w->nodes[w->restorer];
    if (!w->backup_done && w->now >= w->backup_at && nd->alive) {
        char bak[640];
        backup_path(w, bak, sizeof bak);
        if (ronda_store_backup(nd->s, bak, NULL, NULL) != RONDA_OK) failf(w, "node %d: backup failed", w->restorer);
        w->backup_done = 1;
        vlog(w, "node %d backed up", w->restorer);
    } else if (w->backup_done && !w->restore_done && w->now >= w->restore_at && nd->alive) {
        restore_node(w, w->restorer);
    }
}

/* The restored node writes again once a peer lets it (its guard is none), and holds the
 * backup's records at least. */
static void restore_checks(world *w) {
    if (!w->restore_done) return;
    int r = w->restorer;
    ronda_guard g;
    uint64_t gseq = 0, seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    ronda_err e = ronda_store_head(w->nodes[r].s, w->nodes[r].pk, &seq, head);
    if (e == RONDA_ERR_NOT_FOUND) { /* it has written nothing yet */
        seq = 0;
        e = RONDA_OK;
    }
    if (e != RONDA_OK || ronda_store_guard(w->nodes[r].s, &g, &gseq) != RONDA_OK)
        failf(w, "node %d: guard or head failed", r);
    else if (g != RONDA_GUARD_NONE)
        failf(w, "restored node %d still refuses to write (guard %s %" PRIu64 ") after the network converged", r,
              ronda_guard_name(g), gseq);
    else if (seq < w->backup_seq)
        failf(w, "restored node %d holds its own records to seq %" PRIu64 ", its backup to %" PRIu64, r, seq,
              w->backup_seq);
}

/* The core's own invariants (sync_check), for every live node after every step. */
static void check_cores(world *w) {
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        char why[300];
        if (w->nodes[i].alive && !sync_check(w->nodes[i].c, why, sizeof why))
            failf(w, "node %u: sync_check: invariant %s", i, why);
    }
}

static void restart(world *w, int i) {
    node *nd = &w->nodes[i];
    ronda_err e = ronda_store_open(nd->path, NULL, &nd->s);
    if (e != RONDA_OK) {
        failf(w, "node %d: reopen failed: %s", i, errname(e));
        return;
    }
    ronda_store_set_clock(nd->s, store_wall, nd);
    check_restart(w, i);
    if ((e = sync_new(nd->s, sim_log, nd, &nd->c)) != RONDA_OK) {
        failf(w, "node %d: sync_new failed: %s", i, errname(e));
        return;
    }
    nd->alive = 1;
    nd->next_tick = w->now + rng_below(&w->work, TICK_MS);
    trace_u64(w, 0x44440000u + (unsigned)i);
    vlog(w, "node %d restarts", i);
    for (size_t li = 0; li < w->nlinks; li++)
        if (w->links[li].a == i || w->links[li].b == i) link_up(w, li);
}

static int digests_equal(world *w, uint8_t out[RONDA_HASH_BYTES]) {
    uint8_t first[RONDA_HASH_BYTES];
    for (unsigned i = 0; i < w->n; i++) {
        uint8_t d[RONDA_HASH_BYTES];
        if (!w->nodes[i].alive) return 0;
        if (ronda_store_digest(w->nodes[i].s, d, NULL) != RONDA_OK) {
            failf(w, "node %u: digest failed", i);
            return 0;
        }
        if (i == 0)
            memcpy(first, d, sizeof d);
        else if (memcmp(first, d, sizeof d) != 0)
            return 0;
    }
    if (out) memcpy(out, first, sizeof first);
    return 1;
}

static void verify_cb(void *ctx, const ronda_finding *f) {
    node *nd = ctx;
    failf(nd->w, "node %d: verify finding: %s: %s (%s)", nd->idx, f->what, errname(f->err), f->detail);
}

/* ------------------------------------------------------------------ setup and teardown */

static void world_free(world *w) {
    for (unsigned i = 0; i < w->n; i++) {
        sync_destroy(&w->nodes[i].c);
        ronda_store_close(&w->nodes[i].s);
        if (!w->o->keep || !w->fail[0]) {
            static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
            for (int k = 0; k < 4; k++) {
                char p[640];
                snprintf(p, sizeof p, "%s%s", w->nodes[i].path, sfx[k]);
                unlink(p);
            }
        }
    }
    if (w->dir[0] && (!w->o->keep || !w->fail[0])) {
        char bak[640];
        snprintf(bak, sizeof bak, "%s/backup.db", w->dir); /* --restores */
        unlink(bak);
        rmdir(w->dir);
    }
    while (w->nheap > 0) free(heap_pop(w).data);
    free(w->heap);
    free(w->dlgs);
    for (size_t k = 0; k < w->ncap; k++) free(w->cap[k].data);
    free(w->cap);
}

typedef struct copy_ctx {
    world *w;
    ronda_store *to;
    int idx;
} copy_ctx;

static int copy_one(void *vctx, int64_t rowid, const uint8_t *id, const uint8_t *rec, size_t len) {
    copy_ctx *x = vctx;
    ronda_outcome o;
    ronda_detail d = {{0}};
    (void)rowid;
    (void)id;
    ronda_err e = ronda_store_ingest(x->to, rec, len, &o, &d);
    if (e != RONDA_OK || o != RONDA_STORED) {
        failf(x->w, "node %d: setup ingest: %s (%s)", x->idx, errname(e), d.text);
        return 1;
    }
    return 0;
}

static int has_link(const world *w, int a, int b) {
    for (size_t li = 0; li < w->nlinks; li++)
        if ((w->links[li].a == a && w->links[li].b == b) || (w->links[li].a == b && w->links[li].b == a)) return 1;
    return 0;
}

static void add_link(world *w, int a, int b) {
    if (a == b || has_link(w, a, b)) return;
    wire *l = &w->links[w->nlinks++];
    memset(l, 0, sizeof *l);
    l->a = a;
    l->b = b;
}

static const char *tmp_base(void) {
    const char *t = getenv("RONDA_SIM_TMP");
    if (t && *t) return t;
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
    t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Keys, stores, and the authority's roster applied to every store. With `late_ok`, one node
 * (40% of seeds) is left out of the roster, to be admitted while the network runs. */
static int world_init(world *w, const opts *o, uint64_t seed, unsigned n, int late_ok) {
    memset(w, 0, sizeof *w);
    w->o = o;
    w->seed = seed;
    w->n = n;
    w->setup = rng_make(seed, 1);
    w->net = rng_make(seed, 2);
    w->work = rng_make(seed, 3);
    w->fault = rng_make(seed, 4);
    w->rst = rng_make(seed, 5);
    w->restorer = -1;
    w->trace = UINT64_C(0xcbf29ce484222325);
    w->late = -1;
    w->burster = -1;
    snprintf(w->dir, sizeof w->dir, "%s/ronda-sim-XXXXXX", tmp_base());
    if (!mkdtemp(w->dir)) {
        fprintf(stderr, "ronda-sim: cannot create a temp dir under %s: %s\n", tmp_base(), strerror(errno));
        w->dir[0] = '\0';
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        node *nd = &w->nodes[i];
        nd->w = w;
        nd->idx = (int)i;
        uint8_t kseed[32];
        for (size_t k = 0; k < sizeof kseed; k++) kseed[k] = (uint8_t)rng_next(&w->setup);
        crypto_sign_seed_keypair(nd->pk, nd->sk, kseed);
        nd->skew = (int64_t)rng_below(&w->setup, 2 * SKEW_MAX_MS + 1) - (int64_t)SKEW_MAX_MS;
        nd->group = (int)((seed + (uint64_t)i) & 1); /* half the nodes group-commit (no rng draw) */
        snprintf(nd->path, sizeof nd->path, "%s/node%u.db", w->dir, i);
    }
    w->nodes[0].skew = 0;
    w->revoked = -1;
    if (late_ok && n >= 3 && rng_chance(&w->setup, 0.4)) w->late = 1 + (int)rng_below(&w->setup, n - 1);
    if (late_ok && n >= 4 && rng_chance(&w->setup, 0.3)) {
        int r = 1 + (int)rng_below(&w->setup, n - 1);
        if (r != w->late) w->revoked = r;
    }
    /* node 0 is the authority's own store */
    ronda_err e = ronda_store_create(w->nodes[0].path, w->nodes[0].pk, w->nodes[0].pk, &w->nodes[0].s);
    if (e != RONDA_OK) {
        failf(w, "create node 0: %s", errname(e));
        return -1;
    }
    ronda_store_set_clock(w->nodes[0].s, store_wall, &w->nodes[0]);
    w->nodes[0].alive = 1;
    w->nodes[0].admitted = 1;
    w->now = 0;
    for (unsigned i = 1; i < n; i++) {
        if ((int)i == w->late) continue;
        if (admit(w, (int)i) != RONDA_OK) return -1;
        w->nodes[i].admitted = 1;
        w->expected++;
    }
    /* distribute the authority's records by applying them to every store directly */
    for (unsigned i = 1; i < n; i++) {
        node *nd = &w->nodes[i];
        if ((e = ronda_store_create(nd->path, w->nodes[0].pk, nd->pk, &nd->s)) != RONDA_OK) {
            failf(w, "create node %u: %s", i, errname(e));
            return -1;
        }
        ronda_store_set_clock(nd->s, store_wall, nd);
        nd->alive = 1;
    }
    for (unsigned i = 1; i < n && !w->fail[0]; i++) {
        copy_ctx cc = {w, w->nodes[i].s, (int)i};
        if (ronda_store_begin(cc.to) != RONDA_OK ||
            ronda_store_since(w->nodes[0].s, 0, 0, 1000000, copy_one, &cc) != RONDA_OK ||
            ronda_store_commit(cc.to) != RONDA_OK)
            failf(w, "node %u: cannot apply the authority's records", i);
    }
    return w->fail[0] ? -1 : 0;
}

/* A random connected graph in which node n-1 is a leaf whose only link is to one precinct
 * node (relay test); each other node dials one or two random others. */
static void pick_topology(world *w) {
    unsigned n = w->n;
    if (n == 2) {
        add_link(w, 1, 0);
        return;
    }
    unsigned core = n - 1; /* nodes 0..n-2; node n-1 is the leaf */
    for (unsigned i = 1; i < core; i++) add_link(w, (int)i, (int)rng_below(&w->setup, i));
    for (unsigned i = 0; i < core; i++) {
        unsigned k = 1 + (unsigned)rng_below(&w->setup, 2);
        for (unsigned j = 0; j < k && core > 2; j++) {
            int o = (int)rng_below(&w->setup, core);
            if (rng_chance(&w->setup, 0.5))
                add_link(w, (int)i, o);
            else
                add_link(w, o, (int)i);
        }
    }
    /* the leaf: its only link is to one precinct node (not the authority) */
    add_link(w, (int)n - 1, 1 + (int)rng_below(&w->setup, n - 2));
}

/* Every node gets its sync core; every link comes up. */
static void world_start(world *w) {
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        node *nd = &w->nodes[i];
        if (sync_new(nd->s, sim_log, nd, &nd->c) != RONDA_OK) failf(w, "node %u: sync_new failed", i);
        nd->next_tick = rng_below(&w->setup, TICK_MS);
        check_frontier(w, (int)i, 0);
    }
    for (size_t li = 0; li < w->nlinks && !w->fail[0]; li++) link_up(w, li);
}

/* ------------------------------------------------------------------ the run */

static int nodes_down(const world *w) {
    int k = 0;
    for (unsigned i = 0; i < w->n; i++) k += !w->nodes[i].alive;
    return k;
}

static void heal(world *w, int bounce) {
    if (!w->cut_active) return;
    uint64_t mask = w->cut_mask;
    w->cut_active = 0;
    trace_u64(w, 0x55550000u);
    vlog(w, "partition heals%s", bounce ? " (cut links reconnect)" : "");
    if (!bounce) return;
    for (size_t li = 0; li < w->nlinks; li++) {
        wire *l = &w->links[li];
        if (((mask >> l->a) ^ (mask >> l->b)) & 1u) {
            link_down(w, li);
            link_up(w, li);
        }
    }
}

static void late_admit(world *w) {
    if (w->late < 0 || w->nodes[w->late].admit_seq || !w->nodes[0].alive) return;
    if (admit(w, w->late) != RONDA_OK) return;
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    if (ronda_store_head(w->nodes[0].s, w->nodes[0].pk, &seq, head) != RONDA_OK) {
        failf(w, "authority head");
        return;
    }
    w->nodes[w->late].admit_seq = seq;
    w->expected++;
    trace_u64(w, 0x66660000u);
    vlog(w, "authority admits node %d (authority seq %" PRIu64 ")", w->late, seq);
}

static void chaos_events(world *w) {
    rng *r = &w->work;
    double steps = (double)w->o->steps;
    if (w->cut_active && w->now >= w->cut_until) heal(w, rng_chance(r, 0.5));
    if (!w->cut_active && rng_chance(r, 2.0 / steps)) {
        uint64_t all = w->n == 64 ? UINT64_MAX : (UINT64_C(1) << w->n) - 1, mask = 0;
        while (mask == 0 || mask == all) mask = rng_next(r) & all;
        w->cut_mask = mask;
        w->cut_until = w->now + 500 + rng_below(r, 5500);
        w->cut_active = 1;
        w->parts++;
        trace_u64(w, mask);
        vlog(w, "partition %#" PRIx64 " until %" PRIu64 " ms", mask, w->cut_until);
    }
    if (rng_chance(r, 3.0 / steps)) {
        int i = (int)rng_below(r, w->n);
        if (w->nodes[i].alive && nodes_down(w) + 1 <= (int)w->n / 2) crash(w, i);
    }
    if (w->o->clock_steps && rng_chance(r, 4.0 * (double)w->n / steps)) { /* NTP or an operator sets a clock */
        node *nd = &w->nodes[rng_below(r, w->n)];
        int64_t to = (int64_t)rng_below(r, STEP_BACK_MAX_MS + STEP_FWD_MAX_MS + 1) - (int64_t)STEP_BACK_MAX_MS;
        vlog(w, "node %d: wall clock set from %+" PRId64 " to %+" PRId64 " ms", nd->idx, nd->skew, to);
        nd->skew = to;
        w->clock_steps++;
        trace_u64(w, 0x88880000u + (unsigned)nd->idx);
    }
    arm_txn_crash(w);
    restore_events(w);
    if (w->late >= 0 && w->now >= w->late_at) late_admit(w);
    if (w->revoked >= 0 && !w->revoke_done && w->now >= w->revoke_at && w->nodes[0].alive) revoke(w, w->revoked);
    for (unsigned i = 1; i < w->n && !w->fail[0]; i++) {
        node *nd = &w->nodes[i];
        if (!nd->alive) continue;
        if (!nd->admitted && nd->admit_seq) {
            uint64_t seq = 0;
            uint8_t head[RONDA_ID_BYTES];
            if (ronda_store_head(nd->s, w->nodes[0].pk, &seq, head) == RONDA_OK && seq >= nd->admit_seq) {
                nd->admitted = 1;
                vlog(w, "node %u now holds its own member record", i);
            }
        }
        if (!nd->admitted || nd->knows_revoked) continue;
        if ((int)i == w->burster && w->now >= w->burst_at) {
            vlog(w, "node %u writes a burst of %u records", i, w->burst_n);
            do_append(w, (int)i, w->burst_n);
            w->burster = -1;
        }
        if (rng_chance(r, w->o->rate * STEP_MS / 1000.0)) do_append(w, (int)i, 1);
    }
}

static void step(world *w) {
    for (unsigned i = 0; i < w->n; i++) {
        w->nodes[i].budget = w->nodes[i].bw;
        if (w->nodes[i].bw) drain(w, (int)i); /* what waited in the core's queues */
    }
    if (w->chaos) chaos_events(w);
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++)
        if (!w->nodes[i].alive && w->now >= w->nodes[i].up_at) restart(w, (int)i);
    deliver_due(w);
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        node *nd = &w->nodes[i];
        if (!nd->alive || w->now < nd->next_tick) continue;
        nd->next_tick += TICK_MS;
        ronda_err e = sync_tick(nd->c, node_clock(w, nd));
        if (e != RONDA_OK) failf(w, "node %u: sync_tick failed: %s", i, errname(e));
        drain(w, (int)i);
    }
    if (w->now % CHECK_MS == 0)
        for (unsigned i = 0; i < w->n && !w->fail[0]; i++)
            if (w->nodes[i].alive) check_frontier(w, (int)i, 0);
    check_cores(w);
    w->now += STEP_MS;
}

static void run_rounds(world *w, uint64_t ms) {
    uint64_t end = w->now + ms;
    while (!w->fail[0] && w->now < end) step(w);
}

typedef struct result {
    int ok;
    uint64_t trace, converged_ms, records, msgs;
    unsigned txn_crashes, txn_lost;
    uint8_t digest[RONDA_HASH_BYTES];
} result;

typedef struct frontier_ctx {
    world *w;
    uint64_t seq[MAX_NODES];
    int strangers;
} frontier_ctx;

static int frontier_cb(void *ctx, const uint8_t *author, uint64_t seq, const uint8_t *head) {
    frontier_ctx *f = ctx;
    int a = author_index(f->w, author);
    (void)head;
    if (a < 0)
        f->strangers++;
    else
        f->seq[a] = seq;
    return 0;
}

/* Every node holds every record written, up to a revoked author's last good record: its
 * frontier (which the digest covers) is exactly what the authors wrote. */
static void final_checks(world *w) {
    uint64_t want[MAX_NODES], sum = 0;
    for (unsigned a = 0; a < w->n; a++) {
        want[a] = w->written[a];
        if ((int)a == w->revoked && w->revoke_done && w->revoke_seq < want[a]) want[a] = w->revoke_seq;
        sum += want[a];
    }
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        node *nd = &w->nodes[i];
        check_frontier(w, (int)i, 0);
        frontier_ctx fc;
        memset(&fc, 0, sizeof fc);
        fc.w = w;
        if (ronda_store_frontier(nd->s, frontier_cb, &fc) != RONDA_OK) {
            failf(w, "node %u: frontier failed", i);
            break;
        }
        for (unsigned a = 0; a < w->n; a++)
            if ((int)a == w->restorer && w->restore_done) /* what it wrote after the backup may be gone */
                continue;
            else if (fc.seq[a] != want[a])
                failf(w, "node %u: author %u at seq %" PRIu64 " in the frontier; %" PRIu64 " expected", i, a, fc.seq[a],
                      want[a]);
        if (fc.strangers) failf(w, "node %u: %d unknown authors in the frontier", i, fc.strangers);
        ronda_stats st;
        if (ronda_store_stats(nd->s, &st) != RONDA_OK) {
            failf(w, "node %u: stats failed", i);
            break;
        }
        /* all records, or with a revocation: at least the good ones, at most all */
        if (w->restore_done)
            ; /* as above: restore_checks checks the restored node */
        else if (w->revoked < 0 ? st.records != w->expected : st.records < sum || st.records > w->expected)
            failf(w, "node %u holds %" PRIu64 " records; %" PRIu64 " were written (%" PRIu64 " good)", i, st.records,
                  w->expected, sum);
        if (st.forks != 0) failf(w, "node %u holds %" PRIu64 " fork-evidence records", i, st.forks);
        ronda_verify_summary vs;
        ronda_err e = ronda_store_verify(nd->s, 1, verify_cb, nd, &vs);
        if (e != RONDA_OK)
            failf(w, "node %u: verify failed: %s", i, errname(e));
        else if (vs.findings != 0)
            failf(w, "node %u: verify: %" PRIu64 " findings", i, vs.findings);
        sync_stats ss;
        sync_get_stats(nd->c, &ss);
        if (ss.rejected != 0) failf(w, "node %u refused %" PRIu64 " records from honest peers", i, ss.rejected);
    }
}

static void print_state(world *w) {
    for (unsigned i = 0; i < w->n; i++) {
        node *nd = &w->nodes[i];
        if (!nd->alive) {
            printf("    node %u: down\n", i);
            continue;
        }
        uint8_t d[RONDA_HASH_BYTES];
        char hex[65];
        if (ronda_store_digest(nd->s, d, NULL) != RONDA_OK) continue;
        ronda_hex(d, 6, hex);
        printf("    node %u: digest %s seqs", i, hex);
        for (unsigned a = 0; a < w->n; a++) {
            uint64_t seq = 0;
            uint8_t head[RONDA_ID_BYTES];
            if (ronda_store_head(nd->s, w->nodes[a].pk, &seq, head) != RONDA_OK) seq = 0;
            printf(" %" PRIu64, seq);
        }
        sync_stats ss;
        memset(&ss, 0, sizeof ss);
        if (nd->c) sync_get_stats(nd->c, &ss);
        printf("  (recv %" PRIu64 " stored %" PRIu64 " dup %" PRIu64 " deferred %" PRIu64 " rejected %" PRIu64
               " dropped-pushes %" PRIu64 ")\n",
               ss.received, ss.stored, ss.duplicates, ss.deferred, ss.rejected, ss.pushes_dropped);
    }
    printf("    links:");
    for (size_t li = 0; li < w->nlinks; li++) printf(" %d-%d", w->links[li].a, w->links[li].b);
    printf("\n");
}

static void replay_line(const opts *o, uint64_t seed) {
    printf("  replay: ronda-sim --seed %" PRIu64 " --nodes %u --steps %u --drop %g --dup %g --reorder %g --burst %u"
           " --rate %g --restores %g%s --verbose\n",
           seed, o->nodes, o->steps, o->drop, o->dup, o->reorder, o->burst, o->rate, o->restores,
           o->clock_steps ? " --clock-steps" : "");
}

static int run_seed(const opts *o, uint64_t seed, result *res) {
    memset(res, 0, sizeof *res);
    world *w = calloc(1, sizeof *w);
    if (!w) return 0;
    if (world_init(w, o, seed, o->nodes, 1) == 0) {
        pick_topology(w);
        w->chaos = 1;
        w->drop = o->drop;
        w->dup = o->dup;
        w->reorder = o->reorder;
        w->maxlat = 2 + (unsigned)rng_below(&w->setup, 60);
        uint64_t active = (uint64_t)o->steps * STEP_MS;
        if (w->late >= 0) w->late_at = active / 10 + rng_below(&w->setup, active * 4 / 10 + 1);
        if (rng_chance(&w->setup, 0.3)) { /* one node on a slow link: 100..300 messages/s */
            node *slow = &w->nodes[rng_below(&w->setup, w->n)];
            slow->bw = 1 + (unsigned)rng_below(&w->setup, 3);
        }
        if (w->revoked >= 0) w->revoke_at = active / 5 + rng_below(&w->setup, active / 2 + 1);
        plan_restore(w, active);
        if (o->burst > 0 && rng_chance(&w->setup, 0.2)) {
            w->burster = 1 + (int)rng_below(&w->setup, w->n - 1);
            w->burst_at = active / 5 + rng_below(&w->setup, active * 2 / 5 + 1);
            w->burst_n = o->burst > 256 ? 257 + (unsigned)rng_below(&w->setup, o->burst - 256) : o->burst;
        }
        if (o->verbose) {
            int slow = -1;
            for (unsigned i = 0; i < w->n; i++)
                if (w->nodes[i].bw) slow = (int)i;
            printf("seed %" PRIu64 ": %u nodes, latency 1..%u ms, late joiner %d, revoked %d, burst %u at node %d,"
                   " slow node %d (%u msgs/step)\n",
                   seed, w->n, w->maxlat, w->late, w->revoked, w->burster >= 0 ? w->burst_n : 0, w->burster, slow,
                   slow >= 0 ? w->nodes[slow].bw : 0);
            print_state(w);
        }
        world_start(w);
        while (w->now < active && !w->fail[0]) step(w);
        /* quiet: no more appends, crashes or partitions; everyone comes back */
        w->chaos = 0;
        w->quiet_at = w->now;
        if (!w->fail[0]) {
            heal(w, 0);
            for (unsigned i = 0; i < w->n && !w->fail[0]; i++)
                if (!w->nodes[i].alive) restart(w, (int)i);
            late_admit(w);
            if (w->revoked >= 0 && !w->revoke_done) revoke(w, w->revoked);
            if (w->burster >= 0 && w->nodes[w->burster].admitted) do_append(w, w->burster, w->burst_n);
            vlog(w, "quiet: %" PRIu64 " records written; waiting for equal digests", w->expected);
        }
        int converged = 0;
        while (!w->fail[0] && w->now <= w->quiet_at + CONVERGE_MS) {
            if (w->now % 100 == 0 && digests_equal(w, res->digest)) {
                converged = 1;
                break;
            }
            if (o->verbose && w->now > w->quiet_at && (w->now - w->quiet_at) % 5000 == 0) {
                vlog(w, "not converged yet:");
                print_state(w);
            }
            step(w);
        }
        if (!w->fail[0] && !converged) failf(w, "digests still differ %u ms after the network went quiet", CONVERGE_MS);
        w->converged_ms = w->now - w->quiet_at;
        if (w->restore_done) run_rounds(w, 2 * SYNC_ROUND_MS); /* a round with equal digests confirms it */
        if (!w->fail[0]) final_checks(w);
        if (!w->fail[0]) restore_checks(w);
    }
    res->ok = !w->fail[0];
    res->trace = w->trace;
    res->converged_ms = w->converged_ms;
    res->records = w->expected;
    res->msgs = w->sent;
    res->txn_crashes = w->txn_crashes;
    res->txn_lost = w->txn_lost;
    if (!res->ok) {
        printf("FAIL seed=%" PRIu64 ": %s\n", seed, w->fail);
        if (w->n) print_state(w);
        if (o->keep) printf("  stores kept in %s\n", w->dir);
        replay_line(o, seed);
    } else if (o->verbose) {
        print_state(w);
        printf("seed %" PRIu64 ": ok: %" PRIu64 " records, %u crashes (%u in a transaction, %u losing uncommitted"
               " records), %u partitions, %" PRIu64 " msgs sent (%" PRIu64 " dropped), converged %" PRIu64
               " ms after quiet, trace %016" PRIx64 "\n",
               seed, w->expected, w->crashes, w->txn_crashes, w->txn_lost, w->parts, w->sent, w->dropped,
               w->converged_ms, w->trace);
    }
    world_free(w);
    free(w);
    return res->ok;
}

/* ------------------------------------------------------------------ selftest */

static int st_failures, st_passes;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("  %s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!ok)
        st_failures++;
    else
        st_passes++;
}

/* Nodes 1 (A) and 2 (B), one link (A dialed B), a perfect network; node 0, the authority,
 * is not linked. */
static world *pair_world(const opts *o, uint64_t seed) {
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, seed, 3, 0) != 0) return w;
    add_link(w, 1, 2);
    w->maxlat = 5;
    world_start(w);
    return w;
}

#define A_PEER_AT_B (ROUTER_BASE + 0u) /* link 0: how B knows A */

static int pair_synced(world *w) {
    uint8_t a[RONDA_HASH_BYTES], b[RONDA_HASH_BYTES];
    return ronda_store_digest(w->nodes[1].s, a, NULL) == RONDA_OK &&
           ronda_store_digest(w->nodes[2].s, b, NULL) == RONDA_OK && memcmp(a, b, sizeof a) == 0;
}

static uint64_t run_until_synced(world *w, uint64_t max_ms) {
    uint64_t start = w->now;
    while (!w->fail[0] && !pair_synced(w) && w->now < start + max_ms) step(w);
    return w->now - start;
}

static void run_for(world *w, uint64_t ms) {
    uint64_t end = w->now + ms;
    while (!w->fail[0] && w->now < end) step(w);
}

/* Five rounds on an in-sync pair: only HELLO and SYNCED may travel, each of one size.
 * Returns the bytes of one round (HELLO + SYNCED each way), 0 on failure. */
static uint64_t round_bytes(world *w) {
    memset(w->type_count, 0, sizeof w->type_count);
    memset(w->type_bytes, 0, sizeof w->type_bytes);
    memset(w->type_len_min, 0, sizeof w->type_len_min);
    memset(w->type_len_max, 0, sizeof w->type_len_max);
    run_for(w, 5 * SYNC_ROUND_MS);
    int ok = w->type_count[0] >= 8 && w->type_count[0] == w->type_count[1];
    for (int t = 2; t < 8; t++) ok = ok && w->type_count[t] == 0;
    ok = ok && w->type_len_min[0] == w->type_len_max[0] && w->type_len_min[1] == w->type_len_max[1];
    if (!ok) {
        printf("    round traffic: HELLO %" PRIu64 " SYNCED %" PRIu64 " FRONTIER %" PRIu64 " WANT %" PRIu64
               " RECORDS %" PRIu64 "\n",
               w->type_count[0], w->type_count[1], w->type_count[2], w->type_count[3], w->type_count[4]);
        return 0;
    }
    return 2 * (w->type_len_min[0] + w->type_len_min[1]);
}

static uint8_t *records_msg(const uint8_t *rec, size_t len, size_t *out_len) {
    cwr w;
    cwr_init(&w);
    cwr_array(&w, 4);
    cwr_uint(&w, 4); /* RECORDS */
    cwr_uint(&w, 0); /* a push */
    cwr_nil(&w);
    cwr_array(&w, 1);
    cwr_bin(&w, rec, len);
    uint8_t *out = NULL;
    if (cwr_take(&w, &out, out_len) != RONDA_OK) abort();
    cwr_destroy(&w);
    return out;
}

static uint8_t *seal_dialogue(world *w, const uint8_t *sk, uint64_t seq, const uint8_t *prev, uint64_t hlc,
                              ronda_kind kind, size_t *len) {
    unsigned topics;
    json_t *j = dialogue_json(w, &w->nodes[1], &topics);
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK ||
        ronda_record_seal(sk, seq, prev, hlc, kind, body, blen, &rec, len) != RONDA_OK)
        abort();
    json_decref(j);
    free(body);
    return rec;
}

/* Offer B one record from A directly (a push); returns B's stats after. */
static sync_stats offer(world *w, const uint8_t *rec, size_t len) {
    size_t mlen;
    uint8_t *m = records_msg(rec, len, &mlen);
    node *b = &w->nodes[2];
    if (sync_receive(b->c, A_PEER_AT_B, m, mlen, node_clock(w, b)) != RONDA_OK) failf(w, "sync_receive failed");
    free(m);
    sync_stats st;
    sync_get_stats(b->c, &st);
    return st;
}

static void digest_of(world *w, int i, uint8_t out[RONDA_HASH_BYTES]) {
    if (ronda_store_digest(w->nodes[i].s, out, NULL) != RONDA_OK) memset(out, 0, RONDA_HASH_BYTES);
}

static void selftest_round_and_forgery(const opts *o) {
    printf("core: in-sync rounds cost the same at any ledger size\n");
    world *w = pair_world(o, 1001);
    do_append(w, 1, 10);
    uint64_t t = run_until_synced(w, 30000);
    check(!w->fail[0] && pair_synced(w), "10 records reach B in %" PRIu64 " ms %s", t, w->fail);
    run_for(w, 1000);
    uint64_t r10 = round_bytes(w);
    check(r10 > 0, "in-sync round at 10 records: %" PRIu64 " bytes (HELLO %" PRIu64 " + SYNCED %" PRIu64 ", each way)",
          r10, w->type_len_min[0], w->type_len_min[1]);
    w->fat = 1;      /* ~1.7 KiB records: 990 of them take several 512 KiB replies */
    link_down(w, 0); /* written while apart, so they come as replies to WANTs, not as pushes */
    do_append(w, 1, 990);
    run_for(w, 100);
    link_up(w, 0);
    w->fat = 0;
    uint64_t wants0 = w->type_count[3], replies0 = w->type_count[4];
    t = run_until_synced(w, 60000);
    sync_stats sb;
    sync_get_stats(w->nodes[2].c, &sb);
    check(!w->fail[0] && pair_synced(w) && w->type_count[3] - wants0 >= 3,
          "990 more records reach B in %" PRIu64 " ms over %" PRIu64 " WANTs (%" PRIu64 " RECORDS, pushes included)"
          ": stored %" PRIu64 ", %" PRIu64 " duplicates %s",
          t, w->type_count[3] - wants0, w->type_count[4] - replies0, sb.stored, sb.duplicates, w->fail);
    run_for(w, 1000);
    uint64_t r1000 = round_bytes(w);
    check(r1000 > 0 && r1000 == r10, "in-sync round at 1000 records: %" PRIu64 " bytes (equal to the round at 10)",
          r1000);

    printf("core: forged records are refused, counted, and get their peer banned\n");
    node *a = &w->nodes[1], *b = &w->nodes[2];
    uint64_t seq;
    uint8_t head[RONDA_ID_BYTES], before[RONDA_HASH_BYTES], after[RONDA_HASH_BYTES];
    if (ronda_store_head(a->s, a->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + w->now + 600000u) << RONDA_HLC_COUNTER_BITS;
    digest_of(w, 2, before);
    sync_stats s0;
    sync_get_stats(b->c, &s0);
    /* honest but unknown to B: a key the authority never admitted (deferred, not counted) */
    uint8_t xpk[RONDA_KEY_BYTES], xsk[RONDA_SECRET_BYTES];
    crypto_sign_seed_keypair(xpk, xsk, (const uint8_t *)"ronda-sim: a key nobody admitted.");
    size_t len;
    uint8_t *rec = seal_dialogue(w, xsk, 1, NULL, hlc, RONDA_KIND_DIALOGUE, &len);
    sync_stats s1 = offer(w, rec, len);
    free(rec);
    check(s1.rejected == s0.rejected && s1.deferred == s0.deferred + 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "a record by a non-member is deferred, not counted against the relay");
    char xhex[65], want[80];
    ronda_hex(xpk, sizeof xpk, xhex);
    snprintf(want, sizeof want, "(author %.12s seq 1): ", xhex);
    check(strstr(last_log, want) && strstr(last_log, "not a member"),
          "... and logged naming its author, seq and reason: \"%s\"", last_log);
    /* A flood of such records: at most SYNC_DEFERRED_LOG_MAX lines a window, then a summary. */
    deferred_lines = summary_lines = 0;
    for (unsigned k = 0; k < 3 * SYNC_DEFERRED_LOG_MAX; k++) {
        uint8_t *fr = seal_dialogue(w, xsk, 2 + k, xpk, hlc + k, RONDA_KIND_DIALOGUE, &len); /* any prev: a gap */
        (void)offer(w, fr, len);
        free(fr);
    }
    unsigned flood_lines = deferred_lines;
    run_for(w, SYNC_DEFERRED_LOG_WINDOW_MS + 100);
    check(flood_lines <= SYNC_DEFERRED_LOG_MAX && summary_lines == 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "%u more such records: %u lines logged (at most %u a window), then %u summary line",
          3 * SYNC_DEFERRED_LOG_MAX, flood_lines, SYNC_DEFERRED_LOG_MAX, summary_lines);
    /* forged: bad signature, bad body, the authority writing a dialogue, garbage */
    uint64_t bad = 0;
    int banned_early = 0;
    for (unsigned k = 0; k < SYNC_BAD_MAX; k++) {
        uint8_t *r;
        size_t rl;
        if (k % 4 == 2) {
            uint64_t aseq;
            uint8_t ahead[RONDA_ID_BYTES];
            if (ronda_store_head(b->s, w->nodes[0].pk, &aseq, ahead) != RONDA_OK) abort();
            r = seal_dialogue(w, w->nodes[0].sk, aseq + 1, ahead, hlc, RONDA_KIND_DIALOGUE, &rl);
        } else if (k % 4 == 3) {
            rl = 40;
            r = malloc(rl);
            memset(r, 0x93, rl);
        } else {
            r = seal_dialogue(w, a->sk, seq + 1, head, hlc, RONDA_KIND_DIALOGUE, &rl);
            crd c = crd_make(r, rl);
            uint32_t n3, el, sl;
            const uint8_t *env, *sig;
            if (crd_array(&c, &n3) != RONDA_OK || crd_bin(&c, &env, &el) != RONDA_OK ||
                crd_bin(&c, &sig, &sl) != RONDA_OK)
                abort();
            if (k % 4 == 0)
                r[sig - r + k % 64] ^= 0x01; /* signature */
            else
                r[rl - 3] ^= 0x01; /* a body byte: the hash no longer matches */
        }
        sync_stats sk = offer(w, r, rl);
        free(r);
        bad++;
        if (sync_peer_banned(b->c, A_PEER_AT_B) && k + 1 < SYNC_BAD_MAX) banned_early = 1;
        if (sk.rejected != s0.rejected + bad) {
            check(0, "forged record %u counted in stats.rejected (%" PRIu64 ")", k, sk.rejected);
            break;
        }
    }
    sync_stats s2;
    sync_get_stats(b->c, &s2);
    check(s2.rejected == s0.rejected + SYNC_BAD_MAX && s2.stored == s0.stored,
          "%u forged records refused and counted in stats.rejected; none stored", SYNC_BAD_MAX);
    check(!banned_early && sync_peer_banned(b->c, A_PEER_AT_B), "the peer is banned at the %uth, not before",
          SYNC_BAD_MAX);
    digest_of(w, 2, after);
    check(memcmp(before, after, sizeof before) == 0, "B's ledger is unchanged");
    /* a banned peer is ignored */
    uint8_t hello[80];
    size_t hl = 0;
    {
        cwr c;
        cwr_init(&c);
        cwr_array(&c, 4);
        cwr_uint(&c, 0);
        cwr_uint(&c, SYNC_PROTO_VERSION);
        cwr_bin(&c, w->nodes[0].pk, RONDA_KEY_BYTES);
        cwr_bin(&c, before, RONDA_HASH_BYTES);
        hl = c.buf.size;
        memcpy(hello, c.buf.data, hl);
        cwr_destroy(&c);
    }
    sync_stats s3, s4;
    sync_get_stats(b->c, &s3);
    (void)sync_receive(b->c, A_PEER_AT_B, hello, hl, node_clock(w, b));
    sync_get_stats(b->c, &s4);
    uint32_t peer;
    uint8_t *out;
    size_t olen;
    int queued_for_a = 0;
    while (sync_next_out(b->c, &peer, &out, &olen)) {
        queued_for_a += peer == A_PEER_AT_B;
        free(out);
    }
    check(s4.msgs_in == s3.msgs_in && !queued_for_a, "messages from a banned peer are ignored");
    world_free(w);
    free(w);
}

static void selftest_replay(const opts *o) {
    printf("core: duplicated and replayed messages change nothing\n");
    world *w = pair_world(o, 1002);
    do_append(w, 1, 300);
    do_append(w, 2, 20);
    w->capture = 1;
    uint64_t t = run_until_synced(w, 60000);
    run_for(w, 3000);
    w->capture = 0;
    check(!w->fail[0] && pair_synced(w), "300 + 20 records cross in %" PRIu64 " ms; %zu messages captured %s", t,
          w->ncap, w->fail);
    uint8_t da[RONDA_HASH_BYTES], db[RONDA_HASH_BYTES];
    digest_of(w, 1, da);
    digest_of(w, 2, db);
    sync_stats sa0, sb0;
    sync_get_stats(w->nodes[1].c, &sa0);
    sync_get_stats(w->nodes[2].c, &sb0);
    for (int pass = 0; pass < 3 && !w->fail[0]; pass++) {
        for (size_t k = 0; k < w->ncap && !w->fail[0]; k++) {
            captured *m = &w->cap[pass == 1 ? w->ncap - 1 - k : k];
            wire *l = &w->links[m->link];
            int to = m->dir == 0 ? l->b : l->a;
            uint32_t peer = m->dir == 0 ? ROUTER_BASE + m->link : m->link + 1;
            for (int rep = 0; rep < (pass == 2 ? 2 : 1); rep++) {
                node *nd = &w->nodes[to];
                if (sync_receive(nd->c, peer, m->data, m->len, node_clock(w, nd)) != RONDA_OK)
                    failf(w, "replay: sync_receive failed");
                drain(w, to);
            }
        }
        run_for(w, 5000);
        uint8_t ra[RONDA_HASH_BYTES], rb[RONDA_HASH_BYTES];
        digest_of(w, 1, ra);
        digest_of(w, 2, rb);
        sync_stats sa, sb;
        sync_get_stats(w->nodes[1].c, &sa);
        sync_get_stats(w->nodes[2].c, &sb);
        static const char *const what[] = {"in order", "in reverse order", "each twice"};
        check(!w->fail[0] && !memcmp(ra, da, sizeof ra) && !memcmp(rb, db, sizeof rb) && sa.stored == sa0.stored &&
                  sb.stored == sb0.stored && sa.rejected == 0 && sb.rejected == 0 &&
                  !sync_peer_banned(w->nodes[1].c, 1) && !sync_peer_banned(w->nodes[2].c, A_PEER_AT_B),
              "all %zu messages replayed %s: digests, records and stats.stored unchanged, nothing refused (%" PRIu64
              " duplicates) %s",
              w->ncap, what[pass], sa.duplicates + sb.duplicates, w->fail);
    }
    uint64_t r = round_bytes(w);
    check(r > 0, "the pair is still in sync afterwards (round of %" PRIu64 " bytes)", r);
    world_free(w);
    free(w);
}

static void selftest_determinism(const opts *o) {
    printf("sim: a seed replays exactly\n");
    opts d = *o;
    d.nodes = 6;
    result r1, r2;
    int ok1 = run_seed(&d, 7, &r1), ok2 = run_seed(&d, 7, &r2);
    check(ok1 && ok2 && r1.trace == r2.trace && !memcmp(r1.digest, r2.digest, sizeof r1.digest),
          "seed 7 twice: trace %016" PRIx64 " = %016" PRIx64 ", same final digest", r1.trace, r2.trace);
    result r3;
    int ok3 = run_seed(&d, 8, &r3);
    check(ok3 && r3.trace != r1.trace, "seed 8 differs (trace %016" PRIx64 ")", r3.trace);
}

/* More authors than one FRONTIER round carries (SYNC_WANTS_MAX): A holds one record from each
 * of them, B only their member records. Nothing is pushed (the records predate the cores),
 * so B gets them only through rounds; every author must be offered within a few. */
static void selftest_big_frontier(const opts *o) {
    printf("core: a frontier of more than SYNC_WANTS_MAX authors is offered in full over rounds\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    const unsigned extra = SYNC_WANTS_MAX + 40;
    if (world_init(w, o, 1004, 3, 0) != 0) abort();
    node *auth = &w->nodes[0], *a = &w->nodes[1];
    uint8_t(*pks)[RONDA_KEY_BYTES] = malloc(extra * sizeof *pks);
    uint8_t(*sks)[RONDA_SECRET_BYTES] = malloc(extra * sizeof *sks);
    if (!pks || !sks) abort();
    int64_t before = 0;
    if (ronda_store_last_rowid(auth->s, 0, &before) != RONDA_OK || ronda_store_begin(auth->s) != RONDA_OK) abort();
    for (unsigned k = 0; k < extra && !w->fail[0]; k++) {
        uint8_t seed[32] = {0};
        memcpy(seed, &k, sizeof k);
        seed[31] = 0x5a;
        crypto_sign_seed_keypair(pks[k], sks[k], seed);
        (void)admit_key(w, pks[k], 1 + 30 * (int)k); /* a precinct of node 1's Polsek, whose dialogues they sign */
    }
    if (ronda_store_commit(auth->s) != RONDA_OK) abort();
    for (int i = 1; i <= 2 && !w->fail[0]; i++) {
        copy_ctx cc = {w, w->nodes[i].s, i};
        if (ronda_store_begin(cc.to) != RONDA_OK ||
            ronda_store_since(auth->s, 0, before, 1000000, copy_one, &cc) != RONDA_OK ||
            ronda_store_commit(cc.to) != RONDA_OK)
            failf(w, "node %d: cannot apply the new member records", i);
    }
    if (ronda_store_begin(a->s) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + 60000u) << RONDA_HLC_COUNTER_BITS;
    for (unsigned k = 0; k < extra && !w->fail[0]; k++) {
        size_t len;
        uint8_t *rec = seal_dialogue(w, sks[k], 1, NULL, hlc, RONDA_KIND_DIALOGUE, &len);
        ronda_outcome out;
        ronda_detail d = {{0}};
        if (ronda_store_ingest(a->s, rec, len, &out, &d) != RONDA_OK) failf(w, "ingest at A: %s", d.text);
        free(rec);
    }
    if (ronda_store_commit(a->s) != RONDA_OK) abort();
    add_link(w, 1, 2);
    w->maxlat = 5;
    world_start(w);
    uint64_t t = run_until_synced(w, 120000);
    unsigned missing = 0;
    for (unsigned k = 0; k < extra; k++) {
        uint64_t seq = 0;
        uint8_t head[RONDA_ID_BYTES];
        if (ronda_store_head(w->nodes[2].s, pks[k], &seq, head) != RONDA_OK || seq != 1) missing++;
    }
    check(!w->fail[0] && pair_synced(w) && missing == 0,
          "%u authors (%u per round at most) reach B in %" PRIu64 " ms, none missing (%u missing) %s", extra + 1,
          SYNC_WANTS_MAX, t, missing, w->fail);
    free(pks);
    free(sks);
    world_free(w);
    free(w);
}

/* Group commit (sync_hold / sync_release, as `ronda run` does around a poll): what B takes
 * while held is one open transaction, invisible to another connection (another process)
 * until released, and all of it is there after. */
static void selftest_group_commit(const opts *o) {
    printf("core: records taken under sync_hold are committed together by sync_release\n");
    world *w = pair_world(o, 1005);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    uint8_t a0[RONDA_HASH_BYTES], seen0[RONDA_HASH_BYTES], seen1[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES],
        a1[RONDA_HASH_BYTES];
    run_until_synced(w, 60000);
    digest_of(w, 1, a0);
    ronda_store *other = NULL;
    if (ronda_store_open_readonly(b->path, &other) != RONDA_OK) failf(w, "cannot open B's store a second time");
    do_append(w, 1, 300);
    sync_hold(b->c);
    run_for(w, 3000);
    digest_of(w, 1, a1);
    digest_of(w, 2, own);
    int ok = other && ronda_store_digest(other, seen0, NULL) == RONDA_OK;
    check(!w->fail[0] && ok && memcmp(a0, a1, sizeof a0) != 0 && memcmp(own, a1, sizeof own) == 0 &&
              memcmp(seen0, a0, sizeof seen0) == 0,
          "while held: B's own connection has A's 300 new records, another connection sees none %s", w->fail);
    ronda_err e = sync_release(b->c);
    ok = other && ronda_store_digest(other, seen1, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && memcmp(seen1, a1, sizeof seen1) == 0,
          "after sync_release: the other connection sees the same ledger as A %s", w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* A node that was away catches up under sync_hold: its large replies are taken ahead and
 * checked while earlier ones are applied (at most SYNC_DEFER_MAX queued: the oldest is
 * applied when one more comes), in order. Those still queued at sync_release stay queued
 * through its commit and are applied by the next one (sync.h). */
static void selftest_replies_ahead(const opts *o) {
    printf("core: under sync_hold, large replies are checked ahead and applied in order\n");
    world *w = pair_world(o, 1006);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    run_until_synced(w, 60000);
    link_down(w, 0);
    const unsigned n = (SYNC_DEFER_MAX + 1) * SYNC_BATCH_RECORDS + 300; /* SYNC_DEFER_MAX + 2 replies */
    do_append(w, 1, n);
    run_for(w, 1000);
    uint8_t a1[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES], seen[RONDA_HASH_BYTES], seen0[RONDA_HASH_BYTES];
    digest_of(w, 1, a1);
    ronda_store *other = NULL;
    if (ronda_store_open_readonly(b->path, &other) != RONDA_OK) failf(w, "cannot open B's store a second time");
    sync_stats s0, s1, s2;
    sync_get_stats(b->c, &s0);
    sync_hold(b->c);
    link_up(w, 0);
    for (int k = 0; k < 20000 && !w->fail[0]; k++) { /* messages only: no tick applies a reply */
        deliver_due(w);
        w->now += STEP_MS;
    }
    sync_get_stats(b->c, &s1);
    uint64_t ahead = s1.replies_ahead - s0.replies_ahead, early = s1.stored - s0.stored;
    check(!w->fail[0] && ahead == SYNC_DEFER_MAX + 2 && early == 2u * SYNC_BATCH_RECORDS,
          "while held: B took %llu large replies ahead and stored %llu of A's %u records (the oldest beyond %u "
          "queued) %s",
          (unsigned long long)ahead, (unsigned long long)early, n, SYNC_DEFER_MAX, w->fail);
    ronda_err e = sync_release(b->c);
    sync_get_stats(b->c, &s2);
    int ok = other && ronda_store_digest(other, seen0, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && s2.stored == s1.stored && memcmp(seen0, a1, sizeof seen0) != 0,
          "sync_release commits what was applied; the replies still queued stay queued through its commit %s", w->fail);
    sync_hold(b->c);
    e = sync_release(b->c);
    sync_get_stats(b->c, &s2);
    ok = other && ronda_store_digest(other, seen, NULL) == RONDA_OK;
    check(!w->fail[0] && e == RONDA_OK && ok && s2.stored - s0.stored == n && memcmp(seen, a1, sizeof seen) == 0,
          "the next sync_release applies and commits them: another connection sees A's ledger (%llu stored) %s",
          (unsigned long long)(s2.stored - s0.stored), w->fail);
    run_until_synced(w, 60000);
    digest_of(w, 2, own);
    sync_get_stats(b->c, &s2);
    check(!w->fail[0] && memcmp(own, a1, sizeof own) == 0 && s2.rejected == s0.rejected &&
              s2.duplicates == s0.duplicates,
          "B holds A's ledger with no record refused or fetched twice %s", w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* ------------------------------------------------------------------ clocks */

/* Nodes 1, 2, 3 linked in a triangle, the authority (node 0) apart; clocks agree, except
 * node 3's is `skew3` ms off. With `long_member`, that node is admitted again for two years
 * (a member record whose validity reaches far ahead, as an authority may sign). */
static world *clock_world(const opts *o, uint64_t seed, int long_member, int64_t skew3) {
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, seed, 4, 0) != 0) return w;
    for (unsigned i = 0; i < 4; i++) w->nodes[i].skew = 0;
    w->nodes[3].skew = skew3;
    if (long_member) {
        int64_t before = 0;
        w->long_member = long_member;
        if (ronda_store_last_rowid(w->nodes[0].s, 0, &before) != RONDA_OK || admit(w, long_member) != RONDA_OK)
            failf(w, "cannot admit node %d for two years", long_member);
        for (unsigned i = 1; i < 4 && !w->fail[0]; i++) {
            copy_ctx cc = {w, w->nodes[i].s, (int)i};
            if (ronda_store_since(w->nodes[0].s, 0, before, 1000, copy_one, &cc) != RONDA_OK)
                failf(w, "node %u: cannot apply the new member record", i);
        }
    }
    add_link(w, 1, 2);
    add_link(w, 2, 3);
    add_link(w, 3, 1);
    w->maxlat = 5;
    world_start(w);
    return w;
}

typedef struct hlc_max {
    uint64_t hlc;
} hlc_max;

static int hlc_max_cb(void *ctx, const ronda_row *r) {
    hlc_max *m = ctx;
    if (!r->fork && r->hlc > m->hlc) m->hlc = r->hlc;
    return 0;
}

/* The largest HLC of node `author`'s records held by node i. */
static uint64_t author_hlc(world *w, int i, int author) {
    hlc_max m = {0};
    if (ronda_store_each(w->nodes[i].s, w->nodes[author].pk, hlc_max_cb, &m) != RONDA_OK) failf(w, "store walk");
    return m.hlc;
}

static uint64_t seq_of(world *w, int i, int author) {
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    if (ronda_store_head(w->nodes[i].s, w->nodes[author].pk, &seq, head) != RONDA_OK) return 0;
    return seq;
}

/* What `ronda record` checks before writing: the node's offset from its peers is known
 * and within the bound (an unknown one does not stop it). */
static int may_write(world *w, int i) {
    int64_t off = 0;
    if (!sync_clock_offset(w->nodes[i].c, &off)) return 1;
    return (off < 0 ? -off : off) <= (int64_t)RONDA_CLOCK_AHEAD_MAX_MS;
}

/* Node i's view of node `other` (its peer over the triangle's links). */
static sync_peer_info peer_view(world *w, int i, int other) {
    sync_peer_info info[SYNC_PEERS_MAX], none = {0};
    size_t n = sync_get_peers(w->nodes[i].c, info, SYNC_PEERS_MAX);
    for (size_t k = 0; k < n; k++)
        for (size_t li = 0; li < w->nlinks; li++) {
            const wire *l = &w->links[li];
            uint32_t id = l->a == i ? (uint32_t)li + 1 : ROUTER_BASE + (uint32_t)li;
            if (((l->a == i && l->b == other) || (l->b == i && l->a == other)) && info[k].id == id) return info[k];
        }
    return none;
}

static int honest_synced(world *w, int from, int to) {
    uint8_t a[RONDA_HASH_BYTES], b[RONDA_HASH_BYTES];
    digest_of(w, from, a);
    for (int i = from + 1; i <= to; i++) {
        digest_of(w, i, b);
        if (memcmp(a, b, sizeof a) != 0) return 0;
    }
    return 1;
}

/* ---- forks and the restore guard (proto/record.md §3 step 7, docs/operations.md) */

/* A dialogue of node i's precinct, sealed with node i's key at (seq, prev, hlc). */
static uint8_t *seal_as(world *w, int i, uint64_t seq, const uint8_t *prev, uint64_t hlc, size_t *len) {
    unsigned topics;
    json_t *j = dialogue_json(w, &w->nodes[i], &topics);
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK ||
        ronda_record_seal(w->nodes[i].sk, seq, prev, hlc, RONDA_KIND_DIALOGUE, body, blen, &rec, len) != RONDA_OK)
        abort();
    json_decref(j);
    free(body);
    return rec;
}

/* Deliver one message to node `to` as if from its peer `peer`, and send what it answers. */
static void inject(world *w, int to, uint32_t peer, const uint8_t *m, size_t len) {
    node *nd = &w->nodes[to];
    if (sync_receive(nd->c, peer, m, len, node_clock(w, nd)) != RONDA_OK) failf(w, "node %d: sync_receive failed", to);
    drain(w, to);
}

static void push_to(world *w, int to, uint32_t peer, const uint8_t *rec, size_t len) {
    size_t mlen;
    uint8_t *m = records_msg(rec, len, &mlen);
    inject(w, to, peer, m, mlen);
    free(m);
}

static ronda_guard guard_of(world *w, int i, uint64_t *seq) {
    ronda_guard g = RONDA_GUARD_RESTORED;
    uint64_t n = 0;
    if (ronda_store_guard(w->nodes[i].s, &g, &n) != RONDA_OK) failf(w, "node %d: guard unreadable", i);
    if (seq) *seq = n;
    return g;
}

/* Nodes first..n-1 hold equal digests. */
static int synced_from(world *w, unsigned first) {
    uint8_t d0[RONDA_HASH_BYTES], d[RONDA_HASH_BYTES];
    for (unsigned i = first; i < w->n; i++) {
        if (!w->nodes[i].alive || ronda_store_digest(w->nodes[i].s, i == first ? d0 : d, NULL) != RONDA_OK) return 0;
        if (i > first && memcmp(d0, d, sizeof d) != 0) return 0;
    }
    return 1;
}

/* A hostile member signs records a year ahead with its real key (its membership runs two
 * years). Honest nodes do not store them (not the relay's fault: nobody is cut off), keep
 * appending with HLCs near their own clocks, and store them once their clocks get there. */
static void selftest_far_future(const opts *o) {
    printf("clocks: a member's records a year ahead are not stored; honest nodes keep writing\n");
    world *w = clock_world(o, 1007, 3, 0);
    run_for(w, 3000);
    node *h = &w->nodes[3];
    h->skew = (int64_t)(365 * DAY_MS);
    do_append(w, 3, 3); /* signed by node 3's own key, dated a year ahead */
    h->skew = 0;
    run_for(w, 6000);
    sync_stats s1, s2;
    sync_get_stats(w->nodes[1].c, &s1);
    sync_get_stats(w->nodes[2].c, &s2);
    sync_peer_info p13 = peer_view(w, 1, 3), p23 = peer_view(w, 2, 3);
    check(!w->fail[0] && seq_of(w, 3, 3) == 3 && seq_of(w, 1, 3) == 0 && seq_of(w, 2, 3) == 0 && s1.future > 0 &&
              s2.future > 0 && s1.rejected == 0 && s2.rejected == 0 && p13.id && !p13.banned && p13.bad == 0 &&
              p23.id && !p23.banned && p23.bad == 0,
          "nodes 1 and 2 hold none of node 3's 3 records (refused as future %llu and %llu times), nobody cut off %s",
          (unsigned long long)s1.future, (unsigned long long)s2.future, w->fail);
    do_append(w, 1, 2);
    do_append(w, 2, 2);
    uint64_t cap1 = (node_now(w, &w->nodes[1]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    uint64_t cap2 = (node_now(w, &w->nodes[2]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    check(!w->fail[0] && author_hlc(w, 1, 1) < cap1 && author_hlc(w, 2, 2) < cap2,
          "nodes 1 and 2 still append, their HLCs within the bound of their clocks %s", w->fail);
    run_for(w, 3000);
    check(!w->fail[0] && honest_synced(w, 1, 2) && seq_of(w, 3, 1) == w->written[1] && seq_of(w, 3, 2) == w->written[2],
          "the honest nodes converge; node 3 holds their records %s", w->fail);
    for (unsigned i = 0; i < 4; i++) w->nodes[i].skew = (int64_t)(366 * DAY_MS); /* a year on */
    run_for(w, 6000);
    check(!w->fail[0] && seq_of(w, 1, 3) == 3 && seq_of(w, 2, 3) == 3 && honest_synced(w, 1, 3),
          "once their clocks reach those records, a later round fetches and stores them: all converge %s", w->fail);
    world_free(w);
    free(w);
}

static uint64_t run_until_synced_from(world *w, unsigned first, uint64_t max_ms) {
    uint64_t start = w->now;
    while (!w->fail[0] && !synced_from(w, first) && w->now < start + max_ms) step(w);
    return w->now - start;
}

typedef struct at_seq {
    uint64_t seq;
    unsigned records, forks;
    uint8_t ids[4][RONDA_ID_BYTES]; /* sorted below */
} at_seq;

static int at_seq_cb(void *ctx, const ronda_row *r) {
    at_seq *x = ctx;
    if (r->seq != x->seq) return 0;
    if (r->fork)
        x->forks++;
    else
        x->records++;
    unsigned k = x->records + x->forks - 1;
    if (k < 4) memcpy(x->ids[k], r->id, RONDA_ID_BYTES);
    return 0;
}

/* What node i holds of (author, seq): records, fork evidence, and their ids in order. */
static at_seq held_at(world *w, int i, const uint8_t *author, uint64_t seq) {
    at_seq x;
    memset(&x, 0, sizeof x);
    x.seq = seq;
    if (ronda_store_each(w->nodes[i].s, author, at_seq_cb, &x) != RONDA_OK) failf(w, "node %d: each failed", i);
    unsigned n = x.records + x.forks < 4 ? x.records + x.forks : 4;
    for (unsigned a = 0; a + 1 < n; a++)
        for (unsigned b = a + 1; b < n; b++)
            if (memcmp(x.ids[a], x.ids[b], RONDA_ID_BYTES) > 0) {
                uint8_t t[RONDA_ID_BYTES];
                memcpy(t, x.ids[a], sizeof t);
                memcpy(x.ids[a], x.ids[b], sizeof t);
                memcpy(x.ids[b], t, sizeof t);
            }
    return x;
}

static uint8_t *frontier_msg(const uint8_t *author, uint64_t seq, const uint8_t *head, size_t *len) {
    cwr c;
    cwr_init(&c);
    cwr_array(&c, 3);
    cwr_uint(&c, 2); /* FRONTIER */
    cwr_uint(&c, 1); /* last chunk */
    cwr_array(&c, 1);
    cwr_array(&c, 3);
    cwr_bin(&c, author, RONDA_KEY_BYTES);
    cwr_uint(&c, seq);
    cwr_bin(&c, head, RONDA_ID_BYTES);
    uint8_t *out = NULL;
    if (cwr_take(&c, &out, len) != RONDA_OK) abort();
    cwr_destroy(&c);
    return out;
}

/* A member's FRONTIER entry naming B's own key at seq 10^9 is a claim: B asks for those
 * records, gets none, counts the peer, and keeps writing. Only a verified record of B's own
 * key that B lacks (a gap) sets the guard to behind, and holding up to it lifts it. */
static void selftest_forged_claim(const opts *o) {
    printf("core: a forged frontier claim of a node's own key does not lock it; a verified record does\n");
    world *w = pair_world(o, 1101);
    node *b = &w->nodes[2];
    do_append(w, 2, 3);
    run_until_synced(w, 30000);
    uint8_t head[RONDA_ID_BYTES];
    memset(head, 0x5a, sizeof head);
    size_t len;
    uint8_t *m = frontier_msg(b->pk, 1000000000u, head, &len);
    inject(w, 2, A_PEER_AT_B, m, len);
    free(m);
    uint64_t gseq = 0;
    ronda_guard g = guard_of(w, 2, &gseq);
    run_for(w, 3000); /* B's WANT of its own records goes to A, whose reply is empty */
    sync_stats sb;
    sync_get_stats(b->c, &sb);
    ronda_guard g2 = guard_of(w, 2, NULL);
    check(g == RONDA_GUARD_NONE && g2 == RONDA_GUARD_NONE,
          "B's guard after the claim of seq 10^9: %s, after the round: %s (none)", ronda_guard_name(g),
          ronda_guard_name(g2));
    check(sb.claims_undelivered >= 1 && !sync_peer_banned(b->c, A_PEER_AT_B),
          "the undelivered claim is counted (%" PRIu64 ") and the peer is not cut off for it", sb.claims_undelivered);
    unsigned before = w->appended;
    do_append(w, 2, 1);
    check(!w->fail[0] && w->appended == before + 1, "B still appends %s", w->fail);

    uint64_t seq;
    if (ronda_store_head(b->s, b->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, b) + 1000u) << RONDA_HLC_COUNTER_BITS; /* after B's own last record */
    size_t l1, l2;
    uint8_t id1[RONDA_ID_BYTES];
    uint8_t *r1 = seal_as(w, 2, seq + 1, head, hlc, &l1);
    ronda_record rec;
    if (ronda_record_open(r1, l1, &rec, NULL) != RONDA_OK) abort();
    memcpy(id1, rec.id, sizeof id1);
    uint8_t *r2 = seal_as(w, 2, seq + 2, id1, hlc + 1, &l2);
    push_to(w, 2, A_PEER_AT_B, r2, l2); /* seq + 2 of B's own key, verified, not storable yet */
    g = guard_of(w, 2, &gseq);
    check(g == RONDA_GUARD_BEHIND && gseq == seq + 2,
          "a verified record of B's own key at seq %" PRIu64 " that B lacks sets the guard: %s %" PRIu64, seq + 2,
          ronda_guard_name(g), gseq);
    push_to(w, 2, A_PEER_AT_B, r1, l1);
    push_to(w, 2, A_PEER_AT_B, r2, l2);
    g = guard_of(w, 2, NULL);
    check(g == RONDA_GUARD_NONE, "holding them lifts it: %s", ronda_guard_name(g));
    free(r1);
    free(r2);
    world_free(w);
    free(w);
}

/* A node whose PC clock runs 20 days fast (its membership still valid then): it knows it is
 * off (and so would refuse `ronda record`), its peers see it, the record it wrote anyway is
 * not stored by them, they keep writing; once its clock is set right it is told so. */
static void selftest_clock_beyond(const opts *o) {
    printf("clocks: a node 20 days fast is reported, its records refused, the others keep writing\n");
    world *w = clock_world(o, 1008, 0, (int64_t)(20 * DAY_MS));
    run_for(w, 5000);
    int64_t off3 = 0, off1 = 1;
    size_t n3 = sync_clock_offset(w->nodes[3].c, &off3), n1 = sync_clock_offset(w->nodes[1].c, &off1);
    sync_peer_info p13 = peer_view(w, 1, 3);
    check(n3 == 2 && off3 > (int64_t)RONDA_CLOCK_AHEAD_MAX_MS && n1 == 2 && off1 > -1000 && off1 < 1000 &&
              p13.has_offset && p13.offset_ms < -(int64_t)RONDA_CLOCK_AHEAD_MAX_MS && !may_write(w, 3) &&
              may_write(w, 1),
          "node 3 knows its clock is %lld s ahead of its 2 peers (and would refuse to write); node 1 sees it %s",
          (long long)(off3 / 1000), w->fail);
    do_append(w, 3, 1); /* written anyway (as by an older build) */
    run_for(w, 5000);
    sync_stats s1;
    sync_get_stats(w->nodes[1].c, &s1);
    check(!w->fail[0] && seq_of(w, 1, 3) == 0 && seq_of(w, 2, 3) == 0 && s1.future > 0 && s1.rejected == 0,
          "its record is not stored by nodes 1 and 2, and not held against it %s", w->fail);
    do_append(w, 1, 2);
    do_append(w, 2, 2);
    run_for(w, 3000);
    uint64_t cap = (node_now(w, &w->nodes[1]) + RONDA_CLOCK_AHEAD_MAX_MS + 1u) << RONDA_HLC_COUNTER_BITS;
    check(!w->fail[0] && author_hlc(w, 1, 1) < cap && honest_synced(w, 1, 2) && seq_of(w, 3, 1) == w->written[1],
          "nodes 1 and 2 keep writing and converge; node 3 takes their records %s", w->fail);
    w->nodes[3].skew = 0; /* the operator sets the clock (NTP) */
    run_for(w, 5000);
    n3 = sync_clock_offset(w->nodes[3].c, &off3);
    check(!w->fail[0] && n3 == 2 && off3 > -1000 && off3 < 1000 && may_write(w, 3),
          "with its clock set right node 3 may write again (%lld ms off) %s", (long long)off3, w->fail);
    world_free(w);
    free(w);
}

/* A hostile member floods one node with 300 validly signed forks of one of its seqs. The
 * node keeps one as evidence and cuts the sender off; every node ends with the same two
 * records of that seq, and equal digests (the chain frozen below the fork). */
static void selftest_fork_flood(const opts *o) {
    printf("core: 300 forks of one seq: one evidence everywhere, the flooder cut off, equal digests\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1202, 5, 0) != 0) abort();
    add_link(w, 1, 2); /* link 0: node 2 knows node 1 as ROUTER_BASE + 0 */
    add_link(w, 2, 3);
    add_link(w, 3, 4);
    add_link(w, 4, 1);
    w->maxlat = 5;
    w->hostile = 1u << 1;
    world_start(w);
    do_append(w, 1, 5);
    uint64_t t = run_until_synced_from(w, 1, 30000);
    check(!w->fail[0] && synced_from(w, 1), "5 records of node 1 reach nodes 2-4 in %" PRIu64 " ms %s", t, w->fail);
    node *n1 = &w->nodes[1];
    uint8_t prev[RONDA_ID_BYTES];
    if (ronda_store_id_at(n1->s, n1->pk, 2, prev) != RONDA_OK) abort();
    uint64_t hlc = (T0_MS + w->now) << RONDA_HLC_COUNTER_BITS;
    int banned_at = 0;
    uint64_t kept_at_ban = 0;
    sync_stats s0;
    sync_get_stats(w->nodes[2].c, &s0);
    for (unsigned k = 0; k < 300; k++) {
        size_t len;
        uint8_t *f = seal_as(w, 1, 3, prev, hlc + k, &len);
        push_to(w, 2, ROUTER_BASE + 0, f, len);
        free(f);
        if (!banned_at && sync_peer_banned(w->nodes[2].c, ROUTER_BASE + 0)) {
            banned_at = (int)k + 1;
            sync_stats s1;
            sync_get_stats(w->nodes[2].c, &s1);
            kept_at_ban = s1.forks - s0.forks;
        }
    }
    /* A fork whose id is below the evidence held replaces it (no flood: the evidence only
     * gets lower); every other one is surplus and counts against the sender. */
    check(banned_at > 0 && (uint64_t)banned_at <= SYNC_BAD_MAX + kept_at_ban,
          "node 2 cuts the flooder off at fork %d (%" PRIu64 " kept as lower evidence, %u surplus)", banned_at,
          kept_at_ban, (unsigned)((uint64_t)banned_at - kept_at_ban));
    t = run_until_synced_from(w, 1, 60000);
    run_for(w, 5000);
    check(!w->fail[0] && synced_from(w, 1), "nodes 1-4 reach equal digests in %" PRIu64 " ms %s", t, w->fail);
    at_seq ref = held_at(w, 1, n1->pk, 3);
    int same = ref.forks >= 1 && ref.forks <= 2;
    for (int i = 1; i <= 4; i++) {
        at_seq x = held_at(w, i, n1->pk, 3);
        printf("    node %d holds %u record and %u fork evidence at (node 1, seq 3)\n", i, x.records, x.forks);
        same = same && x.records == 1 && x.forks == ref.forks &&
               memcmp(x.ids, ref.ids, (1 + ref.forks) * RONDA_ID_BYTES) == 0;
    }
    check(same, "every node holds the same records of (node 1, seq 3): its own, and the same evidence");
    uint64_t low = 0, gseq = 0;
    if (ronda_store_fork_seq(w->nodes[3].s, n1->pk, &low) != RONDA_OK) abort();
    ronda_guard g = guard_of(w, 1, &gseq);
    check(low == 3 && g == RONDA_GUARD_FORKED && gseq == 3,
          "node 1's chain is frozen at seq 2 (fork seq %" PRIu64 "); its own guard: %s %" PRIu64, low,
          ronda_guard_name(g), gseq);
    world_free(w);
    free(w);
}

/* The fork evidence of node i at (author, seq): its two lowest ids, as ronda_store_fork_pair. */
static unsigned pair_at(world *w, int i, const uint8_t *author, uint64_t seq, uint8_t pair[2][RONDA_ID_BYTES]) {
    unsigned n = 0;
    memset(pair, 0, 2 * RONDA_ID_BYTES);
    if (ronda_store_fork_pair(w->nodes[i].s, author, seq, pair, &n) != RONDA_OK) failf(w, "node %d: pair failed", i);
    return n;
}

/* A hostile member signs four versions of one seq and hands different ones to different
 * nodes while they cannot reach each other: node 2 gets versions a and b, node 3 c and d,
 * node 4 d and a (each a fork, each with another proof). Once the links are back, every node
 * holds the same evidence, the two lowest ids of the four, and equal digests (the forger's
 * own node relays too: it is a member like the others). */
static void selftest_forks_split(const opts *o) {
    printf("core: four forks of one seq handed to three nodes: the same evidence everywhere\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1404, 5, 0) != 0) abort();
    add_link(w, 1, 2); /* 0: node 2 knows node 1 as ROUTER_BASE + 0 */
    add_link(w, 1, 3); /* 1 */
    add_link(w, 1, 4); /* 2 */
    add_link(w, 2, 3); /* 3 */
    add_link(w, 3, 4); /* 4 */
    w->maxlat = 5;
    w->hostile = 1u << 1;
    world_start(w);
    do_append(w, 1, 2);
    uint64_t t = run_until_synced_from(w, 1, 30000);
    check(!w->fail[0] && synced_from(w, 1), "2 records of node 1 reach nodes 2-4 in %" PRIu64 " ms %s", t, w->fail);
    link_down(w, 3); /* the honest nodes cannot reach each other */
    link_down(w, 4);
    node *n1 = &w->nodes[1];
    uint8_t prev[RONDA_ID_BYTES], ids[4][RONDA_ID_BYTES];
    if (ronda_store_id_at(n1->s, n1->pk, 2, prev) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, n1) + 1000u) << RONDA_HLC_COUNTER_BITS; /* after its seq 2 */
    uint8_t *v[4];
    size_t vl[4];
    for (int k = 0; k < 4; k++) {
        v[k] = seal_as(w, 1, 3, prev, hlc + (uint64_t)k, &vl[k]);
        ronda_record rec;
        if (ronda_record_open(v[k], vl[k], &rec, NULL) != RONDA_OK) abort();
        memcpy(ids[k], rec.id, RONDA_ID_BYTES);
    }
    static const int to[3][2] = {{0, 1}, {2, 3}, {3, 0}}; /* versions for nodes 2, 3, 4 */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) push_to(w, 2 + i, ROUTER_BASE + (uint32_t)i, v[to[i][k]], vl[to[i][k]]);
    for (int k = 0; k < 4; k++) free(v[k]);
    /* the expected evidence: the two lowest of the four ids */
    int lo[2] = {-1, -1};
    for (int k = 0; k < 4; k++) {
        if (lo[0] < 0 || memcmp(ids[k], ids[lo[0]], RONDA_ID_BYTES) < 0) {
            lo[1] = lo[0];
            lo[0] = k;
        } else if (lo[1] < 0 || memcmp(ids[k], ids[lo[1]], RONDA_ID_BYTES) < 0) {
            lo[1] = k;
        }
    }
    int differ = 0;
    uint8_t p2[2][RONDA_ID_BYTES], pi[2][RONDA_ID_BYTES];
    pair_at(w, 2, n1->pk, 3, p2);
    for (int i = 3; i <= 4; i++) {
        pair_at(w, i, n1->pk, 3, pi);
        differ |= memcmp(pi, p2, sizeof pi) != 0;
    }
    check(differ, "before the links are back the nodes hold different evidence");
    link_up(w, 3);
    link_up(w, 4);
    t = run_until_synced_from(w, 1, 60000);
    run_for(w, 3000);
    int same = synced_from(w, 1);
    for (int i = 1; i <= 4; i++) {
        unsigned n = pair_at(w, i, n1->pk, 3, pi);
        uint64_t low = 0;
        if (ronda_store_fork_seq(w->nodes[i].s, n1->pk, &low) != RONDA_OK) abort();
        ronda_stats st = {0};
        if (ronda_store_stats(w->nodes[i].s, &st) != RONDA_OK) abort();
        printf("    node %d: fork seq %" PRIu64 ", %" PRIu64 " fork-evidence records, evidence %02x%02x.. %02x%02x..\n",
               i, low, st.forks, pi[0][0], pi[0][1], pi[1][0], pi[1][1]);
        same = same && n == 2 && low == 3 && st.fork_seqs == 1 && memcmp(pi[0], ids[lo[0]], RONDA_ID_BYTES) == 0 &&
               memcmp(pi[1], ids[lo[1]], RONDA_ID_BYTES) == 0;
    }
    check(!w->fail[0] && same,
          "in %" PRIu64 " ms every node holds the two lowest ids of the four as the evidence, equal digests %s", t,
          w->fail);
    world_free(w);
    free(w);
}

/* R is restored from an older backup (seq 3) while A holds its seqs 4 and 5; B, itself
 * behind, confirms R's head, and R writes a second seq 4. Once the network heals, the fork is
 * found, both records of seq 4 are held at every node, the digests are equal, verify reports
 * the fork, and R's guard says forked. */
static void selftest_restore_fork(const opts *o) {
    printf("core: a restore confirmed by a stale peer forks a chain: found, evidence everywhere, equal digests\n");
    world *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (world_init(w, o, 1303, 4, 0) != 0) abort();
    add_link(w, 1, 2); /* 0: R - B */
    add_link(w, 2, 3); /* 1: B - A */
    add_link(w, 1, 3); /* 2: R - A */
    w->maxlat = 5;
    world_start(w);
    node *r = &w->nodes[1];
    do_append(w, 1, 3);
    run_until_synced_from(w, 1, 30000);
    char backup[700];
    snprintf(backup, sizeof backup, "%s/backup.db", w->dir);
    if (ronda_store_backup(r->s, backup, NULL, NULL) != RONDA_OK) abort();
    link_down(w, 0);
    link_down(w, 1); /* B falls behind */
    do_append(w, 1, 2);
    run_for(w, 3000);
    uint64_t sa = 0, sb = 0;
    uint8_t h[RONDA_ID_BYTES];
    if (ronda_store_head(w->nodes[3].s, r->pk, &sa, h) != RONDA_OK ||
        ronda_store_head(w->nodes[2].s, r->pk, &sb, h) != RONDA_OK)
        abort();
    check(sa == 5 && sb == 3, "A holds R's chain to seq %" PRIu64 ", B to %" PRIu64, sa, sb);
    /* the restore, as `ronda restore` does it */
    link_down(w, 2);
    sync_destroy(&r->c);
    ronda_store_close(&r->s);
    static const char *const sfx[] = {"-wal", "-shm"};
    for (int k = 0; k < 2; k++) {
        char p[700];
        snprintf(p, sizeof p, "%s%s", r->path, sfx[k]);
        unlink(p);
    }
    if (rename(backup, r->path) != 0 || ronda_store_open(r->path, NULL, &r->s) != RONDA_OK ||
        ronda_store_set_guard(r->s, RONDA_GUARD_RESTORED, 3) != RONDA_OK ||
        sync_new(r->s, sim_log, r, &r->c) != RONDA_OK)
        abort();
    memset(r->seen_seq, 0, sizeof r->seen_seq); /* its frontier moved back: that is the restore */
    link_up(w, 0);
    run_for(w, 3000);
    ronda_guard g = guard_of(w, 1, NULL);
    check(g == RONDA_GUARD_NONE, "B, behind itself, confirms R's head: R's guard %s", ronda_guard_name(g));
    do_append(w, 1, 1); /* R's second seq 4 */
    run_for(w, 1000);
    link_up(w, 1);
    link_up(w, 2);
    uint64_t t = run_until_synced_from(w, 1, 60000);
    run_for(w, 3000);
    check(!w->fail[0] && synced_from(w, 1), "R, B and A reach equal digests in %" PRIu64 " ms %s", t, w->fail);
    int all = 1;
    for (int i = 1; i <= 3; i++) {
        at_seq x = held_at(w, i, r->pk, 4);
        ronda_verify_summary sum;
        if (ronda_store_verify(w->nodes[i].s, 1, NULL, NULL, &sum) != RONDA_OK) abort();
        printf("    node %d holds %u record and %u fork evidence at (R, seq 4); verify: %" PRIu64 " forks, %" PRIu64
               " findings\n",
               i, x.records, x.forks, sum.forks, sum.findings);
        all = all && x.records == 1 && x.forks == 1 && sum.forks == 1 && sum.findings >= 1;
    }
    check(all, "every node holds both records of (R, seq 4), and verify reports the fork");
    uint64_t gseq = 0;
    g = guard_of(w, 1, &gseq);
    check(g == RONDA_GUARD_FORKED && gseq == 4, "R's guard: %s at seq %" PRIu64 " (forked at 4)", ronda_guard_name(g),
          gseq);
    world_free(w);
    free(w);
}

/* B catches up under sync_hold (as in selftest_replies_ahead): two replies applied in its
 * open transaction, the later ones deferred. Returns B's stats before. */
static sync_stats held_catch_up(world *w, unsigned n) {
    node *b = &w->nodes[2];
    sync_stats s0;
    link_down(w, 0);
    do_append(w, 1, n);
    run_for(w, 1000);
    sync_get_stats(b->c, &s0);
    sync_hold(b->c);
    link_up(w, 0);
    for (int k = 0; k < 20000 && !w->fail[0]; k++) { /* messages only: no tick applies a reply */
        deliver_due(w);
        w->now += STEP_MS;
    }
    return s0;
}

/* A crash in the middle of a transaction is SIGKILL's: what B applied under sync_hold and had
 * not committed, and the replies it deferred, are gone; its store holds exactly what it had
 * committed, and it fetches the rest again. A clean shutdown (sync_destroy, the daemon's
 * SIGTERM) commits them instead. */
static void selftest_crash_in_txn(const opts *o) {
    printf("core: a crash under sync_hold loses what was not committed; a clean shutdown commits it\n");
    world *w = pair_world(o, 1007);
    node *b = &w->nodes[2];
    b->group = 0; /* held by hand here, not per delivery pass */
    run_until_synced(w, 60000);
    uint8_t committed[RONDA_HASH_BYTES], own[RONDA_HASH_BYTES], after[RONDA_HASH_BYTES], a1[RONDA_HASH_BYTES];
    digest_of(w, 2, committed);
    const unsigned n = (SYNC_DEFER_MAX + 1) * SYNC_BATCH_RECORDS + 300;
    sync_stats s0 = held_catch_up(w, n), s1;
    sync_get_stats(b->c, &s1);
    digest_of(w, 2, own);
    check(!w->fail[0] && s1.stored - s0.stored == 2u * SYNC_BATCH_RECORDS && s1.replies_ahead > s0.replies_ahead &&
              memcmp(own, committed, sizeof own) != 0,
          "held: B applied %llu records in its open transaction and deferred more replies %s",
          (unsigned long long)(s1.stored - s0.stored), w->fail);
    b->held = 1; /* the crash comes inside the hold */
    crash(w, 2);
    restart(w, 2);
    digest_of(w, 2, after);
    check(!w->fail[0] && w->txn_lost == 1 && memcmp(after, committed, sizeof after) == 0,
          "crashed and restarted: B holds exactly what it had committed before the hold %s", w->fail);
    run_until_synced(w, 60000);
    digest_of(w, 1, a1);
    digest_of(w, 2, after);
    sync_get_stats(b->c, &s1);
    check(!w->fail[0] && memcmp(after, a1, sizeof after) == 0 && s1.rejected == 0,
          "B fetches them again and holds A's ledger %s", w->fail);

    s0 = held_catch_up(w, n);
    ronda_store *other = NULL;
    sync_destroy(&b->c);
    ronda_store_close(&b->s);
    b->alive = 0;
    digest_of(w, 1, a1);
    int ok =
        ronda_store_open_readonly(b->path, &other) == RONDA_OK && ronda_store_digest(other, after, NULL) == RONDA_OK;
    check(!w->fail[0] && ok && memcmp(after, a1, sizeof after) == 0,
          "sync_destroy (a clean shutdown) under the same hold applies the deferred replies and commits all %u %s", n,
          w->fail);
    ronda_store_close(&other);
    world_free(w);
    free(w);
}

/* A line of nodes 1 - 2 - ... - 7 (each links only its neighbours): node 1 writes a big batch
 * in one transaction, as `ronda import` does; every node relays what it stores, so the far
 * end holds the batch within a few ticks per hop, well before any anti-entropy round could
 * have carried it (a round is SYNC_ROUND_MS per hop), and no queue overflows. */
static void selftest_line_relay(const opts *o) {
    printf("core: a big batch is relayed hop by hop along a line within ticks, not rounds\n");
    static const unsigned sizes[] = {500, 3000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        world *w = calloc(1, sizeof *w);
        if (!w) abort();
        const unsigned n = 8, far = n - 1;
        if (world_init(w, o, 1007 + k, n, 0) != 0) abort();
        for (unsigned i = 1; i + 1 < n; i++) add_link(w, (int)i, (int)i + 1);
        w->maxlat = 2;
        world_start(w);
        /* In sync; the batch is written between rounds (a round meeting it at the first hop
         * would carry it as a reply, which is not relayed: the next hop's round repairs it). */
        run_for(w, 3 * SYNC_ROUND_MS + SYNC_ROUND_MS / 2);
        uint64_t seq0 = 0, seq = 0;
        uint8_t head[RONDA_ID_BYTES];
        if (ronda_store_head(w->nodes[far].s, w->nodes[1].pk, &seq0, head) != RONDA_OK) seq0 = 0;
        do_append(w, 1, sizes[k]);
        uint64_t start = w->now;
        while (!w->fail[0] && w->now < start + 10 * SYNC_ROUND_MS) {
            step(w);
            if (ronda_store_head(w->nodes[far].s, w->nodes[1].pk, &seq, head) == RONDA_OK && seq >= seq0 + sizes[k])
                break;
        }
        uint64_t t = w->now - start, dropped = 0;
        for (unsigned i = 1; i < n; i++) {
            sync_stats st;
            sync_get_stats(w->nodes[i].c, &st);
            dropped += st.pushes_dropped;
        }
        check(!w->fail[0] && seq == seq0 + sizes[k] && t < SYNC_ROUND_MS / 2 && dropped == 0,
              "%u records written at node 1 reach node %u, %u hops away, in %" PRIu64 " ms (%u ms ticks, rounds every "
              "%u ms), %" PRIu64 " pushes dropped %s",
              sizes[k], far, far - 1, t, TICK_MS, SYNC_ROUND_MS, dropped, w->fail);
        world_free(w);
        free(w);
    }
}

/* A member files a dialogue in another precinct's name (proto/record.md section 5, the
 * place rule): its own append refuses it; signed anyway (a hostile or older build) and
 * pushed, the other node does not store it, and does not hold it against the peer that
 * relayed it (the roster decides, and a relay may know less); both go on syncing. */
static void selftest_impersonation(const opts *o) {
    printf("core: a dialogue filed in another precinct's name is refused at append and at ingest\n");
    world *w = pair_world(o, 1404);
    node *a = &w->nodes[1];
    do_append(w, 1, 2);
    run_until_synced(w, 30000);
    unsigned topics;
    json_t *j = dialogue_json(w, a, &topics);
    json_object_set_new(j, "polsek", json_string(polsek_names[2 % 6])); /* node 2's precinct */
    uint8_t *body = NULL, *rec = NULL;
    size_t blen = 0, len = 0;
    ronda_detail d;
    if (ronda_body_from_json(RONDA_KIND_DIALOGUE, j, &body, &blen, &d) != RONDA_OK) abort();
    json_decref(j);
    ronda_err e = ronda_store_append(a->s, a->sk, RONDA_KIND_DIALOGUE, body, blen, node_now(w, a), NULL, &d);
    check(e == RONDA_ERR_PLACE, "node 1's own append in node 2's place: %s (%s)", errname(e), d.text);
    uint64_t seq = 0;
    uint8_t head[RONDA_ID_BYTES];
    if (ronda_store_head(a->s, a->pk, &seq, head) != RONDA_OK) abort();
    uint64_t hlc = (node_now(w, a) + 1000u) << RONDA_HLC_COUNTER_BITS;
    if (ronda_record_seal(a->sk, seq + 1, head, hlc, RONDA_KIND_DIALOGUE, body, blen, &rec, &len) != RONDA_OK) abort();
    free(body);
    sync_stats s0, s1;
    sync_get_stats(w->nodes[2].c, &s0);
    push_to(w, 2, A_PEER_AT_B, rec, len);
    free(rec);
    sync_get_stats(w->nodes[2].c, &s1);
    uint64_t held = 0;
    if (ronda_store_head(w->nodes[2].s, a->pk, &held, head) != RONDA_OK) held = 0;
    check(held == seq && s1.rejected == s0.rejected && s1.deferred > s0.deferred &&
              !sync_peer_banned(w->nodes[2].c, A_PEER_AT_B),
          "node 2 holds node 1's chain to seq %" PRIu64 " (not the impersonating seq %" PRIu64
          "), not counted against the peer, not cut off",
          held, seq + 1);
    do_append(w, 2, 1);
    run_until_synced(w, 30000);
    check(!w->fail[0] && pair_synced(w), "both keep syncing: equal digests %s", w->fail);
    world_free(w);
    free(w);
}

static int selftest(const opts *o) {
    const char *only = getenv("RONDA_SIM_ONLY"); /* "forks": only the fork and guard tests */
    if (only && strcmp(only, "forks") == 0) {
        selftest_forged_claim(o);
        selftest_fork_flood(o);
        selftest_forks_split(o);
        selftest_restore_fork(o);
        printf("%d passed, %d failed\n", st_passes, st_failures);
        return st_failures ? 1 : 0;
    }
    selftest_line_relay(o);
    selftest_impersonation(o);
    selftest_round_and_forgery(o);
    selftest_replay(o);
    selftest_big_frontier(o);
    selftest_group_commit(o);
    selftest_replies_ahead(o);
    selftest_far_future(o);
    selftest_clock_beyond(o);
    selftest_crash_in_txn(o);
    selftest_determinism(o);
    selftest_forged_claim(o);
    selftest_fork_flood(o);
    selftest_forks_split(o);
    selftest_restore_fork(o);
    printf("%d passed, %d failed\n", st_passes, st_failures);
    return st_failures ? 1 : 0;
}

/* ------------------------------------------------------------------ many seeds */

typedef struct tally {
    unsigned passed, failed;
    uint64_t worst, worst_seed, records, msgs;
    uint64_t txn_crashes, txn_lost;
} tally;

/* Seeds o->seed + k for every k = first (mod stride). */
static void run_seeds(const opts *o, unsigned first, unsigned stride, tally *t) {
    for (unsigned k = first; k < o->seeds; k += stride) {
        result r;
        uint64_t seed = o->seed + k;
        if (run_seed(o, seed, &r)) {
            t->passed++;
            t->records += r.records;
            t->msgs += r.msgs;
            t->txn_crashes += r.txn_crashes;
            t->txn_lost += r.txn_lost;
            if (r.converged_ms > t->worst) {
                t->worst = r.converged_ms;
                t->worst_seed = seed;
            }
        } else {
            t->failed++;
        }
    }
}

/* --jobs N: N worker processes take every N-th seed (seeds are independent, so results do not
 * depend on N); each writes its report to a temp file, shown in worker order afterwards. */
static int run_jobs(const opts *o, tally *t) {
    pid_t pids[64];
    FILE *outs[64];
    int pipes[64][2];
    fflush(stdout);
    for (unsigned j = 0; j < o->jobs; j++) {
        if (!(outs[j] = tmpfile()) || pipe(pipes[j]) != 0) return -1;
        if ((pids[j] = fork()) < 0) return -1;
        if (pids[j] == 0) {
            if (dup2(fileno(outs[j]), STDOUT_FILENO) < 0) _exit(3);
            tally mine = {0, 0, 0, o->seed, 0, 0, 0, 0};
            run_seeds(o, j, o->jobs, &mine);
            fflush(stdout);
            ssize_t n = write(pipes[j][1], &mine, sizeof mine);
            exit(n == (ssize_t)sizeof mine ? 0 : 3);
        }
        close(pipes[j][1]);
    }
    int rc = 0;
    for (unsigned j = 0; j < o->jobs; j++) {
        tally mine;
        ssize_t n = read(pipes[j][0], &mine, sizeof mine);
        int status = 0;
        waitpid(pids[j], &status, 0);
        close(pipes[j][0]);
        if (n != (ssize_t)sizeof mine || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "ronda-sim: worker %u died (status %d)\n", j, status);
            rc = -1;
        } else {
            t->passed += mine.passed;
            t->failed += mine.failed;
            t->records += mine.records;
            t->msgs += mine.msgs;
            t->txn_crashes += mine.txn_crashes;
            t->txn_lost += mine.txn_lost;
            if (mine.worst > t->worst) {
                t->worst = mine.worst;
                t->worst_seed = mine.worst_seed;
            }
        }
        char buf[4096];
        size_t got;
        rewind(outs[j]);
        while ((got = fread(buf, 1, sizeof buf, outs[j])) > 0) fwrite(buf, 1, got, stdout);
        fclose(outs[j]);
    }
    return rc;
}

/* ------------------------------------------------------------------ main */

static int usage(void) {
    fprintf(stderr, "usage: ronda-sim [--seed N] [--seeds K] [--nodes N] [--steps S] [--drop P] [--dup P]\n"
                    "                 [--reorder P] [--burst N] [--rate R] [--clock-steps] [--verbose] [--keep]\n"
                    "       ronda-sim --selftest\n"
                    "  --seed N     first seed (default 1); alone, replays that one seed\n"
                    "  --seeds K    how many seeds from --seed (default 1)\n"
                    "  --nodes N    nodes per run, 2..64 (default 6); node 0 is the authority\n"
                    "  --steps S    active steps of 10 simulated ms before the network goes quiet (default 2000)\n"
                    "  --drop P     message drop probability (default 0.02)\n"
                    "  --dup P      message duplication probability (default 0.02)\n"
                    "  --reorder P  probability that a message leaves FIFO order (default 0.02)\n"
                    "  --burst N    largest burst of records one node writes at once (default 400; 0: none)\n"
                    "  --rate R     appends per node per simulated second (default 0.5)\n"
                    "  --restores P share of seeds that restore one node from an old backup (default 0)\n"
                    "  --jobs N     run seeds in N worker processes (default 1)\n"
                    "  --verbose    events and warnings (twice: core log lines; three times: messages)\n"
                    "  --keep       keep the stores of a failing seed\n"
                    "  --clock-steps  step nodes' wall clocks (back up to 3 h, forward up to 20 min) during the run\n");
    return 2;
}

int main(int argc, char **argv) {
    opts o = {1, 1, 6, 2000, 400, 1, 0.02, 0.02, 0.02, 0.5, 0, 0, 0, 0};
    int self = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--selftest") == 0)
            self = 1;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
            o.verbose++;
        else if (strcmp(a, "--keep") == 0)
            o.keep = 1;
        else if (strcmp(a, "--clock-steps") == 0)
            o.clock_steps = 1;
        else if (!v)
            return usage();
        else {
            i++;
            if (strcmp(a, "--seed") == 0)
                o.seed = strtoull(v, &end, 10);
            else if (strcmp(a, "--seeds") == 0)
                o.seeds = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--nodes") == 0)
                o.nodes = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--steps") == 0)
                o.steps = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--jobs") == 0)
                o.jobs = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--burst") == 0)
                o.burst = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--drop") == 0)
                o.drop = strtod(v, &end);
            else if (strcmp(a, "--dup") == 0)
                o.dup = strtod(v, &end);
            else if (strcmp(a, "--reorder") == 0)
                o.reorder = strtod(v, &end);
            else if (strcmp(a, "--rate") == 0)
                o.rate = strtod(v, &end);
            else if (strcmp(a, "--restores") == 0)
                o.restores = strtod(v, &end);
            else
                return usage();
            if (!end || *end) return usage();
        }
    }
    if (o.nodes < 2 || o.nodes > MAX_NODES || o.steps < 10 || o.seeds < 1 || o.drop < 0 || o.drop >= 1 || o.dup < 0 ||
        o.dup > 1 || o.reorder < 0 || o.reorder > 1 || o.rate < 0 || o.restores < 0 || o.restores > 1 || o.jobs < 1 ||
        o.jobs > 64)
        return usage();
    if (ronda_init() != RONDA_OK) return 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (self) return selftest(&o);
    tally t = {0, 0, 0, o.seed, 0, 0, 0, 0};
    if (o.jobs > 1 && o.seeds > 1) {
        if (run_jobs(&o, &t) != 0) return 3;
    } else {
        run_seeds(&o, 0, 1, &t);
    }
    unsigned passed = t.passed, failed = t.failed;
    uint64_t worst = t.worst, worst_seed = t.worst_seed, records = t.records, msgs = t.msgs;
    printf("sim: %u nodes, seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64 " records written, %" PRIu64
           " messages; slowest convergence %" PRIu64 " ms after quiet (seed %" PRIu64 ")\n",
           o.nodes, o.seed, o.seed + o.seeds - 1, records, msgs, worst, worst_seed);
    printf("sim: %" PRIu64 " crashes in the middle of a transaction, %" PRIu64 " of them losing uncommitted records\n",
           t.txn_crashes, t.txn_lost);
    if (failed == 0)
        printf("sim: %u seeds passed\n", passed);
    else
        printf("sim: %u of %u seeds FAILED\n", failed, o.seeds);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
