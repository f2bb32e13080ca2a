/* The node layer's pure parts (src/node/): the catch-up tracker over the sync core's
 * counters, and peer choice at its bounds (a full set of connections, a roster of one, the
 * random source's every draw a taken peer). The simulator's "peer choice" scenario builds
 * a whole network with node_choose_peers; these are the corners it does not reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "node/catchup.h"
#include "node/peers.h"

static void test_catchup(void **state) {
    (void)state;
    node_catchup c = {0};
    uint64_t done, total;
    assert_int_equal(node_catchup_update(&c, 40, 0, &done, &total), NODE_CATCHUP_IDLE);
    assert_int_equal(done + total, 0);
    /* 100 to fetch, 40 stored before it began */
    assert_int_equal(node_catchup_update(&c, 40, 100, &done, &total), NODE_CATCHUP_BEGAN);
    assert_int_equal(done, 0);
    assert_int_equal(total, 100);
    assert_int_equal(node_catchup_update(&c, 70, 70, &done, &total), NODE_CATCHUP_GOING);
    assert_int_equal(done, 30);
    assert_int_equal(total, 100);
    /* peers turned out to hold more: the total grows */
    assert_int_equal(node_catchup_update(&c, 90, 150, &done, &total), NODE_CATCHUP_GOING);
    assert_int_equal(total, 200);
    assert_int_equal(node_catchup_update(&c, 240, 0, &done, &total), NODE_CATCHUP_ENDED);
    assert_int_equal(done, 200);
    assert_int_equal(total, 200);
    assert_false(c.active);
    assert_int_equal(node_catchup_update(&c, 240, 0, &done, &total), NODE_CATCHUP_IDLE);
    /* the next one counts from where it begins */
    assert_int_equal(node_catchup_update(&c, 240, 5, &done, &total), NODE_CATCHUP_BEGAN);
    assert_int_equal(node_catchup_update(&c, 245, 0, &done, &total), NODE_CATCHUP_ENDED);
    assert_int_equal(done, 5);
}

static uint32_t first(void *rng, uint32_t n) {
    (void)n;
    (*(unsigned *)rng)++;
    return 0; /* always the first entry */
}

static uint32_t counting(void *rng, uint32_t n) {
    unsigned *k = rng;
    return (uint32_t)((*k)++ % n);
}

/* n members, keys i+1 (sign) and 100+i (curve), endpoints "tcp://m<i>". */
static node_roster roster(size_t n) {
    node_roster r = {calloc(n ? n : 1, sizeof(node_member)), n, 0};
    for (size_t i = 0; i < n; i++) {
        memset(r.m[i].sign, (int)(i + 1), RONDA_KEY_BYTES);
        memset(r.m[i].curve, (int)(100 + i), RONDA_KEY_BYTES);
        snprintf(r.m[i].endpoint, sizeof r.m[i].endpoint, "tcp://m%zu", i);
    }
    return r;
}

static void test_choose_bounds(void **state) {
    (void)state;
    node_peer_choice ch;
    unsigned draws = 0;
    uint8_t self[RONDA_KEY_BYTES];
    /* a roster of one: itself; nothing to dial, and a bounded number of draws */
    node_roster r = roster(1);
    memcpy(self, r.m[0].sign, RONDA_KEY_BYTES);
    node_choose_peers(&r, self, NULL, 0, NULL, 0, 3, first, &draws, &ch);
    assert_int_equal(ch.ndial, 0);
    assert_int_equal(draws, 4);
    free(r.m);
    /* every draw the same taken peer: at most 4 per entry, then it gives up */
    r = roster(10);
    memset(self, 0xee, sizeof self);
    draws = 0;
    const uint8_t(*have)[RONDA_KEY_BYTES] = (const uint8_t(*)[RONDA_KEY_BYTES])r.m[0].curve;
    node_choose_peers(&r, self, NULL, 0, have, 1, 3, first, &draws, &ch);
    assert_int_equal(ch.ndial, 0);
    assert_int_equal(draws, 40);
    /* a full set of connections: nothing more, not even a bootstrap peer */
    static uint8_t full[NODE_DIAL_MAX][RONDA_KEY_BYTES];
    const char *boot[1] = {"tcp://m3"};
    draws = 0;
    node_choose_peers(&r, self, boot, 1, (const uint8_t(*)[RONDA_KEY_BYTES])full, NODE_DIAL_MAX, 3, counting, &draws,
                      &ch);
    assert_int_equal(ch.ndial, 0);
    assert_int_equal(ch.unknown_bootstrap, 0);
    /* room for one: the bootstrap peer takes it */
    node_choose_peers(&r, self, boot, 1, (const uint8_t(*)[RONDA_KEY_BYTES])full, NODE_DIAL_MAX - 1, 3, counting,
                      &draws, &ch);
    assert_int_equal(ch.ndial, 1);
    assert_string_equal(r.m[ch.dial[0]].endpoint, "tcp://m3");
    /* a member without an endpoint is never drawn; the fanout is met by the others */
    r.m[1].endpoint[0] = '\0';
    draws = 0;
    node_choose_peers(&r, self, NULL, 0, NULL, 0, 9, counting, &draws, &ch);
    assert_int_equal(ch.ndial, 9);
    for (size_t k = 0; k < ch.ndial; k++) assert_int_not_equal(ch.dial[k], 1);
    /* the fanout is capped by the connections a node may dial */
    free(r.m);
    r = roster(NODE_DIAL_MAX + 10);
    draws = 0;
    node_choose_peers(&r, self, NULL, 0, NULL, 0, 1000, counting, &draws, &ch);
    assert_int_equal(ch.ndial, NODE_DIAL_MAX);
    free(r.m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_catchup), cmocka_unit_test(test_choose_bounds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
