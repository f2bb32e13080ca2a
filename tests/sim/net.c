/* The simulated network: an event heap of messages in flight, delivered after a random delay
 * or dropped, duplicated, reordered, or cut by a partition; links going up and down (sim.h). */
#include "sim.h"

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

msg heap_pop(world *w) {
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

int author_index(const world *w, const uint8_t *key) {
    for (unsigned i = 0; i < w->n; i++)
        if (memcmp(w->nodes[i].pk, key, RONDA_KEY_BYTES) == 0) return (int)i;
    return -1;
}

/* One line about a message, for --verbose --verbose --verbose. */
static void describe(const world *w, const uint8_t *data, size_t len, char *out, size_t cap) {
    static const char *const names[] = {"HELLO", "SYNCED", "FRONTIER", "WANT", "RECORDS", "ZSTD", "?", "?"};
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

void drain(world *w, int i) {
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

void link_up(world *w, size_t li) {
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

void link_down(world *w, size_t li) {
    wire *l = &w->links[li];
    if (!l->up) return;
    l->up = 0;
    l->epoch++;
    trace_u64(w, 0x22220000u + li);
    if (w->nodes[l->a].alive) sync_peer_down(w->nodes[l->a].c, (uint32_t)li + 1);
    if (w->nodes[l->b].alive) sync_peer_down(w->nodes[l->b].c, ROUTER_BASE + (uint32_t)li);
}

void deliver_due(world *w) {
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
