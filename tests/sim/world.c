/* The simulated world: its failure text, trace and clocks, the cores' log, and setup and
 * teardown of the stores, links and topology of one run (sim.h). */
#include "sim.h"

void failf(world *w, const char *fmt, ...) {
    if (w->fail[0]) return;
    char text[500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(w->fail, sizeof w->fail, "t=%" PRIu64 "ms: %s", w->now, text);
}

void trace_mix(world *w, const void *p, size_t len) {
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++) {
        w->trace ^= b[i];
        w->trace *= UINT64_C(0x100000001b3);
    }
}
void trace_u64(world *w, uint64_t v) { trace_mix(w, &v, sizeof v); }

uint64_t node_now(const world *w, const node *nd) { return (uint64_t)((int64_t)(T0_MS + w->now) + nd->skew); }

/* A node's two clocks for its sync core: the monotonic one runs with simulated time (from an
 * arbitrary origin per node), the wall clock is skewed and may be stepped. */
sync_clock node_clock(const world *w, const node *nd) {
    return (sync_clock){{w->now + 5000u + 1000u * (uint64_t)nd->idx}, {node_now(w, nd)}};
}

/* The store's clock (ronda_store_set_clock): the node's wall clock. */
ronda_wall store_wall(void *ctx) {
    const node *nd = ctx;
    return (ronda_wall){node_now(nd->w, nd)};
}
/* Lines the cores logged (selftest: what a refusal says, and how often). */
char last_log[300];
unsigned deferred_lines, summary_lines;

void sim_log(void *ctx, int level, uint32_t peer, const char *text) {
    node *nd = ctx;
    world *w = nd->w;
    snprintf(last_log, sizeof last_log, "%s", text);
    if (strstr(text, "not counted against the peer (")) deferred_lines++;
    if (strstr(text, "were not logged")) summary_lines++;
    if (level <= 4) w->warnings++;
    if (w->o->verbose >= 2 || (w->o->verbose && level <= 4))
        printf("    [%7" PRIu64 " ms] node %d peer %u: %s\n", w->now, nd->idx, peer, text);
}

void vlog(world *w, const char *fmt, ...) {
    if (!w->o->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    printf("  [%7" PRIu64 " ms] ", w->now);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

const char *errname(ronda_err e) { return ronda_errname(e); }

/* ------------------------------------------------------------------ setup and teardown */

void world_free(world *w) {
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

int copy_one(void *vctx, int64_t rowid, const uint8_t *id, const uint8_t *rec, size_t len) {
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

void add_link(world *w, int a, int b) {
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
int world_init(world *w, const opts *o, uint64_t seed, unsigned n, int late_ok) {
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
void pick_topology(world *w) {
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
void world_start(world *w) {
    for (unsigned i = 0; i < w->n && !w->fail[0]; i++) {
        node *nd = &w->nodes[i];
        if (sync_new(nd->s, sim_log, nd, &nd->c) != RONDA_OK)
            failf(w, "node %u: sync_new failed", i);
        else {
            sync_on_ban(nd->c, sim_on_ban, nd);
            sim_features(w, (int)i);
        }
        nd->next_tick = rng_below(&w->setup, TICK_MS);
        check_frontier(w, (int)i, 0);
    }
    for (size_t li = 0; li < w->nlinks && !w->fail[0]; li++) link_up(w, li);
}
