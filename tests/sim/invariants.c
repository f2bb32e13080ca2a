/* The invariants checked for every seed (sim.h's list): no committed record lost, the same
 * store after a restart, the cores' own sync_check, equal digests, verify clean at the end. */
#include "sim.h"

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

void check_frontier(world *w, int i, int exact) { check_frontier_on(w, i, w->nodes[i].s, exact); }

/* What node i's store has committed, read through a second connection (it sees what a
 * process started after a SIGKILL would): its frontier becomes what the node is known to
 * hold, and its digest and record count what the store must hold exactly on restart. Returns
 * whether the node's own connection sees more: records applied but not committed. */
int snapshot_committed(world *w, int i) {
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

/* After a crash the store holds exactly what was committed before it. */
void check_restart(world *w, int i) {
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

/* The restored node writes again once a peer lets it (its guard is none), and holds the
 * backup's records at least. */
void restore_checks(world *w) {
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

/* The core's own invariants (sync_check), for every live node after every step; and a ban
 * is an event: every peer a core has cut off was named by its sync_on_ban hook. */
void check_cores(world *w) {
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        char why[300];
        node *nd = &w->nodes[i];
        if (!nd->alive) continue;
        if (!sync_check(nd->c, why, sizeof why)) failf(w, "node %u: sync_check: invariant %s", i, why);
        sync_peer_info info[SYNC_PEERS_MAX];
        size_t np = sync_get_peers(nd->c, info, SYNC_PEERS_MAX), banned = 0;
        for (size_t k = 0; k < np; k++) banned += info[k].banned != 0;
        if (banned > nd->bans_heard)
            failf(w, "node %u: %zu peers cut off, but its ban hook heard of %" PRIu64, i, banned, nd->bans_heard);
    }
}

int digests_equal(world *w, uint8_t out[RONDA_HASH_BYTES]) {
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
void final_checks(world *w) {
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
