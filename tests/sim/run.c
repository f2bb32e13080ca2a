/* One seed's run: chaos events (partitions, crashes, appends, late admission, revocation,
 * bursts, clock steps), the step loop, the quiet phase and its final checks (sim.h). */
#include "sim.h"

/* ------------------------------------------------------------------ the run */

int nodes_down(const world *w) {
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

void step(world *w) {
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

int run_seed(const opts *o, uint64_t seed, result *res) {
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
