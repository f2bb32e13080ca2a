/* Peer choice: which members a node dials, from the roster its ledger holds.
 *
 * The daemon (`ronda run`) loads the roster at start and every second (node_roster_load),
 * gives it to the transport as the allowlist, closes the connections it dialled to servers
 * that left it, and asks node_choose_peers() whom to dial next. The choice is a pure
 * function of the roster, the bootstrap endpoints, the peers already dialled and a random
 * source, so the simulator (tests/sim) builds its networks with it and checks what it
 * chooses; the daemon passes libsodium's randombytes_uniform. */
#ifndef RONDA_NODE_PEERS_H
#define RONDA_NODE_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"
#include "ronda/ronda.h"

#define NODE_BOOTSTRAP_MAX 16u           /* --peer endpoints */
#define NODE_ENDPOINT_MAX RONDA_NAME_MAX /* a member record's endpoint field (proto/record.md) */
#define NODE_ROSTER_MAX NET_ALLOW_MAX    /* live members kept: as many as the allowlist holds */
#define NODE_DIAL_MAX NET_DEALERS_MAX    /* connections a node dials */

typedef struct node_member {
    uint8_t sign[RONDA_KEY_BYTES];
    uint8_t curve[RONDA_KEY_BYTES];
    char endpoint[NODE_ENDPOINT_MAX + 1]; /* "" when the member gave none (it only dials) */
} node_member;

/* The live members, as ronda_store_live_members() gives them (owned; node_roster_free). */
typedef struct node_roster {
    node_member *m;
    size_t n;
    int full; /* more live members than NODE_ROSTER_MAX: the rest were left out */
} node_roster;

/* Fill *r with the members live at now_ms. On failure *r is empty and the error is the
 * store's (or RONDA_ERR_NOMEM). */
ronda_err node_roster_load(node_roster *r, ronda_store *s, uint64_t now_ms) RONDA_MUST_CHECK;
void node_roster_free(node_roster *r);
/* The roster entry whose CURVE key is `curve`, or NULL: a server dialled earlier that is no
 * longer a live member is looked up here and closed. */
const node_member *node_roster_find_curve(const node_roster *r, const uint8_t curve[RONDA_KEY_BYTES]);

/* What node_choose_peers() decided. */
typedef struct node_peer_choice {
    size_t dial[NODE_DIAL_MAX]; /* roster indexes to dial now: bootstrap members first */
    size_t ndial;
    /* Bit b: bootstrap endpoint b is no live member's (other than this node's own): its
     * CURVE key is unknown, so it is not dialled. */
    uint32_t unknown_bootstrap;
} node_peer_choice;

/* Whom to dial, given the peers dialled already (their CURVE keys, `nconnected` of them):
 *   1. every bootstrap endpoint that is a live member's, unless dialled already;
 *   2. then members drawn at random (uniform(rng, n) returns 0..n-1) until fanout +
 *      nbootstrap are dialled in all, at most 4 draws per roster entry.
 * Never this node itself (`self`, its signing key), a member without an endpoint, a server
 * dialled already or one chosen twice; never more than NODE_DIAL_MAX connections in all. */
void node_choose_peers(const node_roster *r, const uint8_t self[RONDA_KEY_BYTES], const char *const *bootstrap,
                       size_t nbootstrap, const uint8_t (*connected)[RONDA_KEY_BYTES], size_t nconnected,
                       unsigned fanout, uint32_t (*uniform)(void *rng, uint32_t n), void *rng, node_peer_choice *out);

#endif
