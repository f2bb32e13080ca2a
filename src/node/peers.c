/* Peer choice (see peers.h). */
#include <stdlib.h>
#include <string.h>

#include "node/peers.h"
#include "util/assert.h"

_Static_assert(NODE_BOOTSTRAP_MAX <= 32, "unknown_bootstrap has a bit per bootstrap endpoint");

static int roster_add(void *ctx, const uint8_t *sign, const uint8_t *curve, const char *endpoint, const char *name) {
    node_roster *r = ctx;
    (void)name;
    if (r->n >= NODE_ROSTER_MAX) {
        r->full = 1;
        return 0; /* go on: the rest are counted out, not an error */
    }
    node_member *m = &r->m[r->n++];
    memcpy(m->sign, sign, RONDA_KEY_BYTES);
    memcpy(m->curve, curve, RONDA_KEY_BYTES);
    /* The schema bounds an endpoint to RONDA_NAME_MAX bytes, so it always fits; one that
     * did not would be a store bug, and a cut endpoint would dial the wrong address. */
    size_t len = endpoint ? strlen(endpoint) : 0;
    RONDA_ASSERT_MSG(len <= NODE_ENDPOINT_MAX, "endpoint of %zu bytes", len);
    memcpy(m->endpoint, endpoint ? endpoint : "", len);
    m->endpoint[len] = '\0';
    return 0;
}

ronda_err node_roster_load(node_roster *r, ronda_store *s, uint64_t now_ms) {
    memset(r, 0, sizeof *r);
    r->m = malloc(NODE_ROSTER_MAX * sizeof *r->m);
    if (!r->m) return RONDA_ERR_NOMEM;
    ronda_err e = ronda_store_live_members(s, now_ms, roster_add, r);
    if (e != RONDA_OK) node_roster_free(r);
    return e;
}

void node_roster_free(node_roster *r) {
    free(r->m);
    memset(r, 0, sizeof *r);
}

const node_member *node_roster_find_curve(const node_roster *r, const uint8_t curve[RONDA_KEY_BYTES]) {
    for (size_t i = 0; i < r->n; i++)
        if (memcmp(r->m[i].curve, curve, RONDA_KEY_BYTES) == 0) return &r->m[i];
    return NULL;
}

/* Dialled already, or chosen in this call. */
static int taken(const node_roster *r, size_t i, const uint8_t (*connected)[RONDA_KEY_BYTES], size_t nconnected,
                 const node_peer_choice *out) {
    for (size_t k = 0; k < nconnected; k++)
        if (memcmp(connected[k], r->m[i].curve, RONDA_KEY_BYTES) == 0) return 1;
    for (size_t k = 0; k < out->ndial; k++)
        if (memcmp(r->m[out->dial[k]].curve, r->m[i].curve, RONDA_KEY_BYTES) == 0) return 1;
    return 0;
}

void node_choose_peers(const node_roster *r, const uint8_t self[RONDA_KEY_BYTES], const char *const *bootstrap,
                       size_t nbootstrap, const uint8_t (*connected)[RONDA_KEY_BYTES], size_t nconnected,
                       unsigned fanout, uint32_t (*uniform)(void *rng, uint32_t n), void *rng, node_peer_choice *out) {
    memset(out, 0, sizeof *out);
    if (nbootstrap > NODE_BOOTSTRAP_MAX) nbootstrap = NODE_BOOTSTRAP_MAX;
    size_t room = nconnected < NODE_DIAL_MAX ? NODE_DIAL_MAX - nconnected : 0;
    for (size_t b = 0; b < nbootstrap; b++) {
        int known = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->m[i].endpoint, bootstrap[b]) != 0 || memcmp(r->m[i].sign, self, RONDA_KEY_BYTES) == 0)
                continue;
            known = 1;
            if (out->ndial < room && !taken(r, i, connected, nconnected, out)) out->dial[out->ndial++] = i;
        }
        if (!known) out->unknown_bootstrap |= 1u << b;
    }
    size_t want = (size_t)fanout + nbootstrap;
    if (want > NODE_DIAL_MAX) want = NODE_DIAL_MAX;
    _Static_assert(NODE_ROSTER_MAX <= UINT32_MAX / 4, "a roster index fits uniform()'s range");
    size_t tries = 4 * r->n;
    for (size_t t = 0; t < tries && nconnected + out->ndial < want && out->ndial < room; t++) {
        size_t i = uniform(rng, (uint32_t)r->n);
        RONDA_ASSERT_MSG(i < r->n, "uniform gave %zu of %zu", i, r->n);
        if (!r->m[i].endpoint[0] || memcmp(r->m[i].sign, self, RONDA_KEY_BYTES) == 0 ||
            taken(r, i, connected, nconnected, out))
            continue;
        out->dial[out->ndial++] = i;
    }
    RONDA_ASSERT(out->ndial <= room && nconnected + out->ndial <= NODE_DIAL_MAX);
}
