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
 *
 * Files: sim.h (this: options, the world and its nodes, what the files share), world.c
 * (setup, teardown, clocks, trace), net.c (the simulated network), nodes.c (appends,
 * admissions, crashes, restores, restarts), invariants.c (the checks above), run.c (one
 * seed's run), scenarios.c and faults.c (--selftest), main.c (options, seeds, jobs). */
#ifndef RONDA_SIM_H
#define RONDA_SIM_H

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

/* ------------------------------------------------------------------ PRNG */

typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static inline uint64_t rng_below(rng *r, uint64_t n) { return n ? rng_next(r) % n : 0; }
static inline int rng_chance(rng *r, double p) { return p > 0 && (double)(rng_next(r) >> 11) * 0x1p-53 < p; }
static inline rng rng_make(uint64_t seed, uint64_t stream) {
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
    uint64_t bans_heard; /* calls of its core's sync_on_ban hook (sim_on_ban) */
    uint32_t last_ban;   /* the peer the last one named */
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
    int all_features; /* every node announces every feature (else every fourth announces none) */
} world;

typedef struct copy_ctx {
    world *w;
    ronda_store *to;
    int idx;
} copy_ctx;

typedef struct result {
    int ok;
    uint64_t trace, converged_ms, records, msgs;
    unsigned txn_crashes, txn_lost;
    uint8_t digest[RONDA_HASH_BYTES];
} result;

#define A_PEER_AT_B (ROUTER_BASE + 0u) /* link 0: how B knows A */

/* world.c, nodes.c: shared with the scenarios */
extern char last_log[300];
extern unsigned deferred_lines, summary_lines;
extern const char *const polsek_names[6];

/* world.c */
void failf(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trace_mix(world *w, const void *p, size_t len);
void trace_u64(world *w, uint64_t v);
uint64_t node_now(const world *w, const node *nd);
sync_clock node_clock(const world *w, const node *nd);
ronda_wall store_wall(void *ctx);
void sim_log(void *ctx, int level, uint32_t peer, const char *text);
/* The sync core's ban hook (sync_on_ban), set on every node's core: counts the events. */
void sim_on_ban(void *ctx, uint32_t peer);
void vlog(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *errname(ronda_err e);
void world_free(world *w);
int copy_one(void *vctx, int64_t rowid, const uint8_t *id, const uint8_t *rec, size_t len);
void add_link(world *w, int a, int b);
int world_init(world *w, const opts *o, uint64_t seed, unsigned n, int late_ok);
void pick_topology(world *w);
void world_start(world *w);

/* net.c */
msg heap_pop(world *w);
int author_index(const world *w, const uint8_t *key);
void drain(world *w, int i);
void link_up(world *w, size_t li);
void link_down(world *w, size_t li);
void deliver_due(world *w);

/* nodes.c */
json_t *dialogue_json(world *w, node *nd, unsigned *topics);
void do_append(world *w, int i, unsigned count);
void sim_features(world *w, int i); /* what node i's core announces (after sync_new) */
ronda_err admit_key(world *w, const uint8_t *pk, int i);
ronda_err admit(world *w, int i);
void revoke(world *w, int i);
void crash(world *w, int i);
void arm_txn_crash(world *w);
void maybe_txn_crash(world *w, int i, int type);
void plan_restore(world *w, uint64_t active);
void restore_events(world *w);
void restart(world *w, int i);

/* invariants.c */
void check_frontier(world *w, int i, int exact);
int snapshot_committed(world *w, int i);
void check_restart(world *w, int i);
void restore_checks(world *w);
void check_cores(world *w);
int digests_equal(world *w, uint8_t out[RONDA_HASH_BYTES]);
void final_checks(world *w);

/* run.c */
int nodes_down(const world *w);
void step(world *w);
int run_seed(const opts *o, uint64_t seed, result *res);

/* scenarios.c */
void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
world *pair_world(const opts *o, uint64_t seed);
int pair_synced(world *w);
uint64_t run_until_synced(world *w, uint64_t max_ms);
void run_for(world *w, uint64_t ms);
uint8_t *records_msg(const uint8_t *rec, size_t len, size_t *out_len);
void digest_of(world *w, int i, uint8_t out[RONDA_HASH_BYTES]);
int selftest(const opts *o);

/* faults.c */
void selftest_far_future(const opts *o);
void selftest_forged_claim(const opts *o);
void selftest_clock_beyond(const opts *o);
void selftest_fork_flood(const opts *o);
void selftest_forks_split(const opts *o);
void selftest_restore_fork(const opts *o);
void selftest_crash_in_txn(const opts *o);
void selftest_line_relay(const opts *o);
void selftest_impersonation(const opts *o);

#endif
